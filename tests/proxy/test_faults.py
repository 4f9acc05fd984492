"""Bad input to the proxy itself: a malformed request (400), an upstream that is down (502),
resets the connection (502), answers half an answer (502, or the client's connection closed
when the answer was already streaming), or never answers (504). Each answer is
``{"detail": ...}`` JSON, never a traceback, and the proxy keeps serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.proxy.support import Proxy
from tests.reliability.raw import connect, read_answer
from tests.support.http import TLS
from tests.support.server import free_port

pytestmark = pytest.mark.reliability


def _detail(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and detail.startswith("token-api proxy: "), detail
    return detail


def test_an_upstream_that_is_down_is_502_and_the_proxy_keeps_serving(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    proxy = Proxy(down, tmp_path)
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            for _ in range(3):
                detail = _detail(client.post("/api/v1/token", json={}), 502)
                assert "cannot connect to the upstream" in detail
            assert _detail(client.get("/health"), 502)
    finally:
        stopped = proxy.stop()
    assert "Traceback" not in stopped.stderr
    # A deployment that is down broke no rule; the client's missing credential is its own.
    assert stopped.found("response") == set()
    assert stopped.report()["unanswered"] == 4


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [
        ("reset", 502, "closed the connection without an answer"),
        ("half", 502, "dropped the connection in the middle of its answer"),
        ("silent", 504, "did not answer within 1 s"),
    ],
)
def test_an_upstream_that_fails_gets_a_detail(
    mode: str, status: int, words: str, upstream: Any, tmp_path: Path
) -> None:
    proxy = Proxy(upstream(mode), tmp_path, "--timeout", "1")
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            for _ in range(2):
                assert words in _detail(client.get("/health"), status)
    finally:
        stopped = proxy.stop()
    assert "Traceback" not in stopped.stderr, stopped.stderr
    dropped = [line for line in stopped.lines if line.rule == "response.no-server-error"]
    if mode == "silent":
        assert dropped == []  # slow is not a rule of the contract; 504 says what happened
    else:
        assert [(line.side, line.status, line.by_proxy) for line in dropped] == [
            ("response", 502, True)
        ] * 2


def test_an_answer_dropped_while_streaming_closes_the_client_connection(
    upstream: Any, tmp_path: Path
) -> None:
    proxy = Proxy(upstream("drop"), tmp_path)
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/health").read()
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/health").read()
    finally:
        stopped = proxy.stop()
    assert "Traceback" not in stopped.stderr, stopped.stderr
    assert [line.status for line in stopped.lines if line.side == "response"] == [200, 200]
    assert {line.rule for line in stopped.lines} == {"response.no-server-error"}


def test_a_malformed_request_is_400_and_the_next_is_served(upstream: Any, tmp_path: Path) -> None:
    proxy = Proxy(upstream("echo"), tmp_path)
    try:
        with connect(proxy.url) as raw:
            raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nBad\x00Header: 1\r\n\r\n")
            answer = read_answer(raw)
        assert answer.status == 400
        assert answer.json()["detail"]
        with connect(proxy.url) as raw:
            raw.sendall(b"GET /health HTTP/1.1\r\n\r\n")  # HTTP/1.1 without Host
            read_answer(raw).assert_detail(400)
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            assert client.get("/health").status_code == 200
    finally:
        stopped = proxy.stop()
    assert "Traceback" not in stopped.stderr, stopped.stderr
    assert stopped.report()["exchanges"] == 1
