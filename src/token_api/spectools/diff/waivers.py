"""Waivers: a team accepts one reported change and keeps the gate for every other.

A waivers file (YAML) lists entries, each naming a rule id, a location (the JSON pointer diff
printed, or an operation such as ``POST /api/v1/token``), the reason, and optionally the last day
it holds (``expires``). A change a waiver covers is listed as waived, with the reason, and does not
count towards the exit status. A waiver that has expired covers nothing (its change counts again)
and is reported; one that matches no change is reported too, since stale waivers are how a gate
rots. See docs/gate.md for which of these fail the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from token_api.spectools.diff.changes import Change
from token_api.spectools.diff.rules import RULES
from token_api.spectools.openapi import METHODS, template

_KEYS = {"rule", "location", "reason", "expires"}
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class WaiverError(Exception):
    """The waivers file cannot be used; one sentence."""


@dataclass(frozen=True)
class Waiver:
    rule: str
    location: str  # a JSON pointer ("/…") or an operation ("POST /items/{id}")
    reason: str
    expires: dt.date | None
    entry: int  # 1-based position in the file, for messages
    line: int  # 1-based line of the entry in the file

    @property
    def operation(self) -> tuple[str, str] | None:
        """(METHOD, path template) when the location names an operation."""
        if self.location.startswith("/"):
            return None
        method, _, path = self.location.partition(" ")
        return method.upper(), template(path.strip())

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        return f"{self.rule} at {self.location}"


@dataclass(frozen=True)
class WaiverFinding:
    """A waiver that needs attention: ``waiver-expired`` or ``waiver-unused``."""

    id: str
    waiver: Waiver
    message: str

    @property
    def fails(self) -> bool:
        """An expired waiver fails the run (the team set that date); an unused one is shown."""
        return self.id == "waiver-expired"


@dataclass(frozen=True)
class Waived:
    change: Change
    waiver: Waiver


@dataclass(frozen=True)
class Applied:
    counted: list[Change]  # what the exit status is judged on
    waived: list[Waived]
    findings: list[WaiverFinding] = field(default_factory=list)


def load_waivers(path: Path) -> list[Waiver]:
    """The waivers of ``path``; raises WaiverError naming the entry and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WaiverError(f"The waivers file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise WaiverError(f"Cannot read the waivers file {path}: {error}.") from None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise WaiverError(f"The waivers file {path} is not YAML{where}.") from None
    if (
        not isinstance(data, dict)
        or set(data) != {"waivers"}
        or not isinstance(data["waivers"], list)
    ):
        raise WaiverError(
            f"The waivers file {path} must be a mapping with one key, waivers, holding a list "
            "of entries (rule, location, reason, optional expires)."
        )
    lines = [item.start_mark.line + 1 for item in node.value[0][1].value]
    return [
        _waiver(path, number, item, line)
        for number, (item, line) in enumerate(zip(data["waivers"], lines, strict=True), 1)
    ]


def _waiver(path: Path, number: int, item: Any, line: int) -> Waiver:
    where = f"{path}, entry {number} (line {line})"
    if not isinstance(item, dict):
        raise WaiverError(f"{where} is not a mapping of rule, location, reason and expires.")
    unknown = sorted(str(key) for key in item if key not in _KEYS)
    if unknown:
        raise WaiverError(
            f"{where} has {', '.join(unknown)}: an entry holds rule, location, reason and "
            "expires only."
        )
    for key in ("rule", "location", "reason"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise WaiverError(f"{where} needs {key}: a non-empty string.")
    rule, location, reason = item["rule"].strip(), item["location"].strip(), item["reason"].strip()
    if rule not in RULES:
        raise WaiverError(f"{where}: {rule!r} is not a rule of token-api diff.")
    if not location.startswith("/"):
        method, _, rest = location.partition(" ")
        if method.lower() not in METHODS or not rest.strip().startswith("/"):
            raise WaiverError(
                f"{where}: location {location!r} is neither a JSON pointer (/paths/...) nor an "
                "operation (POST /api/v1/token)."
            )
    expires = item.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires.strip())
        except ValueError:
            expires = None
    if "expires" in item and (isinstance(expires, dt.datetime) or not isinstance(expires, dt.date)):
        raise WaiverError(f"{where}: expires must be a date, YYYY-MM-DD.")
    return Waiver(rule, location, reason, expires, number, line)


def _matches(waiver: Waiver, change: Change) -> bool:
    if waiver.rule != change.rule:
        return False
    wanted = waiver.operation
    if wanted is None:
        return waiver.location == (change.location or "/")
    return wanted in _operations(change)


def _operations(change: Change) -> set[tuple[str, str]]:
    found = set()
    for label in change.operations:
        method, _, path = label.partition(" ")
        found.add((method.upper(), template(path)))
    return found


def apply(changes: Sequence[Change], waivers: Sequence[Waiver], today: dt.date) -> Applied:
    """Split ``changes`` into those that count and those waived; report waivers that expired or
    match nothing. A change reached from several operations is waived only when every one of
    them is (a waiver for one operation does not accept the break for the others)."""
    counted: list[Change] = []
    waived: list[Waived] = []
    used: set[int] = set()
    expired_matches: set[int] = set()
    for change in changes:
        matching = [w for w in waivers if _matches(w, change)]
        live = [w for w in matching if not w.expired(today)]
        expired_matches.update(w.entry for w in matching if w.expired(today))
        used.update(w.entry for w in live)
        by_pointer = next((w for w in live if w.operation is None), None)
        covered = {w.operation for w in live if w.operation is not None}
        if by_pointer is not None:
            waived.append(Waived(change, by_pointer))
        elif live and _operations(change) <= covered:
            waived.append(Waived(change, live[0]))
        else:
            counted.append(change)
    findings = []
    for waiver in waivers:
        if waiver.expired(today):
            still = (
                "; the change it covered counts again" if waiver.entry in expired_matches else ""
            )
            findings.append(
                WaiverFinding(
                    "waiver-expired",
                    waiver,
                    f"the waiver for {waiver.describe()} expired on {waiver.expires}{still}: "
                    "renew it with a new date or remove it",
                )
            )
        elif waiver.entry not in used:
            findings.append(
                WaiverFinding(
                    "waiver-unused",
                    waiver,
                    f"the waiver for {waiver.describe()} matches no change: remove it",
                )
            )
    return Applied(counted, waived, findings)
