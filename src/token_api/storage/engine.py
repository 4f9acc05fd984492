"""Engines for the two supported backends, and turning driver errors into one exception."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError


class DatabaseError(Exception):
    """A database URL or database this tool cannot use; the message is one sentence."""


def normalize_url(url: str) -> str:
    """Accept the URLs people type: ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer. synchronous=NORMAL in WAL mode loses nothing
    # when the process dies (SIGKILL); only an OS crash or power loss can drop the last commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine_for(url: str) -> Engine:
    url = normalize_url(url)
    try:
        parsed = make_url(url)
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
            # One connection per process: SQLite has one writer at a time, and writers that
            # collide wait in its busy handler, which sleeps in steps of milliseconds; queueing
            # for the one connection instead costs nothing. It also keeps one warm page cache.
            engine = create_engine(parsed, pool_size=1, max_overflow=0)
            event.listen(engine, "connect", _sqlite_pragmas)
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
