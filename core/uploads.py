"""Checks on evidence files before the evidence service stores them.

Pure functions, no models: `inspect_upload` decides whether a file may be kept and
returns what the service needs to record; `safe_display_name` and `stored_name` give
the two names a stored file has. The type is decided by the file's content, because
an extension is only a claim made by whoever uploaded the file.
"""

import hashlib
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from types import MappingProxyType

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

# Read-only so no caller can widen the list at run time.
ALLOWED_TYPES = MappingProxyType(
    {"pdf": PDF, "jpg": JPEG, "jpeg": JPEG, "png": PNG, "docx": DOCX, "xlsx": XLSX, "pptx": PPTX}
)

# One extension per type, so stored files of one type all end the same way.
CANONICAL_EXTENSIONS = MappingProxyType(
    {PDF: "pdf", JPEG: "jpg", PNG: "png", DOCX: "docx", XLSX: "xlsx", PPTX: "pptx"}
)

_TYPE_LABELS = {
    PDF: gettext_lazy("a PDF document"),
    JPEG: gettext_lazy("a JPEG image"),
    PNG: gettext_lazy("a PNG image"),
    DOCX: gettext_lazy("a Word document (.docx)"),
    XLSX: gettext_lazy("an Excel workbook (.xlsx)"),
    PPTX: gettext_lazy("a PowerPoint presentation (.pptx)"),
}

SNIFF_BYTES = 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ZIP_SIGNATURE = b"PK\x03\x04"

# Browsers render these if a file is ever served inline or with a guessed type, so a
# PDF or image that also carries them anywhere (not only in its first KiB) is treated as an
# attack, not as evidence. The character after the name keeps random binary from matching.
_MARKUP = re.compile(rb"<(?:script|html|svg)[\s>/]", re.IGNORECASE)
_MARKUP_OVERLAP = 16

# An OOXML file is a ZIP whose root part names its kind; the evidence is never unpacked
# here, but previews and virus scanners downstream will, so the archive has to be sane.
_OOXML_MARKERS = {
    "word/document.xml": DOCX,
    "xl/workbook.xml": XLSX,
    "ppt/presentation.xml": PPTX,
}
_OOXML_CONTENT_TYPES = "[Content_Types].xml"
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
ZIP_RATIO_FLOOR_BYTES = 1024 * 1024


class UploadRejected(ValidationError):
    """A file that must not be stored; `code` says why, the message says it to the user.

    A ValidationError so forms show it next to the file field without extra handling.
    """


@dataclass(frozen=True)
class AcceptedUpload:
    """What the evidence service records about a file `inspect_upload` let through.

    `extension` is the canonical one for the content ("jpg" for .jpeg too) and is
    what `stored_name` expects; `size` is the number of bytes actually read.
    """

    original_name: str
    extension: str
    content_type: str
    size: int
    sha256: str


def allowed_extensions_label() -> str:
    """The accepted types, one extension each, for help text next to a file field."""
    return ", ".join(f".{ext}" for ext in CANONICAL_EXTENSIONS.values())


def accept_attribute() -> str:
    """Every accepted extension for an <input accept=...>.

    Unlike the label it includes ".jpeg": file pickers filter by extension, and would
    otherwise grey out JPEGs saved under the longer name.
    """
    return ",".join(f".{ext}" for ext in ALLOWED_TYPES)


