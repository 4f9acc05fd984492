"""Lint findings and their three output formats (text, JSON, GitHub annotations)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from token_api.spectools.lines import LineIndex

Severity = Literal["error", "warning", "info"]
FORMATS = ("text", "json", "github")
_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, order=True)
class Finding:
    rule: str
    severity: Severity
    location: str  # a JSON pointer into the spec ("" is the whole document)
    message: str  # one line

    @property
    def fails(self) -> bool:
        """Info findings (a rule skipped, say) are shown but do not fail the run."""
        return self.severity != "info"


def ordered(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(set(findings), key=lambda f: (_ORDER[f.severity], f.location, f.rule, f.message))


def github_escape(text: str, *, property_value: bool = False) -> str:
    """Workflow commands need %, CR and LF escaped (and : , in properties)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def annotation(
    level: str, file: str, line: int | None, title: str, where: str, message: str
) -> str:
    """One GitHub Actions workflow command: an annotation on ``file`` (at ``line`` if known)."""
    props = [f"file={github_escape(file, property_value=True)}"]
    if line is not None:
        props.append(f"line={line}")
    props.append(f"title={github_escape(title, property_value=True)}")
    return f"::{level} {','.join(props)}::{github_escape(where)}: {github_escape(message)}"


def render(findings: Sequence[Finding], fmt: str, spec: str, path: Path | None) -> str:
    findings = ordered(findings)
    if fmt == "json":
        return json.dumps(
            {"spec": spec, "findings": [asdict(f) for f in findings]}, indent=2, ensure_ascii=False
        )
    if fmt == "github":
        index = LineIndex(path)
        lines = []
        for finding in findings:
            level = {"error": "error", "warning": "warning", "info": "notice"}[finding.severity]
            lines.append(
                annotation(
                    level,
                    spec,
                    index.line(finding.location),
                    finding.rule,
                    finding.location or "/",
                    finding.message,
                )
            )
        return "\n".join(lines)
    if not findings:
        return f"{spec}: no findings."
    width = max(len(f.rule) for f in findings)
    lines = [
        f"{f.severity:<7} {f.rule:<{width}}  {f.location or '/'}  {f.message}" for f in findings
    ]
    failing = sum(f.fails for f in findings)
    lines.append(
        f"{spec}: {failing} finding(s)"
        + (f", {len(findings) - failing} note(s)" if failing != len(findings) else "")
        + "."
    )
    return "\n".join(lines)
