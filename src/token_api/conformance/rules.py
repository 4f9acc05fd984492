"""The API's rules that can be judged from one response, and the ledger of minted tokens.

The same functions judge the responses Schemathesis generates (inside its process, through the
custom checks in ``schemathesis_hooks``) and the responses of the scenarios (in ours), so a rule
means the same thing wherever it fires. Each returns ``None`` (kept), a sentence (broken) or
``NOT_APPLICABLE`` (the response says nothing about it, and is not counted as a case).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from token_api.contract.document import SpecError

CREATE_TOKEN = "createToken"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SPEC_URI = "urn:token-api:openapi"
_BYTES = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)\s*bytes")


class _NotApplicable(enum.Enum):
    NOT_APPLICABLE = "not applicable"


NOT_APPLICABLE: Final = _NotApplicable.NOT_APPLICABLE
Finding = str | None | _NotApplicable


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    path: str  # the template, as in the document
    operation_id: str | None
    statuses: frozenset[str]  # the response keys: "200", "4XX", "default"
    takes_body: bool  # whether it documents a request body
    body_limit: int | None = None  # bytes, as its 413 answer states them

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def documents(self, status: int) -> bool:
        code = str(status)
        return (
            code in self.statuses or f"{code[0]}XX" in self.statuses or "default" in self.statuses
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as the rules see it; header names in lower case."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The parsed body; ValueError when it is not JSON."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class Observed:
    """What was sent (method, and the operation it was meant for, if any) and what came back."""

    method: str
    operation: Operation | None
    answer: Answer
    content_type: str | None = None  # of the request


class Contract:
    """What the rules need from the OpenAPI document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.operations: dict[tuple[str, str], Operation] = {}
        for path, item in (document.get("paths") or {}).items():
            for method in _HTTP_METHODS:
                definition = item.get(method) if isinstance(item, Mapping) else None
                if isinstance(definition, Mapping):
                    operation = Operation(
                        method=method.upper(),
                        path=path,
                        operation_id=definition.get("operationId"),
                        statuses=frozenset(str(key) for key in definition.get("responses") or {}),
                        takes_body="requestBody" in definition,
                        body_limit=_body_limit(document, definition),
                    )
                    self.operations[(operation.method, path)] = operation
        registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(dict(document), default_specification=DRAFT202012)
        )

        def validator(schema: Mapping[str, Any]) -> Draft202012Validator:
            return Draft202012Validator(
                schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
            )

        schemas = f"{_SPEC_URI}#/components/schemas"
        # The published HTTPValidationError leaves `detail` optional; a 422 without a single
        # violation tells the client nothing, so the rule asks for at least one.
        self._validation_error = validator(
            {
                "$ref": f"{schemas}/HTTPValidationError",
                "required": ["detail"],
                "properties": {"detail": {"minItems": 1}},
            }
        )
        self._http_error = validator({"$ref": f"{schemas}/HTTPError"})

    def create_token(self) -> Operation:
        for operation in self.operations.values():
            if operation.operation_id == CREATE_TOKEN:
                return operation
        raise SpecError(f"The document has no operation with operationId {CREATE_TOKEN}.")

    def operation(self, method: str, path: str) -> Operation | None:
        return self.operations.get((method.upper(), path))

    def reads_by_id(self) -> bool:
        """Whether any operation reads a resource named in its path (GET /things/{id})."""
        return any(op.method == "GET" and "{" in op.path for op in self.operations.values())

    def deletes(self) -> bool:
        return any(op.method == "DELETE" for op in self.operations.values())

    def error_body_problem(self, status: int, body: Any) -> str | None:
        validator = self._validation_error if status == 422 else self._http_error
        shape = "an HTTPValidationError" if status == 422 else 'a {"detail": "<sentence>"} object'
        error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(e.path))), None)
        if error is None:
            return None
        where = "/".join(str(part) for part in error.path) or "(root)"
        return f"the {status} body is not {shape}: at {where}, {_short(error.message)}"


