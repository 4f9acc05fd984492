"""Fixtures: real servers over real databases, SQLite and PostgreSQL."""

from __future__ import annotations

import compileall
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import token_api
from tests.support.api import Client
from tests.support.credentials import DEMO_USERS
from tests.support.databases import postgres_database, require_postgres, sqlite_url
from tests.support.server import Server, init_demo
from token_api.contract.document import ENV_CACHE_DIR

BACKENDS = ["sqlite", "postgres"]


def pytest_configure(config: pytest.Config) -> None:
    """Every server and command the tests start (they inherit the environment) keeps the
    document's validity cache (contract/document.py) in a folder of this run, not in the user's
    ~/.cache/token-api."""
    folder = tempfile.mkdtemp(prefix="token-api-test-cache-")
    os.environ[ENV_CACHE_DIR] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    if not hasattr(config, "workerinput"):  # once, in the controller, before the workers
        _compile_the_package()


def _compile_the_package() -> None:
    """The package's bytecode, written once. Under PYTHONDONTWRITEBYTECODE (CI machines set it)
    Python never writes it, so each of the suite's several hundred processes (servers, commands,
    Schemathesis with our hooks) compiled the package anew: about 0.1 s of CPU each, half a
    minute of a fresh clone's run (docs/testing.md). Up to date, this only compares times."""
    compileall.compile_dir(Path(token_api.__file__).parent, quiet=1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (in their order): spread over the workers from the start, none is
    left to run alone at the end of the run."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def postgres_available() -> None:
    require_postgres()


@pytest.fixture
def database_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Call with "sqlite" or "postgres" to get a fresh, empty database URL."""
    stack: list[Any] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            folder = tmp_path / f"db{len(stack)}"
            folder.mkdir()
            stack.append(None)
            return sqlite_url(folder)
        request.getfixturevalue("postgres_available")
        context = postgres_database()
        stack.append(context)
        return context.__enter__()

    yield make
    for context in reversed(stack):
        if context is not None:
            context.__exit__(None, None, None)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def deployment(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, Any]]:
    """One demo deployment per backend for the whole session: a server, its database, tokens."""
    if backend == "postgres":
        request.getfixturevalue("postgres_available")
        context = postgres_database()
        url = context.__enter__()
    else:
        context = None
        url = sqlite_url(tmp_path_factory.mktemp("deployment"))
    demo = init_demo(url)
    log = tmp_path_factory.mktemp("logs") / f"server-{backend}.log"
    server = Server(url, log=log).start()
    try:
        yield {"server": server, "database": url, "demo": demo, "log": log}
    finally:
        server.stop()
        if context is not None:
            context.__exit__(None, None, None)


def _credential(deployment: dict[str, Any], email: str, kind: str) -> str:
    return str(next(u[kind] for u in deployment["demo"]["users"] if u["email"] == email))


@pytest.fixture
def api(deployment: dict[str, Any]) -> Iterator[Client]:
    """A client of the deployment, authenticated with admin@example.com's session; every
    response it gets is checked against openapi.yaml."""
    with Client(
        deployment["server"].url, _credential(deployment, DEMO_USERS["ADMIN"], "session")
    ) as client:
        yield client


@pytest.fixture
def sessions(deployment: dict[str, Any]) -> dict[str, str]:
    """Sessions of the demo users, by role name: what mints API keys."""
    return {role: _credential(deployment, email, "session") for role, email in DEMO_USERS.items()}


@pytest.fixture
def tokens(deployment: dict[str, Any]) -> dict[str, str]:
    """Personal API keys of the demo users, by role name: what Create Token refuses (403)."""
    return {role: _credential(deployment, email, "token") for role, email in DEMO_USERS.items()}
