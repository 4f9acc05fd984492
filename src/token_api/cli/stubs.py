"""``token-api stubs --check | --write [SPEC]``: every operation has a handler, none a stub."""

from __future__ import annotations

import argparse

from token_api.cli.common import CommandError, add_handlers_module_option, add_spec_argument
from token_api.server.layout import HANDLERS_MODULE


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    stubs = commands.add_parser(
        "stubs",
        help="check that every operation has a handler, or generate the missing ones",
        description="--check exits 1 listing operations without a handler or with a generated "
        "stub still in place; --write appends a 501 skeleton for each missing handler.",
    )
    add_spec_argument(stubs)
    action = stubs.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true", help="list what is not implemented")
    action.add_argument("--write", action="store_true", help="generate the missing handlers")
    add_handlers_module_option(stubs)
    stubs.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from token_api.spectools import handler_source
    from token_api.spectools.loading import LoadError, load
    from token_api.spectools.pointers import RefError
    from token_api.spectools.stubs import gaps, write

    try:
        spec = load(args.spec)
        module = handler_source.load(args.handlers_module or HANDLERS_MODULE)
        if args.write:
            written = write(spec.document, module)
            for name in written:
                print(f"Wrote {name}() to {module.path}: it answers 501 until implemented.")
            if not written:
                print(f"Every operation already has a handler in {module.name}.")
            return 0
        found = gaps(spec.document, module)
    except (LoadError, handler_source.HandlerModuleError, RefError) as error:
        raise CommandError(str(error), exit_code=2) from None
    for gap in found:
        print(gap.line())
    if found:
        print(f"{len(found)} operation(s) not implemented.")
        return 1
    print(f"Every operation of {spec.label} has a handler in {module.name}.")
    return 0