def max_upload_bytes() -> int:
    """The size limit, read on every call so settings overrides apply without a restart."""
    return getattr(settings, "FTZ_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES)


def inspect_upload(*, uploaded_file) -> AcceptedUpload:
    """Accept or reject an evidence file; raises UploadRejected, returns AcceptedUpload.

    Cheap checks on what the file claims (size, name) come first so an obviously wrong
    file is refused before it is read. The file is left at position 0 either way, so
    the caller can save it straight after.
    """
    original_name = safe_display_name(uploaded_file.name or "")
    limit = max_upload_bytes()
    try:
        _check_size(uploaded_file.size, limit)
        declared_type = _declared_type(original_name)
        size, sha256, markup = _hash_contents(uploaded_file, limit)
        uploaded_file.seek(0)
        try:
            actual_type = _sniff(uploaded_file, markup=markup)
        except UploadRejected as error:
            if error.code != "bad_type":
                raise
            # The name promises an accepted type the content does not deliver (an .exe
            # renamed .pdf): say so, rather than list .pdf among the accepted types.
            raise UploadRejected(
                _("The file is named .%(extension)s, but its content is not %(expected)s."),
                code="bad_type",
                params={"extension": _extension(original_name), "expected": _TYPE_LABELS[declared_type]},
            ) from None
    finally:
        uploaded_file.seek(0)
    if actual_type != declared_type:
        raise UploadRejected(
            _("The file name says .%(extension)s, but the file is %(actual)s."),
            code="type_mismatch",
            params={"extension": _extension(original_name), "actual": _TYPE_LABELS[actual_type]},
        )
    return AcceptedUpload(
        original_name=original_name,
        extension=CANONICAL_EXTENSIONS[actual_type],
        content_type=actual_type,
        size=size,
        sha256=sha256,
    )


def _check_size(size, limit):
    if size == 0:
        raise UploadRejected(_("The file is empty."), code="empty")
    if size > limit:
        raise _too_large(limit)


def _too_large(limit):
    # Three significant figures: "20" for the default, and a small limit still shows
    # as a number rather than "0".
    return UploadRejected(
        _("The file is larger than %(limit)s MB, the most that can be uploaded."),
        code="too_large",
        params={"limit": f"{limit / (1024 * 1024):.3g}"},
    )


def _extension(name):
    return _split_extension(name)[1][1:].lower()


def _declared_type(name):
    content_type = ALLOWED_TYPES.get(_extension(name))
    if content_type is None:
        raise _bad_type()
    return content_type


def _bad_type():
    return UploadRejected(
        _("This type of file is not accepted. Accepted types: %(allowed)s."),
        code="bad_type",
        params={"allowed": allowed_extensions_label()},
    )


def _hash_contents(uploaded_file, limit):
    """SHA-256 and true length, one chunk at a time so a large file never sits in memory.

    The length counted here, not `.size`, is what counts: `.size` comes from whoever
    built the file object and is only trusted for the early, cheap refusal.
    """
    digest = hashlib.sha256()
    size = 0
    tail = b""
    markup = False
    for chunk in uploaded_file.chunks():
        size += len(chunk)
        # Stop at the limit rather than read however much a lying `.size` hid.
        if size > limit:
            raise _too_large(limit)
        digest.update(chunk)
        # Markup anywhere in the file, found in the same pass (a marker may straddle chunks).
        markup = markup or _MARKUP.search(tail + chunk) is not None
        tail = chunk[-_MARKUP_OVERLAP:]
    _check_size(size, limit)
    return size, digest.hexdigest(), markup


def _sniff(uploaded_file, *, markup=False):
    """The MIME type the leading bytes prove, or UploadRejected(bad_type). `markup`: whether
    markup was found anywhere in the file (it only matters for what is not a ZIP)."""
    head = uploaded_file.read(SNIFF_BYTES)
    if head.startswith(_ZIP_SIGNATURE):
        # A PDF reader looks for "%PDF-" anywhere in the first KiB: a ZIP that holds it there
        # opens as a PDF too.
        if b"%PDF-" in head:
            raise _polyglot()
        uploaded_file.seek(0)
        return _ooxml_type(uploaded_file)
    if head.startswith(b"%PDF-"):
        content_type = PDF
    elif head.startswith(_PNG_SIGNATURE):
        content_type = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        content_type = JPEG
    else:
        raise _bad_type()
    if markup:
        raise _bad_type()
    # ZIP readers look for the archive's directory at the end of a file: a PDF or an image with
    # an archive appended is both, and the archive is never checked as evidence.
    uploaded_file.seek(0)
    if zipfile.is_zipfile(uploaded_file):
        raise _polyglot()
    return content_type


def _polyglot():
    return UploadRejected(
        _("The file can also be read as another kind of file, so it cannot be accepted."),
        code="polyglot",
    )


def _ooxml_type(uploaded_file):
    """DOCX, XLSX or PPTX from the archive's directory alone; nothing is decompressed."""
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError):
        raise _bad_type() from None
    _check_archive_size(members)
    _check_member_names(members)
    names = {member.filename for member in members}
    if _has_macros(names) or _OOXML_CONTENT_TYPES not in names:
        raise _bad_type()
    kinds = {content_type for marker, content_type in _OOXML_MARKERS.items() if marker in names}
    # Two main parts means no single program would open it as the same document.
    if len(kinds) != 1:
        raise _bad_type()
    uploaded_file.seek(0)
    # Imported here: office_content needs _archive_bomb and UploadRejected from this module.
    from .office_content import check_office_content

    check_office_content(uploaded_file)
    return kinds.pop()


