"""``init``, ``users`` and ``workspaces``: the organization behind the server."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from token_api.cli.common import add_database_option, open_store
from token_api.domain.minting import DEFAULT_LIFETIME
from token_api.domain.roles import Role


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = commands.add_parser("init", help="create or migrate the database schema")
    add_database_option(init)
    init.add_argument("--demo", action="store_true", help="add the demo organization")
    init.add_argument(
        "--json", action="store_true", help="print workspaces, users and tokens as JSON"
    )
    init.set_defaults(run=run_init)

    users = commands.add_parser("users", help="manage users")
    user_commands = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="add a user")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.name for r in Role], type=str.upper)
    add.add_argument(
        "--workspace",
        action="append",
        default=[],
        metavar="NAME",
        help="a workspace the user reaches (repeat; none: all)",
    )
    add.set_defaults(run=run_users_add)
    remove = user_commands.add_parser(
        "remove", help="remove a user (their personal tokens stop working)"
    )
    remove.add_argument("email")
    remove.set_defaults(run=run_users_remove)
    listing = user_commands.add_parser("list", help="list users")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_users_list)
    token = user_commands.add_parser("token", help="mint and print a personal token for a user")
    token.add_argument("email")
    lifetime = token.add_mutually_exclusive_group()
    lifetime.add_argument(
        "--days",
        type=int,
        default=DEFAULT_LIFETIME.days,
        help=f"lifetime in days (default {DEFAULT_LIFETIME.days})",
    )
    lifetime.add_argument("--no-expiry", action="store_true", help="a token that never expires")
    token.set_defaults(run=run_users_token)
    for sub in (add, remove, listing, token):
        add_database_option(sub)

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

    with open_store(args) as store:
        organization = Organization(store)
        created = organization.ensure()
        if args.demo:
            seed_demo(organization)
        if args.json:
            users = organization.users()
            print(
                json.dumps(
                    {
                        "workspaces": organization.workspaces(),
                        "users": [
                            {**user.as_json(), "token": organization.issue_token(user.email)}
                            for user in users
                        ],
                    },
                    indent=2,
                )
            )
        else:
            print("Database initialised." if created else "Database is up to date.")
    return 0


def run_users_add(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        Organization(store).add_user(args.email, Role[args.role], args.workspace)
    print(f"Added {args.email} ({args.role}).")
    return 0


def run_users_remove(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        Organization(store).remove_user(args.email)
    print(f"Removed {args.email}; their personal tokens no longer work.")
    return 0


def run_users_list(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        users = Organization(store).users()
    if args.json:
        print(json.dumps([user.as_json() for user in users], indent=2))
        return 0
    for user in users:
        reach = (
            "all workspaces"
            if user.workspaces is None
            else ", ".join(user.workspaces) or "no workspace"
        )
        print(f"{user.email}\t{user.role.name}\t{reach}")
    return 0


def run_users_token(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    lifetime = None if args.no_expiry else timedelta(days=args.days)
    with open_store(args) as store:
        print(Organization(store).issue_token(args.email, lifetime))
    return 0


def run_workspaces_add(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        Organization(store).add_workspace(args.name)
    print(f"Added workspace {args.name}.")
    return 0


def run_workspaces_list(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        for name in Organization(store).workspaces():
            print(name)
    return 0
