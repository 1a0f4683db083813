"""Active content in Office files: what core.uploads checks inside a DOCX, XLSX or PPTX after
its directory (names, member count, declared sizes) passed.

Every part is read, once and streamed, within the same budget of inflated bytes as the
directory check, so a part whose data is larger or smaller than its declared size (Python's
zipfile then fails its CRC) or whose local header disagrees with the directory is refused, as
are overlapping parts. On the way:

- the content types ([Content_Types].xml, defaults and overrides) may name no macro-enabled
  document, VBA project or data, macro or dialog sheet, ActiveX control, OLE object, key-map or
  toolbar customisation;
- the relationships (every .rels part) may have no such type either, no attached template other
  than a .dotx/.dot on a local drive (C:\\…; remote, UNC and .dotm templates are refused), and no
  other external target than a hyperlink (frames, images, linked workbooks, OLE links);
- Word parts may hold no DDE or DDEAUTO field; worksheets must be worksheets (an Excel 4 macro
  sheet under worksheets/ is refused), their formulas may hold no DDE reference (cmd|'...'!A1)
  and external-link parts no DDE or OLE link;
- a part that is itself an archive or a compound (OLE) file is refused, whatever its name (a
  renamed vbaProject.bin is an OLE file), except an embedded Office document (the workbook behind
  a chart), which is checked like the file itself, one level deep.

What is not checked (README, "Evidence"): scripts inside embedded SVG images (Office does not run
them), field codes other than DDE (INCLUDETEXT, INCLUDEPICTURE with a local path), customUI
ribbon XML without VBA, and the meaning of anything an Office program shows as text.
"""

import io
import re
import struct
import zipfile
import zlib

from django.utils.translation import gettext as _
from lxml import etree

from . import uploads

READ_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_ZIP64_MARK = 0xFFFFFFFF

# Archives and compound files. A ZIP may be an embedded Office document; the others never are
# anything this app accepts (OLE compound files carry VBA projects, OLE objects and ActiveX).
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_OTHER_CONTAINERS = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE compound file
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",  # gzip
    b"MSCF\0\0\0\0",  # cabinet
)
_SIGNATURE_BYTES = 8

_FORBIDDEN_CONTENT_TYPE = re.compile(
    r"macroenabled|vbaproject|vbadata|macrosheet|dialogsheet|activex|oleobject|keymapcustomizations"
    r"|attachedtoolbars|ms-excel\.addin",
    re.IGNORECASE,
)
_FORBIDDEN_RELATIONSHIPS = frozenset(
    {
        "vbaproject",
        "vbaprojectsignature",
        "vbaprojectsignatureagile",
        "vbaprojectsignaturev3",
        "wordvbadata",
        "keymapcustomizations",
        "attachedtoolbars",
        "oleobject",
        "activex",
        "activexcontrolbinary",
        "control",
        "xlmacrosheet",
        "xlintlmacrosheet",
        "dialogsheet",
    }
)
# A document made from a template on the author's own disk names it (Word writes the path of a
# 公文模板.dotx into every such file); a template anywhere else is fetched when the file is opened
# (remote template injection, or an SMB share leaking the reader's credentials), and a .dotm one
# brings its macros.
_LOCAL_TEMPLATE = re.compile(r"(?:file:///?)?[A-Za-z]:[\\/][^?#]*\.dotx?", re.IGNORECASE)
_EXTERNAL_ALLOWED = frozenset({"hyperlink"})
_DDE_FIELD = re.compile(r"\bDDE(?:AUTO)?\b", re.IGNORECASE)
_FORMULA_STRING = re.compile(r'"[^"]*"')
_WORD_PART = re.compile(r"word/.+\.xml", re.IGNORECASE)
_SHEET_PART = re.compile(r"xl/worksheets/.+\.xml", re.IGNORECASE)
_EXTERNAL_LINK_PART = re.compile(r"xl/externallinks/.+\.xml", re.IGNORECASE)


def _active_content():
    return uploads.UploadRejected(
        _(
            "The file contains macros, embedded objects, external links or other active content, so it "
            "cannot be accepted. Save it without them (or as a PDF) and upload it again."
        ),
        code="active_content",
    )


def _nested_archive():
    return uploads.UploadRejected(
        _("The file contains another archive or a compound file, so it cannot be accepted."),
        code="nested_archive",
    )


def _damaged():
    return uploads.UploadRejected(
        _("The file is damaged: its parts do not match its table of contents, so it cannot be accepted."),
        code="damaged",
    )


