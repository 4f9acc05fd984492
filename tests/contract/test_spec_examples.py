"""Every response example in openapi.yaml is a body the reference server really sends.

The examples are read from the spec: every operation, every status, every media type, its
``example`` and each of its ``examples`` (``$ref`` s followed), so an example added or reworded in
the spec is checked without touching this file. The answers come from a real server on SQLite and
on PostgreSQL, which gets PROBES: requests for each cause of each documented status, sent twice
each, and last the same after its database was taken away (503). An example passes when it
equals one of the answers to its operation and status. A value that differs between the two
answers to one request (a secret, an id) is the server's to generate: there the example needs
only the same form (length, and the same characters outside ``[A-Za-z0-9]``). An example that
no probe produces fails, listing what the server did answer: reword the example, or add the
request that produces it to PROBES.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.api import check_contract
from tests.support.databases import ADMIN_DSN, postgres_database, require_postgres, sqlite_url
from tests.support.http import TLS
from tests.support.server import Server, init_demo
from token_api.contract.document import load_document
from token_api.domain.secrets import new_token
from token_api.spectools.openapi import operations
from token_api.spectools.pointers import deref, join

# One worker builds this module's servers and their answers once (docs/testing.md, "Workers").
pytestmark = pytest.mark.xdist_group("spec-examples")

Place = tuple[str | int, ...]  # where in a JSON body
DOCUMENT = load_document()


@dataclass(frozen=True)
class Example:
    operation_id: str
    status: str
    pointer: str  # where the example is in openapi.yaml
    value: Any

    @property
    def id(self) -> str:
        return f"{self.operation_id}-{self.status}-{self.pointer.rsplit('/', 1)[-1]}"


def _examples() -> Iterator[Example]:
    for operation in operations(DOCUMENT):
        assert operation.operation_id is not None
        for status, raw in operation.node.get("responses", {}).items():
            response, at = deref(DOCUMENT, raw, join(operation.pointer, "responses", status))
            for media_type, media in response.get("content", {}).items():
                where = join(at, "content", media_type)
                if "example" in media:
                    yield Example(
                        operation.operation_id,
                        str(status),
                        join(where, "example"),
                        media["example"],
                    )
                for name, item in media.get("examples", {}).items():
                    named, _ = deref(DOCUMENT, item, join(where, "examples", name))
                    if "value" in named:
                        pointer = join(where, "examples", name)
                        yield Example(operation.operation_id, str(status), pointer, named["value"])


EXAMPLES = list(_examples())


# -- the probes ------------------------------------------------------------------------------

Demo = dict[str, Any]
TOKEN = "/api/v1/token"
NO_CREDENTIAL = ""
UNKNOWN_KEY = "an API key nobody minted"
ADMIN_KEY = "the ADMIN user's API key"


@dataclass(frozen=True)
class Probe:
    why: str
    body: Any = None  # sent as JSON unless bytes
    caller: str = "ADMIN"  # a role (that user's credential for minting), or one of the above
    content_type: str = "application/json"
    extra: tuple[tuple[str, str], ...] = ()  # more headers
    method: str = "POST"
    path: str = TOKEN

    def headers(self, demo: Demo) -> list[tuple[str, str]]:
        sent = [("Content-Type", self.content_type), *self.extra]
        users = {u["organization_role"]: u for u in demo["users"]}
        if self.caller == NO_CREDENTIAL:
            return sent
        if self.caller == UNKNOWN_KEY:
            credential = new_token()
        elif self.caller == ADMIN_KEY:
            credential = users["ADMIN"]["token"]
        else:  # a user mints with their session where there are sessions (issue #10)
            credential = users[self.caller].get("session") or users[self.caller]["token"]
        return [("Authorization", f"Bearer {credential}"), *sent]

    def content(self) -> bytes | None:
        if self.body is None or isinstance(self.body, bytes):
            return self.body
        return orjson.dumps(self.body)


PROBES = [
    Probe("no credentials", {}, caller=NO_CREDENTIAL),
    Probe("not a bearer one", {}, caller=NO_CREDENTIAL, extra=(("Authorization", "Basic x"),)),
    Probe("a malformed token", {}, caller=NO_CREDENTIAL, extra=(("Authorization", "Bearer x"),)),
    Probe("an unknown token", {}, caller=UNKNOWN_KEY),
    Probe("two Authorization headers", {}, extra=(("Authorization", "Bearer api_x"),)),
    Probe("the defaults", {}),
    Probe("an API key at Create Token", {}, caller=ADMIN_KEY),
    Probe("a MEMBER asks for ADMIN", {"organization_role": "ADMIN"}, caller="MEMBER"),
    Probe("a MEMBER asks for a service key", {"personal": False}, caller="MEMBER"),
    Probe("an EXTERNAL asks for production", {"workspaces": ["production"]}, caller="EXTERNAL"),
    Probe("a MEMBER passes another role id", {"role_id": str(uuid.uuid4())}, caller="MEMBER"),
    Probe("a body over 65,536 bytes", {"name": "x" * 70_000}),
    Probe("text/plain", b"{}", content_type="text/plain"),
    Probe("JSON in Latin-1", b"{}", content_type="application/json; charset=latin-1"),
    Probe("an expires_at in the past", {"expires_at": "2020-01-01T00:00:00Z"}),
    Probe("expires false, expires_at", {"expires": False, "expires_at": "2099-01-01T00:00:00Z"}),
    Probe("a date-time without an offset", {"expires_at": "2099-01-01T00:00:00"}),
    Probe("a number for a string", {"name": 5}),
    Probe("health", method="GET", path="/health"),
    # The HTTP layer's own answers (server/http.py), on both operations.
    Probe("two Content-Type headers", {}, extra=(("Content-Type", "text/plain"),)),
    Probe("a head over 16 KB", {}, extra=(("X-Long", "y" * 16_384),)),
    Probe("a gzip body", {}, extra=(("Content-Encoding", "gzip"),)),
    Probe(
        "health, two Content-Type headers",
        method="GET",
        path="/health",
        extra=(("Content-Type", "text/plain"),),
    ),
    Probe("health, a head over 16 KB", method="GET", path="/health", extra=(("X", "y" * 16_384),)),
]
# Sent once the EXTERNAL user's stored role is one the server does not know (a fault of the
# server's data, not of the request: 500).
CORRUPT = [Probe("a caller whose stored role the server cannot read", {"name": "x"}, "EXTERNAL")]
# Sent once the database is gone.
OUTAGE = [Probe("the defaults"), Probe("health", method="GET", path="/health")]
# Where a backend cannot produce an answer, and why.
UNREACHABLE = {
    ("sqlite", "getHealth", "503"): "a running server's health check on SQLite is SELECT 1 on its "
    "open connection, which nothing outside the server can make fail; PostgreSQL checks it",
    **{
        (backend, "getHealth", "500"): "the health check reads no stored row; only a bug in the "
        "server makes it answer 500"
        for backend in ("sqlite", "postgres")
    },
    **{
        (backend, operation, "408"): "a deadline's answer needs a client that stalls for the "
        "server's default deadline (10 s, 30 s); tests/reliability/test_slow_clients.py gets "
        "it with short ones"
        for backend in ("sqlite", "postgres")
        for operation in ("createToken", "getHealth")
    },
}


# -- the answers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    why: str
    body: Any
    generated: frozenset[Place]  # where the two answers to the request differed


def _differing(first: Any, second: Any, at: Place = ()) -> set[Place]:
    if isinstance(first, dict) and isinstance(second, dict) and first.keys() == second.keys():
        return set().union(*(_differing(first[k], second[k], (*at, k)) for k in first))
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        pairs = enumerate(zip(first, second, strict=True))
        return set().union(*(_differing(a, b, (*at, i)) for i, (a, b) in pairs))
    return set() if first == second else {at}


def _form(text: str) -> str:
    return re.sub(r"[A-Za-z0-9]", "x", text)


def _matches(example: Any, body: Any, generated: frozenset[Place], at: Place = ()) -> bool:
    if at in generated:
        return isinstance(example, str) and isinstance(body, str) and _form(example) == _form(body)
    if isinstance(example, dict) and isinstance(body, dict):
        return example.keys() == body.keys() and all(
            _matches(example[k], body[k], generated, (*at, k)) for k in example
        )
    if isinstance(example, list) and isinstance(body, list):
        pairs = enumerate(zip(example, body, strict=True)) if len(example) == len(body) else None
        return pairs is not None and all(_matches(e, b, generated, (*at, i)) for i, (e, b) in pairs)
    return bool(example == body)


OPERATION_IDS = {(o.method.upper(), o.path): o.operation_id for o in operations(DOCUMENT)}
Answers = dict[tuple[str, str], list[Answer]]  # (operationId, status) → answers


def _probe(server: Server, demo: Demo, probes: list[Probe], answers: Answers) -> None:
    with httpx.Client(verify=TLS, base_url=server.url, timeout=30) as http:
        for probe in probes:
            headers, content = probe.headers(demo), probe.content()
            sent = [
                http.request(probe.method, probe.path, headers=headers, content=content)
                for _ in range(2)
            ]
            for response in sent:
                check_contract(server.url, response)
            first, second = (r.json() for r in sent)
            same_status = sent[0].status_code == sent[1].status_code
            generated = frozenset(_differing(first, second) if same_status else ())
            for response in sent:
                key = (str(OPERATION_IDS[(probe.method, probe.path)]), str(response.status_code))
                answers[key].append(Answer(probe.why, response.json(), generated))


def _corrupt_a_role(backend: str, database: str) -> None:
    statement = "UPDATE users SET organization_role = 'NO SUCH ROLE' WHERE email LIKE 'external@%'"
    if backend == "postgres":
        dsn = make_url(database).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(dsn, autocommit=True) as connection:
            assert connection.execute(statement).rowcount == 1
    else:
        name = make_url(database).database
        assert name is not None
        with sqlite3.connect(name) as connection:
            assert connection.execute(statement).rowcount == 1


def _take_the_database_away(backend: str, database: str) -> None:
    name = make_url(database).database
    assert name is not None
    if backend == "postgres":
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    else:  # the tables go; the file the server holds open stays
        with sqlite3.connect(name) as connection:
            tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            for (table,) in tables.fetchall():
                connection.execute(f'DROP TABLE "{table}"')


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def answers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Answers]]:
    backend = request.param
    if backend == "postgres":
        require_postgres()
        context = postgres_database()
        database = context.__enter__()
    else:
        context = None
        database = sqlite_url(tmp_path_factory.mktemp("examples"))
    try:
        demo = init_demo(database)
        collected: Answers = defaultdict(list)
        with Server(database, log=tmp_path_factory.mktemp("logs") / "server.log") as server:
            _probe(server, demo, PROBES, collected)
            _corrupt_a_role(backend, database)
            _probe(server, demo, CORRUPT, collected)
            _take_the_database_away(backend, database)
            _probe(server, demo, OUTAGE, collected)
        yield backend, collected
    finally:
        if context is not None:
            context.__exit__(None, None, None)


def test_the_spec_has_examples_of_every_status_it_documents() -> None:
    """Every documented status has an example; which statuses are documented is the
    status-documented rule's to say (tests/spectools/test_server_statuses.py holds the spec to
    what the server can answer)."""
    with_examples = {(e.operation_id, e.status) for e in EXAMPLES}
    documented = {
        (str(operation.operation_id), str(status))
        for operation in operations(DOCUMENT)
        for status in operation.node.get("responses", {})
    }
    assert ("createToken", "403") in documented and ("getHealth", "503") in documented
    assert documented - with_examples == set()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_the_server_sends_the_example(answers: tuple[str, Answers], example: Example) -> None:
    backend, collected = answers
    sent = collected.get((example.operation_id, example.status), [])
    unreachable = UNREACHABLE.get((backend, example.operation_id, example.status))
    if not sent and unreachable:
        pytest.skip(f"{backend}: {unreachable}")
    assert any(_matches(example.value, a.body, a.generated) for a in sent), (
        f"{example.pointer} is {example.value!r}; to {example.operation_id} the server answered "
        f"{example.status} with: "
        + ("; ".join(f"{a.body!r} ({a.why})" for a in sent) or "nothing (no probe causes it)")
    )
