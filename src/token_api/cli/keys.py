"""``keys``: review and revoke the organization's API keys (what the platform's UI offers)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from token_api.cli.common import add_database_option, open_store, printable


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keys = commands.add_parser("keys", help="list and revoke API keys (never their secrets)")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="list API keys, oldest first, with the role and workspaces each may use now",
    )
    listing.add_argument("--user", metavar="EMAIL", help="only the keys this user created")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_list)
    revoke = actions.add_parser("revoke", help="revoke an API key: it answers 401 from now on")
    revoke.add_argument("id")
    revoke.set_defaults(run=run_revoke)
    for sub in (listing, revoke):
        add_database_option(sub)


def _moment(value: datetime | None, never: str) -> str:
    return never if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _reach(workspaces: list[str] | None) -> str:
    return "all" if workspaces is None else ",".join(map(printable, workspaces)) or "none"


def run_list(args: argparse.Namespace) -> int:
    from token_api.storage.keys import Keys
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        keys = Keys(Organization(store)).list(args.user)
    if args.json:
        print(json.dumps([key.as_json() for key in keys], indent=2))
        return 0
    # Text: one line per key whatever its name holds (any client with a session names keys).
    print("id\tname\tuser\trole\tworkspaces\ttype\tcreated\texpires\trevoked")
    for key in keys:
        user = printable(key.user) + (" (removed)" if key.user_removed else "")
        role = key.effective_role
        reach = _reach(key.effective_workspaces)
        # What the key may do now; what it was created with too when its user's cap lowers it.
        if role != key.role:
            role += f" (created {key.role})"
        if key.effective_workspaces != key.workspaces:
            reach += f" (created {_reach(key.workspaces)})"
        kind = "personal" if key.personal else "service"
        print(
            "\t".join(
                (
                    str(key.id),
                    printable(key.name),
                    user,
                    role,
                    reach,
                    kind,
                    _moment(key.created_at, "-"),
                    _moment(key.expires_at, "never"),
                    _moment(key.revoked_at, "no"),
                )
            )
        )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from token_api.storage.keys import Keys
    from token_api.storage.organization import Organization

    with open_store(args) as store:
        revoked = Keys(Organization(store)).revoke(args.id)
    print(
        f"Revoked the API key {args.id}; it no longer authenticates."
        if revoked
        else f"The API key {args.id} was already revoked."
    )
    return 0