class _Budget:
    """Inflated bytes and parts read so far, the nested documents' included."""

    def __init__(self):
        self.bytes = 0
        self.parts = 0

    def spend(self, n):
        self.bytes += n
        if self.bytes > uploads.MAX_ZIP_TOTAL_BYTES:
            raise uploads._archive_bomb()


class _Part:
    """A part's bytes, inflated here rather than by zipfile, so that its declared size, CRC and
    the end of its compressed data are all checked: zipfile stops at the declared size, where
    another reader would go on inflating. What is read is charged to the budget; the first bytes
    are kept for the signature checks."""

    def __init__(self, raw, member, start, budget):
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or member.flag_bits & 0x01:
            raise _damaged()  # Office writes only stored or deflated, unencrypted parts
        self.raw, self.member, self.budget = raw, member, budget
        self.position, self.left = start, member.compress_size
        self.inflater = zlib.decompressobj(-15) if member.compress_type == zipfile.ZIP_DEFLATED else None
        self.size, self.crc, self.head, self.pending = 0, 0, b"", b""

    def _packed(self):
        if not self.left:
            return b""
        self.raw.seek(self.position)
        data = self.raw.read(min(READ_CHUNK, self.left))
        if not data:
            raise _damaged()
        self.position += len(data)
        self.left -= len(data)
        return data

    def read(self, n=READ_CHUNK):
        n = READ_CHUNK if n is None or n < 0 else min(n, READ_CHUNK)
        data = b""
        while not data:
            if self.inflater is None:
                data = self._packed()
            else:
                packed = self.inflater.unconsumed_tail or self._packed()
                # With no input left, inflating may still hold output back under the size cap.
                data = self.inflater.decompress(packed, n) if packed or not self.inflater.eof else b""
                if self.inflater.unused_data:
                    raise _damaged()  # compressed data past the end of the stream
            if not data and (self.left == 0 and not (self.inflater and self.inflater.unconsumed_tail)):
                self._finish()
                return b""
        self.size += len(data)
        if self.size > self.member.file_size:
            raise _damaged()  # more data than declared
        self.budget.spend(len(data))
        self.crc = zlib.crc32(data, self.crc)
        if len(self.head) < _SIGNATURE_BYTES:
            self.head += data[: _SIGNATURE_BYTES - len(self.head)]
        return data

    def _finish(self):
        ended = self.inflater is None or self.inflater.eof
        if not ended or self.size != self.member.file_size or self.crc != self.member.CRC:
            raise _damaged()


def check_office_content(uploaded_file):
    """Raise UploadRejected when the Office file carries active content (see the module's doc)."""
    try:
        _check_package(uploaded_file, _Budget(), depth=0)
    except uploads.UploadRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, etree.XMLSyntaxError):
        raise _damaged() from None


def _check_package(raw, budget, *, depth):
    with zipfile.ZipFile(raw) as archive:
        members = archive.infolist()
        start_dir = archive.start_dir
    budget.parts += len(members)
    if budget.parts > uploads.MAX_ZIP_MEMBERS:
        raise uploads._archive_bomb()
    uploads._check_archive_size(members)
    uploads._check_member_names(members)
    names = {member.filename for member in members}
    if uploads._has_macros(names):
        raise _active_content()
    if uploads._OOXML_CONTENT_TYPES not in names or not any(m in names for m in uploads._OOXML_MARKERS):
        raise _nested_archive()
    starts = _check_local_headers(raw, start_dir, members)
    parts = [(member, _Part(raw, member, starts[member.header_offset], budget)) for member in members]
    # The content types first: they say what every other part is.
    for member, part in parts:
        if member.filename == uploads._OOXML_CONTENT_TYPES:
            _check_content_types(_elements(part))
    for member, part in parts:
        if member.filename != uploads._OOXML_CONTENT_TYPES and not member.is_dir():
            _check_part(member.filename, part, budget, depth=depth)


def _check_local_headers(raw, start_dir, members):
    """Each part's local header agrees with the directory, and no two parts share bytes; the
    offset of each part's data, by its header's offset."""
    spans, starts = [], {}
    for member in members:
        raw.seek(member.header_offset)
        header = raw.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise _damaged()
        signature, _v1, _v2, flags, method, _time, _date, crc, packed, size, name_len, extra_len = (
            _LOCAL_HEADER.unpack(header)
        )
        if signature != b"PK\x03\x04" or method != member.compress_type:
            raise _damaged()
        if raw.read(name_len).decode("utf-8" if flags & 0x800 else "cp437", "replace") != member.filename:
            raise _damaged()
        # Bit 3: sizes and CRC follow the data instead; ZIP64 keeps them in the extra field.
        described = not flags & 0x08 and _ZIP64_MARK not in (packed, size)
        if described and (crc, packed, size) != (member.CRC, member.compress_size, member.file_size):
            raise _damaged()
        start = member.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        starts[member.header_offset] = start
        spans.append((member.header_offset, start + member.compress_size))
    spans.sort()
    for (_start, end), (next_start, _end) in zip(spans, spans[1:], strict=False):
        if next_start < end:
            raise _damaged()
    if spans and spans[-1][1] > start_dir:
        raise _damaged()
    return starts


