"""``discriminator``: the property a body's schema is picked by, and what each of its values
selects (generated clients, and servers that validate by it, dispatch on it).

Mapping values are references (a component name or a URI), so diff compares what they point
to, as it compares every ``$ref``: renaming ``Dog`` to ``MyDog`` together with the mapping is
no change. Without a mapping entry, a ``oneOf``/``anyOf`` member named by a component ``$ref``
is selected by that component's name (OpenAPI's implicit mapping).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import Branch, Schemas, View
from token_api.spectools.diff.values import shown, transition
from token_api.spectools.pointers import RefError, join, locate

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

KEYWORDS = frozenset({"discriminator"})
_COMPONENTS = "#/components/schemas"


def compare(pair: Pair, old: View, new: View) -> None:
    before, after = old.schema.get("discriminator"), new.schema.get("discriminator")
    before = before if isinstance(before, dict) else None
    after = after if isinstance(after, dict) else None
    if before is None and after is None:
        return
    if before is None or after is None:
        rule = rules.DISCRIMINATOR_REMOVED if after is None else rules.DISCRIMINATOR_ADDED
        on = shown((after or before or {}).get("propertyName"))
        where = old.at("discriminator") if after is None else new.at("discriminator")
        verb = "removed" if after is None else "added"
        pair.emit(rule, where, f"discriminator on {on} {verb}", old=after is None)
        return
    where, old_where = new.at("discriminator"), old.at("discriminator")
    if before.get("propertyName") != after.get("propertyName"):
        text = transition("propertyName", before, after)
        pair.emit(rules.DISCRIMINATOR_PROPERTY_CHANGED, join(where, "propertyName"), text)
    explicit = (before.get("mapping") or {}, after.get("mapping") or {})
    old_side = (pair.diff.old.document, before, members(old.raw))
    new_side = (pair.diff.new.document, after, members(new.raw))
    for value, then, now in selections(old_side, new_side, pair.diff.same):
        at = join(where, "mapping", value) if value in explicit[1] else where
        if then is None:
            text = f"discriminator value {shown(value)} now selects {now}"
            pair.emit(rules.DISCRIMINATOR_MAPPING_ADDED, at, text)
        elif now is None:
            at = join(old_where, "mapping", value) if value in explicit[0] else old_where
            text = f"discriminator value {shown(value)} no longer selects {then}"
            pair.emit(rules.DISCRIMINATOR_MAPPING_REMOVED, at, text, old=True)
        elif then == now:
            # The same schema: what changed in it is what clients of that value feel.
            before_target = _selected(pair.diff.old, then)
            after_target = _selected(pair.diff.new, now)
            if before_target is not None and after_target is not None:
                pair.child(before_target, after_target)
        elif not pair.diff.same({"$ref": then}, {"$ref": now}):
            text = f"discriminator value {shown(value)} selects {now} instead of {then}"
            pair.emit(rules.DISCRIMINATOR_MAPPING_CHANGED, at, text)


def _selected(schemas: Schemas, ref: str) -> Branch | None:
    """The schema a discriminator value selects, where it is; None when not in the document."""
    try:
        return locate(schemas.document, ref)
    except (KeyError, RefError):
        return None


def mapping(document: Any, discriminator: Any, members: Any) -> dict[str, str]:
    """Discriminator value → the ``$ref`` it selects, explicit entries first."""
    if not isinstance(discriminator, dict):
        return {}
    schemas = (
        (document.get("components") or {}).get("schemas") if isinstance(document, dict) else {}
    )
    names = schemas if isinstance(schemas, dict) else {}
    selected: dict[str, str] = {}
    explicit = discriminator.get("mapping")
    for value, to in (explicit if isinstance(explicit, dict) else {}).items():
        if isinstance(to, str):
            # A bare component name, else a URI reference (OpenAPI 3.1.1, Discriminator Object).
            selected[str(value)] = join(_COMPONENTS, to) if to in names else to
    chosen = set(selected.values())
    for member in members if isinstance(members, list) else []:
        ref = member.get("$ref") if isinstance(member, dict) else None
        if isinstance(ref, str) and ref.startswith(_COMPONENTS + "/") and ref not in chosen:
            selected.setdefault(ref.rsplit("/", 1)[1], ref)
    return selected


Side = tuple[Any, dict[str, Any], list[Any]]  # (document, discriminator, oneOf/anyOf members)


def selections(
    old: Side, new: Side, same: Callable[[Any, Any], bool]
) -> Iterator[tuple[str, str | None, str | None]]:
    """(value, the $ref it selected, the $ref it selects) for each value of either version. A
    value only one version maps implicitly (by a member's component name) is left out where the
    other writes that member out in place: a $ref and its target written out are the same
    schema, and an inline member has no name to map. A member renamed changes its value."""
    old_map, new_map = mapping(*old), mapping(*new)
    for value in dict.fromkeys([*old_map, *new_map]):
        then, now = old_map.get(value), new_map.get(value)
        if then is None and now is not None and _implicit(value, new):
            written_out = any(same(member, {"$ref": now}) for member in _inline(old[2]))
        elif now is None and then is not None and _implicit(value, old):
            written_out = any(same({"$ref": then}, member) for member in _inline(new[2]))
        else:
            written_out = False
        if not written_out:
            yield value, then, now


def _inline(members_: list[Any]) -> list[Any]:
    return [m for m in members_ if not (isinstance(m, dict) and "$ref" in m)]


def _implicit(value: str, side: Side) -> bool:
    explicit = side[1].get("mapping")
    return not isinstance(explicit, dict) or value not in {str(key) for key in explicit}


def members(schema: dict[str, Any]) -> list[Any]:
    """The oneOf and anyOf members of the schema holding the discriminator."""
    found: list[Any] = []
    for keyword in ("oneOf", "anyOf"):
        listed = schema.get(keyword)
        if isinstance(listed, list):
            found += listed
    return found
