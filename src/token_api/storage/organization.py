"""Administration of the organization a database holds: roles, workspaces, users, their tokens.

One database holds one organization (as one deployment of the platform serves one). These are the
operations behind ``token-api init / users / workspaces``; the server itself never calls them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from token_api.domain.minting import (
    DEFAULT_LIFETIME,
    MAX_WORKSPACE_NAME_LENGTH,
    TokenRequest,
    mint_token,
)
from token_api.domain.principal import Principal, user_reach
from token_api.domain.roles import Role
from token_api.storage import tables as t
from token_api.storage.store import Store, Transaction, reach_from_json, reach_to_json

DEFAULT_ORGANIZATION = "default"
ROLE_NAMES = {Role.ADMIN: "Admin", Role.MEMBER: "Member", Role.EXTERNAL: "External"}


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
            raise AdminError("The database holds no organization yet: run 'token-api init' first.")
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

    def add_user(self, email: str, role: Role, workspaces: Sequence[str] = ()) -> None:
        """Add a user (or bring a removed one back); no workspaces means every workspace."""
        with self.store.transaction() as tx:
            org_id = self._org_id(tx.connection)
            found = tx.workspace_ids(org_id, list(workspaces))
            missing = [name for name in workspaces if name not in found]
            if missing:
                raise AdminError(f"There is no workspace {missing[0]!r}.")
            values = {
                "organization_role": role.name,
                "role_id": self._role_id(tx.connection, org_id, role),
                "workspaces": reach_to_json(frozenset(found.values())) if workspaces else None,
                "removed_at": None,
            }
            existing = tx.connection.execute(
                select(t.users.c.id, t.users.c.removed_at).where(
                    t.users.c.organization_id == org_id, t.users.c.email == email
                )
            ).first()
            if existing is None:
                tx.connection.execute(
                    insert(t.users).values(
                        id=uuid.uuid4(), organization_id=org_id, email=email, **values
                    )
                )
            elif existing.removed_at is None:
                raise AdminError(f"The user {email} already exists.")
            else:
                tx.connection.execute(
                    update(t.users).where(t.users.c.id == existing.id).values(**values)
                )

    def remove_user(self, email: str) -> None:
        """The user leaves: their personal tokens stop working for good; service tokens stay."""
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
                    t.tokens.c.personal.is_(True),
                    t.tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )

    def _user_row(self, connection: Connection, email: str):  # type: ignore[no-untyped-def]
        org_id = self._org_id(connection)
        row = connection.execute(
            select(t.users).where(
                t.users.c.organization_id == org_id,
                t.users.c.email == email,
                t.users.c.removed_at.is_(None),
            )
        ).first()
        if row is None:
            raise AdminError(f"There is no user {email}.")
        return row

    def users(self) -> list[User]:
        with self.store.transaction() as tx:
            org_id = self._org_id(tx.connection)
            names = {
                str(row.id): row.name
                for row in tx.connection.execute(
                    select(t.workspaces.c.id, t.workspaces.c.name).where(
                        t.workspaces.c.organization_id == org_id
                    )
                )
            }
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
                    workspaces=None
                    if row.workspaces is None
                    else sorted(names[w] for w in row.workspaces),
                )
                for row in rows
            ]

    def issue_token(self, email: str, lifetime: timedelta | None = DEFAULT_LIFETIME) -> str:
        """A personal token for the user, with the user's role and reach (the same rules as the
        API: the user acts as themselves). ``lifetime`` None: it never expires."""
        with self.store.transaction() as tx:
            return self._issue(tx, email, lifetime)

    def _issue(self, tx: Transaction, email: str, lifetime: timedelta | None) -> str:
        row = self._user_row(tx.connection, email)
        role = Role[row.organization_role]
        itself = Principal(
            token_id=uuid.uuid4(),
            organization_id=row.organization_id,
            user_id=row.id,
            role=role,
            role_id=row.role_id,
            personal=True,
            workspaces=user_reach(role, reach_from_json(row.workspaces)),
        )
        request = TokenRequest(
            name=f"{email} (token-api users token)",
            organization_role=None,
            role_id=None,
            workspaces=(),
            expires=lifetime is not None,
            expires_at=None,
            personal=True,
        )
        now = datetime.now(UTC)
        _, secret = mint_token(
            itself,
            request,
            now=now,
            directory=tx,
            default_lifetime=lifetime or DEFAULT_LIFETIME,
        )
        return secret


DEMO_WORKSPACES = ("default", "research", "staging", "production")
DEMO_USERS: tuple[tuple[str, Role, tuple[str, ...]], ...] = (
    ("admin@example.com", Role.ADMIN, ()),
    ("member@example.com", Role.MEMBER, ("default", "research", "staging")),
    ("external@example.com", Role.EXTERNAL, ("research",)),
)


def seed_demo(organization: Organization) -> None:
    """The demo organization: three users of each role, four workspaces."""
    organization.ensure()
    existing = set(organization.workspaces())
    for name in DEMO_WORKSPACES:
        if name not in existing:
            organization.add_workspace(name)
    present = {user.email for user in organization.users()}
    for email, role, workspaces in DEMO_USERS:
        if email not in present:
            organization.add_user(email, role, workspaces)
