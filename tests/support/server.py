"""Real servers for tests: ``token-api serve`` in a subprocess, on a free port."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.cli import token_api, token_api_here
from tests.support.http import wait_until_answers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(
    *args: str, database: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``token-api ARGS --database URL``."""
    result = token_api(*args, "--database", database, env=env)
    if check:
        result.check_returncode()
    return result


def admin(*args: str, database: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``token-api ARGS --database URL`` in this process (``token_api_here``) on the real
    database, for a test whose subject is not that command: the API's tests, tests/cli's set-up
    steps (tests/cli runs the commands it tests as a user does, with ``cli``)."""
    result = token_api_here(*args, "--database", database)
    if check:
        result.check_returncode()
    return result


def init_demo(database: str) -> dict[str, Any]:
    """``token-api init --demo --json``: ``{"workspaces": [names], "users": [{"email",
    "organization_role", "workspaces" (null: all), "session", "token"}]}``, with a fresh session
    and a fresh personal API key per demo user."""
    return json.loads(admin("init", "--demo", "--json", database=database).stdout)  # type: ignore[no-any-return]


@dataclass
class Server:
    database: str
    port: int = field(default_factory=free_port)
    extra_args: tuple[str, ...] = ()
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        command = [
            sys.executable,
            "-m",
            "token_api",
            "serve",
            "--database",
            self.database,
            "--port",
            str(self.port),
            *self.extra_args,
        ]
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_answers(self.url + "/health", self.process, timeout)
        except RuntimeError:
            self.stop()
            raise
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
