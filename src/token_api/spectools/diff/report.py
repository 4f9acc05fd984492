"""``token-api diff`` output: text, JSON, Markdown (for a PR comment), GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from token_api.spectools.diff.changes import Change
from token_api.spectools.findings import annotation
from token_api.spectools.lines import LineIndex

FORMATS = ("text", "json", "markdown", "github")


def _where(change: Change) -> str:
    return (change.location or "/") + (" (old spec)" if change.old else "")


def _summary(changes: Sequence[Change]) -> str:
    breaking = sum(c.breaking for c in changes)
    if not changes:
        return "No changes."
    return f"{len(changes)} change(s), {breaking} breaking."


def render(changes: Sequence[Change], fmt: str, old: str, new: str, new_path: Path | None) -> str:
    if fmt == "json":
        payload = {
            "old": old,
            "new": new,
            "breaking": any(c.breaking for c in changes),
            "changes": [{**asdict(c), "operations": list(c.operations)} for c in changes],
        }
        return json.dumps(payload, indent=2, ensure_ascii=False)
    if fmt == "markdown":
        verdict = "❌ breaking" if any(c.breaking for c in changes) else "✅ not breaking"
        lines = [f"### API changes: {old} → {new} ({verdict})", "", _summary(changes)]
        if changes:
            lines += ["", "| | Rule | Location | Operations | Reason |", "|---|---|---|---|---|"]
            for c in changes:
                cells = [
                    "**breaking**" if c.breaking else "ok",
                    f"`{c.rule}`",
                    f"`{_where(c)}`",
                    ", ".join(c.operations) or "—",
                    c.reason,
                ]
                lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        return "\n".join(lines)
    if fmt == "github":
        index = LineIndex(new_path)
        lines = []
        for c in changes:
            operations = f" [{', '.join(c.operations)}]" if c.operations else ""
            lines.append(
                annotation(
                    "error" if c.breaking else "notice",
                    new,
                    None if c.old else index.line(c.location),
                    c.rule,
                    _where(c) + operations,
                    c.reason,
                )
            )
        return "\n".join(lines)
    if not changes:
        return f"{old} → {new}: no changes."
    width = max(len(c.rule) for c in changes)
    lines = []
    for c in changes:
        operations = f" [{', '.join(c.operations)}]" if c.operations else ""
        verdict = "BREAKING" if c.breaking else "ok"
        lines.append(
            f"{verdict:<8} {c.rule:<{width}}  {_where(c)}{operations}\n"
            f"{'':<8} {'':<{width}}  {c.reason}"
        )
    lines.append(f"{old} → {new}: {_summary(changes)}")
    return "\n".join(lines)
