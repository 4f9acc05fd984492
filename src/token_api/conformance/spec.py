"""What a conformance run reads from the OpenAPI document: its operations (through the one walk,
``spectools.openapi``), the error schemas the checks validate against, and the contract's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from token_api.contract.document import SpecError
from token_api.spectools import openapi
from token_api.spectools.pointers import RefError, deref

CREATE_TOKEN = "createToken"
_SPEC_URI = "urn:token-api:openapi"
_BYTES = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)\s*bytes")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An operation as the checks see it."""

    method: str  # upper case
    path: str  # the template, as in the document
    operation_id: str | None
    statuses: tuple[str, ...]  # the response keys, in document order: "200", "4XX", "default"
    takes_body: bool  # whether it documents a request body
    parameters: bool = False  # whether it has parameters (query, path, header, cookie)
    body_limit: int | None = None  # bytes, as its 413 answer states them

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def documents(self, status: int) -> bool:
        return openapi.documents(self.statuses, status)


class Contract:
    """The document, read once for the checks and the probes."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        document = dict(document)
        self.endpoints: dict[tuple[str, str], Endpoint] = {}
        try:
            for operation in openapi.operations(document):
                responses = operation.node.get("responses")
                endpoint = Endpoint(
                    method=operation.method.upper(),
                    path=operation.path,
                    operation_id=operation.operation_id,
                    statuses=tuple(str(key) for key in responses or {})
                    if isinstance(responses, Mapping)
                    else (),
                    takes_body="requestBody" in operation.node,
                    parameters=bool(operation.parameters),
                    body_limit=_body_limit(document, operation.node),
                )
                self.endpoints[(endpoint.method, endpoint.path)] = endpoint
        except RefError as error:
            raise SpecError(str(error)) from None
        self.rules = openapi.contract_rules(document)
        registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(document, default_specification=DRAFT202012)
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

    def create_token(self) -> Endpoint:
        for endpoint in self.endpoints.values():
            if endpoint.operation_id == CREATE_TOKEN:
                return endpoint
        raise SpecError(f"The document has no operation with operationId {CREATE_TOKEN}.")

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        return self.endpoints.get((method.upper(), path))

    def methods(self, path: str) -> list[str]:
        """The methods the document gives ``path``."""
        return [endpoint.method for endpoint in self.endpoints.values() if endpoint.path == path]

    def has(self) -> set[str]:
        """What the document offers of what the registry's checks may need."""
        offered = set()
        if any(endpoint.method == "DELETE" for endpoint in self.endpoints.values()):
            offered.add("deletes")
        if any(e.method == "GET" and "{" in e.path for e in self.endpoints.values()):
            offered.add("reads-by-id")
        return offered

    def error_body_problem(self, status: int, body: Any) -> str | None:
        validator = self._validation_error if status == 422 else self._http_error
        shape = "an HTTPValidationError" if status == 422 else 'a {"detail": "<sentence>"} object'
        error = next(iter(sorted(validator.iter_errors(body), key=lambda e: list(e.path))), None)
        if error is None:
            return None
        where = "/".join(str(part) for part in error.path) or "(root)"
        return f"the {status} body is not {shape}: at {where}, {_short(error.message)}"


def _body_limit(document: dict[str, Any], node: Mapping[str, Any]) -> int | None:
    """The request body limit a 413 answer states ("larger than 65,536 bytes"): the contract
    says it only in prose, which is what a reader of any deployment's spec gets too."""
    answer = (node.get("responses") or {}).get("413")
    try:
        answer, _ = deref(document, answer, "")
    except RefError:
        return None
    description = answer.get("description") if isinstance(answer, Mapping) else None
    match = _BYTES.search(description) if isinstance(description, str) else None
    return int(match.group(1).replace(",", "")) if match else None


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
