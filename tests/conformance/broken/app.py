"""A deliberately broken Token API: a proxy in front of the reference server that breaks one rule.

``/<defect>/...`` forwards ``...`` to the reference server and bends the exchange the way that
defect says; ``/none/...`` bends nothing. Everything a defect leaves alone is the reference
server's own behaviour, so a conformance run against ``/<defect>`` must fail exactly where the
defect is, and a run against ``/none`` passes where the reference server passes.

``GET /<defect>/_key_probe`` stands in for an endpoint of the platform that reads with an API key
(for ``--key-probe``): 200 when Create Token, through the same defect, recognises the key (403),
else its answer. The proxy knows the ADMIN user's session (``BROKEN_ADMIN_TOKEN``): defects that
grant what the reference server refuses re-send the request with it.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rfc3339_validator import validate_rfc3339
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope
from starlette.types import Send as ASGISend

ENV_UPSTREAM = "BROKEN_UPSTREAM"
ENV_ADMIN_TOKEN = "BROKEN_ADMIN_TOKEN"
TOKEN_PATH = "/api/v1/token"
KEY_PROBE_PATH = "/_key_probe"
# Well-formed, and unknown to the reference server: it answers 401.
UNKNOWN_KEY = "api_" + "0" * 49
_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}
# uvicorn sets these on the proxy's own answer.
_OWN = {"date", "server"}


class Exchange:
    """One request on its way through: what is sent upstream, and the answer coming back."""

    def __init__(self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes):
        self.method, self.path, self.query = method, path, query
        self.headers, self.body = headers, body
        self.crashed = False  # answer 500 without asking upstream
        self.hang_up = False  # drop the connection without an answer
        self.status = 0
        self.response_headers: dict[str, str] = {}
        self.content = b""

    @property
    def is_create_token(self) -> bool:
        return self.method == "POST" and self.path == TOKEN_PATH

    def request_json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def set_request_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()

    def response_json(self) -> Any:
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    def set_response_json(self, value: Any, content_type: str = "application/json") -> None:
        self.content = json.dumps(value).encode()
        self.response_headers["content-type"] = content_type

    @property
    def presents_key(self) -> bool:
        return (self.bearer or "").startswith("api_")

    @property
    def bearer(self) -> str | None:
        value = next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = value.partition(" ")
        return token if scheme.lower() == "bearer" and token else None

    def authorize(self, token: str) -> None:
        for name in [k for k in self.headers if k.lower() == "authorization"]:
            del self.headers[name]
        self.headers["Authorization"] = f"Bearer {token}"

    def detail(self) -> str:
        body = self.response_json()
        detail = body.get("detail") if isinstance(body, dict) else None
        return detail if isinstance(detail, str) else ""


Send = Callable[[Exchange], Awaitable[None]]


class Defect:
    """Bends an exchange: ``before`` the request goes upstream, ``after`` the answer is back.

    ``after`` may call ``send`` to make the request again (e.g. with the ADMIN token)."""

    def __init__(self, admin_token: str) -> None:
        self.admin_token = admin_token

    def before(self, exchange: Exchange) -> None:
        pass

    async def after(self, exchange: Exchange, send: Send) -> None:
        pass


class NoDefect(Defect):
    pass


class Recorded(NoDefect):
    """No defect; remembers each request that arrived (GET /_requests/<defect>, DELETE clears):
    when, and what, but never its credentials."""

    def __init__(self, admin_token: str) -> None:
        super().__init__(admin_token)
        self.requests: list[dict[str, Any]] = []

    def before(self, exchange: Exchange) -> None:
        headers = {k.lower(): v for k, v in exchange.headers.items()}
        self.requests.append(
            {
                "at": time.monotonic(),
                "time": time.time(),
                "user_agent": headers.get("user-agent", ""),
                "method": exchange.method,
                "path": exchange.path,
                "content_type": headers.get("content-type"),
                "body": base64.b64encode(exchange.body).decode(),
            }
        )


class WrongPrefix(Defect):
    """Tokens come out as key_…; they still work when sent back."""

    def before(self, exchange: Exchange) -> None:
        if exchange.bearer and exchange.bearer.startswith("key_"):
            exchange.authorize("api_" + exchange.bearer[4:])

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.response_json()
        if exchange.status == 200 and isinstance(body, dict) and "api_token" in body:
            body["api_token"] = "key_" + body["api_token"][4:]
            exchange.set_response_json(body)


class _BodyChange(Defect):
    def change(self, body: dict[str, Any]) -> None:
        raise NotImplementedError

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.response_json()
        if exchange.is_create_token and exchange.status == 200 and isinstance(body, dict):
            self.change(body)
            exchange.set_response_json(body)


class NonUuidId(_BodyChange):
    def change(self, body: dict[str, Any]) -> None:
        body["api_token_id"] = "tok_" + uuid.uuid4().hex


class MissingField(_BodyChange):
    def change(self, body: dict[str, Any]) -> None:
        body.pop("api_token_id", None)


class Status201(Defect):
    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 200 and exchange.is_create_token:
            exchange.status = 201


class TextPlain(Defect):
    async def after(self, exchange: Exchange, send: Send) -> None:
        exchange.response_headers["content-type"] = "text/plain; charset=utf-8"


class Status400(Defect):
    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 422:
            exchange.status = 400


class ProblemJson(Defect):
    """422s as RFC 9457 problem details instead of HTTPValidationError."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 422:
            problem = {"type": "about:blank", "title": "Unprocessable", "status": 422,
                       "detail": "The request body is invalid."}  # fmt: skip
            exchange.set_response_json(problem, "application/problem+json")


