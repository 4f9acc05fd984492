"""One function per operationId (``createToken`` → ``create_token``); thin by design: the rules
live in ``token_api.domain``, the contract checks in ``token_api.contract``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from connexion import request
from starlette.concurrency import run_in_threadpool

from token_api.contract.validators import validated_body
from token_api.domain.minting import TokenRequest
from token_api.server.service import TokenService


def handler_name(operation_id: str) -> str:
    """The function Connexion resolves an operationId to."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", operation_id).lower()


def resolve(operation_id: str) -> Callable[..., Any]:
    return globals()[handler_name(operation_id)]  # type: ignore[no-any-return]


def _service() -> TokenService:
    return request.state.service  # type: ignore[no-any-return]


async def create_token(token_info: dict[str, Any]) -> tuple[dict[str, str], int]:
    body = validated_body(request.scope)
    token_request = TokenRequest.from_body(body.value, body.sent)
    grant, secret = await run_in_threadpool(_service().mint, token_info["principal"], token_request)
    return {"api_token": secret, "api_token_id": str(grant.token_id)}, 200


async def get_health() -> tuple[dict[str, str], int]:
    await run_in_threadpool(_service().check_database)
    return {"status": "ok"}, 200
