"""The benchmark's peer and floor servers start and mint a key with a session (the benchmarks
themselves are never run by the test suite: ``python -m benchmarks.run``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
import pytest
from benchmarks.harness import Server, database, init_demo


@pytest.mark.parametrize("kind", ["peer", "floor"])
def test_benchmark_app_mints_a_token_that_authenticates(kind: str, tmp_path: Path) -> None:
    if kind == "peer" and importlib.util.find_spec("fastapi") is None:
        pytest.skip("the FastAPI peer needs the bench extra (pip install -e '.[bench]')")
    with database("sqlite", tmp_path) as url:
        server = Server(kind, url, init_demo(url)).start()
        try:
            minted = httpx.post(
                server.url + "/api/v1/token",
                json={"name": "smoke", "workspaces": ["research"]},
                headers={"Authorization": f"Bearer {server.tokens['member']}"},
            )
            assert minted.status_code == 200, minted.text
            token = minted.json()["api_token"]
            again = httpx.post(
                server.url + "/api/v1/token",
                json={},
                headers={"Authorization": f"Bearer {token}"},
            )
            # Recognised at once, and refused: API keys cannot mint (the same domain rule).
            assert again.status_code == 403, again.text
            refused = httpx.post(server.url + "/api/v1/token", json={})
            assert refused.status_code == 401
        finally:
            server.stop()
