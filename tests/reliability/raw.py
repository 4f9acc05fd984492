"""HTTP/1.1 over a plain socket, for what no HTTP client library will send (or read) as asked:
oversized heads, trailers, missing Host, truncated bodies, slow clients.

Every read has a timeout and a timeout is a failure: a server that hangs never passes.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# Long enough for any answer the server owes; reaching it means the server hung.
READ_TIMEOUT = 30.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)

    def assert_detail(self, status: int) -> str:
        """The contract's error shape: ``{"detail": "<sentence>"}`` as JSON, with this status."""
        assert self.status == status, (self.status, self.body[:300])
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        detail = self.json()["detail"]
        assert isinstance(detail, str) and detail, self.body
        return detail


def address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def connect(base_url: str, timeout: float = READ_TIMEOUT) -> socket.socket:
    return socket.create_connection(address(base_url), timeout=timeout)


def read_answer(connection: socket.socket) -> Answer:
    """One response, read to its Content-Length (the server always sends one)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        assert chunk, f"the connection closed without an answer: {received[:200]!r}"
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = connection.recv(65536)
        assert chunk, "the connection closed in the middle of the answer"
        rest += chunk
    return Answer(int(status_line.split()[1]), headers, rest[:length])


def exchange(base_url: str, message: bytes) -> Answer:
    """Send ``message`` on a new connection and read the answer."""
    with connect(base_url) as connection:
        connection.sendall(message)
        return read_answer(connection)


def is_closed(connection: socket.socket) -> bool:
    """Whether the server has closed the connection (after any answer it sent first)."""
    try:
        while chunk := connection.recv(65536):
            del chunk
    except ConnectionResetError:
        pass
    return True


def request(
    method: str,
    path: str,
    *,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    body: bytes = b"",
    host: str | None = "127.0.0.1",
    length: bool = True,
) -> bytes:
    """A request's bytes. ``host=None``: no Host header; ``length=False``: no Content-Length."""
    lines = [f"{method} {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
