"""The forwarding proxy as an ASGI application: uvicorn parses the client's HTTP, aiohttp's client
talks to the upstream (httpx cost three times its CPU per exchange: docs/proxy.md).

Each request goes upstream as it came: method, raw path and query, headers (but the hop-by-hop
ones, RFC 9110 §7.6.1, and ``Host``, which names the upstream), body with its framing (a
``Content-Length`` body keeps its length, a chunked one is sent chunked). The answer comes back
as the upstream sent it, undecoded. Bodies up to ``BUFFER`` bytes are read whole before they are
sent on (one write upstream, and ``--errors`` can refuse them); larger ones stream through.

The judging happens after the answer has gone back to the client, so the client waits only for
the forwarding. With ``--errors``, a request that breaks the contract is answered ``422`` here
and never reaches the upstream. The proxy's own answers (``422``, ``502``, ``504``) are
``{"detail": ...}`` JSON like the contract's, and say they come from the proxy.
"""

from __future__ import annotations

import gc
import sys
import time
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDict
from starlette.types import Message, Receive, Scope, Send
from yarl import URL

from token_api.conformance.curl import curl
from token_api.conformance.exchange import Answer, minted_key
from token_api.proxy.exchange import Headers, Request, Response, header
from token_api.proxy.findings import Findings
from token_api.proxy.har import HarRecorder
from token_api.proxy.judge import Judge, Judgement

# Read whole before forwarding (the contract's bodies are at most 64 KiB); larger ones stream.
BUFFER = 1024 * 1024
# Of a streamed answer, this much is kept for judging; past it, body rules are not applied.
KEEP = 1024 * 1024
_HOP_BY_HOP = frozenset(
    (
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    )
)
# Not sent upstream: it names the proxy (aiohttp sets the upstream's), or asks the proxy itself
# for an interim answer that uvicorn has already given.
_NOT_FORWARDED = _HOP_BY_HOP | {b"host", b"expect"}
_NO_BODY_STATUSES = frozenset((204, 304))
_DECODERS: dict[str, Callable[[], Any]] = {
    "gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
    "x-gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
    "deflate": lambda: zlib.decompressobj(),
}


class ClientGone(Exception):
    """The client left before its request was whole: there is nobody to answer."""


class UpstreamDropped(Exception):
    """The upstream failed in the middle of an answer already on its way to the client: the
    client's connection is closed so that it sees the answer is incomplete."""


def _proxy_answer(status: int, detail: Any) -> tuple[Headers, bytes]:
    body = orjson.dumps({"detail": detail})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    return headers, body


def _refusal(violations: list[tuple[str, str]]) -> Any:
    """--errors: the 422's detail, HTTPValidationError items that name each rule broken."""
    items = []
    for rule, reason in violations:
        if rule.startswith("body."):
            loc = ["body"]
        elif rule.startswith("auth."):
            loc = ["header", "Authorization"]
        else:
            loc = ["request"]
        items.append(
            {
                "loc": loc,
                "msg": f"token-api proxy: the request breaks {rule}: {reason}",
                "type": "contract_violation",
                "rule": rule,
            }
        )
    return items


def _decoded(headers: Headers, body: bytes, complete: bool) -> tuple[bytes, bool]:
    """The body as the rules read it: undone from a gzip or deflate coding (another coding:
    not judged)."""
    coding = (header(headers, b"content-encoding") or "identity").strip().lower()
    if coding in ("", "identity"):
        return body, complete
    factory = _DECODERS.get(coding)
    if factory is None or not complete:
        return b"", False
    try:
        decoder = factory()
        return decoder.decompress(body, KEEP) + decoder.flush(), complete
    except zlib.error:
        return b"", False


