"""Connexion's middleware stack, with request and response validation planned once per operation.

Connexion 3.3's validation operations redo, per request, work that depends only on the operation
(a URI parser, a ParameterValidator, MediaTypeDicts, the schemas and response definitions). The
operations below are Connexion's own classes, subclassed, so the checks, their order and their
errors are Connexion's; what depends on the request is still looked at on every request. What
this buys: docs/decisions/connexion-trimming.md. The stack is passed to
``AsyncApp(middlewares=...)``, Connexion's way of replacing its defaults.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import NonConformingResponseHeaders, UnsupportedMediaTypeProblem
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationOperation,
)
from connexion.middleware.request_validation import (
    RequestValidationMiddleware as ConnexionRequestValidation,
)
from connexion.middleware.response_validation import (
    ResponseValidationAPI,
    ResponseValidationOperation,
)
from connexion.middleware.response_validation import (
    ResponseValidationMiddleware as ConnexionResponseValidation,
)
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.utils import is_nullable, split_content_type
from starlette.types import ASGIApp, Receive, Scope, Send

from token_api.contract.media_types import with_canonical_content_type
from token_api.contract.routing import EncodedSlashesNotFound, RoutingMiddleware

logger = logging.getLogger("connexion.middleware.validation")

# Plans are cached per media type the operation accepted (or per status and media type the
# server sent); the cap only matters for specs that accept media-type ranges.
_MAX_PLANS = 32


class _MediaTypes:
    """Whether a media type is one of ``types`` (ranges allowed), as Connexion's MediaTypeDict
    answers it, remembered: MediaTypeDict sorts its keys and runs fnmatch on every lookup."""

    def __init__(self, types: list[str]) -> None:
        self._types = MediaTypeDict([(t.lower(), None) for t in types])
        self._known: dict[str, bool] = {}

    def __contains__(self, mime_type: str) -> bool:
        known = self._known.get(mime_type)
        if known is None:
            known = mime_type in self._types
            if len(self._known) < _MAX_PLANS:
                self._known[mime_type] = known
        return known


def _media_types(types: list[str]) -> _MediaTypes | None:
    return _MediaTypes(types) if types else None


def _mime_type_and_encoding(headers: Any, declared: list[str]) -> tuple[str, str]:
    """What Connexion's ``extract_content_type`` methods answer, for ASGI headers, without the
    typing expressions ``connexion.utils.extract_content_type`` evaluates on every call."""
    content_type = next(
        (value.decode("latin-1") for name, value in headers if name.lower() == b"content-type"),
        None,
    )
    mime_type, encoding = split_content_type(content_type)
    if mime_type is None:
        # Content-Type is not required: Connexion takes the first declared type as a best guess.
        mime_type = declared[0] if declared else "application/octet-stream"
    # None only: an empty charset ("charset=") stays empty, and is refused as Connexion would.
    return mime_type, "utf-8" if encoding is None else encoding


class _RequestValidation(RequestValidationOperation):  # type: ignore[misc]
    def __init__(self, next_app: ASGIApp, *, operation: Any, **kwargs: Any) -> None:
        super().__init__(next_app, operation=operation, **kwargs)
        self._uri_parser = operation.uri_parser_class(
            operation.parameters, operation.body_definition()
        )
        # With no parameters declared and no strict validation, Connexion's ParameterValidator
        # has nothing to check; otherwise it runs on every request, as in Connexion.
        self._parameters = (
            self._validator_map["parameter"](
                operation.parameters,
                uri_parser=self._uri_parser,
                strict_validation=self.strict_validation,
                security_query_params=self.security_query_params,
            )
            if operation.parameters or self.strict_validation
            else None
        )
        self._consumes = _media_types(operation.consumes)
        self._bodies: dict[str, tuple[type, dict[str, Any]] | None] = {}
        # Connexion builds a body validator per request; one holds only its configuration (schema,
        # flags, charset), so one per media type and charset serves every request.
        self._validators: dict[tuple[str, str], Any] = {}

    def extract_content_type(self, headers: Any) -> tuple[str, str]:
        return _mime_type_and_encoding(headers, self._operation.consumes)

    def validate_mime_type(self, mime_type: str) -> None:
        if self._consumes is not None and mime_type.lower() not in self._consumes:
            raise UnsupportedMediaTypeProblem(
                detail=f"The request body must be {' or '.join(self._operation.consumes)}, "
                f"not {mime_type}."
            )

    def _body_plan(self, mime_type: str) -> tuple[type, dict[str, Any]] | None:
        if mime_type in self._bodies:
            return self._bodies[mime_type]
        plan = None
        schema = self._operation.body_schema(mime_type)
        if schema:
            try:
                validator = self._validator_map["body"][mime_type]
            except KeyError:
                logger.info(
                    "Skipping validation. No validator registered for content type: %s.",
                    mime_type,
                )
            else:
                options = {
                    "schema": schema,
                    "required": self._operation.request_body.get("required", False),
                    "nullable": is_nullable(self._operation.body_definition(mime_type)),
                    "strict_validation": self.strict_validation,
                    "uri_parser": self._uri_parser,
                }
                plan = (validator, options)
        if len(self._bodies) < _MAX_PLANS:
            self._bodies[mime_type] = plan
        return plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = with_canonical_content_type(scope)
        if self._parameters is not None:
            self._parameters.validate(scope)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        self.validate_mime_type(mime_type)
        body_validator = self._body_validator(mime_type, encoding)
        if body_validator is not None:
            receive, scope = await body_validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)

    def _body_validator(self, mime_type: str, encoding: str) -> Any:
        key = (mime_type, encoding)
        if key in self._validators:
            return self._validators[key]
        plan = self._body_plan(mime_type)
        body_validator = None if plan is None else plan[0](encoding=encoding, **plan[1])
        if len(self._validators) < _MAX_PLANS:
            self._validators[key] = body_validator
        return body_validator


class _ResponseValidation(ResponseValidationOperation):  # type: ignore[misc]
    def __init__(self, next_app: ASGIApp, *, operation: Any, **kwargs: Any) -> None:
        super().__init__(next_app, operation=operation, **kwargs)
        self._produces = _media_types(operation.produces)
        self._plans: dict[tuple[int, str], tuple[set[str], type | None, dict[str, Any]]] = {}

    def extract_content_type(self, headers: Any) -> tuple[str, str]:
        return _mime_type_and_encoding(headers, self._operation.produces)

    def validate_mime_type(self, mime_type: str) -> None:
        if self._produces is not None and mime_type.lower() not in self._produces:
            raise NonConformingResponseHeaders(
                detail=f"Invalid Response Content-type ({mime_type}), "
                f"expected {self._operation.produces}",
            )

    def _plan(self, status: int, mime_type: str) -> tuple[set[str], type | None, dict[str, Any]]:
        key = (status, mime_type)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        definition = self._operation.response_definition(str(status), mime_type)
        required_headers = {
            name.lower()
            for name, header in definition.get("headers", {}).items()
            if header.get("required", False)
        }
        try:
            validator = self._validator_map["response"][mime_type]
        except KeyError:
            validator = None
        options = {
            "schema": self._operation.response_schema(str(status), mime_type),
            "nullable": is_nullable(definition),
        }
        plan = (required_headers, validator, options)
        if len(self._plans) < _MAX_PLANS:
            self._plans[key] = plan
        return plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped_send(message: MutableMapping[str, Any]) -> None:
            nonlocal send
            if message["type"] == "http.response.start":
                headers = message["headers"]
                mime_type, encoding = self.extract_content_type(headers)
                if message["status"] < 400:
                    self.validate_mime_type(mime_type)
                required_headers, validator, options = self._plan(message["status"], mime_type)
                if required_headers:
                    sent = {name.decode("latin-1").lower() for name, _ in headers}
                    missing = required_headers - sent
                    if missing:
                        raise NonConformingResponseHeaders(
                            detail="Keys in response header don't match response "
                            f"specification. Difference: {', '.join(missing)}"
                        )
                if validator is None:
                    logger.info(
                        "Skipping validation. No validator registered for content type: %s.",
                        mime_type,
                    )
                else:
                    send = validator(scope, encoding=encoding, **options).wrap_send(send)
            await send(message)

        await self.next_app(scope, receive, wrapped_send)


class _RequestValidationAPI(RequestValidationAPI):  # type: ignore[misc]
    def make_operation(self, operation: Any) -> _RequestValidation:
        return _RequestValidation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class _ResponseValidationAPI(ResponseValidationAPI):  # type: ignore[misc]
    def make_operation(self, operation: Any) -> ASGIApp:
        if not self.validate_responses:
            return self.next_app  # type: ignore[no-any-return]
        return _ResponseValidation(
            self.next_app, operation=operation, validator_map=self.validator_map
        )


class RequestValidationMiddleware(ConnexionRequestValidation):  # type: ignore[misc]
    """Connexion's request validation; per-operation work done once (see the module)."""

    api_cls = _RequestValidationAPI


class ResponseValidationMiddleware(ConnexionResponseValidation):  # type: ignore[misc]
    """Connexion's response validation; per-operation work done once (see the module)."""

    api_cls = _ResponseValidationAPI


def middleware_stack(*, before_routing: list[Any]) -> list[Any]:
    """Connexion's default stack in Connexion's order, with the validation above (which
    canonicalises Content-Type first, ``media_types``), the refusal of encoded slashes first of
    all (``routing``), and ours inserted where ``MiddlewarePosition`` would put them."""
    return [
        ServerErrorMiddleware,
        ExceptionMiddleware,
        EncodedSlashesNotFound,
        SwaggerUIMiddleware,
        *before_routing,
        RoutingMiddleware,
        SecurityMiddleware,
        RequestValidationMiddleware,
        ResponseValidationMiddleware,
        LifespanMiddleware,
        ContextMiddleware,
    ]
