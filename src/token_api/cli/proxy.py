"""``token-api proxy``: the contract between a real client and a deployment, on real traffic."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from token_api.cli.common import CommandError, check_port, refuse_outside

DEFAULT_PORT = 8080


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "proxy",
        help="check real traffic against the contract, between a client and a deployment",
        description=(
            "Forwards every request to --upstream unchanged and judges each exchange by the "
            "contract's rules: one line on stderr per violation (rule id, side, operation, "
            "status, reason), a summary at exit (Ctrl-C, SIGTERM or --duration). Exit 0: no "
            "violation; 1: violations; 2: usage error, or the proxy could not start."
        ),
    )
    parser.add_argument(
        "--upstream", required=True, metavar="URL", help="the deployment's root URL (http or https)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument("--spec", type=Path, metavar="FILE", help="another version of openapi.yaml")
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write a report at exit: .html, .md or .json"
    )
    parser.add_argument("--junit-xml", type=Path, metavar="FILE", help="write JUnit XML at exit")
    parser.add_argument(
        "--errors",
        action="store_true",
        help="answer a request that breaks the contract with 422 (naming the rule) instead of "
        "forwarding it",
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="write the exchanges as HAR, every secret redacted",
    )
    parser.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="stop after this long (default: run until Ctrl-C)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="answer 504 when the upstream has not answered by then (default 30)",
    )
    parser.set_defaults(run=run)


def _check_upstream(url: str) -> None:
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise CommandError(f"--upstream {url!r} is not a URL ({error}).", exit_code=2) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise CommandError(
            f"--upstream must be an http:// or https:// URL with a host, not {url!r}.",
            exit_code=2,
        )
    if parsed.query or parsed.fragment:
        raise CommandError("--upstream must not have a query or a fragment.", exit_code=2)


def run(args: argparse.Namespace) -> int:
    from token_api.contract.document import SpecError
    from token_api.proxy import report
    from token_api.proxy.run import Options, serve

    _check_upstream(args.upstream)
    refuse_outside(args.port, 1, 65535, "--port", "(a TCP port)")
    if args.duration is not None and not (args.duration > 0 and math.isfinite(args.duration)):
        raise CommandError("--duration must be more than 0 seconds.", exit_code=2)
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise CommandError("--timeout must be more than 0 seconds.", exit_code=2)
    if args.report is not None and args.report.suffix.lower() not in report.REPORT_SUFFIXES:
        raise CommandError(
            f"--report must end in {', '.join(report.REPORT_SUFFIXES)}, not {args.report.name!r}.",
            exit_code=2,
        )
    for option, path in (
        ("--junit-xml", args.junit_xml),
        ("--report", args.report),
        ("--record", args.record),
    ):
        if path is not None and not path.parent.resolve().is_dir():
            raise CommandError(
                f"{option}: the folder of {str(path)!r} does not exist.", exit_code=2
            )
    check_port(args.host, args.port)
    options = Options(
        upstream=args.upstream,
        host=args.host,
        port=args.port,
        spec=args.spec,
        report=args.report,
        junit_xml=args.junit_xml,
        errors=args.errors,
        record=args.record,
        duration=args.duration,
        timeout=args.timeout,
    )
    try:
        return serve(options)
    except SpecError as error:
        raise CommandError(str(error), exit_code=2) from None
    except OSError as error:
        raise CommandError(
            f"Cannot write {error.filename}: {error.strerror}.", exit_code=2
        ) from None
