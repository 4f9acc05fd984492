"""``token-api changelog OLD NEW``: every change, grouped by operation, with its level; the same
comparison as ``diff``, so the two never disagree."""

from __future__ import annotations

import argparse

from token_api.cli.diff import add_specs, compare

FORMATS = ("markdown", "html", "json")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    changelog = commands.add_parser(
        "changelog",
        help="every change between two specs, grouped by operation, for release notes",
        description="List every change between two OpenAPI documents, grouped by the operation it "
        "touches, with its level (breaking, possibly breaking, not breaking): the comparison "
        "of 'token-api diff'. Exit 0, or 2 on errors.",
    )
    add_specs(changelog)
    changelog.add_argument(
        "--format", choices=FORMATS, default="markdown", help="markdown (default), html or json"
    )
    changelog.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from token_api.spectools.diff.changelog import render

    old, new, changes = compare(args)
    print(render(changes, args.format, old.label, new.label))
    return 0