def _body_limit(document: Mapping[str, Any], definition: Mapping[str, Any]) -> int | None:
    """The request body limit a 413 answer states ("larger than 65,536 bytes"): the contract
    says it only in prose, which is what a reader of any deployment's spec gets too."""
    answer = (definition.get("responses") or {}).get("413")
    if isinstance(answer, Mapping) and isinstance(answer.get("$ref"), str):
        name = answer["$ref"].rpartition("/")[2]
        answer = ((document.get("components") or {}).get("responses") or {}).get(name)
    description = answer.get("description") if isinstance(answer, Mapping) else None
    match = _BYTES.search(description) if isinstance(description, str) else None
    return int(match.group(1).replace(",", "")) if match else None


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def no_server_error(_: Contract, seen: Observed) -> Finding:
    status = seen.answer.status
    return f"the server answered {status}" if status >= 500 else None


def json_content_type(_: Contract, seen: Observed) -> Finding:
    if seen.method.upper() == "HEAD":
        return NOT_APPLICABLE
    value = seen.answer.headers.get("content-type")
    if value is None:
        return f"the {seen.answer.status} response has no Content-Type"
    if value.split(";")[0].strip().lower() != "application/json":
        return f"the {seen.answer.status} response is {value!r}, not application/json"
    return None


def documented_status(_: Contract, seen: Observed) -> Finding:
    operation = seen.operation
    # Requests with another method probe routing (unsupported_method covers them); a body sent to
    # an operation that takes none is a request shape the contract does not describe (Schemathesis
    # skips such probes in status_code_conformance too).
    if operation is None or seen.method.upper() != operation.method:
        return NOT_APPLICABLE
    if seen.content_type is not None and not operation.takes_body:
        return NOT_APPLICABLE
    status = seen.answer.status
    if 200 <= status < 300 and status != 200 and operation.documents(200):
        return f"{operation.label} answered {status}; the contract's success status is 200"
    if status == 400 and operation.documents(422):
        return f"{operation.label} answered 400; the contract refuses invalid requests with 422"
    if not operation.documents(status):
        documented = ", ".join(sorted(operation.statuses))
        return f"{operation.label} answered {status}, which it does not document ({documented})"
    return None


def error_body_shape(contract: Contract, seen: Observed) -> Finding:
    status = seen.answer.status
    if status < 400:
        return NOT_APPLICABLE
    try:
        body = seen.answer.json()
    except ValueError:
        return f"the {status} body is not JSON"
    return contract.error_body_problem(status, body)


def token_format(_: Contract, seen: Observed) -> Finding:
    operation = seen.operation
    answer = seen.answer
    if (
        operation is None
        or operation.operation_id != CREATE_TOKEN
        or not 200 <= answer.status < 300
    ):
        return NOT_APPLICABLE
    try:
        body = answer.json()
    except ValueError:
        return "the minted token's body is not JSON"
    if not isinstance(body, dict):
        return "the minted token's body is not a JSON object"
    token, token_id = body.get("api_token"), body.get("api_token_id")
    if not isinstance(token, str):
        return "the answer has no api_token string"
    if not token.startswith("api_") or len(token) == len("api_"):
        # Not even its first characters are quoted: they would be part of a secret.
        return "api_token does not start with api_"
    if not isinstance(token_id, str):
        return "the answer has no api_token_id string"
    if not _UUID.fullmatch(token_id):
        return f"api_token_id {_short(token_id, 60)!r} is not a UUID"
    return None


def www_authenticate(_: Contract, seen: Observed) -> Finding:
    """The per-response half of credentials_required: every 401 challenges with Bearer."""
    if seen.answer.status != 401:
        return NOT_APPLICABLE
    value = seen.answer.headers.get("www-authenticate")
    if value is None:
        return "the 401 has no WWW-Authenticate header"
    if value.strip() != "Bearer":
        return f"the 401's WWW-Authenticate is {value!r}, not 'Bearer'"
    return None


Rule = Callable[[Contract, Observed], Finding]

# check name -> rule, applied to every response.
RESPONSE_RULES: dict[str, Rule] = {
    "token_format": token_format,
    "credentials_required": www_authenticate,
    "error_body_shape": error_body_shape,
    "documented_status": documented_status,
    "json_content_type": json_content_type,
    "no_server_error": no_server_error,
}


