"""``default``: what leaving a value out means."""

from __future__ import annotations

from typing import TYPE_CHECKING

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import View, canonical
from token_api.spectools.diff.values import transition

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

KEYWORDS = frozenset({"default"})


def compare(pair: Pair, old: View, new: View) -> None:
    before, after = old.schema.get("default"), new.schema.get("default")
    if canonical(before) == canonical(after) or pair.diff.probe:
        return
    gone = "default" not in new.schema
    where = old.at("default") if gone else new.at("default")
    text = transition("default", old.schema, new.schema)
    role = pair.context.role
    if pair.request and role == "parameter-optional":
        pair.emit(rules.REQUEST_PARAMETER_DEFAULT_CHANGED, where, text, old=gone)
    elif pair.request and role.endswith("required"):
        # A value that must be sent never falls back to its default.
        pair.emit(rules.DOCUMENTATION_CHANGED, where, f"{text} (the value is required)", old=gone)
    else:
        pair.emit(rules.DEFAULT_CHANGED, where, text, old=gone)
