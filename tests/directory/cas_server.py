"""A small CAS server for the tests: /login hands out a service ticket for whoever the test says
is signing in, /p3/serviceValidate (CAS 3) confirms it once, with the person's attributes."""

import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape


class CasServer:
    def __init__(self):
        self.next_user = None
        self.next_attributes = {}
        self.tickets = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/cas/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def env(self, **extra):
        return {"FTZ_CAS_SERVER_URL": self.url, "FTZ_CAS_NAME": "统一认证平台", **extra}

    def validation(self, query):
        grant = self.tickets.pop(query.get("ticket"), None)
        if grant is None or grant["service"] != query.get("service"):
            return (
                '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
                '<cas:authenticationFailure code="INVALID_TICKET">unknown ticket</cas:authenticationFailure>'
                "</cas:serviceResponse>"
            )
        attributes = "".join(
            f"<cas:{name}>{escape(str(value))}</cas:{name}>"
            for name, values in grant["attributes"].items()
            for value in (values if isinstance(values, list) else [values])
        )
        return (
            '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess>'
            f"<cas:user>{escape(grant['user'])}</cas:user><cas:attributes>{attributes}</cas:attributes>"
            "</cas:authenticationSuccess></cas:serviceResponse>"
        )

    def _handler(self):
        cas = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                if url.path == "/cas/login":
                    ticket = "ST-" + secrets.token_urlsafe(12)
                    cas.tickets[ticket] = {
                        "user": cas.next_user,
                        "attributes": dict(cas.next_attributes),
                        "service": query["service"],
                    }
                    separator = "&" if "?" in query["service"] else "?"
                    self.send_response(302)
                    self.send_header(
                        "Location", f"{query['service']}{separator}{urlencode({'ticket': ticket})}"
                    )
                    self.end_headers()
                    return
                if url.path == "/cas/p3/serviceValidate":
                    body = cas.validation(query).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(404)
                self.end_headers()

        return Handler
