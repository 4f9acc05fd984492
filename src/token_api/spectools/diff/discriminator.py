"""What a discriminator's values select: each value and the ``$ref`` of the schema it picks.

Mapping values are references (a component name or a URI), so diff compares what they point
to, as it compares every ``$ref``: renaming ``Dog`` to ``MyDog`` together with the mapping is
no change. Without a mapping entry, a ``oneOf``/``anyOf`` member named by a component ``$ref``
is selected by that component's name (OpenAPI's implicit mapping).
"""

from __future__ import annotations

from typing import Any

from token_api.spectools.pointers import join

_COMPONENTS = "#/components/schemas"


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


def members(schema: dict[str, Any]) -> list[Any]:
    """The oneOf and anyOf members of the schema holding the discriminator."""
    found: list[Any] = []
    for keyword in ("oneOf", "anyOf"):
        listed = schema.get(keyword)
        if isinstance(listed, list):
            found += listed
    return found
