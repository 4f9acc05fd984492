"""Keywords no family ranks: compared whole with their ``$ref``s followed (writing one out in
place is no change), and a change is ``schema-changed``, possibly breaking, left to review."""

from __future__ import annotations

from typing import TYPE_CHECKING

from token_api.spectools.diff import rules
from token_api.spectools.diff.keywords import (
    arrays,
    bounds,
    defaults,
    discriminator,
    objects,
    strings,
    subschemas,
    types,
)
from token_api.spectools.diff.normalize import DOCUMENTATION, ORGANISATION, View

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

# Every keyword a family compares (anyOf, oneOf, allOf and properties are the view's own).
_RANKED = frozenset().union(
    *(
        family.KEYWORDS
        for family in (arrays, bounds, defaults, discriminator, objects, strings, subschemas, types)
    )
)


def compare(pair: Pair, old: View, new: View) -> None:
    for key in sorted(pair.keys):
        if key in _RANKED or key in DOCUMENTATION or key in ORGANISATION or key.startswith("x-"):
            continue
        if not pair.diff.same(old.schema.get(key), new.schema.get(key)):
            gone = key not in new.schema
            where = old.at(key) if gone else new.at(key)
            pair.emit(
                rules.SCHEMA_CHANGED, where, f"{key} changed, which diff cannot rank", old=gone
            )
