"""The ``token-api`` command: one subcommand per module, each failing with one clear sentence."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from token_api import __version__
from token_api.cli import (
    admin,
    changelog,
    conformance,
    diff,
    github_comment,
    keys,
    lint,
    proxy,
    serve,
    stubs,
    users,
)
from token_api.cli.common import CommandError, Parser, printable


def parser() -> argparse.ArgumentParser:
    root = Parser(
        prog="token-api",
        description="The Create Token API: reference server, conformance, lint and diff.",
    )
    root.add_argument("--version", action="version", version=f"token-api {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (
        serve,
        admin,
        users,
        keys,
        conformance,
        proxy,
        lint,
        diff,
        changelog,
        stubs,
        github_comment,
    ):
        module.register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Specs hold patterns such as "[[:alpha:]]" that Python's re reads as written but warns about
    # (FutureWarning, "Possible nested set", with a library's file and line): noise to a user.
    warnings.filterwarnings("ignore", "Possible nested set", FutureWarning)
    try:
        return int(args.run(args) or 0)
    except CommandError as error:
        print(f"token-api {args.command}: {printable(str(error))}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
