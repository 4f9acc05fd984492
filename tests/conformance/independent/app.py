"""An implementation of the Create Token contract written from openapi.yaml alone, to check the
conformance run against code it did not come from: FastAPI and pydantic, an in-memory
organization, and nothing imported from the package it checks.

Where it may differ from the reference server it does (its own messages, secrets in base64url,
pydantic's own 422 items, its own order of checks within what the contract leaves open); where the
contract is explicit it follows it. A conformance run against it must pass on every seed.

``python -m tests.conformance.independent --port P --identities FILE`` serves it and writes the
identities file (the shape the reference's `init --demo --json` prints, role ids included).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
)

BODY_LIMIT = 65_536
HEAD_LIMIT = 16_384
DEFAULT_LIFETIME = timedelta(days=30)
RANK = {"EXTERNAL": 0, "MEMBER": 1, "ADMIN": 2}
API_KEYS_CANNOT = "API keys can't be used to create, modify, or delete API tokens."
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))"
)
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- the organization ---------------------------------------------------------------------------


@dataclass
class User:
    email: str
    role: str
    role_id: str
    reach: frozenset[str] | None  # None: every workspace


@dataclass
class Key:
    id: str
    user: User
    expires_at: datetime | None


@dataclass
class Organization:
    roles: dict[str, str] = field(default_factory=lambda: {r: str(uuid.uuid4()) for r in RANK})
    workspaces: set[str] = field(default_factory=set)
    sessions: dict[str, User] = field(default_factory=dict)
    keys: dict[bytes, Key] = field(default_factory=dict)  # by SHA-256 of the secret
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_user(self, email: str, role: str, reach: list[str] | None) -> tuple[User, str]:
        user = User(email, role, self.roles[role], None if reach is None else frozenset(reach))
        session = "ses_" + secrets.token_urlsafe(32)
        self.sessions[session] = user
        return user, session

    def reach(self, user: User) -> set[str]:
        return set(self.workspaces) if user.reach is None else set(user.reach)


def demo() -> tuple[Organization, dict[str, Any]]:
    """Four workspaces and a user of each role; the identities document for them."""
    org = Organization(workspaces={"default", "research", "staging", "production"})
    users = []
    for email, role, reach in [
        ("admin@example.org", "ADMIN", None),
        ("member@example.org", "MEMBER", ["default", "research", "staging"]),
        ("external@example.org", "EXTERNAL", ["research"]),
    ]:
        _, session = org.add_user(email, role, reach)
        users.append(
            {"email": email, "organization_role": role, "workspaces": reach, "session": session}
        )
    identities = {"workspaces": sorted(org.workspaces), "roles": org.roles, "users": users}
    return org, identities


# -- the request body ---------------------------------------------------------------------------


def _rfc3339(value: Any) -> Any:
    """A string that is an RFC 3339 date-time with an offset, as an aware datetime."""
    if not isinstance(value, str):
        raise ValueError("expires_at must be a string")
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise ValueError("expires_at must be an RFC 3339 date-time with a UTC offset")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = (match.group(7) or ".0")[1:7].ljust(6, "0")
    offset = match.group(8)
    if offset in ("Z", "z"):
        zone = UTC
    else:
        hours, minutes = int(match.group(9)), int(match.group(10))
        if hours > 23 or minutes > 59:
            raise ValueError("expires_at has an offset out of range")
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, second, int(fraction), zone)
    except ValueError:
        raise ValueError("expires_at is not a date that exists") from None


def _expiry(value: Any) -> Any:
    return None if value is None else _rfc3339(value)


def _name(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("name must not hold NUL")
    return value


def _workspace_names(value: Any) -> Any:
    if isinstance(value, list):
        if len(value) > 1000:
            raise ValueError("at most 1000 workspaces")
        for item in value:
            if isinstance(item, str) and (len(item) > 256 or "\x00" in item):
                raise ValueError("workspace names are at most 256 characters, without NUL")
    return value


class CreateToken(BaseModel):
    name: Annotated[StrictStr, Field(max_length=256), AfterValidator(_name)] | None = None
    # No null: the schema gives it a type, and the default applies only when it is left out.
    organization_role: Literal["ADMIN", "MEMBER", "EXTERNAL"] = Field(default=None)  # type: ignore[assignment]
    role_id: uuid.UUID | None = None
    workspaces: Annotated[list[StrictStr], BeforeValidator(_workspace_names)] = Field(
        default_factory=list
    )
    expires: StrictBool = True
    expires_at: Annotated[datetime | None, BeforeValidator(_expiry)] = None
    personal: StrictBool = True


# -- answers ------------------------------------------------------------------------------------


def problem(status: int, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status, headers=headers or None)


def unauthorized(detail: str) -> JSONResponse:
    return problem(401, detail, **{"WWW-Authenticate": "Bearer"})


def invalid(loc: list[Any], msg: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse({"detail": [{"type": kind, "loc": loc, "msg": msg}]}, 422)


def validation_errors(error: ValidationError) -> JSONResponse:
    detail = []
    for item in error.errors(include_url=False):
        entry = {k: v for k, v in item.items() if k in ("type", "loc", "msg", "input")}
        entry["loc"] = ["body", *item["loc"]]
        detail.append(entry)
    return JSONResponse({"detail": json.loads(json.dumps(detail, default=str))}, 422)


# -- the HTTP layer the contract describes (before routing) ---------------------------------------


def http_layer(app: ASGI) -> ASGI:
    """Several Content-Type or Host headers → 400, headers over the limit → 431, a percent-encoded
    slash in the path → 404; each a JSON answer, the first two closing the connection."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = scope["headers"]
        size = len(scope["method"]) + len(scope.get("raw_path") or b"") + 12
        size += sum(len(name) + len(value) + 4 for name, value in headers)
        names = [name.lower() for name, _ in headers]
        answer: tuple[int, str, bool] | None = None
        if size > HEAD_LIMIT:
            answer = (431, f"The request line and headers exceed {HEAD_LIMIT} bytes.", True)
        elif names.count(b"content-type") > 1 or names.count(b"host") != 1:
            answer = (400, "Send one Host and at most one Content-Type header.", True)
        elif b"%2f" in (scope.get("raw_path") or b"").lower():
            answer = (404, "Not Found", False)
        if answer is None:
            await app(scope, receive, send)
            return
        status, detail, close = answer
        body = json.dumps({"detail": detail}).encode()
        extra = [(b"connection", b"close")] if close else []
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return guarded


