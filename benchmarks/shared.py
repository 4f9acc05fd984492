"""What the peers and the Starlette floor share with each other: the service's lifespan and the
domain's errors as HTTP answers (the same statuses and shapes as the reference server's)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from token_api.domain.errors import Forbidden, InvalidField, NotAuthenticated, Unavailable
from token_api.server.service import TokenService
from token_api.server.settings import Settings

Respond = Callable[[int, Any, "dict[str, str] | None"], Response]
Handler = Callable[[Request, Any], Any]


def service_lifespan(settings: Settings) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    """A lifespan whose state holds ``service`` (``request.state.service`` in handlers)."""

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[dict[str, Any]]:
        service = TokenService.connect(settings)
        try:
            yield {"service": service}
        finally:
            service.close()

    return lifespan


def domain_error_handlers(respond: Respond) -> dict[Any, Handler]:
    """Exception handlers (Starlette's and FastAPI's ``exception_handlers``) answering with
    ``respond(status, body, headers)``."""

    async def not_authenticated(_: Request, exc: NotAuthenticated) -> Response:
        return respond(401, {"detail": exc.detail}, {"WWW-Authenticate": "Bearer"})

    async def forbidden(_: Request, exc: Forbidden) -> Response:
        return respond(403, {"detail": exc.detail}, None)

    async def invalid_field(_: Request, exc: InvalidField) -> Response:
        item = {"loc": ["body", exc.field], "msg": exc.msg, "type": "value_error"}
        return respond(422, {"detail": [item]}, None)

    async def unavailable(_: Request, exc: Unavailable) -> Response:
        return respond(503, {"detail": exc.detail}, {"Retry-After": "1"})

    return {
        NotAuthenticated: not_authenticated,
        Forbidden: forbidden,
        InvalidField: invalid_field,
        Unavailable: unavailable,
    }
