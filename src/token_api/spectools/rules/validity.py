"""``valid-openapi``: the document is valid OpenAPI, every error reported, not only the first."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from token_api.spectools.ecma_properties import is_regex
from token_api.spectools.openapi import template
from token_api.spectools.pointers import RefError, broken_refs, deref, join
from token_api.spectools.rules import Context, Issue, rule
from token_api.spectools.rules.schema_checks import lint_formats, lint_validator

_MAX_MESSAGE = 200
# openapi-spec-validator's semantic errors carry no path, only words: "for 'get' in '/x/{id}'".
_OPERATION_IN_MESSAGE = re.compile(r"for '(\w+)'(?: operation)? in '(/[^']*)'")
# Set on an error whose path _located has made whole (see there).
_LOCATED = "_token_api_located"


class _Seen(set[int]):
    """openapi-spec-validator keeps the ids of the schemas it has visited in lists, searched
    once per schema: quadratic, 20 s on GitHub's description. The same ids in a set."""

    def append(self, schema_id: int) -> None:
        self.add(schema_id)


def import_libraries() -> None:
    """openapi-spec-validator, and openapi-schema-validator and jsonschema with it."""
    import openapi_spec_validator  # noqa: F401


def _validator(document: dict[str, Any]) -> Any:
    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )

    version = str(document.get("openapi", ""))
    for prefix, validator in (
        ("3.0.", OpenAPIV30SpecValidator),
        ("3.1.", OpenAPIV31SpecValidator),
        ("3.2.", OpenAPIV32SpecValidator),
    ):
        if version.startswith(prefix):
            _plain_subnodes()
            return _with_sets(validator)(document)
    return None


@functools.cache
def _plain_subnodes() -> None:
    """jsonschema_path steps into a node only after ``isinstance(node, Subscriptable)``, a
    runtime-checkable Protocol: on Python 3.11 each such check walks the protocol's classes
    again (3.12 caches them), 42,000 checks and a third of the validator's time on GitHub's
    description. Plain dicts and lists, all a parsed document holds, are Subscriptable: they
    are stepped into directly; anything else takes jsonschema_path's own way, check included."""
    from jsonschema_path.nodes import SchemaNode

    general = SchemaNode._get_subnode

    def _get_subnode(cls: type[Any], node: Any, part: Any) -> Any:
        if type(node) is dict or type(node) is list:
            try:
                return node[part]
            except (KeyError, IndexError, TypeError) as error:
                raise KeyError(part) from error
        return general(node, part)

    SchemaNode._get_subnode = classmethod(_get_subnode)  # type: ignore[method-assign,assignment]


@functools.cache
def _with_sets(validator: type[Any]) -> type[Any]:
    """The validator with its schema keyword visiting through sets (see _Seen), and every
    keyword validator saying where its errors are (see _located)."""
    base = validator.keyword_validators["schema"]

    def __init__(self: Any, registry: Any) -> None:
        base.__init__(self, registry)
        self.visited_schema_ids = _Seen()
        self.meta_checked_schema_ids = _Seen()

    def _get_schema_checker(self: Any, node: Any, value: Any) -> Any:
        checker = base._get_schema_checker(self, node, value)
        if isinstance(checker, functools.partial):  # 3.1: the dialect's, with a format checker
            if checker.keywords.get("format_checker") is None:
                return checker  # none to amend
            formats = _ecma_formats(checker.keywords["format_checker"])
            return functools.partial(checker.func, *checker.args, format_checker=formats)
        # 3.0: check_schema with its meta-schema's own format checker
        from jsonschema.validators import validator_for

        owner = getattr(checker, "__self__", None)
        if owner is None:
            return checker  # a shape this was not written for: the library's own check
        formats = validator_for(owner.META_SCHEMA, default=owner).FORMAT_CHECKER
        return functools.partial(checker, format_checker=_ecma_formats(formats))

    methods = {"__init__": __init__, "_get_schema_checker": _get_schema_checker}
    schema = type(base.__name__, (base,), methods)
    keywords = {**validator.keyword_validators, "schema": schema}
    if "path" in keywords:
        keywords["path"] = _not_extensions(keywords["path"])
    keywords = {name: _located(keyword) for name, keyword in keywords.items()}
    return type(validator.__name__, (validator,), {"keyword_validators": keywords})


