"""Tiny but genuine sample files for upload tests, built in code so no binaries live in the repo."""

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n"
    b"%%EOF\n"
)

# A JFIF header and end-of-image marker: enough for any sniffer, not a decodable picture.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program"

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"

SVG = (
    b'<?xml version="1.0"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
    b"<script>alert(document.cookie)</script></svg>"
)

OOXML_MAIN_PARTS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def png():
    """A 1x1 black greyscale PNG with correct chunk CRCs."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def zip_of(members):
    """A deflated ZIP of {name: bytes}; names are written as given, "../" and all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ooxml(kind, *, extra=None, content_types=True):
    """A minimal DOCX/XLSX/PPTX: the content-types part, the main part and any `extra` parts."""
    members = {"[Content_Types].xml": _CONTENT_TYPES} if content_types else {}
    members[OOXML_MAIN_PARTS[kind]] = b'<?xml version="1.0"?><root/>'
    members.update(extra or {})
    return zip_of(members)


def zip_bomb(*, inflated_bytes=50 * 1024 * 1024):
    """A DOCX-shaped ZIP whose one big member is zeros, written a megabyte at a time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with archive.open("word/document.xml", "w") as member:
            zeros = b"\0" * (1024 * 1024)
            for _ in range(inflated_bytes // len(zeros)):
                member.write(zeros)
    return buffer.getvalue()


SAMPLES = {
    "pdf": PDF,
    "jpg": JPEG,
    "jpeg": JPEG,
    "png": png(),
    "docx": ooxml("docx"),
    "xlsx": ooxml("xlsx"),
    "pptx": ooxml("pptx"),
}


def upload(content, name):
    return SimpleUploadedFile(name, content)
