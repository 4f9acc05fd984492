"""What the proxy reads from the OpenAPI document beyond conformance's ``Contract``: each
operation's security, its request and response media types, and their schemas compiled by the
contract layer (``contract.schemas``, the validators the reference server checks its own requests
and answers with), so that a body means the same to the proxy as to the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from token_api.conformance.exchange import Observed
from token_api.conformance.response_checks import NOT_APPLICABLE, Finding
from token_api.conformance.spec import Contract, Endpoint
from token_api.contract.schemas import CompiledSchema, Violation
from token_api.spectools.openapi import is_public
from token_api.spectools.pointers import RefError, deref

# Violation types whose message never quotes the value (contract.schemas._describe): any other
# quotes it, and a value in a 200 may be a secret.
_QUIET_TYPES = ("missing", "enum", "literal_error", "type_error")


def schema_problem(violations: list[Violation]) -> str:
    """Where the first violation is and what it breaks, without quoting any value."""
    first = violations[0]
    where = "/".join(str(part) for part in first["loc"][1:]) or "(root)"
    kind = str(first["type"])
    quiet = kind in _QUIET_TYPES or kind.endswith(("_type", "_format"))
    message = str(first["msg"])
    what = message[:160] if quiet else f"breaks the schema's {kind!r} keyword"
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    return f"at {where}: {what}{more}"


class Schemas:
    def __init__(self, contract: Contract, document: Mapping[str, Any]) -> None:
        self.contract = contract
        self.document = document
        self._nodes: dict[tuple[str, str], Mapping[str, Any]] = {}
        for path, item in (document.get("paths") or {}).items():
            item = self.resolve(item)
            for method, node in item.items() if isinstance(item, Mapping) else ():
                if (method.upper(), path) in contract.endpoints and isinstance(node, Mapping):
                    self._nodes[(method.upper(), path)] = node
        # id(schema) -> (schema, compiled): the schema is kept so that its id is not reused.
        self._compiled: dict[int, tuple[Mapping[str, Any], CompiledSchema]] = {}
        schemes = (document.get("components") or {}).get("securitySchemes") or {}
        self._bearer = {
            name
            for name, scheme in schemes.items()
            if isinstance(scheme, Mapping)
            and scheme.get("type") == "http"
            and str(scheme.get("scheme", "")).lower() == "bearer"
        }

    def node(self, operation: Endpoint) -> Mapping[str, Any]:
        return self._nodes[(operation.method, operation.path)]

    def resolve(self, node: Any) -> Any:
        """``node`` with its ``$ref`` chain followed (None when it leads nowhere)."""
        try:
            return deref(self.document, node, "")[0]
        except RefError:
            return None

    def needs_bearer(self, operation: Endpoint) -> bool:
        """Whether every way to call the operation is a bearer credential."""
        requirement = self.node(operation).get("security", self.document.get("security", []))
        return not is_public(requirement) and all(
            isinstance(alternative, Mapping) and any(name in self._bearer for name in alternative)
            for alternative in requirement
        )

    def request_body(self, operation: Endpoint) -> Mapping[str, Any] | None:
        found = self.resolve(self.node(operation).get("requestBody"))
        return found if isinstance(found, Mapping) else None

    def response(self, operation: Endpoint, status: int) -> Mapping[str, Any] | None:
        """The response documented for ``status``: its own, its range's, or the default."""
        responses = self.node(operation).get("responses") or {}
        code = str(status)
        for key in (code, f"{code[0]}XX", "default"):
            if key in responses:
                found = self.resolve(responses[key])
                return found if isinstance(found, Mapping) else None
        return None

    def media(self, holder: Mapping[str, Any], content_type: str | None) -> tuple[str, Any] | None:
        """(key, Media Type Object) of a request body or response for ``content_type`` (its
        media type, parameters aside): the exact type, else ``type/*``, else ``*/*``."""
        content = holder.get("content")
        if not isinstance(content, Mapping) or content_type is None:
            return None
        mime = content_type.split(";")[0].strip().lower()
        lowered = {str(key).lower(): key for key in content}
        for candidate in (mime, mime.split("/")[0] + "/*", "*/*"):
            if candidate in lowered:
                return str(lowered[candidate]), self.resolve(content[lowered[candidate]])
        return None

    def compiled(self, holder: Any) -> CompiledSchema | None:
        """The schema of a Media Type or Header Object, compiled once."""
        schema = holder.get("schema") if isinstance(holder, Mapping) else None
        if not isinstance(schema, Mapping):
            return None
        key = id(schema)
        if key not in self._compiled:
            # The document's components ride along, so "#/components/..." refs resolve inside
            # the schema as in the document (to JSON Schema, an unknown keyword it ignores).
            components = self.document.get("components") or {}
            self._compiled[key] = (schema, CompiledSchema({**schema, "components": components}))
        return self._compiled[key][1]

    def response_schema(self, seen: Observed) -> Finding:
        """response.schema: the answer's headers and JSON body match what the operation
        documents for its status."""
        operation, answer = seen.endpoint, seen.answer
        if operation is None or seen.method.upper() != operation.method:
            return NOT_APPLICABLE
        documented = self.response(operation, answer.status)
        if documented is None:
            return NOT_APPLICABLE  # documented_status judges an undocumented status
        for name, header in (documented.get("headers") or {}).items():
            header = self.resolve(header)
            if not isinstance(header, Mapping):
                continue
            value = answer.headers.get(str(name).lower())
            if value is None:
                if header.get("required"):
                    return f"the {answer.status} has no {name} header, which it must have"
                continue
            compiled = self.compiled(header)
            if compiled is not None and not compiled.is_valid(value):
                return f"the {answer.status}'s {name} header breaks its schema"
        content_type = answer.headers.get("content-type")
        media = self.media(documented, content_type)
        mime = (content_type or "").split(";")[0].strip().lower()
        if media is None and mime.startswith("application/") and mime.endswith("+json"):
            # JSON under another name (RFC 6839: problem+json): its body is still held to the
            # documented JSON schema; json_content_type reports the name.
            media = self.media(documented, "application/json")
        if media is None or "json" not in media[0] or seen.method.upper() == "HEAD":
            return None  # no JSON schema for this media type (json_content_type judges it)
        compiled = self.compiled(media[1])
        if compiled is None:
            return None
        try:
            body = answer.json()
        except ValueError:
            return f"the {answer.status} body is not JSON, as its {media[0]} schema needs"
        violations = compiled.violations(body)
        if violations:
            return f"the {answer.status} body breaks its schema {schema_problem(violations)}"
        return None
