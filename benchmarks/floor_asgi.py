"""The ASGI floor: the same work as the reference server with no framework at all.

One ASGI callable under uvicorn: route by method and path, the bearer credential (one
``Authorization`` header, checked before the body is read), the body read under the same cap and
parsed by orjson, validated with the contract's compiled request schema (the reference's own
validator, defaults filled), the same domain calls over the same Store made the same way
(``TokenService.call``), the answer checked with the compiled response schema and sent with
orjson. What uvicorn and Python cost for this work on this machine: the reference's distance to
it is what Connexion and the contract layer add.

Run: ``TOKEN_API_DATABASE_URL=... uvicorn benchmarks.floor_asgi:create_app --factory``.
"""

from __future__ import annotations

from typing import Any

import orjson

from token_api.contract.document import load_document
from token_api.contract.schemas import CompiledSchema
from token_api.contract.validators import MAX_BODY_BYTES
from token_api.domain.errors import Forbidden, InvalidField, NotAuthenticated, Unavailable
from token_api.domain.minting import TokenRequest
from token_api.server.service import TokenService
from token_api.server.settings import Settings

Scope = dict[str, Any]
JSON_HEADERS = [(b"content-type", b"application/json")]


class _Refused(Exception):
    def __init__(self, status: int, body: Any, headers: list[tuple[bytes, bytes]] = []) -> None:  # noqa: B006
        self.status, self.body, self.headers = status, body, headers


async def _send_json(send: Any, status: int, body: Any, headers: list[Any] = []) -> None:  # noqa: B006
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *JSON_HEADERS,
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    return [value for key, value in headers if key == name]


async def _body(scope: Scope, receive: Any) -> bytes:
    declared = _header(scope["headers"], b"content-length")
    if declared and declared[0].isdigit() and int(declared[0]) > MAX_BODY_BYTES:
        raise _Refused(413, {"detail": f"The request body exceeds {MAX_BODY_BYTES} bytes."})
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Refused(400, {"detail": "The request body is incomplete."})
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Refused(413, {"detail": f"The request body exceeds {MAX_BODY_BYTES} bytes."})
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


class FloorApp:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        schemas = load_document()["components"]["schemas"]
        self.request_schema = CompiledSchema(schemas["CreateToken"])
        self.response_schema = CompiledSchema(schemas["APITokenResult"])
        self.service: TokenService | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        try:
            if scope["path"] == "/api/v1/token" and scope["method"] == "POST":
                await self.create_token(scope, receive, send)
            elif scope["path"] == "/health" and scope["method"] == "GET":
                assert self.service is not None
                await self.service.call(self.service.check_database)
                await _send_json(send, 200, {"status": "ok"})
            else:
                await _send_json(send, 404, {"detail": "Not found."})
        except _Refused as refused:
            await _send_json(send, refused.status, refused.body, refused.headers)
        except NotAuthenticated as error:
            await _send_json(
                send, 401, {"detail": error.detail}, [(b"www-authenticate", b"Bearer")]
            )
        except Forbidden as error:
            await _send_json(send, 403, {"detail": error.detail})
        except InvalidField as error:
            item = {"loc": ["body", error.field], "msg": error.msg, "type": "value_error"}
            await _send_json(send, 422, {"detail": [item]})
        except Unavailable as error:
            await _send_json(send, 503, {"detail": error.detail}, [(b"retry-after", b"1")])

    async def create_token(self, scope: Scope, receive: Any, send: Any) -> None:
        service = self.service
        assert service is not None
        headers = scope["headers"]
        authorization = _header(headers, b"authorization")
        if len(authorization) > 1:
            raise NotAuthenticated("Send one Authorization header, not several.")
        scheme, _, token = (
            authorization[0].decode("latin-1").partition(" ") if authorization else ("", "", "")
        )
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("No bearer token was provided.")
        principal = await service.call(service.authenticate, token)
        content_type = _header(headers, b"content-type")
        if (
            not content_type
            or content_type[0].split(b";")[0].strip().lower() != b"application/json"
        ):
            raise _Refused(415, {"detail": "The request body must be application/json."})
        try:
            body = orjson.loads(await _body(scope, receive))
        except orjson.JSONDecodeError as error:
            raise _Refused(
                422,
                {
                    "detail": [
                        {"loc": ["body", error.pos], "msg": error.msg, "type": "json_invalid"}
                    ]
                },
            ) from None
        violations = self.request_schema.violations(body)
        if violations:
            raise _Refused(422, {"detail": violations})
        token_request = TokenRequest.from_body(
            self.request_schema.with_defaults(body), frozenset(body)
        )
        grant, secret = await service.call(service.mint, principal, token_request)
        answer = {"api_token": secret, "api_token_id": str(grant.token_id)}
        if not self.response_schema.is_valid(answer):
            raise RuntimeError("The answer breaks the contract.")
        await _send_json(send, 200, answer)

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.service = TokenService.connect(self.settings)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.service is not None:
                    self.service.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app() -> FloorApp:
    return FloorApp(Settings.from_environment())
