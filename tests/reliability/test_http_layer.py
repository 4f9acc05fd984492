"""The HTTP layer in front of the API (server/http.py, contract/routing.py), on the shared demo
deployment of each backend: what a hostile client does with the message itself (its size, its
framing, its header rules) gets a documented JSON answer, and nothing reaches the API that should
not. Each test sends bytes on a plain socket (tests/reliability/raw.py) where an HTTP library
would refuse to send them as asked."""

from __future__ import annotations

import gzip
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.load import admin_token, stored_tokens_named
from tests.reliability.raw import Answer, connect, exchange, is_closed, read_answer, request
from tests.support.api import Client, check_contract
from tests.support.server import Server
from token_api.server.http import MAX_HEAD_BYTES

pytestmark = pytest.mark.reliability

CREATE = "/api/v1/token"


def _bearer(deployment: dict[str, Any]) -> tuple[str, str]:
    return ("Authorization", f"Bearer {admin_token(deployment['demo'])}")


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class TestHeadSize:
    @pytest.mark.parametrize(
        "message",
        [
            request("GET", "/health?x=" + "y" * MAX_HEAD_BYTES),
            request("GET", "/health", headers=[("X-Long", "y" * MAX_HEAD_BYTES)]),
            request("GET", "/health", headers=[(f"X-{i}", "y" * 100) for i in range(200)]),
            # Not even finished: the bound holds before the head ends.
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"y" * (2 * MAX_HEAD_BYTES),
        ],
        ids=["request line", "one header", "many headers", "unfinished header"],
    )
    def test_a_head_over_the_bound_is_431_and_the_connection_closes(
        self, deployment: dict[str, Any], message: bytes
    ) -> None:
        with connect(deployment["server"].url) as connection:
            connection.sendall(message)
            answer = read_answer(connection)
            assert str(MAX_HEAD_BYTES) in answer.assert_detail(431)
            assert answer.headers["connection"] == "close"
            assert is_closed(connection)

    def test_a_head_within_the_bound_is_served(self, deployment: dict[str, Any]) -> None:
        message = request("GET", "/health", headers=[("X-Long", "y" * (MAX_HEAD_BYTES - 200))])
        assert exchange(deployment["server"].url, message).status == 200

    def test_a_flood_of_endless_headers_leaves_memory_flat(
        self, deployment: dict[str, Any]
    ) -> None:
        """Eight sockets each send one header line of 16 MB that never ends, without a
        credential, and stay open. Without the bound, the server kept every byte (it grew by
        300 MB for 8 x 32 MB)."""
        server: Server = deployment["server"]
        assert server.process is not None
        before = _rss_bytes(server.process.pid)
        piece = b"a" * 65536
        sent = threading.Barrier(9)
        release = threading.Event()
        answers: list[bytes] = []

        def flood() -> None:
            with connect(server.url) as connection:
                try:
                    connection.sendall(b"POST /api/v1/token HTTP/1.1\r\nHost: x\r\nX-Fill: ")
                    for _ in range(256):  # 16 MB
                        connection.sendall(piece)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server hung up: what it should do
                sent.wait(120)
                release.wait(120)
                try:
                    answers.append(connection.recv(200))
                except ConnectionResetError:
                    answers.append(b"")

        threads = [threading.Thread(target=flood) for _ in range(8)]
        for thread in threads:
            thread.start()
        try:
            sent.wait(120)  # every socket has sent all it will, and is still open
            grown = _rss_bytes(server.process.pid) - before
        finally:
            release.set()
            for thread in threads:
                thread.join(120)
        assert not any(thread.is_alive() for thread in threads), "a flooding socket hung"
        # Generous: 8 x 16 MB kept would be 128 MB or more.
        assert grown < 40 * 1024 * 1024, f"the server grew by {grown / 2**20:.0f} MB"
        # Whatever reached the client before the reset is the 431.
        assert all(a == b"" or a.startswith(b"HTTP/1.1 431 ") for a in answers), answers
        assert exchange(server.url, request("GET", "/health")).status == 200


