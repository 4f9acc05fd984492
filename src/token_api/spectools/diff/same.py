"""Whether two parts of two documents say the same once their ``$ref`` s are followed.

Diff compares what it cannot rank (callbacks, webhooks, examples, an unranked schema keyword)
as a whole; written text would call a ``$ref`` refactor a change. Both sides are walked together
and each ``$ref`` followed where it is a reference: in example values, defaults, enums and
extensions a ``$ref`` key is data, as in :func:`token_api.spectools.pointers.iter_refs`. A
discriminator's mapping values are references too: what they select is compared.
"""

from __future__ import annotations

from typing import Any

from token_api.spectools.diff.keywords import discriminator
from token_api.spectools.diff.normalize import canonical
from token_api.spectools.pointers import DATA_KEYS, NAME_MAPS, RefError, locate

# Where a value is data, and where keys are names rather than keywords: as for $refs (pointers),
# and a media type's `examples` too, a map of Example Objects (a schema's examples list is data).
_MAPS = NAME_MAPS | {"examples"}


class Same:
    """Comparisons of old and new nodes, each pair of ``$ref`` targets walked once."""

    def __init__(self, old: Any, new: Any) -> None:
        self.old, self.new = old, new
        # (pointer or node id, pointer or node id) → the same; and those taken as the same
        # during the current call, while they were being compared.
        self._pairs: dict[tuple[str | int, str | int], bool] = {}
        self._assumed: list[tuple[str | int, str | int]] = []

    def __call__(self, old: Any, new: Any) -> bool:
        self._assumed = []
        same = self._same(old, new, names=False)
        if not same:
            # A recursive pair was taken as the same while it was compared; that assumption
            # failed, so what was concluded from it is forgotten.
            for key in self._assumed:
                if self._pairs.get(key):
                    del self._pairs[key]
        return same

    def _follow(self, document: Any, node: Any) -> tuple[Any, str | int | None]:
        """The node a reference leads to (3.1 siblings kept) and what names it: its pointer, or
        the referring object's id where siblings were merged in; None where no $ref was."""
        pointer: str | None = None
        seen: set[str] = set()
        siblings: dict[str, Any] = {}
        raw = node
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                target, at = locate(document, node["$ref"])
            except (KeyError, RefError):  # broken or not local: compared as written
                break
            if at in seen:  # a cycle of bare references: compared as written
                break
            seen.add(at)
            siblings = {**{k: v for k, v in node.items() if k != "$ref"}, **siblings}
            node, pointer = target, at
        if siblings and isinstance(node, dict):
            return {**node, **siblings}, id(raw)  # made here: named by what referred to it
        return node, pointer

    def _same(self, old: Any, new: Any, *, names: bool) -> bool:
        if not names:
            old_raw, new_raw = old, new
            old, old_at = self._follow(self.old, old)
            new, new_at = self._follow(self.new, new)
            if (old_at is not None or new_at is not None) and isinstance(old, dict | list):
                # Remembered by what a $ref led to, else by the node itself: one side written
                # out in place meets the other's component once per place, and a document may
                # share one object in many places (YAML anchors do).
                key = (
                    old_at if old_at is not None else id(old_raw),
                    new_at if new_at is not None else id(new_raw),
                )
                found = self._pairs.get(key)
                if found is None:
                    self._pairs[key] = True  # a recursive pair: the same until shown otherwise
                    self._assumed.append(key)
                    found = self._pairs[key] = self._walk(old, new)
                return found
        return self._walk(old, new, names=names)

    def _same_discriminator(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        """The same property, and each value selecting the same schema (by what it is, not by
        its name: a renamed component and its mapping entry renamed with it are the same)."""
        before, after = old["discriminator"], new["discriminator"]
        if not isinstance(before, dict) or not isinstance(after, dict):
            return canonical(before) == canonical(after)
        if canonical(_unmapped(before)) != canonical(_unmapped(after)):
            return False

        def same(old_node: Any, new_node: Any) -> bool:
            return self._same(old_node, new_node, names=False)

        old_side = (self.old, before, discriminator.members(old))
        new_side = (self.new, after, discriminator.members(new))
        return all(
            then is not None and now is not None and same({"$ref": then}, {"$ref": now})
            for _, then, now in discriminator.selections(old_side, new_side, same)
        )

    def _walk(self, old: Any, new: Any, *, names: bool = False) -> bool:
        if isinstance(old, dict) and isinstance(new, dict):
            if old.keys() != new.keys():
                return False
            for key, value in old.items():
                other = new[key]
                data = (
                    key in DATA_KEYS
                    or str(key).startswith("x-")
                    or (isinstance(value, list) and key == "examples")
                )
                if not names and data:
                    if canonical(value) != canonical(other):
                        return False
                elif not names and key == "discriminator":
                    if not self._same_discriminator(old, new):
                        return False
                elif not self._same(value, other, names=not names and key in _MAPS):
                    return False
            return True
        if isinstance(old, list) and isinstance(new, list):
            return len(old) == len(new) and all(
                self._same(a, b, names=False) for a, b in zip(old, new, strict=True)
            )
        return canonical(old) == canonical(new)


def _unmapped(discriminator: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in discriminator.items() if k != "mapping"}
