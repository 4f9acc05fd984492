"""``token-api diff`` output: text, JSON, Markdown (for a PR comment), GitHub annotations; each
shows every change's level (breaking, possibly breaking, not breaking)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from token_api.spectools.diff.changes import Change
from token_api.spectools.diff.rules import Level
from token_api.spectools.findings import annotation
from token_api.spectools.lines import LineIndex

FORMATS = ("text", "json", "markdown", "github")
_TEXT = {Level.BREAKING: "BREAKING", Level.POSSIBLY_BREAKING: "POSSIBLY", Level.NOT_BREAKING: "ok"}
_MARKDOWN = {
    Level.BREAKING: "**breaking**",
    Level.POSSIBLY_BREAKING: "*possibly breaking*",
    Level.NOT_BREAKING: "ok",
}
_GITHUB = {
    Level.BREAKING: "error",
    Level.POSSIBLY_BREAKING: "warning",
    Level.NOT_BREAKING: "notice",
}


def verdict(changes: Sequence[Change]) -> Level:
    return max((c.level for c in changes), default=Level.NOT_BREAKING)


def _where(change: Change) -> str:
    return (change.location or "/") + (" (old spec)" if change.old else "")


def _summary(changes: Sequence[Change]) -> str:
    if not changes:
        return "No changes."
    breaking = sum(c.level is Level.BREAKING for c in changes)
    possibly = sum(c.level is Level.POSSIBLY_BREAKING for c in changes)
    return f"{len(changes)} change(s), {breaking} breaking, {possibly} possibly breaking."


def render(changes: Sequence[Change], fmt: str, old: str, new: str, new_path: Path | None) -> str:
    if fmt == "json":
        payload = {
            "old": old,
            "new": new,
            "level": verdict(changes).label,
            "breaking": verdict(changes) is Level.BREAKING,
            "changes": [
                {
                    "rule": c.rule,
                    "level": c.level.label,
                    "breaking": c.breaking,
                    "location": c.location,
                    # The document the location points into; "old"/"new" above are file names.
                    "spec": "old" if c.old else "new",
                    "operations": list(c.operations),
                    "reason": c.reason,
                }
                for c in changes
            ],
        }
        return json.dumps(payload, indent=2, ensure_ascii=False)
    if fmt == "markdown":
        overall = {
            Level.BREAKING: "❌ breaking",
            Level.POSSIBLY_BREAKING: "⚠️ possibly breaking",
            Level.NOT_BREAKING: "✅ not breaking",
        }[verdict(changes)]
        lines = [f"### API changes: {old} → {new} ({overall})", "", _summary(changes)]
        if changes:
            lines += ["", "| | Rule | Location | Operations | Reason |", "|---|---|---|---|---|"]
            for c in changes:
                cells = [
                    _MARKDOWN[c.level],
                    f"`{c.rule}`",
                    f"`{_where(c)}`",
                    ", ".join(c.operations) or "—",
                    c.reason,
                ]
                lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        return "\n".join(lines)
    if fmt == "github":
        index = LineIndex(new_path) if new_path is not None and changes else None
        lines = []
        for c in changes:
            operations = f" [{', '.join(c.operations)}]" if c.operations else ""
            lines.append(
                annotation(
                    _GITHUB[c.level],
                    new,
                    None if c.old or index is None else index.line(c.location),
                    c.rule,
                    _where(c) + operations,
                    f"{c.level.label}: {c.reason}",
                )
            )
        return "\n".join(lines)
    if not changes:
        return f"{old} → {new}: no changes."
    width = max(len(c.rule) for c in changes)
    lines = []
    for c in changes:
        operations = f" [{', '.join(c.operations)}]" if c.operations else ""
        lines.append(
            f"{_TEXT[c.level]:<8} {c.rule:<{width}}  {_where(c)}{operations}\n"
            f"{'':<8} {'':<{width}}  {c.reason}"
        )
    lines.append(f"{old} → {new}: {_summary(changes)}")
    return "\n".join(lines)
