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
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from multidict import CIMultiDict
from rfc3339_validator import validate_rfc3339
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope
from starlette.types import Send as ASGISend
from yarl import URL

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
    """One request on its way through: what is sent upstream, and the answer coming back.
    Headers are lists of (name, value): a repeated header stays repeated."""

    def __init__(
        self,
        method: str,
        path: str,
        query: bytes,
        headers: list[tuple[str, str]],
        body: bytes,
        chunked: bool = False,
    ):
        self.method, self.path, self.query = method, path, query
        self.headers, self.body = headers, body
        self.chunked = chunked  # the body came without a length
        self.crashed = False  # answer 500 without asking upstream
        self.hang_up = False  # drop the connection without an answer
        self.status = 0
        self.response_headers: dict[str, str] = {}
        self.content = b""

    @property
    def is_create_token(self) -> bool:
        return self.method == "POST" and self.path == TOKEN_PATH

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def set_header(self, name: str, value: str | None) -> None:
        """Replace every ``name`` header by one (None: by none)."""
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            self.headers.append((name, value))

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
        scheme, _, token = (self.header("authorization") or "").strip().partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def authorize(self, token: str) -> None:
        self.set_header("Authorization", f"Bearer {token}")

    def copy(self) -> Exchange:
        return Exchange(self.method, self.path, self.query, list(self.headers), self.body)

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
        self.requests.append(
            {
                "at": time.monotonic(),
                "time": time.time(),
                "user_agent": exchange.header("user-agent") or "",
                "method": exchange.method,
                "path": exchange.path,
                "content_type": exchange.header("content-type"),
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
    word = "cannot grant the"


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
            fresh = Exchange("POST", TOKEN_PATH, b"", [("Content-Type", "application/json")], b"")
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


class _Refused(Defect):
    """A 403 whose reason mentions ``word`` is answered ``status`` instead: still a refusal, but
    not the contract's (a check that took any refusal for the right one would pass it)."""

    word = ""
    status = 422

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 403 and self.word in exchange.detail():
            exchange.status = self.status
            if self.status == 401:
                exchange.response_headers["www-authenticate"] = "Bearer"
                exchange.set_response_json({"detail": "Not permitted."})
            else:
                exchange.set_response_json(_violation("body", "refused"))


def _violation(*loc: str | int) -> dict[str, Any]:
    return {"detail": [{"loc": list(loc), "msg": "Refused.", "type": "value_error"}]}


class RoleRefused422(_Refused):
    word = "cannot grant the"


class ServiceRefused401(_Refused):
    word = "service"
    status = 401


class WorkspaceRefused422(_Refused):
    word = "workspace"


class PastExpiry403(Defect):
    """An expires_at in the past is refused, but with 403."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 422 and "in the future" in exchange.content.decode(errors="replace"):
            exchange.status = 403
            exchange.set_response_json({"detail": "expires_at must be in the future."})


class UnknownKeyAccepted(Defect):
    """An api_ key the deployment does not know runs as the ADMIN (a cache that never misses)."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 401 and exchange.presents_key and "not valid" in exchange.detail():
            exchange.authorize(self.admin_token)
            await send(exchange)


class FirstHeaderWins(Defect):
    """Of several ``header`` headers, the first counts."""

    header = ""

    def before(self, exchange: Exchange) -> None:
        values = exchange.header_values(self.header.lower())
        if len(values) > 1:
            exchange.set_header(self.header, values[0])


class FirstAuthorizationWins(FirstHeaderWins):
    """Of several Authorization headers, the first counts."""

    header = "Authorization"


class SchemeCaseSensitive(Defect):
    """Only `Bearer`, spelled so, is the scheme; `bearer x` and `BEARER x` are unknown."""

    def before(self, exchange: Exchange) -> None:
        value = exchange.header("authorization")
        scheme = (value or "").partition(" ")[0]
        if scheme.lower() == "bearer" and scheme != "Bearer":
            exchange.authorize(UNKNOWN_KEY)


class BodyBeforeCredentials(Defect):
    """The body is judged before the credential: a body the API refuses gets that refusal
    (413, 415, 422) whoever sends it, no credential or an API key included."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        refused_credential = exchange.status == 401 or (
            exchange.status == 403 and exchange.presents_key
        )
        if not exchange.is_create_token or not refused_credential:
            return
        judged = exchange.copy()
        judged.authorize(self.admin_token)
        await send(judged)
        if judged.status in (413, 415, 422):
            exchange.status, exchange.content = judged.status, judged.content
            exchange.response_headers = judged.response_headers


class ShortDefaultLifetime(Defect):
    """A key asked for without an expires_at lives two seconds."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        if not (exchange.is_create_token and isinstance(body, dict)):
            return
        if body.get("expires_at") is None and body.get("expires", True) is not False:
            body["expires_at"] = _soon(seconds=2)
            exchange.set_request_json(body)


def _soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


class DefaultRoleMember(Defect):
    """Without organization_role a key is MEMBER (the schema's default, not the caller's role)."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        # The ADMIN may grant MEMBER: only a narrower caller's default shows.
        narrower = exchange.bearer != self.admin_token
        if (
            exchange.is_create_token
            and narrower
            and isinstance(body, dict)
            and ("organization_role" not in body)
        ):
            body["organization_role"] = "MEMBER"
            exchange.set_request_json(body)


class RoleIdUnchecked(_Escalates):
    """A MEMBER or EXTERNAL caller may pass any role id (the ADMIN's answer is given)."""

    word = "role id"


class UnknownRoleIdIgnored(Defect):
    """A role_id that is no role of the organization is dropped, and the key minted."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.request_json()
        unknown = b"not a role of the organization" in exchange.content
        if exchange.status == 422 and unknown and isinstance(body, dict):
            body.pop("role_id", None)
            exchange.set_request_json(body)
            await send(exchange)


class WorkspaceFirstOnly(Defect):
    """A MEMBER or EXTERNAL caller may list one workspace at a time."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        workspaces = body.get("workspaces") if isinstance(body, dict) else None
        several = isinstance(workspaces, list) and len(set(map(str, workspaces))) > 1
        if exchange.bearer != self.admin_token and several:
            exchange.crashed = True

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.crashed:
            exchange.status = 403
            exchange.set_response_json({"detail": "One workspace per key."})


class UnknownWorkspace422(Defect):
    """A workspace that does not exist is a validation error (422), not the 403 of one outside
    the caller's reach: the answer tells which names exist."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status != 403 or "workspace" not in exchange.detail():
            return
        as_admin = exchange.copy()
        as_admin.authorize(self.admin_token)
        await send(as_admin)
        if as_admin.status == 403:
            exchange.status = 422
            exchange.set_response_json(_violation("body", "workspaces"))


class EmptyWorkspacesHangUp(Defect):
    """`{"workspaces": []}` crashes the worker: the connection drops."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        if exchange.is_create_token and isinstance(body, dict) and body.get("workspaces") == []:
            exchange.hang_up = True


class DuplicatesRefused(Defect):
    """A workspace listed twice is a validation error."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.request_json()
        workspaces = body.get("workspaces") if isinstance(body, dict) else None
        # A few names (a thousand of one name is the limit's bound, not this defect's).
        if not isinstance(workspaces, list) or not 1 < len(workspaces) <= 10:
            return
        if len(workspaces) != len(set(map(str, workspaces))):
            exchange.status = 422
            exchange.set_response_json(_violation("body", "workspaces"))


class WorkspaceLimitOff(Defect):
    """More than 1,000 workspaces are accepted (duplicates dropped before the limit)."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        workspaces = body.get("workspaces") if isinstance(body, dict) else None
        if exchange.is_create_token and isinstance(workspaces, list) and len(workspaces) > 1000:
            assert isinstance(body, dict)
            body["workspaces"] = list(dict.fromkeys(workspaces))
            exchange.set_request_json(body)


class ExtremeOffsetsRefused(Defect):
    """expires_at at an offset beyond ±12:00 is refused (+14:00 is valid RFC 3339)."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.request_json()
        value = body.get("expires_at") if isinstance(body, dict) else None
        if exchange.status == 200 and isinstance(value, str) and value[-6:-3] in ("+13", "+14"):
            exchange.status = 422
            exchange.set_response_json(_violation("body", "expires_at"))


class NeverWithDateAccepted(Defect):
    """expires false with an expires_at: the date wins (a key that expires is minted)."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        if not (exchange.is_create_token and isinstance(body, dict)):
            return
        if body.get("expires") is False and body.get("expires_at") is not None:
            body["expires"] = True
            exchange.set_request_json(body)


class NameBytesLimit(Defect):
    """The name's limit counts UTF-8 bytes, not characters."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.request_json()
        name = body.get("name") if isinstance(body, dict) else None
        if exchange.status == 200 and isinstance(name, str) and len(name.encode()) > 256:
            exchange.status = 422
            exchange.set_response_json(_violation("body", "name"))


class ChunkedUnlimited(Defect):
    """A chunked body is not held to the size limit (only a declared Content-Length is)."""

    def before(self, exchange: Exchange) -> None:
        body = exchange.request_json()
        if exchange.chunked and len(exchange.body) > 65_536 and isinstance(body, dict):
            exchange.set_request_json({k: v for k, v in body.items() if k != "padding"})


class MediaTypeIgnored(Defect):
    """Any Content-Type is read as JSON."""

    def before(self, exchange: Exchange) -> None:
        if exchange.is_create_token and len(exchange.header_values("content-type")) == 1:
            exchange.set_header("Content-Type", "application/json")


class LocWithoutBody(Defect):
    """422 violations are located from the field, without FastAPI's leading "body"."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        body = exchange.response_json()
        if (
            exchange.status == 422
            and isinstance(body, dict)
            and isinstance(body.get("detail"), list)
        ):
            for item in body["detail"]:
                if isinstance(item, dict) and item.get("loc", [None])[:1] == ["body"]:
                    item["loc"] = item["loc"][1:] or ["root"]
            exchange.set_response_json(body)


class DetailAsObject(Defect):
    """Errors other than 422 carry {"error": {"message": ...}}."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status in (401, 403) and exchange.detail():
            exchange.set_response_json({"error": {"message": exchange.detail()}})


class HealthWrong(Defect):
    """/health answers {"status": "up"}, which its schema does not allow."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.path == "/health" and exchange.status == 200:
            exchange.set_response_json({"status": "up"})


class TrailingSlashRedirect(Defect):
    """/api/v1/token/ redirects to /api/v1/token."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.path == TOKEN_PATH + "/":
            exchange.status = 307
            exchange.content = b""
            exchange.response_headers = {"location": TOKEN_PATH}


class EncodedSlashRouted(Defect):
    """A path is decoded before it is routed: /api/v1%2Ftoken is Create Token."""

    def before(self, exchange: Exchange) -> None:
        exchange.path = exchange.path.replace("%2F", "/").replace("%2f", "/")


class MethodNotFound(Defect):
    """A method Create Token's path does not have is 404, not 405."""

    async def after(self, exchange: Exchange, send: Send) -> None:
        if exchange.status == 405 and exchange.path == TOKEN_PATH:
            exchange.status = 404
            exchange.response_headers.pop("allow", None)
            exchange.set_response_json({"detail": "Not found."})


class ContentTypesMerged(FirstHeaderWins):
    """Of several Content-Type headers, the first counts."""

    header = "Content-Type"


class BigHeadersDropped(Defect):
    """A header over 8 KB is dropped, and the request goes on."""

    def before(self, exchange: Exchange) -> None:
        exchange.headers = [(k, v) for k, v in exchange.headers if len(v) <= 8192]


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
    "role_refused_422": RoleRefused422,
    "service_refused_401": ServiceRefused401,
    "workspace_refused_422": WorkspaceRefused422,
    "past_expiry_403": PastExpiry403,
    "unknown_key_accepted": UnknownKeyAccepted,
    "first_authorization_wins": FirstAuthorizationWins,
    "scheme_case_sensitive": SchemeCaseSensitive,
    "body_before_credentials": BodyBeforeCredentials,
    "short_default_lifetime": ShortDefaultLifetime,
    "default_role_member": DefaultRoleMember,
    "role_id_unchecked": RoleIdUnchecked,
    "unknown_role_id_ignored": UnknownRoleIdIgnored,
    "workspace_first_only": WorkspaceFirstOnly,
    "unknown_workspace_422": UnknownWorkspace422,
    "empty_workspaces_hang_up": EmptyWorkspacesHangUp,
    "duplicates_refused": DuplicatesRefused,
    "workspace_limit_off": WorkspaceLimitOff,
    "extreme_offsets_refused": ExtremeOffsetsRefused,
    "never_with_date_accepted": NeverWithDateAccepted,
    "name_bytes_limit": NameBytesLimit,
    "chunked_unlimited": ChunkedUnlimited,
    "media_type_ignored": MediaTypeIgnored,
    "loc_without_body": LocWithoutBody,
    "detail_as_object": DetailAsObject,
    "health_wrong": HealthWrong,
    "trailing_slash_redirect": TrailingSlashRedirect,
    "encoded_slash_routed": EncodedSlashRouted,
    "method_not_found": MethodNotFound,
    "content_types_merged": ContentTypesMerged,
    "big_headers_dropped": BigHeadersDropped,
    "cached_key": CachedKey,
}


def create_app(upstream: str, admin_token: str) -> Starlette:
    # aiohttp, as token-api proxy: httpx's client was most of this proxy's CPU, the largest share
    # of test_broken's. Opened at start-up: a session belongs to the running loop.
    clients: dict[str, aiohttp.ClientSession] = {}
    defects = {name: kind(admin_token) for name, kind in DEFECTS.items()}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(
            timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
        ) as clients["upstream"]:
            yield

    async def send(exchange: Exchange) -> None:
        if exchange.crashed:
            return
        query = f"?{exchange.query.decode()}" if exchange.query else ""
        async with clients["upstream"].request(
            exchange.method,
            # As it came: an encoded slash stays encoded.
            URL(upstream + exchange.path + query, encoded=True),
            # Whitespace around a value is not part of it (RFC 9110 §5.5); a repeated header
            # stays repeated.
            headers=CIMultiDict((k, v.strip()) for k, v in exchange.headers),
            data=exchange.body,
            # The request's own Content-Type or none: never one aiohttp guesses for the body.
            skip_auto_headers=("Content-Type",),
            allow_redirects=False,
        ) as answer:
            exchange.status = answer.status
            exchange.response_headers = {
                k.lower(): v
                for k, v in answer.headers.items()
                if k.lower() not in _HOP_BY_HOP | _OWN
            }
            if answer.headers.get("connection", "").lower() == "close":
                # The upstream closes after this answer (a malformed request); so does the proxy.
                exchange.response_headers["connection"] = "close"
            exchange.content = await answer.read()

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
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in request.scope["headers"]
            if k.decode("latin-1").lower() not in _HOP_BY_HOP
        ]
        # The path as it came, percent-encoding and all, less the defect's prefix.
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = "/" + raw.decode("latin-1").split("?")[0].split("/", 2)[2]
        chunked = "content-length" not in request.headers
        body = await request.body()
        if path == KEY_PROBE_PATH and request.method in ("GET", "HEAD"):
            return await key_probe(defect, headers)
        exchange = Exchange(
            request.method, path, request.url.query.encode(), headers, body, chunked
        )
        return await through(defect, exchange)

    async def key_probe(defect: Defect, headers: list[tuple[str, str]]) -> Response | ASGIApp:
        # Create Token with the key, through the defect: 403 means recognised, not permitted.
        exchange = Exchange("POST", TOKEN_PATH, b"", list(headers), b"")
        exchange.set_request_json({"name": "broken proxy: key probe",
                                   "expires_at": _soon(minutes=5)})  # fmt: skip
        exchange.set_header("Content-Type", "application/json")
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
    return Starlette(routes=routes, lifespan=lifespan)


def app_from_environment() -> Starlette:
    return create_app(os.environ[ENV_UPSTREAM], os.environ[ENV_ADMIN_TOKEN])
