"""What the web app does about hostile pages and malformed requests (docs/web.md, "Security").

* :func:`allowed_hosts`: the Host names the app answers to (starlette's
  ``TrustedHostMiddleware``): this machine's names by default, so a DNS-rebinding page
  cannot reach the API under its own name.
* :class:`SecurityHeadersMiddleware`: a strict Content-Security-Policy on every response
  (no inline script; the API docs pages get their inline scripts' hashes), X-Frame-Options,
  nosniff, Referrer-Policy; a run's HTML report is sandboxed and may run no script at all.
* :class:`StrictJSONMiddleware`: a JSON body must be strict JSON: no ``NaN``, ``Infinity``,
  numbers that overflow to infinity (``1e400``) or lone surrogates (``"\\ud800"``); anything
  else is a ``422`` before it reaches an endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import os
import re
from collections.abc import Iterable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "[::1]")
HOSTS_ENV = "PAINSIM_WEB_ALLOWED_HOSTS"
MAX_JSON_BYTES = 1_000_000  # a trial spec is at most 50,000 characters, 6 bytes each when \u-escaped

APP_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
              "form-action 'self'; frame-ancestors 'none'")
# the stored run's report: self-contained HTML (inline CSS, data: images), never any script
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                 "form-action 'none'; frame-ancestors 'none'; sandbox allow-popups")
# Swagger UI and ReDoc (fastapi-offline, files shipped with the package): their pages start them
# with an inline script, allowed by its hash; ReDoc injects its styles and runs a blob: worker
DOCS_POLICY = ("default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")
REPORT_PATH = re.compile(r"^/api/runs/[^/]+/report$")
COMMON_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def allowed_hosts(extra: Iterable[str] = (), env: dict[str, str] | None = None) -> list[str]:
    """This machine's names, the names in ``$PAINSIM_WEB_ALLOWED_HOSTS`` (comma-separated) and ``extra``.

    ``*.example.org`` allows the subdomains of example.org; ``*`` allows any host (no check).
    An IPv6 address is written in brackets, as in a URL: ``[::1]``.
    """
    environ = os.environ if env is None else env
    names = [*LOCAL_HOSTS, *environ.get(HOSTS_ENV, "").split(","), *extra]
    out: list[str] = []
    for name in (n.strip().lower() for n in names):
        if name and name not in out:
            check_host_pattern(name)
            out.append(name)
    return out


def check_host_pattern(name: str) -> None:
    """Raise ValueError unless ``name`` is a host name, ``[IPv6]``, ``*.domain`` or ``*`` (no port)."""
    if name == "*" or re.fullmatch(r"(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*", name):
        return
    if re.fullmatch(r"\[[0-9a-f:.]+\]", name):
        try:
            ipaddress.IPv6Address(name[1:-1])
            return
        except ValueError:
            pass
    raise ValueError(f"allowed host {name!r}: give a host name (example.org), a subdomain pattern "
                     "(*.example.org), an IPv6 address in brackets ([::1]) or *, without a port")


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and the other security headers to every HTTP response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return
        policy = REPORT_POLICY if REPORT_PATH.match(path) else APP_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_headers(message, policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The docs pages are small HTML: buffer each and allow exactly its inline scripts (by hash)."""
        start: Message | None = None
        body = bytearray()

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                assert start is not None
                scripts = ["'self'", *(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
                                       for s in _INLINE_SCRIPT.findall(bytes(body)))]
                _add_headers(start, DOCS_POLICY.format(scripts=" ".join(scripts)))
                await send(start)
                await send({"type": "http.response.body", "body": bytes(body)})
                return
            await send(message)

        await self.app(scope, receive, buffer)


def _add_headers(message: Message, policy: str) -> None:
    headers = MutableHeaders(scope=message)
    headers.setdefault("content-security-policy", policy)
    for key, value in COMMON_HEADERS.items():
        headers.setdefault(key, value)


# ---------------------------------------------------------------------- strict JSON bodies
class StrictJSONError(ValueError):
    """A JSON body that is not strict JSON (the message says what and where)."""


def _constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a JSON number: numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StrictJSONError(f"the number {text[:40]} is too large (it overflows to infinity)")
    return value


def _lone_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def parse_strict_json(body: bytes) -> Any:
    """Parse ``body`` as strict JSON; raise :class:`StrictJSONError` saying what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise StrictJSONError(f"the body is not UTF-8 (byte {err.start})") from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite_float)
    except StrictJSONError:
        raise
    except RecursionError:
        raise StrictJSONError("the JSON is nested too deeply") from None
    except ValueError as err:  # json.JSONDecodeError, or an integer of more than 4300 digits
        raise StrictJSONError(f"the body is not valid JSON: {str(err)[:200]}") from None
    _check_strings(value)
    return value


def _check_strings(value: Any) -> None:
    """Raise if any string or key in ``value`` holds a lone surrogate (it has no UTF-8 encoding)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _lone_surrogate(item):
                raise StrictJSONError("a string holds a lone surrogate (such as \\ud800), which is not a "
                                      "Unicode character")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _is_json(headers: Headers) -> bool:
    """A JSON content type, or none (some FastAPI versions parse a body without one as JSON)."""
    content_type = headers.get("content-type")
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class StrictJSONMiddleware:
    """Checks JSON request bodies (size and strictness) before an endpoint sees them."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_JSON_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH") or not _is_json(
                headers := Headers(scope=scope)):
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send, 413, f"the JSON body is too large: at most {self.max_bytes:,} "
                                                         "bytes")
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send, 413,
                                   f"the JSON body is too large: at most {self.max_bytes:,} bytes")
                return
        if body:
            try:
                parse_strict_json(bytes(body))
            except StrictJSONError as err:
                await self._refuse(scope, receive, send, 422, str(err))
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        detail: Any = message if status == 413 else [{"type": "json_invalid", "loc": ["body"], "msg": message}]
        await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body once, then waits on the real one (for disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def json_safe(value: Any) -> Any:
    """``value`` with what strict JSON cannot hold made printable: NaN/inf as text, lone surrogates
    escaped, bytes decoded, other objects as their text (used for 422 bodies)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8") if _lone_surrogate(value) else value
    if isinstance(value, bytes | bytearray):
        return json_safe(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, dict):
        return {str(json_safe(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return json_safe(str(value))


__all__ = ["APP_POLICY", "DOCS_POLICY", "HOSTS_ENV", "LOCAL_HOSTS", "MAX_JSON_BYTES", "REPORT_POLICY",
           "SecurityHeadersMiddleware", "StrictJSONError", "StrictJSONMiddleware", "allowed_hosts", "json_safe",
           "parse_strict_json"]
