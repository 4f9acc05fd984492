"""What the tests' httpx clients share: one TLS context. httpx builds a new one for each client
and each ``httpx.get``, loading certifi's bundle (about 30 ms of CPU), and the suite polls servers
and makes clients by the thousand, all to plain-HTTP servers on 127.0.0.1 (docs/testing.md); and
the one wait for a server the tests start."""

from __future__ import annotations

import ssl
import subprocess
import time
from typing import Any

import certifi
import httpx

TLS = ssl.create_default_context(cafile=certifi.where())


def answers(url: str) -> bool:
    """Whether ``GET url`` answers 200 (a server's health while it starts)."""
    try:
        return httpx.get(url, timeout=1, verify=TLS).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until_answers(url: str, process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Poll ``url`` until it answers 200 (a server starting): RuntimeError, saying why, if
    ``process`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if process.poll() is not None:
            raise RuntimeError(
                f"the process meant to answer {url} exited with {process.returncode}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout} s")
        time.sleep(0.02)  # a server starts in about 0.6 s: a coarser poll only waits
