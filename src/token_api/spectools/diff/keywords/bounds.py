"""Limits on a value: lengths and sizes (``maxLength``, ``minItems``, ...), ranges (``maximum``
with ``exclusiveMaximum``, ...), counts of ``contains`` matches, ``multipleOf``,
``uniqueItems``."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import View
from token_api.spectools.diff.values import ABSENT, shown, transition

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

_UPPER = ("maxLength", "maxItems", "maxProperties")
_LOWER = ("minLength", "minItems", "minProperties")
# Each bound keyword and whether it is an upper bound, in the order changes are reported.
_BOUNDS = (
    *((keyword, True) for keyword in _UPPER),
    *((keyword, False) for keyword in _LOWER),
    ("maximum", True),
    ("minimum", False),
    ("maxContains", True),
    ("minContains", False),
)
KEYWORDS = frozenset(
    {
        *(keyword for keyword, _ in _BOUNDS),
        "exclusiveMaximum",
        "exclusiveMinimum",
        "multipleOf",
        "uniqueItems",
    }
)
# A limit set where none was is "possibly breaking" (oasdiff's *-set rules); for these a missing
# lower bound means 0, so setting one is a plain tightening.
_SET_IS_TIGHTENING = frozenset({"minLength", "minProperties"})

Bound = tuple[Any, bool]  # (value, exclusive)


def compare(pair: Pair, old: View, new: View) -> None:
    for keyword, upper in _BOUNDS:
        _bound(pair, keyword, old, new, upper=upper)
    _multiple_of(pair, old, new)
    _unique_items(pair, old, new)


def _bound(pair: Pair, keyword: str, old: View, new: View, *, upper: bool) -> None:
    if keyword.endswith("Contains") and not ("contains" in old.schema and "contains" in new.schema):
        return  # counts of matches for contains: judged with it when it comes or goes
    before, after = _bound_of(old.schema, keyword, upper), _bound_of(new.schema, keyword, upper)
    if before == after:
        return
    text = f"{keyword} {_bound_text(before)} → {_bound_text(after)}"
    if after is None:
        pair.emit(rules.CONSTRAINT_RELAXED, old.at(keyword), text, old=True)
        return
    if before is None:
        tightening = keyword in _SET_IS_TIGHTENING
        pair.emit(
            rules.CONSTRAINT_TIGHTENED if tightening else rules.CONSTRAINT_ADDED,
            new.at(keyword),
            text,
        )
        return
    if after[0] == before[0]:
        tighter = after[1] and not before[1]
    else:
        tighter = after[0] < before[0] if upper else after[0] > before[0]
    pair.emit(
        rules.CONSTRAINT_TIGHTENED if tighter else rules.CONSTRAINT_RELAXED, new.at(keyword), text
    )


def _multiple_of(pair: Pair, old: View, new: View) -> None:
    before, after = old.schema.get("multipleOf"), new.schema.get("multipleOf")
    if before == after:
        return
    text = transition("multipleOf", old.schema, new.schema)
    if after is None:
        pair.emit(rules.CONSTRAINT_RELAXED, old.at("multipleOf"), text, old=True)
    elif before is None or _divides(before, after):
        pair.emit(rules.CONSTRAINT_TIGHTENED, new.at("multipleOf"), text)
    elif _divides(after, before):
        pair.emit(rules.CONSTRAINT_RELAXED, new.at("multipleOf"), text)
    else:
        pair.emit(rules.CONSTRAINT_CHANGED, new.at("multipleOf"), text)


def _unique_items(pair: Pair, old: View, new: View) -> None:
    before, after = bool(old.schema.get("uniqueItems")), bool(new.schema.get("uniqueItems"))
    if before != after:
        rule = rules.CONSTRAINT_TIGHTENED if after else rules.CONSTRAINT_RELAXED
        pair.emit(rule, new.at("uniqueItems"), transition("uniqueItems", old.schema, new.schema))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bound_of(schema: dict[str, Any], keyword: str, upper: bool) -> Bound | None:
    if keyword in ("maximum", "minimum"):
        return _numeric(schema, upper=upper)
    # A contains matches at least one item unless minContains says otherwise.
    value = schema.get(keyword, 1 if keyword == "minContains" else None)
    return (value, False) if _number(value) else None


def _numeric(schema: dict[str, Any], *, upper: bool) -> Bound | None:
    """The tighter of ``maximum`` and ``exclusiveMaximum`` (a number in 3.1, a flag in 3.0)."""
    inclusive_key, exclusive_key = (
        ("maximum", "exclusiveMaximum") if upper else ("minimum", "exclusiveMinimum")
    )
    inclusive, exclusive = schema.get(inclusive_key), schema.get(exclusive_key)
    bounds: list[Bound] = []
    if _number(inclusive):
        bounds.append((inclusive, exclusive is True))
    if _number(exclusive):
        bounds.append((exclusive, True))
    if not bounds:
        return None
    # Tightest first: the smallest maximum (the largest minimum); exclusive before inclusive.
    return min(bounds, key=lambda b: (b[0] if upper else -b[0], not b[1]))


def _bound_text(bound: Bound | None) -> str:
    if bound is None:
        return ABSENT
    return f"{shown(bound[0])} (exclusive)" if bound[1] else shown(bound[0])


def _divides(small: Any, large: Any) -> bool:
    """Every multiple of ``large`` is a multiple of ``small``."""
    try:
        return (Fraction(str(large)) / Fraction(str(small))).denominator == 1
    except (ValueError, ZeroDivisionError):
        return False
