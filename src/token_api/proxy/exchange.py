"""One exchange as the proxy saw it: the request that came in, the answer that went back, and
the violations found in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

REQUEST: Final = "request"  # the client broke the rule
RESPONSE: Final = "response"  # the deployment broke it
SIDES = (REQUEST, RESPONSE)

Headers = list[tuple[bytes, bytes]]  # as on the wire; names in lower case (ASGI's, httpx's)


def header(headers: Headers, name: bytes) -> str | None:
    """The first value of ``name`` (lower case), decoded as HTTP's latin-1."""
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def headers_map(headers: Headers) -> dict[str, str]:
    """Lower-case names; a repeated field's values joined with ", " (RFC 9110 §5.3)."""
    joined: dict[str, str] = {}
    for key, value in headers:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        joined[name] = f"{joined[name]}, {text}" if name in joined else text
    return joined


@dataclass(slots=True)
class Request:
    method: str
    path: str  # decoded, for finding the operation
    target: str  # the raw path and query, as sent
    headers: Headers
    body: bytes = b""  # the first bytes of the body (all of it when ``complete``)
    size: int = 0  # of the whole body
    complete: bool = True
    has_body: bool = False  # framed with a Content-Length or chunked


@dataclass(slots=True)
class Response:
    status: int
    headers: Headers
    body: bytes = b""
    complete: bool = True  # the whole body is in ``body`` (decoded, when it had a coding)
    by_proxy: bool = False  # the proxy answered, not the upstream


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str  # an id of the contract's x-rules
    side: str  # REQUEST or RESPONSE
    operation: str  # "POST /api/v1/token"
    reason: str  # one sentence, redacted, never quoting a secret
    status: int | None = None  # the answer the client got
    by_proxy: bool = False  # that answer came from the proxy (--errors, an upstream failure)
    exchange: int = 0  # its number, from 1
    started: float = field(default=0.0, compare=False)  # wall clock, seconds

    def where(self) -> str:
        """Operation, status and reason."""
        status = "-" if self.status is None else str(self.status)
        if self.by_proxy and self.status is not None:
            status += " (proxy)"
        return f"{self.operation} {status}: {self.reason}"

    def line(self) -> str:
        """The stderr line: rule id, side, operation, status, short reason."""
        return f"{self.rule} [{self.side}] {self.where()}"
