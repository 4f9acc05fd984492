"""What the benchmarks run on: fresh demo databases, server processes, and wrk."""

from __future__ import annotations

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "create_token.lua"
KINDS = ("reference", "peer", "floor")
# All three under the same uvicorn command line: one process, uvloop, httptools, no access log.
UVICORN_APPS = {
    "reference": "token_api.server.app:app_from_environment",
    "peer": "benchmarks.peer_fastapi:create_app",
    "floor": "benchmarks.floor_starlette:create_app",
}
# The reference's HTTP protocol, as `token-api serve` runs it (server/http.py: uvicorn's httptools
# protocol with bounds on head size, deadlines and connections); the others run uvicorn's own.
UVICORN_OPTIONS = {"reference": ("--http", "token_api.server.http:GuardedHttpToolsProtocol")}
# The reference is also started the way its README says, for cold start: the CLI first brings
# the database schema up to date, then serves.
CLI = "reference via token-api serve"
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


def init_demo(url: str) -> dict[str, str]:
    """``token-api init --demo --json``; the demo users' sessions (what mints) by name (admin,
    member, ...)."""
    output = subprocess.run(
        [sys.executable, "-m", "token_api", "init", "--demo", "--json", "--database", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {user["email"].split("@")[0]: user["session"] for user in json.loads(output)["users"]}


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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == CLI:
            return [
                *(sys.executable, "-m", "token_api", "serve"),
                *("--database", self.database_url, "--port", str(self.port)),
            ]
        return [
            *(sys.executable, "-m", "uvicorn", UVICORN_APPS[self.kind], "--factory"),
            *("--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"),
            *UVICORN_OPTIONS.get(self.kind, ()),
        ]

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
                return self
            time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"the {self.kind} server did not answer /health in {timeout} s")

    def output(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads) so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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
