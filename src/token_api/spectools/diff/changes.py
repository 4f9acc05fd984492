"""What ``token-api diff`` reports: one change, with the rule that found it and its level."""

from __future__ import annotations

from dataclasses import dataclass, field

from token_api.spectools.diff.rules import RULES, Level


@dataclass(frozen=True)
class Change:
    rule: str
    location: str  # JSON pointer: in the new spec, or in the old one for what was removed
    level: Level
    reason: str
    operations: tuple[str, ...] = field(default=())  # "POST /api/v1/token" ...
    old: bool = False  # the location is in the old spec

    @property
    def breaking(self) -> bool:
        return self.level is Level.BREAKING


def change(
    rule: str, location: str, detail: str, operations: tuple[str, ...] = (), *, old: bool = False
) -> Change:
    """A change found by ``rule``: its level and consequence come from the catalogue."""
    entry = RULES[rule]
    return Change(rule, location, entry.level, f"{detail}: {entry.reason}", operations, old)
