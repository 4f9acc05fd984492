"""A database that cannot store: a full disk, a file that may not grow (SQLite).

Clients get 503 with Retry-After and nothing acknowledged is lost; /health says 503 while writes
fail and 200 once they work again; a failure repeated on every request is logged once per
interval, not once per request; the WAL is checkpointed so that it stays small.

Two ways to make SQLite fail to store: a real 2 MB filesystem that fills up (tmpfs; needs root
to mount, else skipped with the reason), and, always, a file-size limit (RLIMIT_FSIZE) put on the
running server process, which refuses every write that would grow a file, as a full disk does.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability.load import CLIENT_TIMEOUT, CREATE, Minted, admin_token, bearer, refused
from tests.support.api import check_contract
from tests.support.credentials import minted_key
from tests.support.http import TLS
from tests.support.server import Server, init_demo
from token_api.server.logs import REPEAT_SECONDS
from token_api.storage.engine import WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

# The server's warning for each 503 of a failing database (contract/errors.py).
WARNING = "database unavailable"


def _assert_unavailable(response: httpx.Response, base_url: str) -> None:
    assert response.status_code == 503, response.text
    check_contract(base_url, response)
    assert response.headers["Retry-After"].isdigit()


def _mint(client: httpx.Client, token: str) -> httpx.Response:
    return client.post(CREATE, json={}, headers=bearer(token))


def _acknowledged(response: httpx.Response, base_url: str) -> Minted:
    key = minted_key(response)
    return Minted(key.secret, key.id, base_url)


def _wait_for_health(client: httpx.Client, base_url: str, timeout: float = 60) -> None:
    """/health turns 200 by itself once writes work: each failing check has a write tried."""
    deadline = time.monotonic() + timeout
    while (response := client.get("/health")).status_code != 200:
        _assert_unavailable(response, base_url)
        assert time.monotonic() < deadline, "/health stayed 503 after writes worked again"
        time.sleep(0.1)
    check_contract(base_url, response)


def _checkpoint(url: str) -> None:
    """Empty the WAL into the database file, from another connection (as a backup tool
    would), so that the next commit must grow the WAL file again."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prlimit is Linux's")
def test_a_database_that_may_not_grow_is_503_and_health_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'token-api.db'}"
    token = admin_token(init_demo(url))
    with (
        Server(url, log=tmp_path / "server.log") as server,
        httpx.Client(verify=TLS, base_url=server.url, timeout=CLIENT_TIMEOUT) as client,
    ):
        assert server.process is not None
        pid = server.process.pid
        acknowledged = [_acknowledged(_mint(client, token), server.url) for _ in range(5)]
        _checkpoint(url)
        soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))
        try:
            for _ in range(3):
                _assert_unavailable(_mint(client, token), server.url)
            health = client.get("/health")
            _assert_unavailable(health, server.url)
            assert "cannot store" in health.json()["detail"]
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))
        _wait_for_health(client, server.url)
        acknowledged.append(_acknowledged(_mint(client, token), server.url))
    with Server(url, log=tmp_path / "restarted.log") as restarted:
        assert refused([(restarted.url, m) for m in acknowledged]) == []


def test_the_wal_stays_small(tmp_path: Path) -> None:
    """SQLite's default checkpoint comes at 1,000 pages (4 MB): more than fitted on a nearly full
    disk. Here it comes at WAL_CHECKPOINT_PAGES, and the file is cut back after it."""
    url = f"sqlite:///{tmp_path / 'token-api.db'}"
    token = admin_token(init_demo(url))
    wal = tmp_path / "token-api.db-wal"
    largest = 0
    with (
        Server(url, log=tmp_path / "server.log") as server,
        httpx.Client(verify=TLS, base_url=server.url, timeout=CLIENT_TIMEOUT) as client,
    ):
        for _ in range(600):
            assert _mint(client, token).status_code == 200
            largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    # Pages of one transaction may come on top of the checkpoint's threshold.
    bound = max(WAL_SIZE_LIMIT_BYTES, WAL_CHECKPOINT_PAGES * 4096) + 64 * 1024
    assert largest <= bound, f"the WAL reached {largest} bytes"


@contextlib.contextmanager
def _tiny_filesystem(where: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a 2 MB tmpfs needs root (the file-size-limit test runs anyway)")
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the file-size-limit "
            "test runs anyway"
        )
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    return filler


def test_a_full_disk_is_503_logged_sparingly_and_recovers(tmp_path: Path) -> None:
    log = tmp_path / "server.log"  # outside the full filesystem
    with _tiny_filesystem(tmp_path / "tiny") as tiny:
        url = f"sqlite:///{tiny / 'token-api.db'}"
        token = admin_token(init_demo(url))
        with (
            Server(url, log=log) as server,
            httpx.Client(verify=TLS, base_url=server.url, timeout=CLIENT_TIMEOUT) as client,
        ):
            acknowledged = [_acknowledged(_mint(client, token), server.url) for _ in range(5)]
            filler = _fill(tiny)
            # What still fits (free pages in the WAL) is acknowledged; then the 503s come.
            for _ in range(2000):
                response = _mint(client, token)
                if response.status_code != 200:
                    break
                acknowledged.append(_acknowledged(response, server.url))
            _assert_unavailable(response, server.url)
            _assert_unavailable(client.get("/health"), server.url)
            started = time.monotonic()
            failures = 0
            for _ in range(200):
                _assert_unavailable(_mint(client, token), server.url)
                failures += 1
            seconds = time.monotonic() - started
            filler.unlink()
            _wait_for_health(client, server.url)
            acknowledged.append(_acknowledged(_mint(client, token), server.url))
            assert refused([(server.url, m) for m in acknowledged]) == []
    lines = [line for line in log.read_text().splitlines() if WARNING in line]
    # One line per REPEAT_SECONDS (and one to start), not one (or two) per failure.
    assert len(lines) <= 2 + seconds / REPEAT_SECONDS, lines[:5]
    assert failures == 200