def _iterparse(stream, events=("start", "end"), tag=None):
    return etree.iterparse(
        stream,
        events=events,
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )


def _local(tag):
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _elements(part):
    """Every element of a small part (content types, relationships), read to its end."""
    elements = [element for event, element in _iterparse(part) if event == "end"]
    while part.read(READ_CHUNK):
        pass  # whatever follows the root still has to inflate to the declared size
    return elements


def _check_content_types(elements):
    for element in elements:
        declared = _local(element.tag) in ("Default", "Override")
        if declared and _FORBIDDEN_CONTENT_TYPE.search(element.get("ContentType", "")):
            raise _active_content()


def _check_relationships(elements):
    for element in elements:
        if _local(element.tag) != "Relationship":
            continue
        kind = element.get("Type", "").rstrip("/").rsplit("/", 1)[-1].lower()
        if kind in _FORBIDDEN_RELATIONSHIPS:
            raise _active_content()
        if kind == "attachedtemplate":
            if not _LOCAL_TEMPLATE.fullmatch(element.get("Target", "").strip()):
                raise _active_content()
            continue
        external = element.get("TargetMode", "").lower() == "external"
        if external and kind not in _EXTERNAL_ALLOWED:
            raise _active_content()


def _check_part(name, part, budget, *, depth):
    if name.lower().endswith(".rels"):
        _check_relationships(_elements(part))
    elif _WORD_PART.fullmatch(name):
        _check_word_part(part)
    elif _SHEET_PART.fullmatch(name) or _EXTERNAL_LINK_PART.fullmatch(name):
        _check_sheet_part(part, worksheet=_SHEET_PART.fullmatch(name) is not None)
    else:
        first = part.read(_SIGNATURE_BYTES)
        nested = first.startswith(_ZIP_SIGNATURES)
        kept = [first] if nested else []
        while chunk := part.read(READ_CHUNK):
            if nested:
                kept.append(chunk)
        if nested:
            if depth > 0:
                raise _nested_archive()
            _check_package(io.BytesIO(b"".join(kept)), budget, depth=depth + 1)
    if part.head.startswith(_OTHER_CONTAINERS[0]):
        raise _active_content()  # an OLE compound file: a VBA project, OLE object or ActiveX
    if part.head.startswith(_OTHER_CONTAINERS):
        raise _nested_archive()


def _drop(element):
    """Free what has been looked at, so a large part is read in bounded memory."""
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]


def _check_word_part(part):
    instructions = []
    # Only the elements looked at raise events; paragraphs are dropped once read.
    for _event, element in _iterparse(part, ("end",), ("{*}instrText", "{*}fldSimple", "{*}p")):
        tag = _local(element.tag)
        if tag == "instrText":
            instructions.append(element.text or "")
        elif tag == "fldSimple":
            instructions.extend(value for key, value in element.attrib.items() if _local(key) == "instr")
        else:
            _drop(element)
    while part.read(READ_CHUNK):
        pass
    # Word joins a field code split over several runs before reading it.
    if _DDE_FIELD.search("".join(instructions)):
        raise _active_content()


_SHEET_TAGS = ("{*}f", "{*}row", "{*}ddeLink", "{*}oleLink", "{*}oleObjects", "{*}controls")


def _check_sheet_part(part, *, worksheet):
    events = _iterparse(part, ("end",), _SHEET_TAGS)
    for _event, element in events:
        tag = _local(element.tag)
        if tag in ("ddeLink", "oleLink", "oleObjects", "controls"):
            raise _active_content()
        if tag == "f" and "|" in _FORMULA_STRING.sub("", element.text or ""):
            raise _active_content()
        if tag == "row":
            _drop(element)
    # An Excel 4 macro sheet filed under worksheets/ is told by its root element.
    if worksheet and _local(events.root.tag) != "worksheet":
        raise _active_content()
    while part.read(READ_CHUNK):
        pass
