"""What each piece of the reference's Connexion trimming buys: the reference with one piece turned
back to Connexion's own code at a time, against the full reference and the tuned FastAPI peer,
in the same interleaved rounds.

    flock /tmp/bench.lock python -m benchmarks.trimming --rounds 3

Results: ``benchmarks/results/trimming.md`` (and ``.json``); the reading is in docs/benchmarks.md.
Every variant answers the benchmark's requests as the reference does (``tests/benchmarks``
checks that each one still mints keys): only the cost of the way there differs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import ROOT, Server, database, init_demo, wrk

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


def _routed_walk() -> None:
    """contract/middlewares.py: each routed layer walks the APIs to find the operation."""
    from token_api.contract import middlewares

    async def call(self: Any, scope: Any, receive: Any, send: Any) -> None:
        await super(middlewares.OperationLookup, self).__call__(scope, receive, send)

    middlewares.OperationLookup.__call__ = call  # type: ignore[method-assign]


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


def _swagger_ui_middleware() -> None:
    """contract/middlewares.py: Connexion's SwaggerUIMiddleware back in the stack (its routes
    off, as in the reference): one more Starlette router per request."""
    from connexion.middleware.swagger_ui import SwaggerUIMiddleware

    from token_api.contract import middlewares
    from token_api.server import app

    def stack(*, before_routing: list[Any]) -> list[Any]:
        return middlewares.middleware_stack(before_routing=[*before_routing, SwaggerUIMiddleware])

    app.middleware_stack = stack


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
    "operation-lookup": _routed_walk,
    "request-validation-plans": _stock_request_validation,
    "response-validation-plans": _stock_response_validation,
    "no-swagger-ui-middleware": _swagger_ui_middleware,
    "bearer-from-asgi-headers": _connexion_bearer,
    "orjson": _standard_json,
}


def create_app() -> Any:
    """``uvicorn --factory`` entry: the reference with the piece named in the environment off."""
    from token_api.server.app import create_app as reference
    from token_api.server.settings import Settings

    PIECES[os.environ[ENV_PIECE]]()
    return reference(Settings.from_environment())


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
        for name in names:
            wrk(servers[name], args.warmup, args.connections, args.threads)
        rounds: list[dict[str, dict[str, Any]]] = []
        for number in range(args.rounds):
            shift = number % len(names)
            result = {}
            for name in names[shift:] + names[:shift]:
                result[name] = wrk(servers[name], args.duration, args.connections, args.threads)
                _log(
                    f"round {number + 1} {name}: {result[name]['rps']:.0f} req/s, "
                    f"CPU/request {result[name]['cpu_ms_per_request']:.3f} ms"
                )
            rounds.append(result)

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
    settings = results["settings"]
    load = " ".join(f"{value:.1f}" for value in settings["load_average"])
    lines = [
        f"Connexion trimming, one piece off at a time: {settings['backend']}, "
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
    args = parser.parse_args(argv)
    args.pieces = [piece for piece in args.pieces.split(",") if piece]
    unknown = set(args.pieces) - set(PIECES)
    if unknown:
        parser.error(f"unknown pieces: {', '.join(sorted(unknown))} (known: {', '.join(PIECES)})")
    results = run(args)
    args.output.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
