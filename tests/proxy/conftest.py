"""Fixtures: the reference server and the conformance tests' broken proxy in front of it (the
same fixtures as tests/conformance), and upstreams that misbehave at the HTTP level."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conformance.conftest import broken, reference
from tests.support.server import free_port

__all__ = ["broken", "reference"]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def upstream() -> Iterator[Callable[..., str]]:
    """Start ``tests/proxy/upstreams.py MODE``; returns its base URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(mode: str, *args: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.proxy.upstreams", mode, str(port), *args],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        import socket

        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"upstream {mode} did not start") from None
                time.sleep(0.05)
        scheme = "https" if mode == "tls" else "http"
        return f"{scheme}://127.0.0.1:{port}"

    yield start
    for process in started:
        process.terminate()
        process.wait(10)
