"""Subschemas a value must also match (``contains``, ``propertyNames``, ``contentSchema``,
``then``/``else`` under their ``if``) or must not match (``not``): adding one tightens, removing
one relaxes, and a change inside is judged like any schema (for ``not``, the other way round)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import View
from token_api.spectools.diff.rules import Level

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

_APPLIED = ("contains", "propertyNames", "contentSchema")
KEYWORDS = frozenset({*_APPLIED, "not", "if", "then", "else"})


def compare(pair: Pair, old: View, new: View) -> None:
    if not KEYWORDS & pair.keys:
        return
    for keyword in _APPLIED:
        _applied(pair, keyword, old, new)
    _not(pair, old, new)
    _conditional(pair, old, new)


def _applied(pair: Pair, keyword: str, old: View, new: View) -> None:
    before, after = old.schema.get(keyword), new.schema.get(keyword)
    if before is None and after is None:
        return
    if before is None:
        pair.emit(rules.CONSTRAINT_TIGHTENED, new.at(keyword), f"{keyword} added")
    elif after is None:
        pair.emit(rules.CONSTRAINT_RELAXED, old.at(keyword), f"{keyword} removed", old=True)
    else:
        pair.child((before, old.at(keyword)), (after, new.at(keyword)))


def _not(pair: Pair, old: View, new: View) -> None:
    """Values ``not`` takes are refused: the outer schema refuses more when the new ``not``
    takes values the old one did not, and takes more in the other case."""
    before, after = old.schema.get("not"), new.schema.get("not")
    if before is None and after is None:
        return
    if before is None:
        pair.emit(rules.CONSTRAINT_TIGHTENED, new.at("not"), "not added")
        return
    if after is None:
        pair.emit(rules.CONSTRAINT_RELAXED, old.at("not"), "not removed", old=True)
        return
    then, now = (before, old.at("not")), (after, new.at("not"))
    if pair.diff.same(before, after):
        return
    refuses = pair.diff.refusal(now, then, pair.context, reverse=True)  # new not takes more
    takes = pair.diff.refusal(then, now, pair.context)  # old not took what new not refuses
    where = new.at("not")
    if refuses is Level.BREAKING and takes is Level.BREAKING:
        pair.emit(rules.CONSTRAINT_CHANGED, where, "not changed both ways")
    elif refuses is Level.BREAKING:
        pair.emit(rules.CONSTRAINT_TIGHTENED, where, "not now takes more values")
    elif takes is Level.BREAKING:
        pair.emit(rules.CONSTRAINT_RELAXED, where, "not now takes fewer values")
    elif Level.POSSIBLY_BREAKING in (refuses, takes):
        pair.emit(rules.SCHEMA_CHANGED, where, "not changed, which diff cannot rank")


def _conditional(pair: Pair, old: View, new: View) -> None:
    """if/then/else: then and else add conditions; a changed ``if`` moves values between them,
    which diff cannot rank."""
    before, after = _deciding(old.schema), _deciding(new.schema)
    if not before and not after:
        return
    if not before:
        pair.emit(rules.CONSTRAINT_TIGHTENED, new.at("if"), "if/then/else added")
        return
    if not after:
        pair.emit(rules.CONSTRAINT_RELAXED, old.at("if"), "if/then/else removed", old=True)
        return
    if not pair.diff.same(old.schema["if"], new.schema["if"]):
        text = "if changed (which values then and else apply to), which diff cannot rank"
        pair.emit(rules.SCHEMA_CHANGED, new.at("if"), text)
    for keyword in ("then", "else"):
        _applied(pair, keyword, old, new)


def _deciding(schema: dict[str, Any]) -> bool:
    """An ``if`` that decides something: without then or else it has no effect."""
    return "if" in schema and ("then" in schema or "else" in schema)
