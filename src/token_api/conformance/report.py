"""The report in its forms: the console summary, JUnit XML for CI, and a self-contained HTML,
Markdown or JSON file. Everything that reaches them was redacted when it was recorded; each
writer redacts once more before anything leaves the process."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from token_api.conformance.coverage import FAIL, UNCHECKED, Coverage, RuleCoverage
from token_api.conformance.results import CheckResult, Report, Verdict

_MARKS = {Verdict.PASS: "pass", Verdict.FAIL: "FAIL", Verdict.SKIP: "skip"}
_RULE_MARKS = {
    "pass": "pass",
    "fail": "FAIL",
    "partial": "partial",
    "unchecked": "UNCHECKED",
    "client": "client",
}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _settings(report: Report) -> list[tuple[str, str]]:
    info = report.info
    return [
        ("Base URL", info.base_url),
        ("Spec", info.spec),
        ("Seed", f"{info.seed} (replay with --seed {info.seed})"),
        ("Max examples", str(info.max_examples or "Schemathesis's default")),
        ("Schemathesis phases", ", ".join(info.phases)),
        ("Callers", ", ".join(info.callers)),
        ("Workspaces", ", ".join(info.workspaces) or "none given"),
        ("Key probe", info.key_probe or "none (Create Token's 403 shows a key is recognised)"),
        ("Rate limit", info.rate_limit or "none"),
        ("Schemathesis", info.schemathesis_version or "unknown"),
        ("Duration", f"{info.duration:.1f} s"),
    ]


def _summary(report: Report) -> str:
    counts = {verdict: 0 for verdict in Verdict}
    for result in report.results:
        counts[result.verdict] += 1
    return (
        f"{counts[Verdict.FAIL]} failed, {counts[Verdict.PASS]} passed, "
        f"{counts[Verdict.SKIP]} skipped"
    )


def console(report: Report) -> str:
    width = max(len(result.name) for result in report.results)
    lines = [f"{'CHECK':<{width}}  RESULT  CASES  DETAIL"]
    for result in report.results:
        if result.verdict is Verdict.FAIL and result.first is not None:
            detail = f"{result.failures} failed; {_first_line(result.first.problem)}"
        elif result.verdict is Verdict.SKIP:
            detail = result.reason or ""
        else:
            detail = result.description
            if result.partial:
                detail += f" (partial: {result.partial})"
        lines.append(
            f"{result.name:<{width}}  {_MARKS[result.verdict]:<6}  {result.cases:>5}  {detail}"
        )
        if result.verdict is Verdict.FAIL and result.first is not None:
            for step in result.first.steps:
                lines.extend("    " + line for line in step.splitlines())
    lines.append("")
    lines.extend(_rules_table(report.coverage))
    lines.append("")
    lines.extend(report.info.notes)
    lines.extend(report.coverage.summary())
    if report.coverage_failed:
        lines.append("--require-coverage: the run fails, for what it did not cover (above).")
    lines.append(
        f"{_summary(report)} in {report.info.duration:.1f} s against {report.info.base_url} "
        f"(seed {report.info.seed})."
    )
    return report.redact("\n".join(lines))


def _rule_detail(rule: RuleCoverage) -> str:
    return rule.reason or ", ".join(rule.checks)


def _rules_table(coverage: Coverage) -> list[str]:
    """A line per rule of the contract: its result, the answers judged for it, and its checks
    (or why it went unchecked)."""
    if not coverage.rules:
        return []
    width = max(len(rule.id) for rule in coverage.rules)
    lines = [f"{'RULE':<{width}}  {'RESULT':<9}  PROBES  CHECKS"]
    for rule in coverage.rules:
        mark = _RULE_MARKS[rule.result]
        lines.append(f"{rule.id:<{width}}  {mark:<9}  {rule.probes:>6}  {_rule_detail(rule)}")
    return lines


def junit(report: Report) -> bytes:
    results = report.results
    suite = ET.Element(
        "testsuite",
        name="token-api conformance",
        tests=str(len(results)),
        failures=str(sum(r.verdict is Verdict.FAIL for r in results)),
        skipped=str(sum(r.verdict is Verdict.SKIP for r in results)),
        errors="0",
        time=f"{report.info.duration:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in _settings(report):
        ET.SubElement(properties, "property", name=name, value=report.redact(value))
    for line in report.coverage.summary():
        kind, _, value = line.partition(": ")
        ET.SubElement(properties, "property", name=f"coverage.{kind.lower()}", value=value)
    for rule in report.coverage.rules:
        value = f"{rule.result}, {rule.probes} probes ({_rule_detail(rule)})"
        ET.SubElement(properties, "property", name=f"rule {rule.id}", value=value)
    for status in report.coverage.statuses:
        value = "observed" if status.observed else f"not observed ({status.reason or 'missing'})"
        name = f"status {status.operation} {status.status}"
        ET.SubElement(properties, "property", name=name, value=value)
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=result.source, name=result.name)
        if result.verdict is Verdict.FAIL:
            problem = result.first.problem if result.first else "failed"
            failure = ET.SubElement(case, "failure", message=report.redact(_first_line(problem)))
            failure.text = report.redact(_details(result))
        elif result.verdict is Verdict.SKIP:
            ET.SubElement(case, "skipped", message=report.redact(result.reason or ""))
        else:
            ET.SubElement(case, "system-out").text = f"{result.cases} cases"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _details(result: CheckResult) -> str:
    first = result.first
    lines = [f"{result.failures} of {result.cases} cases failed."]
    if first is not None:
        lines.append(first.problem)
        if first.steps:
            lines.append("Replay (the credential is redacted):")
            lines.extend(first.steps)
    return "\n".join(lines)


def as_dict(report: Report) -> dict[str, Any]:
    info = report.info
    return {
        "base_url": info.base_url,
        "spec": info.spec,
        "seed": info.seed,
        "max_examples": info.max_examples,
        "phases": list(info.phases),
        "workspaces": list(info.workspaces),
        "callers": list(info.callers),
        "key_probe": info.key_probe,
        "rate_limit": info.rate_limit,
        "long_lived_tokens": info.long_lived_tokens,
        "schemathesis_version": info.schemathesis_version,
        "duration_seconds": round(info.duration, 3),
        "notes": info.notes,
        "checks_selected": list(info.checks) or "all",
        "require_coverage": info.require_coverage,
        "exit_code": report.exit_code,
        "checks": [
            {
                "name": r.name,
                "source": r.source,
                "description": r.description,
                "rules": list(r.rules),
                "result": r.verdict.value,
                "cases": r.cases,
                "failures": r.failures,
                "skip_reason": r.reason,
                "partial": r.partial,
                "first_counter_example": None
                if r.first is None
                else {
                    "problem": r.first.problem,
                    "status": r.first.status,
                    "curl": list(r.first.steps),
                },
            }
            for r in report.results
        ],
        "coverage": report.coverage.as_data(),
    }


CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#f4f4f4}.pass{color:#1a7f37}.fail{color:#cf222e;
font-weight:600}.skip{color:#8a6d00}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;
white-space:pre-wrap;word-break:break-all}dl{display:grid;grid-template-columns:max-content auto;
gap:.2rem 1rem}dt{font-weight:600}
"""


