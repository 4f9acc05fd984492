"""Media type names as clients see them: parameters aside, ``application/problem+json`` is a
kind of ``application/json``."""

from __future__ import annotations


def essence(media_type: str) -> str:
    """``Application/JSON; charset=utf-8`` → ``application/json``."""
    return media_type.split(";", 1)[0].strip().lower()


def is_json(media_type: str) -> bool:
    """JSON carries types: ``1`` is not ``"1"``. Other media types carry text (XML, forms)."""
    name = essence(media_type)
    return name == "application/json" or name.endswith("+json")


def specializes(narrow: str, wide: str) -> bool:
    """Every message of ``narrow`` is also one of ``wide``: ``application/problem+json`` of
    ``application/json``, anything of ``*/*``, ``text/plain`` of ``text/*``."""
    narrow, wide = essence(narrow), essence(wide)
    if narrow == wide:
        return False
    kind, _, subtype = narrow.partition("/")
    wide_kind, _, wide_subtype = wide.partition("/")
    if wide == "*/*":
        return True
    if wide_kind != kind:
        return False
    return wide_subtype == "*" or subtype.endswith("+" + wide_subtype)


Pairs = list[tuple[str, str, str | None]]  # (old name, new name, relation or None when equal)


def pair_media_types(
    old: list[str], new: list[str], *, specialize: bool
) -> tuple[Pairs, list[str], list[str]]:
    """(pairs, old names left, new names left). Names pair when they are the same media type
    (``equivalent`` when only parameters or case differ); with ``specialize``, a name left over
    also pairs with one it narrows (``specialized``) or widens (``generalized``)."""
    pairs: Pairs = []
    removed, added = list(old), list(new)
    for name in old:
        match = next((n for n in added if n == name), None) or next(
            (n for n in added if essence(n) == essence(name)), None
        )
        if match is not None:
            pairs.append((name, match, None if match == name else "equivalent"))
            removed.remove(name)
            added.remove(match)
    if specialize:
        for name in list(removed):
            match = next((n for n in added if specializes(n, name)), None)
            relation = "specialized"
            if match is None:
                match = next((n for n in added if specializes(name, n)), None)
                relation = "generalized"
            if match is not None:
                pairs.append((name, match, relation))
                removed.remove(name)
                added.remove(match)
    return pairs, removed, added
