"""Benchmarks: the reference server against two FastAPI peers and two floors.

    python -m benchmarks.run                                   # SQLite and PostgreSQL, all parts
    python -m benchmarks.run --backends sqlite --skip-million  # a quicker look

Create Token throughput and latency: each server is one uvicorn process over its own fresh demo
database (same engine settings), pinned to the first core, with ``wrk`` on the second; wrk drives
it with ``create_token.lua`` (a bearer credential and a JSON body on every request) at 16
connections. Compared: a FastAPI peer written for speed (``peer_fastapi_tuned``), one written
plainly (``peer_fastapi_plain``), a bare-Starlette floor and a framework-free ASGI floor. Within a
round the servers run one after another, in an order that rotates from round to round, so that
they share the machine's noise; reported are per-round ratios (reference / each other), their
median and spread. Absolute numbers depend on the machine and on whatever else runs on it. The
servers' CPU time per request and resident memory are recorded too.

Also: ``token-api serve --workers 2`` on SQLite at 64 connections (unpinned: both workers share
the two cores with wrk), cold start (process start to the first 200 on /health, and the
server's CPU seconds by then; both backends interleaved in one phase), and the
reference's create p50 with 1,000,000 stored tokens against an empty database (interleaved the
same way).

Writes benchmarks/results/latest.json and latest.md; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    CLI,
    HERE,
    KINDS,
    LABELS,
    PIN,
    Server,
    database,
    init_demo,
    interleaved_rounds,
    spread,
    wrk,
)

RESULTS = HERE / "results"
METRICS = ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")
TARGET_PEER = "tuned"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _summary(result: dict[str, Any]) -> str:
    return (
        f"{result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, CPU/request {result['cpu_ms_per_request']:.2f} ms, "
        f"non-2xx {result['non2xx'] + result['socket_errors']}"
    )


def throughput(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    kinds, others = args.kinds, args.kinds[1:]
    with contextlib.ExitStack() as stack:
        servers = {}
        for kind in kinds:
            url = stack.enter_context(database(backend, workdir))
            server = Server(kind, url, init_demo(url))
            stack.callback(server.stop)
            servers[kind] = server.start()
        rounds = interleaved_rounds(
            servers,
            args,
            lambda number, kind, result: log(
                f"{backend} round {number + 1} {kind}: {_summary(result)}"
            ),
        )
    return {
        "ratios": {
            f"reference/{other}": {
                metric: spread([r["reference"][metric] / r[other][metric] for r in rounds])
                for metric in METRICS
            }
            for other in others
        },
        "absolute": {
            kind: {
                metric: spread([r[kind][metric] for r in rounds]) for metric in (*METRICS, "rss_mb")
            }
            for kind in kinds
        },
        "non2xx": {
            kind: sum(r[kind]["non2xx"] + r[kind]["socket_errors"] for r in rounds)
            for kind in kinds
        },
        "rounds": rounds,
    }


def workers(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """``token-api serve --workers 2`` on one SQLite file, at 64 connections."""
    with database("sqlite", workdir) as url:
        server = Server(CLI, url, init_demo(url), workers=args.workers, pin=False)
        try:
            server.start()
            wrk(server, args.warmup, args.workers_connections, args.threads)
            rounds = []
            for number in range(args.rounds):
                result = wrk(server, args.duration, args.workers_connections, args.threads)
                log(f"sqlite serve --workers {args.workers} round {number + 1}: {_summary(result)}")
                rounds.append(result)
        finally:
            server.stop()
    return {
        "workers": args.workers,
        "connections": args.workers_connections,
        **{metric: spread([r[metric] for r in rounds]) for metric in (*METRICS, "rss_mb")},
        "non2xx": sum(r["non2xx"] + r["socket_errors"] for r in rounds),
        "rounds": rounds,
    }


def cold_start(backends: list[str], args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Each server started and stopped ``--cold-starts`` times on each backend, over a migrated
    demo database made beforehand (its creation is not timed). Measured: from the process's
    start to the first 200 on /health (which reads the database), and the server's CPU seconds
    by then. Every round starts every server on every backend, in an order that rotates, so that
    the backends and the servers share the machine's load alike (measured one backend after the
    other, minutes apart, one backend once took every server about 0.5 s longer to start)."""
    kinds = (*args.kinds, CLI)
    starts = [(backend, kind) for backend in backends for kind in kinds]
    wall: dict[tuple[str, str], list[float]] = {start: [] for start in starts}
    cpu: dict[tuple[str, str], list[float]] = {start: [] for start in starts}
    with contextlib.ExitStack() as stack:
        urls = {}
        for backend, kind in starts:
            urls[backend, kind] = stack.enter_context(database(backend, workdir))
            init_demo(urls[backend, kind])
        for number in range(args.cold_starts):
            shift = number % len(starts)
            for backend, kind in starts[shift:] + starts[:shift]:
                server = Server(kind, urls[backend, kind])
                try:
                    server.start()
                finally:
                    server.stop()
                assert server.cold_start_s is not None and server.cold_start_cpu_s is not None
                wall[backend, kind].append(server.cold_start_s)
                cpu[backend, kind].append(server.cold_start_cpu_s)
    results: dict[str, Any] = {}
    for backend in backends:
        log(
            f"{backend} cold start, median: "
            + ", ".join(
                f"{kind} {statistics.median(wall[backend, kind]):.2f} s "
                f"({statistics.median(cpu[backend, kind]):.2f} s CPU)"
                for kind in kinds
            )
        )
        result: dict[str, Any] = {
            kind: {
                **spread(wall[backend, kind]),
                "samples": [round(v, 3) for v in wall[backend, kind]],
                "cpu_s": spread(cpu[backend, kind]),
            }
            for kind in kinds
        }
        # Paired by round: each ratio compares starts made under much the same load.
        result["ratios"] = {
            f"reference/{other}": spread(
                [
                    r / o
                    for r, o in zip(wall[backend, "reference"], wall[backend, other], strict=True)
                ]
            )
            for other in args.kinds[1:]
        }
        results[backend] = result
    return results