def to_html(report: Report) -> str:
    e = html.escape
    settings = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _settings(report))
    rows = []
    details = []
    for r in report.results:
        if r.verdict is Verdict.FAIL and r.first is not None:
            detail = f'<a href="#{e(r.name)}">{e(_first_line(r.first.problem))}</a>'
            steps = "".join(f"<pre>{e(step)}</pre>" for step in r.first.steps)
            details.append(
                f'<h3 id="{e(r.name)}">{e(r.name)}</h3><p>{r.failures} of {r.cases} cases failed. '
                f"{e(r.first.problem)}</p>{steps}"
            )
        elif r.verdict is Verdict.SKIP:
            detail = e(r.reason or "")
        else:
            detail = ""
        rows.append(
            f"<tr><td><code>{e(r.name)}</code></td><td>{e(r.source)}</td>"
            f'<td class="{r.verdict.value}">{e(_MARKS[r.verdict])}</td><td>{r.cases}</td>'
            f"<td>{e(r.description)}</td><td>{detail}</td></tr>"
        )
    notes = "".join(
        f"<li>{e(note)}</li>" for note in (*report.info.notes, *report.coverage.summary())
    )
    rule_rows = "".join(
        f'<tr><td><code>{e(rule.id)}</code></td><td class="{_rule_class(rule)}">'
        f"{e(_RULE_MARKS[rule.result])}</td><td>{rule.probes}</td>"
        f"<td>{e(', '.join(rule.checks))}</td><td>{e(rule.text)}</td>"
        f"<td>{e(rule.reason or '')}</td></tr>"
        for rule in report.coverage.rules
    )
    status_rows = "".join(
        f"<tr><td>{e(s.operation)}</td><td>{e(s.status)}</td>"
        f'<td class="{"pass" if s.observed else "skip" if s.reason else "fail"}">'
        f"{'observed' if s.observed else 'not observed'}</td><td>{e(s.reason or '')}</td></tr>"
        for s in report.coverage.statuses
    )
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>token-api conformance: {e(report.info.base_url)}</title><style>{CSS}</style></head>
<body><h1>token-api conformance</h1>
<p><strong>{e(_summary(report))}</strong> (exit code {report.exit_code})</p>
<dl>{settings}</dl><ul>{notes}</ul>
<h2>Checks</h2><table><thead><tr><th>Check</th><th>Source</th><th>Result</th><th>Cases</th>
<th>What it checks</th><th>First counter-example / reason</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Coverage: the contract's rules</h2><table><thead><tr><th>Rule</th><th>Result</th>
<th>Probes</th><th>Checks</th><th>The rule</th><th>Why unchecked / partial</th></tr></thead>
<tbody>{rule_rows}</tbody></table>
<h2>Coverage: documented statuses</h2><table><thead><tr><th>Operation</th><th>Status</th>
<th>Observed</th><th>Why it cannot be caused</th></tr></thead><tbody>{status_rows}</tbody></table>
<h2>Counter-examples</h2>{"".join(details) or "<p>None.</p>"}
<p>Credentials are redacted: replace <code>[REDACTED]</code> with a token to replay a request.</p>
</body></html>
"""
    return report.redact(document)


def _rule_class(rule: RuleCoverage) -> str:
    if rule.result in (FAIL, UNCHECKED):
        return "fail"
    return "pass" if rule.result == "pass" else "skip"


def markdown_cell(text: str) -> str:
    """Text in one Markdown table cell: pipes escaped, on one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    lines = [
        "# token-api conformance",
        "",
        f"**{_summary(report)}** (exit code {report.exit_code})",
        "",
    ]
    lines += [f"- **{k}**: {markdown_cell(v)}" for k, v in _settings(report)]
    lines += [f"- {note}" for note in (*report.info.notes, *report.coverage.summary())]
    lines += [
        "",
        "| Check | Source | Result | Cases | First counter-example / reason |",
        "|---|---|---|---:|---|",
    ]
    for r in report.results:
        if r.verdict is Verdict.FAIL and r.first is not None:
            detail = _first_line(r.first.problem)
        elif r.verdict is Verdict.SKIP:
            detail = r.reason or ""
        else:
            detail = r.description
        cell = markdown_cell(detail)
        lines.append(f"| `{r.name}` | {r.source} | {_MARKS[r.verdict]} | {r.cases} | {cell} |")
    lines += [
        "",
        "## Coverage",
        "",
        "| Rule | Result | Probes | Checks / why unchecked |",
        "|---|---|---:|---|",
    ]
    lines += [
        f"| `{r.id}` | {_RULE_MARKS[r.result]} | {r.probes} | {markdown_cell(_rule_detail(r))} |"
        for r in report.coverage.rules
    ]
    lines += ["", "| Operation | Status | Observed |", "|---|---|---|"]
    lines += [
        f"| {s.operation} | {s.status} | "
        f"{'yes' if s.observed else markdown_cell(f'no ({s.reason})' if s.reason else 'no')} |"
        for s in report.coverage.statuses
    ]
    failed = [r for r in report.results if r.verdict is Verdict.FAIL and r.first is not None]
    if failed:
        lines += ["", "## Counter-examples"]
        for r in failed:
            assert r.first is not None
            lines += [
                "",
                f"### {r.name}",
                "",
                f"{r.failures} of {r.cases} cases failed. {r.first.problem}",
            ]
            for step in r.first.steps:
                lines += ["", "```sh", step, "```"]
    lines += [
        "",
        "Credentials are redacted: replace `[REDACTED]` with a token to replay a request.",
        "",
    ]
    return report.redact("\n".join(lines))


def write(report: Report, path: Path) -> None:
    write_by_suffix(
        path,
        markdown=lambda: to_markdown(report),
        data=lambda: report.redact(json.dumps(as_dict(report), indent=2)) + "\n",
        html=lambda: to_html(report),
    )


def write_by_suffix(
    path: Path, *, markdown: Callable[[], str], data: Callable[[], str], html: Callable[[], str]
) -> None:
    """HTML (.html, .htm), Markdown (.md, .markdown) or JSON (.json), by the file's extension;
    only that form is made."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        text = markdown()
    elif suffix == ".json":
        text = data()
    else:
        text = html()
    path.write_text(text, encoding="utf-8")


REPORT_SUFFIXES = (".html", ".htm", ".md", ".markdown", ".json")
