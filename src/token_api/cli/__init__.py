"""The ``token-api`` command: one subcommand per module, each failing with one clear sentence."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from token_api.cli import admin, serve
from token_api.cli.common import CommandError


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="token-api",
        description="The Create Token API: reference server, conformance, lint and diff.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (serve, admin):
        module.register(commands)
    for name in ("conformance", "lint", "diff", "stubs"):
        _register_optional(commands, name)
    return root


def _register_optional(commands: argparse._SubParsersAction, name: str) -> None:  # type: ignore[type-arg]
    """Subcommands whose modules may be added later register themselves if present."""
    import importlib

    try:
        module = importlib.import_module(f"token_api.cli.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"token_api.cli.{name}":
            raise
        return
    module.register(commands)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CommandError as error:
        print(f"token-api {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
