"""``init`` and ``workspaces``: the organization behind the server."""

from __future__ import annotations

import argparse
import json

from token_api.cli.common import add_database_option, open_store, printable

DEMO_ADMIN = "admin@example.com"
FRESH_CREDENTIALS = (
    f"'token-api users login {DEMO_ADMIN}' prints a fresh session, "
    f"'token-api users token {DEMO_ADMIN}' a fresh API key"
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = commands.add_parser("init", help="create or migrate the database schema")
    add_database_option(init)
    init.add_argument("--demo", action="store_true", help="add the demo organization")
    init.add_argument(
        "--json",
        action="store_true",
        help="print workspaces, role ids and users (each with a fresh session and API key) as JSON",
    )
    init.set_defaults(run=run_init)

    workspaces = commands.add_parser("workspaces", help="manage workspaces")
    ws_commands = workspaces.add_subparsers(dest="action", required=True, metavar="ACTION")
    ws_add = ws_commands.add_parser("add", help="add a workspace")
    ws_add.add_argument("name")
    ws_add.set_defaults(run=run_workspaces_add)
    ws_list = ws_commands.add_parser("list", help="list workspaces")
    ws_list.set_defaults(run=run_workspaces_list)
    for sub in (ws_add, ws_list):
        add_database_option(sub)


def run_init(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization, seed_demo

    with open_store(args, create=True) as store:
        organization = Organization(store)
        created = organization.ensure()
        if args.demo:
            created = seed_demo(organization) or created
        if args.json:
            print(
                json.dumps(
                    {
                        "workspaces": organization.workspaces(),
                        "roles": organization.role_ids(),
                        "users": [
                            {
                                **user.as_json(),
                                "session": organization.login(user.email),
                                "token": organization.issue_token(user.email),
                            }
                            for user in organization.users()
                        ],
                    },
                    indent=2,
                )
            )
        elif args.demo:
            print(
                f"Created the demo organization; {FRESH_CREDENTIALS}."
                if created
                else f"The demo organization already exists: {FRESH_CREDENTIALS}."
            )
        else:
            print("Database initialised." if created else "Database is up to date.")
    return 0


def run_workspaces_add(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        Organization(store).add_workspace(args.name)
    print(f"Added workspace {printable(args.name)}.")
    return 0


def run_workspaces_list(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        for name in Organization(store).workspaces():
            print(printable(name))
    return 0
