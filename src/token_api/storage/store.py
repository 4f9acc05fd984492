"""The Store: everything the server reads and writes, behind a handful of methods."""

from __future__ import annotations

import hmac
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, exc, text
from sqlalchemy.pool import QueuePool

from token_api.domain.errors import Unavailable
from token_api.domain.minting import TokenGrant
from token_api.domain.principal import Credential, Kind, Member, Reach
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


# The server's own statements (authenticate, mint) run as SQL on the driver's cursor, naming the
# columns of tables.py and storing values as SQLAlchemy's types do (_Dialect), so both paths read
# each other's rows: SQLAlchemy's work per statement cost as much as the statement
# (docs/decisions/driver-connections.md).
_MEMBER_COLUMNS = (
    "u.id, u.organization_id, u.organization_role, u.role_id, u.workspaces, u.removed_at"
)
_CREDENTIAL_ROW = (
    "SELECT t.id, t.kind, t.secret_digest, t.organization_role, t.role_id, t.personal, "
    f"t.workspaces, t.expires_at, t.revoked_at, {_MEMBER_COLUMNS} "
    "FROM tokens AS t JOIN users AS u ON u.id = t.user_id "
)
_CREDENTIAL = _CREDENTIAL_ROW + "WHERE t.secret_digest = {p}"
# FOR SHARE on PostgreSQL (both rows of the join): concurrent mints of one user do not wait for
# each other, but a change to the user (removal, demotion) or to the caller's session (logout)
# waits for them, and they for it. SQLite has no row locks: there the transaction holds the
# database's write lock from its start (BEGIN IMMEDIATE).
_CALLER = _CREDENTIAL_ROW + "WHERE t.id = {p}{share}"
# The user's row is locked before the credential's: `users remove` takes them in that order (the
# user, then their tokens), and a join locks its rows in an order of the planner's choosing, so
# a mint and a removal would each hold one and wait for the other (PostgreSQL: deadlock).
_LOCK_CALLERS_USER = (
    "SELECT 1 FROM users WHERE id = (SELECT user_id FROM tokens WHERE id = {p}){share}"
)
_MEMBER = f"SELECT {_MEMBER_COLUMNS} FROM users AS u WHERE u.id = {{p}}{{share}}"
_ROLE_EXISTS = "SELECT 1 FROM roles WHERE organization_id = {p} AND id = {p}"
_WORKSPACE_IDS = "SELECT name, id FROM workspaces WHERE organization_id = {p} AND name IN ({ps})"
_INSERT_TOKEN = (
    "INSERT INTO tokens (id, kind, organization_id, user_id, name, secret_digest, "
    "organization_role, role_id, personal, workspaces, expires_at, created_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {json}, {p}, {p})"
)


def _json(value: Any) -> str:
    # SQLAlchemy's JSON type stores None as the JSON text 'null' (not SQL NULL); so do we.
    return orjson.dumps(value).decode()


