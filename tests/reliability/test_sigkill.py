"""SIGKILL mid-load: the 200 is sent only after the token is committed, so a server killed
without warning and restarted accepts every token it acknowledged (issue #2, §3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.load import Load, admin_token, assert_all_distinct, refused
from tests.support.server import Server, init_demo

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

CLIENTS = 8


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_sigkill_under_load_loses_no_acknowledged_token(
    kind: str, database_factory: Callable[[str], str], tmp_path: Path
) -> None:
    url = database_factory(kind)
    demo = init_demo(url)
    server = Server(url, log=tmp_path / "server.log").start()
    try:
        with Load([server.url], admin_token(demo), clients=CLIENTS) as load:
            load.wait_for(40)
            server.kill()
            # The kill lands mid-load: the clients run into the dead server.
            load.wait_until(
                "the clients failing against the killed server",
                lambda: load.snapshot().transport_errors >= CLIENTS,
            )
            server.start()
            load.wait_for(len(load.snapshot().minted) + 20)
            tally = load.stop()

        assert not tally.unexpected, tally.unexpected[:5]
        assert tally.timeouts == 0
        assert_all_distinct(tally.minted)
        # The tokens acknowledged before the kill are the point; those after it come along.
        assert refused([(server.url, m) for m in tally.minted]) == []
    finally:
        server.stop()
