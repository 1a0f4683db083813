"""Evidence upload checks: type by content, size limit, archive sanity, safe names."""

import contextlib
import datetime
import hashlib
import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import translation

from core import uploads
from core.uploads import (
    ALLOWED_TYPES,
    AcceptedUpload,
    UploadRejected,
    accept_attribute,
    allowed_extensions_label,
    inspect_upload,
    safe_display_name,
    stored_name,
)
from tests.measures import upload_samples as samples
from tests.measures.upload_samples import upload

OOXML_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def rejected(content, name):
    """Inspect a file that must be refused and return the refusal."""
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(uploaded_file=upload(content, name))
    return caught.value


# --- accepted files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("extension", "content_type", "canonical"),
    [
        ("pdf", "application/pdf", "pdf"),
        ("jpg", "image/jpeg", "jpg"),
        ("jpeg", "image/jpeg", "jpg"),
        ("png", "image/png", "png"),
        ("docx", OOXML_TYPES["docx"], "docx"),
        ("xlsx", OOXML_TYPES["xlsx"], "xlsx"),
        ("pptx", OOXML_TYPES["pptx"], "pptx"),
    ],
)
def test_each_allowed_type_is_accepted(extension, content_type, canonical):
    content = samples.SAMPLES[extension]
    accepted = inspect_upload(uploaded_file=upload(content, f"进展报告.{extension}"))
    assert accepted == AcceptedUpload(
        original_name=f"进展报告.{extension}",
        extension=canonical,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def test_extension_is_matched_case_insensitively():
    assert inspect_upload(uploaded_file=upload(samples.PDF, "REPORT.PDF")).content_type == "application/pdf"


def test_accepted_upload_is_frozen():
    accepted = inspect_upload(uploaded_file=upload(samples.PDF, "a.pdf"))
    with pytest.raises(AttributeError):
        accepted.size = 1


def test_sha256_covers_every_chunk_of_a_multi_chunk_file():
    content = samples.PDF + b"%" + b"x" * (3 * File.DEFAULT_CHUNK_SIZE)
    # A plain File reads in DEFAULT_CHUNK_SIZE pieces; in-memory uploads hand over one.
    uploaded = File(io.BytesIO(content), name="big.pdf")
    assert len(list(uploaded.chunks())) > 1
    accepted = inspect_upload(uploaded_file=uploaded)
    assert accepted.sha256 == hashlib.sha256(content).hexdigest()
    assert accepted.size == len(content)


def test_a_plain_django_file_on_disk_is_accepted(tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(samples.ooxml("xlsx"))
    with path.open("rb") as handle:
        accepted = inspect_upload(uploaded_file=File(handle, name="预算表.xlsx"))
    assert accepted.content_type == OOXML_TYPES["xlsx"]


# --- file position ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name"),
    [(samples.PDF, "a.pdf"), (samples.ooxml("docx"), "a.docx"), (samples.png(), "a.pdf"), (b"x", "a.exe")],
)
def test_file_is_rewound_whether_accepted_or_not(content, name):
    uploaded = upload(content, name)
    uploaded.read(1)
    with contextlib.suppress(UploadRejected):
        inspect_upload(uploaded_file=uploaded)
    assert uploaded.tell() == 0
    assert uploaded.read() == content


# --- size -------------------------------------------------------------------------


def padded_pdf(size):
    """A PDF of exactly `size` bytes; the padding is a PDF comment."""
    return samples.PDF + b"%" + b" " * (size - len(samples.PDF) - 1)


def test_file_of_exactly_the_limit_is_accepted(settings):
    settings.FTZ_EVIDENCE_MAX_BYTES = 1000
    assert inspect_upload(uploaded_file=upload(padded_pdf(1000), "a.pdf")).size == 1000


def test_file_one_byte_over_the_limit_is_rejected(settings):
    settings.FTZ_EVIDENCE_MAX_BYTES = 1000
    error = rejected(padded_pdf(1001), "a.pdf")
    assert error.code == "too_large"


def test_default_limit_is_20_mb_and_the_message_says_so(settings):
    del settings.FTZ_EVIDENCE_MAX_BYTES
    limit = 20 * 1024 * 1024
    assert inspect_upload(uploaded_file=upload(padded_pdf(limit), "a.pdf")).size == limit
    error = rejected(padded_pdf(limit + 1), "a.pdf")
    assert error.code == "too_large"
    with translation.override("en"):
        assert "20 MB" in error.messages[0]


def test_a_file_longer_than_its_declared_size_is_still_caught(settings):
    settings.FTZ_EVIDENCE_MAX_BYTES = 1000
    uploaded = upload(padded_pdf(5000), "a.pdf")
    uploaded.size = 10
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(uploaded_file=uploaded)
    assert caught.value.code == "too_large"


def test_empty_file_is_rejected():
    assert rejected(b"", "a.pdf").code == "empty"


# --- type by content --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (samples.EXE, "a.pdf"),
        (samples.HTML, "a.pdf"),
        (samples.SVG, "a.png"),
        (samples.SVG, "a.svg"),
        (b"just some text", "a.docx"),
        (samples.zip_of({"notes.txt": b"hello"}), "a.docx"),
        (samples.ooxml("docx", content_types=False), "a.docx"),
        (b"PK\x03\x04 not really a zip", "a.docx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.docx"),
    ],
    ids=[
        "exe-as-pdf",
        "html-as-pdf",
        "svg-as-png",
        "svg",
        "text-as-docx",
        "plain-zip-as-docx",
        "ooxml-without-content-types",
        "corrupt-zip",
        "ole2-as-docx",
    ],
)
def test_content_that_is_not_an_allowed_type_is_rejected(content, name):
    assert rejected(content, name).code == "bad_type"


