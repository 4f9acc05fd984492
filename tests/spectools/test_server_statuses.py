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
    found: dict[int, str] = {}
    for cause in server.causes(handler, **options):
        found.setdefault(cause.status, cause.why)  # the first reason, as the rule reports it
    return found


def test_raises_are_followed_through_helpers(handlers: handler_source.HandlerModule) -> None:
    found = statuses(ServerStatuses(handlers), "get_thing", parameters=True)
    http = "the HTTP layer answers it before the API (server/http.py)"
    assert found == {
        200: "returned by the handler things_handlers.get_thing",
        400: "Connexion's ParameterValidator refuses a malformed parameter",
        403: "Forbidden raised in things_handlers._check_owner",
        408: http,
        409: "ProblemException raised in things_handlers.get_thing",
        431: http,
        500: "the catch-all Exception entry of HANDLERS",
        503: http,
    }


def test_our_operations(handlers: handler_source.HandlerModule) -> None:
    server = ServerStatuses(handlers)
    assert set(statuses(server, "get_health")) == {200, 400, 408, 431, 500, 503}
    assert set(statuses(server, "create_token", secured=True, body=True)) == {
        200, 400, 401, 403, 408, 413, 415, 422, 431, 500, 503,
    }  # fmt: skip


def test_the_http_layer_answers_count_for_every_operation(
    handlers: handler_source.HandlerModule,
) -> None:
    """415 for a Content-Encoding only where there is a body to encode."""
    server = ServerStatuses(handlers)
    why = "the HTTP layer answers it before the API (server/http.py)"
    without_body = statuses(server, "get_thing")
    assert {s for s, w in without_body.items() if w == why} == {400, 408, 431, 503}
    assert 415 not in without_body
    with_body = server.causes("get_thing", secured=False, body=True, parameters=False)
    assert (415, why) in {(cause.status, cause.why) for cause in with_body}


def test_our_spec_documents_exactly_what_the_server_can_answer() -> None:
    server = ServerStatuses(handler_source.load())
    paths = our_spec()["paths"]
    token = set(statuses(server, "create_token", secured=True, body=True))
    assert {int(s) for s in paths["/api/v1/token"]["post"]["responses"]} == token
    assert {int(s) for s in paths["/health"]["get"]["responses"]} == set(
        statuses(server, "get_health")
    )