def _not_extensions(path: type[Any]) -> type[Any]:
    """The Paths object may hold ``x-`` extensions beside its paths (APIs.guru's apicurio
    registry: ``x-codegen-contextRoot: /apis/registry/v2``); openapi-spec-validator reads each
    as a path item and stops at the string. An extension is not a path: it is not checked as
    one (the OpenAPI schema, checked first, has allowed it)."""

    def __call__(self: Any, url: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        if isinstance(url, str) and url.startswith("x-"):
            return
        yield from path.__call__(self, url, *args, **kwargs)

    return type(path.__name__, (path,), {"__call__": __call__})


@functools.cache
def _ecma_formats(formats: Any) -> Any:
    """The format checker with ``regex`` read as ECMA-262 (see ecma_properties), not as
    Python's re: the checker is copied, jsonschema's own stays as it is."""
    import re as python_re

    from jsonschema import FormatChecker

    copied = FormatChecker(())
    copied.checkers = {**formats.checkers, "regex": (is_regex, python_re.error)}
    return copied


def _located(keyword: type[Any]) -> type[Any]:
    """openapi-spec-validator's semantic checks (a default of the wrong type, a schema its
    dialect refuses, an unresolved path parameter) yield errors whose path is relative to the
    node the check was given, most often empty: "'100' is not of type 'integer'" at the
    document's root. Each check is given that node as a SchemaPath: the innermost check an
    error passes through records the node's parts before it, and a value check (``default``)
    the value's key. The path is written in the error's own ``path``: the validator copies
    errors it did not make into its own class, and their paths with them."""
    from collections import deque

    from jsonschema_path import SchemaPath
    from openapi_spec_validator.validation.keywords import ValueValidator

    suffix: tuple[str, ...] = ()
    methods: dict[str, Any] = {}
    if issubclass(keyword, ValueValidator):
        suffix = ("default",)
        # Defaults are values like examples: checked as example-valid checks them.
        methods["value_validator_cls"] = lint_validator(keyword.value_validator_cls)
        methods["value_validator_format_checker"] = lint_formats(
            keyword.value_validator_format_checker
        )

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        node = next((arg for arg in args if isinstance(arg, SchemaPath)), None)
        for error in keyword.__call__(self, *args, **kwargs):
            if node is not None and not getattr(error, _LOCATED, False):
                path = deque((*node.parts, *suffix, *error.relative_path))
                error.path = error.relative_path = path  # one deque under two names
                setattr(error, _LOCATED, True)
            yield error

    return type(keyword.__name__, (keyword,), {**methods, "__call__": __call__})


def _message(error: Any) -> str:
    from jsonschema.exceptions import best_match

    if getattr(error, "context", None):
        # "X is not valid under any of the given schemas" hides the useful part.
        error = best_match(error.context)
    message = str(getattr(error, "message", error))
    # Some errors are re-made from another's str(): its message, then "Failed validating …
    # On instance:" and the whole instance (the whole document, for a key the root refuses).
    message = " ".join(message.split("\n\nFailed validating ", 1)[0].split())
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _location(document: Any, error: Any) -> str:
    parts = tuple(getattr(error, "absolute_path", ()) or ())
    if parts:
        return _in_document(document, parts)
    found = _OPERATION_IN_MESSAGE.search(str(getattr(error, "message", "")))
    return join("/paths", found.group(2), found.group(1)) if found else ""


def _in_document(document: Any, parts: tuple[Any, ...]) -> str:
    """The pointer of the node at parts, as the validator walked them: through $refs (a
    parameter's schema may be a $ref to components), so the pointer names where the node is
    written. Parts that do not lead anywhere stay as they are."""
    node, pointer = document, ""
    try:
        for part in parts:
            if isinstance(node, dict) and part not in node and "$ref" in node:
                node, pointer = deref(document, node, pointer)
            node = node[part] if isinstance(node, dict) else node[int(part)]
            pointer = join(pointer, part)
    except (KeyError, IndexError, TypeError, ValueError, RefError):
        return join("", *parts)
    return pointer


@rule("valid-openapi", "The document is valid OpenAPI 3.x (openapi-spec-validator, every error).")
def valid_openapi(context: Context) -> Iterator[Issue]:
    from referencing.exceptions import Unresolvable

    broken = broken_refs(context.document)
    yield from broken
    yield from _identical_paths(context.document)
    validator = _validator(context.document)
    if validator is None:
        version = context.document.get("openapi", context.document.get("swagger"))
        yield "/openapi", f"is {version!r}: only OpenAPI 3.0, 3.1 and 3.2 documents are checked"
        return
    errors = validator.iter_errors()
    while True:
        try:
            error = next(errors)
        except StopIteration:
            return
        except (Unresolvable, KeyError, TypeError) as failure:
            # The validator stops at what it cannot follow; the broken $refs above say where.
            if not broken:
                yield "", f"validation stopped: {failure}"[:_MAX_MESSAGE]
            return
        yield _location(context.document, error), _message(error)


def _identical_paths(document: dict[str, Any]) -> Iterator[Issue]:
    """OpenAPI: "Templated paths with the same hierarchy but different templated names MUST NOT
    exist as they are identical" (several of Google's descriptions have them); the validator
    does not check it, and a client cannot tell which of the two it calls."""
    paths = document.get("paths")
    first: dict[str, str] = {}
    for path in paths if isinstance(paths, dict) else {}:
        if path.startswith("x-"):
            continue
        shape = template(path)
        if shape in first and "{" in path:
            yield (
                join("/paths", path),
                f"{path} and {first[shape]} differ only in the names of their path parameters: "
                "OpenAPI calls such paths identical and invalid",
            )
        first.setdefault(shape, path)
