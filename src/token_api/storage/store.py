"""The Store: everything the server reads and writes, behind a handful of methods."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, exc, insert, select, text

from token_api.domain.errors import Unavailable
from token_api.domain.minting import TokenGrant
from token_api.domain.principal import Credential, Kind, Member, Reach
from token_api.domain.roles import Role
from token_api.storage import tables as t
from token_api.storage.engine import create_engine_for


def reach_to_json(reach: Reach) -> list[str] | None:
    return None if reach is None else sorted(str(w) for w in reach)


def reach_from_json(value: list[str] | None) -> Reach:
    return None if value is None else frozenset(uuid.UUID(w) for w in value)


@contextmanager
def database_errors() -> Iterator[None]:
    """Connection failures become Unavailable (503); anything else is a bug and propagates."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
        # TimeoutError: no pooled connection came free in time, as good as no database.
        raise Unavailable() from error
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise Unavailable() from error
        raise


_MEMBER_COLUMNS = (
    t.users.c.id.label("user_id"),
    t.users.c.organization_id,
    t.users.c.organization_role.label("user_role"),
    t.users.c.role_id.label("user_role_id"),
    t.users.c.workspaces.label("user_workspaces"),
    t.users.c.removed_at,
)


def _member(row: Row[*tuple[Any, ...]]) -> Member:  # a row with _MEMBER_COLUMNS
    return Member(
        user_id=row.user_id,
        organization_id=row.organization_id,
        role=Role[row.user_role],
        role_id=row.user_role_id,
        workspaces=reach_from_json(row.user_workspaces),
        active=row.removed_at is None,
    )


_CREDENTIAL = (
    select(
        t.tokens.c.id,
        t.tokens.c.kind,
        t.tokens.c.secret_digest,
        t.tokens.c.organization_role,
        t.tokens.c.role_id,
        t.tokens.c.personal,
        t.tokens.c.workspaces,
        t.tokens.c.expires_at,
        t.tokens.c.revoked_at,
        *_MEMBER_COLUMNS,
    )
    .join(t.users, t.users.c.id == t.tokens.c.user_id)
    .where(t.tokens.c.secret_digest == bindparam("digest"))
)


# The statements the server runs per request are built once: building one costs more than
# running it (SQLAlchemy coerces and cache-keys literal values on every construction).
_ROLE_EXISTS = select(t.roles.c.id).where(
    t.roles.c.organization_id == bindparam("organization_id"), t.roles.c.id == bindparam("role_id")
)
_WORKSPACE_IDS = select(t.workspaces.c.name, t.workspaces.c.id).where(
    t.workspaces.c.organization_id == bindparam("organization_id"),
    t.workspaces.c.name.in_(bindparam("names", expanding=True)),
)
# FOR SHARE on PostgreSQL: concurrent mints of one user do not wait for each other, but a change
# to the user (removal, demotion) waits for them, and they for it. SQLite renders no lock: there
# the transaction holds the database's write lock from its start (Store.transaction).
_MEMBER = (
    select(*_MEMBER_COLUMNS).where(t.users.c.id == bindparam("user_id")).with_for_update(read=True)
)
_INSERT_TOKEN = insert(t.tokens)


class Transaction:
    """One database transaction, implementing the domain's Directory."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def member(self, user_id: uuid.UUID) -> Member | None:
        row = self.connection.execute(_MEMBER, {"user_id": user_id}).first()
        return None if row is None else _member(row)

    def role_exists(self, organization_id: uuid.UUID, role_id: uuid.UUID) -> bool:
        parameters = {"organization_id": organization_id, "role_id": role_id}
        return self.connection.execute(_ROLE_EXISTS, parameters).first() is not None

    def workspace_ids(
        self, organization_id: uuid.UUID, names: Sequence[str]
    ) -> Mapping[str, uuid.UUID]:
        parameters = {"organization_id": organization_id, "names": list(names)}
        return {row.name: row.id for row in self.connection.execute(_WORKSPACE_IDS, parameters)}

    def insert_token(self, grant: TokenGrant, secret_digest: bytes) -> None:
        self.connection.execute(
            _INSERT_TOKEN,
            {
                "id": grant.token_id,
                "kind": grant.kind.value,
                "organization_id": grant.organization_id,
                "user_id": grant.user_id,
                "name": grant.name,
                "secret_digest": secret_digest,
                "organization_role": None if grant.role is None else grant.role.name,
                "role_id": grant.role_id,
                "personal": grant.personal,
                "workspaces": reach_to_json(grant.workspaces),
                "expires_at": grant.expires_at,
                "created_at": grant.created_at,
            },
        )


class Store:
    """The server's view of the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str, *, lock_timeout: float = 10.0) -> Store:
        return cls(create_engine_for(url, lock_timeout=lock_timeout))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Commits when the block ends without an exception; the commit is durable on return.

        On SQLite the transaction takes the database's write lock as it begins (BEGIN
        IMMEDIATE; Python's sqlite3 would otherwise begin only at the first write): what it reads
        cannot change before it commits, as a mint must see the user it stores a key for.
        """
        with database_errors(), self.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield Transaction(connection)

    def find_credential(self, secret_digest: bytes) -> Credential | None:
        with database_errors(), self.engine.connect() as connection:
            row = connection.execute(_CREDENTIAL, {"digest": secret_digest}).first()
        # The lookup is by an indexed digest; compare once more in constant time anyway.
        if row is None or not hmac.compare_digest(row.secret_digest, secret_digest):
            return None
        return Credential(
            token_id=row.id,
            kind=Kind(row.kind),
            token_role=None if row.organization_role is None else Role[row.organization_role],
            role_id=row.role_id,
            personal=row.personal,
            token_workspaces=reach_from_json(row.workspaces),
            expires_at=row.expires_at,
            revoked=row.revoked_at is not None,
            user=_member(row),
        )

    def ping(self) -> None:
        with database_errors(), self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def probe_write(self) -> None:
        """Commit a write that changes nothing, to learn whether the database can store."""
        with database_errors(), self.engine.begin() as connection:
            if self.engine.dialect.name == "sqlite":
                # Rewrites the database header with its own value: one page through the WAL.
                version = connection.execute(text("PRAGMA user_version")).scalar_one()
                connection.execute(text(f"PRAGMA user_version = {int(version)}"))
            else:
                # A transaction id makes the commit write a WAL record.
                connection.execute(text("SELECT pg_current_xact_id()"))
