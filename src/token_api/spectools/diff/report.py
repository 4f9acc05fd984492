"""``token-api diff`` output: text, JSON, Markdown, GitHub annotations and a pull-request comment;
each shows every change's level (breaking, possibly breaking, not breaking), the changes waivers
accepted, and the waivers that need attention."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from token_api.spectools.diff.changes import Change
from token_api.spectools.diff.rules import Level
from token_api.spectools.diff.waivers import Waived, Waiver, WaiverFinding
from token_api.spectools.findings import annotation
from token_api.spectools.lines import LineIndex

FORMATS = ("text", "json", "markdown", "github", "pr-comment")
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
_OVERALL = {
    Level.BREAKING: "❌ breaking",
    Level.POSSIBLY_BREAKING: "⚠️ possibly breaking",
    Level.NOT_BREAKING: "✅ not breaking",
}
# GitHub refuses a comment over 65,536 characters; rows past this budget are counted, not shown.
COMMENT_LIMIT = 60_000


@dataclass(frozen=True)
class Source:
    """One of the two specs: as the user named it, and where its text is, for line numbers."""

    label: str
    path: Path | None = None
    text: str | None = None
    url: str | None = None  # the spec file as a web page (pr-comment links: URL#L42)


@dataclass(frozen=True)
class Report:
    old: Source
    new: Source
    changes: Sequence[Change]  # those that count towards the exit status
    waived: Sequence[Waived] = ()
    findings: Sequence[WaiverFinding] = ()  # waivers that expired or match nothing
    waivers: str | None = None  # the waivers file as given
    lines: dict[str, LineIndex] = field(default_factory=dict, compare=False)

    @cached_property
    def level(self) -> Level:
        return max((c.level for c in self.changes), default=Level.NOT_BREAKING)

    def line(self, change: Change) -> int | None:
        """The line of the change's location in the spec it points into."""
        source = self.old if change.old else self.new
        key = "old" if change.old else "new"
        if key not in self.lines:
            if source.path is None and source.text is None:
                return None
            self.lines[key] = LineIndex(source.path, text=source.text)
        return self.lines[key].line(change.location)


def verdict(changes: Sequence[Change]) -> Level:
    return max((c.level for c in changes), default=Level.NOT_BREAKING)


def _where(change: Change) -> str:
    return (change.location or "/") + (" (old spec)" if change.old else "")


def _counts(report: Report) -> str:
    changes = report.changes
    total = len(changes) + len(report.waived)
    if not total:
        return "No changes."
    breaking = sum(c.level is Level.BREAKING for c in changes)
    possibly = sum(c.level is Level.POSSIBLY_BREAKING for c in changes)
    waived = f", {len(report.waived)} waived" if report.waived else ""
    return f"{total} change(s), {breaking} breaking, {possibly} possibly breaking{waived}."


def _waiver_json(waiver: Waiver) -> dict[str, Any]:
    return {
        "entry": waiver.entry,
        "line": waiver.line,
        "rule": waiver.rule,
        "location": waiver.location,
        "reason": waiver.reason,
        "expires": waiver.expires.isoformat() if waiver.expires else None,
    }


def change_json(c: Change) -> dict[str, Any]:
    return {
        "rule": c.rule,
        "level": c.level.label,
        "breaking": c.breaking,
        "location": c.location,
        # The document the location points into; "old"/"new" of the report are file names.
        "spec": "old" if c.old else "new",
        "operations": list(c.operations),
        "reason": c.reason,
    }