def million(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from benchmarks.seed import seed_tokens

    with contextlib.ExitStack() as stack:
        servers = {}
        for name in ("empty", "full"):
            url = stack.enter_context(database(backend, workdir))
            servers[name] = Server("reference", url, init_demo(url))
        started = time.perf_counter()
        stored = seed_tokens(servers["full"].database_url, args.million_count)
        log(f"{backend}: {stored} tokens stored in {time.perf_counter() - started:.0f} s")
        for server in servers.values():
            stack.callback(server.stop)
            server.start()
            wrk(server, args.warmup, args.connections, args.threads)
        rounds = []
        for number in range(args.rounds):
            order = ("empty", "full") if number % 2 == 0 else ("full", "empty")
            result = {
                name: wrk(servers[name], args.duration, args.connections, args.threads)
                for name in order
            }
            log(
                f"{backend} {stored} tokens, round {number + 1}: create p50 "
                f"{result['full']['p50_ms']:.1f} ms vs {result['empty']['p50_ms']:.1f} ms empty"
            )
            rounds.append(result)
    return {
        "stored_tokens": stored,
        "p50_full/empty": spread([r["full"]["p50_ms"] / r["empty"]["p50_ms"] for r in rounds]),
        "rps_full/empty": spread([r["full"]["rps"] / r["empty"]["rps"] for r in rounds]),
        "non2xx": sum(r[k]["non2xx"] + r[k]["socket_errors"] for r in rounds for k in r),
        "rounds": rounds,
    }


def targets(results: dict[str, Any]) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    for backend, data in results["throughput"].items():
        peer = data["ratios"].get(f"reference/{TARGET_PEER}")
        if peer is not None:
            name = f"{backend}: reference/{LABELS[TARGET_PEER]}"
            checks[f"{name} throughput >= 1.0"] = peer["rps"]["median"] >= 1.0
            checks[f"{name} p99 <= 1.0"] = peer["p99_ms"]["median"] <= 1.0
        checks[f"{backend}: no non-2xx answers under load"] = not any(data["non2xx"].values())
    if results.get("workers"):
        data = results["workers"]
        checks[
            f"sqlite, serve --workers {data['workers']}, {data['connections']} connections: "
            "no non-2xx answers"
        ] = data["non2xx"] == 0
    for backend, data in results["cold_start"].items():
        for kind in ("reference", CLI):
            checks[f"{backend}: {kind} cold start <= 1 s"] = data[kind]["median"] <= 1.0
    for backend, data in results["million"].items():
        checks[f"{backend}: create p50 at 1M tokens <= 1.2x empty"] = (
            data["p50_full/empty"]["median"] <= 1.2 and data["non2xx"] == 0
        )
    return checks


def header(results: dict[str, Any]) -> str:
    """The report's first line: the settings of the parts that ran, and only those (a cold-start
    run once named the connections, rounds and durations of load it never applied)."""
    settings = results["settings"]
    parts = []
    if results["throughput"] or results["million"]:
        parts.append(
            f"Create Token, {settings['connections']} connections, one server process, "
            f"{settings['rounds']} interleaved rounds of {settings['duration_s']} s; "
            "median (min–max) of the per-round ratios"
        )
    elif results.get("workers"):
        # Its table names the workers and connections.
        parts.append(
            f"Create Token, {settings['rounds']} rounds of {settings['duration_s']} s; "
            "median (min–max) of the rounds"
        )
    if results["cold_start"]:
        # Results written before the setting was recorded: as many starts as samples.
        first = next(iter(next(iter(results["cold_start"].values())).values()))
        starts = settings.get("cold_starts", len(first.get("samples", ())))
        parts.append(
            f"cold start: {starts} starts of each server on each backend, interleaved; "
            "median (min–max)"
        )
    parts.append(f"{results['generated_at'][:10]}, {results['machine']['cpus']} CPUs")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def markdown(results: dict[str, Any]) -> str:
    def cell(values: dict[str, float], digits: int = 2) -> str:
        low, high, mid = values["min"], values["max"], values["median"]
        return f"{mid:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"

    settings = results["settings"]
    kinds = tuple(settings.get("kinds", KINDS))
    others = kinds[1:]
    lines = [header(results)]
    if results["throughput"]:
        lines += [
            "",
            "| backend | reference / | throughput | p50 | p99 | CPU per request |",
            "|---|---|---|---|---|---|",
        ]
    for backend, data in results["throughput"].items():
        for other in others:
            ratio = data["ratios"][f"reference/{other}"]
            cells = " | ".join(cell(ratio[metric]) for metric in METRICS)
            lines.append(f"| {backend} | {LABELS[other]} | {cells} |")
    if results["throughput"]:
        lines += [
            "",
            "Medians of the rounds (absolute figures: this machine, under whatever else ran):",
            "",
            "| backend | server | requests/s | p99, ms | CPU per request, ms | RSS, MB | non-2xx |",
            "|---|---|---|---|---|---|---|",
        ]
    for backend, data in results["throughput"].items():
        for kind in kinds:
            values = data["absolute"][kind]
            lines.append(
                f"| {backend} | {LABELS[kind]} | {values['rps']['median']:.0f} | "
                f"{values['p99_ms']['median']:.1f} | "
                f"{values['cpu_ms_per_request']['median']:.3f} | "
                f"{values['rss_mb']['median']:.0f} | {data['non2xx'][kind]} |"
            )
    if results.get("workers"):
        data = results["workers"]
        lines += [
            "",
            f"| sqlite, `token-api serve --workers {data['workers']}`, {data['connections']} "
            "connections | requests/s | p50, ms | p99, ms | CPU per request, ms | RSS per "
            "process, MB | non-2xx |",
            "|---|---|---|---|---|---|---|",
            f"| {settings['rounds']} rounds | {cell(data['rps'], 0)} | "
            f"{cell(data['p50_ms'], 1)} | {cell(data['p99_ms'], 1)} | "
            f"{cell(data['cpu_ms_per_request'])} | {cell(data['rss_mb'], 0)} | "
            f"{data['non2xx']} |",
        ]
    if results["cold_start"]:
        columns = (
            *(LABELS[kind] for kind in kinds),
            CLI,
            *(f"reference / {LABELS[other]}" for other in others),
        )
        lines += [
            "",
            f"| cold start, s | {' | '.join(columns)} |",
            "|---" * (len(columns) + 1) + "|",
        ]
        for backend, data in results["cold_start"].items():
            cells = [cell(data[k]) for k in (*kinds, CLI)]
            cells += [cell(data["ratios"][f"reference/{other}"]) for other in others]
            lines.append(f"| {backend} | {' | '.join(cells)} |")
        cpu_columns = (*(LABELS[kind] for kind in kinds), CLI)
        lines += [
            "",
            f"| cold start, server CPU s by then | {' | '.join(cpu_columns)} |",
            "|---" * (len(cpu_columns) + 1) + "|",
        ]
        for backend, data in results["cold_start"].items():
            cells = [cell(data[k]["cpu_s"]) if "cpu_s" in data[k] else "–" for k in (*kinds, CLI)]
            lines.append(f"| {backend} | {' | '.join(cells)} |")
    if results["million"]:
        lines += ["", "| stored tokens vs empty | create p50 | throughput |", "|---|---|---|"]
        for backend, data in results["million"].items():
            lines.append(
                f"| {backend}, {data['stored_tokens']:,} | {cell(data['p50_full/empty'])} | "
                f"{cell(data['rps_full/empty'])} |"
            )
    lines.append("")
    for name, ok in results["targets"].items():
        lines.append(f"- {'met' if ok else 'MISSED'}: {name}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help="servers to compare (a quick look: fewer)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before measuring")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers for that part")
    parser.add_argument("--workers-connections", type=int, default=64)
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument("--cold-starts", type=int, default=5)
    parser.add_argument("--million-count", type=int, default=1_000_000)
    parser.add_argument("--million-backends", default="sqlite")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-cold-start", action="store_true")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    args.kinds = ["reference", *(k for k in args.kinds.split(",") if k and k != "reference")]
    unknown = set(args.kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))} (known: {', '.join(KINDS)})")
    # Only the parts under load use wrk: a cold-start run needs none.
    loaded = not (args.skip_throughput and args.skip_workers and args.skip_million)
    if loaded and shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk).", file=sys.stderr)
        return 2
    backends = [b for b in args.backends.split(",") if b]
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": os.getloadavg(),
            "versions": {
                name: version(name)
                for name in ("connexion", "fastapi", "pydantic", "starlette", "uvicorn")
            },
        },
        "settings": {
            "connections": args.connections,
            "wrk_threads": args.threads,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "cold_starts": args.cold_starts,
            "server_processes": 1,
            "kinds": args.kinds,
            "pinned": PIN,
        },
        "throughput": {},
        "workers": {},
        "cold_start": {},
        "million": {},
    }
    with tempfile.TemporaryDirectory(prefix="token-api-bench-") as tmp:
        workdir = Path(tmp)
        for backend in backends:
            if not args.skip_throughput:
                results["throughput"][backend] = throughput(backend, args, workdir)
        if not args.skip_cold_start:
            results["cold_start"] = cold_start(backends, args, workdir)
        if not args.skip_workers and "sqlite" in backends:
            results["workers"] = workers(args, workdir)
        if not args.skip_million:
            for backend in args.million_backends.split(","):
                if backend in backends:
                    results["million"][backend] = million(backend, args, workdir)
    results["machine"]["load_average_after"] = os.getloadavg()
    results["targets"] = targets(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    args.output.with_suffix(".md").write_text(table)
    print(table)
    return 0 if all(results["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
