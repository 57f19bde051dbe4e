"""Checks an uploaded file by its content, not its name, and serves stored
files back only as downloads.

Allowed: PDF, Word, Excel, OpenDocument, CSV, PNG and JPEG. The name's
extension must agree with what the content is, so an HTML page or SVG renamed
to .pdf is refused, and so is a ".csv" that holds a web page or script.
Stored files get random names in the private file storage (the disk, or a private
bucket), which no URL serves; they go back to users only through views that check who
is asking, as attachments, read through the storage API so either storage serves them.
"""

import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.http import FileResponse
from django.utils.text import get_valid_filename

ALLOWED_DESCRIPTION = "a PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG file"

_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The directory names of the main stream of a Word and an Excel binary file, as the
# compound file stores them (UTF-16). Other compound files (Outlook messages,
# PowerPoint, installers) have neither.
_OLE_STREAMS = {".doc": ("WordDocument",), ".xls": ("Workbook", "Book")}
# Tags that make text a web page, an SVG image or a script rather than a table.
_MARKUP = re.compile(
    r"<\s*(?:!doctype|\?xml|html|head|body|script|svg|iframe|frame|object|embed|img|style|link|meta|form|math|base)\b",
    re.IGNORECASE,
)
# Control characters do not occur in a CSV file typed or saved by a spreadsheet.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def _zip_kind(upload) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if any(name.endswith("vbaProject.bin") for name in names):
                return None  # macros: a .docm or .xlsm under another name
            if "mimetype" in names:
                if archive.getinfo("mimetype").file_size > 100:
                    return None
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                return {_TYPES[".odt"]: ".odt", _TYPES[".ods"]: ".ods"}.get(mimetype)
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return ".docx"
                if any(n.startswith("xl/") for n in names):
                    return ".xlsx"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return None


def _ole_holds(upload, extension: str) -> bool:
    """Whether a compound file has the main stream of a Word (.doc) or Excel (.xls) file."""
    upload.seek(0)
    content = upload.read()
    return any(stream.encode("utf-16-le") in content for stream in _OLE_STREAMS.get(extension, ()))


def _decoded(content: bytes) -> str | None:
    """The text of a CSV file: UTF-8 (with or without a byte order mark), or the
    Windows-1252 that Excel on Windows saves "CSV (Comma delimited)" in."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _looks_like_csv(upload) -> bool:
    # The whole file is read: a page could hide its markup after an innocent first screenful.
    upload.seek(0)
    text = _decoded(upload.read())
    return text is not None and not _CONTROL.search(text) and not _MARKUP.search(text)


def detect_extension(upload) -> str | None:
    """The extension the content really has, or None when it is not allowed."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return ".pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(_OLE):
        kind = ".ole"  # Word or Excel: check_upload asks which the name says
    elif head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(upload)
    elif head and _looks_like_csv(upload):
        kind = ".csv"
    else:
        kind = None
    upload.seek(0)
    return kind


def clean_name(name: str) -> str:
    """The last part of a name a browser sent (Windows browsers may send the whole
    path), with only letters, digits, dots, dashes and underscores; kept for
    display and the download's name, never as the stored file's name."""
    base = PurePath(name.replace("\\", "/")).name
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:  # nothing usable left, such as ".." or "<>"
        cleaned = ""
    if cleaned.startswith("."):
        cleaned = "file" + cleaned  # "???.pdf" keeps its extension
    return cleaned[-150:] or "file"


def describe_size(limit: int) -> str:
    """A limit as people read it: 20MB, 1.5MB, 500KB."""
    megabyte = 1024 * 1024
    if limit < megabyte:
        return f"{limit // 1024}KB"
    whole, rest = divmod(limit, megabyte)
    return f"{whole}MB" if rest == 0 else f"{limit / megabyte:.1f}MB"


def check_upload(upload) -> CheckedUpload:
    """Raise ValidationError with a message for the user, or describe the file."""
    limit = settings.UPLOAD_MAX_BYTES
    name = clean_name(upload.name or "")
    if upload.size == 0:
        raise ValidationError(f"The selected file {name} is empty")
    if upload.size > limit:
        raise ValidationError(f"The selected file must be smaller than {describe_size(limit)}")
    claimed = PurePath(name).suffix.lower()
    if claimed not in _TYPES:
        raise ValidationError(f"The selected file must be {ALLOWED_DESCRIPTION}")
    actual = detect_extension(upload)
    if actual == ".ole" and _ole_holds(upload, claimed):
        actual = claimed
    same = actual == claimed or (actual == ".jpg" and claimed == ".jpeg")
    if not same:
        raise ValidationError(
            f"The selected file {name} is not what its name says: it must really be {ALLOWED_DESCRIPTION}"
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(name=name, content_type=_TYPES[claimed], size=upload.size, sha256=digest.hexdigest())


def download_response(field_file, *, name: str, content_type: str) -> FileResponse:
    """A stored private file, always as an attachment, never rendered inline."""
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway, it runs nothing and reaches nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
