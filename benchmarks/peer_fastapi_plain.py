"""The plain peer: Create Token as a typical team writes it with FastAPI and pydantic.

Same rules (``token_api.domain``), same database and engine settings (``token_api.storage``),
same token format: only the HTTP and contract layer differs. Written the idiomatic way: pydantic
models for the body and the answer (``response_model`` validates it), ``HTTPBearer`` and a sync
dependency for authentication, a sync endpoint (FastAPI runs both in its thread pool), exception
handlers mapping the domain's errors to statuses.

Run: ``TOKEN_API_DATABASE_URL=... uvicorn benchmarks.peer_fastapi_plain:create_app --factory``.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from benchmarks.shared import domain_error_handlers, service_lifespan
from token_api.domain.errors import NotAuthenticated
from token_api.domain.minting import TokenRequest
from token_api.domain.principal import Principal
from token_api.server.service import TokenService
from token_api.server.settings import Settings


class OrganizationRole(enum.StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    EXTERNAL = "EXTERNAL"


class CreateToken(BaseModel):
    expires: bool = True
    expires_at: datetime | None = None
    name: str | None = None
    organization_role: OrganizationRole = OrganizationRole.MEMBER
    personal: bool = True
    role_id: uuid.UUID | None = None
    workspaces: list[str] = Field(default_factory=list)


class APITokenResult(BaseModel):
    api_token: str = Field(pattern=r"^api_")
    api_token_id: uuid.UUID


class Health(BaseModel):
    status: str = "ok"


bearer = HTTPBearer(auto_error=False)


def get_service(request: Request) -> TokenService:
    return request.state.service  # type: ignore[no-any-return]


def current_principal(
    service: Annotated[TokenService, Depends(get_service)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise NotAuthenticated("No bearer token was provided.")
    return service.authenticate(credentials.credentials)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Create Token (plain FastAPI peer)",
        lifespan=service_lifespan(Settings.from_environment()),
        exception_handlers=domain_error_handlers(_json),
    )

    @app.post("/api/v1/token", response_model=APITokenResult)
    def create_token(
        body: CreateToken,
        principal: Annotated[Principal, Depends(current_principal)],
        service: Annotated[TokenService, Depends(get_service)],
    ) -> APITokenResult:
        request = TokenRequest.from_body(
            body.model_dump(mode="json"), frozenset(body.model_fields_set)
        )
        grant, secret = service.mint(principal, request)
        return APITokenResult(api_token=secret, api_token_id=grant.token_id)

    @app.get("/health", response_model=Health)
    def health(service: Annotated[TokenService, Depends(get_service)]) -> Health:
        service.check_database()
        return Health()

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return _json(exc.status_code, {"detail": exc.detail}, dict(exc.headers or {}))

    return app


def _json(status: int, body: Any, headers: dict[str, str] | None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)
