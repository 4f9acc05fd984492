"""``--require-major-bump``: a breaking change where ``info.version``'s major part did not grow
is reported (oasdiff's versioning policy: ``api-version-not-bumped``, ``api-version-decreased``,
``api-major-version-not-bumped``, one rule here)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.changes import Change, change
from token_api.spectools.diff.rules import Level
from token_api.spectools.diff.values import shown

# semver.org's grammar, anchored, with an optional leading "v" (as oasdiff reads it): a date or a
# bare "v1" is not guessed at.
_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def _semver(version: Any) -> tuple[int, int, int] | None:
    match = _SEMVER.match(version) if isinstance(version, str) else None
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _bumped(old: tuple[int, int, int], new: tuple[int, int, int]) -> bool:
    """Enough to carry a breaking change: the major grew, or below 1.0.0 the minor did (semver
    gives 0.x's minor the major's role)."""
    if old[0] == 0 and new[0] == 0:
        return new[1] > old[1]
    return new[0] > old[0]


def version_changes(
    old: dict[str, Any], new: dict[str, Any], changes: Sequence[Change]
) -> list[Change]:
    """The version rule's finding, when a change breaks and info.version does not say so."""
    if not any(c.level is Level.BREAKING for c in changes):
        return []

    def version(document: dict[str, Any]) -> Any:
        info = document.get("info")
        return info.get("version") if isinstance(info, dict) else None

    before, after = version(old), version(new)
    old_semver, new_semver = _semver(before), _semver(after)
    if old_semver is None or new_semver is None:
        unreadable = shown(before) if old_semver is None else shown(after)
        return [change(rules.VERSION_NOT_COMPARABLE, "/info/version", f"info.version {unreadable}")]
    if _bumped(old_semver, new_semver):
        return []
    if before == after:
        how = f"info.version stays {before}"
    elif new_semver < old_semver:
        how = f"info.version went back, {before} → {after}"
    else:
        how = f"info.version {before} → {after}"
    return [change(rules.MAJOR_VERSION_NOT_BUMPED, "/info/version", how)]
