"""An array's items: ``prefixItems`` position by position, ``items`` past them,
``unevaluatedItems``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.keywords.objects import unevaluated
from token_api.spectools.diff.normalize import Branch, View
from token_api.spectools.pointers import join

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

KEYWORDS = frozenset({"items", "prefixItems", "unevaluatedItems"})


def compare(pair: Pair, old: View, new: View) -> None:
    """Each position's schema (prefixItems, else items), then items past every prefix."""
    old_prefix, new_prefix = _prefix(old), _prefix(new)
    for index in range(max(len(old_prefix), len(new_prefix))):
        then = _position(old, old_prefix, index)
        now = _position(new, new_prefix, index)
        if then is None and now is not None:
            pair.emit(rules.CONSTRAINT_TIGHTENED, now[1], f"array item {index} now constrained")
        elif then is not None and now is None:
            text = f"array item {index} no longer constrained"
            pair.emit(rules.CONSTRAINT_RELAXED, then[1], text, old=True)
        elif then is not None and now is not None:
            pair.child(then, now)
    _items(pair, old, new)
    if "unevaluatedItems" in pair.keys:
        unevaluated(pair, "unevaluatedItems", old, new)


def _items(pair: Pair, old: View, new: View) -> None:
    before, after = old.schema.get("items"), new.schema.get("items")
    if before is None and after is None:
        return
    if before is None:
        pair.emit(rules.CONSTRAINT_TIGHTENED, new.at("items"), "array items now constrained")
    elif after is None:
        text = "array items no longer constrained"
        pair.emit(rules.CONSTRAINT_RELAXED, old.at("items"), text, old=True)
    else:
        pair.child((before, old.at("items")), (after, new.at("items")))


def _prefix(view: View) -> list[Any]:
    value = view.schema.get("prefixItems")
    return value if isinstance(value, list) else []


def _position(view: View, prefix: list[Any], index: int) -> Branch | None:
    """The schema of an array's item at ``index``: its prefixItems entry, else items."""
    if index < len(prefix):
        return prefix[index], join(view.at("prefixItems"), index)
    items = view.schema.get("items")
    return None if items is None else (items, view.at("items"))
