"""What a string holds: its ``pattern``, and how its content is encoded (``contentEncoding``,
``contentMediaType``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from token_api.spectools.diff import patterns, rules
from token_api.spectools.diff.normalize import View
from token_api.spectools.diff.values import transition

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

# How a string's content is encoded: a change is one both ends feel.
_ENCODING = ("contentEncoding", "contentMediaType")
KEYWORDS = frozenset({"pattern", *_ENCODING})


def compare(pair: Pair, old: View, new: View) -> None:
    _pattern(pair, old, new)
    for keyword in _ENCODING:
        if old.schema.get(keyword) != new.schema.get(keyword):
            gone = keyword not in new.schema
            where = old.at(keyword) if gone else new.at(keyword)
            text = transition(keyword, old.schema, new.schema)
            pair.emit(rules.CONTENT_ENCODING_CHANGED, where, text, old=gone)


def _pattern(pair: Pair, old: View, new: View) -> None:
    """Decided where the text decides it (see ``patterns``), possibly breaking elsewhere."""
    before, after = old.schema.get("pattern"), new.schema.get("pattern")
    if before == after:
        return
    text = transition("pattern", old.schema, new.schema)
    if after is None or patterns.universal(str(after)):
        if before is not None and not patterns.universal(str(before)):
            rule = rules.PATTERN_REMOVED if after is None else rules.PATTERN_GENERALIZED
            where = old.at("pattern") if after is None else new.at("pattern")
            pair.emit(rule, where, text, old=after is None)
    elif before is None or patterns.universal(str(before)):
        pair.emit(rules.PATTERN_ADDED, new.at("pattern"), text)
    elif patterns.generalizes(str(before), str(after)):
        pair.emit(rules.PATTERN_GENERALIZED, new.at("pattern"), text)
    elif patterns.specializes(str(before), str(after)):
        pair.emit(rules.PATTERN_SPECIALIZED, new.at("pattern"), text)
    else:
        pair.emit(rules.PATTERN_CHANGED, new.at("pattern"), f"{text}, undecided")
