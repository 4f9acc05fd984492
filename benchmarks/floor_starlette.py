"""The floor: the same work as Create Token in bare Starlette, with no contract layer.

Bearer header parsed by hand, body parsed with orjson and checked only as far as the domain needs
(an object), the same domain calls over the same Store as the reference server, made the same way
(``TokenService.call``). What the reference spends above this is the price of its contract layer.

Run: ``TOKEN_API_DATABASE_URL=... uvicorn benchmarks.floor_starlette:create_app --factory``.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.shared import domain_error_handlers, service_lifespan
from token_api.domain.errors import NotAuthenticated
from token_api.domain.minting import TokenRequest
from token_api.server.service import TokenService
from token_api.server.settings import Settings

DEFAULTS = {"expires": True, "personal": True}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


async def create_token(request: Request) -> Response:
    service: TokenService = request.state.service
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("No bearer token was provided.")
    principal = await service.call(service.authenticate, token)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return _json(422, {"detail": [{"loc": ["body"], "msg": "Invalid JSON", "type": "json"}]})
    if not isinstance(body, dict):
        return _json(422, {"detail": [{"loc": ["body"], "msg": "Not an object", "type": "dict"}]})
    token_request = TokenRequest.from_body({**DEFAULTS, **body}, frozenset(body))
    grant, secret = await service.call(service.mint, principal, token_request)
    return _json(200, {"api_token": secret, "api_token_id": str(grant.token_id)})


async def health(request: Request) -> Response:
    service: TokenService = request.state.service
    await service.call(service.check_database)
    return _json(200, {"status": "ok"})


def create_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/v1/token", create_token, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers=domain_error_handlers(_json),
        lifespan=service_lifespan(Settings.from_environment()),
    )
