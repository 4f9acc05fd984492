"""Requests an HTTP library refuses to send, written on the socket: a header value with
whitespace around it (RFC 9110 §5.5 says it is not part of the value; httpx will not send it).
The answer is read with h11, as httpx reads every other."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

import h11

_READ = 65_536


class WireError(Exception):
    """No HTTP answer; one sentence."""


def exchange(
    url: str,
    method: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    timeout: float,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send one request exactly as given (plus Host, Content-Length and Connection: close) and
    return (status, headers, body)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    # h11 reads the answer; it only needs to believe it sent a request.
    reader = h11.Connection(h11.CLIENT)
    reader.send(
        h11.Request(
            method=method,
            target=target,
            headers=[("Host", parts.netloc), ("Content-Length", str(len(body)))],
        )
    )
    reader.send(h11.Data(data=body))
    reader.send(h11.EndOfMessage())
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            stream: socket.socket = raw
            if parts.scheme == "https":
                stream = ssl.create_default_context().wrap_socket(raw, server_hostname=host)
            stream.sendall(request)
            return _answer(reader, stream)
    except (OSError, h11.ProtocolError) as error:
        raise WireError(f"{method} {url} got no answer ({error}).") from None


def _answer(
    reader: h11.Connection, stream: socket.socket
) -> tuple[int, list[tuple[str, str]], bytes]:
    status, headers, body = 0, [], bytearray()
    while True:
        event = reader.next_event()
        if event is h11.NEED_DATA:
            reader.receive_data(stream.recv(_READ))
        elif isinstance(event, h11.Response):
            status = event.status_code
            headers = [
                (name.decode("latin-1"), value.decode("latin-1")) for name, value in event.headers
            ]
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            if not status:
                raise WireError("the connection closed before an answer")
            return status, headers, bytes(body)