class ServerError(Defect):
    """A 500 for a name that is null (the scenarios always send a string)."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        if exchange.is_create_token and isinstance(body, dict) and body.get("name", "") is None:
            exchange.crashed = True

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.crashed:
            exchange.status = 500
            exchange.set_response_json({"detail": "Internal server error."})


class _Accepts(Defect):
    """Drops a schema-violating field instead of refusing the request."""

    field = ""

    def invalid(self, value: Any) -> bool:
        raise NotImplementedError

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        if not (exchange.is_create_token and isinstance(body, dict) and self.field in body):
            return
        if self.invalid(body[self.field]):
            del body[self.field]
            exchange.set_request_json(body)


class EnumAccepted(_Accepts):
    field = "organization_role"

    def invalid(self, value: Any) -> bool:
        return value not in ("ADMIN", "MEMBER", "EXTERNAL")


class DateAccepted(_Accepts):
    field = "expires_at"

    def invalid(self, value: Any) -> bool:
        return isinstance(value, str) and not validate_rfc3339(value)


class TypeAccepted(_Accepts):
    field = "expires"

    def invalid(self, value: Any) -> bool:
        return not isinstance(value, bool)


class AuthIgnored(Defect):
    """Requests without valid credentials run as the ADMIN."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 401:
            exchange.authorize(self.admin_token)
            await send(exchange)


class TokenNotAuthenticating(Defect):
    """Sessions authenticate; minted API keys never do (unknown: 401)."""

    def before(self, exchange: Exchange) -> None:
        if exchange.presents_key:
            exchange.authorize(UNKNOWN_KEY)


class KeyLagging(Defect):
    """A key is unknown (401) for its first seconds, as if it reached the servers that check
    keys late; then it is recognised as the reference server recognises it."""

    LAG = 30.0

    def __init__(self, admin_token: str) -> None:
        super().__init__(admin_token)
        self.minted: dict[str, float] = {}

    def before(self, exchange: Exchange) -> None:
        minted = self.minted.get(exchange.bearer or "")
        if minted is not None and time.monotonic() - minted < self.LAG:
            exchange.authorize(UNKNOWN_KEY)

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.response_json()
        if exchange.is_create_token and exchange.status == 200 and isinstance(body, dict):
            self.minted[str(body.get("api_token"))] = time.monotonic()


