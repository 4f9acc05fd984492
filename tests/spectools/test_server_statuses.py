"""status-documented derives statuses from the server's code, not from a list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spectools.specs import REPOSITORY, our_spec
from token_api.spectools import handler_source
from token_api.spectools.server_statuses import ServerStatuses

EXTRA_HANDLER = """

from connexion.exceptions import ProblemException
from token_api.domain.errors import Forbidden


def _check_owner(thing_id: str) -> None:
    if thing_id == "theirs":
        raise Forbidden("Not yours.")


async def get_thing(thing_id: str) -> tuple[dict[str, str], int]:
    _check_owner(thing_id)
    if thing_id == "busy":
        raise ProblemException(status=409, title="Conflict")
    return {"id": thing_id}, 200
"""


@pytest.fixture
def handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> handler_source.HandlerModule:
    source = (REPOSITORY / "src/token_api/server/handlers.py").read_text(encoding="utf-8")
    (tmp_path / "things_handlers.py").write_text(source + EXTRA_HANDLER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return handler_source.load("things_handlers")


def statuses(server: ServerStatuses, handler: str, **declared: bool) -> dict[int, str]:
    options = {"secured": False, "body": False, "parameters": False, **declared}
    return {c.status: c.why for c in server.causes(handler, **options)}


def test_raises_are_followed_through_helpers(handlers: handler_source.HandlerModule) -> None:
    found = statuses(ServerStatuses(handlers), "get_thing", parameters=True)
    assert found == {
        200: "returned by the handler things_handlers.get_thing",
        400: "Connexion's ParameterValidator refuses a malformed parameter",
        403: "Forbidden raised in things_handlers._check_owner",
        409: "ProblemException raised in things_handlers.get_thing",
    }


def test_our_operations(handlers: handler_source.HandlerModule) -> None:
    server = ServerStatuses(handlers)
    assert set(statuses(server, "get_health")) == {200, 503}
    assert set(statuses(server, "create_token", secured=True, body=True)) == {
        200, 401, 403, 413, 415, 422, 503,
    }  # fmt: skip


def test_our_spec_documents_exactly_what_the_server_can_answer() -> None:
    server = ServerStatuses(handler_source.load())
    paths = our_spec()["paths"]
    token = set(statuses(server, "create_token", secured=True, body=True))
    assert {int(s) for s in paths["/api/v1/token"]["post"]["responses"]} == token
    assert {int(s) for s in paths["/health"]["get"]["responses"]} == set(
        statuses(server, "get_health")
    )
