"""The traffic the proxy comparison replays: one client's calls to Create Token, correct ones and
each way a client breaks the contract, as data. Credentials are placeholders filled at replay
time (``{admin}``, ``{member}``, ``{demo_key}``: the demo users' sessions and the ADMIN's
personal key; ``{minted}``: the key the last successful mint of this replay returned), so the
same steps go through every proxy against every upstream.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

TOKEN = "/api/v1/token"
_JSON = ("Content-Type", "application/json")
_EXPIRY = "{expiry}"


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None


def _mint(step: str, who: str = "{admin}", **fields: Any) -> Step:
    body = json.dumps({"name": f"proxy comparison: {step}", "expires_at": _EXPIRY, **fields})
    return Step(step, "POST", TOKEN, (("Authorization", f"Bearer {who}"), _JSON), body.encode())


_VALID = json.dumps({"name": "proxy comparison", "expires_at": _EXPIRY}).encode()
STEPS: tuple[Step, ...] = (
    Step("health", "GET", "/health", ()),
    _mint("a key"),
    _mint("another key"),
    _mint("the minted key at Create Token", who="{minted}"),
    _mint("the ADMIN's personal key at Create Token", who="{demo_key}"),
    Step("no Authorization", "POST", TOKEN, (_JSON,), _VALID),
    Step("Basic credentials", "POST", TOKEN,
         (("Authorization", "Basic dXNlcjpwYXNzd29yZA=="), _JSON), _VALID),
    Step("two Authorization headers", "POST", TOKEN,
         (("Authorization", "Bearer {admin}"), ("Authorization", "Bearer {admin}"), _JSON),
         _VALID),
    _mint("a role the enum lacks", organization_role="OWNER"),
    _mint("expires_at not a date-time", expires_at="yesterday"),
    _mint("expires not a boolean", expires="yes"),
    _mint("a null name (valid)", name=None),
    Step("not JSON", "POST", TOKEN, (("Authorization", "Bearer {admin}"), _JSON), b"{name: 1}"),
    Step("NaN", "POST", TOKEN, (("Authorization", "Bearer {admin}"), _JSON),
         b'{"name": NaN, "expires_at": "' + _EXPIRY.encode() + b'"}'),
    Step("text/plain", "POST", TOKEN,
         (("Authorization", "Bearer {admin}"), ("Content-Type", "text/plain")), _VALID),
    Step("charset latin-1", "POST", TOKEN,
         (("Authorization", "Bearer {admin}"),
          ("Content-Type", "application/json; charset=latin-1")), _VALID),
    Step("gzip-coded body", "POST", TOKEN,
         (("Authorization", "Bearer {admin}"), _JSON, ("Content-Encoding", "gzip")), _VALID),
    Step("body over 65,536 bytes", "POST", TOKEN, (("Authorization", "Bearer {admin}"), _JSON),
         json.dumps({"name": "x" * 70_000, "expires_at": _EXPIRY}).encode()),
    _mint("a MEMBER asks for ADMIN (refused, correctly)", who="{member}",
          organization_role="ADMIN"),
    *(Step(f"a refused session, try {n}", "POST", TOKEN,
           (("Authorization", "Bearer ses_" + "0" * 49), _JSON), _VALID) for n in range(1, 6)),
)  # fmt: skip


def replay(base_url: str, credentials: dict[str, str]) -> list[httpx.Response]:
    """Every step through ``base_url``, in order; the answers."""
    expiry = (datetime.now(UTC) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    values = {**credentials, "minted": "api_" + "0" * 49, "expiry": expiry}
    answers = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for step in STEPS:
            headers = httpx.Headers([(k, v.format(**values)) for k, v in step.headers])
            body = step.body.replace(_EXPIRY.encode(), expiry.encode()) if step.body else None
            if body is not None and headers.get("content-encoding") == "gzip":
                body = gzip.compress(body)
            answer = client.request(step.method, step.path, headers=headers, content=body)
            answers.append(answer)
            try:
                minted = answer.json().get("api_token") if answer.status_code == 200 else None
            except (ValueError, AttributeError):
                minted = None
            if isinstance(minted, str):
                values["minted"] = minted
    return answers
