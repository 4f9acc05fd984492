"""The benchmark report: its table and targets from a results document."""

from __future__ import annotations

from typing import Any

from benchmarks.harness import CLI, KINDS
from benchmarks.run import markdown, targets


def _spread(value: float) -> dict[str, float]:
    return {"median": value, "min": value, "max": value}


def _metrics(rps: float, p99: float) -> dict[str, dict[str, float]]:
    return {
        "rps": _spread(rps),
        "p50_ms": _spread(1.0),
        "p99_ms": _spread(p99),
        "cpu_ms_per_request": _spread(1.0),
    }


def _cold_start_only() -> dict[str, Any]:
    """What ``--skip-throughput --skip-million --skip-workers --cold-starts 3`` records: the
    settings of every part, though only the cold start ran."""
    starts = {"reference": 0.5, "tuned": 0.6, "plain": 0.6, "starlette": 0.25, "asgi": 0.2}
    starts[CLI] = 1.2
    return {
        "generated_at": "2026-11-28T00:00:00+00:00",
        "machine": {"cpus": 2},
        "settings": {"connections": 16, "rounds": 5, "duration_s": 10, "cold_starts": 3},
        "throughput": {},
        "workers": {},
        "million": {},
        "cold_start": {
            "sqlite": {
                **{
                    kind: {**_spread(starts[kind]), "cpu_s": _spread(starts[kind] / 2)}
                    for kind in (*KINDS, CLI)
                },
                "ratios": {f"reference/{kind}": _spread(0.5 / starts[kind]) for kind in KINDS[1:]},
            }
        },
    }


def test_cold_start_only_report_has_ratios_and_targets() -> None:
    results = _cold_start_only()
    results["targets"] = targets(results)
    table = markdown(results)
    assert "throughput" not in table
    assert "| sqlite | 0.50 (0.50–0.50) | 0.60 (0.60–0.60) | 0.60 (0.60–0.60) |" in table
    assert "| 0.83 (0.83–0.83) | 0.83 (0.83–0.83) | 2.00 (2.00–2.00) | 2.50 (2.50–2.50) |" in table
    # The servers' CPU seconds to their first answer, beside the wall-clock times.
    assert "| cold start, server CPU s by then |" in table
    assert "| sqlite | 0.25 (0.25–0.25) | 0.30 (0.30–0.30) |" in table
    assert results["targets"] == {
        "sqlite: reference cold start <= 1 s": True,
        f"sqlite: {CLI} cold start <= 1 s": False,
    }
    assert f"- MISSED: sqlite: {CLI} cold start <= 1 s" in table


def test_the_header_names_only_the_settings_of_the_parts_that_ran() -> None:
    results = _cold_start_only()
    results["targets"] = targets(results)
    first = markdown(results).splitlines()[0]
    assert first == (
        "Cold start: 3 starts of each server on each backend, interleaved; median (min–max); "
        "2026-11-28, 2 CPUs."
    )
    # Results written before the number of starts was recorded: as many as there are samples.
    del results["settings"]["cold_starts"]
    for data in results["cold_start"]["sqlite"].values():
        data["samples"] = [0.5, 0.5, 0.5, 0.5]
    assert markdown(results).startswith("Cold start: 4 starts of each server")


def test_throughput_targets_are_against_the_tuned_peer() -> None:
    ratios = {f"reference/{kind}": _metrics(0.5, 2.0) for kind in KINDS[1:]}
    ratios["reference/tuned"] = _metrics(1.1, 0.9)
    results: dict[str, Any] = {
        "generated_at": "2026-11-28T00:00:00+00:00",
        "machine": {"cpus": 2},
        "settings": {"connections": 16, "rounds": 5, "duration_s": 10, "kinds": list(KINDS)},
        "throughput": {
            "postgres": {
                "ratios": ratios,
                "absolute": {kind: {**_metrics(1000, 10), "rss_mb": _spread(60)} for kind in KINDS},
                "non2xx": {kind: 0 for kind in KINDS},
            }
        },
        "cold_start": {},
        "million": {},
        "workers": {
            "workers": 2,
            "connections": 64,
            **_metrics(900, 50),
            "rss_mb": _spread(70),
            "non2xx": 3,
        },
    }
    checks = targets(results)
    assert checks == {
        "postgres: reference/tuned FastAPI throughput >= 1.0": True,
        "postgres: reference/tuned FastAPI p99 <= 1.0": True,
        "postgres: no non-2xx answers under load": True,
        "sqlite, serve --workers 2, 64 connections: no non-2xx answers": False,
    }
    results["targets"] = checks
    table = markdown(results)
    assert "| postgres | tuned FastAPI | 1.10 (1.10–1.10) |" in table
    assert "| postgres | ASGI floor | 0.50 (0.50–0.50) |" in table
    assert "- MISSED: sqlite, serve --workers 2, 64 connections: no non-2xx answers" in table
    assert table.startswith(
        "Create Token, 16 connections, one server process, 5 interleaved rounds of 10 s; "
        "median (min–max) of the per-round ratios; 2026-11-28, 2 CPUs.\n"
    )
    # serve --workers alone: its table names its workers and connections.
    results["throughput"] = {}
    assert markdown(results).startswith(
        "Create Token, 5 rounds of 10 s; median (min–max) of the rounds; 2026-11-28, 2 CPUs.\n"
    )
