"""The message formats of the group robots and the generic webhook, and the HTTP call that sends them.

WeCom (企业微信) group robot: POST {"msgtype": "markdown", "markdown": {"content": ...}}, content at
most 4096 bytes; it answers {"errcode": 0, "errmsg": "ok"}. DingTalk (钉钉) custom robot: POST
{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}; with 加签 the URL carries
&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret>, and
it also answers errcode 0 on success. Both robots accept about 20 messages a minute, hence digests.
The generic webhook gets plain JSON: {"title", "text", "items": [{"kind", "level", "title", "url"}]}.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from .choices import ChannelKind

WECOM_MAX_BYTES = 4096
# A digest names this many notices; the rest are counted, and the link leads to the centre.
DIGEST_LINES = 20
TIMEOUT_SECONDS = 10


@dataclass
class Item:
    kind: str
    level: str
    title: str
    url: str


@dataclass
class Outcome:
    ok: bool
    response_code: int | None
    error: str


def absolute(url):
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.FTZ_SITE_URL.rstrip("/") + url


def dingtalk_sign(secret, timestamp_ms):
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def signed_url(url, secret, now=None):
    timestamp_ms = int((now if now is not None else time.time()) * 1000)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def markdown_lines(title, items, more_text):
    lines = [f"### {title}"]
    for item in items[:DIGEST_LINES]:
        marker = {"blue": "🔵 ", "yellow": "🟡 ", "red": "🔴 "}.get(item.level, "- ")
        link = absolute(item.url)
        lines.append(f"{marker}[{item.title}]({link})" if link else f"{marker}{item.title}")
    if len(items) > DIGEST_LINES:
        lines.append(more_text % {"count": len(items) - DIGEST_LINES})
    return lines


def fit_bytes(text, limit):
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "…"


def payload(kind, *, title, items, more_text="… %(count)s more"):
    if kind == ChannelKind.WECOM:
        content = "\n".join(markdown_lines(title, items, more_text))
        return {"msgtype": "markdown", "markdown": {"content": fit_bytes(content, WECOM_MAX_BYTES)}}
    if kind == ChannelKind.DINGTALK:
        return {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": "\n\n".join(markdown_lines(title, items, more_text))},
        }
    return {
        "title": title,
        "text": "\n".join(item.title for item in items[:DIGEST_LINES]),
        "count": len(items),
        "items": [
            {"kind": item.kind, "level": item.level, "title": item.title, "url": absolute(item.url)}
            for item in items
        ],
    }


def post(channel, body):
    """Send `body` to `channel`; a robot's errcode counts as a failure even behind HTTP 200."""
    url = channel.url
    if channel.kind == ChannelKind.DINGTALK and channel.secret:
        url = signed_url(url, channel.secret)
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            code = response.status
            text = response.read(65536).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return Outcome(False, error.code, f"HTTP {error.code}: {error.read(2000).decode(errors='replace')}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return Outcome(False, None, str(getattr(error, "reason", error))[:2000])
    if channel.kind in (ChannelKind.WECOM, ChannelKind.DINGTALK):
        try:
            answer = json.loads(text)
        except ValueError:
            return Outcome(False, code, f"not a robot's answer: {text[:500]}")
        if answer.get("errcode", 0) != 0:
            return Outcome(False, code, f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:2000])
    return Outcome(True, code, "")
