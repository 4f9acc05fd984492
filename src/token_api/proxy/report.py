"""The proxy's reports: the summary printed at exit, JUnit XML, and HTML, Markdown or JSON files
in the forms conformance writes. Reasons and curls were redacted when they were recorded; each
writer redacts once more before anything leaves the process."""

from __future__ import annotations

import html
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from token_api.conformance.report import CSS, REPORT_SUFFIXES, markdown_cell, write_by_suffix
from token_api.proxy.findings import Count, Findings

__all__ = ["REPORT_SUFFIXES", "as_dict", "console", "junit", "write"]


def _when(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(moment))


def _headline(findings: Findings) -> str:
    s = findings.summary
    judged = s.exchanges - s.outside
    parts = [f"{judged:,} judged", f"{s.outside:,} outside the contract"]
    if s.errors:
        parts.append(f"{s.refused:,} refused by --errors")
    parts.append(f"{s.unanswered:,} without an answer from the upstream")
    return f"{s.exchanges:,} exchanges with {s.upstream} in {s.duration:.1f} s: {', '.join(parts)}."


def _verdict(findings: Findings) -> str:
    total = findings.total()
    broken = len({rule for (rule, _), count in findings.counts.items() if count.violations})
    if not total:
        return "No violation."
    return f"{total:,} violation{'s' * (total != 1)} of {broken} rule{'s' * (broken != 1)}."


def _settings(findings: Findings) -> list[tuple[str, str]]:
    s = findings.summary
    return [
        ("Upstream", s.upstream),
        ("Listening on", s.listen),
        ("Spec", s.spec),
        (
            "--errors",
            "on: requests that break the contract are answered 422" if s.errors else "off",
        ),
        ("Recorded to", s.record or "not recorded"),
        ("Started", _when(s.started)),
        ("Duration", f"{s.duration:.1f} s"),
    ]


def _result(count: Count | None) -> str:
    if count is None:
        return "not judged"
    return "FAIL" if count.violations else "pass"


def console(findings: Findings) -> str:
    rows = [(r, side, c) for r, side, _, c in findings.rows() if c is not None]
    lines = [_headline(findings)]
    if rows:
        width = max(len(rule) for rule, _, _ in rows)
        lines.append(f"{'RULE':<{width}}  {'SIDE':<8}  {'JUDGED':>7}  {'BROKEN':>7}  FIRST")
        for rule, side, count in rows:
            assert count is not None
            first = count.examples[0].violation.where() if count.examples else ""
            lines.append(
                f"{rule:<{width}}  {side:<8}  {count.judged:>7,}  {count.violations:>7,}  {first}"
            )
    lines.append(_verdict(findings))
    return findings.redact("\n".join(lines))


def as_dict(findings: Findings) -> dict[str, Any]:
    s = findings.summary
    return {
        "upstream": s.upstream,
        "listen": s.listen,
        "spec": s.spec,
        "errors": s.errors,
        "record": s.record,
        "started": _when(s.started),
        "duration_seconds": round(s.duration, 3),
        "exchanges": s.exchanges,
        "outside_contract": s.outside,
        "refused": s.refused,
        "unanswered": s.unanswered,
        "violations": findings.total(),
        "exit_code": findings.exit_code,
        "statuses": [
            {"operation": operation, "status": status, "count": count}
            for (operation, status), count in sorted(s.statuses.items())
        ],
        "rules": [
            {
                "id": rule,
                "rule": sentence,
                "side": side or None,
                "judged": count.judged if count else 0,
                "violations": count.violations if count else 0,
                "result": _result(count).lower(),
                "examples": [
                    {
                        "exchange": example.violation.exchange,
                        "operation": example.violation.operation,
                        "status": example.violation.status,
                        "answered_by_proxy": example.violation.by_proxy,
                        "reason": example.violation.reason,
                        "curl": example.curl,
                    }
                    for example in (count.examples if count else [])
                ],
            }
            for rule, side, sentence, count in findings.rows()
        ],
    }


