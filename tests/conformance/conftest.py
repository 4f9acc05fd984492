"""Fixtures: reference servers, the broken proxy in front of one, and the command itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conformance.broken.app import ENV_ADMIN_TOKEN, ENV_UPSTREAM
from tests.support.cli import token_api, token_api_here
from tests.support.databases import sqlite_url
from tests.support.http import wait_until_answers
from tests.support.server import Server, free_port, init_demo

REPO = Path(__file__).resolve().parents[2]
# Minted secrets of the reference server, and the wrong-prefix proxy's version of them.
SECRET = re.compile(r"\b(?:api|key)_[0-9A-Za-z]{40,}")


@dataclass
class Deployment:
    url: str
    database: str
    sessions: dict[str, str]  # the demo users' sessions, by organization role
    tokens: dict[str, str]  # their personal API keys, by organization role
    workspaces: list[str]
    identities: Path  # what `token-api init --demo --json` printed

    @property
    def admin(self) -> str:
        """The ADMIN user's session."""
        return self.sessions["ADMIN"]

    def secrets(self) -> list[str]:
        return [*self.sessions.values(), *self.tokens.values()]


def start_deployment(database: str, folder: Path) -> tuple[Deployment, Server]:
    demo = init_demo(database)
    identities = folder / "identities.json"
    identities.write_text(json.dumps(demo))
    server = Server(database, log=folder / "server.log").start()
    by_role = {user["organization_role"]: user for user in demo["users"]}
    deployment = Deployment(
        server.url,
        database,
        {role: user["session"] for role, user in by_role.items()},
        {role: user["token"] for role, user in by_role.items()},
        sorted(demo["workspaces"]),
        identities,
    )
    return deployment, server


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The reference server on SQLite with the demo organization."""
    folder = tmp_path_factory.mktemp("conformance-reference")
    deployment, server = start_deployment(sqlite_url(folder), folder)
    yield deployment
    server.stop()


@contextmanager
def serving(module: str, *arguments: str, log: Path, health: str, env: dict[str, str] | None = None
            ) -> Iterator[str]:  # fmt: skip
    """``python -m module --port P ARGUMENTS`` from the repository, until ``health`` (a path)
    answers 200: its base URL."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", module, "--port", str(port), *arguments],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_answers(f"{base}{health}", process)
        except RuntimeError as error:
            process.kill()
            raise RuntimeError(f"{module} did not start (see {log})") from error
        try:
            yield base
        finally:
            process.terminate()
            process.wait(10)


@pytest.fixture(scope="session")
def broken(reference: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The broken proxy in front of ``reference``: ``f"{broken}/{defect}"`` is a base URL."""
    env = {ENV_UPSTREAM: reference.url, ENV_ADMIN_TOKEN: reference.admin}
    log = tmp_path_factory.mktemp("broken") / "proxy.log"
    with serving("tests.conformance.broken", log=log, health="/none/health", env=env) as base:
        yield base


@dataclass
class Run:
    """One ``token-api conformance`` process and what it left behind."""

    exit_code: int
    stdout: str
    stderr: str
    verdicts: dict[str, str] = field(default_factory=dict)  # check -> passed/failed/skipped
    messages: dict[str, str] = field(default_factory=dict)  # check -> failure or skip message
    files: dict[str, str] = field(default_factory=dict)  # name -> text of each written file

    def failed(self) -> set[str]:
        return {name for name, verdict in self.verdicts.items() if verdict == "failed"}

    def everything(self) -> str:
        """All the run printed and wrote, for leak checks."""
        return "\n".join([self.stdout, self.stderr, *self.files.values()])


def _junit(text: str) -> tuple[dict[str, str], dict[str, str]]:
    verdicts, messages = {}, {}
    for case in ET.fromstring(text).iter("testcase"):
        name = case.attrib["name"]
        failure, skipped = case.find("failure"), case.find("skipped")
        if failure is not None:
            verdicts[name], messages[name] = "failed", failure.attrib.get("message", "")
        elif skipped is not None:
            verdicts[name], messages[name] = "skipped", skipped.attrib.get("message", "")
        else:
            verdicts[name] = "passed"
    return verdicts, messages


def conformance(
    *args: str,
    folder: Path,
    report: str | None = "report.json",
    env: dict[str, str] | None = None,
    process: bool = False,
) -> Run:
    """``token-api conformance ARGS`` with --junit-xml (and --report) into ``folder``; ``env``
    adds to the environment (which has no TOKEN_API_TOKEN otherwise). In this process through the
    CLI's own ``main`` (a command's process is about 0.4 s of CPU, docs/testing.md), or, with
    ``process``, as a user runs it."""
    folder.mkdir(parents=True, exist_ok=True)
    junit = folder / "junit.xml"
    extra = ["--junit-xml", str(junit)]
    if report is not None:
        extra += ["--report", str(folder / report)]
    run_command = token_api if process else token_api_here
    completed = run_command(
        "conformance", *args, *extra, cwd=folder, env={"TOKEN_API_TOKEN": None, **(env or {})}
    )
    run = Run(completed.returncode, completed.stdout, completed.stderr)
    for path in folder.iterdir():
        if path.is_file():
            run.files[path.name] = path.read_text(encoding="utf-8")
    if "junit.xml" in run.files:
        run.verdicts, run.messages = _junit(run.files["junit.xml"])
    return run


def assert_not_echoed(text: str, secret: str) -> None:
    """Neither ``secret`` nor any 8 characters of it past its prefix appear in ``text``."""
    _, _, body = secret.partition("_")
    body = body or secret
    for start in range(max(1, len(body) - 7)):
        assert body[start : start + 8] not in text, "a part of a secret was printed"


def assert_no_secret(run: Run, deployment: Deployment) -> None:
    """Nothing the run printed or wrote holds a key or one of the deployment's sessions."""
    text = run.everything()
    assert SECRET.findall(text) == []
    for secret in deployment.secrets():
        assert secret not in text
