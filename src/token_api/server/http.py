"""The HTTP/1.1 protocol the server runs: uvicorn's httptools protocol with the bounds it lacks.

uvicorn (0.54, httptools) leaves to the application, or to nobody, what a server facing hostile
clients must decide before any application code runs:

- **Size of a request head.** httptools concatenates a header line until it ends, without a
  bound: eight sockets sending 32 MB headers grew the process by 300 MB. Here a request line +
  headers over ``MAX_HEAD_BYTES`` (h11's default) is ``431`` and the connection is closed; so are
  chunk framing + trailers beyond that allowance over the body's own size.
- **Slow clients.** uvicorn times out only an idle keep-alive connection, and only after a first
  response. Here the line and headers must arrive within ``header_timeout`` of the connection's
  start or the previous response, and the body within ``body_timeout`` after them, else ``408``.
- **How many connections.** Past ``max_connections``, the connection that has waited longest on
  its client (idle, or sending a head or body) is closed to make room, so that a slowloris
  cannot lock well-behaved clients out; if every connection is being answered, the new one gets
  ``503`` with ``Retry-After``. (uvicorn's ``limit_concurrency`` answers a plain-text 503 and
  counts the slow connections it should shed.)
- **Trailers.** uvicorn appends chunked trailer fields to the request's header list, where an
  ``Authorization`` trailer authenticated the request. Trailer fields are never request headers
  (RFC 9110 §6.5): they are dropped.
- **Header rules of HTTP/1.1** the parser does not apply: a request needs exactly one ``Host``
  (RFC 9112 §3.2, else ``400``), at most one ``Content-Type`` (``400``), and a body with a
  ``Content-Encoding`` this server does not decode (it decodes none) is ``415``.

Every answer given here is ``{"detail": "<sentence>"}`` JSON with ``Connection: close``, like the
application's (uvicorn's own 400 is plain text). Each check is a comparison or two per header or
per chunk read, inside the callbacks uvicorn already runs: no extra layer on the request path.
``HTTP_ANSWERS`` lists the statuses answered here; the ``status-documented`` lint rule reads it.
"""

from __future__ import annotations

import asyncio
import weakref
from functools import cache
from typing import Any, ClassVar

import httptools
import orjson
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from token_api.server.settings import Settings

# h11's limit for a request line and headers, and for chunk framing and trailers.
MAX_HEAD_BYTES = 16 * 1024

# The statuses this module answers, and for which operations: "every" one, or those with a
# request "body". Read by the status-documented lint rule (spectools/server_statuses.py).
HTTP_ANSWERS: dict[int, str] = {
    400: "every",
    408: "every",
    415: "body",
    431: "every",
    503: "every",
}

# How long a refused connection is read (and what comes dropped) before it is closed.
LINGER_SECONDS = 2.0
# How often the deadlines of a server's connections are checked: a deadline is met at most this
# late (or a quarter of the shortest timeout, when that is shorter).
SWEEP_SECONDS = 1.0

_WATCHED = frozenset((b"host", b"content-type", b"content-encoding", b"expect"))
_NOT_ENCODED = frozenset((b"", b"identity"))
_NO_BODY = frozenset((b"GET", b"HEAD"))


class Refusal(Exception):
    """Raised in a parser callback to stop parsing and answer ``status`` instead."""

    def __init__(self, status: int, detail: str, *, retry_after: bool = False) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


INVALID = Refusal(400, "The request is not valid HTTP/1.1.")


