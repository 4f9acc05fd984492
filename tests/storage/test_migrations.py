"""Schema migrations on real SQLite and PostgreSQL databases, as ``init`` and ``serve`` run them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from tests.support.cli import assert_one_sentence, token_api
from tests.support.server import free_port
from token_api.storage import Store, tables
from token_api.storage.migrate import HEAD, MIGRATIONS, current_revision, migrate

BACKENDS = ["sqlite", "postgres"]


def test_head_is_the_newest_migration() -> None:
    """``serve`` trusts HEAD to skip Alembic: a new migration must move it too."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_database_is_brought_to_head(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    store = Store.connect(database_factory(backend))
    try:
        assert current_revision(store.engine) is None
        migrate(store.engine)
        assert current_revision(store.engine) == HEAD
        migrate(store.engine)  # again: nothing to do, nothing breaks
        assert current_revision(store.engine) == HEAD
    finally:
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_up_to_date_database_starts_without_alembic(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    url = database_factory(backend)
    assert token_api("init", "--database", url).returncode == 0
    code = (
        "import sys\n"
        "from token_api.storage import Store\n"
        "from token_api.storage.migrate import migrate\n"
        f"store = Store.connect({url!r})\n"
        "migrate(store.engine)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_database_from_a_newer_token_api_is_one_sentence(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    url = database_factory(backend)
    assert token_api("init", "--demo", "--database", url).returncode == 0
    store = Store.connect(url)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        store.close()
    for command in (("serve", "--port", str(free_port())), ("users", "list")):
        line = assert_one_sentence(token_api(*command, "--database", url))
        assert "'9999'" in line and "upgrade token-api" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_head_creates_exactly_the_tables_the_code_uses(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    """The migrations are frozen copies of storage/tables.py; they must not drift apart."""
    store = Store.connect(database_factory(backend))
    try:
        migrate(store.engine)
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, tables.metadata) == []
    finally:
        store.close()
