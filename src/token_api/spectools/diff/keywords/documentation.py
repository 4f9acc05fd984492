"""Keywords that say nothing about which values are valid: titles, descriptions, examples, and
``x-`` extensions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import DOCUMENTATION, View, canonical

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair


def compare(pair: Pair, old: View, new: View) -> None:
    if pair.diff.probe:
        return
    extensions = {k for k in (*old.schema, *new.schema) if k.startswith("x-")}
    keys = sorted(
        k
        for k in DOCUMENTATION | extensions
        if (k in old.schema or k in new.schema)
        and canonical(old.schema.get(k)) != canonical(new.schema.get(k))
    )
    if keys:
        pair.emit(rules.DOCUMENTATION_CHANGED, new.where, f"{', '.join(keys)} changed")
