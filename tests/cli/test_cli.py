"""The token-api command line, run as a user would run it: the command under test in a process of
its own (``token_api``, ``cli``); a test's set-up steps and the reads that check what a command
left behind in this process, through the CLI's own ``main`` (``admin``, docs/testing.md)."""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import sqlite3
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.cli import assert_one_sentence, token_api
from tests.support.http import wait_until_answers
from tests.support.server import Server, admin, cli, free_port, init_demo


@pytest.fixture
def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_init_demo_json(sqlite: str) -> None:
    demo = init_demo(sqlite)
    assert len(demo["workspaces"]) >= 3
    users = {user["email"]: user for user in demo["users"]}
    assert users["admin@example.com"]["organization_role"] == "ADMIN"
    assert users["admin@example.com"]["workspaces"] is None
    member = users["member@example.com"]["workspaces"]
    assert member and set(member) < set(demo["workspaces"])
    assert len(users["external@example.com"]["workspaces"]) == 1
    assert all(set(user) == {*FIELDS, "session", "token"} for user in users.values())
    assert all(user["token"].startswith("api_") for user in users.values())
    assert all(user["session"].startswith("ses_") for user in users.values())
    assert len({user[kind] for user in users.values() for kind in ("session", "token")}) == 6
    # The organization's role ids, for the conformance checks of role_id.
    assert set(demo["roles"]) == {"ADMIN", "MEMBER", "EXTERNAL"}
    assert len({str(uuid.UUID(role_id)) for role_id in demo["roles"].values()}) == 3


FIELDS = ("email", "organization_role", "workspaces")


def test_init_is_idempotent_and_json_gives_fresh_credentials(sqlite: str) -> None:
    first, second = init_demo(sqlite), init_demo(sqlite)
    assert first["workspaces"] == second["workspaces"]
    assert first["roles"] == second["roles"]
    for kind in ("session", "token"):
        assert {u[kind] for u in first["users"]}.isdisjoint(u[kind] for u in second["users"])


def test_init_demo_says_what_it_did(sqlite: str) -> None:
    first = cli("init", "--demo", database=sqlite).stdout
    assert first.startswith("Created the demo organization")
    again = cli("init", "--demo", database=sqlite).stdout
    assert again.startswith("The demo organization already exists")
    assert "token-api users login admin@example.com" in again
    assert "token-api users token admin@example.com" in again
    assert "api_" not in first + again and "ses_" not in first + again


def test_users_and_workspaces(sqlite: str) -> None:
    cli("init", database=sqlite)
    cli("workspaces", "add", "alpha", database=sqlite)
    cli("workspaces", "add", "beta", database=sqlite)
    assert cli("workspaces", "list", database=sqlite).stdout.split() == ["alpha", "beta"]
    cli(
        "users", "add", "a@example.com", "--role", "member", "--workspace", "alpha", database=sqlite
    )
    listing = cli("users", "list", database=sqlite).stdout
    assert "a@example.com\tMEMBER\talpha" in listing
    assert cli("users", "token", "a@example.com", database=sqlite).stdout.startswith("api_")
    session = cli("users", "login", "a@example.com", database=sqlite).stdout
    assert session.startswith("ses_") and session.count("\n") == 1
    cli("users", "update", "a@example.com", "--role", "external", database=sqlite)
    cli("users", "update", "a@example.com", "--workspace", "beta", database=sqlite)
    assert "a@example.com\tEXTERNAL\tbeta" in cli("users", "list", database=sqlite).stdout
    cli("users", "update", "a@example.com", "--all-workspaces", database=sqlite)
    listing = cli("users", "list", database=sqlite).stdout
    assert "a@example.com\tEXTERNAL\tall workspaces" in listing
    logout = cli("users", "logout", "a@example.com", database=sqlite).stdout
    assert logout == "Ended 1 session of a@example.com.\n"
    cli("users", "remove", "a@example.com", database=sqlite)
    assert "a@example.com" not in cli("users", "list", database=sqlite).stdout
    cli("users", "add", "a@example.com", "--role", "member", database=sqlite)
    assert "a@example.com\tMEMBER\tall workspaces" in cli("users", "list", database=sqlite).stdout


