"""Fresh databases for tests: a SQLite file, or a new database on the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

# The development and CI machines run PostgreSQL here (trust auth); override to use another.
ADMIN_DSN = os.environ.get(
    "TOKEN_API_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


# Where CI runs (CI=true, as GitHub Actions and .ci/run set it), PostgreSQL is part of the machine:
# half the API tests need it, and a run that skipped them must not pass.
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1")


def postgres_unavailable() -> str | None:
    """None when PostgreSQL answers, else why not (for the skip or failure message)."""
    try:
        with psycopg.connect(ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"no PostgreSQL answers at {ADMIN_DSN} ({first}); set TOKEN_API_TEST_POSTGRES"


def require_postgres() -> None:
    """Skips the calling test where no PostgreSQL answers; fails it under CI instead."""
    reason = postgres_unavailable()
    if reason and IN_CI:
        pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run, not skip)", pytrace=False)
    if reason:
        pytest.skip(reason)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database; dropped afterwards. Yields its SQLAlchemy URL."""
    name = f"token_api_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = psycopg.conninfo.conninfo_to_dict(ADMIN_DSN)
    user = base.get("user", "postgres")
    host = base.get("host", "127.0.0.1")
    port = base.get("port", 5432)
    try:
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'token-api.db'}"
