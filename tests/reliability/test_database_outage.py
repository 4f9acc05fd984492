"""A database outage under load, on a PostgreSQL cluster this test owns (stopping the shared one
would take every other test down with it).

While the database is down the server answers the documented 503 {"detail": ...} with
Retry-After, quickly, on every operation, /health included: never a 500, never a hang (the
clients' timeout would count one). When the database comes back the server recovers by itself,
and every token it acknowledged before, during and after the outage authenticates.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.reliability.load import (
    CLIENT_TIMEOUT,
    CREATE,
    Load,
    admin_token,
    assert_all_distinct,
    bearer,
    refused,
)
from tests.reliability.pg_cluster import Cluster, cluster_unavailable
from tests.support.api import check_contract
from tests.support.credentials import minted_key
from tests.support.http import TLS
from tests.support.server import Server, init_demo

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    reason = cluster_unavailable()
    if reason:
        pytest.skip(f"cannot create a test-owned PostgreSQL cluster: {reason}")
    owned = Cluster()
    try:
        owned.start()
        yield owned
    finally:
        owned.remove()


def _assert_unavailable(response: httpx.Response, base_url: str) -> None:
    assert response.status_code == 503, response.text
    check_contract(base_url, response)
    assert isinstance(response.json()["detail"], str)
    assert response.headers["Retry-After"].isdigit()


def _wrong_checksum(token: str) -> str:
    """``token`` with its last character (part of its checksum) changed."""
    return token[:-1] + ("B" if token[-1] == "A" else "A")


def _wait_for_health(base_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(base_url + "/health", timeout=CLIENT_TIMEOUT, verify=TLS)
        if response.status_code == 200:
            check_contract(base_url, response)
            return
        _assert_unavailable(response, base_url)
        assert time.monotonic() < deadline, "no recovery after the database came back"
        time.sleep(0.2)


def test_database_outage_is_503_and_the_server_recovers(cluster: Cluster, tmp_path: Path) -> None:
    url = cluster.create_database("token_api")
    demo = init_demo(url)
    admin = admin_token(demo)
    server = Server(url, log=tmp_path / "server.log").start()
    try:
        with Load([server.url], admin, clients=8, allowed=(200, 503)) as load:
            load.wait_for(40)
            cluster.stop()  # immediate: a crash, connections cut mid-transaction
            load.wait_until(
                "503 answers to the clients", lambda: load.snapshot().statuses[503] >= 16
            )
            with httpx.Client(verify=TLS, base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
                _assert_unavailable(client.get("/health"), server.url)
                _assert_unavailable(client.post(CREATE, json={}, headers=bearer(admin)), server.url)
                # Credentials are checked before the body, and checking them needs the database.
                _assert_unavailable(
                    client.post(CREATE, content=b"[]", headers=bearer(admin)), server.url
                )
                # ... unless the token's checksum is wrong: refused without a lookup, so 401.
                for forged in (_wrong_checksum(admin), "ses_" + "A" * 49, "api_x"):
                    response = client.post(CREATE, json={}, headers=bearer(forged))
                    check_contract(server.url, response)
                    assert response.status_code == 401, response.text
            before_recovery = load.acknowledged
            cluster.start()
            _wait_for_health(server.url)
            load.wait_for(before_recovery + 20)
            tally = load.stop()

        assert not tally.unexpected, tally.unexpected[:5]
        assert tally.timeouts == 0, "a request hung while the database was down"
        assert tally.transport_errors == 0, "the server dropped connections instead of answering"
        assert tally.statuses[503] >= 16
        assert_all_distinct(tally.minted)
        assert refused([(server.url, m) for m in tally.minted]) == []
    finally:
        server.stop()


def _cluster_processes(cluster: Cluster) -> list[int]:
    """The postmaster and every process it started (backends, checkpointer, ...)."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


def _signal(pids: list[int], signum: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def test_a_frozen_database_is_503_within_the_deadline(cluster: Cluster, tmp_path: Path) -> None:
    """A database that accepts connections but never answers (SIGSTOP: a stalled host): every
    request still gets its answer, 503 with Retry-After, once --database-timeout has passed."""
    url = cluster.create_database("token_api")
    admin = admin_token(init_demo(url))
    deadline = 2.0
    server = Server(
        url, extra_args=("--database-timeout", str(deadline)), log=tmp_path / "server.log"
    ).start()
    processes: list[int] = []
    try:
        with httpx.Client(verify=TLS, base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
            assert client.post(CREATE, json={}, headers=bearer(admin)).status_code == 200
            processes = _cluster_processes(cluster)
            _signal(processes, signal.SIGSTOP)
            # More requests at once than the server has database threads: queued ones wait too.
            with ThreadPoolExecutor(max_workers=8) as pool:
                calls = [
                    pool.submit(client.post, CREATE, json={}, headers=bearer(admin))
                    for _ in range(6)
                ] + [pool.submit(client.get, "/health") for _ in range(2)]
                # Answered while the database is still frozen (it thaws only below): each
                # request ended at its deadline, not when the database came back, and no
                # client timed out (CLIENT_TIMEOUT would raise here).
                answers = [call.result() for call in calls]
            for response in answers:
                _assert_unavailable(response, server.url)
                assert "did not answer within 2 s" in response.json()["detail"]
            _signal(processes, signal.SIGCONT)
            processes = []
            _wait_for_health(server.url)
            minted = client.post(CREATE, json={}, headers=bearer(admin))
            assert minted.status_code == 200, minted.text
            # The key is recognised at once (403: API keys cannot mint; 401 would mean lost).
            again = client.post(CREATE, json={}, headers=bearer(minted_key(minted).secret))
            assert again.status_code == 403, again.text
    finally:
        _signal(processes, signal.SIGCONT)
        server.stop()
