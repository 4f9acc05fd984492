"""A stand-in for GitHub's REST API: the issue-comment endpoints ``token-api github-comment``
calls, served on a free local port, recording every call."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_test-token"


@dataclass
class FakeGitHub:
    repository: str = "octo/api"
    comments: list[dict[str, Any]] = field(default_factory=list)  # of every pull request
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, path without query)
    per_page_cap: int = 100  # pages shorter than asked, to exercise the Link header
    refuse: int | None = None  # answer every call with this status (a fork's read-only token)
    url: str = ""

    def comment(self, pull: int, body: str, user: str = "someone") -> dict[str, Any]:
        number = len(self.comments) + 1
        stored = {
            "id": 1000 + number,
            "pull": pull,
            "body": body,
            "user": {"login": user},
            "html_url": f"https://github.com/{self.repository}/pull/{pull}#issuecomment-{number}",
        }
        self.comments.append(stored)
        return stored

    def of(self, pull: int) -> list[dict[str, Any]]:
        return [c for c in self.comments if c["pull"] == pull]


def _handler(github: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    prefix = f"/repos/{github.repository}/issues"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            github.calls.append((self.command, urlsplit(self.path).path))
            if github.refuse:
                self._send(github.refuse, {"message": "Resource not accessible by integration"})
                return False
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"message": "Bad credentials"})
                return False
            return True

        def _body(self) -> str:
            length = int(self.headers.get("Content-Length", "0"))
            return str(json.loads(self.rfile.read(length))["body"])

        def do_GET(self) -> None:
            if not self._authorized():
                return
            url = urlsplit(self.path)
            pull = int(url.path.removeprefix(prefix + "/").split("/")[0])
            query = parse_qs(url.query)
            size = min(int(query.get("per_page", ["30"])[0]), github.per_page_cap)
            page = int(query.get("page", ["1"])[0])
            listed = github.of(pull)
            headers = {}
            if page * size < len(listed):
                following = f"{github.url}{url.path}?per_page={size}&page={page + 1}"
                headers["Link"] = f'<{following}>; rel="next"'
            self._send(200, listed[(page - 1) * size : page * size], headers)

        def do_POST(self) -> None:
            if not self._authorized():
                return
            pull = int(urlsplit(self.path).path.removeprefix(prefix + "/").split("/")[0])
            self._send(201, github.comment(pull, self._body(), user="github-actions[bot]"))

        def do_PATCH(self) -> None:
            if not self._authorized():
                return
            number = int(urlsplit(self.path).path.rsplit("/", 1)[1])
            stored = next(c for c in github.comments if c["id"] == number)
            stored["body"] = self._body()
            self._send(200, stored)

    return Handler


@contextmanager
def fake_github(**options: Any) -> Iterator[FakeGitHub]:
    github = FakeGitHub(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(github))
    github.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield github
    finally:
        server.shutdown()
        server.server_close()
