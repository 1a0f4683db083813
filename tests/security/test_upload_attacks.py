"""Hostile evidence files posted through the real upload view, multipart body and all.

Each is either refused (400, nothing stored, no orphan file) or stored under a name the server
chose and only ever served as an attachment with nosniff and the sandbox CSP. The bodies are built
by hand so that the file name reaches Django exactly as an attacker would send it (the test
client would strip directory parts itself).
"""

import re
import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from core.uploads import ALLOWED_TYPES, DEFAULT_MAX_BYTES
from measures.models import Evidence
from tests.helpers import drain
from tests.measures.upload_samples import HTML, PDF, SVG, png, zip_bomb

HTML_PAYLOAD = b"<html><body><script>alert(document.cookie)</script></body></html>"
STORED_NAME = re.compile(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png|docx|xlsx|pptx)")


def multipart(filename, content, content_type):
    boundary = f"ftz-{uuid.uuid4().hex}"
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n'.encode(),
            "进展材料\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode(),
            f"Content-Type: {content_type}\r\n\r\n".encode(),
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return body, f"multipart/form-data; boundary={boundary}"


def stored_files(root):
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def upload(client, world, filename, content, content_type):
    client.force_login(world.officer)
    body, content_type_header = multipart(filename, content, content_type)
    url = reverse("measures:evidence-add-file", args=[world.zone.code, world.task.number, world.period.pk])
    return client.post(url, data=body, content_type=content_type_header)


def assert_refused(client, world, filename, content, content_type):
    evidence, files = Evidence.objects.count(), stored_files(world.media_root)
    response = upload(client, world, filename, content, content_type)
    assert response.status_code == 400
    assert Evidence.objects.count() == evidence
    assert stored_files(world.media_root) == files  # no orphan left behind either


def assert_stored_safely(client, world, response, files_before):
    assert response.status_code == 302
    evidence = Evidence.objects.filter(report=world.report).latest("pk")
    # Stored under a name the server chose, inside MEDIA_ROOT, and nowhere else.
    assert STORED_NAME.fullmatch(evidence.file.name)
    path = (world.media_root / evidence.file.name).resolve()
    assert path.is_relative_to(world.media_root.resolve())
    assert stored_files(world.media_root) == files_before | {world.media_root / evidence.file.name}
    # The name shown and offered back has no directory part.
    assert "/" not in evidence.original_name and "\\" not in evidence.original_name
    assert not evidence.original_name.startswith(".")
    assert evidence.content_type in set(ALLOWED_TYPES.values())
    assert_served_safely(client, evidence)
    return evidence


def assert_served_safely(client, evidence):
    response = client.get(reverse("measures:evidence-download", args=[evidence.pk]))
    drain(response)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "/" not in response["Content-Disposition"].split("filename", 1)[1]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Content-Type"] == evidence.content_type


def test_one_byte_over_the_real_limit_is_refused(client, world):
    limit = settings.FTZ_EVIDENCE_MAX_BYTES
    assert limit == DEFAULT_MAX_BYTES
    content = PDF + b"\n" * (limit + 1 - len(PDF))
    assert_refused(client, world, "大文件.pdf", content, "application/pdf")


def test_the_limit_is_exact_to_the_byte(client, world, settings):
    settings.FTZ_EVIDENCE_MAX_BYTES = 4096
    assert_refused(client, world, "over.pdf", PDF + b"\n" * (4097 - len(PDF)), "application/pdf")
    files = stored_files(world.media_root)
    response = upload(client, world, "at.pdf", PDF + b"\n" * (4096 - len(PDF)), "application/pdf")
    assert assert_stored_safely(client, world, response, files).size == 4096


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("photo.png", png() + HTML_PAYLOAD, "image/png"),  # PNG header, HTML right after it
        ("photo.png", HTML_PAYLOAD + png(), "image/png"),
        ("logo.svg", SVG, "image/svg+xml"),
        ("logo.png", SVG, "image/png"),
        ("report.pdf", HTML, "application/pdf"),
        (
            "report.pdf",
            b"%PDF-1.4\n" + HTML_PAYLOAD,
            "application/pdf",
        ),  # PDF header, HTML in the sniffed part
        ("page.html", HTML, "text/html"),
        ("plan.docx", zip_bomb(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("report.pdf.html", PDF, "text/html"),
    ],
    ids=[
        "png-html-polyglot",
        "html-then-png",
        "svg-with-script",
        "svg-named-png",
        "html-named-pdf",
        "pdf-with-html",
        "plain-html",
        "zip-bomb-docx",
        "double-extension",
    ],
)
def test_hostile_files_are_refused(client, world, filename, content, content_type):
    assert_refused(client, world, filename, content, content_type)


def test_markup_deep_inside_an_image_is_at_worst_stored_and_served_inertly(client, world):
    # Past the sniffed head the checker cannot see HTML; what keeps it harmless is how it is served.
    content = png() + b"\0" * 4096 + HTML_PAYLOAD
    files = stored_files(world.media_root)
    response = upload(client, world, "photo.png", content, "text/html")
    if response.status_code == 400:
        assert stored_files(world.media_root) == files
    else:
        evidence = assert_stored_safely(client, world, response, files)
        assert evidence.content_type == "image/png"  # the sniffed type, not the claimed text/html


@pytest.mark.parametrize(
    ("filename", "shown_as"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        # Not decoded by anyone, so only ever a (strange) name; the leading dots go.
        ("..%2F..%2Fetc%2Fpasswd.pdf", "%2F..%2Fetc%2Fpasswd.pdf"),
    ],
    ids=["dot-dot-slash", "backslashes", "absolute", "encoded"],
)
def test_path_traversal_names_only_name_the_download(client, world, filename, shown_as):
    files = stored_files(world.media_root)
    response = upload(client, world, filename, PDF, "application/pdf")
    evidence = assert_stored_safely(client, world, response, files)
    assert evidence.original_name == shown_as
