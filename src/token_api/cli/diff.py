"""``token-api diff OLD NEW``: every change and its level; exit 1 if anything breaks (or, with
``--fail-on possibly``, possibly breaks), or a waiver has expired."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from token_api.cli.common import CommandError
from token_api.spectools.diff.lifecycle import STABILITY_LEVELS

if TYPE_CHECKING:
    from token_api.spectools.diff import Change
    from token_api.spectools.loading import Spec

FORMATS = ("text", "json", "markdown", "github", "pr-comment")
FAIL_ON = ("breaking", "possibly")


def add_specs(parser: argparse.ArgumentParser) -> None:
    """OLD and NEW and the deprecation policy, as ``diff`` and ``changelog`` take them."""
    parser.add_argument("old", help="a file, or git:REF[:PATH] (PATH defaults to openapi.yaml)")
    parser.add_argument("new", help="a file, or git:REF[:PATH]")
    parser.add_argument(
        "--deprecation-days",
        type=int,
        default=180,
        metavar="N",
        help="days of notice a sunset (x-sunset) must leave on a stable operation (default: "
        "%(default)s); 0: a deprecated element may go at any time",
    )
    parser.add_argument(
        "--deprecation-days-beta",
        type=int,
        default=0,
        metavar="N",
        help="the same for an x-stability-level: beta operation (default: %(default)s)",
    )
    parser.add_argument(
        "--stability-level",
        choices=STABILITY_LEVELS,
        default="beta",
        help="operations below this x-stability-level are not held to compatibility (default: "
        "%(default)s: draft and alpha may change freely)",
    )
    parser.add_argument(
        "--require-major-bump",
        action="store_true",
        help="a breaking change where info.version's major part did not grow is itself breaking",
    )


def compare(args: argparse.Namespace) -> tuple[Spec, Spec, list[Change]]:
    """The two specs and every change between them: the one comparison diff and changelog share."""
    from token_api.cli.common import refuse_outside
    from token_api.spectools.diff import diff_documents
    from token_api.spectools.diff.lifecycle import Policy, utc_today
    from token_api.spectools.loading import LoadError, load
    from token_api.spectools.pointers import RefError

    refuse_outside(args.deprecation_days, 0, 36_500, "--deprecation-days", "days")
    refuse_outside(args.deprecation_days_beta, 0, 36_500, "--deprecation-days-beta", "days")
    policy = Policy(
        utc_today(),
        args.deprecation_days,
        args.deprecation_days_beta,
        args.stability_level,
        args.require_major_bump,
    )
    try:
        old, new = load(args.old), load(args.new)
        return old, new, diff_documents(old.document, new.document, policy)
    except LoadError as error:
        raise CommandError(str(error), exit_code=2) from None
    except RefError as error:
        raise CommandError(f"Cannot compare: {error}", exit_code=2) from None


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    diff = commands.add_parser(
        "diff",
        help="list the changes between two specs and whether they break clients",
        description="Compare two OpenAPI documents (resolved schemas, request and response "
        "direction). Each change is breaking, possibly breaking or not breaking. Exit 0 if nothing "
        "breaks, 1 if something does (or a waiver has expired), 2 on errors.",
    )
    add_specs(diff)
    diff.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json, markdown, github (workflow annotations), or pr-comment (one "
        "Markdown comment with a hidden marker line, for a workflow to create and then update)",
    )
    diff.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="breaking",
        help="exit 1 on breaking changes (default), or also on possibly breaking ones",
    )
    diff.add_argument(
        "--waivers",
        metavar="FILE",
        help="YAML list of accepted changes (rule, location, reason, optional expires): each "
        "is listed as waived and not counted; expired or unused waivers are reported",
    )
    diff.add_argument(
        "--old-url",
        metavar="URL",
        help="pr-comment: the old spec as a web page (…/blob/BASE_SHA/openapi.yaml), for links",
    )
    diff.add_argument(
        "--new-url",
        metavar="URL",
        help="pr-comment: the new spec as a web page (…/blob/HEAD_SHA/openapi.yaml), for links",
    )
    diff.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from token_api.spectools.diff import Level
    from token_api.spectools.diff.lifecycle import utc_today
    from token_api.spectools.diff.report import Report, Source, render
    from token_api.spectools.diff.waivers import WaiverError, apply, load_waivers

    waivers = []
    if args.waivers is not None:
        from pathlib import Path

        try:
            waivers = load_waivers(Path(args.waivers))
        except WaiverError as error:
            raise CommandError(str(error), exit_code=2) from None
    old, new, changes = compare(args)
    applied = apply(changes, waivers, utc_today())
    report = Report(
        Source(old.label, old.path, old.text, args.old_url),
        Source(new.label, new.path, new.text, args.new_url),
        applied.counted,
        applied.waived,
        applied.findings,
        args.waivers,
    )
    output = render(report, args.format)
    if output:
        print(output)
    threshold = Level.BREAKING if args.fail_on == "breaking" else Level.POSSIBLY_BREAKING
    failed = any(c.level >= threshold for c in applied.counted)
    return 1 if failed or any(f.fails for f in applied.findings) else 0
