"""The Store: everything the server reads and writes, behind a handful of methods."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, exc, text

from token_api.domain.errors import Unavailable
from token_api.domain.minting import TokenGrant
from token_api.domain.principal import Credential, Reach
from token_api.domain.roles import Role
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


# The server's own statements (authenticate, mint) run as SQL on the driver's cursor, inside a
# connection and transaction that SQLAlchemy manages. Profiled under load, SQLAlchemy's work per
# statement (compiled-cache lookup, parameter processing, result objects) cost about as much as
# the statements themselves; the pool, begin/commit/rollback, pre-ping and invalidation stay
# SQLAlchemy's. The SQL names the columns of ``tables.py``, and values are stored exactly as
# SQLAlchemy's types store them (``_Dialect``), so both paths read each other's rows.
_CREDENTIAL = (
    "SELECT t.id, t.organization_id, t.user_id, t.secret_digest, t.organization_role, "
    "t.role_id, t.personal, t.workspaces, t.expires_at, t.revoked_at, "
    "u.organization_role, u.workspaces, u.removed_at "
    "FROM tokens AS t JOIN users AS u ON u.id = t.user_id WHERE t.secret_digest = {p}"
)
_ROLE_EXISTS = "SELECT 1 FROM roles WHERE organization_id = {p} AND id = {p}"
_WORKSPACE_IDS = "SELECT name, id FROM workspaces WHERE organization_id = {p} AND name IN ({ps})"
_INSERT_TOKEN = (
    "INSERT INTO tokens (id, organization_id, user_id, name, secret_digest, organization_role, "
    "role_id, personal, workspaces, expires_at, created_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {json}, {p}, {p})"
)


def _json(value: Any) -> str:
    # SQLAlchemy's JSON type stores None as the JSON text 'null' (not SQL NULL); so do we.
    return orjson.dumps(value).decode()


def _sqlite_time(moment: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME format, in UTC without an offset (tables.UTCDateTime).
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_time_result(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


@dataclass(frozen=True)
class _Dialect:
    """How one backend spells parameters and stores UUIDs, JSON and times."""

    placeholder: str
    json_placeholder: str
    uuid_in: Callable[[uuid.UUID], Any]
    uuid_out: Callable[[Any], uuid.UUID]
    json_out: Callable[[Any], Any]
    time_in: Callable[[datetime | None], Any]
    time_out: Callable[[Any], datetime | None]

    def sql(self, template: str, count: int = 0) -> str:
        return template.format(
            p=self.placeholder,
            json=self.json_placeholder,
            ps=", ".join([self.placeholder] * count),
        )


_DIALECTS = {
    # SQLAlchemy's Uuid is CHAR(32) hex on SQLite, JSON is text, booleans are 0/1.
    "sqlite": _Dialect(
        placeholder="?",
        json_placeholder="?",
        uuid_in=lambda value: value.hex,
        uuid_out=uuid.UUID,
        json_out=lambda value: None if value is None else orjson.loads(value),
        time_in=_sqlite_time,
        time_out=_sqlite_time_result,
    ),
    # psycopg 3 adapts UUIDs and aware datetimes itself and parses json columns.
    "postgresql": _Dialect(
        placeholder="%s",
        json_placeholder="%s::json",
        uuid_in=lambda value: value,
        uuid_out=lambda value: value,
        json_out=lambda value: value,
        time_in=lambda value: value,
        time_out=_aware,
    ),
}


@contextmanager
def _driver_errors(connection: Connection) -> Iterator[Any]:
    """The driver's cursor on ``connection``; its errors handled as SQLAlchemy would (a lost
    connection is invalidated, so the pool replaces it) and mapped as ``database_errors``."""
    raw = connection.connection.driver_connection
    assert raw is not None, "a checked-out connection has its driver connection"
    dbapi = connection.dialect.loaded_dbapi
    cursor = raw.cursor()
    try:
        yield cursor
    except (dbapi.OperationalError, dbapi.InterfaceError) as error:
        if connection.dialect.is_disconnect(error, raw, cursor):
            connection.invalidate(error)
        raise Unavailable() from error
    finally:
        cursor.close()


class Transaction:
    """One database transaction, implementing the domain's Directory."""

    def __init__(self, connection: Connection, dialect: _Dialect | None = None) -> None:
        self.connection = connection
        self._dialect = dialect or _DIALECTS[connection.dialect.name]

    def role_exists(self, organization_id: uuid.UUID, role_id: uuid.UUID) -> bool:
        d = self._dialect
        with _driver_errors(self.connection) as cursor:
            cursor.execute(d.sql(_ROLE_EXISTS), (d.uuid_in(organization_id), d.uuid_in(role_id)))
            return cursor.fetchone() is not None

    def workspace_ids(
        self, organization_id: uuid.UUID, names: Sequence[str]
    ) -> Mapping[str, uuid.UUID]:
        if not names:
            return {}
        d = self._dialect
        with _driver_errors(self.connection) as cursor:
            cursor.execute(d.sql(_WORKSPACE_IDS, len(names)), (d.uuid_in(organization_id), *names))
            return {name: d.uuid_out(id_) for name, id_ in cursor.fetchall()}

    def insert_token(self, grant: TokenGrant, secret_digest: bytes) -> None:
        d = self._dialect
        with _driver_errors(self.connection) as cursor:
            cursor.execute(
                d.sql(_INSERT_TOKEN),
                (
                    d.uuid_in(grant.token_id),
                    d.uuid_in(grant.organization_id),
                    d.uuid_in(grant.user_id),
                    grant.name,
                    secret_digest,
                    grant.role.name,
                    d.uuid_in(grant.role_id),
                    grant.personal,
                    _json(reach_to_json(grant.workspaces)),
                    d.time_in(grant.expires_at),
                    d.time_in(grant.created_at),
                ),
            )


class Store:
    """The server's view of the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = _DIALECTS[engine.dialect.name]
        self._credential_sql = self._dialect.sql(_CREDENTIAL)

    @classmethod
    def connect(cls, url: str) -> Store:
        return cls(create_engine_for(url))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Commits when the block ends without an exception; the commit is durable on return."""
        with database_errors(), self.engine.begin() as connection:
            yield Transaction(connection, self._dialect)

    def find_credential(self, secret_digest: bytes) -> Credential | None:
        d = self._dialect
        with (
            database_errors(),
            self.engine.connect() as connection,
            _driver_errors(connection) as cursor,
        ):
            cursor.execute(self._credential_sql, (secret_digest,))
            row = cursor.fetchone()
        # The lookup is by an indexed digest; compare once more in constant time anyway.
        if row is None or not hmac.compare_digest(bytes(row[3]), secret_digest):
            return None
        (token_id, organization_id, user_id, _, token_role, role_id, personal, workspaces) = row[:8]
        expires_at, revoked_at, user_role, user_workspaces, removed_at = row[8:]
        return Credential(
            token_id=d.uuid_out(token_id),
            organization_id=d.uuid_out(organization_id),
            user_id=d.uuid_out(user_id),
            token_role=Role[token_role],
            role_id=d.uuid_out(role_id),
            personal=bool(personal),
            token_workspaces=reach_from_json(d.json_out(workspaces)),
            expires_at=d.time_out(expires_at),
            revoked=revoked_at is not None,
            user_role=Role[user_role],
            user_workspaces=reach_from_json(d.json_out(user_workspaces)),
            user_active=removed_at is None,
        )

    def ping(self) -> None:
        with database_errors(), self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
