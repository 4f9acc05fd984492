"""``token-api conformance``: property-test a deployment of the Token API against its contract."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from token_api.cli.common import CommandError
from token_api.conformance.defaults import DEFAULT_TIMEOUT, ENV_TOKEN, PHASES


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "conformance",
        help="property-test a deployment against the contract",
        description=(
            "Runs Schemathesis (all built-in checks, stateful links included) and the API's own "
            "rules against a deployment, as its ADMIN user's session and (with --identities) its "
            "MEMBER and EXTERNAL users' sessions, and reports which rules of the contract it "
            "probed and which documented statuses it saw. Exit 0: no violation; 1: violations "
            "(or, with --require-coverage, a rule or status not covered); 2: usage error, or the "
            "deployment never answered or refused a session or workspace it was given."
        ),
    )
    parser.add_argument("--base-url", metavar="URL", help="the API's root URL (required)")
    parser.add_argument(
        "--token",
        metavar="SESSION",
        default=None,
        help=(
            f"an ADMIN user's session of the deployment, not an API key (default: ${ENV_TOKEN}, "
            "else the ADMIN user of --identities)"
        ),
    )
    parser.add_argument(
        "--identities",
        type=Path,
        metavar="FILE",
        help="the users and their sessions, as `token-api init --demo --json` prints them",
    )
    parser.add_argument(
        "--key-probe",
        metavar="'METHOD PATH'",
        help="an endpoint of the deployment that takes API keys (GET or HEAD): its 2xx shows a "
        "minted key is recognised",
    )
    parser.add_argument(
        "--workspace",
        action="append",
        default=[],
        metavar="NAME",
        help="an existing workspace (repeat); the ADMIN session must be able to mint a key for it",
    )
    parser.add_argument(
        "--max-examples", type=int, metavar="N", help="examples per operation and phase"
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        metavar="LIST",
        help=f"the Schemathesis phases to run (default: {','.join(PHASES)}); none: only the "
        "scenario checks, without Schemathesis",
    )
    parser.add_argument(
        "--seed", type=int, metavar="N", help="replay a run (printed in every report)"
    )
    parser.add_argument("--junit-xml", type=Path, metavar="FILE", help="write JUnit XML for CI")
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write a report: .html, .md or .json"
    )
    parser.add_argument(
        "--rate-limit", metavar="R", help="at most R requests: 10 (per second), 10/s, 600/m, 5000/h"
    )
    parser.add_argument(
        "--allow-long-lived-tokens",
        action="store_true",
        help="send generated bodies as they are (tokens may never expire)",
    )
    parser.add_argument(
        "--checks",
        metavar="LIST",
        help="run only these checks, comma-separated (default: all; --list-checks lists them)",
    )
    parser.add_argument(
        "--list-checks",
        action="store_true",
        help="list every check, the rules it judges and what it needs, and exit",
    )
    parser.add_argument(
        "--require-coverage",
        action="store_true",
        help="exit 1 when a rule got no probe or a documented status an outside client can "
        "cause was never observed",
    )
    parser.add_argument("--spec", type=Path, metavar="FILE", help="another version of openapi.yaml")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"the longest the run may take (default {DEFAULT_TIMEOUT:g})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from token_api.conformance import report as reports
    from token_api.conformance.runner import ConformanceError, Options
    from token_api.conformance.runner import run as run_conformance

    if args.list_checks:
        print(_list_checks())
        return 0
    if not args.base_url:
        raise CommandError("--base-url is required.", exit_code=2)
    token, source = args.token, "--token"
    if token is None:
        # Every message about a credential from the environment names the variable.
        token, source = os.environ.get(ENV_TOKEN) or None, f"${ENV_TOKEN}"
    if args.report is not None and args.report.suffix.lower() not in reports.REPORT_SUFFIXES:
        raise CommandError(
            f"--report must end in {', '.join(reports.REPORT_SUFFIXES)}, not {args.report.name!r}.",
            exit_code=2,
        )
    for option, path in (("--junit-xml", args.junit_xml), ("--report", args.report)):
        if path is not None and not path.parent.resolve().is_dir():
            raise CommandError(
                f"{option}: the folder of {str(path)!r} does not exist.", exit_code=2
            )
    options = Options(
        base_url=args.base_url,
        token=token,
        token_source=source,
        identities=args.identities,
        key_probe=args.key_probe,
        workspaces=tuple(args.workspace),
        max_examples=args.max_examples,
        phases=()
        if args.phases.strip() == "none"
        else tuple(phase.strip() for phase in args.phases.split(",") if phase.strip()),
        seed=args.seed,
        rate_limit=args.rate_limit,
        allow_long_lived_tokens=args.allow_long_lived_tokens,
        spec=args.spec,
        timeout=args.timeout,
        checks=tuple(name.strip() for name in (args.checks or "").split(",") if name.strip()),
        require_coverage=args.require_coverage,
    )
    try:
        result = run_conformance(
            options, progress=lambda line: print(line, file=sys.stderr, flush=True)
        )
    except ConformanceError as error:
        raise CommandError(str(error), exit_code=2) from None
    print(reports.console(result))
    if args.junit_xml is not None:
        args.junit_xml.write_bytes(reports.junit(result))
    if args.report is not None:
        reports.write(result, args.report)
    return result.exit_code


def _list_checks() -> str:
    from token_api.conformance import registry

    lines = []
    for check in registry.checks():
        lines.append(f"{check.name} ({check.source}): {check.description}")
        if check.rules:
            lines.append(f"    judges {', '.join(check.rules)}")
        for need in (*check.needs, *check.wants):
            kind = "skipped" if need in check.needs else "partial"
            lines.append(f"    {kind} when {registry.NEEDS[need]}")
    return "\n".join(lines)