def test_keys_list_shows_everything_but_secrets(sqlite: str) -> None:
    demo = init_demo(sqlite)
    member = admin("users", "token", "member@example.com", "--days", "2", database=sqlite).stdout
    listed = cli("keys", "list", "--json", database=sqlite).stdout
    text = cli("keys", "list", database=sqlite).stdout
    for secret in [member, *(u[kind] for u in demo["users"] for kind in ("session", "token"))]:
        assert secret.strip() not in listed + text
    keys = json.loads(listed)
    assert len(keys) == 4  # the three demo keys and the one above; sessions are not keys
    assert set(keys[0]) == {
        "id", "name", "user", "user_removed", "organization_role", "role_id", "workspaces",
        "effective_role", "effective_role_id", "effective_workspaces", "personal", "created_at",
        "expires_at", "revoked_at",
    }  # fmt: skip
    mine = json.loads(
        cli("keys", "list", "--json", "--user", "member@example.com", database=sqlite).stdout
    )
    assert [key["user"] for key in mine] == ["member@example.com"] * 2
    assert mine[0]["workspaces"] == ["default", "research", "staging"]
    assert mine[0]["organization_role"] == "MEMBER" and mine[0]["personal"] is True
    assert mine[0]["revoked_at"] is None and mine[0]["expires_at"] is not None
    header, *rows = text.splitlines()
    assert header.split("\t") == [
        "id", "name", "user", "role", "workspaces", "type", "created", "expires", "revoked"
    ]  # fmt: skip
    assert len(rows) == 4 and all(row.split("\t")[5] == "personal" for row in rows)
    revoked = cli("keys", "revoke", mine[1]["id"], database=sqlite).stdout
    assert revoked.startswith(f"Revoked the API key {mine[1]['id']}")
    after = json.loads(
        cli("keys", "list", "--json", "--user", "member@example.com", database=sqlite).stdout
    )
    assert after[0]["revoked_at"] is None and after[1]["revoked_at"] is not None


def test_environment_variable_names_the_database(sqlite: str) -> None:
    result = token_api("init", "--demo", env={"TOKEN_API_DATABASE_URL": sqlite})
    assert result.returncode == 0, result.stderr
    assert "admin@example.com" in cli("users", "list", database=sqlite).stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("users", "token", "nobody@example.com"), "no user nobody@example.com"),
        (("users", "remove", "nobody@example.com"), "no user nobody@example.com"),
        (("users", "login", "nobody@example.com"), "no user nobody@example.com"),
        (("users", "logout", "nobody@example.com"), "no user nobody@example.com"),
        (("users", "update", "nobody@example.com", "--role", "ADMIN"), "no user nobody@"),
        (("users", "update", "member@example.com", "--workspace", "nope"), "no workspace 'nope'"),
        (("users", "add", "notanemail", "--role", "MEMBER"), "'notanemail' is not an email"),
        (("users", "add", "a@b@c", "--role", "MEMBER"), "'a@b@c' is not an email"),
        (("users", "add", "a b@example.com", "--role", "MEMBER"), "is not an email address"),
        (("keys", "list", "--user", "nobody@example.com"), "no user nobody@example.com"),
        (("keys", "revoke", "not-an-id"), "There is no API key 'not-an-id'"),
        (("keys", "revoke", "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71"), "There is no API key"),
        (
            ("users", "add", "x@example.com", "--role", "MEMBER", "--workspace", "nope"),
            "no workspace 'nope'",
        ),
        (("users", "add", "admin@example.com", "--role", "MEMBER"), "already exists"),
        (("workspaces", "add", "default"), "already exists"),
    ],
)
def test_admin_mistakes_are_one_sentence(sqlite: str, args: tuple[str, ...], fragment: str) -> None:
    init_demo(sqlite)
    line = assert_one_sentence(token_api(*args, "--database", sqlite))
    assert fragment in line


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("nonsense", "not a database URL"),
        ("mysql://root@127.0.0.1/test", "not supported"),
        ("sqlite:////no/such/folder/x.db", "does not exist"),
        ("postgresql://postgres@127.0.0.1:1/none", "Cannot reach the database"),
        ("postgresql://postgres:hunter2@127.0.0.1:abc/test", "port is not a number"),
        ("sqlite://x:y/token-api.db", "port is not a number"),
    ],
)
def test_bad_database_urls_are_one_sentence(url: str, fragment: str) -> None:
    line = assert_one_sentence(token_api("users", "list", "--database", url))
    assert fragment in line
    assert "hunter2" not in line


