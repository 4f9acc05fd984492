"""The limits that protect the server, each at its bound and one past it, on both backends.

They are business rules written into openapi.yaml's operation description, not schema keywords:
the published request schema stays as wide as the vendor's (no maxLength, no maxItems), so every
body a vendor-conforming client sends is still schema-valid; only the bounds answer 413 or 422.
Lengths count characters (code points), not bytes or UTF-16 units.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.reliability.load import admin_token
from tests.support.api import Client
from tests.support.databases import postgres_database, sqlite_url
from tests.support.server import Server, init_demo
from token_api.contract.document import load_document
from token_api.contract.validators import MAX_BODY_BYTES
from token_api.domain.minting import MAX_NAME_LENGTH, MAX_WORKSPACE_NAME_LENGTH, MAX_WORKSPACES
from token_api.storage import Store, tables
from token_api.storage.organization import Organization

# One worker builds this module's servers once (docs/testing.md, "Workers").
pytestmark = [pytest.mark.reliability, pytest.mark.xdist_group("limits")]

# A workspace whose name is exactly at the bound, in two-byte characters.
LONG_WORKSPACE = "ω" * MAX_WORKSPACE_NAME_LENGTH
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def limited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A demo deployment of its own that also holds LONG_WORKSPACE (the shared one stays as is)."""
    context = None
    if request.param == "postgres":
        request.getfixturevalue("postgres_available")
        context = postgres_database()
        url = context.__enter__()
    else:
        url = sqlite_url(tmp_path_factory.mktemp("limits"))
    try:
        demo = init_demo(url)
        store = Store.connect(url)
        try:
            Organization(store).add_workspace(LONG_WORKSPACE)
        finally:
            store.close()
        log = tmp_path_factory.mktemp("logs") / f"limits-{request.param}.log"
        with Server(url, log=log) as server:
            yield {"url": server.url, "database": url, "admin": admin_token(demo)}
    finally:
        if context is not None:
            context.__exit__(None, None, None)


@pytest.fixture
def api(limited: dict[str, Any]) -> Iterator[Client]:
    with Client(limited["url"], limited["admin"]) as client:
        yield client


def _stored_name(database: str, token_id: str) -> str:
    store = Store.connect(database)
    try:
        with store.engine.connect() as connection:
            query = select(tables.tokens.c.name).where(tables.tokens.c.id == uuid.UUID(token_id))
            return str(connection.execute(query).scalar_one())
    finally:
        store.close()


def _stored_workspaces(database: str, token_id: str) -> list[str]:
    """The names of the workspaces a stored key reaches."""
    store = Store.connect(database)
    try:
        with store.engine.connect() as connection:
            query = select(tables.tokens.c.workspaces).where(
                tables.tokens.c.id == uuid.UUID(token_id)
            )
            ids = connection.execute(query).scalar_one()
            names = connection.execute(
                select(tables.workspaces.c.id, tables.workspaces.c.name)
            ).all()
    finally:
        store.close()
    by_id = {str(row.id): row.name for row in names}
    return sorted(by_id[workspace_id] for workspace_id in ids)


def _assert_violation(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert [item["loc"] for item in response.json()["detail"]] == [["body", field]]


def _padded(size: int) -> bytes:
    """A valid body of exactly ``size`` bytes (JSON allows any amount of whitespace)."""
    head, tail = b'{"name": "at the cap"', b"}"
    return head + b" " * (size - len(head) - len(tail)) + tail


def _chunked(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), 10_000):
        yield body[start : start + 10_000]


class TestBodySize:
    def test_a_body_of_exactly_the_cap_is_read(self, api: Client) -> None:
        body = _padded(MAX_BODY_BYTES)
        assert len(body) == 65_536
        assert api.request("POST", "/api/v1/token", content=body, headers=JSON).status_code == 200

    def test_one_byte_more_is_413(self, api: Client) -> None:
        response = api.request(
            "POST", "/api/v1/token", content=_padded(MAX_BODY_BYTES + 1), headers=JSON
        )
        assert response.status_code == 413
        assert "65536" in response.json()["detail"]

    def test_the_cap_holds_without_a_declared_length(self, api: Client) -> None:
        """Chunked: the server counts what arrives rather than trusting Content-Length."""
        at_cap = _chunked(_padded(MAX_BODY_BYTES))
        over = _chunked(_padded(MAX_BODY_BYTES + 1))
        assert api.request("POST", "/api/v1/token", content=at_cap, headers=JSON).status_code == 200
        assert api.request("POST", "/api/v1/token", content=over, headers=JSON).status_code == 413


