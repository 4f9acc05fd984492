"""Connexion body validators (its ``validator_map`` extension point) backed by CompiledSchema.

Request bodies: read whole (chunked too), capped in size, parsed strictly (orjson refuses NaN,
Infinity, invalid UTF-8, lone surrogates and nesting deeper than 1024), validated with every
violation reported, defaults filled. The handler reads the result from the ASGI scope rather than
parsing the body a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import NonConformingResponseBody
from connexion.validators import (
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    ParameterValidator,
)
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from token_api.contract.errors import PayloadTooLarge, RequestInvalid, UnsupportedCharset
from token_api.contract.schemas import compiled, violation

MAX_BODY_BYTES = 65_536
SCOPE_KEY = "token_api.body"


@dataclass(frozen=True, slots=True)
class ValidatedBody:
    value: Any  # the body with schema defaults filled
    sent: frozenset[str]  # the top-level keys the client sent


def validated_body(scope: Scope) -> ValidatedBody:
    return scope["extensions"][SCOPE_KEY]  # type: ignore[no-any-return]


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class JSONBodyValidator(AbstractRequestBodyValidator):  # type: ignore[misc]
    def __init__(self, *, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(schema=schema, **kwargs)
        self._compiled = compiled(schema)

    async def _read(self, receive: Receive, scope: Scope) -> bytes:
        declared = _declared_length(scope)
        if declared is not None and declared > MAX_BODY_BYTES:
            raise PayloadTooLarge(MAX_BODY_BYTES)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The client left before its body was whole: that is no request at all.
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise PayloadTooLarge(MAX_BODY_BYTES)
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    def _decode(self, raw: bytes) -> Any:
        if self._encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise UnsupportedCharset(self._encoding)
        if not raw.strip():
            raise RequestInvalid([violation([], "Field required", "missing")])
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise RequestInvalid(
                [violation([error.pos], f"JSON decode error: {error.msg}", "json_invalid")]
            ) from None

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        raw = await self._read(receive, scope)
        body = self._decode(raw)
        if body is None and not self._nullable:
            raise RequestInvalid([violation([], "Field required", "missing")])
        errors = self._compiled.violations(body)
        if errors:
            raise RequestInvalid(errors)
        sent = frozenset(body) if isinstance(body, Mapping) else frozenset()
        value = self._compiled.with_defaults(body) if isinstance(body, dict) else body
        scope.setdefault("extensions", {})[SCOPE_KEY] = ValidatedBody(value, sent)
        # Replay the original bytes for anything downstream that reads the body itself.
        replay = self._insert_messages(
            receive, messages=[{"type": "http.request", "body": raw, "more_body": False}]
        )
        return replay, scope


class JSONResponseValidator(AbstractResponseBodyValidator):  # type: ignore[misc]
    def __init__(self, scope: Scope, *, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(scope, schema=schema, **kwargs)
        self._compiled = compiled(schema)

    def _parse(self, stream: Any) -> Any:
        raw = b"".join(stream)
        try:
            return orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError as error:
            raise NonConformingResponseBody(
                f"The response body is not JSON: {error.msg}."
            ) from None

    def _validate(self, body: Any) -> None:
        errors = self._compiled.violations(body)
        if errors:
            # Never echo the body: a 200 holds a secret.
            where = ", ".join("/".join(map(str, e["loc"][1:])) or "(root)" for e in errors)
            raise NonConformingResponseBody(f"The response breaks the contract at {where}.")


VALIDATOR_MAP: dict[str, Any] = {
    "parameter": ParameterValidator,
    "body": MediaTypeDict({"*/*json": JSONBodyValidator}),
    "response": MediaTypeDict({"*/*json": JSONResponseValidator}),
}
