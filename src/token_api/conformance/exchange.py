"""One exchange as the checks see it: what was sent, what came back, and the key it minted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from token_api.conformance.spec import CREATE_TOKEN, Endpoint


@dataclass(frozen=True, slots=True)
class Answer:
    """A response; header names in lower case."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The parsed body; ValueError when it is not JSON."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class MintedKey:
    """The key a 2xx answer of Create Token hands out, whatever else its body holds."""

    secret: str = field(repr=False)
    key_id: Any  # api_token_id as sent: token_format judges whether it is a UUID string


def minted_key(endpoint: Endpoint | None, answer: Answer) -> MintedKey | None:
    """The one reading of a minted key: a 2xx of Create Token whose body is a JSON object with
    an ``api_token`` string."""
    if endpoint is None or endpoint.operation_id != CREATE_TOKEN:
        return None
    if not 200 <= answer.status < 300 or b"api_token" not in answer.body:
        return None
    try:
        body = answer.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("api_token"), str):
        return None
    return MintedKey(body["api_token"], body.get("api_token_id"))


@dataclass(frozen=True, slots=True)
class Observed:
    """What was sent (method, the operation it was meant for, if any, its credential and body)
    and what came back."""

    method: str
    endpoint: Endpoint | None
    answer: Answer
    content_type: str | None = None  # of the request
    authorization: str | None = field(default=None, repr=False)  # a secret
    body: Any = field(default=None, repr=False)  # the request body, parsed (None if not JSON)
    key_probe: bool = False  # a --key-probe request: another endpoint of the deployment
    # Set by Judge.observe: why the key this answer hands out was handed out before, if it was.
    repeated: str | None = None

    @property
    def minted(self) -> MintedKey | None:
        return minted_key(self.endpoint, self.answer)

    @property
    def bearer(self) -> str | None:
        """The credential of a Bearer Authorization header (the scheme in any case)."""
        if self.authorization is None:
            return None
        scheme, _, credentials = self.authorization.strip().partition(" ")
        return credentials.strip() or None if scheme.lower() == "bearer" else None

    def is_create_token(self) -> bool:
        endpoint = self.endpoint
        return (
            endpoint is not None
            and endpoint.operation_id == CREATE_TOKEN
            and self.method.upper() == endpoint.method
        )
