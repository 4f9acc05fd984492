"""HTTP bearer authentication through Connexion's ``security_map``.

Connexion's BearerSecurityHandler parses the ``Authorization`` header (scheme case-insensitive)
and answers 401 when it is missing or malformed; we only supply the function that turns a token
into token_info. It runs in Connexion's SecurityMiddleware, before request validation, so an
unauthenticated caller learns nothing about its body.

Connexion reads the first ``Authorization`` header only. A request carrying several is refused
(401) rather than judged by whichever a proxy on the way happens to put first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from connexion.lifecycle import ConnexionRequest
from connexion.security import BearerSecurityHandler

from token_api.domain.errors import NotAuthenticated

TokenInfoFunction = Callable[..., Awaitable[dict[str, Any]]]


def bearer_security_map(token_info: TokenInfoFunction) -> dict[str, type]:
    """A security_map whose bearer scheme calls ``token_info(token, request=...)``."""

    async def one_credential(token: str, request: ConnexionRequest) -> dict[str, Any]:
        if len(request.headers.getlist("authorization")) > 1:
            raise NotAuthenticated("Send one Authorization header, not several.")
        return await token_info(token, request)

    class Bearer(BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: dict[str, Any]) -> TokenInfoFunction:
            return one_credential

        # Connexion inspects the token-info function's signature twice per request to decide
        # what to pass it; a function's signature does not change, so the answer is kept.
        _accepts_kwarg = staticmethod(cache(BearerSecurityHandler._accepts_kwarg))

    return {"bearer": Bearer}
