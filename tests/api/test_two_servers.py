"""Two servers on one PostgreSQL database, as a scaled-out deployment runs: what the command line
changes (logout, user removal, keys revoke) and what time ends (expiry) is answered the same, at
once, by both. Nothing is cached per server: each request reads the one database."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple

import pytest

from tests.support.api import Client
from tests.support.credentials import (
    API_KEY_REFUSED,
    assert_denied,
    assert_key_refused,
    expire,
    login,
    minted_key,
    new_user,
)
from tests.support.databases import postgres_database
from tests.support.server import Server, admin, init_demo

# One worker builds this module's servers once (docs/testing.md, "Workers").
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("two-servers")]
Pair = tuple[str, list[Client]]  # the database URL, a client of each server


@pytest.fixture(scope="module")
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """One PostgreSQL database, two servers on it, for the module (each test adds its own user)."""
    request.getfixturevalue("postgres_available")
    logs = tmp_path_factory.mktemp("two-servers")
    with postgres_database() as url:
        init_demo(url)
        servers = [Server(url, log=logs / f"server-{i}.log") for i in range(2)]
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(Server.start, servers))
            clients = [Client(server.url) for server in servers]
            yield url, clients
            for client in clients:
                client.http.close()
        finally:
            for server in servers:
                server.stop()


def _on_both(clients: list[Client], credential: str) -> list[int]:
    return [client.create({}, token=credential).status_code for client in clients]


def _minted(client: Client, session: str, personal: bool = True) -> str:
    return minted_key(client.create({"personal": personal}, token=session)).secret


def test_a_session_and_its_keys_on_two_servers(pair: Pair) -> None:
    db, (first, second) = pair
    email = new_user(db, "ADMIN", prefix="scaled")
    session = login(db, email)
    assert _on_both([first, second], session) == [200, 200]
    # A key minted on one server is recognised on the other at once.
    key = _minted(first, session)
    assert_key_refused(second.create({}, token=key))
    assert_key_refused(first.create({}, token=_minted(second, session)))


def test_logout_ends_the_session_on_both(pair: Pair) -> None:
    db, clients = pair
    email = new_user(db, "MEMBER", "default", prefix="scaled")
    session = login(db, email)
    assert _on_both(clients, session) == [200, 200]
    admin("users", "logout", email, database=db)
    assert _on_both(clients, session) == [401, 401]


def test_an_expired_session_is_401_on_both(pair: Pair) -> None:
    db, clients = pair
    session = login(db, new_user(db, "MEMBER", "default", prefix="scaled"))
    assert _on_both(clients, session) == [200, 200]
    expire(db, session)
    assert _on_both(clients, session) == [401, 401]


def test_an_expired_key_is_401_on_both(pair: Pair) -> None:
    db, clients = pair
    session = login(db, new_user(db, "ADMIN", prefix="scaled"))
    key = _minted(clients[0], session)
    assert _on_both(clients, key) == [403, 403]
    expire(db, key)
    assert _on_both(clients, key) == [401, 401]


def test_keys_revoke_is_401_on_both_at_once(pair: Pair) -> None:
    db, clients = pair
    session = login(db, new_user(db, "ADMIN", prefix="scaled"))
    key, key_id = astuple(minted_key(clients[0].create({"personal": False}, token=session)))
    for client in clients:
        assert client.create({}, token=key).json() == {"detail": API_KEY_REFUSED}
    admin("keys", "revoke", key_id, database=db)
    for client in clients:
        assert_denied(client.create({}, token=key), 401)


def test_user_removal_on_both_service_keys_survive(pair: Pair) -> None:
    db, clients = pair
    email = new_user(db, "ADMIN", prefix="scaled")
    session = login(db, email)
    personal = _minted(clients[0], session)
    service = _minted(clients[1], session, personal=False)
    admin("users", "remove", email, database=db)
    assert _on_both(clients, session) == [401, 401]
    assert _on_both(clients, personal) == [401, 401]
    assert _on_both(clients, service) == [403, 403]  # recognised: it outlives its creator
    # The same email again is a new member on both servers; nothing old comes back.
    admin("users", "add", email, "--role", "ADMIN", database=db)
    assert _on_both(clients, session) == [401, 401]
    assert _on_both(clients, personal) == [401, 401]
    assert _on_both(clients, login(db, email)) == [200, 200]