def junit(findings: Findings) -> bytes:
    rows = findings.rows()
    suite = ET.Element(
        "testsuite",
        name="token-api proxy",
        tests=str(len(rows)),
        failures=str(sum(1 for *_, c in rows if c is not None and c.violations)),
        skipped=str(sum(1 for *_, c in rows if c is None)),
        errors="0",
        time=f"{findings.summary.duration:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in _settings(findings):
        ET.SubElement(properties, "property", name=name, value=findings.redact(value))
    for rule, side, sentence, count in rows:
        case = ET.SubElement(suite, "testcase", classname=side or "rule", name=rule)
        if count is None:
            ET.SubElement(case, "skipped", message="no exchange exercised it")
        elif count.violations:
            first = count.examples[0].violation.line() if count.examples else rule
            failure = ET.SubElement(case, "failure", message=findings.redact(first))
            failure.text = findings.redact(_details(sentence, count))
        else:
            ET.SubElement(case, "system-out").text = f"{count.judged} exchanges judged"
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _details(sentence: str, count: Count) -> str:
    lines = [sentence, f"{count.violations} of {count.judged} exchanges broke it."]
    for example in count.examples:
        lines += [example.violation.line(), example.curl]
    return "\n".join(lines)


def to_markdown(findings: Findings) -> str:
    lines = ["# token-api proxy", "", f"**{_verdict(findings)}** {_headline(findings)}", ""]
    lines += [f"- **{k}**: {v}" for k, v in _settings(findings)]
    lines += [
        "",
        "| Rule | Side | Result | Judged | Violations | First violation |",
        "|---|---|---|---:|---:|---|",
    ]
    for rule, side, _, count in findings.rows():
        first = count.examples[0].violation.line() if count and count.examples else ""
        lines.append(
            f"| `{rule}` | {side} | {_result(count)} | {count.judged if count else 0} | "
            f"{count.violations if count else 0} | {markdown_cell(first)} |"
        )
    broken = [(r, side, s, c) for r, side, s, c in findings.rows() if c and c.violations]
    if broken:
        lines += ["", "## Violations"]
        for rule, side, sentence, count in broken:
            assert count is not None
            lines += ["", f"### {rule} ({side})", "", sentence, ""]
            lines.append(f"{count.violations} of {count.judged} exchanges broke it.")
            for example in count.examples:
                lines += [
                    "",
                    f"- {markdown_cell(example.violation.line())}",
                    "",
                    "```sh",
                    example.curl,
                ]
                lines.append("```")
    lines += ["", "Credentials are redacted: replace `[REDACTED]` to replay a request.", ""]
    return findings.redact("\n".join(lines))


def to_html(findings: Findings) -> str:
    e = html.escape
    settings = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _settings(findings))
    rows, details = [], []
    for rule, side, sentence, count in findings.rows():
        result = _result(count)
        css = {"FAIL": "fail", "pass": "pass"}.get(result, "skip")
        first = ""
        if count is not None and count.violations:
            anchor = f"{rule}-{side}"
            line = count.examples[0].violation.line() if count.examples else ""
            first = f'<a href="#{e(anchor)}">{e(line)}</a>'
            examples = "".join(
                f"<p>{e(x.violation.line())}</p><pre>{e(x.curl)}</pre>" for x in count.examples
            )
            details.append(
                f'<h3 id="{e(anchor)}">{e(rule)} ({e(side)})</h3><p>{e(sentence)} '
                f"{count.violations} of {count.judged} exchanges broke it.</p>{examples}"
            )
        rows.append(
            f"<tr><td><code>{e(rule)}</code></td><td>{e(side)}</td>"
            f'<td class="{css}">{e(result)}</td><td>{count.judged if count else 0}</td>'
            f"<td>{count.violations if count else 0}</td><td>{e(sentence)}</td>"
            f"<td>{first}</td></tr>"
        )
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>token-api proxy: {e(findings.summary.upstream)}</title><style>{CSS}</style></head>
<body><h1>token-api proxy</h1>
<p><strong>{e(_verdict(findings))}</strong> {e(_headline(findings))}</p>
<dl>{settings}</dl>
<h2>Rules</h2><table><thead><tr><th>Rule</th><th>Side</th><th>Result</th><th>Judged</th>
<th>Violations</th><th>The rule</th><th>First violation</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Violations</h2>{"".join(details) or "<p>None.</p>"}
<p>Credentials are redacted: replace <code>[REDACTED]</code> to replay a request.</p>
</body></html>
"""
    return findings.redact(document)


def write(findings: Findings, path: Path) -> None:
    write_by_suffix(
        path,
        markdown=lambda: to_markdown(findings),
        data=lambda: findings.redact(json.dumps(as_dict(findings), indent=2)) + "\n",
        html=lambda: to_html(findings),
    )
