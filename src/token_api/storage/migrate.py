"""Alembic, driven from code: ``token-api init`` and ``serve`` bring any database to head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from token_api.storage.engine import DatabaseError, is_outage
from token_api.storage.store import database_errors

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions (tests/storage keeps the two equal). Knowing it
# without Alembic lets ``serve`` start on an up-to-date database without importing Alembic,
# which was a fifth of its cold start (#5).
HEAD = "0003"
VERSION_TABLE = "alembic_version"


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration."""
    with database_errors(), engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        revisions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        return next(iter(revisions), None)


def migrate(engine: Engine) -> None:
    """Upgrade to head. On PostgreSQL an advisory lock lets several servers start at once."""
    revision = current_revision(engine)
    if revision == HEAD:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database_errors(), engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it, and a table others point at (users) cannot be
            # dropped while foreign keys are enforced; the switch only works between
            # transactions. What the migration leaves is checked before it commits.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    # One transaction for the whole upgrade, DDL included, so that a migration
                    # failing halfway leaves the previous revision. Python's sqlite3 begins a
                    # transaction only before INSERT/UPDATE/DELETE: every CREATE/ALTER/DROP
                    # before that would commit on its own. IMMEDIATE: the write lock from the start.
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    connection.execute(text("SELECT pg_advisory_xact_lock(7245310)"))
                config.attributes["connection"] = connection
                try:
                    command.upgrade(config, "head")
                except CommandError:
                    # Alembic does not know the revision: a newer token-api migrated this database.
                    raise DatabaseError(
                        f"The database is at schema revision {revision!r}, which this token-api "
                        f"(schema {HEAD!r}) does not know: upgrade token-api."
                    ) from None
                except DBAPIError as error:
                    if is_outage(error):
                        raise  # the database went away or is locked: unavailable, as anywhere
                    raise DatabaseError(_failed(revision, error)) from error
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise DatabaseError(
                        "The migration would break a reference between tables; nothing changed."
                    )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _failed(revision: str | None, error: DBAPIError) -> str:
    """The sentence for a migration the database refused (a table already there, a stored value
    a constraint refuses): the connection works, so "unavailable" would send people the wrong
    way. The driver's first line only: SQLAlchemy's adds the SQL and its parameters, and the
    lines after it (PostgreSQL's DETAIL) quote stored values."""
    lines = str(error.orig).strip().splitlines() or [type(error.orig).__name__]
    reason = lines[0].strip().rstrip(".")
    start = f"from schema revision {revision!r}" if revision else "from an empty database"
    return f"The database could not be upgraded {start} to {HEAD!r}: {reason}; nothing changed."
