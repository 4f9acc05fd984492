"""Two server processes on one PostgreSQL database, as users scale out: a key minted on one is
recognised on the other at once; no id is handed out twice; nothing acknowledged is lost."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.reliability.load import Load, admin_token, assert_all_distinct, refused
from tests.support.server import Server, init_demo

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def test_two_servers_share_one_postgresql_database(
    database_factory: Callable[[str], str], tmp_path: Path
) -> None:
    url = database_factory("postgres")
    demo = init_demo(url)
    first = Server(url, log=tmp_path / "first.log")
    second = Server(url, log=tmp_path / "second.log")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(Server.start, (first, second)))
        servers = [first.url, second.url]
        # chain=True: after each key, the client's next request goes to the other server with
        # the key it has just been given, which must be recognised there at once (403: API keys
        # cannot mint; a 401 would be an unexpected answer).
        with Load(servers, admin_token(demo), clients=8, chain=True) as load:
            load.wait_for(120)
            tally = load.stop()

        assert not tally.unexpected, tally.unexpected[:5]
        assert tally.transport_errors == 0
        assert tally.timeouts == 0
        assert {m.server for m in tally.minted} == set(servers)
        assert_all_distinct(tally.minted)
        # Nothing lost: every acknowledged key is recognised by the server that did not mint it.
        other = {first.url: second.url, second.url: first.url}
        assert refused([(other[m.server], m) for m in tally.minted]) == []
    finally:
        first.stop()
        second.stop()
