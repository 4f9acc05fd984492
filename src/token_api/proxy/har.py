"""``--record FILE``: the exchanges as HAR 1.2, written as they happen (nothing is kept in memory),
with every secret redacted: credentials in headers, the minted ``api_token`` and anything that
looks like a key, a session or a bearer credential in a body, a query or another header.

The file is a complete HAR document once the proxy stops; while it runs, it lacks its closing
brackets. Each entry carries the violations found in it (``_violations``, HAR's custom fields),
so recorded traffic can be turned into conformance cases.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

import orjson

from token_api.conformance.curl import redacted_authorization
from token_api.conformance.redaction import MARK, Redactor
from token_api.proxy.exchange import Headers, Request, Response, Violation, header

CREATOR = "token-api proxy"
# Header fields whose whole value is a secret.
_SECRET_FIELDS = frozenset((b"cookie", b"set-cookie", b"x-api-key", b"proxy-authorization"))


def _iso(moment: float) -> str:
    millis = int(moment * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{millis:03d}Z"


class HarRecorder:
    def __init__(self, path: Path, version: str, redact: Redactor) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._redact = redact
        self._first = True
        creator = orjson.dumps({"name": CREATOR, "version": version}).decode()
        self._file.write(f'{{"log": {{"version": "1.2", "creator": {creator}, "entries": [\n')
        self._file.flush()

    def _text(self, text: str, secrets: Iterable[str]) -> str:
        for secret in secrets:
            if len(secret) >= 8:
                text = text.replace(secret, MARK)
        return self._redact(text)

    def _headers(self, headers: Headers, secrets: tuple[str, ...]) -> list[dict[str, str]]:
        listed = []
        for name, value in headers:
            lowered = name.lower()
            text = value.decode("latin-1")
            if lowered == b"authorization":
                text = redacted_authorization(text)
            elif lowered in _SECRET_FIELDS:
                text = MARK
            else:
                text = self._text(text, secrets)
            listed.append({"name": name.decode("latin-1"), "value": text})
        return listed

    def _content(self, body: bytes, complete: bool, secrets: tuple[str, ...]) -> dict[str, Any]:
        text = self._text(body.decode("utf-8", "replace"), secrets)
        content: dict[str, Any] = {"text": text}
        if not complete:
            content["comment"] = f"the first {len(body):,} bytes only"
        return content

    def record(
        self,
        *,
        url: str,
        request: Request,
        response: Response | None,
        started: float,
        timings: tuple[float, float, float],  # send, wait, receive (ms)
        violations: list[Violation],
        secrets: tuple[str, ...],
    ) -> None:
        """One entry; ``secrets`` are this exchange's credential and minted key, replaced
        wherever they appear, before the patterns."""
        query = url.partition("?")[2]
        entry: dict[str, Any] = {
            "startedDateTime": _iso(started),
            "time": round(sum(timings), 3),
            "request": {
                "method": request.method,
                "url": self._text(url, secrets),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": self._headers(request.headers, secrets),
                "queryString": [
                    {"name": self._text(k, secrets), "value": self._text(v, secrets)}
                    for k, v in parse_qsl(query, keep_blank_values=True)
                ],
                "headersSize": -1,
                "bodySize": request.size,
            },
            "response": {
                "status": response.status if response else 0,
                "statusText": "",
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": self._headers(response.headers, secrets) if response else [],
                "content": {"size": 0, "mimeType": "x-unknown"},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": len(response.body) if response else -1,
            },
            "cache": {},
            "timings": {"send": timings[0], "wait": timings[1], "receive": timings[2]},
            "_violations": [
                {"rule": v.rule, "side": v.side, "reason": v.reason} for v in violations
            ],
        }
        if request.has_body:
            post = self._content(request.body, request.complete, secrets)
            post["mimeType"] = header(request.headers, b"content-type") or ""
            entry["request"]["postData"] = post
        if response is not None:
            content = self._content(response.body, response.complete, secrets)
            content["size"] = len(response.body)
            content["mimeType"] = header(response.headers, b"content-type") or "x-unknown"
            entry["response"]["content"] = content
            if response.by_proxy:
                entry["response"]["_answeredBy"] = CREATOR
        else:
            entry["response"]["_error"] = "no answer"
        self._file.write(("" if self._first else ",\n") + orjson.dumps(entry).decode())
        self._first = False
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.write("\n]}}\n")
            self._file.close()
