"""The proxy benchmark's parts: the constant-rate generator sends what it is asked to, and the
benchmark's Create Token mix is correct traffic (every answer 200, no violation reported), so
that its latencies are those of real minting, through the proxy as straight to the server."""

from __future__ import annotations

from pathlib import Path

from benchmarks.proxy import calls, markdown

from benchmarks import constant_rate
from tests.proxy.support import Proxy
from tests.support.databases import sqlite_url
from tests.support.server import Server, init_demo


def test_the_mix_is_correct_traffic_through_the_proxy(tmp_path: Path) -> None:
    database = sqlite_url(tmp_path)
    demo = init_demo(database)
    tokens = {user["email"].split("@")[0]: user["session"] for user in demo["users"]}
    with Server(database) as server:
        proxy = Proxy(server.url, tmp_path / "proxy")
        try:
            for url in (server.url, proxy.url):
                result = constant_rate.run(url, calls(tokens), rate=40, seconds=1, connections=2)
                assert result["requests"] == 40
                assert (result["non2xx"], result["errors"]) == (0, 0)
        finally:
            stopped = proxy.stop()
    assert stopped.exit_code == 0, stopped.stderr
    assert stopped.lines == []
    assert stopped.report()["exchanges"] == 40


def test_the_report_says_which_target_was_missed() -> None:
    text = markdown(
        {
            "when": "2026-12-06 12:00",
            "machine": "x86_64, 2 cores",
            "argv": [],
            "rate": 200.0,
            "seconds": 20.0,
            "targets": {"added p50 ≤ 2 ms": True, "added p99 ≤ 10 ms": False},
        }
    )
    assert "added p50 ≤ 2 ms met, added p99 ≤ 10 ms MISSED" in text
