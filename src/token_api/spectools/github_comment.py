"""One pull-request comment per spec, created once and updated on each push, through GitHub's REST
API (issue comments: a pull request is an issue to this API).

The comment is found by its first line, the hidden marker ``token-api diff --format pr-comment``
writes; nothing else of it is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

API_VERSION = "2022-11-28"
_PER_PAGE = 100
_MAX_PAGES = 50  # 5,000 comments: a pull request with more is not one to scan


class CommentError(Exception):
    """GitHub could not be reached or refused; one sentence."""


@dataclass(frozen=True)
class Outcome:
    action: str  # created | updated | unchanged | skipped
    url: str | None


def marker_of(body: str) -> str | None:
    """The body's first line when it is a hidden HTML comment, else None."""
    first = body.split("\n", 1)[0].strip()
    return first if first.startswith("<!--") and first.endswith("-->") else None


class GitHub:
    def __init__(self, api_url: str, token: str, repository: str, timeout: float = 30) -> None:
        self.repository = repository
        self.http = httpx.Client(
            base_url=api_url.rstrip("/"),
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "token-api-gate",
            },
        )

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise CommentError(f"Cannot reach GitHub at {self.http.base_url}: {error}.") from None
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("message") or "").rstrip(".")
            except ValueError:
                detail = ""
            hint = ""
            if response.status_code in (403, 404):
                hint = (
                    " (the token needs pull-requests: write; a pull request from a fork gets a "
                    "read-only token)"
                )
            said = f": {detail}" if detail else ""
            raise CommentError(
                f"GitHub answered {response.status_code} to {method} {url}{said}{hint}."
            )
        return response

    def comments(self, pull: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url: str | None = f"/repos/{self.repository}/issues/{pull}/comments"
        params: dict[str, Any] | None = {"per_page": _PER_PAGE}
        for _ in range(_MAX_PAGES):
            if url is None:
                break
            response = self._call("GET", url, params=params)
            page = response.json()
            if not isinstance(page, list):
                raise CommentError(f"GitHub answered GET {url} with something not a list.")
            found += [c for c in page if isinstance(c, dict)]
            following = response.links.get("next", {}).get("url")
            url, params = following, None  # the next link carries its own query
        return found

    def upsert(self, pull: int, body: str, *, create: bool = True) -> Outcome:
        """Update the comment that starts with the body's marker, or create it."""
        marker = marker_of(body)
        if marker is None:
            raise CommentError("The comment does not start with a marker line (<!-- ... -->).")
        existing = next(
            (c for c in self.comments(pull) if str(c.get("body", "")).startswith(marker)), None
        )
        if existing is None:
            if not create:
                return Outcome("skipped", None)
            response = self._call(
                "POST", f"/repos/{self.repository}/issues/{pull}/comments", json={"body": body}
            )
            return Outcome("created", response.json().get("html_url"))
        if existing.get("body") == body:
            return Outcome("unchanged", existing.get("html_url"))
        response = self._call(
            "PATCH",
            f"/repos/{self.repository}/issues/comments/{existing['id']}",
            json={"body": body},
        )
        return Outcome("updated", response.json().get("html_url"))