def _check_archive_size(members):
    """Refuse archives that would swamp whatever unpacks them later.

    Declared sizes are what an extractor will honour: Python's zipfile, for one, stops
    reading a member at its declared size.
    """
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_TOTAL_BYTES:
        raise _archive_bomb()
    for member in members:
        if (
            member.file_size > ZIP_RATIO_FLOOR_BYTES
            and member.file_size > MAX_ZIP_RATIO * member.compress_size
        ):
            raise _archive_bomb()


def _archive_bomb():
    return UploadRejected(
        _("The file unpacks to far more data than it holds, so it cannot be accepted."),
        code="archive_bomb",
    )


def _check_member_names(members):
    """Refuse paths that would escape a directory if anything ever extracts the archive."""
    names = [member.filename for member in members]
    # Duplicates let two readers see two different documents in the same file.
    unsafe = len(set(names)) != len(names) or any(_is_unsafe_member(name) for name in names)
    if unsafe:
        raise UploadRejected(
            _("The file contains a part with an unsafe name, so it cannot be accepted."),
            code="bad_name",
        )


def _is_unsafe_member(name):
    parts = name.replace("\\", "/").split("/")
    absolute = name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) is not None
    return absolute or ".." in parts


def _has_macros(names):
    """VBA projects and Excel 4 macro sheets: code that runs when the file is opened."""
    lowered = [name.lower() for name in names]
    return any(
        name.rsplit("/", 1)[-1] == "vbaproject.bin" or name.startswith("xl/macrosheets/") for name in lowered
    )


MAX_DISPLAY_NAME = 150
# Longer "extensions" are just a name with a dot in it, and are cut like the rest.
_MAX_EXTENSION = 16
# Illegal in Windows file names, where most downloads end up.
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')


def safe_display_name(name: str) -> str:
    """The uploader's file name made safe to show and to offer back as a download name.

    Directory parts go (whichever separator the uploader's OS used), as do control and
    invisible formatting characters, which can hide a real extension (U+202E) or cut a
    name short (NUL). Leading dots would make a hidden file on download. CJK and other
    letters are kept as they are. Never empty: a name with nothing left is "file".
    """
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    # Whitespace controls (tab, newline) become spaces rather than vanish, so words
    # they separated stay apart.
    name = "".join(ch for ch in name if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = re.sub(r"\s+", " ", name)
    name = _WINDOWS_RESERVED.sub("_", name)
    # Windows drops trailing dots and spaces, which would turn "a.pdf." into "a.pdf".
    name = name.strip(" ").rstrip(". ")
    stem, extension = _split_extension(name)
    stem = stem.lstrip(". ")
    if not stem:
        return f"file{extension}"
    return stem[: MAX_DISPLAY_NAME - len(extension)].rstrip(" ") + extension


def _split_extension(name):
    stem, dot, extension = name.rpartition(".")
    if not dot or not extension or len(extension) > _MAX_EXTENSION or " " in extension:
        return name, ""
    return stem, f".{extension}"


def stored_name(*, extension: str) -> str:
    """A fresh relative storage path such as "evidence/2026/11/<uuid4 hex>.pdf".

    Nothing the uploader chose appears in it, so no upload can overwrite another or
    pick its own path. The year/month come from UTC, so a change of TIME_ZONE never
    moves where a new file lands relative to older ones.
    """
    extension = extension.lower().lstrip(".")
    if extension not in ALLOWED_TYPES:
        raise ValueError(f"not an evidence file extension: {extension!r}")
    extension = CANONICAL_EXTENSIONS[ALLOWED_TYPES[extension]]
    now = timezone.now()
    return f"evidence/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{extension}"
