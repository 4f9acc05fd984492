"""Response rules: every response has a schema; every error answer is in the contract's shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from token_api.spectools.openapi import error, media_schemas
from token_api.spectools.pointers import deref, join
from token_api.spectools.rules import Context, Issue, rule

# Statuses that carry no body (RFC 9110).
BODILESS = ("204", "205", "304")
JSON = "application/json"


def responses(context: Context) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(operation label, status, response, its pointer) with response $refs followed."""
    for operation in context.operations:
        listing = operation.node.get("responses")
        if not isinstance(listing, dict):
            continue
        for status, raw in listing.items():
            response, where = deref(
                context.document, raw, join(operation.pointer, "responses", status)
            )
            if isinstance(response, dict):
                yield operation.label, str(status), response, where


@rule("response-schema", "Every response with a body declares its media type and schema.")
def response_schema(context: Context) -> Iterator[Issue]:
    for label, status, response, where in responses(context):
        if status in BODILESS or status.startswith("1"):
            continue
        media = list(media_schemas(context.document, response, where))
        if not media:
            yield where, f"{label} {status} declares no content: give its media type and schema"
        for media_type, node, pointer in media:
            if "schema" not in node:
                yield pointer, f"{label} {status} {media_type} has no schema"


def _resolved(context: Context, node: Any, where: str) -> tuple[dict[str, Any], str]:
    schema, where = deref(context.document, node, where)
    return (schema if isinstance(schema, dict) else {}), where


def _property(
    context: Context, schema: dict[str, Any], where: str, name: str
) -> tuple[dict[str, Any], str]:
    return _resolved(
        context, schema.get("properties", {}).get(name), join(where, "properties", name)
    )


def _is_type(schema: dict[str, Any], name: str) -> bool:
    declared = schema.get("type")
    return declared == name or declared == [name]


def _detail_problem(context: Context, schema: dict[str, Any], where: str) -> str | None:
    """Why the schema is not {"detail": "<sentence>"} (HTTPError), or None."""
    if not _is_type(schema, "object") or "detail" not in schema.get("required", []):
        return "must be an object requiring detail"
    detail, _ = _property(context, schema, where, "detail")
    if not _is_type(detail, "string"):
        return "must have detail as a string (one sentence)"
    return None


def _validation_problem(context: Context, schema: dict[str, Any], where: str) -> str | None:
    """Why the schema is not HTTPValidationError ({"detail": [{loc, msg, type}]}), or None."""
    if not _is_type(schema, "object"):
        return "must be an object (HTTPValidationError)"
    detail, at = _property(context, schema, where, "detail")
    if not _is_type(detail, "array"):
        return "must have detail as an array of ValidationError"
    item, at = _resolved(context, detail.get("items"), join(at, "items"))
    if not _is_type(item, "object") or not {"loc", "msg", "type"} <= set(item.get("required", [])):
        return "must have detail items requiring loc, msg and type (ValidationError)"
    loc, _ = _property(context, item, at, "loc")
    if not _is_type(loc, "array"):
        return "must have loc as an array"
    return None


@rule(
    "error-shape", "Every 4xx/5xx answers JSON in the contract's shape (422: HTTPValidationError)."
)
def error_shape(context: Context) -> Iterator[Issue]:
    for label, status, response, where in responses(context):
        if not error(status):
            continue
        for media_type, node, pointer in media_schemas(context.document, response, where):
            if media_type != JSON:
                yield pointer, f"{label} {status} answers {media_type}: errors are {JSON}"
                continue
            if "schema" not in node:
                continue  # response-schema reports it
            schema, at = _resolved(context, node["schema"], join(pointer, "schema"))
            check = _validation_problem if status == "422" else _detail_problem
            problem = check(context, schema, at)
            if problem:
                yield join(pointer, "schema"), f"{label} {status}: the schema {problem}"
