"""The command: nonsense refused in one sentence (exit 2), --duration ends the run with its
summary and reports."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.support.cli import assert_one_sentence, token_api
from tests.support.server import free_port


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--upstream", "ftp://example.com"], "--upstream must be an http:// or https:// URL"),
        (["--upstream", "http://"], "--upstream must be an http:// or https:// URL"),
        (["--upstream", "http://x?y=1"], "--upstream must not have a query"),
        (["--upstream", "http://x", "--port", "0"], "--port must be 1 to 65,535"),
        (["--upstream", "http://x", "--report", "r.txt"], "--report must end in"),
        (["--upstream", "http://x", "--record", "/nowhere/t.har"], "--record: the folder"),
        (["--upstream", "http://x", "--duration", "0"], "--duration must be more than 0"),
        (["--upstream", "http://x", "--timeout", "nan"], "--timeout must be more than 0"),
        (["--upstream", "http://x", "--spec", "/nowhere.yaml"], "Cannot read /nowhere.yaml"),
    ],
)
def test_nonsense_is_one_sentence(args: list[str], words: str, tmp_path: Path) -> None:
    port = ["--port", str(free_port())] if "--port" not in args else []
    result = token_api("proxy", *args, *port, cwd=tmp_path)
    line = assert_one_sentence(result, exit_code=2)
    assert words in line, line


def test_a_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = token_api("proxy", "--upstream", "http://x", "--port", str(port), cwd=tmp_path)
    assert "is already in use" in assert_one_sentence(result, exit_code=1)


def test_duration_ends_the_run_with_its_summary(tmp_path: Path) -> None:
    report = tmp_path / "proxy.md"
    result = token_api(
        "proxy", "--upstream", "http://127.0.0.1:9", "--port", str(free_port()),
        "--duration", "1", "--report", str(report), "--record", str(tmp_path / "t.har"),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "0 exchanges with http://127.0.0.1:9" in result.stdout
    assert "No violation." in result.stdout
    assert report.read_text().startswith("# token-api proxy")
    assert json.loads((tmp_path / "t.har").read_text())["log"]["entries"] == []
