"""Engines for the two supported backends, and turning driver errors into one exception."""

from __future__ import annotations

import os
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError


class DatabaseError(Exception):
    """A database URL or database this tool cannot use; the message is one sentence."""


# SQLite result codes of a database that cannot store anything: SQLITE_IOERR, SQLITE_READONLY,
# SQLITE_CANTOPEN, SQLITE_FULL (the primary code is the low byte of an extended one).
_SQLITE_CANNOT_STORE = frozenset((10, 8, 14, 13))
# SQLITE_BUSY, SQLITE_LOCKED.
_SQLITE_LOCKED = frozenset((5, 6))
# PostgreSQL's SQLSTATE class 53 (insufficient resources: disk full, out of memory, ...).
_POSTGRES_CANNOT_STORE = "53"
# SQLSTATEs of a PostgreSQL that could not run a statement just then, whatever the statement:
# classes 08 (connection), 40 (deadlock, serialization: try again), 53 (resources), 57 (shutdown,
# cancelled, timed out), 58 (I/O), and 55P03 (a lock not granted in time).
_POSTGRES_OUTAGE = ("08", "40", "53", "57", "58", "55P03")

# WAL pages after which a commit checkpoints them into the database (SQLite's default is
# 1,000, about 4 MB, which on a nearly full disk was more than fitted), and the size the WAL file
# is cut back to after a checkpoint (SQLite otherwise keeps the file at its largest).
WAL_CHECKPOINT_PAGES = 256
WAL_SIZE_LIMIT_BYTES = 1024 * 1024


def is_lock_conflict(error: BaseException | None) -> bool:
    """Whether a driver error (or SQLAlchemy's wrapper of one) is SQLite's SQLITE_BUSY or
    SQLITE_LOCKED: another connection holds the lock; trying again later may work."""
    code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_LOCKED


def is_storage_failure(error: BaseException | None) -> bool:
    """Whether a driver error (or SQLAlchemy's wrapper of one) says the database cannot store:
    a full disk, a read-only or unwritable file; not a lock, a lost connection or a bug."""
    original = getattr(error, "orig", error)
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_CANNOT_STORE
    return str(getattr(original, "sqlstate", "") or "").startswith(_POSTGRES_CANNOT_STORE)


def is_outage(error: BaseException | None) -> bool:
    """Whether a driver error (or SQLAlchemy's wrapper of one) says the database could not be
    used just then (lost, locked, unable to store, shutting down), rather than that a statement
    failed on what is stored: SQLite reports both as OperationalError, so the code decides."""
    if getattr(error, "connection_invalidated", False):
        return True
    original = getattr(error, "orig", error)
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_LOCKED | _SQLITE_CANNOT_STORE
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return str(sqlstate).startswith(_POSTGRES_OUTAGE)
    # No SQLSTATE: the driver failed before the server answered. DB-API 2 names the classes of
    # a connection that failed (every driver's errors derive from its own classes of these names).
    return any(
        kind.__name__ in ("OperationalError", "InterfaceError") for kind in type(original).__mro__
    )


def normalize_url(url: str) -> str:
    """Accept the URLs people type: ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(lock_timeout_ms: int, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # How long a statement waits for another connection's lock before SQLITE_BUSY.
    cursor.execute(f"PRAGMA busy_timeout={lock_timeout_ms}")
    # WAL lets readers run beside the single writer. synchronous=NORMAL in WAL mode loses nothing
    # when the process dies (SIGKILL); only an OS crash or power loss can drop the last commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_owner_only(path: Path) -> None:
    """Create a new database file readable by its owner only (0600). SQLite would create it
    0644 (emails, key names, digests for anyone on the machine to read), and it creates the
    -wal and -shm files beside it with the database file's mode: so they are 0600 too. An empty
    file is an empty database. An existing file keeps its mode; anything else (a folder one may
    not write) is left for SQLite to report."""
    with suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def create_engine_for(url: str, *, lock_timeout: float = 10.0) -> Engine:
    """``lock_timeout``: seconds a SQLite statement waits for another connection's lock (the
    server passes 0 and waits asynchronously instead: server/service.py)."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ValueError:  # SQLAlchemy's int() of the port; the URL is not echoed (a password)
        raise DatabaseError("The database URL's port is not a number.") from None
    except ArgumentError:
        raise DatabaseError(
            f"{url!r} is not a database URL (try sqlite:///FILE or postgresql+psycopg://...)."
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(f"The {backend!r} database is not supported: use SQLite or PostgreSQL.")
    try:
        if backend == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                raise DatabaseError(
                    "SQLite needs a file (sqlite:///FILE): an in-memory database is lost on exit."
                )
            folder = Path(parsed.database).resolve().parent
            if not folder.is_dir():
                raise DatabaseError(
                    f"The folder {str(folder)!r} for the SQLite database does not exist."
                )
            if "uri" not in parsed.query:  # a file: URI names its file its own way
                _create_owner_only(Path(parsed.database))
            # One connection per process: SQLite has one writer at a time, and the server calls
            # it from the event loop only (server/service.py). It also keeps one warm page cache.
            engine = create_engine(parsed, pool_size=1, max_overflow=0)
            event.listen(engine, "connect", partial(_sqlite_pragmas, int(lock_timeout * 1000)))
            return engine
        return create_engine(
            parsed,
            pool_size=10,
            max_overflow=10,
            pool_pre_ping=True,
            pool_timeout=5,
            connect_args={"connect_timeout": 3},
        )
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"No driver for {parsed.drivername!r}: {exc}.") from None
