"""One view of a schema however it is spelled: ``$ref`` s followed, ``allOf`` merged, and the three
spellings of "or null" — ``anyOf: [X, {type: null}]``, ``type: [X, "null"]``, ``nullable: true``
— turned into one flag. Views are built once per node and document (a large spec reaches the
same component from hundreds of operations)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from token_api.spectools.loading import string_keys
from token_api.spectools.pointers import deref, join

# Keywords that say nothing about which values are valid.
DOCUMENTATION = frozenset(
    {"title", "description", "example", "examples", "$comment", "externalDocs", "deprecated", "xml"}
)
# Keywords that only organise the document.
ORGANISATION = frozenset(
    {"$schema", "$id", "$anchor", "$dynamicAnchor", "$vocabulary", "$defs", "definitions"}
)


def canonical(value: Any) -> bytes:
    """A comparable spelling of any JSON value."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:
        pass
    try:  # a value YAML made that JSON has not (a date, say): compare its text
        return orjson.dumps(
            value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str
        )
    except TypeError:  # an integer past 64 bits, which JSON allows and orjson does not write
        return json.dumps(string_keys(value), sort_keys=True, default=str).encode()


Branch = tuple[Any, str]  # (schema as written, its pointer)


@dataclass
class View:
    where: str  # pointer of the node the schema's own keywords are in
    raw: dict[str, Any]  # that node, $refs followed, as written
    schema: dict[str, Any]  # keywords, merged from $ref targets, allOf members, the non-null branch
    origin: dict[str, str] = field(default_factory=dict)  # keyword → pointer of its node
    properties: dict[str, Branch] = field(default_factory=dict)  # name → (schema, pointer)
    types: frozenset[str] | None = None  # non-null types; None: any
    nullable: bool = False
    enum: dict[bytes, Any] | None = None  # canonical → value, without null; None: no enum
    alternatives: list[Branch] | None = None  # anyOf/oneOf branches left (two or more)
    one_of: bool = False  # the alternatives are oneOf's (exactly one must match)
    # anyOf/oneOf whose branches only add conditions to this schema's own shape (a required
    # name, say) rather than describe shapes of their own: keyword → the branches.
    conditions: dict[str, list[Branch]] = field(default_factory=dict)
    all_of: list[Branch] = field(default_factory=list)  # the allOf members as written

    def at(self, keyword: str) -> str:
        return join(self.origin.get(keyword, self.where), keyword)

    @property
    def read_only(self) -> bool:
        return self.schema.get("readOnly") is True

    @property
    def write_only(self) -> bool:
        return self.schema.get("writeOnly") is True


class Schemas:
    """The views of one document's schemas, each built once."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._views: dict[tuple[str, int], View] = {}

    def follow(self, node: Any, where: str) -> tuple[dict[str, Any], str]:
        """The node with its $ref chain followed; sibling keywords of a $ref (3.1) are kept."""
        merged: dict[str, Any] = {}
        while isinstance(node, dict) and "$ref" in node:
            if len(node) > 1:
                merged = {**{k: v for k, v in node.items() if k != "$ref"}, **merged}
            node, where = deref(self.document, {"$ref": node["$ref"]}, where)
        if node is False:
            node = {"not": {}}
        elif not isinstance(node, dict):  # True, None (no schema) or something invalid: any
            node = {}
        return ({**node, **merged} if merged else node), where

    def view(self, node: Any, where: str) -> View:
        key = (where, id(node))
        found = self._views.get(key)
        if found is None:
            found = self._views[key] = self._build(node, where)
        return found

    def is_null(self, branch: Any, where: str) -> bool:
        schema, _ = self.follow(branch, where)
        structure = {k: v for k, v in schema.items() if k not in DOCUMENTATION}
        return structure in (
            {"type": "null"},
            {"type": ["null"]},
            {"const": None},
            {"enum": [None]},
        )

    def _merge_into(self, view: View, branch: Any, where: str) -> None:
        """Fold a branch (an allOf member or the one non-null anyOf branch) into the view."""
        schema, at = self.follow(branch, where)
        nested = self.view(schema, at) if any(k in schema for k in _COMBINATIONS) else None
        properties = nested.properties if nested else _own_properties(schema, at)
        for name, value in properties.items():
            view.properties.setdefault(name, value)
        own = nested.schema if nested else schema
        origin = nested.origin if nested else {}
        required = [*view.schema.get("required", []), *(own.get("required") or [])]
        for key, value in own.items():
            if key in ("properties", "required"):
                continue
            if key not in view.schema:
                view.schema[key] = value
                view.origin[key] = origin.get(key, at)
        if nested and nested.nullable:
            view.nullable = True
        if required:
            view.schema["required"] = list(dict.fromkeys(required))

    def _build(self, node: Any, where: str) -> View:
        schema, where = self.follow(node, where)
        result = View(where, schema, {})
        for key, value in schema.items():
            if key not in ("properties", "allOf", "anyOf", "oneOf"):
                result.schema[key] = value
        result.properties.update(_own_properties(schema, where))

        members = schema.get("allOf")
        for index, member in enumerate(members if isinstance(members, list) else []):
            at = join(where, "allOf", index)
            result.all_of.append((member, at))
            self._merge_into(result, member, at)

        for keyword in ("anyOf", "oneOf"):
            branches = schema.get(keyword)
            if not isinstance(branches, list):
                continue
            kept = []
            for index, branch in enumerate(branches):
                at = join(where, keyword, index)
                if self.is_null(branch, at):
                    result.nullable = True
                else:
                    kept.append((branch, at))
            shaped = "type" in schema or "properties" in schema
            own = schema.get("type")
            if shaped and kept and all(_condition(self.follow(*b)[0], own) for b in kept):
                result.conditions[keyword] = kept
            elif len(kept) == 1:
                self._merge_into(result, *kept[0])
            elif kept:
                result.alternatives = kept
                result.one_of = keyword == "oneOf"

        declared = result.schema.get("type")
        if declared is not None:
            names = declared if isinstance(declared, list) else [declared]
            result.nullable |= "null" in names
            result.types = frozenset(str(n) for n in names if n != "null")
        if result.schema.get("nullable") is True:
            result.nullable = True
        values = result.schema.get("enum")
        if "const" in result.schema:
            values = [result.schema["const"]]
        if isinstance(values, list):
            result.nullable |= None in values
            result.enum = {canonical(v): v for v in values if v is not None}
        return result

    def signature(self, branch: Any, where: str) -> str:
        """What pairs an old anyOf/oneOf branch with a new one: its types (or "any")."""
        found = self.view(branch, where)
        if found.types is None:
            return "any" if found.enum is None else "enum"
        return ",".join(sorted(found.types))


_COMBINATIONS = ("allOf", "anyOf", "oneOf")
# Keywords that give a schema a shape of its own; a branch without any only adds a condition.
_SHAPE = frozenset(
    {
        "type",
        "$ref",
        "properties",
        "items",
        "enum",
        "const",
        "allOf",
        "anyOf",
        "oneOf",
        "prefixItems",
        "additionalProperties",
        "patternProperties",
    }
)


def _condition(branch: dict[str, Any], own_type: Any) -> bool:
    """Only conditions: no shape keyword, or just the type the enclosing schema has anyway."""
    keys = branch.keys() - ({"type"} if branch.get("type") == own_type else set())
    return bool(branch) and not (_SHAPE & keys)


def _own_properties(schema: dict[str, Any], where: str) -> dict[str, Branch]:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {name: (value, join(where, "properties", name)) for name, value in properties.items()}
