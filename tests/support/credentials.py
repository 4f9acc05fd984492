"""Sessions and API keys as the tests use them: minting with a session, the answers an API key
gets, and what ``token-api keys list --json`` says was stored."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.api import Client
from tests.support.server import admin

DEMO_USERS = {
    "ADMIN": "admin@example.com",
    "MEMBER": "member@example.com",
    "EXTERNAL": "external@example.com",
}
API_KEY_REFUSED = "API keys can't be used to create, modify, or delete API tokens."


def shown(response: Any) -> str:
    """A response for an assertion message: a 200's body is a secret, never shown."""
    return f"{response.status_code} (a new key)" if response.status_code == 200 else response.text


@dataclass(frozen=True)
class Key:
    """An API key as Create Token's 200 gives it."""

    secret: str = field(repr=False)  # never in a report
    id: str


def minted_key(response: Any) -> Key:
    """The key a Create Token answer carries; the answer must be its 200. The one place the
    tests read the names of the 200's body (the conformance suite has its own)."""
    assert response.status_code == 200, shown(response) if response.status_code != 200 else ""
    body = response.json()
    return Key(str(body["api_token"]), str(body["api_token_id"]))


def mint(api: Client, body: dict[str, Any] | None = None, token: str | None = None) -> str:
    """Create a key (as the session ``token``, default the client's) and return its secret."""
    return minted_key(api.create(body or {}, **({"token": token} if token else {}))).secret


def assert_denied(response: Any, status: int = 403) -> None:
    assert response.status_code == status, shown(response)
    assert isinstance(response.json()["detail"], str)


def assert_key_refused(response: Any) -> None:
    """The answer to a valid API key at Create Token: recognised, not permitted."""
    assert response.status_code == 403, shown(response)
    assert response.json() == {"detail": API_KEY_REFUSED}


def keys(database: str, user: str | None = None) -> list[dict[str, Any]]:
    """``token-api keys list --json [--user EMAIL]``."""
    args = ("keys", "list", "--json", *(("--user", user) if user else ()))
    return list(json.loads(admin(*args, database=database).stdout))


def stored_key(deployment: dict[str, Any], key_id: str, user: str | None = None) -> dict[str, Any]:
    """What ``keys list --json`` shows of one key (``user``: list only theirs, faster)."""
    found = [key for key in keys(deployment["database"], user) if key["id"] == key_id]
    assert len(found) == 1, f"keys list shows the key {key_id} {len(found)} times"
    return found[0]


def new_user(database: str, role: str, *workspaces: str, prefix: str = "user") -> str:
    """``token-api users add`` of a fresh email; returns it."""
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"
    reach = [arg for name in workspaces for arg in ("--workspace", name)]
    admin("users", "add", email, "--role", role, *reach, database=database)
    return email


def login(database: str, email: str, *options: str) -> str:
    """``token-api users login EMAIL``: the session, alone on stdout."""
    session = admin("users", "login", email, *options, database=database).stdout
    assert session.endswith("\n") and session.count("\n") == 1, "one line, the session alone"
    return session.strip()


def expire(database: str, secret: str) -> None:
    """Move a stored credential's expiry into the past (a session lives at least an hour)."""
    from sqlalchemy import create_engine, update

    from token_api.domain.secrets import digest
    from token_api.storage.tables import tokens

    engine = create_engine(database)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(tokens)
                .where(tokens.c.secret_digest == digest(secret))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
    finally:
        engine.dispose()
