"""Checks an uploaded file by its content, not its name, and serves stored
files back only as downloads.

Allowed: PDF, Word, Excel, OpenDocument, CSV, PNG and JPEG. The name's
extension must agree with what the content is, so an HTML page or SVG renamed
to .pdf is refused.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
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
_MARKUP = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")


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
            if "mimetype" in names:
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


def _looks_like_csv(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A cut multi-byte character at the end of the sample is still text.
        try:
            text = head[:-3].decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
    lowered = text.lstrip().lower().encode()
    return not any(marker in lowered for marker in _MARKUP)


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
        return ".ole"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(upload)
    if head and _looks_like_csv(head):
        return ".csv"
    return None


def clean_name(name: str) -> str:
    base = PurePath(name.replace("\\", "/")).name
    cleaned = get_valid_filename(base) if base.strip(". ") else ""
    return cleaned[-150:] or "file"


def check_upload(upload) -> CheckedUpload:
    """Raise ValidationError with a message for the user, or describe the file."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size == 0:
        raise ValidationError(f"The selected file {upload.name} is empty")
    if upload.size > limit:
        raise ValidationError(f"The selected file must be smaller than {limit // (1024 * 1024)}MB")
    name = clean_name(upload.name)
    claimed = PurePath(name).suffix.lower()
    if claimed not in _TYPES:
        raise ValidationError(f"The selected file must be {ALLOWED_DESCRIPTION}")
    actual = detect_extension(upload)
    same = actual == claimed or (actual == ".jpg" and claimed == ".jpeg") or (actual == ".ole" and claimed in (".doc", ".xls"))
    if not same:
        raise ValidationError(
            f"The selected file {name} is not what its name says: it must really be {ALLOWED_DESCRIPTION}"
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(name=name, content_type=_TYPES[claimed], size=upload.size, sha256=digest.hexdigest())


def download_response(field_file, *, name: str, content_type: str) -> FileResponse:
    """A stored private file, always as an attachment, never rendered inline."""
    response = FileResponse(field_file.open("rb"), as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
