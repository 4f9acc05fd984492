"""A deliberately broken Token API: a proxy in front of the reference server that breaks one rule.

``/<defect>/...`` forwards ``...`` to the reference server and bends the exchange the way that
defect says; ``/none/...`` bends nothing. Everything a defect leaves alone is the reference
server's own behaviour, so a conformance run against ``/<defect>`` must fail exactly where the
defect is, and a run against ``/none`` passes where the reference server passes.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from rfc3339_validator import validate_rfc3339
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ENV_UPSTREAM = "BROKEN_UPSTREAM"
ENV_ADMIN_TOKEN = "BROKEN_ADMIN_TOKEN"
TOKEN_PATH = "/api/v1/token"
_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}
# uvicorn sets these on the proxy's own answer.
_OWN = {"date", "server"}


class Exchange:
    """One request on its way through: what is sent upstream, and the answer coming back."""

    def __init__(self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes):
        self.method, self.path, self.query = method, path, query
        self.headers, self.body = headers, body
        self.crashed = False  # answer 500 without asking upstream
        self.status = 0
        self.response_headers: dict[str, str] = {}
        self.content = b""

    @property
    def is_create_token(self) -> bool:
        return self.method == "POST" and self.path == TOKEN_PATH

    def request_json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
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


class Metered(NoDefect):
    """No defect; remembers when each request arrived (GET /_arrivals/metered)."""

    def __init__(self, admin_token: str) -> None:
        super().__init__(admin_token)
        self.arrivals: list[float] = []

    def before(self, exchange: Exchange) -> None:
        self.arrivals.append(time.monotonic())


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
    """Only the ADMIN token it was started with authenticates; minted tokens never do."""

    def before(self, exchange: Exchange) -> None:
        if exchange.bearer is not None and exchange.bearer != self.admin_token:
            exchange.authorize("api_" + "0" * 49)  # well-formed, unknown: the server answers 401


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


class ExpiredAccepted(Defect):
    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 401 and "expired" in exchange.detail():
            exchange.authorize(self.admin_token)
            await send(exchange)


class NoWwwAuthenticate(Defect):
    async def after(self, exchange: Exchange, send: Send) -> None:
        for name in [k for k in exchange.response_headers if k.lower() == "www-authenticate"]:
            del exchange.response_headers[name]


DEFECTS: dict[str, type[Defect]] = {
    "none": NoDefect,
    "metered": Metered,
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
    "repeated_tokens": RepeatedTokens,
    "role_escalation": RoleEscalation,
    "service_escalation": ServiceEscalation,
    "workspace_escalation": WorkspaceEscalation,
    "expired_accepted": ExpiredAccepted,
    "no_www_authenticate": NoWwwAuthenticate,
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

    async def forward(request: Request) -> Response:
        defect = defects.get(request.path_params["defect"])
        if defect is None:
            return Response(b'{"detail": "Not found."}', 404, media_type="application/json")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        exchange = Exchange(
            request.method,
            "/" + request.path_params["rest"],
            request.url.query.encode(),
            headers,
            await request.body(),
        )
        defect.before(exchange)
        await send(exchange)
        await defect.after(exchange, send)
        response = Response(exchange.content, exchange.status)
        response.headers.update(exchange.response_headers)
        response.headers["content-length"] = str(len(exchange.content))
        return response

    async def arrivals(request: Request) -> Response:
        defect = defects.get(request.path_params["defect"])
        times = defect.arrivals if isinstance(defect, Metered) else []
        return Response(json.dumps(times).encode(), media_type="application/json")

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"]
    routes = [
        Route("/_arrivals/{defect}", arrivals),
        Route("/{defect}/{rest:path}", forward, methods=methods),
    ]
    return Starlette(routes=routes)


def app_from_environment() -> Starlette:
    return create_app(os.environ[ENV_UPSTREAM], os.environ[ENV_ADMIN_TOKEN])