def test_corrupt_zip_on_disk_is_rejected(tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(b"PK\x03\x04\x00")
    with path.open("rb") as handle, pytest.raises(UploadRejected) as caught:
        inspect_upload(uploaded_file=File(handle, name="a.docx"))
    assert caught.value.code == "bad_type"


@pytest.mark.parametrize("name", ["report", "report.exe", "report.svg", "report.docm", "report.", ".pdf.exe"])
def test_unknown_or_missing_extension_is_rejected_listing_allowed_types(name):
    error = rejected(samples.PDF, name)
    assert error.code == "bad_type"
    with translation.override("en"):
        assert ".pdf, .jpg, .png, .docx, .xlsx, .pptx" in error.messages[0]


def test_nul_in_the_name_cannot_hide_the_real_extension():
    uploaded = File(io.BytesIO(samples.PDF), name="report.pdf\x00.exe")
    with pytest.raises(UploadRejected) as caught:
        inspect_upload(uploaded_file=uploaded)
    assert caught.value.code == "bad_type"


def test_png_named_pdf_is_a_type_mismatch_naming_both():
    error = rejected(samples.png(), "a.pdf")
    assert error.code == "type_mismatch"
    with translation.override("en"):
        assert ".pdf" in error.messages[0] and "PNG" in error.messages[0]


@pytest.mark.parametrize(("kind", "name"), [("docx", "a.xlsx"), ("pptx", "a.docx"), ("xlsx", "a.pdf")])
def test_office_files_under_the_wrong_extension_are_a_type_mismatch(kind, name):
    assert rejected(samples.ooxml(kind), name).code == "type_mismatch"


def test_jpeg_named_png_is_a_type_mismatch():
    assert rejected(samples.JPEG, "photo.png").code == "type_mismatch"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (samples.png() + b"<html><script>alert(1)</script></html>", "a.png"),
        (samples.JPEG[:-2] + b"<SCRIPT>alert(1)</SCRIPT>" + b"\xff\xd9", "a.jpg"),
        (samples.PDF.replace(b"%%EOF", b"<svg onload=alert(1)>\n%%EOF"), "a.pdf"),
    ],
    ids=["png-html", "jpeg-script-upper-case", "pdf-svg"],
)
def test_markup_polyglots_are_rejected(content, name):
    assert rejected(content, name).code == "bad_type"


def test_markup_beyond_the_first_kilobyte_is_refused_too():
    # Issue 14: the whole file is searched, in the pass that hashes it, not only its first KiB.
    content = samples.PDF + b"%" + b" " * 2000 + b"<html>"
    assert rejected(content, "a.pdf").code == "bad_type"
    assert rejected(samples.png() + b"\0" * 70_000 + b"<svg/onload=alert(1)>", "a.png").code == "bad_type"


def test_a_marker_name_inside_binary_data_is_not_markup():
    content = samples.PDF + b"%" + b"<svgz" + b" " * 10 + b"<scripts"
    assert inspect_upload(uploaded_file=upload(content, "a.pdf")).content_type == "application/pdf"


# --- archives ---------------------------------------------------------------------


def test_zip_bomb_is_rejected():
    bomb = samples.zip_bomb()
    assert len(bomb) < 1024 * 1024
    assert rejected(bomb, "a.docx").code == "archive_bomb"


def test_archive_with_too_many_members_is_rejected():
    extra = {f"word/media/{i}.xml": b"" for i in range(uploads.MAX_ZIP_MEMBERS)}
    assert rejected(samples.ooxml("docx", extra=extra), "a.docx").code == "archive_bomb"


def test_archive_too_large_in_total_is_rejected(monkeypatch):
    # Hitting the real 200 MB total without also tripping the ratio check would need
    # 200 MB of incompressible data; a lower limit tests the same rule.
    monkeypatch.setattr(uploads, "MAX_ZIP_TOTAL_BYTES", 100)
    extra = {"word/media/image1.bin": bytes(range(256))}
    assert rejected(samples.ooxml("docx", extra=extra), "a.docx").code == "archive_bomb"


def test_member_compressing_well_below_the_floor_is_fine():
    extra = {"word/styles.xml": b"<styles>" + b" " * (1024 * 1024 - 17) + b"</styles>"}
    assert inspect_upload(uploaded_file=upload(samples.ooxml("docx", extra=extra), "a.docx"))


@pytest.mark.parametrize(
    "member", ["../evil", "word/../../evil.xml", "/etc/passwd", "..\\..\\evil.exe", "C:/evil.exe"]
)
def test_archive_member_escaping_the_directory_is_rejected(member):
    content = samples.ooxml("docx", extra={member: b"x"})
    assert rejected(content, "a.docx").code == "bad_name"


