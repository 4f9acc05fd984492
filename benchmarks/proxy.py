"""What ``token-api proxy`` costs a client: added latency at a constant rate, and its memory over
a long run.

    python -m benchmarks.proxy                         # latency (3 rounds) and memory
    python -m benchmarks.proxy --skip-memory --rounds 5 --profile

Latency: the reference server on a fresh SQLite demo database, and ``token-api proxy`` in front
of it. The constant-rate generator (benchmarks/constant_rate.py, wrk2-style: latency counted
from when each request was due) sends Create Token calls (the bodies and sessions of
create_token.lua) at ``--rate`` per second over 8 keep-alive connections, straight to the server
and through the proxy, in alternating rounds of ``--seconds``; each round's added latency is the
proxied percentile minus the direct one, and the median over rounds is reported. As in
benchmarks/run.py, the server runs on the first core; the proxy shares the second with the
generator (``--no-pin``: wherever the scheduler puts them).

Memory: the proxy (recording HAR and judging, its worst case) in front of the same server, driven
by wrk with create_token.lua as fast as it goes until ``--memory-exchanges`` exchanges; the proxy's
resident memory is read every 10,000.

Writes benchmarks/results/proxy.json and proxy.md; exits 1 when a target is missed. Take
``flock /tmp/bench.lock`` so that benchmarks never overlap.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import constant_rate
from benchmarks.harness import HERE, LUA, PIN, WRK_CPU, Server, database, init_demo, pinned

RESULTS = HERE / "results"
TARGETS = {"added_p50_ms": 2.0, "added_p99_ms": 10.0}


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class ProxyServer(Server):
    """``token-api proxy`` as a benchmark server: started, waited for and measured the same way
    (its /health answers once the upstream's does)."""

    upstream: str = ""
    extra: tuple[str, ...] = ()

    def command(self) -> list[str]:
        command = [
            *(sys.executable, "-m", "token_api", "proxy", "--upstream", self.upstream),
            *("--port", str(self.port), *self.extra),
        ]
        # Pinned, the proxy shares the second core with the load generator, not the server's.
        return pinned(command, WRK_CPU) if self.pin else command


def calls(tokens: dict[str, str]) -> list[constant_rate.Call]:
    """create_token.lua's mix: defaults, a named scoped key, a service key, a member's keys."""
    admin, member = tokens["admin"], tokens["member"]
    expiry = (datetime.now(UTC) + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bodies = [
        (admin, {}),
        (admin, {"name": "ci-pipeline", "organization_role": "MEMBER",
                 "workspaces": ["default", "staging"], "expires": True, "expires_at": expiry}),
        (admin, {"name": "nightly-indexer", "personal": False, "expires": False}),
        (member, {"name": "notebook", "workspaces": ["research"]}),
        (member, {"organization_role": "EXTERNAL", "role_id": None, "name": None}),
    ]  # fmt: skip
    return [
        constant_rate.Call(
            "POST",
            "/api/v1/token",
            (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")),
            json.dumps(body).encode(),
        )
        for token, body in bodies
    ]


def latency(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with database("sqlite", workdir) as url:
        tokens = init_demo(url)
        server = Server("reference", url, tokens=tokens, pin=args.pin).start()
        proxy = ProxyServer("proxy", url, pin=args.pin, upstream=server.url).start()
        if args.pin:
            os.sched_setaffinity(0, {int(WRK_CPU)})
        mix = calls(tokens)
        rounds: list[dict[str, Any]] = []
        profile = None
        try:
            # A short warm-up of each, not counted.
            for target in (server.url, proxy.url):
                constant_rate.run(target, mix, rate=args.rate, seconds=2)
            for number in range(1, args.rounds + 1):
                order = [("direct", server.url), ("proxied", proxy.url)]
                if number % 2 == 0:
                    order.reverse()
                measured = {}
                for name, target in order:
                    cpu = proxy.cpu_seconds()
                    measured[name] = constant_rate.run(
                        target, mix, rate=args.rate, seconds=args.seconds
                    )
                    if name == "proxied":
                        measured[name]["proxy_cpu_ms_per_request"] = round(
                            1000 * (proxy.cpu_seconds() - cpu) / measured[name]["requests"], 3
                        )
                rounds.append(measured)
                d, p = measured["direct"], measured["proxied"]
                log(
                    f"round {number}: direct p50 {d['p50_ms']} p99 {d['p99_ms']} ms; proxied "
                    f"p50 {p['p50_ms']} p99 {p['p99_ms']} ms; non-2xx {d['non2xx']}/{p['non2xx']}"
                )
            if args.profile:
                # One more proxied round, not counted: py-spy slows what it samples.
                profile = _profile(proxy, lambda: constant_rate.run(
                    proxy.url, mix, rate=args.rate, seconds=args.seconds
                ), args.seconds)  # fmt: skip
        finally:
            proxy_output = proxy.output()
            proxy.stop()
            server.stop()
    result: dict[str, Any] = {"rounds": rounds, "proxy_rss_mb": None}
    for key in ("p50_ms", "p90_ms", "p99_ms", "service_p50_ms", "service_p99_ms"):
        added = [r["proxied"][key] - r["direct"][key] for r in rounds]
        result[f"added_{key}"] = round(statistics.median(added), 3)
        result[f"added_{key}_range"] = [round(min(added), 3), round(max(added), 3)]
        result[f"direct_{key}"] = round(statistics.median(r["direct"][key] for r in rounds), 3)
        result[f"proxied_{key}"] = round(statistics.median(r["proxied"][key] for r in rounds), 3)
    ratios = [r["proxied"]["p50_ms"] / r["direct"]["p50_ms"] for r in rounds]
    result["ratio_p50"] = round(statistics.median(ratios), 3)
    result["ratio_p99"] = round(
        statistics.median(r["proxied"]["p99_ms"] / r["direct"]["p99_ms"] for r in rounds), 3
    )
    result["proxy_cpu_ms_per_request"] = round(
        statistics.median(r["proxied"]["proxy_cpu_ms_per_request"] for r in rounds), 3
    )
    result["non2xx"] = sum(r[k]["non2xx"] + r[k]["errors"] for r in rounds for k in r)
    # The proxy judged the traffic too: the benchmark's calls break no rule.
    result["violations_reported"] = proxy_output.count("[request]") + proxy_output.count(
        "[response]"
    )
    if profile:
        result["profile"] = profile
    return result


def _profile(proxy: Server, load: Callable[[], object], seconds: float) -> str | None:
    """py-spy's profile of the proxy while ``load`` runs: the frames with the most samples
    (inclusive, then their own), written to results/proxy-profile.txt."""
    assert proxy.process is not None
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "profile.raw"
        spy_command = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        command = [
            spy_command, "record", "--pid", str(proxy.process.pid), "--duration", str(int(seconds)),
            "--format", "raw", "--output", str(raw), "--nonblocking",
        ]  # fmt: skip
        try:
            spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            log("py-spy is not installed: no profile")
            return None
        load()
        spy.wait(60)
        if not raw.exists():
            return None
        totals: dict[str, int] = {}
        own: dict[str, int] = {}
        samples = 0
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            samples += int(count)
            own[frames[-1]] = own.get(frames[-1], 0) + int(count)
            for frame in set(frames):
                totals[frame] = totals.get(frame, 0) + int(count)
    lines = [f"py-spy, {samples} samples of the proxy over one proxied round (not counted).", ""]
    lines += ["Inclusive:", ""]
    lines += [
        f"{100 * n / samples:5.1f}%  {f}"
        for f, n in sorted(totals.items(), key=lambda x: -x[1])[:40]
    ]
    lines += ["", "Own (the event loop's own time is waiting for sockets):", ""]
    lines += [
        f"{100 * n / samples:5.1f}%  {f}" for f, n in sorted(own.items(), key=lambda x: -x[1])[:25]
    ]
    output = RESULTS / "proxy-profile.txt"
    RESULTS.mkdir(exist_ok=True)
    output.write_text("\n".join(lines) + "\n")
    return str(output.relative_to(HERE.parent))


def memory(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with database("sqlite", workdir) as url:
        tokens = init_demo(url)
        server = Server("reference", url, tokens=tokens, pin=False).start()
        har = workdir / "traffic.har"
        proxy = ProxyServer(
            "proxy", url, tokens=tokens, pin=False, upstream=server.url,
            extra=("--record", str(har), "--report", str(workdir / "report.json")),
        ).start()  # fmt: skip
        samples = [{"exchanges": 0, "rss_mb": round(proxy.rss_mb(), 1)}]
        done = 0
        try:
            env = {**os.environ, "BENCH_ADMIN_TOKEN": tokens["admin"],
                   "BENCH_MEMBER_TOKEN": tokens["member"]}  # fmt: skip
            step = 10_000
            while done < args.memory_exchanges:
                # wrk runs for a time, not a count: a short run per sample.
                seconds = max(1, int(step / max(args.memory_rate_guess, 1)))
                output = subprocess.run(
                    ["wrk", "-t", "1", "-c", "8", "-d", f"{seconds}s", "--timeout", "5s",
                     "-s", str(LUA), proxy.url],
                    capture_output=True, text=True, env=env, check=True,
                ).stdout  # fmt: skip
                line = next(x for x in output.splitlines() if x.startswith("BENCH_JSON "))
                raw = json.loads(line.removeprefix("BENCH_JSON "))
                done += raw["requests"]
                args.memory_rate_guess = raw["requests"] / seconds
                samples.append({"exchanges": done, "rss_mb": round(proxy.rss_mb(), 1),
                                "non2xx": raw["non2xx"]})  # fmt: skip
                log(f"memory: {done:,} exchanges, proxy RSS {samples[-1]['rss_mb']} MB")
        finally:
            proxy.stop()
            server.stop()
        har_mb = har.stat().st_size / 1e6 if har.exists() else 0.0
        report = json.loads((workdir / "report.json").read_text())
    warm = next((s for s in samples if s["exchanges"] >= 20_000), samples[-1])
    return {
        "exchanges": done,
        "samples": samples,
        "rss_after_warmup_mb": warm["rss_mb"],
        "rss_end_mb": samples[-1]["rss_mb"],
        "growth_after_warmup_mb": round(samples[-1]["rss_mb"] - warm["rss_mb"], 1),
        "har_mb": round(har_mb, 1),
        "exchanges_reported": report["exchanges"],
        "violations_reported": report["violations"],
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# `token-api proxy` benchmark",
        "",
        f"{results['when']} on {results['machine']}. `python -m benchmarks.proxy "
        f"{' '.join(results['argv'])}`.",
        "",
    ]
    lat = results.get("latency")
    if lat:
        lines += [
            f"## Added latency at {results['rate']:g} requests/s (Create Token, SQLite)",
            "",
            f"{len(lat['rounds'])} alternating rounds of {results['seconds']:g} s, direct and "
            "through the proxy; latency from when each request was due (wrk2-style), median "
            "over rounds (min–max of the per-round difference). "
            + (
                "The server pinned to the first core, the proxy and the generator to the second."
                if results.get("pinned")
                else "Nothing pinned."
            ),
            "",
            "| | direct | proxied | added | target |",
            "|---|---:|---:|---:|---:|",
        ]
        for key, label, target in (
            ("p50_ms", "p50", "≤ 2 ms"),
            ("p90_ms", "p90", ""),
            ("p99_ms", "p99", "≤ 10 ms"),
            ("service_p50_ms", "p50, send → answer", ""),
            ("service_p99_ms", "p99, send → answer", ""),
        ):
            low, high = lat[f"added_{key}_range"]
            lines.append(
                f"| {label} | {lat[f'direct_{key}']} ms | {lat[f'proxied_{key}']} ms | "
                f"{lat[f'added_{key}']} ms ({low}–{high}) | {target} |"
            )
        lines += [
            "",
            f"Ratio proxied / direct: p50 {lat['ratio_p50']}, p99 {lat['ratio_p99']}. The "
            f"proxy's CPU per exchange: {lat['proxy_cpu_ms_per_request']} ms. Non-2xx or "
            f"errors: {lat['non2xx']}; violations the proxy reported: "
            f"{lat['violations_reported']}.",
        ]
        if lat.get("profile"):
            lines += ["", f"Profile of the proxy: `{lat['profile']}`."]
    mem = results.get("memory")
    if mem:
        lines += [
            "",
            f"## Memory over {mem['exchanges']:,} exchanges (recording HAR, judging)",
            "",
            "| exchanges | proxy RSS |",
            "|---:|---:|",
        ]
        lines += [f"| {s['exchanges']:,} | {s['rss_mb']} MB |" for s in mem["samples"]]
        lines += [
            "",
            f"Growth after 20,000 exchanges: {mem['growth_after_warmup_mb']} MB. HAR written: "
            f"{mem['har_mb']} MB. The proxy's report counted {mem['exchanges_reported']:,} "
            f"exchanges, {mem['violations_reported']} violations.",
        ]
    lines += ["", "Targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}"
                                           for k, v in results["targets"].items()), ""]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.proxy")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-exchanges", type=int, default=100_000)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--profile", action="store_true", help="py-spy an extra proxied round")
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="let the scheduler place the server, the proxy and the generator (default: the "
        "server on the first core, the proxy and the generator on the second)",
    )
    args = parser.parse_args(argv)
    args.pin = args.pin and PIN
    args.memory_rate_guess = 1000.0
    results: dict[str, Any] = {
        "when": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "argv": sys.argv[1:] if argv is None else argv,
        "rate": args.rate,
        "seconds": args.seconds,
        "pinned": args.pin,
        "targets": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as folder:
        workdir = Path(folder)
        if not args.skip_latency:
            results["latency"] = latency(args, workdir)
            lat = results["latency"]
            results["targets"]["added p50 ≤ 2 ms"] = lat["added_p50_ms"] <= TARGETS["added_p50_ms"]
            results["targets"]["added p99 ≤ 10 ms"] = lat["added_p99_ms"] <= TARGETS["added_p99_ms"]
        if not args.skip_memory:
            results["memory"] = memory(args, workdir)
            # Flat: what grows after the first 20,000 exchanges stays within 10% of the total.
            mem = results["memory"]
            results["targets"]["memory flat"] = (
                mem["growth_after_warmup_mb"] <= 0.1 * mem["rss_after_warmup_mb"]
            )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "proxy.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "proxy.md").write_text(markdown(results))
    print(markdown(results))
    return 0 if all(results["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
