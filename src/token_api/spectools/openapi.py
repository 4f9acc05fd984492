"""Walking an OpenAPI document: its operations, with what they inherit from their path and root."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from token_api.spectools.pointers import RefError, deref, join

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def template(path: str) -> str:
    """``/items/{id}`` and ``/items/{itemId}`` are one path."""
    return re.sub(r"\{[^}]*\}", "{}", path)


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    pointer: str
    node: dict[str, Any]
    parameters: dict[tuple[str, str], tuple[dict[str, Any], str]]  # (in, name) → (param, pointer)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def operation_id(self) -> str | None:
        value = self.node.get("operationId")
        return value if isinstance(value, str) else None


def parameter_key(parameter: dict[str, Any]) -> tuple[str, str]:
    """Header names are case-insensitive (RFC 9110); others are not."""
    place, name = str(parameter.get("in", "")), str(parameter.get("name", ""))
    return place, name.lower() if place == "header" else name


def _parameters(
    document: dict[str, Any], nodes: list[tuple[Any, str]]
) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """Path-level parameters first, overridden by the operation's (OpenAPI's rule)."""
    merged: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for listing, where in nodes:
        if not isinstance(listing, list):
            continue
        for index, item in enumerate(listing):
            parameter, pointer = deref(document, item, join(where, index))
            if isinstance(parameter, dict):
                merged[parameter_key(parameter)] = (parameter, pointer)
    return merged


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    """Every operation; raises RefError for a path item or parameter ``$ref`` that leads nowhere."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return
    for path, raw_item in paths.items():
        item, item_pointer = deref(document, raw_item, join("/paths", path))
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            node = item.get(method)
            if not isinstance(node, dict):
                continue
            pointer = join(item_pointer, method)
            parameters = _parameters(
                document,
                [
                    (item.get("parameters"), join(item_pointer, "parameters")),
                    (node.get("parameters"), join(pointer, "parameters")),
                ],
            )
            yield Operation(path, method, pointer, node, parameters)


def security(document: dict[str, Any], operation: Operation) -> Any:
    """The requirement in force: the operation's own, else the document's."""
    if "security" in operation.node:
        return operation.node["security"]
    return document.get("security", [])


def is_public(requirement: Any) -> bool:
    """No requirement, or one alternative that requires nothing."""
    return not requirement or any(alternative == {} for alternative in requirement)


def documents(statuses: Iterable[str], status: int) -> bool:
    """Whether responses keyed ``statuses`` ("200", "4XX", "default") cover ``status``."""
    keys = {str(key).upper() for key in statuses}
    code = str(status)
    return code in keys or f"{code[0]}XX" in keys or "DEFAULT" in keys


RULES_KEY = "x-rules"
# Whom a rule binds (an entry's ``applies-to``): the deployment, unless it says the client.
DEPLOYMENT, CLIENT = "deployment", "client"


@dataclass(frozen=True)
class ContractRule:
    """A behaviour rule of an operation (its ``x-rules``): a stable id and one sentence."""

    id: str
    text: str
    operation: str  # the operation's label
    pointer: str  # of the entry
    applies_to: str = DEPLOYMENT  # DEPLOYMENT or CLIENT


def contract_rules(document: dict[str, Any]) -> list[ContractRule]:
    """Every well-formed ``x-rules`` entry of every operation, in document order (lint's
    ``contract-rules`` reports the entries that are not)."""
    found = []
    for operation in operations(document):
        listed = operation.node.get(RULES_KEY)
        for index, entry in enumerate(listed if isinstance(listed, list) else []):
            if isinstance(entry, dict):
                rule_id, text = entry.get("id"), entry.get("rule")
                if isinstance(rule_id, str) and isinstance(text, str):
                    pointer = join(operation.pointer, RULES_KEY, index)
                    party = str(entry.get("applies-to", DEPLOYMENT))
                    found.append(ContractRule(rule_id, text, operation.label, pointer, party))
    return found


def success(status: str) -> bool:
    return status[:1] in ("2", "3")


def error(status: str) -> bool:
    return status[:1] in ("4", "5")


def media_schemas(
    document: dict[str, Any], holder: Any, where: str
) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(media type, media type object, its pointer) of a request body or response."""
    content = holder.get("content") if isinstance(holder, dict) else None
    if not isinstance(content, dict):
        return
    for media_type, media in content.items():
        if isinstance(media, dict):
            yield media_type, media, join(where, "content", media_type)


__all__ = [
    "METHODS",
    "ContractRule",
    "Operation",
    "RefError",
    "contract_rules",
    "documents",
    "operations",
    "security",
]