def test_archive_with_duplicate_member_names_is_rejected():
    buffer = io.BytesIO(samples.ooxml("docx"))
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/document.xml", b"<other/>")
    assert rejected(buffer.getvalue(), "a.docx").code == "bad_name"


@pytest.mark.parametrize(
    ("kind", "macro_part", "name"),
    [
        ("docx", "word/vbaProject.bin", "a.docx"),
        ("pptx", "ppt/VBAPROJECT.BIN", "a.pptx"),
        ("xlsx", "xl/vbaProject.bin", "a.xlsx"),
        ("xlsx", "xl/macrosheets/sheet1.xml", "a.xlsx"),
        ("docx", "word/vbaProject.bin", "a.docm"),
    ],
)
def test_macro_enabled_office_files_are_rejected(kind, macro_part, name):
    content = samples.ooxml(kind, extra={macro_part: b"\xd0\xcf\x11\xe0"})
    assert rejected(content, name).code == "bad_type"


def test_archive_claiming_two_document_kinds_is_rejected():
    content = samples.ooxml("docx", extra={"xl/workbook.xml": b"<workbook/>"})
    assert rejected(content, "a.docx").code == "bad_type"


# --- errors -----------------------------------------------------------------------


def test_rejection_is_a_validation_error_with_a_code_in_either_language():
    assert issubclass(UploadRejected, ValidationError)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            error = rejected(samples.png(), "a.pdf")
            assert error.code == "type_mismatch"
            # Params are filled in, not left as "%(extension)s".
            assert "%(" not in error.messages[0]


# --- display names ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\evil.docx", "evil.docx"),
        ("C:\\temp\\a.pdf", "a.pdf"),
        ("/etc/passwd", "passwd"),
        (".htaccess", "file.htaccess"),
        ("...hidden.pdf", "hidden.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("a\x1b[31mred.pdf", "a[31mred.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  two \t\n  words .pdf", "two words.pdf"),
        ("report.pdf. . ", "report.pdf"),
        ('a<b>:c"d|e?f*.pdf', "a_b__c_d_e_f_.pdf"),
        ("报告（终稿）.pdf", "报告（终稿）.pdf"),
        ("天津自贸区 2026年 第一季度.xlsx", "天津自贸区 2026年 第一季度.xlsx"),
        ("", "file"),
        ("../", "file"),
        ("\x00\x00", "file"),
        (".pdf", "file.pdf"),
        ("  ../ .pdf", "file.pdf"),
    ],
)
def test_safe_display_name(name, expected):
    assert safe_display_name(name) == expected


def test_decomposed_names_from_macos_are_normalised():
    assert safe_display_name("cafe\u0301.pdf") == "caf\u00e9.pdf"


@pytest.mark.parametrize("stem", ["a" * 300, "进展报告" * 100])
def test_long_names_are_cut_to_150_keeping_the_extension(stem):
    name = safe_display_name(f"{stem}.docx")
    assert len(name) == 150
    assert name.endswith(".docx") and name.startswith(stem[:10])


def test_long_name_without_a_real_extension_is_simply_cut():
    name = safe_display_name("a." + "b" * 300)
    assert name == ("a." + "b" * 300)[:150]


# --- stored names -----------------------------------------------------------------


def test_stored_name_is_a_dated_uuid_path(monkeypatch):
    moment = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(uploads.timezone, "now", lambda: moment)
    name = stored_name(extension="pdf")
    assert re.fullmatch(r"evidence/2026/11/[0-9a-f]{32}\.pdf", name)


@pytest.mark.parametrize(("extension", "suffix"), [(".PDF", ".pdf"), ("jpeg", ".jpg"), ("xlsx", ".xlsx")])
def test_stored_name_uses_the_canonical_extension(extension, suffix):
    assert stored_name(extension=extension).endswith(suffix)


def test_stored_names_are_unique():
    names = {stored_name(extension="png") for _ in range(1000)}
    assert len(names) == 1000


@pytest.mark.parametrize("extension", ["html", "svg", "", "pdf/../../x"])
def test_stored_name_refuses_extensions_that_are_not_allowed(extension):
    with pytest.raises(ValueError):
        stored_name(extension=extension)


def test_stored_name_takes_the_extension_of_an_accepted_upload():
    accepted = inspect_upload(uploaded_file=upload(samples.JPEG, "photo.JPEG"))
    assert stored_name(extension=accepted.extension).endswith(".jpg")


# --- allowed types ----------------------------------------------------------------


def test_allowed_types():
    assert dict(ALLOWED_TYPES) == {
        "pdf": "application/pdf",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        **OOXML_TYPES,
    }
    with pytest.raises(TypeError):
        ALLOWED_TYPES["svg"] = "image/svg+xml"


def test_allowed_extensions_label():
    assert allowed_extensions_label() == ".pdf, .jpg, .png, .docx, .xlsx, .pptx"


def test_accept_attribute_lets_pickers_show_jpeg_files():
    assert accept_attribute() == ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.pptx"
