"""JSON Schema Draft 2020-12 (OpenAPI 3.1's dialect) with formats asserted, compiled once.

Two validators, one verdict. Every body is checked by jsonschema-rs (compiled Rust; under load,
the pure-Python jsonschema had cost about a tenth of each request). Only a body it refuses goes
through jsonschema as well, whose errors (with their keywords, paths and instances) become the
violations. Both get the same format functions, ours (below): jsonschema-rs's own date-time
accepts leap seconds and the year 0000 (neither has an RFC 3339 reading this server can store),
and the rfc3339-validator that jsonschema uses accepts a trailing newline; so the formats are
decided in one place. tests/contract/test_schemas.py holds the two validators to the same verdict
on tricky and generated inputs.

Violations come out in the contract's ``ValidationError`` shape: ``{"loc", "msg", "type"}`` with
``loc`` starting at ``"body"`` and, for scalars, the offending ``input``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

# RFC 3339 §5.6, "T" and "Z" in either case (§5.6 NOTE), an offset required; the seconds stop at
# 59: a leap second cannot be stored (Python's datetime has none), so it is not a date-time here.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_date_time(value: str) -> bool:
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day = map(int, match.groups())
    return year > 0 and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def is_uuid(value: str) -> bool:
    """The 8-4-4-4-12 hexadecimal form (RFC 9562), ASCII digits only."""
    return _UUID.fullmatch(value) is not None


# The contract's formats (each applies to strings only, as JSON Schema says).
FORMATS: dict[str, Callable[[str], bool]] = {"date-time": is_date_time, "uuid": is_uuid}

FORMAT_CHECKER = FormatChecker(formats=())
for _name, _check in FORMATS.items():
    FORMAT_CHECKER.checks(_name)(
        lambda instance, check=_check: not isinstance(instance, str) or check(instance)
    )

_FORMAT_NAMES = {"date-time": "an RFC 3339 date-time with a UTC offset", "uuid": "a UUID"}
_TYPE_NAMES = {
    "boolean": "bool",
    "integer": "int",
    "number": "float",
    "array": "list",
    "object": "dict",
}

Violation = dict[str, Any]


def _input(value: Any) -> dict[str, Any]:
    """Echo the input only when it is a short scalar: errors must stay small and shallow."""
    if value is None or isinstance(value, bool | int | float):
        return {"input": value}
    if isinstance(value, str) and len(value) <= 256:
        return {"input": value}
    return {}


def violation(loc: Iterable[str | int], msg: str, type_: str, **extra: Any) -> Violation:
    return {"loc": ["body", *loc], "msg": msg, "type": type_, **extra}


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    return declared if isinstance(declared, list) else [declared] if declared else []


def _describe(error: ValidationError) -> tuple[str, str, dict[str, Any]]:
    """(msg, type, ctx) for one jsonschema error, without repeating a possibly huge instance."""
    keyword, schema = error.validator, error.schema
    if keyword in ("anyOf", "oneOf") and error.context:
        branches = [e for e in error.context if e.validator != "type"]
        if branches:  # right type, wrong content (e.g. a string that is no date-time)
            return _describe(branches[0])
        expected = [t for sub in schema[keyword] for t in _types(sub)]
        readable = " or ".join("null" if t == "null" else _TYPE_NAMES.get(t, t) for t in expected)
        return f"Input should be {readable}", "type_error", {"expected": expected}
    if keyword == "type":
        expected = _types(schema)
        name = expected[0] if len(expected) == 1 else "type"
        readable = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        return f"Input should be a valid {readable}", f"{_TYPE_NAMES.get(name, name)}_type", {}
    if keyword == "enum":
        options = ", ".join(repr(v) for v in schema["enum"])
        return f"Input should be one of {options}", "enum", {"expected": schema["enum"]}
    if keyword == "const":
        return f"Input should be {schema['const']!r}", "literal_error", {}
    if keyword == "format":
        fmt = schema["format"]
        readable = _FORMAT_NAMES.get(fmt, f"a valid {fmt}")
        return f"Input should be {readable}", f"{fmt.replace('-', '')}_format", {}
    if keyword == "required":
        return "Field required", "missing", {}
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return message, str(keyword), {}


def _location(error: ValidationError) -> list[str | int]:
    loc: list[str | int] = list(error.absolute_path)
    if error.validator == "required":
        # jsonschema reports a missing property at its parent; the contract names the property.
        missing = [p for p in error.validator_value if p not in error.instance]
        loc.append(missing[0] if missing else "")
    return loc


# Deeper than any schema of the contract reaches (its request body: object, array, string).
MAX_DESCRIBED_DEPTH = 64


def _cut(value: Any, depth: int) -> Any:
    """``value`` with every array or object nested ``depth`` levels down emptied."""
    if isinstance(value, list):
        return [_cut(item, depth - 1) for item in value] if depth > 0 else []
    if isinstance(value, dict):
        return {k: _cut(v, depth - 1) for k, v in value.items()} if depth > 0 else {}
    return value


class CompiledSchema:
    """A schema checked once and compiled once; validation returns every violation."""

    def __init__(self, schema: dict[str, Any]) -> None:
        Draft202012Validator.check_schema(schema)
        self.schema = schema
        self._validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
        self.is_valid: Callable[[Any], bool] = jsonschema_rs.Draft202012Validator(
            schema, formats=FORMATS, validate_formats=True
        ).is_valid

    def violations(self, instance: Any) -> list[Violation]:
        if self.is_valid(instance):
            return []
        # jsonschema recurses through an instance (and repr()s it into its messages), so a value
        # nested about a thousand deep, which the JSON parser takes, raised RecursionError while
        # an error was being described: it describes a copy cut at a depth no schema reaches.
        described = _cut(instance, MAX_DESCRIBED_DEPTH)
        found = []
        for error in sorted(
            self._validator.iter_errors(described), key=lambda e: list(map(str, e.absolute_path))
        ):
            msg, type_, ctx = _describe(error)
            extra = _input(error.instance) if error.validator != "required" else {}
            if ctx:
                extra["ctx"] = ctx
            found.append(violation(_location(error), msg, type_, **extra))
        if not found:  # what was refused lies deeper than the cut
            message = f"Input nests deeper than {MAX_DESCRIBED_DEPTH} levels"
            found.append(violation([], message, "too_deep"))
        return found

    def with_defaults(self, instance: dict[str, Any]) -> dict[str, Any]:
        """A copy with each absent top-level property's ``default`` filled in."""
        filled = dict(instance)
        for name, subschema in self.schema.get("properties", {}).items():
            if name not in filled and isinstance(subschema, dict) and "default" in subschema:
                filled[name] = subschema["default"]
        return filled


_compiled: dict[int, tuple[dict[str, Any], CompiledSchema]] = {}


def compiled(schema: dict[str, Any]) -> CompiledSchema:
    """Connexion builds a validator per request; the compiled schema is built once per schema."""
    entry = _compiled.get(id(schema))
    if entry is None or entry[0] is not schema:
        # Keeping the schema object in the entry keeps its id from being reused.
        entry = (schema, CompiledSchema(schema))
        _compiled[id(schema)] = entry
    return entry[1]
