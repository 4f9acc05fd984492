"""Which kinds of value are valid: ``type`` and the three spellings of "or null" (folded into
one flag by the view), ``enum`` and ``const``, ``format``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import View
from token_api.spectools.diff.values import listed, shown, transition

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

KEYWORDS = frozenset({"type", "nullable", "enum", "const", "format"})
# Format pairs where the second accepts everything the first does.
_WIDER_FORMAT = frozenset(
    {
        ("int32", "int64"),
        ("int32", "bigint"),
        ("int64", "bigint"),
        ("float", "double"),
        ("date", "date-time"),
        ("time", "date-time"),
    }
)


def nullability(pair: Pair, old: View, new: View) -> None:
    if new.nullable and not old.nullable:
        pair.emit(rules.BECAME_NULLABLE, new.where, "null is now valid")
    elif old.nullable and not new.nullable:
        pair.emit(rules.NO_LONGER_NULLABLE, new.where, "null is no longer valid")


def compare(pair: Pair, old: View, new: View) -> bool:
    """Compare types; False when they no longer overlap (nothing else is worth comparing)."""
    if old.types == new.types:
        return True
    where = new.at("type") if "type" in new.schema else old.at("type")
    change = f"type {_types(old.types)} → {_types(new.types)}"
    if old.types is None or new.types is None:
        if pair.context.text and pair.request and new.types and "string" in new.types:
            pair.emit(rules.TYPE_COMPATIBLE, where, change)  # in text, anything is a string
        else:
            narrowed = old.types is None
            pair.emit(rules.TYPE_NARROWED if narrowed else rules.TYPE_WIDENED, where, change)
        return True
    old_set, new_set = _with_integers(old.types), _with_integers(new.types)
    widened = old_set <= new_set
    # In text every value reads as a string: a request taking strings takes whatever was sent
    # before, and a response that was a string was read as one.
    as_text = pair.context.text and "string" in (new.types if pair.request else old.types)
    if as_text and not (widened if pair.request else new_set <= old_set):
        pair.emit(rules.TYPE_COMPATIBLE, where, change)
        return bool(old_set & new_set)
    if new_set <= old_set:
        pair.emit(rules.TYPE_NARROWED, where, change)
    elif widened:
        pair.emit(rules.TYPE_WIDENED, where, change)
    else:
        pair.emit(rules.TYPE_CHANGED, where, change)
    return bool(old_set & new_set)


def values(pair: Pair, old: View, new: View) -> None:
    """The values listed (``enum``, ``const``) and the ``format``."""
    _enum(pair, old, new)
    _format(pair, old, new)


def _enum(pair: Pair, old: View, new: View) -> None:
    def at(v: View) -> str:
        return v.at("enum" if "enum" in v.schema else "const")

    if old.enum is None and new.enum is not None:
        pair.emit(rules.ENUM_ADDED, at(new), f"values limited to {listed(new.enum.values())}")
    elif old.enum is not None and new.enum is None:
        text = f"values no longer limited to {listed(old.enum.values())}"
        pair.emit(rules.ENUM_REMOVED, at(old), text, old=True)
    elif "const" in old.schema and "const" in new.schema and old.enum != new.enum:
        # One value for another: what was sent is refused, what is received is new.
        before, after = old.schema["const"], new.schema["const"]
        pair.emit(rules.CONST_CHANGED, at(new), f"const {shown(before)} → {shown(after)}")
    elif old.enum is not None and new.enum is not None:
        added = [v for k, v in new.enum.items() if k not in old.enum]
        removed = [v for k, v in old.enum.items() if k not in new.enum]
        if added:
            pair.emit(rules.ENUM_VALUE_ADDED, at(new), f"enum value(s) {listed(added)} added")
        if removed:
            text = f"enum value(s) {listed(removed)} removed"
            pair.emit(rules.ENUM_VALUE_REMOVED, at(new), text)


def _format(pair: Pair, old: View, new: View) -> None:
    before, after = old.schema.get("format"), new.schema.get("format")
    if before == after:
        return
    text = transition("format", old.schema, new.schema)
    if before is None:
        pair.emit(rules.FORMAT_ADDED, new.at("format"), text)
    elif after is None:
        pair.emit(rules.FORMAT_REMOVED, old.at("format"), text, old=True)
    elif (before, after) in _WIDER_FORMAT:
        pair.emit(rules.FORMAT_WIDENED, new.at("format"), text)
    elif (after, before) in _WIDER_FORMAT:
        pair.emit(rules.FORMAT_NARROWED, new.at("format"), text)
    else:
        pair.emit(rules.FORMAT_CHANGED, new.at("format"), text)


def _with_integers(types: frozenset[str]) -> frozenset[str]:
    return types | {"integer"} if "number" in types else types


def _types(types: frozenset[str] | None) -> str:
    return " | ".join(sorted(types)) if types is not None else "any"
