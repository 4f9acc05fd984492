"""Slow and idle clients, and more connections than the server holds (server/http.py).

Liveness, not speed: each test asserts what happens and in which order (a deadline answers 408
and closes; a slowloris does not keep a well-behaved client from its 200), never how long it took.
The server's deadlines are short here only so that the tests finish; a client that waits longer
than ``raw.READ_TIMEOUT`` for an answer it is owed fails the test as a hang.
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.load import WriteLock, admin_token, bearer, stored_tokens_named
from tests.reliability.raw import connect, exchange, is_closed, read_answer, request
from tests.support.api import check_contract
from tests.support.cli import assert_one_sentence, token_api
from tests.support.http import TLS
from tests.support.server import Server, init_demo

# One worker builds this module's servers once (docs/testing.md, "Workers").
pytestmark = [pytest.mark.reliability, pytest.mark.slow, pytest.mark.xdist_group("slow-clients")]

CREATE = "/api/v1/token"
HEADER_TIMEOUT = 2
BODY_TIMEOUT = 3


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('slow') / 'token-api.db'}"
    return url, init_demo(url)


@pytest.fixture(scope="module")
def strict(
    demo_database: tuple[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with short deadlines."""
    url, _ = demo_database
    options = ("--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT))
    log = tmp_path_factory.mktemp("logs") / "strict.log"
    with Server(url, extra_args=options, log=log) as server:
        yield server


def _head(token: str, length: int) -> bytes:
    message = request(
        "POST",
        CREATE,
        headers=[("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")],
        length=False,
    )
    return message[:-2] + f"Content-Length: {length}\r\n\r\n".encode()


class TestDeadlines:
    @pytest.mark.parametrize(
        "start",
        [b"POST /api/v1/tok", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: y"],
        ids=["half a request line", "headers without their end"],
    )
    def test_a_head_that_stalls_gets_408(self, strict: Server, start: bytes) -> None:
        with connect(strict.url) as connection:
            connection.sendall(start)
            answer = read_answer(connection)
            detail = answer.assert_detail(408)
            assert f"within {HEADER_TIMEOUT} s" in detail
            assert is_closed(connection)

    def test_an_idle_connection_is_closed(self, strict: Server) -> None:
        with connect(strict.url) as connection:
            assert connection.recv(100) == b""  # closed by the server, nothing to answer

    def test_a_body_that_stalls_gets_408_and_nothing_is_stored(
        self, strict: Server, demo_database: tuple[str, dict[str, Any]]
    ) -> None:
        url, demo = demo_database
        name = f"stalled-{uuid.uuid4()}"
        body = f'{{"name": "{name}"}}'.encode()
        with connect(strict.url) as connection:
            connection.sendall(_head(admin_token(demo), len(body) + 10) + body)
            answer = read_answer(connection)
            assert f"within {BODY_TIMEOUT} s" in answer.assert_detail(408)
            assert is_closed(connection)
        assert stored_tokens_named(url, name) == 0

    def test_the_body_deadline_is_not_met_early(
        self, strict: Server, demo_database: tuple[str, dict[str, Any]]
    ) -> None:
        """The 408 comes no sooner than --body-timeout after the head (a lower bound only: the
        clock starts before the head is sent, so the server's deadline cannot be earlier)."""
        _, demo = demo_database
        with connect(strict.url) as connection:
            started = time.monotonic()
            connection.sendall(_head(admin_token(demo), 10))
            answer = read_answer(connection)
            waited = time.monotonic() - started
        assert f"within {BODY_TIMEOUT} s" in answer.assert_detail(408)
        assert waited >= BODY_TIMEOUT, f"408 after {waited:.2f} s"

    def test_a_body_at_one_byte_a_second_gets_408(
        self, strict: Server, demo_database: tuple[str, dict[str, Any]]
    ) -> None:
        _, demo = demo_database
        body = b'{"name": "trickled"}'
        with connect(strict.url) as connection:
            connection.sendall(_head(admin_token(demo), len(body)))
            answer = None
            for byte in body:
                try:
                    connection.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                connection.settimeout(1)
                try:
                    answer = read_answer(connection)
                    break
                except TimeoutError:
                    pass
            connection.settimeout(30)
            answer = answer or read_answer(connection)
            answer.assert_detail(408)

    def test_the_answers_are_documented(self, strict: Server) -> None:
        with httpx.Client(verify=TLS, base_url=strict.url, timeout=30) as client:
            # A stalled head cannot be sent with httpx; its answer shape is the same as this one.
            with connect(strict.url) as connection:
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                answer = read_answer(connection)
            response = httpx.Response(
                answer.status,
                headers=answer.headers,
                content=answer.body,
                request=client.build_request("GET", "/health"),
            )
            check_contract(strict.url, response)


def _slowloris(base_url: str, token: str, kind: int) -> socket.socket:
    """One slow connection of four kinds: idle, half a request line, headers that never end,
    a head whose body never comes."""
    connection = connect(base_url)
    start = [
        b"",
        b"POST /api/v1/to",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        _head(token, 100) + b'{"na',
    ][kind % 4]
    if start:
        connection.sendall(start)
    return connection


def test_a_slowloris_does_not_keep_a_client_from_its_answer(
    demo_database: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    """400 slow connections against a server that holds 100 and waits on heads for a minute:
    the deadlines never get to act, the cap does. Every well-behaved request gets its 200."""
    url, demo = demo_database
    token = admin_token(demo)
    options = ("--header-timeout", "60", "--body-timeout", "60", "--max-connections", "100")
    with (
        Server(url, extra_args=options, log=tmp_path / "server.log") as server,
        contextlib.ExitStack() as stack,
    ):
        slow = [stack.enter_context(_slowloris(server.url, token, i)) for i in range(400)]
        for round_ in range(20):
            # A fresh connection each time, as a new client: the slow ones hold every slot.
            with httpx.Client(verify=TLS, base_url=server.url, timeout=30) as client:
                if round_ % 2:
                    response = client.post(CREATE, json={}, headers=bearer(token))
                else:
                    response = client.get("/health")
                assert response.status_code == 200, response.text
            # ... and the attack goes on beside it.
            slow.append(stack.enter_context(_slowloris(server.url, token, round_)))
        # The cap made room by closing the slow connections that had waited longest.
        closed = sum(1 for connection in slow[:300] if _closed_now(connection))
        assert closed >= 200, closed


def _closed_now(connection: socket.socket) -> bool:
    connection.settimeout(0.5)
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_the_server_closes_slow_connections_by_itself(strict: Server, demo_database: Any) -> None:
    _, demo = demo_database
    slow = [_slowloris(strict.url, admin_token(demo), i) for i in range(100)]
    try:
        for connection in slow:
            assert is_closed(connection)  # a hang would time out and fail
    finally:
        for connection in slow:
            connection.close()


def test_past_the_cap_with_every_connection_busy_a_new_one_gets_503(
    demo_database: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Five connections whose mints wait for the write lock hold the five slots; none waits on
    its client, so none can be shed: the sixth gets 503 with Retry-After, not a hang."""
    url, demo = demo_database
    token = admin_token(demo)
    options = ("--max-connections", "5", "--database-timeout", "30")
    with (
        Server(url, extra_args=options, log=tmp_path / "server.log") as server,
        WriteLock(url) as lock,
    ):
        body = b"{}"
        busy = [connect(server.url) for _ in range(5)]
        try:
            for connection in busy:
                connection.sendall(_head(token, len(body)) + body)
            # Each request is sent whole, and read as soon as it arrives; a moment for that.
            time.sleep(1)
            answer = exchange(server.url, request("GET", "/health"))
            assert "too many open connections" in answer.assert_detail(503)
            assert answer.headers["retry-after"].isdigit()
            lock.release()
            statuses = [read_answer(connection).status for connection in busy]
            assert statuses == [200] * 5
        finally:
            for connection in busy:
                connection.close()
        assert exchange(server.url, request("GET", "/health")).status == 200


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--header-timeout", "0"),
        ("--body-timeout", "-1"),
        ("--max-connections", "0"),
        ("--max-connections", "100000000"),
    ],
)
def test_serve_refuses_nonsense_limits_in_one_sentence(
    option: str, value: str, tmp_path: Path
) -> None:
    result = token_api(
        "serve", "--database", f"sqlite:///{tmp_path / 'x.db'}", option, value, cwd=tmp_path
    )
    assert_one_sentence(result, exit_code=1 if value == "100000000" else 2)
    assert not (tmp_path / "x.db").exists(), "refused after creating the database"
