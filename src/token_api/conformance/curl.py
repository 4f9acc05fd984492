"""A request as a curl command that replays it, its credential replaced by a placeholder."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from token_api.conformance.redaction import MARK

# Headers every client adds by itself; they would only make the command longer.
_NOISE = {"host", "user-agent", "accept", "accept-encoding", "connection", "content-length"}
_NOISE_PREFIX = "x-schemathesis-"


def redacted_authorization(value: str) -> str:
    """An Authorization value with its credential replaced (the scheme kept, and whitespace
    after the credential, which a replay of a probe of it must send too)."""
    trailing = value[len(value.rstrip()) :]
    scheme, _, credentials = value.rstrip().partition(" ")
    if credentials and MARK not in value:
        return f"{scheme} {MARK}{trailing}"
    return value if MARK in value or not value.strip() else MARK + trailing


def curl(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes | None,
    *,
    body_from: str | None = None,
    chunked: bool = False,
) -> str:
    """``body_from``: a shell command that prints the body, piped in instead of spelling it out;
    ``chunked``: the body is sent without a length."""
    parts = ["curl", "-X", method.upper()]
    if chunked:
        parts += ["-H", shlex.quote("Transfer-Encoding: chunked")]
    for name, value in headers:
        lowered = name.lower()
        if lowered in _NOISE or lowered.startswith(_NOISE_PREFIX):
            continue
        if lowered == "authorization":
            value = redacted_authorization(value)
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    prefix = ""
    if body_from is not None:
        prefix = f"{body_from} | "
        parts += ["--data-binary", "@-"]
    elif body:
        try:
            parts += ["--data-raw", shlex.quote(body.decode("utf-8"))]
        except UnicodeDecodeError:
            # Bytes that are not UTF-8 (a deliberately broken body) go through printf.
            escaped = "".join(f"\\x{byte:02x}" for byte in body)
            prefix = f"printf '{escaped}' | "
            parts += ["--data-binary", "@-"]
    parts.append(shlex.quote(url))
    return prefix + " ".join(parts)
