"""``token-api proxy`` in a subprocess, and what it printed and wrote once stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.server import free_port

REPO = Path(__file__).resolve().parents[2]
# One stderr line per violation: rule id, side, operation, status, reason.
LINE = re.compile(
    r"^token-api proxy: (?P<rule>[a-z][a-z0-9.-]*) \[(?P<side>request|response)\] "
    r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}|-)(?P<proxy> \(proxy\))?: (?P<reason>.+)$"
)


@dataclass(frozen=True)
class Line:
    rule: str
    side: str
    method: str
    path: str
    status: int | None
    by_proxy: bool
    reason: str


@dataclass
class Stopped:
    exit_code: int
    stdout: str
    stderr: str
    lines: list[Line]
    files: dict[str, str] = field(default_factory=dict)

    def found(self, side: str | None = None) -> set[str]:
        return {line.rule for line in self.lines if side is None or line.side == side}

    def report(self) -> dict[str, Any]:
        return json.loads(self.files["report.json"])  # type: ignore[no-any-return]

    def junit(self) -> ET.Element:
        return ET.fromstring(self.files["junit.xml"])

    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, *self.files.values()])


class Proxy:
    """``token-api proxy --upstream URL`` on a free port, reports into ``folder``."""

    def __init__(self, upstream: str, folder: Path, *args: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "token_api", "proxy", "--upstream", upstream,
            "--port", str(self.port), "--report", str(folder / "report.json"),
            "--junit-xml", str(folder / "junit.xml"), *args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                _, err = self.process.communicate()
                raise RuntimeError(f"the proxy exited with {self.process.returncode}: {err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError("the proxy did not listen in time") from None
                time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, how: signal.Signals = signal.SIGINT, timeout: float = 30) -> Stopped:
        if self.process.poll() is None:
            self.process.send_signal(how)
        return self.wait(timeout)

    def wait(self, timeout: float = 30) -> Stopped:
        out, err = self.process.communicate(timeout=timeout)
        lines = []
        for text in err.splitlines():
            match = LINE.match(text)
            if match:
                status = match["status"]
                lines.append(
                    Line(
                        match["rule"], match["side"], match["method"], match["path"],
                        None if status == "-" else int(status), bool(match["proxy"]),
                        match["reason"],
                    )
                )  # fmt: skip
        files = {
            path.name: path.read_text(encoding="utf-8")
            for path in self.folder.iterdir()
            if path.is_file()
        }
        return Stopped(self.process.returncode, out, err, lines, files)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
