"""The token-api command line, run as a user would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.cli import assert_one_sentence, token_api
from tests.support.server import cli, free_port, init_demo


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
    assert all(user["token"].startswith("api_") for user in users.values())
    assert len({user["token"] for user in users.values()}) == 3


def test_init_is_idempotent_and_json_gives_fresh_tokens(sqlite: str) -> None:
    first, second = init_demo(sqlite), init_demo(sqlite)
    assert first["workspaces"] == second["workspaces"]
    assert {u["token"] for u in first["users"]}.isdisjoint(u["token"] for u in second["users"])


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
    cli("users", "remove", "a@example.com", database=sqlite)
    assert "a@example.com" not in cli("users", "list", database=sqlite).stdout


def test_environment_variable_names_the_database(sqlite: str) -> None:
    result = token_api("init", "--demo", env={"TOKEN_API_DATABASE_URL": sqlite})
    assert result.returncode == 0, result.stderr
    assert "admin@example.com" in cli("users", "list", database=sqlite).stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("users", "token", "nobody@example.com"), "no user nobody@example.com"),
        (("users", "remove", "nobody@example.com"), "no user nobody@example.com"),
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
    ],
)
def test_bad_database_urls_are_one_sentence(url: str, fragment: str) -> None:
    line = assert_one_sentence(token_api("users", "list", "--database", url))
    assert fragment in line


def test_uninitialised_database_is_one_sentence(sqlite: str) -> None:
    line = assert_one_sentence(token_api("users", "list", "--database", sqlite))
    assert "token-api init" in line


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--workers", "0"), "--workers must be at least 1"),
        (("--database-timeout", "0"), "--database-timeout must be more than 0 seconds"),
        (("--database-timeout", "nan"), "--database-timeout must be more than 0 seconds"),
    ],
)
def test_serve_usage_mistakes_are_one_sentence(
    sqlite: str, args: tuple[str, ...], fragment: str
) -> None:
    cli("init", database=sqlite)
    line = assert_one_sentence(
        token_api("serve", "--database", sqlite, "--port", "1", *args), exit_code=2
    )
    assert fragment in line


def test_busy_port_is_one_sentence(sqlite: str) -> None:
    cli("init", "--demo", database=sqlite)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        line = assert_one_sentence(token_api("serve", "--database", sqlite, "--port", str(port)))
    assert "already in use" in line


def test_serve_alone_gives_a_working_server(tmp_path: Path) -> None:
    """First start of the default database: demo organization and its ADMIN token, once."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TOKEN_API_DATABASE_URL"}

    def start() -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "token_api", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        process.terminate()
        output, _ = process.communicate(timeout=20)
        return process, output

    _, first = start()
    assert (tmp_path / "token-api.db").is_file()
    tokens = [word for word in first.split() if word.startswith("api_")]
    assert len(tokens) == 1, first
    check = cli("users", "list", database=f"sqlite:///{tmp_path / 'token-api.db'}")
    assert "admin@example.com\tADMIN" in check.stdout
    _, second = start()
    assert "api_" not in second
