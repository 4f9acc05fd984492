"""One view of a schema however it is spelled: ``$ref`` s followed, ``allOf`` merged, and the three
spellings of "or null" — ``anyOf: [X, {type: null}]``, ``type: [X, "null"]``, ``nullable: true``
— turned into one flag."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from token_api.spectools.pointers import deref, join

# Keywords that say nothing about which values are valid.
DOCUMENTATION = frozenset(
    {"title", "description", "example", "examples", "$comment", "externalDocs", "deprecated", "xml"}
)
# Keywords that only organise the document.
ORGANISATION = frozenset(
    {"$schema", "$id", "$anchor", "$dynamicAnchor", "$vocabulary", "$defs", "definitions"}
)
_NULL_TYPES = ("null", ["null"])


def canonical(value: Any) -> str:
    """A comparable spelling of any JSON value."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class View:
    where: str  # pointer of the node the schema's own keywords are in
    raw: dict[str, Any]  # that node, $refs followed, as written
    schema: dict[str, Any]  # keywords, merged from $ref targets, allOf members, the non-null branch
    origin: dict[str, str] = field(default_factory=dict)  # keyword → pointer of its node
    properties: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name → (schema, pointer)
    types: frozenset[str] | None = None  # non-null types; None: any
    nullable: bool = False
    enum: dict[str, Any] | None = None  # canonical → value, without null; None: no enum
    alternatives: list[tuple[Any, str]] | None = None  # anyOf/oneOf branches left (two or more)

    def at(self, keyword: str) -> str:
        return join(self.origin.get(keyword, self.where), keyword)


def _follow(document: dict[str, Any], node: Any, where: str) -> tuple[dict[str, Any], str]:
    """The node with its $ref chain followed; sibling keywords of a $ref (3.1) are kept."""
    merged: dict[str, Any] = {}
    while isinstance(node, dict) and "$ref" in node:
        merged = {**{k: v for k, v in node.items() if k != "$ref"}, **merged}
        node, where = deref(document, {"$ref": node["$ref"]}, where)
    if node is True or node is None:
        node = {}
    elif node is False:
        node = {"not": {}}
    if not isinstance(node, dict):
        node = {}
    return {**node, **merged}, where


def _is_null(document: dict[str, Any], branch: Any, where: str) -> bool:
    schema, _ = _follow(document, branch, where)
    structure = {k: v for k, v in schema.items() if k not in DOCUMENTATION}
    return structure in ({"type": "null"}, {"type": ["null"]}, {"const": None}, {"enum": [None]})


def _merge_into(view: View, document: dict[str, Any], branch: Any, where: str) -> None:
    """Fold a branch (an allOf member or the one non-null anyOf branch) into the view."""
    schema, at = _follow(document, branch, where)
    for name, value in (schema.get("properties") or {}).items():
        view.properties.setdefault(name, (value, join(at, "properties", name)))
    required = [*view.schema.get("required", []), *schema.get("required", [])]
    for key, value in schema.items():
        if key in ("properties", "required"):
            continue
        if key not in view.schema:
            view.schema[key] = value
            view.origin[key] = at
    if required:
        view.schema["required"] = list(dict.fromkeys(required))


def view(document: dict[str, Any], node: Any, where: str) -> View:
    schema, where = _follow(document, node, where)
    result = View(where, schema, {})
    for key, value in schema.items():
        if key not in ("properties", "allOf", "anyOf", "oneOf"):
            result.schema[key] = value
    for name, value in (schema.get("properties") or {}).items():
        result.properties[name] = (value, join(where, "properties", name))

    members = schema.get("allOf")
    for index, member in enumerate(members if isinstance(members, list) else []):
        _merge_into(result, document, member, join(where, "allOf", index))

    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if not isinstance(branches, list):
            continue
        kept = []
        for index, branch in enumerate(branches):
            at = join(where, keyword, index)
            if _is_null(document, branch, at):
                result.nullable = True
            else:
                kept.append((branch, at))
        if len(kept) == 1:
            _merge_into(result, document, *kept[0])
        elif kept:
            result.alternatives = kept

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


def signature(document: dict[str, Any], branch: Any, where: str) -> str:
    """What pairs an old anyOf/oneOf branch with a new one: its types (or "any")."""
    found = view(document, branch, where)
    if found.types is None:
        return "any" if found.enum is None else "enum"
    return ",".join(sorted(found.types))