@cache
def _settings() -> Settings:
    # Once per process: uvicorn workers receive the settings through the environment.
    return Settings.from_environment()


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's ``HttpToolsProtocol`` with the bounds above; pass as ``uvicorn.run(http=...)``."""

    # A server decodes no content coding (415); a proxy passes them on to its upstream.
    refuses_content_codings: ClassVar[bool] = True

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = _settings()
        self.header_timeout = settings.header_timeout.total_seconds()
        self.body_timeout = settings.body_timeout.total_seconds()
        self.max_connections = settings.max_connections
        # Between the end of a request's head and the end of its body (trailers come in between).
        self._head_done = False
        self._message_begun = False
        self._messages = 0  # requests received whole on this connection
        self._head_received = 0  # bytes of chunks read entirely within a head (see data_received)
        self._head_size = 0  # bytes of the current head's header lines
        self._framing = 0  # body-phase bytes that were not body, minus the body's size
        self._hosts = 0
        self._content_types = 0
        self._encoded = False
        self._over_capacity = False
        self._discarding = False  # refused: reading only to drop what the client still sends
        # Since when the server has been waiting on this client (None: the client waits on us).
        self.waiting_since: float | None = None
        # When, on the loop's clock, the client's time is up (None: no deadline runs). Checked by
        # the server's sweep (_Sweep), not by a timer of its own: a timer armed and cancelled
        # twice a request was measurable work on the request path.
        self.deadline: float | None = None
        self._linger: asyncio.TimerHandle | None = None

    # Connection lifecycle

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _Sweep.watch(self)
        self._wait_for_client(self.header_timeout)
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._cancel_deadline()
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        self.waiting_since = None

    def _make_room(self) -> None:
        waiting = [
            connection
            for connection in self.connections
            if connection is not self
            and isinstance(connection, GuardedHttpToolsProtocol)
            and connection.waiting_since is not None
        ]
        if waiting:
            oldest = min(waiting, key=lambda connection: connection.waiting_since or 0.0)
            oldest.waiting_since = None
            oldest.transport.close()
        else:
            self._over_capacity = True

    # Deadlines

    def _wait_for_client(self, seconds: float) -> None:
        self.waiting_since = self.loop.time()
        self._arm(seconds)

    def _arm(self, seconds: float) -> None:
        self.deadline = self.loop.time() + seconds

    def _cancel_deadline(self) -> None:
        self.deadline = None

    def deadline_passed(self) -> None:
        self.deadline = None
        if self.transport.is_closing() or self._discarding:
            return
        if self._head_done:
            seconds = f"{self.body_timeout:g}"
            self._refuse(Refusal(408, f"The request body did not arrive within {seconds} s."))
        elif self._message_begun:
            seconds = f"{self.header_timeout:g}"
            self._refuse(
                Refusal(408, f"The request line and headers did not arrive within {seconds} s.")
            )
        else:
            self.transport.close()  # idle: nothing was asked, nothing to answer

    # Reading

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        self._unset_keepalive_if_required()
        if self._head_done:
            # Body, chunk framing and trailers. httptools buffers trailer lines whole, so they
            # are bounded as a head is; framing is allowed as much again as the body itself.
            self._framing += len(data)
            self._feed(data)
            if self._head_done and self._framing > MAX_HEAD_BYTES:
                self._refuse(Refusal(431, "The chunk framing and trailers are too large."))
        else:
            messages = self._messages
            self._feed(data)
            # A chunk read while a head was incomplete, that neither ended a message nor
            # completed a head, is all head: httptools keeps it in memory, so count it.
            if not self._head_done and self._messages == messages:
                self._head_received += len(data)
                if self._head_received > MAX_HEAD_BYTES:
                    self._refuse(_too_large())
        if self._head_done and self.deadline is None and not self.transport.is_closing():
            self._arm(self.body_timeout)

    def _feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            context = error.__context__
            self._refuse(context if isinstance(context, Refusal) else INVALID)
        except httptools.HttpParserUpgrade:
            pass  # no endpoint upgrades; the request is answered as it is
        except httptools.HttpParserError:
            self._refuse(INVALID)

    def _refuse(self, refusal: Refusal) -> None:
        if self.transport.is_closing() or self._discarding:
            return
        cycle = self.cycle
        if self._head_done:
            # This request's body failed: its application sees a disconnect, never a body.
            if cycle.response_started or self.pipeline:
                self.transport.close()  # an answer is already on the wire, or queued behind one
                return
            cycle.disconnected = True
            cycle.message_event.set()
        elif cycle is not None and not cycle.response_complete:
            # A pipelined request behind one still being answered: close after that answer.
            cycle.keep_alive = False
            self.flow.pause_reading()
            return
        self.waiting_since = None
        self.transport.write(_answer(refusal, self.server_state.default_headers))
        # Closing with unread bytes in the socket sends a reset, which can destroy the answer
        # before the client reads it (a client still sending its 1 MB header, say). So: end
        # our side, read and drop what still comes, and close a moment later.
        self._discarding = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self._cancel_deadline()
        self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    # Parser callbacks (uvicorn's, with the checks above)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._message_begun = True
        self._head_size = 0
        self._hosts = 0
        self._content_types = 0
        self._encoded = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._head_done:
            return  # a trailer field: never a request header (RFC 9110 §6.5)
        self._head_size += len(name) + len(value) + 4
        name = name.lower()
        # As uvicorn's own on_header (0.55): llhttp keeps the whitespace after a value, which is
        # not part of it (RFC 9110 §5.5).
        value = value.rstrip(b" \t")
        if name in _WATCHED:
            if name == b"host":
                self._hosts += 1
            elif name == b"content-type":
                self._content_types += 1
            elif name == b"content-encoding":
                self._encoded = self._encoded or value.strip().lower() not in _NOT_ENCODED
            elif value.lower() == b"100-continue":
                self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._cancel_deadline()
        if self._head_size + len(self.url) > MAX_HEAD_BYTES:
            raise _too_large()
        if self._over_capacity:
            raise Refusal(
                503, "The server has too many open connections; retry later.", retry_after=True
            )
        if self._hosts > 1 or (self._hosts == 0 and self.parser.get_http_version() == "1.1"):
            raise Refusal(400, "An HTTP/1.1 request needs exactly one Host header.")
        if self._content_types > 1:
            raise Refusal(400, "A request may carry one Content-Type header, not several.")
        if (
            self._encoded
            and self.refuses_content_codings
            and self.parser.get_method() not in _NO_BODY
        ):
            raise Refusal(
                415, "The server does not decode content codings: send the body without one."
            )
        self._head_done = True
        self._framing = 0
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._framing -= 2 * len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._head_done = False
        self._message_begun = False
        self._messages += 1
        self._head_received = 0
        self._cancel_deadline()
        self.waiting_since = None
        super().on_message_complete()
        if self.cycle.response_complete and not self.pipeline:
            # Answered before its body was in (a 401, a 413): the next request's turn now.
            self._wait_for_client(self.header_timeout)

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        # Not while this request's body is still arriving: its own deadline runs.
        if not pipelined and not self._head_done and not self.transport.is_closing():
            self._wait_for_client(self.header_timeout)


