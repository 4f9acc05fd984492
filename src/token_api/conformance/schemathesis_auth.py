"""Schemathesis auth that leaves a stateful step's credential alone (import it as a hooks module).

Importing this module registers a global Schemathesis auth: the session in
``$TOKEN_API_CONFORMANCE_TOKEN`` fills ``Authorization`` only where a case has none. A stateful
step carries the key its OpenAPI link took from ``createToken``'s answer and must keep it:
``-H Authorization: …`` and ``[auth]`` settings replace the link's header on every request, so
with them the link is never exercised.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from token_api.conformance.schemathesis_run import ENV_TOKEN


@schemathesis.auth(refresh_interval=None)
class SessionWhereMissing:
    def get(self, case: schemathesis.Case[Any], ctx: schemathesis.AuthContext) -> str:
        return os.environ[ENV_TOKEN]

    def set(self, case: schemathesis.Case[Any], data: str, ctx: schemathesis.AuthContext) -> None:
        # Case headers are case-insensitive.
        if "Authorization" not in case.headers:
            case.headers["Authorization"] = f"Bearer {data}"
