"""What a client sends through the proxy: correct calls, and each way a client breaks the
contract."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

TOKEN = "/api/v1/token"


def soon(minutes: int = 10) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}", "Content-Type": "application/json"}


def mint(client: httpx.Client, session: str, **fields: Any) -> httpx.Response:
    body = {"name": "proxy test", "expires_at": soon(), **fields}
    return client.post(TOKEN, json=body, headers=bearer(session))


def correct(client: httpx.Client, sessions: dict[str, str]) -> list[str]:
    """Calls a well-behaved client makes; every answer must be the contract's. Returns the keys
    minted (secrets)."""
    admin, member = sessions["ADMIN"], sessions["MEMBER"]
    keys = []
    assert client.get("/health").status_code == 200
    for response in (
        mint(client, admin),
        mint(client, admin, organization_role="MEMBER", workspaces=["default"]),
        mint(client, admin, personal=False),
        mint(client, member),
        client.post(TOKEN, json={"expires_at": soon()}, headers=bearer(admin)),
    ):
        assert response.status_code == 200, response.text
        keys.append(response.json()["api_token"])
    # A narrower caller refused as the contract says: a 403, correct on both sides.
    assert mint(client, member, organization_role="ADMIN").status_code == 403
    return keys


def client_breaks(client: httpx.Client, sessions: dict[str, str], api_key: str) -> None:
    """One request per way a client breaks the contract (each is refused by the reference)."""
    admin = sessions["ADMIN"]
    body = json.dumps({"name": "proxy test", "expires_at": soon()}).encode()
    plain = {"Content-Type": "application/json"}
    # No credential; another scheme; two Authorization headers.
    assert client.post(TOKEN, content=body, headers=plain).status_code == 401
    basic = {**plain, "Authorization": "Basic dXNlcjpwYXNzd29yZA=="}
    assert client.post(TOKEN, content=body, headers=basic).status_code == 401
    two = httpx.Headers([("Authorization", f"Bearer {admin}"), ("Authorization", f"Bearer {admin}"),
                         ("Content-Type", "application/json")])  # fmt: skip
    assert client.post(TOKEN, content=body, headers=two).status_code == 401
    # An API key at Create Token.
    assert client.post(TOKEN, content=body, headers=bearer(api_key)).status_code == 403
    # Bodies: the schema, JSON, the media type, its charset, a coding, the size.
    invalid = {"organization_role": "OWNER", "expires_at": soon()}
    assert client.post(TOKEN, json=invalid, headers=bearer(admin)).status_code == 422
    assert client.post(TOKEN, content=b"{name: 1}", headers=bearer(admin)).status_code == 422
    text = {**bearer(admin), "Content-Type": "text/plain"}
    assert client.post(TOKEN, content=body, headers=text).status_code == 415
    latin = {**bearer(admin), "Content-Type": "application/json; charset=latin-1"}
    assert client.post(TOKEN, content=body, headers=latin).status_code == 415
    zipped = {**bearer(admin), "Content-Encoding": "gzip"}
    assert client.post(TOKEN, content=gzip.compress(body), headers=zipped).status_code == 415
    large = json.dumps({"name": "x" * 70_000, "expires_at": soon()}).encode()
    assert client.post(TOKEN, content=large, headers=bearer(admin)).status_code == 413


def retry_loop(client: httpx.Client, times: int = 5) -> None:
    """A credential the deployment refuses, sent again and again."""
    gone = "ses_" + "0" * 49
    for _ in range(times):
        assert client.post(TOKEN, json={}, headers=bearer(gone)).status_code == 401
