"""openapi-schema-validator as lint runs it on any valid document: where the library would
backtrack for ages, recurse without end or raise on a value, the same verdict without that.
Used for examples (example-valid) and defaults (valid-openapi)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from token_api.spectools.ecma_regex import searcher

# (schema, instance) pairs whose discriminator is being followed (see _discriminated).
_DISPATCHING: set[tuple[int, int]] = set()


@functools.cache
def lint_validator(validator: Any) -> Any:
    """The validator class with ``pattern`` read as ECMA-262 (see ecma_regex), searched in
    linear time (RE2) where it would backtrack, a pattern that cannot be read not
    checked rather than failing the run; and discriminators followed once per instance."""
    from jsonschema import _keywords, validators
    from jsonschema.exceptions import ValidationError

    def pattern(checker: Any, expected: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not checker.is_type(instance, "string") or not isinstance(expected, str):
            return
        search = searcher(expected)
        if search is not None and not search(instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    keywords: dict[str, Any] = {"pattern": pattern}
    for name, plain in (
        ("allOf", _keywords.allOf),
        ("anyOf", _keywords.anyOf),
        ("oneOf", _keywords.oneOf),
    ):
        if name in validator.VALIDATORS:
            keywords[name] = _discriminated(validator.VALIDATORS[name], plain)
    return validators.extend(validator, keywords)


def _discriminated(library: Any, plain: Any) -> Any:
    """openapi-schema-validator follows a schema's discriminator from its allOf / anyOf / oneOf
    to the named schema. A named schema that is ``allOf: [the base]`` (OpenAPI's own pattern:
    Azure's Setting → DataExportSetting) leads back to the base, which follows the
    discriminator again, until RecursionError. Back at a schema already following its
    discriminator for the same instance, the subschemas are checked as plain JSON Schema."""

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        key = (id(schema), id(instance))
        if "discriminator" not in schema or key in _DISPATCHING:
            yield from plain(validator, value, instance, schema)
            return
        _DISPATCHING.add(key)
        try:
            yield from library(validator, value, instance, schema)
        finally:
            _DISPATCHING.discard(key)

    return check


@functools.cache
def lint_formats(formats: Any) -> Any:
    """The format checker (a copy) where ``byte`` says no to a string that is not ASCII:
    the library's check encodes it as ASCII and lets UnicodeEncodeError escape (a crash on
    Azure's keyvault example "…" for a byte field) instead of calling it not base64."""
    from jsonschema import FormatChecker

    copied = FormatChecker(())
    copied.checkers = dict(formats.checkers)
    if "byte" in copied.checkers:
        func, raises = copied.checkers["byte"]
        raises = raises if isinstance(raises, tuple) else (raises,)
        copied.checkers["byte"] = (func, (*raises, UnicodeEncodeError))
    return copied
