"""What the benchmarks run on: fresh demo databases, server processes, and wrk."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "create_token.lua"
# The reference and what it is compared with: two FastAPI peers (one written for speed, one
# written plainly) and two floors (bare Starlette; no framework at all).
KINDS = ("reference", "tuned", "plain", "starlette", "asgi")
OTHERS = KINDS[1:]
LABELS = {
    "reference": "reference",
    "tuned": "tuned FastAPI",
    "plain": "plain FastAPI",
    "starlette": "Starlette floor",
    "asgi": "ASGI floor",
}
# All under the same uvicorn command line: one process, uvloop, httptools, no access log, and no
# proxy headers (serve believes them from no one unless told; uvicorn's default would cost the
# peers a middleware the reference does not run).
UVICORN_APPS = {
    "reference": "token_api.server.app:app_from_environment",
    "tuned": "benchmarks.peer_fastapi_tuned:create_app",
    "plain": "benchmarks.peer_fastapi_plain:create_app",
    "starlette": "benchmarks.floor_starlette:create_app",
    "asgi": "benchmarks.floor_asgi:create_app",
}
# The reference's HTTP protocol, as `token-api serve` runs it (server/http.py: uvicorn's httptools
# protocol with bounds on head size, deadlines and connections); the others run uvicorn's.
UVICORN_OPTIONS = {"reference": ("--http", "token_api.server.http:GuardedHttpToolsProtocol")}
# The reference is also started the way its README says, for cold start: the CLI first brings
# the database schema up to date, then serves.
CLI = "reference via token-api serve"
# On a machine with two cores or more, the server runs on the first and wrk on the second, so
# that the load generator does not take the server's CPU (taskset, from util-linux).
PIN = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
SERVER_CPU, WRK_CPU = "0", "1"


def pinned(command: list[str], cpu: str) -> list[str]:
    return ["taskset", "-c", cpu, *command] if PIN else command


POSTGRES_ADMIN = os.environ.get(
    "TOKEN_API_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database (SQLite file or PostgreSQL database); yields its URL."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="db-", dir=workdir))
        try:
            yield f"sqlite:///{folder / 'token-api.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"token_api_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    info = psycopg.conninfo.conninfo_to_dict(POSTGRES_ADMIN)
    user, host, port = info.get("user", "postgres"), info.get("host", "127.0.0.1"), info.get("port")
    try:
        yield f"postgresql+psycopg://{user}@{host}:{port or 5432}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def demo_users(url: str) -> list[dict[str, Any]]:
    """``token-api init --demo --json``: the demo users, each with its credentials."""
    output = subprocess.run(
        [sys.executable, "-m", "token_api", "init", "--demo", "--json", "--database", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return list(json.loads(output)["users"])


def init_demo(url: str) -> dict[str, str]:
    """The demo users' sessions (what may create tokens: an API key gets 403) by name (admin,
    member, ...)."""
    return {user["email"].split("@")[0]: user["session"] for user in demo_users(url)}


def _health(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


@dataclass
class Server:
    kind: str
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    cold_start_s: float | None = None  # process start to the first 200 on /health
    cold_start_cpu_s: float | None = None  # the server's CPU seconds by then (user + system)
    workers: int = 1  # for CLI: ``token-api serve --workers N``
    pin: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == CLI:
            command = [
                *(sys.executable, "-m", "token_api", "serve"),
                *("--database", self.database_url, "--port", str(self.port)),
                *(("--workers", str(self.workers)) if self.workers > 1 else ()),
            ]
        else:
            command = [
                *(sys.executable, "-m", "uvicorn", UVICORN_APPS[self.kind], "--factory"),
                *(
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-access-log",
                    "--no-proxy-headers",
                ),
                *UVICORN_OPTIONS.get(self.kind, ()),
            ]
        return pinned(command, SERVER_CPU) if self.pin else command

    def start(self, timeout: float = 30) -> Server:
        env = {**os.environ, "TOKEN_API_DATABASE_URL": self.database_url}
        # A file, not a pipe: a pipe nobody reads would block a server that logs a lot.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the {self.kind} server exited: {self.output()[-2000:]}")
            if _health(self.port) == 200:
                self.cold_start_s = time.perf_counter() - started
                self.cold_start_cpu_s = self.cpu_seconds()
                return self
            time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"the {self.kind} server did not answer /health in {timeout} s")

    def output(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def pids(self) -> list[int]:
        """The server's processes: the one started and, with workers, its children."""
        assert self.process is not None
        pids, index = [self.process.pid], 0
        while index < len(pids):
            children = Path(f"/proc/{pids[index]}/task/{pids[index]}/children")
            with contextlib.suppress(OSError):
                pids += [int(pid) for pid in children.read_text().split()]
            index += 1
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes (all their threads) so far."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory of the process that serves (the largest, with workers), in MB."""
        sizes = [0]
        for pid in self.pids():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                sizes += [
                    int(line.split()[1])
                    for line in status.splitlines()
                    if line.startswith("VmRSS:")
                ]
        return max(sizes) / 1024

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
            self.log = None


def interleaved_rounds(
    servers: dict[str, Server],
    args: argparse.Namespace,
    each: Callable[[int, str, dict[str, Any]], None],
) -> list[dict[str, dict[str, Any]]]:
    """Each server warmed up, then ``args.rounds`` rounds of wrk on each, the order rotating
    round by round so that all share the machine's noise; ``each(round, name, result)``."""
    names = list(servers)
    for name in names:
        wrk(servers[name], args.warmup, args.connections, args.threads)
    rounds: list[dict[str, dict[str, Any]]] = []
    for number in range(args.rounds):
        shift = number % len(names)
        result = {}
        for name in names[shift:] + names[:shift]:
            result[name] = wrk(servers[name], args.duration, args.connections, args.threads)
            each(number, name, result[name])
        rounds.append(result)
    return rounds


def wrk(server: Server, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    """One wrk run of create_token.lua; throughput, latency, the server's CPU per request."""
    env = {
        **os.environ,
        "BENCH_ADMIN_TOKEN": server.tokens["admin"],
        "BENCH_MEMBER_TOKEN": server.tokens["member"],
    }
    command = [
        *("wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"),
        *("--timeout", "5s", "-s", str(LUA), server.url),
    ]
    if server.pin:
        command = pinned(command, WRK_CPU)
    cpu_before = server.cpu_seconds()
    output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    cpu = server.cpu_seconds() - cpu_before
    line = next(x for x in output.splitlines() if x.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    result = {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p90_ms": raw["latency_us"]["p90"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "max_ms": raw["latency_us"]["max"] / 1000,
        "cpu_ms_per_request": 1000 * cpu / max(raw["requests"], 1),
        "requests": raw["requests"],
        "rss_mb": round(server.rss_mb(), 1),
        "non2xx": raw["non2xx"],
        "socket_errors": sum(raw["errors"].values()),
    }
    if raw["first_failure"]:
        result["first_failure"] = raw["first_failure"]
    return result


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }
