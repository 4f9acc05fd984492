"""What each piece of the reference's Connexion trimming buys: the reference with one piece turned
back to Connexion's own code at a time, against the full reference and the tuned FastAPI peer,
in the same interleaved rounds.

    flock /tmp/bench.lock python -m benchmarks.trimming --rounds 3

Results: ``benchmarks/results/trimming.md`` (and ``.json``); the reading, and the pieces deleted
because they bought no clear share: docs/decisions/connexion-trimming.md.
Every variant answers the benchmark's requests as the reference does (``tests/benchmarks``
checks that each one still mints keys): only the cost of the way there differs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import ROOT, Server, database, init_demo, interleaved_rounds

ENV_PIECE = "TOKEN_API_BENCH_UNTRIMMED"
CPU = "cpu_ms_per_request"
RESULTS = ROOT / "benchmarks" / "results"


def _stock_operations() -> None:
    """server/framework.py: Connexion's AsyncOperation, which decorates its handler again on
    every request."""
    from connexion.apps.asynchronous import AsyncOperation

    from token_api.server import framework

    def make_operation(self: Any, operation: Any) -> Any:
        return AsyncOperation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )

    framework._Api.make_operation = make_operation


def _parameter_decorator() -> None:
    """server/framework.py: every handler through Connexion's parameter decorator, even one that
    takes only its context values."""
    from token_api.server import framework

    framework._context_only = lambda fn, has_parameters: None


def _response_type_per_request() -> None:
    """server/framework.py: Connexion's response decorator infers the media type per request."""
    from connexion.decorators.response import AsyncResponseDecorator

    from token_api.server import framework

    class PerRequest(AsyncResponseDecorator):  # type: ignore[misc]
        def __init__(self, *, produces: list[str], **kwargs: Any) -> None:
            super().__init__(**kwargs)

    framework._ResponseDecorator = PerRequest


def _stock_request_validation() -> None:
    """contract/middlewares.py: Connexion's request validation, which builds its URI parser,
    parameter validator and body validator per request (Content-Type still canonicalised)."""
    from connexion.middleware.request_validation import RequestValidationOperation

    from token_api.contract import middlewares
    from token_api.contract.media_types import with_canonical_content_type

    class Stock(RequestValidationOperation):  # type: ignore[misc]
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await super().__call__(with_canonical_content_type(scope), receive, send)

    def make_operation(self: Any, operation: Any) -> Any:
        return Stock(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )

    middlewares._RequestValidationAPI.make_operation = make_operation


def _stock_response_validation() -> None:
    """contract/middlewares.py: Connexion's response validation, which looks up the response's
    definition and schema per response."""
    from connexion.middleware.response_validation import ResponseValidationOperation

    from token_api.contract import middlewares

    def make_operation(self: Any, operation: Any) -> Any:
        if not self.validate_responses:
            return self.next_app
        return ResponseValidationOperation(
            self.next_app, operation=operation, validator_map=self.validator_map
        )

    middlewares._ResponseValidationAPI.make_operation = make_operation


def _connexion_bearer() -> None:
    """contract/security.py: Connexion's bearer verify function (Starlette's header mapping and
    a signature inspection per request)."""
    from connexion.security import BearerSecurityHandler

    from token_api.server import app

    def security_map(token_info: Any) -> dict[str, type]:
        class Bearer(BearerSecurityHandler):  # type: ignore[misc]
            def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
                return token_info

        return {"bearer": Bearer}

    app.bearer_security_map = security_map


def _standard_json() -> None:
    """server/app.py: Connexion's own jsonifier (the json module) instead of orjson."""
    from connexion.jsonifier import Jsonifier

    from token_api.server import app

    app.OrjsonJsonifier = Jsonifier  # type: ignore[misc]


# Each piece of trimming, by name: what turning it off puts back.
PIECES: dict[str, Callable[[], None]] = {
    "operation-binds-once": _stock_operations,
    "context-only-handlers": _parameter_decorator,
    "response-type-once": _response_type_per_request,
    "request-validation-plans": _stock_request_validation,
    "response-validation-plans": _stock_response_validation,
    "bearer-from-asgi-headers": _connexion_bearer,
    "orjson": _standard_json,
}


def create_app() -> Any:
    """``uvicorn --factory`` entry: the reference with the piece named in the environment off."""
    from token_api.server.app import create_app as reference
    from token_api.server.settings import Settings

    PIECES[os.environ[ENV_PIECE]]()
    return reference(Settings.from_environment())


def _drive(requests: int) -> dict[str, float]:
    """In this process: the app of ``$TOKEN_API_BENCH_UNTRIMMED`` (or the reference) answers
    ``requests`` mints, called as uvicorn calls it; CPU per request, and Python function calls
    per request, which the machine's load does not change."""
    import cProfile
    import pstats
    import time

    import orjson

    piece = os.environ.get(ENV_PIECE)
    if piece:
        PIECES[piece]()
    from token_api.server.app import create_app as reference
    from token_api.server.settings import Settings

    app = reference(Settings.from_environment())
    member = os.environ["BENCH_MEMBER_TOKEN"]
    body = orjson.dumps({"name": "notebook", "workspaces": ["research"]})
    headers = [
        (b"host", b"127.0.0.1"),
        (b"authorization", f"Bearer {member}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]

    async def main() -> dict[str, float]:
        state: dict[str, Any] = {}
        lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started = asyncio.Event()
        await lifespan.put({"type": "lifespan.startup"})

        async def lifespan_send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        task = asyncio.create_task(
            app(
                {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state},
                lifespan.get,
                lifespan_send,
            )
        )
        await started.wait()

        async def one() -> int:
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/api/v1/token",
                "raw_path": b"/api/v1/token",
                "root_path": "",
                "query_string": b"",
                "headers": headers,
                "client": ("127.0.0.1", 1),
                "server": ("127.0.0.1", 80),
                "state": dict(state),
            }
            messages = [{"type": "http.request", "body": body, "more_body": False}]
            status = 0

            async def receive() -> dict[str, Any]:
                return messages.pop() if messages else {"type": "http.disconnect"}

            async def send(message: dict[str, Any]) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]

            await app(scope, receive, send)
            return status

        for _ in range(50):  # warm: caches, plans, the first connection
            assert await one() == 200
        cpu = time.process_time()
        for _ in range(requests):
            assert await one() == 200
        cpu = time.process_time() - cpu
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(200):
            await one()
        profile.disable()
        calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
        await lifespan.put({"type": "lifespan.shutdown"})
        await task
        return {"cpu_ms_per_request": 1000 * cpu / requests, "calls_per_request": calls / 200}

    return asyncio.run(main())


def in_process(
    pieces: list[str], backend: str, requests: int, rounds: int
) -> dict[str, dict[str, float]]:
    """``_drive`` for the reference and each variant, each in a fresh process (the pieces are
    turned off by replacing module attributes), in interleaved rounds; the medians."""
    names = ["reference", *pieces]
    found: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="trimming-") as folder:
        for number in range(rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                with database(backend, Path(folder)) as url:
                    tokens = init_demo(url)
                    env = {
                        **os.environ,
                        "TOKEN_API_DATABASE_URL": url,
                        "BENCH_MEMBER_TOKEN": tokens["member"],
                        ENV_PIECE: "" if name == "reference" else name,
                    }
                    command = [
                        *(sys.executable, "-m", "benchmarks.trimming", "--drive", str(requests))
                    ]
                    output = subprocess.run(
                        command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
                    ).stdout
                found[name].append(json.loads(output.splitlines()[-1]))
                _log(f"in process, round {number + 1}, {name}: {found[name][-1]}")
    return {
        name: {
            metric: statistics.median(result[metric] for result in results) for metric in results[0]
        }
        for name, results in found.items()
    }


class Variant(Server):
    """The reference without one piece, served as the reference is (same protocol, same uvicorn
    options)."""

    piece: str = ""

    def command(self) -> list[str]:
        command = super().command()
        return [
            "benchmarks.trimming:create_app" if part.startswith("token_api.server.app:") else part
            for part in command
        ]

    def start(self, timeout: float = 30) -> Server:
        os.environ[ENV_PIECE] = self.piece
        try:
            return super().start(timeout)
        finally:
            del os.environ[ENV_PIECE]


def _log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    names = ["reference", "tuned", *(f"without {piece}" for piece in args.pieces)]
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trimming-")))
        servers: dict[str, Server] = {}
        for name in names:
            url = stack.enter_context(database(args.backend, workdir))
            if name.startswith("without "):
                server: Server = Variant("reference", url, init_demo(url))
                server.piece = name.removeprefix("without ")  # type: ignore[attr-defined]
            else:
                server = Server(name, url, init_demo(url))
            stack.callback(server.stop)
            servers[name] = server.start()
        rounds = interleaved_rounds(
            servers,
            args,
            lambda number, name, result: _log(
                f"round {number + 1} {name}: {result['rps']:.0f} req/s, "
                f"CPU/request {result['cpu_ms_per_request']:.3f} ms"
            ),
        )

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    return {
        "settings": {
            "date": f"{datetime.now():%Y-%m-%d}",
            "backend": args.backend,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "connections": args.connections,
            "load_average": os.getloadavg(),
        },
        "cpu_ms_per_request": {
            name: median([r[name]["cpu_ms_per_request"] for r in rounds]) for name in names
        },
        "throughput_vs_tuned": {
            name: median([r[name]["rps"] / r["tuned"]["rps"] for r in rounds]) for name in names
        },
        "cpu_vs_reference": {
            name: median([r[name]["cpu_ms_per_request"] / r["reference"][CPU] for r in rounds])
            for name in names
        },
        "non2xx": {name: sum(r[name]["non2xx"] for r in rounds) for name in names},
        "rounds": rounds,
    }


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    if "settings" in results:
        settings = results["settings"]
        load = " ".join(f"{value:.1f}" for value in settings["load_average"])
        lines += [
            f"Connexion trimming, one piece off at a time, under wrk: {settings['backend']}, "
            f"{settings['connections']} connections, {settings['rounds']} interleaved rounds of "
            f"{settings['duration_s']} s; medians of the rounds; {settings['date']}, "
            f"load average at the end {load}.",
            "",
            "| server | CPU per request, ms | CPU per request / reference "
            "| throughput / tuned FastAPI | non-2xx |",
            "|---|---|---|---|---|",
        ]
        for name, cpu in results["cpu_ms_per_request"].items():
            lines.append(
                f"| {name} | {cpu:.3f} | {results['cpu_vs_reference'][name]:.3f} | "
                f"{results['throughput_vs_tuned'][name]:.2f} | {results['non2xx'][name]} |"
            )
        lines.append("")
    if "note" in results:
        lines += [results["note"], ""]
    measured = results["in_process"]
    reference = measured["reference"]
    lines += [
        "In process: the app called as uvicorn calls it, one mint at a time (a MEMBER's session, "
        "SQLite); Python function calls per request (cProfile, 200 requests: the same on any "
        "machine) and CPU per request (process time); medians of the interleaved rounds.",
        "",
        "| server | calls per request | calls / reference | CPU per request, ms "
        "| CPU / reference |",
        "|---|---|---|---|---|",
    ]
    for name, found in measured.items():
        label = name if name == "reference" else f"without {name}"
        lines.append(
            f"| {label} | {found['calls_per_request']:.0f} | "
            f"{found['calls_per_request'] / reference['calls_per_request']:.2f} | "
            f"{found['cpu_ms_per_request']:.3f} | "
            f"{found['cpu_ms_per_request'] / reference['cpu_ms_per_request']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pieces", default=",".join(PIECES), help="pieces to turn off, in turn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk per server first")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS / "trimming")
    parser.add_argument(
        "--requests", type=int, default=2000, help="mints per variant in the in-process part"
    )
    parser.add_argument("--skip-wrk", action="store_true", help="the in-process part only")
    parser.add_argument("--drive", type=int, help=argparse.SUPPRESS)  # one variant, in-process
    args = parser.parse_args(argv)
    if args.drive:
        print(json.dumps(_drive(args.drive)))
        return 0
    args.pieces = [piece for piece in args.pieces.split(",") if piece]
    unknown = set(args.pieces) - set(PIECES)
    if unknown:
        parser.error(f"unknown pieces: {', '.join(sorted(unknown))} (known: {', '.join(PIECES)})")
    results = {} if args.skip_wrk else run(args)
    results["in_process"] = in_process(args.pieces, args.backend, args.requests, args.rounds)
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
