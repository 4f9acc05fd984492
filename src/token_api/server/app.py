"""Building the ASGI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

# First: it imports Connexion without the client libraries the server never uses.
from token_api.contract import connexion_compat  # isort: split

from connexion.lifecycle import ConnexionRequest
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver

from token_api.contract import errors
from token_api.contract.document import load_document, spec_path
from token_api.contract.media_types import CanonicalContentType
from token_api.contract.middlewares import middleware_stack
from token_api.contract.security import bearer_security_map
from token_api.contract.validators import VALIDATOR_MAP
from token_api.domain.minting import require_session
from token_api.server import handlers
from token_api.server.docs import DocsMiddleware
from token_api.server.framework import ContractApp
from token_api.server.service import TokenService
from token_api.server.settings import Settings


async def _token_info(token: str, request: ConnexionRequest) -> dict[str, Any]:
    service: TokenService = request.state.service
    principal = await service.call(service.authenticate, token)
    # Every secured operation of this API creates API tokens, which only a session may do. It
    # depends on the credential alone, so it is answered with it, before the body is read: an
    # API key gets 403 whatever it sends, as a bad credential gets 401.
    require_session(principal)
    return {"sub": str(principal.user_id), "principal": principal}


def create_app(settings: Settings | None = None) -> ContractApp:
    """The reference server. The database must already be migrated (``token-api init``)."""
    settings = settings or Settings.from_environment()
    connexion_compat.install()

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[dict[str, Any]]:
        service = TokenService.connect(settings)
        # Everything built so far (the document, Connexion's operations, SQLAlchemy's tables)
        # lives as long as the process. Frozen, the garbage collector no longer walks it: a full
        # collection under load had paused every request for about 75 ms.
        gc.freeze()
        try:
            yield {"service": service}
        finally:
            service.close()

    app = ContractApp(
        __name__,
        lifespan=lifespan,
        middlewares=middleware_stack(
            before_routing=[partial(DocsMiddleware, spec_file=spec_path())],
            before_validation=[CanonicalContentType],
        ),
    )
    app.add_api(
        load_document(),
        resolver=Resolver(function_resolver=handlers.resolve),
        validator_map=VALIDATOR_MAP,
        security_map=bearer_security_map(_token_info),
        validate_responses=settings.validate_responses,
        swagger_ui_options=SwaggerUIOptions(serve_spec=False, swagger_ui=False),
    )
    errors.register(app)
    return app


def app_from_environment() -> ContractApp:
    """Factory for ``uvicorn --factory`` and multi-worker serving."""
    return create_app(Settings.from_environment())
