"""A small, real OpenID Connect provider on 127.0.0.1 for the single sign-on tests.

It serves discovery, its JWKS, /authorize (approves `user` at once and sends the browser back with a
code, as a provider does after its own login) and /token (checks the client's secret, the code, the
redirect URI and the PKCE verifier, then issues an RS256-signed ID token) and /logout (RP-initiated
logout: checks the ID token hint is one it issued to this client, then sends the browser back to the
post-logout address with the state; `end_session = False` leaves it out of discovery). `tamper` makes the
next ID tokens wrong in one way, to see the app refuse them:

    provider = StubProvider()           # provider.url is the issuer
    provider.user = {"sub": "u-1", "preferred_username": "k.devries"}
    provider.tamper = "nonce"           # "signature", "nonce", "aud", "iss", "expired", "alg-none", "hs256"
    provider.authorize_requests[-1]     # what the app sent to /authorize
    provider.logout_requests[-1]        # what the app sent to /logout
"""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

CLIENT_ID = "newsroom-werkruimte"
CLIENT_SECRET = "stub-geheim-0123456789abcdef0123456789"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class StubProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "stub-1", "use": "sig"})
        # Same kid, other key pair: a token signed with it must fail the signature check.
        self.impostor = RSAKey.generate_key(2048, parameters={"kid": "stub-1", "use": "sig"})
        self.user: dict[str, Any] = {"sub": "u-1", "preferred_username": "k.devries"}
        self.tamper: str | None = None
        self.deny = False
        self.end_session = True
        self.issued: list[str] = []
        self.logout_requests: list[dict[str, str]] = []
        self.codes: dict[str, dict[str, str]] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StubProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "scopes_supported": ["openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"], "grant_types_supported": ["authorization_code"],
            **({"end_session_endpoint": f"{self.url}/logout"} if self.end_session else {}),
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": CLIENT_ID, "exp": now + 300, "iat": now, "nonce": nonce,
                  "auth_time": now, **self.user}
        header = {"alg": "RS256", "kid": "stub-1", "typ": "JWT"}
        key = self.key
        if self.tamper == "signature":
            key = self.impostor
        elif self.tamper == "nonce":
            claims["nonce"] = "een-andere-nonce"
        elif self.tamper == "aud":
            claims["aud"] = "een-andere-app"
        elif self.tamper == "iss":
            claims["iss"] = "https://elders.example"
        elif self.tamper == "expired":
            claims["exp"], claims["iat"] = now - 3600, now - 7200
        elif self.tamper == "alg-none":
            return f"{_b64(json.dumps({'alg': 'none'}).encode())}.{_b64(json.dumps(claims).encode())}."
        elif self.tamper == "hs256":
            # Signed with the client secret as an HMAC key: must not be taken for the provider's signature.
            return jwt.encode({"alg": "HS256", "kid": "stub-1"}, claims, OctKey.import_key(CLIENT_SECRET.encode()))
        return jwt.encode(header, claims, key)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, data: Any, status: int = 200) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    return self._json(provider.discovery())
                if parts.path == "/jwks":
                    return self._json({"keys": [provider.key.as_dict(private=False)]})
                if parts.path == "/authorize":
                    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    provider.authorize_requests.append(params)
                    back = params.get("redirect_uri", "")
                    if (params.get("client_id") != CLIENT_ID or params.get("response_type") != "code"
                            or "openid" not in params.get("scope", "").split()
                            or params.get("code_challenge_method") != "S256" or not params.get("code_challenge")):
                        return self._json({"error": "invalid_request"}, 400)
                    if provider.deny:
                        return self._redirect(back + "?" + urlencode({"error": "access_denied",
                                                                      "state": params.get("state", "")}))
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = params
                    return self._redirect(back + "?" + urlencode({"code": code, "state": params.get("state", "")}))
                if parts.path == "/logout" and provider.end_session:
                    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    provider.logout_requests.append(params)
                    hint = params.get("id_token_hint", "")
                    if hint not in provider.issued or params.get("client_id") != CLIENT_ID:
                        return self._json({"error": "invalid_request"}, 400)
                    back = params.get("post_logout_redirect_uri", "")
                    return self._redirect(back + "?" + urlencode({"state": params.get("state", "")}))
                self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                if urlsplit(self.path).path != "/token":
                    return self._json({"error": "not_found"}, 404)
                expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._json({"error": "invalid_client"}, 401)
                request = provider.codes.pop(form.get("code", ""), None)  # a code counts once
                verifier = form.get("code_verifier", "")
                if (request is None or form.get("grant_type") != "authorization_code"
                        or form.get("redirect_uri") != request["redirect_uri"]
                        or _b64(hashlib.sha256(verifier.encode()).digest()) != request["code_challenge"]):
                    return self._json({"error": "invalid_grant"}, 400)
                id_token = provider.id_token(request.get("nonce", ""))
                provider.issued.append(id_token)
                self._json({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                            "id_token": id_token})

        return Handler
