"""``token-api lint [SPEC]``: validity and the project's rules; exit 0 clean, 1 findings,
2 unreadable input."""

from __future__ import annotations

import argparse
from pathlib import Path

from token_api.cli.common import CommandError, add_handlers_module_option, add_spec_argument

FORMATS = ("text", "json", "github")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    lint = commands.add_parser(
        "lint",
        help="check the spec: OpenAPI validity and the project's rules",
        description="Check an OpenAPI document: validity (every error) and the project's rules. "
        "Exit 0 clean, 1 findings, 2 unreadable input.",
    )
    add_spec_argument(lint)
    lint.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json, or github (workflow annotations)",
    )
    lint.add_argument(
        "--published",
        type=Path,
        metavar="PATH",
        help="the published contract to compare with: the vendor's reference page (.mdx) or a "
        "stored contract (.json) (default: the one stored in the package)",
    )
    add_handlers_module_option(lint)
    lint.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from token_api.spectools.findings import render
    from token_api.spectools.handler_source import HandlerModuleError
    from token_api.spectools.lint import lint
    from token_api.spectools.loading import LoadError, load
    from token_api.spectools.published import PublishedError, read, stored

    try:
        contract = stored() if args.published is None else read(args.published)
    except PublishedError as error:
        raise CommandError(f"--published: {str(error).rstrip('.')}.", exit_code=2) from None
    try:
        spec = load(args.spec)
        findings = lint(spec, handlers_module=args.handlers_module, published=contract)
    except (LoadError, HandlerModuleError) as error:
        raise CommandError(str(error), exit_code=2) from None
    output = render(findings, args.format, spec.label, spec.path)
    if output:
        print(output)
    return 1 if any(f.fails for f in findings) else 0
