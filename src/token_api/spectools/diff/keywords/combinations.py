"""``anyOf``/``oneOf`` alternatives, their branches that only add conditions, and ``allOf``
members (the view has merged them; what is judged here is what each new member adds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import Branch, View, canonical
from token_api.spectools.pointers import join

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair


def alternatives(pair: Pair, old: View, new: View) -> None:
    """Either schema is a choice of shapes: each old branch paired with a new one."""
    if _wrapped(pair, old, new):
        return
    olds = old.alternatives or [(old.raw, old.where)]
    news = new.alternatives or [(new.raw, new.where)]
    # Branches naming the same component pair first (reordering is no change), then the rest by
    # their types.
    pairs, olds, news = _pair(olds, news, _ref_name, _ref_name)
    more, olds, news = _pair(
        olds,
        news,
        lambda b: pair.diff.old.signature(*b),
        lambda b: pair.diff.new.signature(*b),
    )
    for before, after in pairs + more:
        pair.out += pair.diff.compare(*before, *after, pair.context, outer=False)
    for branch, where in olds:
        kind = pair.diff.old.signature(branch, where)
        text = f"the {kind} alternative was removed"
        pair.emit(rules.ALTERNATIVE_REMOVED, where, text, old=True)
    added = rules.ONE_OF_ADDED if new.one_of or not new.alternatives else rules.ANY_OF_ADDED
    for branch, where in news:
        kind = pair.diff.new.signature(branch, where)
        pair.emit(added, where, f"a {kind} alternative was added")


def _wrapped(pair: Pair, old: View, new: View) -> bool:
    """A schema turned into a oneOf whose branches each take every old value: old values now
    match several branches, and oneOf refuses them all."""
    if old.alternatives or not new.alternatives or not new.one_of or not pair.request:
        return False
    whole = (old.raw, old.where)
    taking = [b for b in new.alternatives if pair.diff.implies(whole, b, pair.context)]
    if len(taking) < 2:
        return False
    text = f"wrapped in a oneOf whose branches {', '.join(w for _, w in taking)} all match it"
    pair.emit(rules.WRAPPED_IN_ONE_OF, new.where, text)
    return True


def all_of(pair: Pair, old: View, new: View) -> None:
    """A new allOf member is a constraint of its own: it refuses values unless an old member or
    the old schema as a whole already implied it. Members are judged by what they require, not
    by how they are written: one spelled inline where it was a $ref (or the other way round) is
    the same member, whatever else the old schema says."""
    if not new.all_of or not pair.request or pair.diff.probe:
        return
    known = {_member_key(member) for member, _ in old.all_of}
    for index, (member, where) in enumerate(new.all_of):
        if _member_key(member) in known:
            continue
        # The member at the same place first: a refactor keeps the order.
        olds = sorted(old.all_of, key=lambda b: b[1] != join(old.where, "allOf", index))
        # An optional property the member introduces is judged where the merged schemas are
        # compared (request-property-added), as if it had been added directly.
        added = (member, where)
        if any(pair.diff.implies(before, added, pair.context, lenient=True) for before in olds):
            continue
        if not pair.diff.implies((old.raw, old.where), added, pair.context, lenient=True):
            pair.emit(rules.ALL_OF_ADDED, where, "an allOf member was added")


def conditions(pair: Pair, old: View, new: View) -> None:
    """anyOf/oneOf branches that add conditions (``anyOf: [{required: [a]}, {required: [b]}]``)
    to a shape both versions share: dropping them all relaxes, adding them tightens; otherwise
    each branch kept or gone is one alternative more or less."""
    for keyword in ("anyOf", "oneOf"):
        before, after = old.conditions.get(keyword), new.conditions.get(keyword)
        if not before and not after:
            continue
        where = join(new.where if after else old.where, keyword)
        if not after:
            pair.emit(rules.CONSTRAINT_RELAXED, where, f"{keyword} conditions removed", old=True)
        elif not before:
            pair.emit(rules.CONSTRAINT_TIGHTENED, where, f"{keyword} conditions added")
        else:
            known = {canonical(node) for node, _ in before}
            kept = {canonical(node) for node, _ in after}
            for node, at in before:
                if canonical(node) not in kept:
                    text = f"{keyword} condition removed"
                    pair.emit(rules.ALTERNATIVE_REMOVED, at, text, old=True)
            added = rules.ONE_OF_ADDED if keyword == "oneOf" else rules.ANY_OF_ADDED
            for node, at in after:
                if canonical(node) not in known:
                    pair.emit(added, at, f"{keyword} condition added")


def _ref_name(branch: Branch) -> str | None:
    ref = branch[0].get("$ref") if isinstance(branch[0], dict) else None
    return ref if isinstance(ref, str) else None


def _member_key(member: Any) -> bytes:
    ref = member.get("$ref") if isinstance(member, dict) else None
    return ref.encode() if isinstance(ref, str) else canonical(member)


def _pair(
    olds: list[Branch],
    news: list[Branch],
    old_key: Callable[[Branch], str | None],
    new_key: Callable[[Branch], str | None],
) -> tuple[list[tuple[Branch, Branch]], list[Branch], list[Branch]]:
    """(pairs with equal keys, old branches left, new branches left)."""
    pairs: list[tuple[Branch, Branch]] = []
    left_old, left_new = [], list(news)
    for branch in olds:
        wanted = old_key(branch)
        match = next((n for n in left_new if wanted is not None and new_key(n) == wanted), None)
        if match is None:
            left_old.append(branch)
        else:
            left_new.remove(match)
            pairs.append((branch, match))
    return pairs, left_old, left_new