# -- Create Token -------------------------------------------------------------------------------


async def _drain(request: Request, limit: int) -> bytes | None:
    """The body, or None once it is past ``limit`` (the rest is read and dropped)."""
    chunks, size, over = [], 0, False
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            over = True
        elif not over:
            chunks.append(chunk)
    return None if over else b"".join(chunks)


def _strict_json(raw: bytes) -> Any:
    """JSON as RFC 8259 has it: UTF-8, no NaN, no duplicate keys, no lone surrogates."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate keys")
        return dict(items)

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    value = json.loads(raw.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate cannot be encoded
    return value


def _media_type_problem(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    media, _, parameters = content_type.partition(";")
    if media.strip().lower() != "application/json":
        return f"The body must be application/json, not {media.strip() or 'nothing'}."
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            return "The body must be UTF-8."
    return None


def create_app(org: Organization) -> FastAPI:
    app = FastAPI(redirect_slashes=False, openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(RequestValidationError)
    async def fastapi_422(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": json.loads(json.dumps(error.errors(), default=str))}, 422)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/token")
    async def create_token(request: Request) -> JSONResponse:
        values = request.headers.getlist("authorization")
        if len(values) > 1:
            return unauthorized("Send one Authorization header.")
        match = _BEARER.fullmatch(values[0].strip()) if values else None
        if match is None:
            await _drain(request, BODY_LIMIT)
            return unauthorized("A bearer credential is required.")
        credential = match.group(1)
        now = datetime.now(UTC)
        with org.lock:
            user = org.sessions.get(credential)
            key = org.keys.get(hashlib.sha256(credential.encode()).digest())
        if user is None:
            await _drain(request, BODY_LIMIT)
            if key is not None and (key.expires_at is None or key.expires_at > now):
                return problem(403, API_KEYS_CANNOT)
            return unauthorized("The credential is not valid.")
        if "content-encoding" in request.headers:
            await _drain(request, BODY_LIMIT)
            return problem(415, "Content codings are not decoded.")
        wrong_media = _media_type_problem(request.headers.get("content-type"))
        if wrong_media is not None:
            await _drain(request, BODY_LIMIT)
            return problem(415, wrong_media)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > BODY_LIMIT:
            await _drain(request, BODY_LIMIT)
            return problem(413, f"The body is over {BODY_LIMIT} bytes.")
        raw = await _drain(request, BODY_LIMIT)
        if raw is None:
            return problem(413, f"The body is over {BODY_LIMIT} bytes.")
        try:
            document = _strict_json(raw)
        except (ValueError, RecursionError) as error:
            return invalid(["body", 0], f"JSON decode error: {error}", "json_invalid")
        if document is None:
            return invalid(["body"], "Field required", "missing")
        if not isinstance(document, dict):
            return invalid(["body"], "Input should be a valid dictionary", "dict_type")
        try:
            asked = CreateToken.model_validate(document)
        except ValidationError as error:
            return validation_errors(error)
        return mint(org, user, asked, now)

    return app


def mint(org: Organization, user: User, asked: CreateToken, now: datetime) -> JSONResponse:
    if not asked.expires and asked.expires_at is not None:
        return invalid(["body", "expires_at"], "expires false takes no expires_at")
    if asked.expires_at is not None and asked.expires_at <= now:
        return invalid(["body", "expires_at"], "expires_at must be in the future")
    role = asked.organization_role or user.role
    if user.role != "ADMIN" and RANK[role] > RANK[user.role]:
        return problem(403, f"A {user.role} may not grant {role}.")
    role_id = str(asked.role_id) if asked.role_id is not None else user.role_id
    if user.role != "ADMIN" and role_id != user.role_id:
        return problem(403, "Only an ADMIN may name another role id.")
    if role_id not in org.roles.values():
        return invalid(["body", "role_id"], "role_id is no role of the organization")
    if not asked.personal and user.role != "ADMIN":
        return problem(403, "Only an ADMIN may create a service key.")
    reach = org.reach(user)
    wanted = list(dict.fromkeys(asked.workspaces))
    for name in wanted:
        if name not in reach:
            return problem(403, "A workspace asked for is not within reach.")
    expires_at = None
    if asked.expires:
        expires_at = asked.expires_at or now + DEFAULT_LIFETIME
    secret = "api_" + secrets.token_urlsafe(32)
    key_id = str(uuid.uuid4())
    with org.lock:
        org.keys[hashlib.sha256(secret.encode()).digest()] = Key(key_id, user, expires_at)
    return JSONResponse(
        {"api_token": secret, "api_token_id": key_id}, headers={"Cache-Control": "no-store"}
    )


def build() -> tuple[ASGI, dict[str, Any]]:
    org, identities = demo()
    return http_layer(create_app(org)), identities
