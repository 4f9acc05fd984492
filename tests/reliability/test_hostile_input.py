"""A corpus of hostile requests (corpus.py) against the shared demo deployment, on SQLite and on
PostgreSQL: each gets its documented status (never a 5xx) with a JSON body the contract allows,
and the server still answers /health afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.reliability.corpus import CORPUS, Hostile
from tests.reliability.load import admin_token
from tests.reliability.raw import connect, is_closed, read_answer
from tests.support.api import check_contract
from tests.support.http import TLS

pytestmark = pytest.mark.reliability


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module (building one costs more than a request); each hostile request
    still gets a connection of its own (Connection: close)."""
    with httpx.Client(verify=TLS, timeout=60) as client:
        yield client


def _send(http: httpx.Client, base_url: str, case: Hostile, token: str) -> httpx.Response:
    headers: list[tuple[bytes, bytes]] = [(b"Connection", b"close")]
    if case.content_type is not None:
        headers.append((b"Content-Type", case.content_type))
    authorization = case.authorization_for(token)
    if authorization is not None:
        headers.append((b"Authorization", authorization))
    content = case.body() if callable(case.body) else case.body
    return http.request(case.method, base_url + case.path, headers=headers, content=content)


def _assert_alive(http: httpx.Client, base_url: str) -> None:
    response = http.get(base_url + "/health")
    assert response.status_code == 200, response.text
    check_contract(base_url, response)


@pytest.mark.parametrize("case", CORPUS, ids=[case.name.replace(" ", "-") for case in CORPUS])
def test_hostile_request_gets_its_documented_answer(
    case: Hostile, deployment: dict[str, Any], http: httpx.Client
) -> None:
    base_url = deployment["server"].url
    response = _send(http, base_url, case, admin_token(deployment["demo"]))

    answer = response.text[:300] if response.status_code != 200 else "(a token)"
    assert response.status_code == case.expect, answer
    check_contract(base_url, response)
    body = response.json()
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if response.status_code == 422:
        assert body["detail"] and all(item["loc"][0] == "body" for item in body["detail"])
        if case.violations is not None:
            assert len(body["detail"]) == case.violations, body
    elif response.status_code != 200:
        assert isinstance(body["detail"], str) and body["detail"]
    _assert_alive(http, base_url)


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 40
    assert len({case.name for case in CORPUS}) == len(CORPUS)


# Not HTTP at all: the HTTP layer (server/http.py) refuses these before the API sees them, with
# its JSON 400, and closes the connection. What matters here is that nothing falls over.
NOT_HTTP = [
    b"POST /api/v1/token HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\x00b\r\n"
    b"Content-Length: 2\r\n\r\n{}",
    b"POST /api/v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\n{}",
    b"POST /api/v1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"zz\r\n{}\r\n0\r\n\r\n",
    b"POST /api/v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS ClientHello
    b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
    b"\xff\xfe\xfd\r\n\r\n",
]


@pytest.mark.parametrize("message", NOT_HTTP, ids=range(len(NOT_HTTP)))
def test_what_is_not_http_never_reaches_the_api_and_harms_nothing(
    message: bytes, deployment: dict[str, Any], http: httpx.Client
) -> None:
    """An answer is owed: a server that hangs (the read times out) or closes without one fails."""
    base_url = deployment["server"].url
    with connect(base_url) as connection:
        connection.sendall(message)
        answer = read_answer(connection)
        answer.assert_detail(400)
        assert answer.headers["connection"] == "close"
        assert is_closed(connection)
    _assert_alive(http, base_url)
