"""A WeCom / DingTalk / generic webhook stand-in on loopback: records what it receives and answers as
told (status and robot errcode per request, in order; then success)."""

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    query: dict
    body: dict
    content_type: str


@dataclass
class FakeWebhook:
    server: ThreadingHTTPServer = None
    received: list = field(default_factory=list)
    # (http status, errcode) answers for the next requests, in order.
    answers: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path="/hook"):
        return self.base + path

    def to(self, path):
        return [r for r in self.received if r.path == path]


def start():
    fake = FakeWebhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parsed = urllib.parse.urlsplit(self.path)
            with fake.lock:
                fake.received.append(
                    Received(
                        path=parsed.path,
                        query=dict(urllib.parse.parse_qsl(parsed.query)),
                        body=json.loads(raw.decode()),
                        content_type=self.headers.get("Content-Type", ""),
                    )
                )
                status, errcode = fake.answers.pop(0) if fake.answers else (200, 0)
            answer = json.dumps({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "fail"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake
