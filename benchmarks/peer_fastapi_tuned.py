"""The tuned peer: Create Token as a performance-minded team writes it with FastAPI.

Same rules (``token_api.domain``), same Store (driver-level SQL on SQLite with WAL and
synchronous=NORMAL, psycopg 3 on PostgreSQL), same token format, the ``200`` after the commit:
only the HTTP and contract layer differs. Written for speed, the way FastAPI's documentation
recommends it: ``async def`` endpoint and dependency (no thread-pool hop for either), one
dependency for the credential, a strict pydantic model of the published request schema (JSON types
only, ``date-time`` and ``uuid`` checked by the contract's own format functions, unknown keys
allowed as the schema allows them) with FastAPI's own 422s, ``response_model`` validation and its
serialisation straight to JSON bytes by pydantic (FastAPI deprecated ORJSONResponse in favour of
this: faster), orjson for the error answers.

Run: ``TOKEN_API_DATABASE_URL=... uvicorn benchmarks.peer_fastapi_tuned:create_app --factory``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.responses import ORJSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from benchmarks.shared import domain_error_handlers, service_lifespan
from token_api.contract.schemas import is_date_time, is_uuid
from token_api.contract.validators import MAX_BODY_BYTES
from token_api.domain.errors import NotAuthenticated
from token_api.domain.minting import TokenRequest
from token_api.domain.principal import Principal
from token_api.server.service import TokenService
from token_api.server.settings import Settings


def _format(check: Any, name: str) -> AfterValidator:
    def validate(value: str) -> str:
        if not check(value):
            raise ValueError(f"Input should be {name}")
        return value

    return AfterValidator(validate)


DateTime = Annotated[str, _format(is_date_time, "an RFC 3339 date-time with a UTC offset")]
UUIDString = Annotated[str, _format(is_uuid, "a UUID")]


class CreateToken(BaseModel):
    """The published CreateToken schema; strict: no coercion, a JSON type is what it says."""

    model_config = ConfigDict(strict=True, extra="ignore")

    expires: bool = True
    expires_at: DateTime | None = None
    name: str | None = None
    organization_role: Literal["ADMIN", "MEMBER", "EXTERNAL"] = "MEMBER"
    personal: bool = True
    role_id: UUIDString | None = None
    workspaces: list[str] = Field(default_factory=list)


class APITokenResult(BaseModel):
    api_token: Annotated[str, Field(pattern=r"^api_")]
    api_token_id: UUIDString


class Health(BaseModel):
    status: str


class PayloadTooLarge(Exception):
    pass


async def caller(request: Request) -> Principal:
    """The bearer credential's principal; one Authorization header, a declared body under the
    server's cap (FastAPI has read the body by the time dependencies run)."""
    service: TokenService = request.state.service
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    authorization = request.headers.getlist("authorization")
    if len(authorization) > 1:
        raise NotAuthenticated("Send one Authorization header, not several.")
    scheme, _, token = authorization[0].partition(" ") if authorization else ("", "", "")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("No bearer token was provided.")
    return await service.call(service.authenticate, token)


def _orjson(status: int, body: Any, headers: dict[str, str] | None) -> ORJSONResponse:
    return ORJSONResponse(body, status_code=status, headers=headers)


async def _too_large(_: Request, __: PayloadTooLarge) -> ORJSONResponse:
    return _orjson(413, {"detail": f"The request body exceeds {MAX_BODY_BYTES} bytes."}, None)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Create Token (tuned FastAPI peer)",
        lifespan=service_lifespan(Settings.from_environment()),
        exception_handlers={**domain_error_handlers(_orjson), PayloadTooLarge: _too_large},
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )

    @app.post("/api/v1/token", response_model=APITokenResult)
    async def create_token(
        body: CreateToken, request: Request, principal: Annotated[Principal, Depends(caller)]
    ) -> Any:
        service: TokenService = request.state.service
        # The model's attributes are the body with the schema's defaults filled.
        token_request = TokenRequest.from_body(body.__dict__, frozenset(body.model_fields_set))
        grant, secret = await service.call(service.mint, principal, token_request)
        return {"api_token": secret, "api_token_id": str(grant.token_id)}

    @app.get("/health", response_model=Health)
    async def health(request: Request) -> Any:
        service: TokenService = request.state.service
        await service.call(service.check_database)
        return {"status": "ok"}

    return app
