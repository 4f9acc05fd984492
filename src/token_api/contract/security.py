"""HTTP bearer authentication through Connexion's ``security_map``.

Connexion's BearerSecurityHandler parses the ``Authorization`` header (scheme case-insensitive)
and answers 401 when it is missing or malformed; we only supply the function that turns a token
into token_info. It runs in Connexion's SecurityMiddleware, before request validation, so an
unauthenticated caller learns nothing about its body.

Connexion reads the first ``Authorization`` header only. A request carrying several is refused
(401) rather than judged by whichever a proxy on the way happens to put first.

The bearer handler's verify function is Connexion's, read straight from the ASGI headers: its
own builds Starlette's header mapping and inspects the token-info function's signature on every
request. Same answers: no ``Authorization`` or another scheme → not this scheme (Connexion then
answers 401), a value without a space → 401 "Invalid authorization header", a token-info function
returning None → 401 "Provided token is not valid". One difference: spaces and tabs around the
value are not part of it (RFC 9110 §5.5), so ``Bearer <key> `` is that key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connexion.exceptions import OAuthProblem, OAuthResponseProblem
from connexion.lifecycle import ConnexionRequest
from connexion.security import NO_VALUE, BearerSecurityHandler

from token_api.domain.errors import NotAuthenticated

TokenInfoFunction = Callable[..., Awaitable[dict[str, Any]]]


def bearer_security_map(token_info: TokenInfoFunction) -> dict[str, type]:
    """A security_map whose bearer scheme calls ``token_info(token, request=...)``."""

    async def verify(request: ConnexionRequest) -> Any:
        values = [value for name, value in request.scope["headers"] if name == b"authorization"]
        # Whitespace around a field value is not part of it (RFC 9110 §5.5); the HTTP parser
        # keeps what trails, so "Bearer <key> " would otherwise be a different credential.
        value = values[0].decode("latin-1").strip(" \t") if values else ""
        if not value:
            return NO_VALUE
        try:
            scheme, token = value.split(maxsplit=1)
        except ValueError:
            raise OAuthProblem(detail="Invalid authorization header") from None
        if scheme.lower() != "bearer":
            return NO_VALUE
        if len(values) > 1:
            raise NotAuthenticated("Send one Authorization header, not several.")
        info = await token_info(token, request)
        if info is None:
            raise OAuthResponseProblem(detail="Provided token is not valid")
        return info

    class Bearer(BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: dict[str, Any]) -> TokenInfoFunction:
            return token_info

        def _get_verify_func(self, _: TokenInfoFunction) -> Callable[..., Awaitable[Any]]:
            return verify

    return {"bearer": Bearer}