class _Sweep:
    """One timer per server that meets its connections' deadlines: every ``interval`` seconds
    while connections are open, each whose deadline has passed is told so."""

    _running: ClassVar[weakref.WeakKeyDictionary[ServerState, _Sweep]] = weakref.WeakKeyDictionary()

    def __init__(self, state: ServerState, loop: asyncio.AbstractEventLoop, interval: float):
        self.state = state
        self.loop = loop
        self.interval = interval
        loop.call_later(interval, self.sweep)

    @classmethod
    def watch(cls, protocol: GuardedHttpToolsProtocol) -> None:
        """Make sure the sweep of ``protocol``'s server runs."""
        state = protocol.server_state
        if state not in cls._running:
            interval = min(SWEEP_SECONDS, protocol.header_timeout / 4, protocol.body_timeout / 4)
            cls._running[state] = cls(state, protocol.loop, interval)

    def sweep(self) -> None:
        now = self.loop.time()
        for connection in list(self.state.connections):
            if isinstance(connection, GuardedHttpToolsProtocol):
                deadline = connection.deadline
                if deadline is not None and deadline <= now:
                    connection.deadline_passed()
        if self.state.connections:
            self.loop.call_later(self.interval, self.sweep)
        else:
            del self._running[self.state]  # the next connection starts it again


def _too_large() -> Refusal:
    return Refusal(431, f"The request line and headers exceed {MAX_HEAD_BYTES} bytes.")


def _answer(refusal: Refusal, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    body = orjson.dumps({"detail": refusal.detail})
    lines = [STATUS_LINE[refusal.status]]
    for name, value in default_headers:
        lines += [name, b": ", value, b"\r\n"]
    if refusal.retry_after:
        lines.append(b"retry-after: 1\r\n")
    lines += [
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"connection: close\r\n\r\n",
        body,
    ]
    return b"".join(lines)
