"""``users``: the organization's members, their sessions (login, logout) and personal keys."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from token_api.cli.common import (
    CommandError,
    add_database_option,
    open_store,
    printable,
    refuse_outside,
)
from token_api.domain import minting, sessions
from token_api.domain.roles import Role

ROLES = [role.name for role in Role]


def _add_workspaces(parser: argparse._ActionsContainer, text: str) -> None:
    parser.add_argument(
        "--workspace", action="append", default=None, metavar="NAME", dest="workspaces", help=text
    )


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users = commands.add_parser("users", help="manage users, their sessions and personal keys")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="add a user")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=ROLES, type=str.upper)
    _add_workspaces(add, "a workspace the user reaches (repeat; none: all; not for ADMIN)")
    add.set_defaults(run=run_add)

    change = actions.add_parser(
        "update", help="change a user's role and/or replace their workspaces"
    )
    change.add_argument("email")
    change.add_argument("--role", choices=ROLES, type=str.upper)
    reach = change.add_mutually_exclusive_group()
    _add_workspaces(reach, "the user's workspaces from now on (repeat)")
    reach.add_argument(
        "--all-workspaces", action="store_true", help="the user reaches every workspace"
    )
    change.set_defaults(run=run_update)

    remove = actions.add_parser(
        "remove", help="remove a user for good (their sessions and personal keys stop working)"
    )
    remove.add_argument("email")
    remove.set_defaults(run=run_remove)

    listing = actions.add_parser("list", help="list users")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_list)

    login = actions.add_parser("login", help="print a new session of the user (as signing in)")
    login.add_argument("email")
    default_hours = int(sessions.DEFAULT_LIFETIME.total_seconds() // 3600)
    login.add_argument(
        "--hours", type=int, default=default_hours, help=f"lifetime (default {default_hours})"
    )
    login.set_defaults(run=run_login)

    logout = actions.add_parser("logout", help="end every session of the user")
    logout.add_argument("email")
    logout.set_defaults(run=run_logout)

    token = actions.add_parser("token", help="mint and print a personal API key for a user")
    token.add_argument("email")
    lifetime = token.add_mutually_exclusive_group()
    lifetime.add_argument(
        "--days",
        type=int,
        default=minting.DEFAULT_LIFETIME.days,
        help=f"lifetime in days (default {minting.DEFAULT_LIFETIME.days})",
    )
    lifetime.add_argument("--no-expiry", action="store_true", help="a key that never expires")
    token.set_defaults(run=run_token)

    for sub in (add, change, remove, listing, login, logout, token):
        add_database_option(sub)


def _refuse_admin_workspaces(args: argparse.Namespace) -> None:
    """--role ADMIN with --workspace asks for something that would not apply (usage, exit 2)."""
    from token_api.storage.organization import ADMIN_REACHES_ALL

    if args.role == Role.ADMIN.name and args.workspaces:
        raise CommandError(ADMIN_REACHES_ALL, exit_code=2)


def run_add(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization, normalize_email

    _refuse_admin_workspaces(args)
    with open_store(args) as store:
        Organization(store).add_user(args.email, Role[args.role], args.workspaces or ())
    print(f"Added {printable(normalize_email(args.email))} ({args.role}).")
    return 0


def run_update(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization, normalize_email

    workspaces = [] if args.all_workspaces else args.workspaces
    if args.role is None and workspaces is None:
        raise CommandError(
            "Nothing to change: give --role, --workspace or --all-workspaces.", exit_code=2
        )
    _refuse_admin_workspaces(args)
    role = None if args.role is None else Role[args.role]
    with open_store(args) as store:
        Organization(store).update_user(args.email, role, workspaces)
    email = printable(normalize_email(args.email))
    print(f"Updated {email}; their sessions act with the change from their next request.")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization, normalize_email

    with open_store(args) as store:
        Organization(store).remove_user(args.email)
    email = printable(normalize_email(args.email))
    print(f"Removed {email}; their sessions and personal API keys no longer work.")
    return 0


def run_list(args: argparse.Namespace) -> int:
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
            else ", ".join(map(printable, user.workspaces)) or "no workspace"
        )
        print(f"{printable(user.email)}\t{user.role.name}\t{reach}")
    return 0


def run_login(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    longest = int(sessions.MAX_LIFETIME.total_seconds() // 3600)
    refuse_outside(args.hours, 1, longest, "--hours", "hours")
    with open_store(args) as store:
        print(Organization(store).login(args.email, timedelta(hours=args.hours)))
    return 0


def run_logout(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization, normalize_email

    with open_store(args) as store:
        ended = Organization(store).logout(args.email)
    email = printable(normalize_email(args.email))
    print(f"Ended {ended} session{'' if ended == 1 else 's'} of {email}.")
    return 0


def run_token(args: argparse.Namespace) -> int:
    from token_api.storage.organization import Organization

    if not args.no_expiry:
        refuse_outside(args.days, 1, minting.MAX_LIFETIME.days, "--days", "days")
    lifetime = None if args.no_expiry else timedelta(days=args.days)
    with open_store(args) as store:
        print(Organization(store).issue_token(args.email, lifetime))
    return 0
