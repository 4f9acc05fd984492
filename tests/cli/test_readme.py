"""The README's first recipe, run as written from a clone: the venv's ``token-api`` in the clone's
folder, the default database there, an ``expires_at`` computed from now (a fixed date would turn
the recipe into a 422 once it passed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import Server, cli, init_demo

README = Path(__file__).resolve().parents[2] / "README.md"
_SH = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def _recipe_with(text: str) -> str:
    (block,) = [block for block in _SH.findall(README.read_text()) if text in block]
    return str(block)


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
    """A fresh clone has token-api only in .venv/bin: each shell block calls it that way or
    activates the venv before it does."""
    for block in _SH.findall(README.read_text()):
        activated = False
        for line in block.splitlines():
            command = line.split("#")[0]
            activated = activated or ". .venv/bin/activate" in command
            for match in re.finditer(r"(\S*)token-api (?=[a-z])", command):
                prefix = match.group(1)
                assert activated or prefix.endswith(".venv/bin/"), line
