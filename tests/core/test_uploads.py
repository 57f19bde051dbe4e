"""Uploaded files: the type is decided by the content, the size is limited, the
name is cleaned, the file is stored under a random name where no URL reaches
it, and it comes back only as an attachment the browser must not sniff."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.views.static import serve
from openpyxl import Workbook
from PIL import Image

from core.uploads import check_upload, clean_name, describe_size
from evaluations.models import EvaluationReport
from projects.services import submit_milestone

NOT_WHAT_IT_SAYS = (
    "is not what its name says: it must really be a PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG file"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image(kind):
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (29, 112, 184)).save(buffer, kind)
    return buffer.getvalue()


def zipped(files, *, stored_first=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(zipfile.ZipInfo(stored_first[0]), stored_first[1], compress_type=zipfile.ZIP_STORED)
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = zipped(
    {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": "<Relationships/>",
        "word/document.xml": "<w:document><w:body><w:p><w:r><w:t>Milestone report</w:t></w:r></w:p></w:body></w:document>",
    }
)
ODT = zipped(
    {"content.xml": "<office:document-content/>", "META-INF/manifest.xml": "<manifest:manifest/>"},
    stored_first=("mimetype", "application/vnd.oasis.opendocument.text"),
)


def xlsx():
    workbook = Workbook()
    workbook.active.append(["Authority", "Children on plans per 10,000"])
    workbook.active.append(["Derbyshire", 42])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content)


def refusal(name, content):
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, content))
    return caught.value.messages[0]


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("report.pdf", PDF, "application/pdf"),
        ("chart.png", image("PNG"), "image/png"),
        ("photo.jpg", image("JPEG"), "image/jpeg"),
        ("photo.jpeg", image("JPEG"), "image/jpeg"),
        ("report.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("figures.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("report.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("figures.csv", b"Authority,Children\r\nDerbyshire,120\r\nHarrow,95\r\n", "text/csv"),
        ("utf8-bom.csv", "\ufeffAuthority,Cost (£)\r\nHarrow,1200\r\n".encode(), "text/csv"),
        ("excel-windows.csv", "Authority,Cost (£)\r\nHarrow,1200\r\n".encode("cp1252"), "text/csv"),
        (
            "legacy.doc",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument".encode("utf-16-le"),
            "application/msword",
        ),
    ],
)
def test_real_files_of_the_allowed_types_are_accepted(name, content, content_type):
    content = xlsx() if content is None else content
    checked = check_upload(upload(name, content))
    assert checked.name == name
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body><h1>Invoice</h1></body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<script>fetch('/projects/').then(r => r.text()).then(alert)</script>",
        b"  \n<SCRIPT src=//evil.example/x.js></SCRIPT>",
    ],
    ids=["html", "svg", "svg-with-xml-declaration", "script", "script-upper-case"],
)
def test_a_web_page_image_or_script_renamed_to_pdf_is_refused_with_a_clear_message(content):
    assert refusal("Evidence.pdf", content) == f"The selected file Evidence.pdf {NOT_WHAT_IT_SAYS}"


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        b"name,value\n<svg/onload=alert(1)>,1\n",
        b"name,value\nx,<script>alert(1)</script>\n",
        b"Authority,Children\n" + b"Derbyshire,120\n" * 2000 + b"<iframe src=//evil.example>\n",
        b"Authority\x00,Children\n",
    ],
    ids=["html-table", "svg-in-a-cell", "script-in-a-cell", "markup-after-the-first-screenful", "binary"],
)
def test_a_csv_that_is_really_a_page_or_script_is_refused(content):
    assert refusal("figures.csv", content) == f"The selected file figures.csv {NOT_WHAT_IT_SAYS}"


def test_text_that_merely_mentions_a_less_than_sign_is_still_a_csv():
    assert check_upload(upload("figures.csv", b"Measure,Value\nRe-referrals <12 months,4\n")).content_type == "text/csv"


@pytest.mark.parametrize(
    "name, content",
    [
        ("report.doc", zipped({"word/document.xml": "<w:document/>"})),
        ("report.doc", DOCX),
        ("figures.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "__substg1.0_0037001F".encode("utf-16-le")),
        (
            "report.docx",
            zipped(
                {
                    "[Content_Types].xml": "<Types/>",
                    "word/document.xml": "<w:document/>",
                    "word/vbaProject.bin": "macro",
                }
            ),
        ),
        ("report.docx", zipped({"readme.txt": "not a document"})),
        ("report.odt", zipped({"content.xml": "<x/>"}, stored_first=("mimetype", "application/x-shockwave-flash"))),
        ("figures.xlsx", DOCX),
        ("photo.png", image("JPEG")),
    ],
    ids=[
        "doc-that-is-a-zip",
        "docx-renamed-doc",
        "outlook-message-renamed-xls",
        "macro-enabled-docx",
        "plain-zip-as-docx",
        "odt-with-another-mimetype",
        "docx-renamed-xlsx",
        "jpeg-renamed-png",
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(name, content):
    assert refusal(name, content) == f"The selected file {name} {NOT_WHAT_IT_SAYS}"


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "image.svg", "script.js", "no-extension"])
def test_names_of_other_types_are_refused(name):
    assert refusal(name, PDF) == "The selected file must be a PDF, Word, Excel, OpenDocument, CSV, PNG or JPEG file"


def test_an_empty_file_is_refused():
    assert refusal("empty.pdf", b"") == "The selected file empty.pdf is empty"


@pytest.mark.parametrize(
    "limit, message",
    [
        (500 * 1024, "The selected file must be smaller than 500KB"),
        (1024 * 1024, "The selected file must be smaller than 1MB"),
        (20 * 1024 * 1024, "The selected file must be smaller than 20MB"),
    ],
)
def test_an_oversize_file_is_refused_with_the_limit_in_kb_or_mb(settings, limit, message):
    settings.UPLOAD_MAX_BYTES = limit
    assert check_upload(upload("fits.pdf", PDF + b"0" * (limit - len(PDF)))).size == limit
    assert refusal("big.pdf", PDF + b"0" * (limit - len(PDF) + 1)) == message


@pytest.mark.parametrize(
    "limit, text", [(1024, "1KB"), (600 * 1024, "600KB"), (1024 * 1024, "1MB"), (3 * 512 * 1024, "1.5MB")]
)
def test_sizes_are_described_as_people_read_them(limit, text):
    assert describe_size(limit) == text


@pytest.mark.parametrize(
    "given, cleaned",
    [
        ("C:\\evil\\..\\a b.pdf", "a_b.pdf"),
        ("../../config/settings.py", "settings.py"),
        ("/etc/passwd", "passwd"),
        ("..", "file"),
        ("<>", "file"),
        ("???.pdf", "file.pdf"),
        ("Rapport d'évaluation (final).pdf", "Rapport_dévaluation_final.pdf"),
    ],
)
def test_names_are_cleaned(given, cleaned):
    assert clean_name(given) == cleaned


def test_a_windows_path_is_cleaned_to_its_last_part():
    assert check_upload(upload("C:\\evil\\..\\a b.pdf", PDF)).name == "a_b.pdf"


# --- Storage ------------------------------------------------------------------------


def test_files_are_stored_under_random_names_outside_the_web_root(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    submission = submit_milestone(
        milestone=world.derbyshire_milestone,
        by=world.users.derbyshire,
        narrative="Running",
        files=[upload("C:\\Users\\me\\Unit report.pdf", PDF)],
    )
    evidence = submission.evidence_files.get()
    assert evidence.original_name == "Unit_report.pdf"
    stored = Path(evidence.file.path)
    assert stored.parent == tmp_path / "private" / "evidence"
    assert len(stored.stem) == 32 and int(stored.stem, 16) >= 0 and stored.suffix == ".pdf"
    assert stored.read_bytes() == PDF


def _all_patterns(patterns=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _all_patterns(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern


def test_no_url_serves_the_private_files():
    # MEDIA_URL is set only because Django's live server wants one; nothing routes it.
    assert not [pattern for pattern in _all_patterns() if pattern.callback is serve]
    media = Path(django_settings.MEDIA_ROOT).resolve()
    static_places = [Path(django_settings.STATIC_ROOT)] + [
        Path(place[1] if isinstance(place, tuple) else place) for place in django_settings.STATICFILES_DIRS
    ]
    for place in static_places:
        place = place.resolve()
        assert not media.is_relative_to(place) and not place.is_relative_to(media)
    for path in ("/private-files/evidence/0123456789abcdef0123456789abcdef.pdf", "/media/evidence/x.pdf"):
        with pytest.raises(Resolver404):
            resolve(path)


# --- Downloads ----------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def assert_served_as_an_attachment(response, filename, content):
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == content


def test_evidence_is_downloaded_as_an_attachment_that_is_not_sniffed(world, media):
    submission = submit_milestone(
        milestone=world.derbyshire_milestone,
        by=world.users.derbyshire,
        narrative="Running",
        files=[upload("Unit report.pdf", PDF)],
    )
    evidence = submission.evidence_files.get()
    client = Client()
    client.force_login(world.users.officer)
    response = client.get(reverse("projects:evidence", kwargs={"evidence_pk": evidence.pk}))
    assert response["Content-Type"] == "application/pdf"
    assert_served_as_an_attachment(response, "Unit_report.pdf", PDF)


def test_a_report_is_downloaded_as_an_attachment_that_is_not_sniffed(world, media):
    csv = b"Authority,Children\nDerbyshire,120\n"
    report = EvaluationReport(
        evaluation=world.evaluation,
        title="Data appendix",
        kind="technical",
        original_name="appendix.csv",
        content_type="text/csv",
        size_bytes=len(csv),
    )
    report.file.save("appendix.csv", ContentFile(csv), save=True)
    client = Client()
    client.force_login(world.users.harrow)
    response = client.get(reverse("evaluations:report-download", kwargs={"report_pk": report.pk}))
    assert response["Content-Type"] == "text/csv"
    assert_served_as_an_attachment(response, "appendix.csv", csv)
