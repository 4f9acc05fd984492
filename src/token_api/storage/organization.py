"""Administration of the organization a database holds: roles, workspaces, users, their sessions.

One database holds one organization (as one deployment of the platform serves one). These are the
operations behind ``token-api init / users / workspaces``; the server itself never calls them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from token_api.domain import sessions
from token_api.domain.minting import (
    DEFAULT_LIFETIME,
    MAX_WORKSPACE_NAME_LENGTH,
    TokenRequest,
    mint_token,
)
from token_api.domain.principal import Kind, signed_in
from token_api.domain.roles import Role
from token_api.storage import tables as t
from token_api.storage.store import Store, Transaction, reach_to_json

DEFAULT_ORGANIZATION = "default"
UserRow = Row[*tuple[Any, ...]]  # a row of t.users
ROLE_NAMES = {Role.ADMIN: "Admin", Role.MEMBER: "Member", Role.EXTERNAL: "External"}
# The one hint for a database without an organization, wherever a command finds one.
NO_ORGANIZATION = (
    "holds no organization yet: run 'token-api init --demo' (the demo organization) "
    "or 'token-api init' and then 'token-api users add'"
)
# One @, something on each side, no spaces: what any email address looks like. Deliverability is
# the platform's business, typos caught here are ours.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
MAX_EMAIL_LENGTH = 254


# ADMIN users reach every workspace (domain.principal.user_reach); a workspace list for one would
# be stored and shown but never applied.
ADMIN_REACHES_ALL = "An ADMIN user reaches every workspace: give no --workspace for one."


def normalize_email(email: str) -> str:
    """The one spelling of an address that is stored and looked up: email addresses are
    case-insensitive (as the platform treats them), so Admin@Example.com is admin@example.com."""
    return email.strip().lower()


class AdminError(Exception):
    """Something the administrator asked for cannot be done; the message is one sentence."""


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    role: Role
    role_id: uuid.UUID
    workspaces: list[str] | None  # names; None: every workspace

    def as_json(self) -> dict[str, object]:
        return {
            "email": self.email,
            "organization_role": self.role.name,
            "workspaces": self.workspaces,
        }


class Organization:
    """The organization of one database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _org_id(self, connection: Connection) -> uuid.UUID:
        org_id: uuid.UUID | None = connection.execute(select(t.organizations.c.id)).scalar()
        if org_id is None:
            raise AdminError(f"The database {NO_ORGANIZATION}.")
        return org_id

    def exists(self) -> bool:
        with self.store.transaction() as tx:
            return tx.connection.execute(select(t.organizations.c.id)).first() is not None

    def ensure(self) -> bool:
        """Create the organization and its three roles if the database has none; True if created."""
        with self.store.transaction() as tx:
            if tx.connection.execute(select(t.organizations.c.id)).first() is not None:
                return False
            org_id = uuid.uuid4()
            tx.connection.execute(
                insert(t.organizations).values(id=org_id, name=DEFAULT_ORGANIZATION)
            )
            tx.connection.execute(
                insert(t.roles),
                [
                    {"id": uuid.uuid4(), "organization_id": org_id, "name": role_name}
                    for role_name in ROLE_NAMES.values()
                ],
            )
            return True

    def role_ids(self) -> dict[str, str]:
        """The organization's role ids by role name (ADMIN, MEMBER, EXTERNAL)."""
        with self.store.transaction() as tx:
            org_id = self._org_id(tx.connection)
            return {
                role.name: str(self._role_id(tx.connection, org_id, role)) for role in ROLE_NAMES
            }

    # Workspaces

    def add_workspace(self, name: str) -> None:
        if not name or "\x00" in name or len(name) > MAX_WORKSPACE_NAME_LENGTH:
            raise AdminError(
                f"A workspace name is 1 to {MAX_WORKSPACE_NAME_LENGTH} characters "
                "without NUL characters."
            )
        with self.store.transaction() as tx:
            org_id = self._org_id(tx.connection)
            if tx.workspace_ids(org_id, [name]):
                raise AdminError(f"The workspace {name!r} already exists.")
            tx.connection.execute(
                insert(t.workspaces).values(id=uuid.uuid4(), organization_id=org_id, name=name)
            )

    def workspaces(self) -> list[str]:
        with self.store.transaction() as tx:
            org_id = self._org_id(tx.connection)
            query = (
                select(t.workspaces.c.name)
                .where(t.workspaces.c.organization_id == org_id)
                .order_by(t.workspaces.c.name)
            )
            return list(tx.connection.execute(query).scalars())

    # Users

    def _role_id(self, connection: Connection, org_id: uuid.UUID, role: Role) -> uuid.UUID:
        query = select(t.roles.c.id).where(
            t.roles.c.organization_id == org_id, t.roles.c.name == ROLE_NAMES[role]
        )
        role_id: uuid.UUID | None = connection.execute(query).scalar()
        assert role_id is not None, "every organization is created with its three roles"
        return role_id

    def _workspace_reach(
        self, tx: Transaction, org_id: uuid.UUID, workspaces: Sequence[str]
    ) -> list[str] | None:
        """The stored form of a workspace list; none listed: every workspace (NULL)."""
        found = tx.workspace_ids(org_id, list(workspaces))
        missing = [name for name in workspaces if name not in found]
        if missing:
            raise AdminError(f"There is no workspace {missing[0]!r}.")
        return reach_to_json(frozenset(found.values())) if workspaces else None

    def add_user(self, email: str, role: Role, workspaces: Sequence[str] = ()) -> None:
        """Add a member; no workspaces means every workspace. A removed user's email makes a new
        member: nothing of the old membership (sessions, personal keys) comes back."""
        email = normalize_email(email)
        if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(email):
            raise AdminError(f"{email[:80]!r} is not an email address.")
        if role is Role.ADMIN and workspaces:
            raise AdminError(ADMIN_REACHES_ALL)
        with self.store.transaction() as tx:
            org_id = self._org_id(tx.connection)
            if self._find_user(tx.connection, org_id, email) is not None:
                raise AdminError(f"The user {email} already exists.")
            tx.connection.execute(
                insert(t.users).values(
                    id=uuid.uuid4(),
                    organization_id=org_id,
                    email=email,
                    organization_role=role.name,
                    role_id=self._role_id(tx.connection, org_id, role),
                    workspaces=self._workspace_reach(tx, org_id, workspaces),
                )
            )

    def update_user(
        self, email: str, role: Role | None = None, workspaces: Sequence[str] | None = None
    ) -> None:
        """Change a member's role and/or replace their workspaces ([]: every workspace). Their
        sessions act with the new role and reach from the next request; their personal keys are
        capped by it. An ADMIN has no workspace list: promoted, the user reaches every workspace
        (and keeps doing so if demoted later without new workspaces)."""
        with self.store.transaction() as tx:
            user = self._user_row(tx.connection, email)
            becomes = role if role is not None else Role[user.organization_role]
            if becomes is Role.ADMIN and workspaces:
                raise AdminError(
                    f"{user.email} is an ADMIN user, who reaches every workspace: "
                    "give --role too to make them something else with these workspaces."
                    if role is None
                    else ADMIN_REACHES_ALL
                )
            values: dict[str, object] = {}
            if role is not None:
                values["organization_role"] = role.name
                values["role_id"] = self._role_id(tx.connection, user.organization_id, role)
            if role is Role.ADMIN:
                workspaces = []  # stored as every workspace, as it applies
            if workspaces is not None:
                values["workspaces"] = self._workspace_reach(tx, user.organization_id, workspaces)
            if values:
                tx.connection.execute(
                    update(t.users).where(t.users.c.id == user.id).values(**values)
                )

    def remove_user(self, email: str) -> None:
        """The user leaves for good: their sessions and personal keys stop working (and stay
        dead if the email is added again: that is a new member); service keys stay.

        A mint by one of their sessions running meanwhile either commits first (and its key is
        revoked here) or sees the removal and is refused: it reads its session and user rows
        inside its own transaction, locked (see Store.minting and _Directory.credential)."""
        now = datetime.now(UTC)
        with self.store.transaction() as tx:
            user = self._user_row(tx.connection, email)
            tx.connection.execute(
                update(t.users).where(t.users.c.id == user.id).values(removed_at=now)
            )
            tx.connection.execute(
                update(t.tokens)
                .where(
                    t.tokens.c.user_id == user.id,
                    t.tokens.c.personal.is_(True),  # sessions are personal too
                    t.tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )

    @staticmethod
    def _find_user(connection: Connection, org_id: uuid.UUID, email: str) -> UserRow | None:
        return connection.execute(
            select(t.users).where(
                t.users.c.organization_id == org_id,
                t.users.c.email == normalize_email(email),
                t.users.c.removed_at.is_(None),
            )
        ).first()

    def _user_row(self, connection: Connection, email: str) -> UserRow:
        row = self._find_user(connection, self._org_id(connection), email)
        if row is None:
            raise AdminError(f"There is no user {normalize_email(email)[:80]}.")
        return row

    def workspace_names(self, connection: Connection) -> dict[str, str]:
        """Workspace names by id (as stored in workspace lists)."""
        query = select(t.workspaces.c.id, t.workspaces.c.name).where(
            t.workspaces.c.organization_id == self._org_id(connection)
        )
        return {str(row.id): row.name for row in connection.execute(query)}

    def users(self) -> list[User]:
        with self.store.transaction() as tx:
            org_id = self._org_id(tx.connection)
            names = self.workspace_names(tx.connection)
            rows = tx.connection.execute(
                select(t.users)
                .where(t.users.c.organization_id == org_id, t.users.c.removed_at.is_(None))
                .order_by(t.users.c.email)
            )
            return [
                User(
                    id=row.id,
                    email=row.email,
                    role=Role[row.organization_role],
                    role_id=row.role_id,
                    # None for every ADMIN: nothing stores a list for one (migration 0003
                    # cleared those an older token-api stored).
                    workspaces=None
                    if row.workspaces is None
                    else sorted(names[w] for w in row.workspaces),
                )
                for row in rows
            ]

    def issue_token(self, email: str, lifetime: timedelta | None = DEFAULT_LIFETIME) -> str:
        """A personal API key for the user, with the user's role and reach: the user, signed in,
        minting a key by the API's own rules. ``lifetime`` None: it never expires."""
        with self.store.transaction() as tx:
            user = signed_in(tx.member(self._user_row(tx.connection, email).id))
            request = TokenRequest(
                name=f"{normalize_email(email)} (token-api users token)",
                organization_role=None,
                role_id=None,
                workspaces=(),
                expires=lifetime is not None,
                expires_at=None,
                personal=True,
            )
            _, secret = mint_token(
                user,
                request,
                now=datetime.now(UTC),
                directory=tx,
                default_lifetime=lifetime or DEFAULT_LIFETIME,
            )
            return secret

    def login(self, email: str, lifetime: timedelta = sessions.DEFAULT_LIFETIME) -> str:
        """A new session of the user (what the platform's sign-in gives a user's client)."""
        with self.store.transaction() as tx:
            member = tx.member(self._user_row(tx.connection, email).id)
            _, secret = sessions.open_session(
                member, now=datetime.now(UTC), lifetime=lifetime, directory=tx
            )
            return secret

    def logout(self, email: str) -> int:
        """End every session of the user; returns how many were still open. A mint by one of
        them running meanwhile commits first (this waits for it) or is refused: it reads its
        session inside its own transaction, locked, even when its request's headers (and the
        session's check) came before the logout."""
        now = datetime.now(UTC)
        with self.store.transaction() as tx:
            user = self._user_row(tx.connection, email)
            ended = tx.connection.execute(
                update(t.tokens)
                .where(
                    t.tokens.c.user_id == user.id,
                    t.tokens.c.kind == Kind.SESSION.value,
                    t.tokens.c.revoked_at.is_(None),
                    (t.tokens.c.expires_at > now) | t.tokens.c.expires_at.is_(None),
                )
                .values(revoked_at=now)
            )
            return ended.rowcount


DEMO_WORKSPACES = ("default", "research", "staging", "production")
DEMO_USERS: tuple[tuple[str, Role, tuple[str, ...]], ...] = (
    ("admin@example.com", Role.ADMIN, ()),
    ("member@example.com", Role.MEMBER, ("default", "research", "staging")),
    ("external@example.com", Role.EXTERNAL, ("research",)),
)


def seed_demo(organization: Organization) -> bool:
    """The demo organization: three users of each role, four workspaces. False when everything
    was already there."""
    created = organization.ensure()
    existing = set(organization.workspaces())
    for name in DEMO_WORKSPACES:
        if name not in existing:
            organization.add_workspace(name)
            created = True
    present = {user.email for user in organization.users()}
    for email, role, workspaces in DEMO_USERS:
        if email not in present:
            organization.add_user(email, role, workspaces)
            created = True
    return created
