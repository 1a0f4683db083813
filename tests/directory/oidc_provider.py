"""A small OpenID Connect provider for the tests: discovery, authorization (code flow with PKCE),
token, JWKS and userinfo endpoints on a loopback port, with RS256-signed id tokens."""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "ftz-tracker"
CLIENT_SECRET = "client-secret-for-tests"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    def __init__(self):
        self.key = new_key()
        self.kid = "test-key-1"
        # What the next sign-in at the authorization endpoint is for, and how the provider behaves;
        # tests change these.
        self.next_claims = {}
        self.userinfo_overrides = {}
        self.signing_key = None  # another key signs the id token when set (forgery)
        self.audience = CLIENT_ID
        self.issuer_override = None
        self.codes = {}
        self.access_tokens = {}
        self.requests = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def discovery(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def env(self, **extra):
        return {
            "FTZ_OIDC_CLIENT_ID": CLIENT_ID,
            "FTZ_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "FTZ_OIDC_ISSUER": self.issuer,
            "FTZ_OIDC_AUTHORIZATION_ENDPOINT": f"{self.issuer}/authorize",
            "FTZ_OIDC_TOKEN_ENDPOINT": f"{self.issuer}/token",
            "FTZ_OIDC_USERINFO_ENDPOINT": f"{self.issuer}/userinfo",
            "FTZ_OIDC_JWKS_ENDPOINT": f"{self.issuer}/jwks",
            "FTZ_OIDC_NAME": "天津政务统一身份认证",
            **extra,
        }

    def jwks(self):
        numbers = self.key.public_key().public_numbers()

        def b64(number):
            raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": b64(numbers.n),
                    "e": b64(numbers.e),
                }
            ]
        }

    def id_token(self, claims, nonce):
        now = int(time.time())
        payload = {
            "iss": self.issuer_override or self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **claims,
        }
        return jwt.encode(payload, self.signing_key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                provider.requests.append(("GET", url.path, query))
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, provider.discovery())
                if url.path == "/jwks":
                    return self._json(200, provider.jwks())
                if url.path == "/authorize":
                    return self._authorize(query)
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in provider.access_tokens:
                        return self._json(401, {"error": "invalid_token"})
                    return self._json(200, {**provider.access_tokens[token], **provider.userinfo_overrides})
                return self._json(404, {"error": "not_found"})

            def _authorize(self, query):
                if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                    return self._json(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {
                    "claims": dict(provider.next_claims),
                    "nonce": query.get("nonce"),
                    "redirect_uri": query["redirect_uri"],
                    "challenge": query.get("code_challenge"),
                }
                self.send_response(302)
                self.send_header(
                    "Location",
                    f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}",
                )
                self.end_headers()

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
                provider.requests.append(("POST", self.path, form))
                if self.path != "/token":
                    return self._json(404, {"error": "not_found"})
                if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                    return self._json(401, {"error": "invalid_client"})
                grant = provider.codes.pop(form.get("code"), None)
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    return self._json(400, {"error": "invalid_grant"})
                if grant["challenge"]:
                    digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                    if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                        return self._json(400, {"error": "invalid_grant"})
                access_token = secrets.token_urlsafe(16)
                provider.access_tokens[access_token] = grant["claims"]
                return self._json(
                    200,
                    {
                        "access_token": access_token,
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant["claims"], grant["nonce"]),
                    },
                )

        return Handler