class KeyCanMint(Defect):
    """An API key mints keys, as the caller's user would."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.is_create_token and exchange.presents_key and exchange.status == 403:
            exchange.authorize(self.admin_token)
            await send(exchange)


class PastExpiryAccepted(Defect):
    """An expires_at in the past mints a key anyway (one that lives a few minutes)."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        value = body.get("expires_at") if isinstance(body, dict) else None
        if not (exchange.is_create_token and isinstance(value, str) and validate_rfc3339(value)):
            return
        if datetime.fromisoformat(value.upper()) <= datetime.now(UTC):
            soon = datetime.now(UTC) + timedelta(minutes=5)
            body["expires_at"] = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
            exchange.set_request_json(body)


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


class SurrogateCrash(Defect):
    """A string with a lone surrogate crashes the server (500): Python's json accepts the escape,
    and the text cannot be encoded for the database."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        if exchange.is_create_token and _has_lone_surrogate(body):
            exchange.crashed = True

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.crashed:
            exchange.status = 500
            exchange.set_response_json({"detail": "Internal server error."})


class RepeatedTokens(Defect):
    """Every token after the first is the first one again."""

    def __init__(self, admin_token: str) -> None:
        super().__init__(admin_token)
        self.first: bytes | None = None

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.is_create_token and exchange.status == 200:
            if self.first is None:
                self.first = exchange.content
            exchange.content = self.first


class _Escalates(Defect):
    """A 403 whose reason mentions ``word`` is retried as the ADMIN, and granted."""

    word = ""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 403 and self.word in exchange.detail():
            exchange.authorize(self.admin_token)
            await send(exchange)


class RoleEscalation(_Escalates):
    word = "role"


class ServiceEscalation(_Escalates):
    word = "service"


class WorkspaceEscalation(_Escalates):
    word = "workspace"


class HangsUpOnNaN(Defect):
    """A body with NaN kills the request: the connection drops before an answer is complete."""

    def before(self, exchange: Exchange) -> None:
        if exchange.is_create_token and b"NaN" in exchange.body:
            exchange.hang_up = True


async def _hang_up(scope: Scope, receive: Receive, send: ASGISend) -> None:
    # A response begun and never finished: the server can only drop the connection.
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
        }
    )
    raise RuntimeError("the broken proxy hangs up")  # fmt: skip


class ExpiredAccepted(Defect):
    """An expired key is treated as a live one: answered as a fresh key of the ADMIN is."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 401 and exchange.presents_key and "expired" in exchange.detail():
            fresh = Exchange("POST", TOKEN_PATH, b"", {"Content-Type": "application/json"}, b"")
            fresh.authorize(self.admin_token)
            soon = datetime.now(UTC) + timedelta(minutes=5)
            fresh.set_request_json({"name": "broken proxy: stand-in for an expired key",
                                    "expires_at": soon.strftime("%Y-%m-%dT%H:%M:%SZ")})  # fmt: skip
            await send(fresh)
            key = (fresh.response_json() or {}).get("api_token")
            if isinstance(key, str):
                exchange.authorize(key)
                await send(exchange)


class NoWwwAuthenticate(Defect):
    async def after(self, exchange: Exchange, send: Send) -> None:
        for name in [k for k in exchange.response_headers if k.lower() == "www-authenticate"]:
            del exchange.response_headers[name]


