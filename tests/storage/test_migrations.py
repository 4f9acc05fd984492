"""Schema migrations on real SQLite and PostgreSQL databases, as ``init`` and ``serve`` run them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from contextlib import closing

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
    with closing(Store.connect(database_factory(backend))) as store:
        assert current_revision(store.engine) is None
        migrate(store.engine)
        assert current_revision(store.engine) == HEAD
        migrate(store.engine)  # again: nothing to do, nothing breaks
        assert current_revision(store.engine) == HEAD


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
    with closing(Store.connect(url)) as store, store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    for command in (("serve", "--port", str(free_port())), ("users", "list")):
        line = assert_one_sentence(token_api(*command, "--database", url))
        assert "'9999'" in line and "upgrade token-api" in line


@pytest.mark.parametrize("backend", BACKENDS)
def test_head_creates_exactly_the_tables_the_code_uses(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    """The migrations are frozen copies of storage/tables.py; they must not drift apart."""
    with closing(Store.connect(database_factory(backend))) as store:
        migrate(store.engine)
        with store.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert compare_metadata(context, tables.metadata) == []


def _alembic(store: Store, revision: str, *, down: bool = False) -> None:
    """Alembic to one revision on the store's database (as migrate() drives it, foreign keys off
    on SQLite)."""
    from alembic import command

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)


@pytest.mark.parametrize("backend", BACKENDS)
def test_keys_stored_before_sessions_existed_stay_api_keys(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    """A database at 0001 holding a user and a key: after the migration the key is an API key
    with its role, and the user's email can be removed and added again (a new member). The rows
    are written with 0001's columns only (no ``kind``)."""
    import uuid
    from datetime import UTC, datetime

    from token_api.domain import secrets
    from token_api.domain.principal import Kind
    from token_api.domain.roles import Role
    from token_api.storage.organization import Organization

    with closing(Store.connect(database_factory(backend))) as store:
        _alembic(store, "0001")
        org, role, user, key = (uuid.uuid4() for _ in range(4))
        secret = secrets.new_token()
        with store.engine.begin() as connection:
            connection.execute(tables.organizations.insert(), {"id": org, "name": "default"})
            for name, role_id in (("Admin", role), ("Member", uuid.uuid4())):
                connection.execute(
                    tables.roles.insert(), {"id": role_id, "organization_id": org, "name": name}
                )
            connection.execute(
                tables.users.insert(),
                {
                    "id": user, "organization_id": org, "email": "old@example.com",
                    "organization_role": "ADMIN", "role_id": role, "workspaces": None,
                    "removed_at": None,
                },
            )  # fmt: skip
            connection.execute(
                tables.tokens.insert(),
                {
                    "id": key, "organization_id": org, "user_id": user, "name": "old",
                    "secret_digest": secrets.digest(secret), "organization_role": "ADMIN",
                    "role_id": role, "personal": True, "workspaces": None, "expires_at": None,
                    "created_at": datetime.now(UTC), "revoked_at": None,
                },
            )  # fmt: skip
        migrate(store.engine)
        assert current_revision(store.engine) == HEAD
        credential = store.find_credential(secrets.digest(secret))
        assert credential is not None
        assert (credential.kind, credential.token_role) == (Kind.API_KEY, Role.ADMIN)

        organization = Organization(store)
        organization.remove_user("old@example.com")
        organization.add_user("old@example.com", Role.MEMBER)
        credential = store.find_credential(secrets.digest(secret))
        assert credential is not None and credential.revoked and not credential.user.active
        assert [u.role for u in organization.users()] == [Role.MEMBER]
        assert organization.login("old@example.com").startswith("ses_")


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_newest_migration_goes_down_and_up_again(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    from token_api.domain.roles import Role
    from token_api.storage.organization import Organization

    with closing(Store.connect(database_factory(backend))) as store:
        migrate(store.engine)
        organization = Organization(store)
        organization.ensure()
        organization.add_user("a@example.com", Role.ADMIN)
        organization.login("a@example.com")
        key = organization.issue_token("a@example.com")
        _alembic(store, "0001", down=True)
        assert current_revision(store.engine) == "0001"
        migrate(store.engine)
        assert current_revision(store.engine) == HEAD
        from token_api.domain import secrets

        assert store.find_credential(secrets.digest(key)) is not None  # keys kept, sessions not


def _columns(store: Store, table: str) -> list[str]:
    from sqlalchemy import inspect

    with store.engine.connect() as connection:
        return sorted(column["name"] for column in inspect(connection).get_columns(table))


def _tables(store: Store) -> list[str]:
    from sqlalchemy import inspect

    with store.engine.connect() as connection:
        return sorted(inspect(connection).get_table_names())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_migration_failing_halfway_changes_nothing(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    """0002 alters tokens, rebuilds users (SQLite) and only then creates ux_users_member_email:
    an index of that name already there makes it fail after the first changes. Everything it did
    is undone: the database stays at 0001, tokens as 0001 made it, no batch copies left behind.
    (SQLite runs DDL in a transaction only if one was begun explicitly: Python's sqlite3 begins
    one only before INSERT/UPDATE/DELETE, so each ALTER/CREATE before it committed alone.)"""
    with closing(Store.connect(database_factory(backend))) as store:
        _alembic(store, "0001")
        with store.engine.begin() as connection:
            connection.execute(text("CREATE TABLE squatter (x INTEGER)"))
            connection.execute(text("CREATE INDEX ux_users_member_email ON squatter (x)"))
        tokens_before, tables_before = _columns(store, "tokens"), _tables(store)
        with pytest.raises(Exception) as failure:
            migrate(store.engine)
        cause = failure.value.__cause__ or failure.value
        assert "ux_users_member_email" in str(cause)  # it failed where it was made to
        assert current_revision(store.engine) == "0001"
        assert _columns(store, "tokens") == tokens_before  # no 'kind' column
        assert _tables(store) == tables_before  # no _alembic_tmp_* copies
        with store.engine.begin() as connection:
            connection.execute(text("DROP TABLE squatter"))
        migrate(store.engine)  # the same migration, unobstructed, then runs in full
        assert current_revision(store.engine) == HEAD
        assert "kind" in _columns(store, "tokens")


def _at_0002_with_users(store: Store, *emails: tuple[str, bool]) -> None:
    """The database at 0002 with ADMIN users of these emails (True: removed), written as a
    token-api of 0002 stored them: emails as typed, a workspace list for an ADMIN."""
    import uuid
    from datetime import UTC, datetime

    _alembic(store, "0002")
    org, role, workspace = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with store.engine.begin() as connection:
        connection.execute(tables.organizations.insert(), {"id": org, "name": "default"})
        for name, role_id in (("Admin", role), ("Member", uuid.uuid4())):
            connection.execute(
                tables.roles.insert(), {"id": role_id, "organization_id": org, "name": name}
            )
        connection.execute(
            tables.workspaces.insert(), {"id": workspace, "organization_id": org, "name": "w"}
        )
        for email, removed in emails:
            connection.execute(
                tables.users.insert(),
                {
                    "id": uuid.uuid4(), "organization_id": org, "email": email,
                    "organization_role": "ADMIN", "role_id": role, "workspaces": [str(workspace)],
                    "removed_at": datetime.now(UTC) if removed else None,
                },
            )  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_stored_emails_become_lowercase_and_admins_reach_everything(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    from token_api.domain.roles import Role
    from token_api.storage.organization import Organization

    with closing(Store.connect(database_factory(backend))) as store:
        _at_0002_with_users(store, ("Old@Example.COM", False), ("OLD@example.com", True))
        migrate(store.engine)
        organization = Organization(store)
        assert [user.email for user in organization.users()] == ["old@example.com"]
        assert organization.login("oLd@eXample.com").startswith("ses_")
        # The ADMIN's stored list is gone: demoted, they keep every workspace, not the old list.
        organization.update_user("old@example.com", Role.MEMBER)
        assert [user.workspaces for user in organization.users()] == [None]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_members_one_address_in_different_case_is_one_sentence(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    """Which of the two stays is the administrator's call: the upgrade stops, nothing changed."""
    url = database_factory(backend)
    with closing(Store.connect(url)) as store:
        _at_0002_with_users(store, ("Twin@Example.com", False), ("twin@example.com", False))
    line = assert_one_sentence(token_api("users", "list", "--database", url))
    assert "'Twin@Example.com' and 'twin@example.com' are one email address" in line
    with closing(Store.connect(url)) as store:
        assert current_revision(store.engine) == "0002"


def _stored_users(store: Store) -> list[tuple[str, object]]:
    with store.engine.connect() as connection:
        query = text("SELECT email, workspaces FROM users ORDER BY email")
        return [(row.email, row.workspaces) for row in connection.execute(query)]


def _refused(url: str, command: str, revision: str) -> str:
    """Runs ``token-api COMMAND`` on a database its migration fails on, though the connection
    works: one sentence naming the revisions and saying nothing changed (issue #10), not "cannot
    reach the database" nor a traceback; the database is still at its revision."""
    extra = ("--port", str(free_port())) if command == "serve" else ()
    line = assert_one_sentence(token_api(command, *extra, "--database", url))
    start = f"token-api {command}: The database could not be upgraded from schema revision "
    assert line.startswith(f"{start}{revision!r} to {HEAD!r}: "), line
    assert line.endswith("; nothing changed."), line
    assert "[SQL" not in line and "Cannot reach" not in line, line
    with closing(Store.connect(url)) as store:
        assert current_revision(store.engine) == revision
    return line


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_migration_the_database_refuses_is_one_sentence(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    """0002 creates the index ux_users_member_email; one of that name is already there. SQLite
    reports it as an OperationalError, as it does an unreachable database; PostgreSQL as a
    ProgrammingError, which ended in a traceback."""
    import uuid

    url = database_factory(backend)
    with closing(Store.connect(url)) as store:
        _alembic(store, "0001")
        with store.engine.begin() as connection:
            connection.execute(
                tables.organizations.insert(), {"id": uuid.uuid4(), "name": "default"}
            )
            connection.execute(text("CREATE TABLE squatter (x INTEGER)"))
            connection.execute(text("CREATE INDEX ux_users_member_email ON squatter (x)"))
        tokens_before = _columns(store, "tokens")
    reason = {
        "sqlite": "index ux_users_member_email already exists",
        "postgres": 'relation "ux_users_member_email" already exists',
    }[backend]
    for command in ("init", "serve"):
        line = _refused(url, command, "0001")
        assert line.endswith(f": {reason}; nothing changed."), line
    with closing(Store.connect(url)) as store:
        assert _columns(store, "tokens") == tokens_before  # no 'kind' column
        with store.engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM organizations")).scalars().all()
        assert names == ["default"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_stored_data_a_migration_cannot_change_is_one_sentence(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    """0003 lowercases emails; a unique index someone added on users.email refuses the removed
    member's 'OLD@example.com' and the active one's 'Old@Example.COM' as the same value. The
    sentence has the driver's first line only: no stored values (PostgreSQL's DETAIL has them)."""
    url = database_factory(backend)
    with closing(Store.connect(url)) as store:
        _at_0002_with_users(store, ("Old@Example.COM", False), ("OLD@example.com", True))
        with store.engine.begin() as connection:
            connection.execute(text("CREATE UNIQUE INDEX squatter_email ON users (email)"))
        before = _stored_users(store)
    line = _refused(url, "init", "0002")
    assert "unique constraint" in line.lower() and "example" not in line.lower(), line
    with closing(Store.connect(url)) as store:
        assert _stored_users(store) == before  # emails as typed, the ADMIN's workspace list kept


def test_a_database_locked_during_a_migration_is_unavailable(
    database_factory: Callable[[str], str],
) -> None:
    """Another program holds SQLite's write lock: the database is busy, not broken; it stays the
    503/"cannot reach" path (Unavailable), not a failed migration. (PostgreSQL's migrations
    wait for each other on an advisory lock.)"""
    import sqlite3

    from token_api.domain.errors import Unavailable
    from token_api.storage.engine import is_lock_conflict

    url = database_factory("sqlite")
    with closing(Store.connect(url)) as store:
        _alembic(store, "0002")
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with closing(Store.connect(url, lock_timeout=0.05)) as store:
            with pytest.raises(Unavailable) as failure:
                migrate(store.engine)
            assert is_lock_conflict(failure.value.__cause__)
    finally:
        holder.close()


def test_a_lock_not_granted_during_a_migration_is_unavailable(
    database_factory: Callable[[str], str],
) -> None:
    """On PostgreSQL a lock can time out inside the migration itself: another session holds
    users, and the database's lock_timeout ends 0003's wait. The database is busy, not broken:
    the message stays "cannot reach" (the 503 path), and nothing changed."""
    import psycopg

    from tests.support.databases import ADMIN_DSN

    url = database_factory("postgres")
    with closing(Store.connect(url)) as store:
        _at_0002_with_users(store, ("Old@Example.COM", False))
        before = _stored_users(store)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE \"{name}\" SET lock_timeout = '200ms'")
    holder_dsn = psycopg.conninfo.make_conninfo(ADMIN_DSN, dbname=name)
    with psycopg.connect(holder_dsn) as holder:
        holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        line = assert_one_sentence(token_api("init", "--database", url))
    assert line.startswith("token-api init: Cannot reach the database (") and "lock" in line, line
    with closing(Store.connect(url)) as store:
        assert current_revision(store.engine) == "0002"
        assert _stored_users(store) == before