def test_uninitialised_database_is_one_sentence(sqlite: str) -> None:
    line = assert_one_sentence(token_api("users", "list", "--database", sqlite))
    assert "token-api init" in line


@pytest.mark.parametrize(
    "args",
    [
        ("users", "list"),
        ("users", "add", "a@example.com", "--role", "MEMBER"),
        ("keys", "list"),
        ("workspaces", "list"),
    ],
)
def test_only_init_and_serve_create_a_database(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Run in a folder without one, a command names the file it looked for and leaves none."""
    result = token_api(*args, cwd=tmp_path, env={"TOKEN_API_DATABASE_URL": ""})
    line = assert_one_sentence(result)
    assert f"There is no database at {tmp_path / 'token-api.db'}:" in line
    assert "token-api init" in line
    assert list(tmp_path.iterdir()) == []


def test_version() -> None:
    from importlib.metadata import version

    result = token_api("--version")
    assert result.returncode == 0
    assert result.stdout == f"token-api {version('token-api')}\n"


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (("keys", "list", "--bogus"), "usage: token-api keys list "),
        (("users", "add", "a@b.example", "--role", "MEMBER", "x"), "usage: token-api users add "),
        (("serve", "--no-such-option"), "usage: token-api serve "),
        (("lint", "a.yaml", "b.yaml"), "usage: token-api lint "),
    ],
)
def test_a_mistake_after_a_subcommand_shows_its_usage(args: tuple[str, ...], usage: str) -> None:
    result = token_api(*args)
    assert result.returncode == 2
    assert result.stderr.startswith(usage), result.stderr
    assert "unrecognized arguments" in result.stderr


def test_help_shows_the_defaults() -> None:
    shown = " ".join(token_api("serve", "--help").stdout.split())
    for default in ("(default: 127.0.0.1)", "(default: 8000)", "(default 1000)", "(default 10)"):
        assert default in shown, default


def test_a_session_is_not_a_key_to_revoke(sqlite: str) -> None:
    """keys revoke takes API keys' ids only (a session ends with logout)."""
    init_demo(sqlite)
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlite)
    with engine.connect() as connection:
        session_id = connection.execute(
            text("SELECT id FROM tokens WHERE kind = 'session'")
        ).scalar()
    engine.dispose()
    as_uuid = str(uuid.UUID(hex=str(session_id).replace("-", "")))
    line = assert_one_sentence(token_api("keys", "revoke", as_uuid, "--database", sqlite))
    assert "There is no API key" in line


def test_postgresql_without_the_database_says_so(postgres_available: None) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/token_api_no_such_database"
    line = assert_one_sentence(token_api("users", "list", "--database", url))
    assert "no database 'token_api_no_such_database'" in line
    assert "Cannot reach" not in line


