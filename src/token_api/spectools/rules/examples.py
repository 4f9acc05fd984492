"""``example-valid``: every example validates against its schema (formats asserted)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from token_api.spectools.pointers import RefError, deref, join
from token_api.spectools.rules import Context, Issue, rule
from token_api.spectools.rules.schema_checks import lint_formats, lint_validator

SPEC_URI = "urn:token-api:spec"
# Keywords whose values are schemas, or maps / lists of schemas (JSON Schema 2020-12).
_SCHEMA = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


class _Examples:
    def __init__(self, document: dict[str, Any]) -> None:
        import openapi_schema_validator as oas
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4, DRAFT202012

        version = str(document.get("openapi", ""))
        if version.startswith("3.0."):
            self.validator, self.checker, dialect = (
                oas.OAS30Validator,
                oas.oas30_format_checker,
                DRAFT4,
            )
        elif version.startswith("3.2."):
            self.validator, self.checker, dialect = (
                oas.OAS32Validator,
                oas.oas32_format_checker,
                DRAFT202012,
            )
        else:
            self.validator, self.checker, dialect = (
                oas.OAS31Validator,
                oas.oas31_format_checker,
                DRAFT202012,
            )
        self.validator = lint_validator(self.validator)
        self.checker = lint_formats(self.checker)
        if dialect is DRAFT4:
            # OpenAPI 3.0: "properties added [beside $ref] SHALL be ignored"; the validator
            # applied them (APIs.guru's dnd5eapi has an `allOf` map beside a $ref: a crash).
            document = _without_ref_siblings(document)
        resource = Resource.from_contents(document, default_specification=dialect)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.document = document
        self.validators: dict[str, Any] = {}

    def problem(self, schema_pointer: str, value: Any) -> str | None:
        from jsonschema.exceptions import best_match
        from referencing.exceptions import Unresolvable

        validator = self.validators.get(schema_pointer)
        if validator is None:  # one per schema: many examples share theirs
            validator = self.validators[schema_pointer] = self.validator(
                {"$ref": f"{SPEC_URI}#{schema_pointer}"},
                registry=self.registry,
                format_checker=self.checker,
            )
        try:
            error = best_match(validator.iter_errors(value))
        except Unresolvable:
            return None  # a broken $ref: valid-openapi reports it
        if error is None:
            return None
        where = join("", *error.absolute_path) or "(root)"
        message = " ".join(error.message.split())
        return f"{where}: {message[:160]}"

    def holder(self, node: dict[str, Any], where: str) -> Iterator[Issue]:
        """A media type, parameter or header: ``example`` / ``examples`` against ``schema``."""
        schema_pointer = join(where, "schema")
        if "example" in node:
            problem = self.problem(schema_pointer, node["example"])
            if problem:
                yield join(where, "example"), f"does not validate against its schema at {problem}"
        examples = node.get("examples")
        for name, raw in examples.items() if isinstance(examples, dict) else []:
            try:
                example, _ = deref(self.document, raw, join(where, "examples", name))
            except RefError:
                continue  # valid-openapi reports it
            if isinstance(example, dict) and "value" in example:
                problem = self.problem(schema_pointer, example["value"])
                if problem:
                    yield (
                        join(where, "examples", name, "value"),
                        f"example {name!r} does not validate against its schema at {problem}",
                    )

    def schema(self, node: Any, where: str) -> Iterator[Issue]:
        if not isinstance(node, dict) or ("$ref" in node and len(node) == 1):
            return
        if "example" in node:
            problem = self.problem(where, node["example"])
            if problem:
                yield join(where, "example"), f"does not validate against its schema at {problem}"
        listed = node.get("examples")
        for index, value in enumerate(listed if isinstance(listed, list) else []):
            problem = self.problem(where, value)
            if problem:
                yield (
                    join(where, "examples", index),
                    f"does not validate against the schema at {problem}",
                )
        for keyword in _SCHEMA:
            if isinstance(node.get(keyword), dict):
                yield from self.schema(node[keyword], join(where, keyword))
        for keyword in _SCHEMA_MAPS:
            children = node.get(keyword)
            for name, child in children.items() if isinstance(children, dict) else []:
                yield from self.schema(child, join(where, keyword, name))
        for keyword in _SCHEMA_LISTS:
            children = node.get(keyword)
            for index, child in enumerate(children if isinstance(children, list) else []):
                yield from self.schema(child, join(where, keyword, index))

    def walk(self, node: Any, where: str) -> Iterator[Issue]:
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from self.walk(item, join(where, index))
            return
        if not isinstance(node, dict):
            return
        if isinstance(node.get("schema"), dict):
            yield from self.holder(node, where)
            yield from self.schema(node["schema"], join(where, "schema"))
        for key, value in node.items():
            if key in ("schema", "example", "examples"):
                continue
            if where == "/components" and key == "schemas" and isinstance(value, dict):
                for name, schema in value.items():
                    yield from self.schema(schema, join(where, key, name))
                continue
            yield from self.walk(value, join(where, key))


def _without_ref_siblings(node: Any) -> Any:
    """The node with every $ref object reduced to its $ref; unchanged parts are shared."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            return node if len(node) == 1 else {"$ref": node["$ref"]}
        items = {key: _without_ref_siblings(value) for key, value in node.items()}
        return node if all(items[key] is node[key] for key in node) else items
    if isinstance(node, list):
        values = [_without_ref_siblings(value) for value in node]
        return node if all(a is b for a, b in zip(values, node, strict=True)) else values
    return node


@rule("example-valid", "Every example validates against its schema, formats included.")
def example_valid(context: Context) -> Iterator[Issue]:
    yield from _Examples(context.document).walk(context.document, "")
