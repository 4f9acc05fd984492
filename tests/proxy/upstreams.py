"""Upstreams for the proxy's tests: ``python -m tests.proxy.upstreams MODE PORT [CERT KEY]``.

- ``echo`` (``tls``: the same over HTTPS with CERT and KEY): uvicorn answering every request
  with what it received (method, raw path, query, headers, body size and text, the client's
  port); ``/stream/N`` answers N bytes, chunked, in 64 KiB pieces; ``/gzip`` a gzip-coded JSON
  body.
- Faults, on a bare socket (no HTTP library answers this way on purpose): ``reset`` reads the
  request and resets the connection; ``silent`` reads it and never answers; ``half`` sends a
  head with ``Content-Length: 100`` and 10 bytes, then closes; ``drop`` sends a chunked head and
  200 KiB of chunks, then resets.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import struct
import sys
from typing import Any

import uvicorn


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    chunks = 0
    while more:
        message = await receive()
        body += message.get("body", b"")
        chunks += 1
        more = message.get("more_body", False)
    path = scope["path"]
    if path.startswith("/stream/"):
        size = int(path.rsplit("/", 1)[1])
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/octet-stream")]})  # fmt: skip
        piece = b"x" * 65536
        while size > 0:
            await send({"type": "http.response.body", "body": piece[:size], "more_body": True})
            size -= 65536
        await send({"type": "http.response.body", "body": b""})
        return
    answer = {
        "method": scope["method"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query": scope["query_string"].decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "size": len(body),
        "body": body.decode("utf-8", "replace"),
        "client_port": scope["client"][1] if scope.get("client") else None,
    }
    payload = json.dumps(answer).encode()
    headers = [(b"content-type", b"application/json"), (b"x-echo", b"1"),
               (b"set-cookie", b"session=echo-cookie-value; Path=/")]  # fmt: skip
    if path == "/gzip":
        payload = gzip.compress(payload)
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _read_head(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def fault(mode: str, port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _read_head(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        if mode == "reset":
            _reset(writer)
        elif mode == "silent":
            await asyncio.sleep(3600)
        elif mode == "half":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: 100\r\n\r\n{\"detail\":")  # fmt: skip
            await writer.drain()
            writer.close()
        elif mode == "drop":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
                         b"transfer-encoding: chunked\r\n\r\n")  # fmt: skip
            for _ in range(4):
                writer.write(b"10000\r\n" + b"y" * 65536 + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.2)
            _reset(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode in ("echo", "tls"):
        options: dict[str, Any] = {}
        if mode == "tls":
            options = {"ssl_certfile": sys.argv[3], "ssl_keyfile": sys.argv[4]}
        uvicorn.run(echo, host="127.0.0.1", port=port, log_level="warning", **options)
    else:
        asyncio.run(fault(mode, port))


if __name__ == "__main__":
    main()
