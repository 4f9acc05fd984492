"""One function per operationId (``createToken`` → ``create_token``); thin by design: the rules
live in ``token_api.domain``, the contract checks in ``token_api.contract``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.context import scope

from token_api.contract.naming import handler_name
from token_api.contract.validators import validated_body
from token_api.domain.minting import TokenRequest
from token_api.server.service import TokenService


def resolve(operation_id: str) -> Callable[..., Any]:
    return globals()[handler_name(operation_id)]  # type: ignore[no-any-return]


# Connexion's context ``scope`` (the request's ASGI scope), not ``connexion.request``: that builds
# a new request object on every attribute read.
def _service() -> TokenService:
    return scope["state"]["service"]  # type: ignore[no-any-return]


async def create_token(
    token_info: dict[str, Any],
) -> tuple[dict[str, str], int, dict[str, str]]:
    body = validated_body(scope)
    token_request = TokenRequest.from_body(body.value, body.sent)
    service = _service()
    grant, secret = await service.call(service.mint, token_info["principal"], token_request)
    # The answer holds a secret: no cache may keep it (RFC 6749 §5.1; rule key.no-store). A new
    # dict each time: Connexion adds the Content-Type to it.
    headers = {"Cache-Control": "no-store"}
    return {"api_token": secret, "api_token_id": str(grant.token_id)}, 200, headers


async def get_health() -> tuple[dict[str, str], int]:
    service = _service()
    await service.call(service.check_database)
    return {"status": "ok"}, 200
