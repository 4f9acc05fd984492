"""Another process holds the SQLite write lock (a backup, a migration, a stuck tool).

Only what writes waits for it: /health, /openapi.json and a 401 are answered while a mint is
still waiting; the mint gets 503 with Retry-After once --database-timeout has passed; with
``--workers 2`` every worker keeps answering. The assertions are about order and outcome (the
reads are answered *while* the mint still waits), never about durations.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.load import CLIENT_TIMEOUT, CREATE, WriteLock, admin_token, bearer
from tests.support.api import check_contract
from tests.support.http import TLS
from tests.support.server import Server, init_demo
from token_api.domain import secrets

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

# Well-formed (right shape and checksum) but never stored: refusing it needs a database read.
UNKNOWN_TOKEN = secrets.new_token()


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    url = f"sqlite:///{tmp_path / 'token-api.db'}"
    return url, init_demo(url)


def _mint(url: str, token: str) -> httpx.Response:
    with httpx.Client(verify=TLS, base_url=url, timeout=CLIENT_TIMEOUT * 2) as client:
        return client.post(CREATE, json={}, headers=bearer(token))


def _reads_are_answered(url: str, pending: list[Future[httpx.Response]]) -> None:
    """/health, /openapi.json and a 401 (that read the database), each on a new connection,
    each answered while every mint in ``pending`` still waits."""
    for _ in range(3):
        with httpx.Client(verify=TLS, base_url=url, timeout=CLIENT_TIMEOUT) as client:
            health = client.get("/health")
            assert health.status_code == 200, health.text
            check_contract(url, health)
            assert client.get("/openapi.json").status_code == 200
            refused = client.post(CREATE, json={}, headers=bearer(UNKNOWN_TOKEN))
            assert refused.status_code == 401, refused.text
            check_contract(url, refused)
    assert not any(mint.done() for mint in pending), "a mint was answered while the lock is held"


@pytest.mark.parametrize("workers", [1, 2])
def test_reads_are_answered_while_mints_wait_for_the_lock(
    database: tuple[str, dict[str, Any]], tmp_path: Path, workers: int
) -> None:
    """With two workers, several mints on their own connections: the kernel spreads them over
    both, and every worker must keep answering."""
    url, demo = database
    token = admin_token(demo)
    # A deadline longer than the test: the mints wait until the lock goes.
    options = ("--workers", str(workers), "--database-timeout", "60")
    mints = 3 * workers
    with (
        Server(url, extra_args=options, log=tmp_path / "server.log") as server,
        WriteLock(url) as lock,
        ThreadPoolExecutor(max_workers=mints) as pool,
    ):
        pending = [pool.submit(_mint, server.url, token) for _ in range(mints)]
        _wait_until_waiting(server)
        _reads_are_answered(server.url, pending)
        lock.release()
        assert [mint.result().status_code for mint in pending] == [200] * mints


def _wait_until_waiting(server: Server) -> None:
    """Until the server has the mints: its writer thread is then in SQLite's busy handler.
    Seen from outside only as time passing; a /health round trip lets the loop take them."""
    with httpx.Client(verify=TLS, base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
        client.get("/health")


def test_a_mint_past_the_deadline_is_503(
    database: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    url, demo = database
    token = admin_token(demo)
    with (
        Server(url, extra_args=("--database-timeout", "1"), log=tmp_path / "s.log") as server,
        WriteLock(url) as lock,
    ):
        response = _mint(server.url, token)
        assert response.status_code == 503, response.text
        check_contract(server.url, response)
        assert "did not answer within 1 s" in response.json()["detail"]
        assert response.headers["Retry-After"].isdigit()
        # Reads never waited for the lock; /health stays 200: the database answers and stores.
        assert httpx.get(server.url + "/health", timeout=CLIENT_TIMEOUT).status_code == 200
        lock.release()
        assert _mint(server.url, token).status_code == 200