class Proxy:
    def __init__(
        self,
        upstream: str,
        judge: Judge,
        findings: Findings,
        *,
        errors: bool = False,
        timeout: float = 30.0,
        recorder: HarRecorder | None = None,
    ) -> None:
        self.upstream = URL(upstream)
        self._origin = self.upstream.origin()
        self._prefix = self.upstream.raw_path.rstrip("/")
        self.judge = judge
        self.findings = findings
        self.errors = errors
        self.timeout = timeout
        self.recorder = recorder
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Keep-alive connections are dropped before a server's usual 5 s idle timeout,
            # so that a request is never written to a connection the upstream is closing.
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=2.0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=min(self.timeout, 10.0), sock_read=self.timeout
                ),
                # The client's cookies are its own: the proxy keeps none.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Nothing of aiohttp's own: no User-Agent, Accept, Accept-Encoding, Content-Type.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                # The body goes back as it came; a copy is decoded for judging.
                auto_decompress=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, scope: Scope) -> str:
        """The upstream's URL for the request: its raw path and query, percent-encoding kept."""
        query = (scope.get("query_string") or b"").decode("latin-1")
        raw = scope.get("raw_path") or scope["path"].encode()
        target = self._prefix + raw.decode("latin-1") + (f"?{query}" if query else "")
        return f"{self._origin}{target}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        exchange = _Exchange(self, scope, receive, send)
        try:
            await exchange.run()
        except ClientGone:
            return
        except UpstreamDropped:
            raise  # uvicorn closes the connection (its log of it is filtered: run.py)
        except Exception as error:  # a bug of the proxy: one line, and the client an answer
            print(
                f"token-api proxy: internal error on {scope['method']} {scope['path']}: "
                f"{type(error).__name__}: {error}",
                file=sys.stderr,
                flush=True,
            )
            if not exchange.started:
                await exchange.answer(500, "token-api proxy: internal error; its stderr says more.")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # What is built by now (the document, compiled schemas) lives as long as the
                # process; frozen, the collector no longer walks it on each full collection.
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


