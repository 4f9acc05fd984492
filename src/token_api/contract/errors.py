"""Every error answer in the contract's shape, whatever raised it.

422: ``{"detail": [ValidationError, ...]}``; any other status: ``{"detail": "<sentence>"}``.
Registered on Connexion's ExceptionMiddleware with ``add_error_handler``.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from token_api.contract.schemas import Violation, violation
from token_api.domain.errors import Forbidden, InvalidField, NotAuthenticated, Unavailable

logger = logging.getLogger("token_api")


class RequestInvalid(Exception):
    """422 with every violation found."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(f"{len(violations)} violation(s)")
        self.violations = violations


class PayloadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body exceeds {limit} bytes.")


class UnsupportedCharset(Exception):
    def __init__(self, charset: str) -> None:
        super().__init__(f"The request body must be UTF-8-encoded JSON, not {charset[:40]}.")


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        body=orjson.dumps(body),
        headers=headers or {},
    )


def detail(status: int, message: str, headers: dict[str, str] | None = None) -> ConnexionResponse:
    return _json(status, {"detail": message}, headers)


def unauthorized(message: str) -> ConnexionResponse:
    return detail(401, message, {"WWW-Authenticate": "Bearer"})


async def _request_invalid(_: ConnexionRequest, error: RequestInvalid) -> ConnexionResponse:
    return _json(422, {"detail": error.violations})


async def _invalid_field(_: ConnexionRequest, error: InvalidField) -> ConnexionResponse:
    extra = {"input": error.value} if error.value is not None else {}
    item = violation([error.field], error.msg, "value_error", **extra)
    return _json(422, {"detail": [item]})


async def _not_authenticated(_: ConnexionRequest, error: NotAuthenticated) -> ConnexionResponse:
    return unauthorized(error.detail)


async def _forbidden(_: ConnexionRequest, error: Forbidden) -> ConnexionResponse:
    return detail(403, error.detail)


async def _unavailable(_: ConnexionRequest, error: Unavailable) -> ConnexionResponse:
    # One line (a driver's message may run to several); repeats are rate-limited (server/logs.py).
    cause = str(error.__cause__ or error.detail).strip().splitlines()
    logger.warning("database unavailable: %s", cause[0] if cause else type(error).__name__)
    return detail(503, error.detail, {"Retry-After": "1"})


async def _client_gone(_: ConnexionRequest, __: ClientDisconnect) -> ConnexionResponse:
    """The body ended early (the connection closed, or its deadline passed): nothing was
    processed, and nobody is left to read this answer."""
    return detail(400, "The request body ended before its declared length.")


async def _too_large(_: ConnexionRequest, error: PayloadTooLarge) -> ConnexionResponse:
    return detail(413, str(error))


async def _charset(_: ConnexionRequest, error: UnsupportedCharset) -> ConnexionResponse:
    return detail(415, str(error))


_PROBLEM_DETAILS = {
    401: "No authorization token provided.",
    404: "Not found.",
    405: "Method not allowed.",
}


async def _problem(_: ConnexionRequest, error: ProblemException) -> ConnexionResponse:
    """Connexion's own problems (401 from its security layer, 415, ...), reshaped."""
    status = error.status
    if status == 401:
        # Connexion's messages: "No authorization token provided", "Invalid authorization header".
        message = str(error.detail or _PROBLEM_DETAILS[401]).rstrip(".") + "."
        return unauthorized(message)
    if status >= 500:
        logger.error("%s: %s", error.title, error.detail)
        return detail(500, "Internal server error.")
    return detail(status, str(error.detail or error.title or "Request refused.").rstrip(".") + ".")


async def _http(_: ConnexionRequest, error: HTTPException) -> ConnexionResponse:
    """Starlette's HTTP errors: 404 and 405 from routing."""
    message = _PROBLEM_DETAILS.get(error.status_code, str(error.detail).rstrip(".") + ".")
    return detail(error.status_code, message, dict(error.headers or {}))


async def _unexpected(_: ConnexionRequest, error: Exception) -> ConnexionResponse:
    logger.error("unhandled error", exc_info=error)
    return detail(500, "Internal server error.")


HANDLERS: list[tuple[type[Exception], Any]] = [
    (RequestInvalid, _request_invalid),
    (InvalidField, _invalid_field),
    (NotAuthenticated, _not_authenticated),
    (Forbidden, _forbidden),
    (Unavailable, _unavailable),
    (PayloadTooLarge, _too_large),
    (UnsupportedCharset, _charset),
    (ClientDisconnect, _client_gone),
    (ProblemException, _problem),
    (HTTPException, _http),
    (Exception, _unexpected),
]


def register(app: Any) -> None:
    for exception, handler in HANDLERS:
        app.add_error_handler(exception, handler)
