"""The behaviour rules of an operation (its ``x-rules``), compared by id: a rule added, removed or
reworded. None breaks a client by itself (the schemas say what is sent), but clients and the
teams that implement the contract read these, so each is shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from token_api.spectools.diff import rules
from token_api.spectools.openapi import DEPLOYMENT, RULES_KEY
from token_api.spectools.pointers import join


def _by_id(node: dict[str, Any]) -> dict[str, tuple[int, tuple[str, str]]]:
    """Rule id -> (its index, (its sentence, whom it applies to)), for the well-formed entries."""
    listed = node.get(RULES_KEY)
    found: dict[str, tuple[int, tuple[str, str]]] = {}
    for index, entry in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            said = (str(entry.get("rule", "")), str(entry.get("applies-to", DEPLOYMENT)))
            found.setdefault(entry["id"], (index, said))
    return found


def compare_contract_rules(
    old: dict[str, Any], new: dict[str, Any], old_pointer: str, new_pointer: str
) -> Iterator[tuple[str, str, str, bool]]:
    """(diff rule, location, detail, located in the old spec) for each rule of the operations
    ``old`` and ``new`` that was added, removed or reworded."""
    before, after = _by_id(old), _by_id(new)
    for rule_id, (index, _) in before.items():
        if rule_id not in after:
            where = join(old_pointer, RULES_KEY, index)
            yield rules.CONTRACT_RULE_REMOVED, where, f"rule {rule_id} was removed", True
    for rule_id, (index, said) in after.items():
        where = join(new_pointer, RULES_KEY, index)
        if rule_id not in before:
            yield rules.CONTRACT_RULE_ADDED, where, f"rule {rule_id} was added", False
        elif before[rule_id][1] != said:
            yield rules.CONTRACT_RULE_REWORDED, where, f"rule {rule_id} was reworded", False