def _json(report: Report) -> str:
    payload = {
        "old": report.old.label,
        "new": report.new.label,
        "level": report.level.label,
        "breaking": report.level is Level.BREAKING,
        "changes": [change_json(c) for c in report.changes],
        "waived": [
            {**change_json(w.change), "waiver": _waiver_json(w.waiver)} for w in report.waived
        ],
        "waivers": [
            {"id": f.id, "fails": f.fails, "message": f.message, **_waiver_json(f.waiver)}
            for f in report.findings
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>"})


def _text_cell(text: str) -> str:
    """Free text (a reason, a waiver's reason) shown as text: a pattern's ``*`` or a ``<tag>``
    in a spec value must not turn into emphasis or HTML in the comment."""
    return text.translate(_MARKDOWN_SPECIALS)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_cell(x) for x in cells) + " |"


def _waiver_note(waiver: Waiver) -> str:
    until = f", until {waiver.expires}" if waiver.expires else ""
    return f"{waiver.reason} (waiver {waiver.entry}{until})"


def _finding_line(report: Report, finding: WaiverFinding) -> str:
    where = f"{report.waivers}, entry {finding.waiver.entry} (line {finding.waiver.line})"
    return f"{where}: {finding.id}: {finding.message}."


def _markdown(report: Report) -> str:
    overall = _OVERALL[report.level]
    lines = [
        f"### API changes: {report.old.label} → {report.new.label} ({overall})",
        "",
        _counts(report),
    ]
    if report.changes:
        lines += ["", "| | Rule | Location | Operations | Reason |", "|---|---|---|---|---|"]
        for c in report.changes:
            lines.append(
                _row(
                    [
                        _MARKDOWN[c.level],
                        f"`{c.rule}`",
                        f"`{_where(c)}`",
                        ", ".join(c.operations) or "—",
                        c.reason,
                    ]
                )
            )
    if report.waived:
        lines += [
            "",
            "Waived:",
            "",
            "| | Rule | Location | Operations | Reason | Waived because |",
            "|---|---|---|---|---|---|",
        ]
        for w in report.waived:
            c = w.change
            lines.append(
                _row(
                    [
                        _MARKDOWN[c.level],
                        f"`{c.rule}`",
                        f"`{_where(c)}`",
                        ", ".join(c.operations) or "—",
                        c.reason,
                        _waiver_note(w.waiver),
                    ]
                )
            )
    if report.findings:
        lines += ["", *(f"- {_finding_line(report, f)}" for f in report.findings)]
    return "\n".join(lines)


def _github(report: Report) -> str:
    lines = []
    for c in report.changes:
        operations = f" [{', '.join(c.operations)}]" if c.operations else ""
        lines.append(
            annotation(
                _GITHUB[c.level],
                report.new.label,
                None if c.old else report.line(c),
                c.rule,
                _where(c) + operations,
                f"{c.level.label}: {c.reason}",
            )
        )
    for w in report.waived:
        c = w.change
        lines.append(
            annotation(
                "notice",
                report.new.label,
                None if c.old else report.line(c),
                c.rule,
                _where(c),
                f"waived {c.level.label}: {c.reason}; waived: {_waiver_note(w.waiver)}",
            )
        )
    for f in report.findings:
        lines.append(
            annotation(
                "error" if f.fails else "warning",
                report.waivers or "",
                f.waiver.line,
                f.id,
                f"entry {f.waiver.entry}",
                f.message,
            )
        )
    return "\n".join(lines)


def _text(report: Report) -> str:
    old, new = report.old.label, report.new.label
    if not report.changes and not report.waived and not report.findings:
        return f"{old} → {new}: no changes."
    every = [c.rule for c in report.changes] + [w.change.rule for w in report.waived]
    width = max((len(rule) for rule in every), default=0)
    lines = []

    def entry(tag: str, c: Change) -> None:
        operations = f" [{', '.join(c.operations)}]" if c.operations else ""
        lines.append(
            f"{tag:<8} {c.rule:<{width}}  {_where(c)}{operations}\n"
            f"{'':<8} {'':<{width}}  {c.reason}"
        )

    for c in report.changes:
        entry(_TEXT[c.level], c)
    for w in report.waived:
        entry("WAIVED", w.change)
        lines.append(f"{'':<8} {'':<{width}}  waived: {_waiver_note(w.waiver)}")
    lines += [_finding_line(report, f) for f in report.findings]
    lines.append(f"{old} → {new}: {_counts(report)}")
    return "\n".join(lines)


# -- the pull-request comment ------------------------------------------------------------------


def marker(new_label: str) -> str:
    """The comment's first line, hidden when rendered: a workflow finds its comment by it, so
    each spec of a repository keeps one comment, updated on every push."""
    return f"<!-- token-api diff: {new_label.replace('--', '-')} -->"


def _link(report: Report, change: Change) -> str:
    source = report.old if change.old else report.new
    where = _code(change.location or "/")
    line = report.line(change)
    if line is None:
        return where + (" (old spec)" if change.old else "")
    if source.url:
        return f"[{where}]({source.url}#L{line})" + (" (old spec)" if change.old else "")
    return f"{where} ({'old spec, ' if change.old else ''}line {line})"


class _Budget:
    """Rows are added while the comment stays under GitHub's size limit; the rest are counted."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, text: str) -> bool:
        if len(text) + 1 > self.left:
            return False
        self.left -= len(text) + 1
        return True


def _table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    budget: _Budget,
) -> list[str]:
    lines = [title, "", _row(header), "|" + "---|" * len(header)]
    budget.take("\n".join(lines))
    shown = 0
    for row in rows:
        line = _row(row)
        if not budget.take(line):
            break
        lines.append(line)
        shown += 1
    if shown < len(rows):
        lines += ["", f"… and {len(rows) - shown} more, not shown here (see the job's log)."]
    return [*lines, ""]


def _comment(report: Report) -> str:
    changes = report.changes
    breaking = [c for c in changes if c.level is Level.BREAKING]
    possibly = [c for c in changes if c.level is Level.POSSIBLY_BREAKING]
    fine = [c for c in changes if c.level is Level.NOT_BREAKING]
    failing = [f for f in report.findings if f.fails]
    total = len(changes) + len(report.waived)
    if breaking or failing:
        headline = "❌ API contract: breaking changes" if breaking else "❌ API contract: waivers"
    elif possibly:
        headline = "⚠️ API contract: possibly breaking changes"
    elif total or report.findings:
        headline = "✅ API contract: no breaking changes"
    else:
        headline = "✅ API contract: no changes"  # contract-gate.sh looks for this line
    counts = [
        f"{len(breaking)} breaking",
        f"{len(possibly)} possibly breaking",
        f"{len(report.waived)} waived",
        f"{len(fine)} not breaking",
    ]
    summary = f"{_code(report.old.label)} → {_code(report.new.label)}: " + (
        f"{total} change(s): {', '.join(counts)}." if total else "no changes."
    )
    lines = [marker(report.new.label), f"## {headline}", "", summary, ""]
    budget = _Budget(COMMENT_LIMIT - sum(len(x) + 1 for x in lines) - 400)
    header = ["Rule", "Where", "Operations", "What changed"]

    def rows(selected: Sequence[Change]) -> list[list[str]]:
        return [
            [
                _code(c.rule),
                _link(report, c),
                ", ".join(map(_code, c.operations)) or "—",
                _text_cell(c.reason),
            ]
            for c in selected
        ]

    if breaking:
        lines += _table(f"### Breaking ({len(breaking)})", header, rows(breaking), budget)
    if possibly:
        title = f"### Possibly breaking ({len(possibly)})"
        lines += _table(title, header, rows(possibly), budget)
    if report.findings:
        lines += [f"### Waivers to update ({len(report.findings)})", ""]
        for f in report.findings:
            mark = "❌" if f.fails else "⚠️"
            line = f"- {mark} {_text_cell(_finding_line(report, f))}"
            if budget.take(line):
                lines.append(line)
        lines.append("")
    if report.waived:
        waived = [[*rows([w.change])[0], _text_cell(_waiver_note(w.waiver))] for w in report.waived]
        lines += _table(
            f"### Waived ({len(report.waived)})",
            [*header[:3], "What changed", "Waived because"],
            waived,
            budget,
        )
    if fine:
        body = _table("", header, rows(fine), budget)[2:]
        lines += [
            f"<details><summary>{len(fine)} change(s) that do not break clients</summary>",
            "",
            *body,
            "</details>",
            "",
        ]
    lines.append("<sub>Posted by `token-api diff --format pr-comment`; updated on each push.</sub>")
    return "\n".join(lines)


_RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": _text,
    "json": _json,
    "markdown": _markdown,
    "github": _github,
    "pr-comment": _comment,
}


def render(report: Report, fmt: str) -> str:
    return _RENDERERS[fmt](report)
