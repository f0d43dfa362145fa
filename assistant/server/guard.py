"""The one gate every request passes before any route or the UI sees it (an
ASGI middleware, so nothing is read from the body before it has decided):

1. Host: only the names the server is meant to be reached by (loopback names by
   default) — a DNS-rebinding page arrives under its own name and gets 403.
2. Origin: a request a browser sends from another site (any Origin that is not
   this server's own, or one given with --allowed-origin) gets 403, so no page
   the user visits can upload, ask or read through the user's browser.
3. Credentials, for /v1 when keys or logins are configured, from the headers
   alone; repeated failures (API and UI login) from one client get 429.
4. Body size: Content-Length over the route's limit is 413 before a byte is
   read; a body without one is counted as it arrives and cut off at the limit.
5. Security headers on every response."""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from urllib.parse import urlsplit

from .auth import Credentials, Exposure

# Routes whose bodies are documents (the API's and the UI's upload); every
# other route takes JSON or a form, for which 1 MiB is ample (a question is at
# most max_question_chars, 2,000 by default, plus its history).
UPLOAD_PATHS = ("/v1/documents", "/gradio_api/upload")
MAX_FORM_BYTES = 1 << 20
# Files per API upload request: the body limit is this many max_file_mb files.
MAX_FILES_PER_REQUEST = 10
# Failed logins or API keys per client before it is refused for the rest of the
# window: a person mistyping stays far below; a guesser gets 10 tries a minute.
MAX_FAILURES = 10
FAILURE_WINDOW_S = 60.0
LOGIN_PATHS = ("/login", "/gradio_api/login")
MAX_TRACKED_CLIENTS = 10_000

# Gradio's page needs inline scripts and styles (its bootstrap and theme) and
# eval (its templates); everything else comes from this origin only, so the page
# can fetch nothing from a CDN, and no other site may frame it.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
     b"worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
]


@dataclass(frozen=True)
class Policy:
    exposure: Exposure
    credentials: Credentials
    max_upload_bytes: int  # one upload request

    def body_limit(self, path: str) -> int:
        return self.max_upload_bytes if path.startswith(UPLOAD_PATHS) else MAX_FORM_BYTES


class Refused(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class Guard:
    def __init__(self, app, policy: Policy):
        self.app, self.policy = app, policy
        self.hosts = policy.exposure.host_names()
        self.origins = {o.rstrip("/").lower() for o in policy.exposure.allowed_origins}
        self.failures: dict[str, deque] = defaultdict(deque)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("?", 0))[0]
        try:
            self._check_host(headers)
            self._check_origin(headers)
            self._check_credentials(scope, headers, client)
            limit = self.policy.body_limit(scope["path"])
            _check_length(headers, limit)
        except Refused as refused:
            return await _refuse(scope, send, refused)
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        await self._forward(scope, receive, send, limit, client)

    # ------------------------------------------------------------------ checks

    def _check_host(self, headers: dict) -> None:
        host = headers.get("host")
        if self.hosts is None or host is None:  # HTTP/1.0 without Host: not a browser
            return
        if _hostname(host) not in self.hosts:
            raise Refused(403, f"host {host!r} is not served here (DNS rebinding?); start the server with "
                               "--allowed-host NAME to serve it")

    def _check_origin(self, headers: dict) -> None:
        origin = headers.get("origin")
        if origin is None:  # not a cross-site browser request
            return
        if origin.rstrip("/").lower() in self.origins:
            return
        parts = urlsplit(origin)
        same = parts.scheme in ("http", "https") and parts.netloc and \
            _netloc(parts.netloc, parts.scheme) == _netloc(headers.get("host", ""), parts.scheme)
        if not same:
            raise Refused(403, f"cross-origin request from {origin} refused; start the server with "
                               "--allowed-origin ORIGIN to allow that site")

    def _check_credentials(self, scope, headers: dict, client: str) -> None:
        failures = self._recent_failures(client)
        path = scope["path"]
        guarded = path.startswith(LOGIN_PATHS) or (path.startswith("/v1/") and self.policy.credentials.required)
        if guarded and len(failures) >= MAX_FAILURES:
            wait = int(FAILURE_WINDOW_S - (time.monotonic() - failures[0])) + 1
            raise Refused(429, f"too many failed logins from {client}; retry in {wait} s",
                          {"retry-after": str(wait)})
        if path.startswith("/v1/") and self.policy.credentials.required and not self.policy.credentials.request(headers):
            if "authorization" in headers or "x-api-key" in headers:  # a wrong guess, not a forgotten key
                failures.append(time.monotonic())
            raise Refused(401, "missing or wrong API key (Authorization: Bearer KEY, or a login as HTTP Basic)",
                          {"www-authenticate": 'Bearer realm="assistant"'})

    def _recent_failures(self, client: str) -> deque:
        failures = self.failures[client]
        while failures and time.monotonic() - failures[0] > FAILURE_WINDOW_S:
            failures.popleft()
        if len(self.failures) > MAX_TRACKED_CLIENTS:  # forget clients with nothing recent
            for other in [c for c, f in self.failures.items() if not f and c != client]:
                del self.failures[other]
        return failures

    # --------------------------------------------------------------- forwarding

    async def _forward(self, scope, receive, send, limit: int, client: str) -> None:
        """Count the body as it arrives (a chunked one has no Content-Length);
        past the limit the app sees a disconnect and the client a 413."""
        state = {"read": 0, "over": False, "started": False}

        async def counted_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if state["over"]:
                if not state["started"]:
                    state["started"] = True
                    await _send_json(send, 413, f"request body too large: {_limit_text(limit)}")
                return
            if message["type"] == "http.response.start":
                state["started"] = True
                if scope["path"].startswith(LOGIN_PATHS) and message["status"] >= 400:
                    self._recent_failures(client).append(time.monotonic())
                message = {**message, "headers": _with_security_headers(message.get("headers", []))}
            await send(message)

        await self.app(scope, counted_receive, guarded_send)


# ----------------------------------------------------------------- helpers


def _check_length(headers: dict, limit: int) -> None:
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise Refused(413, f"request body of {length} bytes refused: {_limit_text(limit)}")


def _limit_text(limit: int) -> str:
    if limit == MAX_FORM_BYTES:
        return f"the limit for this route is {limit:,} bytes"
    return (f"an upload may carry at most {MAX_FILES_PER_REQUEST} files of max_file_mb each "
            f"({limit:,} bytes in all)")


def _hostname(host: str) -> str:
    """`[::1]:7860` -> `::1`, `Example.org:80` -> `example.org`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _netloc(netloc: str, scheme: str) -> str:
    """host:port with the scheme's default port made explicit."""
    netloc = netloc.strip().lower()
    default = "443" if scheme == "https" else "80"
    bracketed = netloc.startswith("[")
    has_port = (bracketed and "]:" in netloc) or (not bracketed and netloc.count(":") == 1)
    return netloc if has_port else f"{netloc}:{default}"


def _with_security_headers(headers) -> list:
    present = {k.lower() for k, _ in headers}
    return list(headers) + [(k, v) for k, v in SECURITY_HEADERS if k not in present]


async def _send_json(send, status: int, message: str, extra: dict | None = None) -> None:
    body = json.dumps({"error": message, "field": None}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": _with_security_headers(headers)})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope, send, refused: Refused) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": refused.message[:120]})
        return
    await _send_json(send, refused.status, refused.message, refused.headers)
