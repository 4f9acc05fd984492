"""The benchmark report: its table and targets from a results document."""

from __future__ import annotations

from typing import Any

from benchmarks.harness import CLI, KINDS
from benchmarks.run import markdown, targets


def _spread(value: float) -> dict[str, float]:
    return {"median": value, "min": value, "max": value}


def test_cold_start_only_report_has_ratios_and_targets() -> None:
    starts = {"reference": 0.5, "peer": 0.6, "floor": 0.25, CLI: 1.2}
    results: dict[str, Any] = {
        "generated_at": "2026-11-28T00:00:00+00:00",
        "machine": {"cpus": 2},
        "settings": {"connections": 16, "rounds": 5, "duration_s": 10},
        "throughput": {},
        "million": {},
        "cold_start": {
            "sqlite": {
                **{kind: _spread(starts[kind]) for kind in (*KINDS, CLI)},
                "ratios": {"reference/peer": _spread(0.5 / 0.6), "reference/floor": _spread(2.0)},
            }
        },
    }
    results["targets"] = targets(results)
    table = markdown(results)
    assert "throughput" not in table
    assert "| sqlite | 0.50 (0.50–0.50) | 0.60 (0.60–0.60) | 0.25 (0.25–0.25) |" in table
    assert "0.83 (0.83–0.83) | 2.00 (2.00–2.00) |" in table
    assert results["targets"] == {
        "sqlite: reference cold start <= 1 s": True,
        f"sqlite: {CLI} cold start <= 1 s": False,
    }
    assert f"- MISSED: sqlite: {CLI} cold start <= 1 s" in table
