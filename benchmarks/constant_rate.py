"""A constant-rate load generator, wrk2-style (wrk itself has no rate option).

Request ``i`` is due at ``start + i / rate`` whatever happened to the ones before; its latency is
counted from when it was due, not from when it was sent, so a stall is charged to every request
it held up (no coordinated omission). The time from send to answer is kept too. Requests go over
a fixed pool of keep-alive connections (asyncio + uvloop; h11 frames the HTTP/1.1); a request
due while every connection is busy waits for the first free one, and that wait counts.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import h11


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


@dataclass
class Outcome:
    due: list[float] = field(default_factory=list)  # latency from when it was due, seconds
    service: list[float] = field(default_factory=list)  # from send to the answer's end
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    late_sends: int = 0  # sent more than 1 ms after due (the generator or the pool fell behind)
    elapsed: float = 0.0

    def summary(self) -> dict[str, Any]:
        def ms(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

        count = len(self.due)
        return {
            "requests": count,
            "rate": round(count / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": ms(self.due, 0.50),
            "p90_ms": ms(self.due, 0.90),
            "p99_ms": ms(self.due, 0.99),
            "max_ms": round(1000 * max(self.due), 3),
            "service_p50_ms": ms(self.service, 0.50),
            "service_p99_ms": ms(self.service, 0.99),
            "mean_ms": round(1000 * statistics.fmean(self.due), 3),
            "non2xx": sum(n for status, n in self.statuses.items() if not 200 <= status < 300),
            "errors": self.errors,
            "late_sends": self.late_sends,
        }


async def _connection(
    host: str, port: int, queue: asyncio.Queue[tuple[float, Call] | None], outcome: Outcome
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    connection = h11.Connection(h11.CLIENT)
    authority = f"{host}:{port}"
    while True:
        item = await queue.get()
        if item is None:
            writer.close()
            return
        due, call = item
        sent = time.perf_counter()
        if sent - due > 0.001:
            outcome.late_sends += 1
        headers = [("Host", authority), *call.headers]
        if call.body:
            headers.append(("Content-Length", str(len(call.body))))
        data = connection.send(h11.Request(method=call.method, target=call.path, headers=headers))
        if call.body:
            data += connection.send(h11.Data(data=call.body))
        data += connection.send(h11.EndOfMessage())
        writer.write(data)
        status = 0
        try:
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    chunk = await reader.read(65536)
                    connection.receive_data(chunk)
                    if not chunk:
                        raise ConnectionError("closed")
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.EndOfMessage):
                    break
        except (ConnectionError, h11.RemoteProtocolError):
            outcome.errors += 1
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
            connection = h11.Connection(h11.CLIENT)
            continue
        done = time.perf_counter()
        connection.start_next_cycle()
        outcome.due.append(done - due)
        outcome.service.append(done - sent)
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1


async def _run(
    url: str, calls: Sequence[Call], rate: float, seconds: float, connections: int
) -> Outcome:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue: asyncio.Queue[tuple[float, Call] | None] = asyncio.Queue()
    outcome = Outcome()
    workers = [
        asyncio.create_task(_connection(host, port, queue, outcome)) for _ in range(connections)
    ]
    await asyncio.sleep(0.2)  # the connections are open before the clock starts
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((due, calls[index % len(calls)]))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    outcome.elapsed = time.perf_counter() - start
    return outcome


def run(
    url: str, calls: Sequence[Call], *, rate: float, seconds: float, connections: int = 8
) -> dict[str, Any]:
    """``rate`` requests a second for ``seconds`` against ``url``, cycling through ``calls``."""
    import uvloop

    outcome = uvloop.run(_run(url, calls, rate, seconds, connections))
    return outcome.summary()
