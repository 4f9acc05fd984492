"""The suite keeps to itself and does not pass by skipping: the servers and commands it starts
cache in a folder of the run, and under CI a PostgreSQL that does not answer fails the run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.databases import sqlite_url
from tests.support.server import Server, cli, free_port
from token_api.contract.document import ENV_CACHE_DIR, spec_path

REPOSITORY = Path(__file__).resolve().parents[1]
# A port nothing listens on (free_port() binds it and lets it go).
CLOSED_PORT = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"


def test_the_cache_is_a_folder_of_this_run() -> None:
    folder = Path(os.environ[ENV_CACHE_DIR])
    assert folder.is_relative_to(tempfile.gettempdir())
    assert not folder.is_relative_to(Path.home() / ".cache")


def test_a_server_the_tests_start_caches_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(ENV_CACHE_DIR, str(cache))
    database = sqlite_url(tmp_path)
    cli("init", database=database)
    with Server(database):
        pass
    name = hashlib.sha256(spec_path().read_bytes()).hexdigest()
    assert [p.name.startswith(name) for p in (cache / "valid-documents").iterdir()] == [True]


def _needs_postgres(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    """pytest on one test that asks for a PostgreSQL database, none answering."""
    test = tmp_path / "test_needs_postgres.py"
    test.write_text(
        'def test_needs_postgres(database_factory):\n    database_factory("postgres")\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TOKEN_API_TEST_POSTGRES"] = CLOSED_PORT
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, "-rs", "--rootdir", str(tmp_path), str(test)],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_postgresql_ci_fails(tmp_path: Path) -> None:
    result = _needs_postgres(tmp_path, "true")
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout
    assert f"no PostgreSQL answers at {CLOSED_PORT}" in result.stdout
    assert "CI=true: the PostgreSQL tests must run, not skip" in result.stdout


def test_without_postgresql_a_local_run_skips_with_the_reason(tmp_path: Path) -> None:
    result = _needs_postgres(tmp_path, None)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "SKIPPED [1] " in result.stdout and CLOSED_PORT in result.stdout
