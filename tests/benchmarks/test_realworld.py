"""The real-world sweep's own parts: the inliner, one spec's checks and the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.realworld import _refs, check, inline, markdown, summarize

from tests.spectools.specs import base

RECURSIVE = {
    "components": {
        "schemas": {
            "Node": {
                "type": "object",
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "name": {"$ref": "#/components/schemas/Name"},
                },
            },
            "Name": {"type": "string"},
        }
    }
}


def test_inline_writes_components_out_once_and_keeps_recursion_finite() -> None:
    node = {"a": {"$ref": "#/components/schemas/Node"}, "b": {"$ref": "#/components/schemas/Name"}}
    written = inline(RECURSIVE, node)
    assert written["b"] == {"type": "string"}
    # Node's own reference back to itself stays a reference; Name inside it is written out.
    node_written = written["a"]
    assert node_written["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}
    assert node_written["properties"]["name"] == {"type": "string"}
    # A component reached twice is written out once and shared.
    twice = inline(RECURSIVE, [{"$ref": "#/components/schemas/Name"}] * 2)
    assert twice[0] is twice[1]
    assert "$ref" in json.dumps(RECURSIVE)  # the document itself is not changed


def test_one_spec_is_linted_and_meets_the_diff_invariants(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(base()))
    row = check(str(spec), timeout=60)
    assert row["version"] == "3.1"
    assert row["outcomes"] == {
        "lint": "ok",
        "variants": "ok",
        "inline": "ok",
        "remove-operation": "ok",
        "add-path": "ok",
    }


def _row(name: str, seconds: float, **outcomes: str) -> dict[str, Any]:
    return {
        "spec": f"/dir/{name}",
        "version": "3.0",
        "outcomes": {"lint": "ok", **outcomes},
        "details": {k: f"{k} went wrong" for k, v in outcomes.items() if v != "ok"},
        "seconds": seconds,
    }


def test_summary_counts_each_kind_of_problem_and_the_seconds_per_spec() -> None:
    rows = [_row(f"ok{i}.json", float(i)) for i in range(1, 98)]
    rows += [
        _row("crash.json", 0.5, inline="crash"),
        _row("slow.json", 120.0, lint="timeout"),
        _row("wrong.json", 1.0, **{"add-path": "violation", "inline": "violation"}),
    ]
    summary = summarize(rows, Path("/dir"))
    assert (summary["specs"], summary["versions"]) == (100, {"3.0": 100})
    assert (summary["crashes"], summary["timeouts"], summary["violations"]) == (1, 1, 2)
    assert summary["seconds"]["max"] == 120.0
    assert summary["seconds"]["p99"] == 120.0
    assert summary["seconds"]["p50"] == 48.5  # 0.5, 1, 1, 2 … 97, 120
    problems = {(p["spec"], p["check"], p["outcome"]) for p in summary["problems"]}
    assert ("wrong.json", "add-path", "violation") in problems and len(problems) == 4
    text = "\n".join(markdown(summary))
    assert "1 crashes, 1 timeouts, 2 invariant violations" in text
    assert "| slow.json | lint | timeout | lint went wrong |" in text


def test_refs_walk_a_shared_node_once() -> None:
    """What the inliner writes out is shared: 60 levels, each naming the next twice, are 2**60
    paths to the bottom (the sweep hung on bbc.com's spec before the walk kept track)."""
    node: dict[str, Any] = {"$ref": "#/components/schemas/Bottom"}
    for _ in range(60):
        node = {"allOf": [node, node]}
    assert list(_refs(node)) == ["#/components/schemas/Bottom"]