def test_one_hint_for_an_empty_database(sqlite: str) -> None:
    """serve and users add point to the same next step."""
    sqlite3.connect(sqlite.removeprefix("sqlite:///")).close()  # a database, with nothing in it
    added = assert_one_sentence(
        token_api("users", "add", "a@example.com", "--role", "ADMIN", "--database", sqlite)
    )
    _, served = _serve_until_healthy(free_port(), "--database", sqlite)
    hint = "holds no organization yet: run 'token-api init --demo'"
    assert hint in added
    assert hint in served.splitlines()[0]
    assert added.split(hint)[1] == served.splitlines()[0].split(hint)[1]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--workers", "0"), "--workers must be at least 1"),
        (("--database-timeout", "0"), "--database-timeout must be more than 0 seconds"),
        (("--database-timeout", "nan"), "--database-timeout must be more than 0 seconds"),
        (("--token-lifetime", "0"), "--token-lifetime must be 1 to "),
        (("--token-lifetime", "-5"), "--token-lifetime must be 1 to "),
        (("--token-lifetime", "10000000000"), "--token-lifetime must be 1 to "),
        (("--port", "99999"), "--port must be 1 to 65,535"),
        (("--port", "-1"), "--port must be 1 to 65,535"),
        (("--port", "0"), "--port must be 1 to 65,535"),
    ],
)
def test_serve_usage_mistakes_are_one_sentence(
    sqlite: str, args: tuple[str, ...], fragment: str
) -> None:
    admin("init", database=sqlite)
    line = assert_one_sentence(
        token_api("serve", "--database", sqlite, "--port", "1", *args), exit_code=2
    )
    assert fragment in line


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("users", "token", "admin@example.com", "--days", "100000000"), "--days must be 1 to"),
        (("users", "token", "admin@example.com", "--days", "0"), "--days must be 1 to"),
        (("users", "token", "admin@example.com", "--days", "-1"), "--days must be 1 to"),
        (("users", "login", "admin@example.com", "--hours", "0"), "--hours must be 1 to"),
        (("users", "login", "admin@example.com", "--hours", "-3"), "--hours must be 1 to"),
        (("users", "login", "admin@example.com", "--hours", "10000000"), "--hours must be 1 to"),
        (("users", "update", "admin@example.com"), "Nothing to change"),
    ],
)
def test_nonsense_numbers_are_one_sentence(
    sqlite: str, args: tuple[str, ...], fragment: str
) -> None:
    init_demo(sqlite)
    before = admin("keys", "list", "--json", database=sqlite).stdout
    line = assert_one_sentence(token_api(*args, "--database", sqlite), exit_code=2)
    assert fragment in line
    assert admin("keys", "list", "--json", database=sqlite).stdout == before  # nothing minted


def test_busy_port_is_one_sentence(sqlite: str) -> None:
    admin("init", "--demo", database=sqlite)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        line = assert_one_sentence(token_api("serve", "--database", sqlite, "--port", str(port)))
    assert "already in use" in line


