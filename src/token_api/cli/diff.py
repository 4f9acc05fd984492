"""``token-api diff OLD NEW``: every change and its level; exit 1 if anything breaks (or, with
``--fail-on possibly``, possibly breaks)."""

from __future__ import annotations

import argparse

from token_api.cli.common import CommandError

FORMATS = ("text", "json", "markdown", "github")
FAIL_ON = ("breaking", "possibly")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    diff = commands.add_parser(
        "diff",
        help="list the changes between two specs and whether they break clients",
        description="Compare two OpenAPI documents (resolved schemas, request and response "
        "direction). Each change is breaking, possibly breaking or not breaking. Exit 0 if nothing "
        "breaks, 1 if something does, 2 on errors.",
    )
    diff.add_argument("old", help="a file, or git:REF[:PATH] (PATH defaults to openapi.yaml)")
    diff.add_argument("new", help="a file, or git:REF[:PATH]")
    diff.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json, markdown, or github (workflow annotations)",
    )
    diff.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="breaking",
        help="exit 1 on breaking changes (default), or also on possibly breaking ones",
    )
    diff.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from token_api.spectools.diff import Level, diff_documents
    from token_api.spectools.diff.report import render
    from token_api.spectools.loading import LoadError, load
    from token_api.spectools.pointers import RefError

    try:
        old, new = load(args.old), load(args.new)
        changes = diff_documents(old.document, new.document)
    except LoadError as error:
        raise CommandError(str(error), exit_code=2) from None
    except RefError as error:
        raise CommandError(f"Cannot compare: {error}", exit_code=2) from None
    output = render(changes, args.format, old.label, new.label, new.path)
    if output:
        print(output)
    threshold = Level.BREAKING if args.fail_on == "breaking" else Level.POSSIBLY_BREAKING
    return 1 if any(c.level >= threshold for c in changes) else 0
