"""The README's recipes, and the documentation site's (docs/) they lead to: the curl recipe run as
written from a clone (the venv's ``token-api`` in the clone's folder, the default database there,
an ``expires_at`` computed from now: a fixed date would turn the recipe into a 422 once it
passed), and every shell block calling the venv's ``token-api``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import Server, cli, init_demo

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "README.md"
PAGES = [README, *sorted((REPOSITORY / "docs").rglob("*.md"))]
_SH = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def _blocks() -> list[str]:
    return [str(block) for page in PAGES for block in _SH.findall(page.read_text())]


def _recipe_with(text: str) -> str:
    (block,) = [block for block in _blocks() if text in block]
    return block


@pytest.mark.skipif(shutil.which("curl") is None, reason="the recipe runs curl")
def test_the_curl_recipe_runs_verbatim_from_a_clone(tmp_path: Path) -> None:
    recipe = _recipe_with("curl -s -X POST")
    assert "2030-" not in recipe and "$(date -u" in recipe
    # A clone's folder: the venv's token-api (this interpreter's) and the default database.
    bin_folder = tmp_path / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "token-api").symlink_to(Path(sys.executable).with_name("token-api"))
    database = f"sqlite:///{tmp_path / 'token-api.db'}"
    init_demo(database)
    with Server(database) as server:
        # The one change: the test's server is not on port 8000 (which may be in use).
        script = recipe.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
        env = {"PATH": "/usr/bin:/bin"}  # no token-api on the PATH: the recipe must not need it
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"api_token", "api_token_id"}
    listed = json.loads(cli("keys", "list", "--json", database=database).stdout)
    key = next(key for key in listed if key["id"] == answer["api_token_id"])
    assert key["name"] == "ci" and key["workspaces"] == ["default"]
    assert key["expires_at"] is not None and key["expires_at"] > key["created_at"]


def test_every_recipe_uses_the_venvs_token_api() -> None:
    """A fresh clone has token-api only in .venv/bin: each shell block of the README and the
    site calls it that way or activates the venv before it does."""
    assert len(PAGES) > 1  # the site is there to follow
    for block in _blocks():
        activated = False
        for line in block.splitlines():
            command = line.split("#")[0]
            activated = activated or ". .venv/bin/activate" in command
            for match in re.finditer(r"(\S*)token-api (?=[a-z])", command):
                prefix = match.group(1)
                assert activated or prefix.endswith(".venv/bin/"), line


def test_the_readme_stays_short_and_its_set_up_runs_once() -> None:
    """At most 10 KB (the rest is the site's); the venv is created by one set-up command, so the
    next command never re-creates it under a server the first one started."""
    assert len(README.read_bytes()) <= 10 * 1024
    commands = [line for block in _SH.findall(README.read_text()) for line in block.splitlines()]
    assert sum("python3 -m venv" in line for line in commands) == 1


def test_ci_runs_the_readmes_set_up_and_test_commands() -> None:
    """.ci/run is what CI runs: the README's install command and its test command, as written."""
    blocks = _SH.findall(README.read_text())
    install = next(line for b in blocks for line in b.splitlines() if "python3 -m venv" in line)
    test = next(
        line.split("#")[0].strip()
        for b in blocks
        for line in b.splitlines()
        if line.startswith(".venv/bin/pytest ") and "whole suite" in line
    )
    ci = (REPOSITORY / ".ci" / "run").read_text().splitlines()
    assert install in ci and test in ci