class TestTrailers:
    def _chunked(self, deployment: dict[str, Any], headers: list[tuple[str, str]], trailer: str):
        head = request(
            "POST",
            CREATE,
            headers=[*headers, ("Transfer-Encoding", "chunked")],
            length=False,
        )
        body = b"2\r\n{}\r\n0\r\n" + trailer.encode("latin-1") + b"\r\n\r\n"
        return exchange(deployment["server"].url, head + body)

    def test_authorization_in_a_trailer_does_not_authenticate(
        self, deployment: dict[str, Any]
    ) -> None:
        name, value = _bearer(deployment)
        answer = self._chunked(
            deployment, [("Content-Type", "application/json")], f"{name}: {value}"
        )
        answer.assert_detail(401)
        assert answer.headers["www-authenticate"] == "Bearer"

    def test_content_type_in_a_trailer_is_ignored(self, deployment: dict[str, Any]) -> None:
        # No Content-Type header: the body is read as JSON. A trailer cannot change that.
        answer = self._chunked(deployment, [_bearer(deployment)], "Content-Type: text/plain")
        assert answer.status == 200, answer.body[:200]

    def test_any_trailer_field_is_ignored(self, deployment: dict[str, Any]) -> None:
        # A second Content-Type as a trailer would be a 400 if it counted as a header.
        answer = self._chunked(
            deployment,
            [_bearer(deployment), ("Content-Type", "application/json")],
            "Content-Type: application/json",
        )
        assert answer.status == 200, answer.body[:200]


@pytest.mark.parametrize("declared_extra", [8, 1])
def test_a_body_that_ends_early_is_no_request(
    deployment: dict[str, Any], declared_extra: int
) -> None:
    """Content-Length promises more than arrives, then the client closes: nothing is stored."""
    name = f"truncated-{uuid.uuid4()}"
    body = f'{{"name": "{name}"}}'.encode()
    message = request(
        "POST",
        CREATE,
        headers=[_bearer(deployment), ("Content-Type", "application/json")],
        length=False,
    )
    message = message[:-2] + f"Content-Length: {len(body) + declared_extra}\r\n\r\n".encode()
    for _ in range(5):
        with connect(deployment["server"].url) as connection:
            connection.sendall(message + body)
    # A whole request afterwards, answered: the truncated ones came first on the same loop.
    with Client(deployment["server"].url, admin_token(deployment["demo"])) as client:
        assert client.create({"name": f"{name}-whole"}).status_code == 200
    assert stored_tokens_named(deployment["database"], f"{name}-whole") == 1
    assert stored_tokens_named(deployment["database"], name) == 0


class TestContentEncoding:
    @pytest.mark.parametrize(
        ("encoding", "content"),
        [
            ("gzip", gzip.compress(b"{}", mtime=0)),
            ("gzip", b"{}"),  # a plain body labelled gzip was accepted
            ("br", b"{}"),
            ("deflate, gzip", b"{}"),
            ("x-unknown", b"{}"),
        ],
    )
    def test_a_content_coding_is_415(self, api: Client, encoding: str, content: bytes) -> None:
        response = api.create(
            content=content,
            headers={"Content-Type": "application/json", "Content-Encoding": encoding},
        )
        assert response.status_code == 415, response.text
        assert "content coding" in response.json()["detail"]

    @pytest.mark.parametrize(
        "codings", [("identity", "gzip"), ("gzip", "identity"), ("identity", "br", "identity")]
    )
    def test_any_of_several_content_encoding_headers_is_a_coding(
        self, api: Client, codings: tuple[str, ...]
    ) -> None:
        """Several Content-Encoding fields are one list (RFC 9110 §5.3): a coding in any of
        them, the first, the last or between, is 415."""
        headers = [("Content-Type", "application/json")]
        headers += [("Content-Encoding", coding) for coding in codings]
        answer = exchange(
            api.base_url, request("POST", "/api/v1/token", headers=headers, body=b"{}")
        )
        assert "content coding" in answer.assert_detail(415)

    def test_identity_is_no_coding(self, api: Client) -> None:
        response = api.create(
            content=b"{}",
            headers={"Content-Type": "application/json", "Content-Encoding": "identity"},
        )
        assert response.status_code == 200


