"""The benchmark's peers and floors start, mint a token that authenticates, and apply the same
rules as the reference server (the benchmarks themselves are never run by the test suite:
``python -m benchmarks.run``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from benchmarks.harness import KINDS, Server, database, init_demo
from benchmarks.trimming import PIECES, Variant

from tests.support.credentials import minted_key
from tests.support.http import TLS
from token_api.domain.minting import API_KEYS_CANNOT_MINT

OTHERS = [kind for kind in KINDS if kind != "reference"]
STRICT: list[object] = [
    {"expires_at": "2030-01-01T00:00:00"},  # no offset
    {"expires_at": "1990-12-31T23:59:60Z"},
    {"role_id": "0b7d4c388e0f4b8a9a4e3f0c2d5e6a71"},
    {"expires": 1},
    {"personal": "true"},
    {"workspaces": "research"},
    {"organization_role": "admin"},
    [],
]


@pytest.mark.parametrize("kind", OTHERS)
def test_benchmark_app_applies_the_rules(kind: str, tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as url:
        server = Server(kind, url, init_demo(url), pin=False).start()
        try:
            with httpx.Client(verify=TLS, base_url=server.url) as client:
                member = {"Authorization": f"Bearer {server.tokens['member']}"}
                minted = client.post(
                    "/api/v1/token",
                    json={"name": "smoke", "workspaces": ["research"]},
                    headers=member,
                )
                token = minted_key(minted).secret
                assert token.startswith("api_")
                # The minted token is an API key: recognised at once, and refused (an API key
                # cannot mint: the same domain rule as the reference's).
                again = client.post(
                    "/api/v1/token", json={}, headers={"Authorization": f"Bearer {token}"}
                )
                assert again.status_code == 403, again.text
                assert again.json()["detail"] == API_KEYS_CANNOT_MINT
                assert client.post("/api/v1/token", json={}).status_code == 401
                service = client.post("/api/v1/token", json={"personal": False}, headers=member)
                assert service.status_code == 403, service.text
                # The tuned peer and the ASGI floor check the published schema as strictly as the
                # reference (the plain peer is pydantic in its lax mode; the Starlette floor
                # checks only that the body is an object): what they accept, the contract does.
                if kind in ("tuned", "asgi"):
                    for body in STRICT:
                        refused = client.post("/api/v1/token", json=body, headers=member)
                        assert refused.status_code == 422, (body, refused.text)
                assert client.get("/health").status_code == 200
        finally:
            server.stop()


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """One demo database for every variant (each mints into it as a separate server would)."""
    with database("sqlite", tmp_path_factory.mktemp("variants")) as url:
        yield url, init_demo(url)


@pytest.mark.parametrize("piece", sorted(PIECES))
def test_each_trimming_variant_answers_as_the_reference(
    piece: str, demo_database: tuple[str, dict[str, str]]
) -> None:
    """benchmarks.trimming turns one piece of the Connexion trimming off at a time: each variant
    must still be the reference to a client, or the comparison would measure something else."""
    url, tokens = demo_database
    server = Variant("reference", url, tokens, pin=False)
    server.piece = piece
    server.start()
    try:
        with httpx.Client(verify=TLS, base_url=server.url) as client:
            member = {"Authorization": f"Bearer {server.tokens['member']}"}
            minted = client.post("/api/v1/token", json={"workspaces": ["research"]}, headers=member)
            key = {"Authorization": f"Bearer {minted_key(minted).secret}"}
            refused = client.post("/api/v1/token", json={}, headers=key)
            assert refused.status_code == 403
            assert refused.json() == {"detail": API_KEYS_CANNOT_MINT}
            assert client.post("/api/v1/token", json={}).status_code == 401
            for body in STRICT:
                invalid = client.post("/api/v1/token", json=body, headers=member)
                assert invalid.status_code == 422, (body, invalid.text)
    finally:
        server.stop()