def _sqlite_time(moment: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME format, in UTC without an offset (tables.UTCDateTime).
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_time_result(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


@dataclass(frozen=True, eq=False)
class _Dialect:
    """How one backend spells parameters and stores UUIDs, JSON and times."""

    placeholder: str
    json_placeholder: str
    share_lock: str
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
            share=self.share_lock,
        )

    @cached_property
    def role_exists(self) -> str:
        return self.sql(_ROLE_EXISTS)

    @cached_property
    def insert_token(self) -> str:
        return self.sql(_INSERT_TOKEN)

    @cached_property
    def credential(self) -> str:
        return self.sql(_CREDENTIAL)

    @cached_property
    def caller(self) -> str:
        return self.sql(_CALLER)

    @cached_property
    def lock_callers_user(self) -> str | None:
        # SQLite locks the whole database at BEGIN IMMEDIATE: no row lock to order.
        return self.sql(_LOCK_CALLERS_USER) if self.share_lock else None

    @cached_property
    def member(self) -> str:
        return self.sql(_MEMBER)

    def credential_from(self, row: Sequence[Any]) -> Credential:
        """A Credential from the columns of ``_CREDENTIAL_ROW``."""
        token_id, kind, _, token_role, role_id, personal, workspaces = row[:7]
        expires_at, revoked_at = row[7:9]
        return Credential(
            token_id=self.uuid_out(token_id),
            kind=Kind(kind),
            token_role=None if token_role is None else Role[token_role],
            role_id=None if role_id is None else self.uuid_out(role_id),
            personal=bool(personal),
            token_workspaces=reach_from_json(self.json_out(workspaces)),
            expires_at=self.time_out(expires_at),
            revoked=revoked_at is not None,
            user=self.member_from(row[9:]),
        )

    def member_from(self, row: Sequence[Any]) -> Member:
        """A Member from the six columns of ``_MEMBER_COLUMNS``."""
        user_id, organization_id, role, role_id, workspaces, removed_at = row
        return Member(
            user_id=self.uuid_out(user_id),
            organization_id=self.uuid_out(organization_id),
            role=Role[role],
            role_id=self.uuid_out(role_id),
            workspaces=reach_from_json(self.json_out(workspaces)),
            active=removed_at is None,
        )

    @cache  # noqa: B019 (two dialects, for the life of the process)
    def workspace_ids(self, count: int) -> str:
        return self.sql(_WORKSPACE_IDS, count)


_DIALECTS = {
    # SQLAlchemy's Uuid is CHAR(32) hex on SQLite, JSON is text, booleans are 0/1.
    "sqlite": _Dialect(
        placeholder="?",
        json_placeholder="?",
        share_lock="",
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
        share_lock=" FOR SHARE",
        uuid_in=lambda value: value,
        uuid_out=lambda value: value,
        json_out=lambda value: value,
        time_in=lambda value: value,
        time_out=_aware,
    ),
}


@contextmanager
def _driver_errors(
    dialect: Any, raw: Any, on_disconnect: Callable[[Exception], None] | None
) -> Iterator[None]:
    """The driver's connection failures as ``Unavailable`` (503); ``on_disconnect`` is told when
    the connection itself is lost, so that it is not used again."""
    dbapi = dialect.loaded_dbapi
    try:
        yield
    except (dbapi.OperationalError, dbapi.InterfaceError) as error:
        if on_disconnect is not None and dialect.is_disconnect(error, raw, None):
            on_disconnect(error)
        raise Unavailable() from error


class _Directory:
    """The domain's Directory as SQL on one driver cursor."""

    def __init__(self, cursor: Any, dialect: _Dialect) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def member(self, user_id: uuid.UUID) -> Member | None:
        d = self._dialect
        self._cursor.execute(d.member, (d.uuid_in(user_id),))
        row = self._cursor.fetchone()
        return None if row is None else d.member_from(row)

    def credential(self, token_id: uuid.UUID) -> Credential | None:
        d = self._dialect
        if d.lock_callers_user is not None:
            self._cursor.execute(d.lock_callers_user, (d.uuid_in(token_id),))
        self._cursor.execute(d.caller, (d.uuid_in(token_id),))
        row = self._cursor.fetchone()
        return None if row is None else d.credential_from(row)

    def role_exists(self, organization_id: uuid.UUID, role_id: uuid.UUID) -> bool:
        d = self._dialect
        self._cursor.execute(d.role_exists, (d.uuid_in(organization_id), d.uuid_in(role_id)))
        return self._cursor.fetchone() is not None

    def workspace_ids(
        self, organization_id: uuid.UUID, names: Sequence[str]
    ) -> Mapping[str, uuid.UUID]:
        if not names:
            return {}
        d = self._dialect
        self._cursor.execute(d.workspace_ids(len(names)), (d.uuid_in(organization_id), *names))
        return {name: d.uuid_out(id_) for name, id_ in self._cursor.fetchall()}

    def insert_token(self, grant: TokenGrant, secret_digest: bytes) -> None:
        d = self._dialect
        self._cursor.execute(
            d.insert_token,
            (
                d.uuid_in(grant.token_id),
                grant.kind.value,
                d.uuid_in(grant.organization_id),
                d.uuid_in(grant.user_id),
                grant.name,
                secret_digest,
                None if grant.role is None else grant.role.name,
                None if grant.role_id is None else d.uuid_in(grant.role_id),
                grant.personal,
                _json(reach_to_json(grant.workspaces)),
                d.time_in(grant.expires_at),
                d.time_in(grant.created_at),
            ),
        )


class Transaction(_Directory):
    """One database transaction on a SQLAlchemy connection, implementing the domain's Directory
    (the administration commands use ``connection`` for everything else)."""

    def __init__(self, connection: Connection, cursor: Any, dialect: _Dialect) -> None:
        super().__init__(cursor, dialect)
        self.connection = connection


class _ThreadConnection(threading.local):
    driver: Any = None
    used: float = 0.0


# A connection unused for this long is pinged before it serves again (a database restarted
# meanwhile would otherwise fail the first request on it); under load, never.
_IDLE_BEFORE_PING = 5.0


class Store:
    """The server's view of the database. Its calls (``find_credential``, ``minting``) run on a
    driver connection of the calling thread's own, detached from the pool, at most as many as the
    pool holds (docs/decisions/driver-connections.md); everything else uses the pool.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = _DIALECTS[engine.dialect.name]
        self._postgres = engine.dialect.name == "postgresql"
        self._local = _ThreadConnection()
        self._lock = threading.Lock()
        self._drivers: list[Any] = []
        pool = engine.pool
        self._most_thread_connections = pool.size() if isinstance(pool, QueuePool) else 1

    @classmethod
    def connect(cls, url: str, *, lock_timeout: float = 10.0) -> Store:
        return cls(create_engine_for(url, lock_timeout=lock_timeout))

    def close(self) -> None:
        with self._lock:
            drivers, self._drivers = self._drivers, []
        for driver in drivers:
            with suppress(Exception):
                driver.close()
        self.engine.dispose()

    def _thread_connection(self) -> Any:
        """This thread's own driver connection; None when as many threads as the pool holds
        connections already have one (a caller running many threads, such as a thread-pool
        server, then borrows from the pool per call instead of opening ever more)."""
        local = self._local
        driver = local.driver
        now = time.monotonic()
        if driver is not None and self._postgres and now - local.used > _IDLE_BEFORE_PING:
            try:
                with driver.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except Exception:
                self._drop(driver)
                driver = None
        if driver is None:
            with self._lock:
                if len(self._drivers) >= self._most_thread_connections:
                    return None
            # The pool's raw connections raise the driver's own errors, not SQLAlchemy's.
            with database_errors(), _driver_errors(self.engine.dialect, None, None):
                pooled = self.engine.raw_connection()
            driver = pooled.driver_connection
            assert driver is not None, "a new connection has its driver connection"
            pooled.detach()
            if self._postgres:
                driver.autocommit = True
            with self._lock:
                self._drivers.append(driver)
            local.driver = driver
        local.used = now
        return driver

    def _drop(self, driver: Any) -> None:
        if self._local.driver is driver:
            self._local.driver = None
        with self._lock:
            if driver in self._drivers:
                self._drivers.remove(driver)
        with suppress(Exception):
            driver.close()

    @contextmanager
    def _cursor(self) -> Iterator[tuple[Any, Any]]:
        """(driver connection, cursor) for one call: the thread's own connection, or one
        borrowed from the pool for the call; driver errors as 503, a lost connection dropped."""
        dialect = self.engine.dialect
        driver = self._thread_connection()
        pooled = None
        if driver is None:
            with database_errors(), _driver_errors(dialect, None, None):
                pooled = self.engine.raw_connection()
            driver = pooled.driver_connection
        lost = (lambda _: self._drop(driver)) if pooled is None else pooled.invalidate
        try:
            with _driver_errors(dialect, driver, lost):
                cursor = driver.cursor()
                try:
                    yield driver, cursor
                finally:
                    cursor.close()
        finally:
            if pooled is not None:
                pooled.close()  # back to the pool, which rolls back what is left open

    @contextmanager
    def minting(self) -> Iterator[_Directory]:
        """The server's write path: one transaction, committed (durably) when the block ends
        without an exception, rolled back otherwise."""
        with self._cursor() as (driver, cursor):
            if self._postgres:
                # psycopg's transaction block: BEGIN ... COMMIT, also on an autocommit connection.
                with driver.transaction():
                    yield _Directory(cursor, self._dialect)
                return
            # The write lock from the start: what the mint reads (its user) cannot change before it
            # commits (Python's sqlite3 would begin only at the INSERT).
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield _Directory(cursor, self._dialect)
            except BaseException:
                driver.rollback()
                raise
            driver.commit()

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
            raw = connection.connection.driver_connection
            assert raw is not None, "a checked-out connection has its driver connection"
            cursor = raw.cursor()
            try:
                with _driver_errors(connection.dialect, raw, connection.invalidate):
                    yield Transaction(connection, cursor, self._dialect)
            finally:
                cursor.close()

    def find_credential(self, secret_digest: bytes) -> Credential | None:
        d = self._dialect
        with self._cursor() as (_, cursor):
            cursor.execute(d.credential, (secret_digest,))
            row = cursor.fetchone()
        # The lookup is by an indexed digest; compare once more in constant time anyway.
        if row is None or not hmac.compare_digest(bytes(row[2]), secret_digest):
            return None
        return d.credential_from(row)

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
