"""What the tests' httpx clients share: one TLS context. httpx builds a new one for each client
and each ``httpx.get``, loading certifi's bundle (about 30 ms of CPU), and the suite polls servers
and makes clients by the thousand, all to plain-HTTP servers on 127.0.0.1 (docs/testing.md)."""

from __future__ import annotations

import ssl

import certifi
import httpx

TLS = ssl.create_default_context(cafile=certifi.where())


def answers(url: str) -> bool:
    """Whether ``GET url`` answers 200 (a server's health while it starts)."""
    try:
        return httpx.get(url, timeout=1, verify=TLS).status_code == 200
    except httpx.HTTPError:
        return False