class _Exchange:
    """One request through the proxy."""

    def __init__(self, proxy: Proxy, scope: Scope, receive: Receive, send: Send) -> None:
        self.proxy = proxy
        self.scope = scope
        self.receive = receive
        self.send = send
        self.started = False  # the answer's start is on its way to the client
        self.wall = time.time()
        self.clock = time.perf_counter()

    async def answer(self, status: int, detail: Any) -> Response:
        headers, body = _proxy_answer(status, detail)
        self.started = True
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})
        return Response(status, headers, body, by_proxy=True)

    async def _read(self) -> tuple[Request, list[bytes], bool]:
        """The request, its first BUFFER bytes of body, and whether more is to come."""
        scope = self.scope
        headers: Headers = list(scope["headers"])
        chunked = any(k == b"transfer-encoding" and b"chunked" in v.lower() for k, v in headers)
        length = header(headers, b"content-length")
        has_body = chunked or length is not None
        chunks: list[bytes] = []
        size, more = 0, has_body
        while more and size <= BUFFER:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        request = Request(
            method=scope["method"],
            path=scope["path"],
            target=self.proxy._url(scope),
            headers=headers,
            body=body,
            size=size,
            complete=not more,
            has_body=has_body,
        )
        return request, [body] if body else [], more

    async def _rest(self, first: list[bytes], request: Request, more: bool) -> AsyncIterator[bytes]:
        """The body as read so far, then (``more``) the rest as it arrives."""
        for chunk in first:
            yield chunk
        while more:
            message: Message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = message.get("body", b"")
            if chunk:
                request.size += len(chunk)
                yield chunk
            if not message.get("more_body", False):
                return

    async def run(self) -> None:
        proxy = self.proxy
        request, first, more = await self._read()
        judgement = proxy.judge.request(request)
        refused = judgement.refusals() if proxy.errors else []
        response: Response | None
        sent = waited = self.clock
        if refused:
            proxy.findings.summary.refused += 1
            response = await self.answer(422, _refusal(refused))
        else:
            headers = CIMultiDict(
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in request.headers
                if k not in _NOT_FORWARDED
            )
            content: bytes | AsyncIterator[bytes] | None = None
            if request.has_body:
                chunked = header(request.headers, b"content-length") is None
                content = self._rest(first, request, more) if more or chunked else request.body
            sent = time.perf_counter()
            response, waited = await self._forward(headers, content, judgement)
        if response is not None and not response.by_proxy:
            proxy.judge.response(judgement, response)
        self._finish(judgement, request, response, (sent, waited))

    async def _forward(
        self,
        headers: CIMultiDict[str],
        content: bytes | AsyncIterator[bytes] | None,
        judgement: Judgement,
    ) -> tuple[Response | None, float]:
        proxy = self.proxy
        where = str(proxy.upstream)
        url = URL(proxy._url(self.scope), encoded=True)
        try:
            answer = await proxy.session().request(
                self.scope["method"], url, headers=headers, data=content, allow_redirects=False
            )
        except ClientGone:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            proxy.findings.summary.unanswered += 1
            if isinstance(error, aiohttp.ConnectionTimeoutError):
                why = "did not accept a connection in time"
            elif isinstance(error, TimeoutError):
                why = f"did not answer within {proxy.timeout:g} s"
            else:
                why = ""
            if why:
                return await self.answer(504, f"token-api proxy: the upstream {where} {why}."), 0.0
            if isinstance(error, aiohttp.ClientConnectorError):
                reason = str(error.os_error) or type(error).__name__
                if isinstance(error, aiohttp.ClientConnectorCertificateError):
                    reason = str(error.certificate_error)
                detail = f"token-api proxy: cannot connect to the upstream {where} ({reason})."
            else:
                proxy.judge.dropped(judgement, "closed the connection without an answer")
                detail = f"token-api proxy: the upstream {where} closed the connection without "
                detail += "an answer."
            return await self.answer(502, detail), 0.0
        waited = time.perf_counter()
        try:
            return await self._relay(answer, judgement), waited
        finally:
            answer.release()

    async def _relay(self, answer: aiohttp.ClientResponse, judgement: Judgement) -> Response:
        proxy = self.proxy
        status = answer.status
        headers = [(k, v) for k, v in answer.raw_headers if k.lower() not in _HOP_BY_HOP]
        length = answer.headers.get("content-length")
        no_body = self.scope["method"] == "HEAD" or status in _NO_BODY_STATUSES or status < 200
        small = length is not None and length.isdigit() and int(length) <= BUFFER
        kept: list[bytes] = []
        size = 0
        try:
            if no_body or small:
                # Whole before anything goes back: an upstream failing now still gets a 502.
                kept.append(await answer.read())
                self.started = True
                await self.send({"type": "http.response.start", "status": status,
                                 "headers": headers})  # fmt: skip
                await self.send({"type": "http.response.body", "body": kept[0]})
            else:
                self.started = True
                await self.send({"type": "http.response.start", "status": status,
                                 "headers": headers})  # fmt: skip
                async for chunk in answer.content.iter_any():
                    if size < KEEP:
                        kept.append(chunk[: KEEP - size])
                    size += len(chunk)
                    await self.send(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
                await self.send({"type": "http.response.body", "body": b""})
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            proxy.findings.summary.unanswered += 1
            timed_out = isinstance(error, TimeoutError)
            what = (
                f"did not finish its answer within {proxy.timeout:g} s"
                if timed_out
                else "dropped the connection in the middle of its answer"
            )
            if not timed_out:
                proxy.judge.dropped(judgement, what)
            if self.started:
                partial = Response(status, headers, b"".join(kept), complete=False)
                self._finish(judgement, judgement.request, partial, (self.clock, self.clock))
                raise UpstreamDropped(what) from None
            detail = f"token-api proxy: the upstream {proxy.upstream} {what}."
            return await self.answer(504 if timed_out else 502, detail)
        body = b"".join(kept)
        complete = size <= KEEP if not (no_body or small) else True
        decoded, complete = _decoded(headers, body, complete)
        return Response(status, headers, decoded, complete)

    def _finish(
        self,
        judgement: Judgement,
        request: Request,
        response: Response | None,
        moments: tuple[float, float],
    ) -> None:
        proxy = self.proxy
        findings = proxy.findings
        number = findings.begin()
        status = response.status if response is not None else None
        url = proxy._url(self.scope)
        by_proxy = response is not None and response.by_proxy

        def replay() -> str:
            body = request.body if request.complete and request.size <= 4096 else None
            sent = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers]
            command = curl(request.method, url, sent, body)
            if request.has_body and body is None:
                command += f"  # its body of {request.size:,} bytes is not shown"
            return command

        violations = findings.add(
            judgement, number, status, by_proxy=by_proxy, started=self.wall, curl=replay
        )
        recorder = proxy.recorder
        if recorder is None:
            return
        end = time.perf_counter()
        sent, waited = moments
        if waited <= sent:
            waited = sent
        timings = (
            round((sent - self.clock) * 1000, 3),
            round((waited - sent) * 1000, 3),
            round((end - waited) * 1000, 3),
        )
        secrets = tuple(s for s in (judgement.bearer, _minted(judgement, response)) if s)
        recorder.record(
            url=url,
            request=request,
            response=response,
            started=self.wall,
            timings=timings,
            violations=violations,
            secrets=secrets,
        )


def _minted(judgement: Judgement, response: Response | None) -> str | None:
    if response is None or judgement.operation is None or not response.complete:
        return None
    found = minted_key(judgement.operation, Answer(response.status, {}, response.body))
    return found.secret if found else None