def _serve_until_healthy(
    port: int, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[str, str]:
    """``token-api serve --port PORT ARGS``, stopped once it answered; its stdout and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "token_api", "serve", "--port", str(port), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/health", process)
    finally:
        process.terminate()
        output, errors = process.communicate(timeout=20)
    return output, errors


def _serve_default(folder: Path, port: int) -> str:
    """``token-api serve`` on the default database in ``folder``; all it printed."""
    env = {k: v for k, v in os.environ.items() if k != "TOKEN_API_DATABASE_URL"}
    return "".join(_serve_until_healthy(port, cwd=folder, env=env))


def _serve_default_on_a_terminal(folder: Path, port: int) -> str:
    """``token-api serve`` on the default database in ``folder``, its stdout a terminal (a
    pseudo-terminal); what it printed there by the time it answered."""
    env = {k: v for k, v in os.environ.items() if k != "TOKEN_API_DATABASE_URL"}
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "token_api", "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
    )
    os.close(terminal)
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/health", process)
        shown = b""
        # Printed (and flushed) before the server started: it is all in the terminal by now.
        while select.select([controller], [], [], 0.5)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        process.terminate()
        process.wait(20)
        os.close(controller)
    return shown.decode()


def _mints(database: str, port: int, session: str) -> None:
    """The session mints a key; the key does not mint."""
    with Server(database, port=port) as server:
        minted = httpx.post(
            server.url + "/api/v1/token",
            json={},
            headers={"Authorization": f"Bearer {session}"},
        )
        assert minted.status_code == 200
        refused = httpx.post(
            server.url + "/api/v1/token",
            json={},
            headers={"Authorization": f"Bearer {minted.json()['api_token']}"},
        )
        assert refused.status_code == 403


def test_serve_alone_gives_a_working_server(tmp_path: Path) -> None:
    """First start of the default database with its output going to a file or a pipe (a log,
    a journal): the demo organization, and how to get a session, but no secret (issue #20
    finding 9); the session ``users login`` prints mints, the key it mints does not."""
    port = free_port()
    first = _serve_default(tmp_path, port)
    assert (tmp_path / "token-api.db").is_file()
    assert "ses_" not in first and "api_" not in first, first
    assert "token-api users login admin@example.com" in first
    database = f"sqlite:///{tmp_path / 'token-api.db'}"
    check = admin("users", "list", database=database)
    assert "admin@example.com\tADMIN" in check.stdout
    session = admin("users", "login", "admin@example.com", database=database).stdout.strip()
    _mints(database, port, session)
    second = _serve_default(tmp_path, port)
    assert "ses_" not in second and "api_" not in second


def test_the_first_serve_shows_a_session_on_a_terminal_once(tmp_path: Path) -> None:
    port = free_port()
    first = _serve_default_on_a_terminal(tmp_path, port)
    sessions = [word for word in first.split() if word.startswith("ses_")]
    assert len(sessions) == 1, first
    assert "api_" not in first
    assert "token-api users login admin@example.com" in first
    _mints(f"sqlite:///{tmp_path / 'token-api.db'}", port, sessions[0])
    second = _serve_default_on_a_terminal(tmp_path, port)
    assert "ses_" not in second and "api_" not in second


def test_first_serve_on_a_busy_port_creates_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TOKEN_API_DATABASE_URL"}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "token_api", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
        )
    line = assert_one_sentence(result)
    assert "already in use" in line
    assert result.stdout == ""  # no credential shown for an organization nobody can use
    assert not (tmp_path / "token-api.db").exists()


def test_email_addresses_are_the_same_whatever_their_case(sqlite: str) -> None:
    init_demo(sqlite)
    line = assert_one_sentence(
        token_api("users", "add", "Admin@Example.com", "--role", "MEMBER", "--database", sqlite)
    )
    assert "The user admin@example.com already exists." in line
    assert cli("users", "login", "ADMIN@example.com", database=sqlite).stdout.startswith("ses_")
    assert cli("users", "token", "Member@Example.COM", database=sqlite).stdout.startswith("api_")
    mine = json.loads(
        cli("keys", "list", "--json", "--user", "MEMBER@example.com", database=sqlite).stdout
    )
    assert len(mine) == 2 and {key["user"] for key in mine} == {"member@example.com"}
    cli("users", "update", "External@EXAMPLE.com", "--role", "MEMBER", database=sqlite)
    assert "external@example.com\tMEMBER" in cli("users", "list", database=sqlite).stdout
    cli("users", "logout", "EXTERNAL@example.com", database=sqlite)

    added = cli("users", "add", "New.Person@Example.com", "--role", "MEMBER", database=sqlite)
    assert added.stdout == "Added new.person@example.com (MEMBER).\n"
    assert "new.person@example.com\tMEMBER" in cli("users", "list", database=sqlite).stdout
    cli("users", "remove", "NEW.PERSON@EXAMPLE.COM", database=sqlite)
    assert "new.person" not in cli("users", "list", database=sqlite).stdout.lower()


def test_an_admin_user_has_no_workspace_list(sqlite: str) -> None:
    """ADMIN users reach every workspace: a list for one is refused, never stored, and every
    listing shows their workspaces as null (all)."""
    demo = init_demo(sqlite)
    admin_user = next(u for u in demo["users"] if u["organization_role"] == "ADMIN")
    assert admin_user["workspaces"] is None
    before = admin("users", "list", "--json", database=sqlite).stdout
    for args in (
        ("users", "add", "a@example.com", "--role", "admin", "--workspace", "default"),
        ("users", "update", "member@example.com", "--role", "ADMIN", "--workspace", "default"),
    ):
        line = assert_one_sentence(token_api(*args, "--database", sqlite), exit_code=2)
        assert "An ADMIN user reaches every workspace" in line
    line = assert_one_sentence(
        token_api(
            "users", "update", "admin@example.com", "--workspace", "default", "--database", sqlite
        )
    )
    assert "admin@example.com is an ADMIN user, who reaches every workspace" in line
    assert admin("users", "list", "--json", database=sqlite).stdout == before

    def workspaces(email: str) -> object:
        users = json.loads(admin("users", "list", "--json", database=sqlite).stdout)
        return next(u["workspaces"] for u in users if u["email"] == email)

    assert workspaces("member@example.com") == ["default", "research", "staging"]
    cli("users", "update", "member@example.com", "--role", "ADMIN", database=sqlite)
    assert workspaces("member@example.com") is None
    assert (
        "member@example.com\tADMIN\tall workspaces" in cli("users", "list", database=sqlite).stdout
    )
    cli("users", "update", "member@example.com", "--role", "MEMBER", database=sqlite)
    assert workspaces("member@example.com") is None  # no list nobody saw comes back


def test_users_and_workspaces_lists_escape_what_they_print(sqlite: str) -> None:
    """Stored text printed as text: one line per user or workspace, no control reaches the
    terminal; the names as stored in JSON (``init --json``)."""
    init_demo(sqlite)
    workspace = "ws\x1b[2J\nforged-workspace\r"
    email = "evil\x1b]0;owned\x07@example.com"
    admin("workspaces", "add", workspace, database=sqlite)
    admin("users", "add", email, "--role", "MEMBER", "--workspace", workspace, database=sqlite)
    listed = cli("workspaces", "list", database=sqlite).stdout
    users = cli("users", "list", database=sqlite).stdout
    for text in (listed, users):
        assert all(char.isprintable() or char in "\t\n" for char in text), repr(text)
    assert "ws\\x1b[2J\\nforged-workspace\\r" in listed.split("\n")
    assert "forged-workspace" not in listed.replace("\\nforged-workspace", "")
    row = "evil\\x1b]0;owned\\x07@example.com\tMEMBER\tws\\x1b[2J\\nforged-workspace\\r"
    assert row in users.split("\n")
    again = init_demo(sqlite)
    assert workspace in again["workspaces"]
    assert email in [user["email"] for user in again["users"]]


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """The database and the -wal and -shm files SQLite makes beside it: 0600, whatever the
    umask lets through (issue #20 finding 7). Checked while a server runs and has minted."""
    path = tmp_path / "token-api.db"
    url = f"sqlite:///{path}"
    previous = os.umask(0o022)  # what the servers and commands started below inherit
    try:
        demo = init_demo(url)
        session = next(u["session"] for u in demo["users"] if u["organization_role"] == "ADMIN")
        with Server(url) as server:
            minted = httpx.post(
                server.url + "/api/v1/token",
                json={},
                headers={"Authorization": f"Bearer {session}"},
            )
            assert minted.status_code == 200
            modes = {
                name: stat.S_IMODE(os.stat(tmp_path / name).st_mode)
                for name in ("token-api.db", "token-api.db-wal", "token-api.db-shm")
            }
    finally:
        os.umask(previous)
    assert modes == dict.fromkeys(modes, 0o600), {k: oct(v) for k, v in modes.items()}


def _access_log(tmp_path: Path, *options: str) -> str:
    """What a server with --access-log logs for requests claiming X-Forwarded-For."""
    url = f"sqlite:///{tmp_path / 'forwarded.db'}"
    init_demo(url)
    log = tmp_path / f"server{len(options)}.log"
    with Server(url, extra_args=("--access-log", *options), log=log) as server:
        claimed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        assert httpx.get(server.url + "/health", headers=claimed).status_code == 200
        assert httpx.post(server.url + "/api/v1/token", headers=claimed).status_code == 401
    return log.read_text()


def test_the_access_log_believes_no_forwarded_for_unless_told(tmp_path: Path) -> None:
    """uvicorn believed X-Forwarded-For from 127.0.0.1, so any local client chose the address
    the access log recorded (issue #20 finding 8); only named proxies are believed."""
    lines = [line for line in _access_log(tmp_path).splitlines() if '"GET /health' in line]
    assert lines and all("127.0.0.1:" in line for line in lines), lines
    assert "203.0.113.9" not in _access_log(tmp_path)
    trusted = _access_log(tmp_path, "--forwarded-allow-ips", "127.0.0.1, 10.0.0.0/8")
    claimed = [line for line in trusted.splitlines() if "203.0.113.9" in line]
    assert ['"GET /health' in line for line in claimed] == [True, False], claimed


@pytest.mark.parametrize("value", ["proxy.example", "127.0.0.1,", "10.0.0.0/33"])
def test_forwarded_allow_ips_takes_addresses_only(value: str) -> None:
    result = token_api("serve", "--port", str(free_port()), "--forwarded-allow-ips", value)
    assert "--forwarded-allow-ips" in assert_one_sentence(result, exit_code=2)
