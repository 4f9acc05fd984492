"""Forwarding unchanged, both ways, over real HTTP: method, raw path, query, headers, body and
its framing (Content-Length or chunked, streamed when large); the answer's status, headers and
bytes (a gzip body stays gzip, a long one streams); keep-alive on both sides; TLS upstream."""

from __future__ import annotations

import gzip
import http.client
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.proxy.support import Proxy
from tests.reliability.raw import connect, read_answer
from tests.support.http import TLS


@pytest.fixture
def echo(upstream: Any, tmp_path: Path) -> Iterator[Proxy]:
    proxy = Proxy(upstream("echo"), tmp_path / "proxy")
    yield proxy
    stopped = proxy.stop()
    assert "Traceback" not in stopped.stderr, stopped.stderr


def _headers(seen: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in seen["headers"]:
        found.setdefault(name, []).append(value)
    return found


def test_the_request_arrives_as_it_was_sent(echo: Proxy) -> None:
    body = b'{"name": "as sent"}'
    with connect(echo.url) as raw:
        raw.sendall(
            b"PATCH /a%2Fb/c?x=1&x=2&y=%20 HTTP/1.1\r\nHost: proxy.example\r\n"
            b"X-Custom: one\r\nX-Custom: two\r\nConnection: keep-alive\r\nTE: trailers\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        answer = read_answer(raw)
    assert answer.status == 200
    seen = answer.json()
    assert seen["method"] == "PATCH"
    assert seen["raw_path"] == "/a%2Fb/c"
    assert seen["query"] == "x=1&x=2&y=%20"
    assert seen["body"] == body.decode()
    headers = _headers(seen)
    assert headers["x-custom"] == ["one", "two"]
    assert headers["content-length"] == [str(len(body))]
    assert headers["host"] == [echo_host(seen, headers)]
    # Hop-by-hop fields stay with the proxy; nothing of httpx's own is added.
    for name in ("connection", "te", "transfer-encoding", "user-agent", "accept"):
        assert name not in headers, name


def echo_host(seen: dict[str, Any], headers: dict[str, list[str]]) -> str:
    """The upstream's own authority (the echo answers on 127.0.0.1:PORT)."""
    host = headers["host"][0]
    assert host.startswith("127.0.0.1:"), host
    return host


def test_a_chunked_body_is_sent_chunked_and_a_large_one_streams(echo: Proxy) -> None:
    def pieces() -> Iterator[bytes]:
        for _ in range(40):
            yield b"z" * 65536  # 2.5 MiB, past what the proxy reads before forwarding

    with httpx.Client(verify=TLS, base_url=echo.url, timeout=60) as client:
        seen = client.post("/upload", content=pieces()).json()
        assert seen["size"] == 40 * 65536
        assert _headers(seen)["transfer-encoding"] == ["chunked"]
        assert "content-length" not in _headers(seen)
        small = client.post("/upload", content=iter([b"{}"])).json()
        assert small["body"] == "{}"
        assert _headers(small)["transfer-encoding"] == ["chunked"]


def test_the_answer_comes_back_as_the_upstream_sent_it(echo: Proxy) -> None:
    with httpx.Client(verify=TLS, base_url=echo.url, timeout=60) as client:
        with client.stream("GET", "/gzip", headers={"Accept-Encoding": "gzip"}) as answer:
            assert answer.headers["content-encoding"] == "gzip"
            assert answer.headers["x-echo"] == "1"
            # Set-Cookie reaches the client unchanged (only records redact it).
            assert answer.headers["set-cookie"] == "session=echo-cookie-value; Path=/"
            raw = b"".join(answer.iter_raw())
        assert int(answer.headers["content-length"]) == len(raw)
        assert json.loads(gzip.decompress(raw))["raw_path"] == "/gzip"
        with client.stream("GET", "/stream/3000000") as streamed:
            assert "content-length" not in streamed.headers
            assert sum(len(chunk) for chunk in streamed.iter_raw()) == 3_000_000


def test_connections_are_kept_alive_on_both_sides(echo: Proxy) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", echo.port, timeout=30)
    ports = []
    for _ in range(3):
        connection.request("GET", "/health")
        answer = connection.getresponse()
        ports.append(json.loads(answer.read())["client_port"])
    connection.close()
    # One client connection carried the three; one upstream connection did too.
    assert len(set(ports)) == 1


def test_an_https_upstream(upstream: Any, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    url = upstream("tls", str(cert), str(key))
    trusted = Proxy(url, tmp_path / "trusted", env={"SSL_CERT_FILE": str(cert)})
    untrusted = Proxy(url, tmp_path / "untrusted", env={"SSL_CERT_FILE": ""})
    try:
        with httpx.Client(verify=TLS, timeout=30) as client:
            answer = client.get(f"{trusted.url}/health?x=1")
            assert answer.status_code == 200
            assert answer.json()["query"] == "x=1"
            refused = client.get(f"{untrusted.url}/health")
            assert refused.status_code == 502
            assert "certificate" in refused.json()["detail"].lower()
    finally:
        for proxy in (trusted, untrusted):
            assert "Traceback" not in proxy.stop().stderr