class TestHeaderRules:
    def test_a_trailing_slash_is_404_not_a_redirect_to_the_host_header(
        self, deployment: dict[str, Any]
    ) -> None:
        for method, path in (("POST", CREATE + "/"), ("GET", "/health/")):
            message = request(method, path, host="evil.example", headers=[_bearer(deployment)])
            answer = exchange(deployment["server"].url, message)
            answer.assert_detail(404)
            assert "location" not in answer.headers

    def test_http_1_1_without_host_is_400(self, deployment: dict[str, Any]) -> None:
        answer = exchange(deployment["server"].url, request("GET", "/health", host=None))
        assert "Host" in answer.assert_detail(400)

    def test_two_host_headers_are_400(self, deployment: dict[str, Any]) -> None:
        message = request("GET", "/health", headers=[("Host", "evil.example")])
        assert "Host" in exchange(deployment["server"].url, message).assert_detail(400)

    def test_http_1_0_needs_no_host(self, deployment: dict[str, Any]) -> None:
        message = b"GET /health HTTP/1.0\r\n\r\n"
        assert exchange(deployment["server"].url, message).status == 200

    def test_whitespace_after_a_value_is_not_part_of_it(self, deployment: dict[str, Any]) -> None:
        """RFC 9110 §5.5: optional whitespace around a field value is not part of it (llhttp
        keeps what follows the value; uvicorn 0.55's own on_header strips it)."""
        name, value = _bearer(deployment)
        message = request(
            "POST",
            CREATE,
            headers=[(name, value + " \t"), ("Content-Type", "application/json  ")],
            body=b'{"name": "ows"}',
        )
        answer = exchange(deployment["server"].url, message)
        assert answer.status == 200, answer.body[:300]

    def test_two_content_type_headers_are_400(self, deployment: dict[str, Any]) -> None:
        message = request(
            "POST",
            CREATE,
            headers=[
                _bearer(deployment),
                ("Content-Type", "application/json"),
                ("Content-Type", "text/plain"),
            ],
            body=b"{}",
        )
        detail = exchange(deployment["server"].url, message).assert_detail(400)
        assert "Content-Type" in detail


def test_every_answer_of_the_http_layer_is_documented(api: Client) -> None:
    """What the HTTP layer sends is what openapi.yaml documents for the operation."""
    json_body = {"Content-Type": "application/json"}
    encoded = api.create(content=b"{}", headers={**json_body, "Content-Encoding": "gzip"})
    too_large = api.create(content=b"{}", headers={**json_body, "X-Long": "y" * MAX_HEAD_BYTES})
    two_types = api.http.post(  # a list: Client.request would merge the two
        CREATE,
        content=b"{}",
        headers=[
            ("Authorization", f"Bearer {api.token}"),
            ("Content-Type", "application/json"),
            ("Content-Type", "text/plain"),
        ],
    )
    assert [encoded.status_code, too_large.status_code, two_types.status_code] == [415, 431, 400]
    for response in (encoded, too_large, two_types):
        check_contract(api.base_url, response)


def test_the_access_log_leaves_the_query_string_out(
    tmp_path: Path, deployment: dict[str, Any]
) -> None:
    log = tmp_path / "access.log"
    with Server(deployment["database"], extra_args=("--access-log",), log=log) as server:
        secret = "api_" + "S" * 49
        answer: Answer = exchange(server.url, request("GET", f"/health?token={secret}"))
        assert answer.status == 200
    text = log.read_text()
    assert '"GET /health HTTP/1.1" 200' in text, text[-2000:]
    assert secret not in text
