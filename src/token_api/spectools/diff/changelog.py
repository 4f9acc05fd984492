"""``token-api changelog``: the changes ``diff`` finds, grouped by the operation they touch, for
release notes and reviewers (Markdown, HTML or JSON). A change reached from several operations is
listed under each; one that touches no operation (a server, a security scheme, the API's info)
is listed under "Whole API"."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass

from token_api.spectools.diff.changes import Change
from token_api.spectools.diff.report import change_json
from token_api.spectools.diff.rules import Level
from token_api.spectools.openapi import METHODS

FORMATS = ("markdown", "html", "json")
WHOLE_API = "Whole API"
_WORDS = {
    Level.BREAKING: "breaking",
    Level.POSSIBLY_BREAKING: "possibly breaking",
    Level.NOT_BREAKING: "not breaking",
}
_MARKS = {Level.BREAKING: "❌", Level.POSSIBLY_BREAKING: "⚠️", Level.NOT_BREAKING: "✅"}


@dataclass(frozen=True)
class Group:
    operation: str | None  # "PUT /items/{item_id}", or None for the whole API
    changes: tuple[Change, ...]

    @property
    def level(self) -> Level:
        return max(c.level for c in self.changes)

    @property
    def title(self) -> str:
        return self.operation or WHOLE_API


def _order(operation: str) -> tuple[str, int]:
    method, _, path = operation.partition(" ")
    position = METHODS.index(method.lower()) if method.lower() in METHODS else len(METHODS)
    return path, position


def groups(changes: Sequence[Change]) -> list[Group]:
    """One group per operation, by path then method; the whole API's changes last."""
    by_operation: dict[str | None, list[Change]] = {}
    for change in changes:
        for operation in change.operations or (None,):
            by_operation.setdefault(operation, []).append(change)
    named = sorted((k for k in by_operation if k is not None), key=_order)
    keys: list[str | None] = [*named, *([None] if None in by_operation else [])]
    return [Group(key, tuple(by_operation[key])) for key in keys]


def _headline(changes: Sequence[Change]) -> str:
    if not changes:
        return "No changes."
    counts = {level: sum(c.level is level for c in changes) for level in Level}
    return f"{len(changes)} change(s): " + ", ".join(
        f"{counts[level]} {_WORDS[level]}" for level in sorted(Level, reverse=True)
    )


def _where(change: Change) -> str:
    return (change.location or "/") + (" (old spec)" if change.old else "")


def _markdown(found: list[Group], changes: Sequence[Change], old: str, new: str) -> str:
    lines = [f"# API changelog: {old} → {new}", "", _headline(changes) + "."]
    for group in found:
        title = f"`{group.title}`" if group.operation else group.title
        lines += ["", f"## {title} {_MARKS[group.level]} {_WORDS[group.level]}", ""]
        for c in group.changes:
            lines.append(f"- **{_WORDS[c.level]}** `{c.rule}`: {c.reason} (`{_where(c)}`)")
    return "\n".join(lines)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3em .5em;"
    "text-align:left;vertical-align:top}code{font-size:.95em}"
    ".breaking{color:#b00020;font-weight:bold}.possibly-breaking{color:#a05a00}"
    ".not-breaking{color:#2e7d32}"
)


def _html(found: list[Group], changes: Sequence[Change], old: str, new: str) -> str:
    e = html.escape
    title = f"API changelog: {old} → {new}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{e(_headline(changes))}.</p>",
    ]
    for group in found:
        heading = f"<code>{e(group.title)}</code>" if group.operation else e(group.title)
        parts += [
            f'<section><h2>{heading} <span class="{group.level.label}">'
            f"{e(_WORDS[group.level])}</span></h2>",
            "<table><thead><tr><th>Level</th><th>Rule</th><th>What changed</th><th>Where</th>"
            "</tr></thead><tbody>",
        ]
        for c in group.changes:
            parts.append(
                f'<tr><td class="{c.level.label}">{e(_WORDS[c.level])}</td>'
                f"<td><code>{e(c.rule)}</code></td><td>{e(c.reason)}</td>"
                f"<td><code>{e(_where(c))}</code></td></tr>"
            )
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _json(found: list[Group], changes: Sequence[Change], old: str, new: str) -> str:
    level = max((c.level for c in changes), default=Level.NOT_BREAKING)
    payload = {
        "old": old,
        "new": new,
        "level": level.label,
        "breaking": level is Level.BREAKING,
        "groups": [
            {
                "operation": group.operation,
                "level": group.level.label,
                "changes": [change_json(c) for c in group.changes],
            }
            for group in found
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def render(changes: Sequence[Change], fmt: str, old: str, new: str) -> str:
    renderer = {"markdown": _markdown, "html": _html, "json": _json}[fmt]
    return renderer(groups(changes), changes, old, new)