class CachedKey(Defect):
    """The 200 that carries a key lets caches keep it (no Cache-Control: no-store)."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        for name in [k for k in exchange.response_headers if k.lower() == "cache-control"]:
            del exchange.response_headers[name]


DEFECTS: dict[str, type[Defect]] = {
    "none": NoDefect,
    "metered": Recorded,
    "recorded": Recorded,
    "wrong_prefix": WrongPrefix,
    "non_uuid_id": NonUuidId,
    "missing_field": MissingField,
    "status_201": Status201,
    "text_plain": TextPlain,
    "status_400": Status400,
    "problem_json": ProblemJson,
    "server_error": ServerError,
    "enum_accepted": EnumAccepted,
    "date_accepted": DateAccepted,
    "type_accepted": TypeAccepted,
    "auth_ignored": AuthIgnored,
    "token_not_authenticating": TokenNotAuthenticating,
    "key_lagging": KeyLagging,
    "key_can_mint": KeyCanMint,
    "past_expiry_accepted": PastExpiryAccepted,
    "surrogate_crash": SurrogateCrash,
    "hangs_up_on_nan": HangsUpOnNaN,
    "repeated_tokens": RepeatedTokens,
    "role_escalation": RoleEscalation,
    "service_escalation": ServiceEscalation,
    "workspace_escalation": WorkspaceEscalation,
    "expired_accepted": ExpiredAccepted,
    "no_www_authenticate": NoWwwAuthenticate,
    "cached_key": CachedKey,
}


def create_app(upstream: str, admin_token: str) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, timeout=30)
    defects = {name: kind(admin_token) for name, kind in DEFECTS.items()}

    async def send(exchange: Exchange) -> None:
        if exchange.crashed:
            return
        answer = await client.request(
            exchange.method,
            httpx.URL(exchange.path, query=exchange.query),
            headers=exchange.headers,
            content=exchange.body,
        )
        exchange.status = answer.status_code
        exchange.response_headers = {
            k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP | _OWN
        }
        exchange.content = answer.content

    async def through(defect: Defect, exchange: Exchange) -> Response | ASGIApp:
        defect.before(exchange)
        if exchange.hang_up:
            return _hang_up
        await send(exchange)
        await defect.after(exchange, send)
        response = Response(exchange.content, exchange.status)
        response.headers.update(exchange.response_headers)
        response.headers["content-length"] = str(len(exchange.content))
        return response

    async def forward(request: Request) -> Response | ASGIApp:
        defect = defects.get(request.path_params["defect"])
        if defect is None:
            return Response(b'{"detail": "Not found."}', 404, media_type="application/json")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        path = "/" + request.path_params["rest"]
        body = await request.body()
        if path == KEY_PROBE_PATH and request.method in ("GET", "HEAD"):
            return await key_probe(defect, headers)
        exchange = Exchange(request.method, path, request.url.query.encode(), headers, body)
        return await through(defect, exchange)

    async def key_probe(defect: Defect, headers: dict[str, str]) -> Response | ASGIApp:
        # Create Token with the key, through the defect: 403 means recognised, not permitted.
        exchange = Exchange("POST", TOKEN_PATH, b"", {**headers}, b"")
        soon = datetime.now(UTC) + timedelta(minutes=5)
        exchange.set_request_json({"name": "broken proxy: key probe",
                                   "expires_at": soon.strftime("%Y-%m-%dT%H:%M:%SZ")})  # fmt: skip
        exchange.headers["Content-Type"] = "application/json"
        response = await through(defect, exchange)
        if exchange.status == 403:
            return Response(b'{"recognised": true}', 200, media_type="application/json")
        return response

    async def recorded(request: Request) -> Response:
        defect = defects.get(request.path_params["defect"])
        requests = defect.requests if isinstance(defect, Recorded) else []
        if request.method == "DELETE":
            requests.clear()
        return Response(json.dumps(requests).encode(), media_type="application/json")

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"]
    routes = [
        Route("/_requests/{defect}", recorded, methods=["GET", "DELETE"]),
        Route("/{defect}/{rest:path}", forward, methods=methods),
    ]
    return Starlette(routes=routes)


def app_from_environment() -> Starlette:
    return create_app(os.environ[ENV_UPSTREAM], os.environ[ENV_ADMIN_TOKEN])