class TestName:
    @pytest.mark.parametrize("character", ["n", "名", "😀"], ids=["ascii", "cjk", "astral"])
    def test_at_the_bound_is_stored_whole(
        self, api: Client, limited: dict[str, Any], character: str
    ) -> None:
        name = character * MAX_NAME_LENGTH
        response = api.create({"name": name})
        assert response.status_code == 200
        assert _stored_name(limited["database"], response.json()["api_token_id"]) == name

    @pytest.mark.parametrize("character", ["n", "名", "😀"], ids=["ascii", "cjk", "astral"])
    def test_one_character_more_is_422(self, api: Client, character: str) -> None:
        _assert_violation(api.create({"name": character * (MAX_NAME_LENGTH + 1)}), "name")

    @pytest.mark.parametrize("name", ["\x00", "a\x00", "\x00" * MAX_NAME_LENGTH])
    def test_a_nul_character_is_422(self, api: Client, name: str) -> None:
        _assert_violation(api.create({"name": name}), "name")


class TestWorkspaces:
    def test_a_name_at_the_bound_is_accepted(self, api: Client, limited: dict[str, Any]) -> None:
        response = api.create({"workspaces": [LONG_WORKSPACE]})
        assert response.status_code == 200
        # The key reaches that one workspace and no other.
        key_id = response.json()["api_token_id"]
        assert _stored_workspaces(limited["database"], key_id) == [LONG_WORKSPACE]

    def test_a_name_one_character_longer_is_422(self, api: Client) -> None:
        too_long = LONG_WORKSPACE + "ω"
        _assert_violation(api.create({"workspaces": [too_long]}), "workspaces")

    def test_a_nul_character_in_a_name_is_422(self, api: Client) -> None:
        _assert_violation(api.create({"workspaces": ["default", "default\x00"]}), "workspaces")

    def test_the_maximum_number_of_names_is_accepted(
        self, api: Client, limited: dict[str, Any]
    ) -> None:
        names = ["default"] * (MAX_WORKSPACES - 1) + [LONG_WORKSPACE]
        response = api.create({"workspaces": names})
        assert response.status_code == 200
        key_id = response.json()["api_token_id"]
        assert _stored_workspaces(limited["database"], key_id) == ["default", LONG_WORKSPACE]

    def test_one_name_more_is_422(self, api: Client) -> None:
        _assert_violation(
            api.create({"workspaces": ["default"] * (MAX_WORKSPACES + 1)}), "workspaces"
        )

    def test_the_maximum_of_distinct_unknown_names_is_403_not_a_database_error(
        self, api: Client
    ) -> None:
        """1,000 distinct names reach the database in one lookup (SQLite once allowed only 999
        bound parameters): the answer is the reach rule's 403."""
        names = [f"no-such-workspace-{i}" for i in range(MAX_WORKSPACES)]
        assert api.create({"workspaces": names}).status_code == 403


def test_the_spec_documents_each_limit_as_the_server_enforces_it() -> None:
    operation = load_document()["paths"]["/api/v1/token"]["post"]
    limits = operation["description"].split("## Limits", 1)[1].split("##", 1)[0]

    def number(pattern: str) -> int:
        found = re.search(pattern, limits)
        assert found, f"the Limits section does not state {pattern!r}"
        return int(found.group(1).replace(",", ""))

    assert number(r"body is at most ([\d,]+) bytes") == MAX_BODY_BYTES
    assert number(r"`name` is at most ([\d,]+) characters") == MAX_NAME_LENGTH
    assert number(r"lists at most ([\d,]+) names") == MAX_WORKSPACES
    assert number(r"names, each at most ([\d,]+) characters") == MAX_WORKSPACE_NAME_LENGTH
    assert "413" in operation["responses"]
    # The published request schema is not narrowed to express them.
    schema = load_document()["components"]["schemas"]["CreateToken"]["properties"]
    assert "maxItems" not in schema["workspaces"]
    assert "maxLength" not in str(schema["name"]) + str(schema["workspaces"])
