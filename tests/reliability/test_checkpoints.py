"""SQLite's WAL checkpoints run on the server's checkpoint thread, not inside a request's commit.

Observed from outside: the database file itself changes only when a checkpoint copies the WAL
into it. Below SQLite's own threshold (``WAL_CHECKPOINT_PAGES``) no commit checkpoints; the
thread does, every ``COMMITS_PER_CHECKPOINT`` commits.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.load import CLIENT_TIMEOUT, CREATE, admin_token, bearer
from tests.support.server import Server, init_demo
from token_api.storage.checkpoints import COMMITS_PER_CHECKPOINT
from token_api.storage.engine import WAL_CHECKPOINT_PAGES

pytestmark = [pytest.mark.reliability]

# A WAL frame: a 24-byte header and a 4 KiB page; the file starts with a 32-byte header.
FRAME_BYTES = 24 + 4096


def _frames(wal: Path) -> int:
    return max(0, (wal.stat().st_size - 32) // FRAME_BYTES) if wal.exists() else 0


def test_the_checkpoint_thread_copies_the_wal_below_sqlites_threshold(tmp_path: Path) -> None:
    database = tmp_path / "token-api.db"
    url = f"sqlite:///{database}"
    token = admin_token(init_demo(url))
    wal = tmp_path / "token-api.db-wal"
    with (
        Server(url, log=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT) as client,
    ):
        for _ in range(COMMITS_PER_CHECKPOINT - 1):
            assert client.post(CREATE, json={}, headers=bearer(token)).status_code == 200
        # Nothing has checkpointed yet: SQLite's threshold is not reached, the thread's turn
        # has not come.
        assert _frames(wal) < WAL_CHECKPOINT_PAGES, "too many pages per mint for this test"
        before = database.stat().st_size
        assert client.post(CREATE, json={}, headers=bearer(token)).status_code == 200
        deadline = time.monotonic() + 10
        while database.stat().st_size == before:
            assert time.monotonic() < deadline, "no checkpoint after the thread's turn"
            time.sleep(0.05)