def minted_secret(seen: Observed) -> tuple[str, str | None] | None:
    """(api_token, api_token_id) when the response hands out a token, whatever its shape."""
    operation = seen.operation
    if operation is None or operation.operation_id != CREATE_TOKEN:
        return None
    if not 200 <= seen.answer.status < 300:
        return None
    try:
        body = seen.answer.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("api_token"), str):
        return None
    token_id = body.get("api_token_id")
    return body["api_token"], token_id if isinstance(token_id, str) else None


def bearer_of(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


@dataclass(frozen=True, slots=True)
class Minted:
    token_id: str | None
    minted_at: datetime
    expires_at: datetime | None  # None: what was asked for gives no short expiry


class MintLedger:
    """The tokens a run has minted, keyed by the SHA-256 of the secret (never the secret).

    ``limit``: at most that many are remembered, the oldest forgotten first (a proxy in front of
    a busy client must not grow without end); None remembers all.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._by_secret: dict[bytes, Minted] = {}
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self._limit = limit

    @staticmethod
    def _key(secret: str) -> bytes:
        return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()

    def record(self, secret: str, token_id: str | None, expires_at: datetime | None) -> str | None:
        """Remember a minted token; a sentence when its secret or id was handed out before."""
        minted = Minted(token_id, datetime.now(UTC), expires_at)
        with self._lock:
            earlier = self._by_secret.get(self._key(secret))
            if earlier is not None:
                return (
                    f"the api_token handed out for id {token_id} was already handed out "
                    f"{(minted.minted_at - earlier.minted_at).total_seconds():.1f}s earlier "
                    f"(for id {earlier.token_id})"
                )
            if token_id is not None and token_id in self._ids:
                return f"api_token_id {token_id} was already handed out for another token"
            self._by_secret[self._key(secret)] = minted
            if token_id is not None:
                self._ids.add(token_id)
            if self._limit is not None and len(self._by_secret) > self._limit:
                oldest = self._by_secret.pop(next(iter(self._by_secret)))
                self._ids.discard(oldest.token_id or "")
        return None

    def find(self, secret: str) -> Minted | None:
        with self._lock:
            return self._by_secret.get(self._key(secret))


def _minted_and_alive(ledger: MintLedger, authorization: str | None) -> Minted | None:
    """The key of this run that ``authorization`` presents, unless it may rightly be gone."""
    secret = bearer_of(authorization)
    minted = ledger.find(secret) if secret else None
    # A key asked to expire within moments may be gone: its answer proves nothing either way.
    if minted is None or (
        minted.expires_at is not None
        and minted.expires_at <= datetime.now(UTC) + timedelta(seconds=2)
    ):
        return None
    return minted


def key_not_recognised(ledger: MintLedger, authorization: str | None, answer: Answer) -> Finding:
    """token_authenticates at Create Token: a key minted earlier in the run is a credential the
    deployment knows, so it is refused as not permitted (403), never as unknown (401)."""
    minted = _minted_and_alive(ledger, authorization)
    if minted is None:
        return NOT_APPLICABLE
    if answer.status == 401:
        age = (datetime.now(UTC) - minted.minted_at).total_seconds()
        return f"a key minted {age:.1f}s earlier in this run was refused as unknown (401)"
    # 403 is the contract's answer and a 2xx authenticated it (api_key_cannot_mint judges that);
    # anything else (a 422 for a generated body) says nothing about the credential.
    return None if answer.status == 403 or 200 <= answer.status < 300 else NOT_APPLICABLE


def key_minted(ledger: MintLedger, authorization: str | None, answer: Answer) -> Finding:
    """api_key_cannot_mint: Create Token called with a key minted earlier in the run."""
    secret = bearer_of(authorization)
    if not secret or ledger.find(secret) is None:
        return NOT_APPLICABLE
    if 200 <= answer.status < 300:
        return f"an API key minted earlier in this run minted a key (answered {answer.status})"
    return None
