"""Bulk-load realistic tokens into a demo database (for the 1,000,000-token benchmark).

Rows are what the server itself would store: real ``api_`` tokens' SHA-256 digests (unique), the
demo users' roles, role ids and workspace reach, a mix of personal and service tokens, expiries
spread over the next year, a few revoked. Written with COPY on PostgreSQL and SQLAlchemy Core
executemany on SQLite, in batches, straight into the tables the server reads.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, insert, select

from token_api.domain import secrets
from token_api.storage import Store
from token_api.storage import tables as t

BATCH = 50_000


def _users(store: Store) -> list[Any]:
    with store.engine.connect() as connection:
        return list(connection.execute(select(t.users)))


def _rows(users: list[Any], count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for index in range(count):
        user = users[index % len(users)]
        token = secrets.new_token()
        revoked = rng.random() < 0.05
        expires = rng.random() < 0.9
        yield {
            "id": uuid.uuid4(),
            "kind": "api_key",
            "organization_id": user.organization_id,
            "user_id": user.id,
            "name": f"seeded-{index}",
            "secret_digest": secrets.digest(token),
            "organization_role": user.organization_role,
            "role_id": user.role_id,
            "personal": rng.random() < 0.8,
            "workspaces": user.workspaces,
            "expires_at": now + timedelta(days=rng.uniform(-30, 365)) if expires else None,
            "created_at": now - timedelta(days=rng.uniform(0, 365)),
            "revoked_at": now - timedelta(days=rng.uniform(0, 30)) if revoked else None,
        }


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _copy_postgres(store: Store, rows: Iterator[dict[str, Any]]) -> None:
    columns = [c.name for c in t.tokens.columns]
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY tokens ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                if row["workspaces"] is not None:
                    row["workspaces"] = orjson.dumps(row["workspaces"]).decode()
                copy.write_row([row[c] for c in columns])
        raw.commit()
        cursor.execute("ANALYZE tokens")
        raw.commit()
    finally:
        raw.close()


def _insert_sqlite(store: Store, rows: Iterator[dict[str, Any]]) -> None:
    with store.engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB while loading
        for batch in _batches(rows):
            connection.execute(insert(t.tokens), batch)


def seed_tokens(database_url: str, count: int, seed: int = 1) -> int:
    """Add ``count`` tokens; returns how many tokens the database then holds."""
    store = Store.connect(database_url)
    try:
        users = _users(store)
        if not users:
            raise RuntimeError("The database has no users: run `token-api init --demo` first.")
        rows = _rows(users, count, seed)
        if store.engine.dialect.name == "postgresql":
            _copy_postgres(store, rows)
        else:
            _insert_sqlite(store, rows)
        with store.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(t.tokens)).scalar_one())
    finally:
        store.close()


if __name__ == "__main__":
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.perf_counter()
    total = seed_tokens(args.database, args.count)
    print(f"{total} tokens stored ({time.perf_counter() - started:.1f} s)")
