"""``token-api github-comment FILE``: post the comment ``diff --format pr-comment`` wrote on a
pull request, or update the one a previous push posted (found by its first, hidden line)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from token_api.cli.common import CommandError

DEFAULT_API = "https://api.github.com"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    comment = commands.add_parser(
        "github-comment",
        help="create or update a pull request's comment (CI)",
        description="Post FILE (from 'token-api diff --format pr-comment') as a comment on a pull "
        "request, or update the comment with the same first line. The token is read from "
        "$GITHUB_TOKEN. Exit 0 when posted, 1 when GitHub refused or could not be reached, "
        "2 on errors.",
    )
    comment.add_argument("file", help="the comment, in Markdown, starting with its marker line")
    comment.add_argument(
        "--pull", type=int, required=True, metavar="N", help="the pull request's number"
    )
    comment.add_argument(
        "--repository",
        metavar="OWNER/NAME",
        help="default: $GITHUB_REPOSITORY",
    )
    comment.add_argument(
        "--api-url",
        metavar="URL",
        help=f"default: $GITHUB_API_URL, else {DEFAULT_API}",
    )
    comment.add_argument(
        "--no-create",
        action="store_true",
        help="update an existing comment, but do not create one",
    )
    comment.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from token_api.spectools.github_comment import CommentError, GitHub, marker_of

    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise CommandError("Set GITHUB_TOKEN to a token that may write pull requests.", 2)
    repository = (args.repository or os.environ.get("GITHUB_REPOSITORY") or "").strip()
    if repository.count("/") != 1 or not all(repository.split("/")):
        raise CommandError("--repository (or $GITHUB_REPOSITORY) must be OWNER/NAME.", 2)
    if args.pull < 1:
        raise CommandError("--pull must be a pull request number (1 or more).", 2)
    try:
        body = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read {args.file}: {error}.", 2) from None
    if marker_of(body) is None:
        raise CommandError(
            f"{args.file} does not start with a marker line (<!-- ... -->): write it with "
            "'token-api diff --format pr-comment'.",
            2,
        )
    api_url = args.api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API
    github = GitHub(api_url, token, repository)
    try:
        outcome = github.upsert(args.pull, body, create=not args.no_create)
    except CommentError as error:
        raise CommandError(str(error)) from None
    finally:
        github.close()
    where = f": {outcome.url}" if outcome.url else ""
    print(f"Comment {outcome.action}{where}")
    return 0
