"""Hooks of the Schemathesis process that ``token-api conformance`` starts (SCHEMATHESIS_HOOKS).

Importing this module registers global Schemathesis hooks, so nothing else imports it. It reads
its settings from the environment the command gives the process:

- the ADMIN token fills ``Authorization`` only where a case has none: a stateful step carries
  the token its OpenAPI link took from ``createToken``'s answer, and must keep it (a ``-H`` or
  ``[auth]`` header would silently replace it);
- each request body is rewritten so that the token it asks for expires within the hour, unless
  long-lived tokens are allowed;
- a ``Retry-After`` on 429 or 503 holds the next request back;
- the API's rules are registered as checks, next to Schemathesis's own.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import schemathesis

from token_api.conformance import rules, safety
from token_api.conformance.schemathesis_run import ENV_LONG_LIVED, ENV_SPEC, ENV_TOKEN
from token_api.contract.document import read_document

# An API operation's case, as every hook and check here receives it.
Case = schemathesis.Case[Any]

_TOKEN = os.environ[ENV_TOKEN]
_CONTRACT = rules.Contract(read_document(Path(os.environ[ENV_SPEC])))
_CREATE_TOKEN = _CONTRACT.create_token()
_LONG_LIVED = os.environ.get(ENV_LONG_LIVED) == "1"
_LEDGER = rules.MintLedger()


@schemathesis.auth(refresh_interval=None)
class AdminTokenWhereMissing:
    def get(self, case: Case, ctx: schemathesis.AuthContext) -> str:
        return _TOKEN

    def set(self, case: Case, data: str, ctx: schemathesis.AuthContext) -> None:
        # Case headers are case-insensitive.
        if "Authorization" not in case.headers:
            case.headers["Authorization"] = f"Bearer {data}"


def _is_create_token(case: Case) -> bool:
    operation = case.operation
    return bool(
        operation.method.upper() == _CREATE_TOKEN.method and operation.path == _CREATE_TOKEN.path
    )


@schemathesis.hook
def before_call(ctx: schemathesis.HookContext, case: Case, kwargs: Any) -> None:
    if not _LONG_LIVED and _is_create_token(case):
        case.body = safety.cap_lifetime(case.body, datetime.now(UTC) + safety.TOKEN_HORIZON)


@schemathesis.hook
def after_call(ctx: schemathesis.HookContext, case: Case, response: schemathesis.Response) -> None:
    if response.status_code in (429, 503):
        delay = safety.retry_after(response.headers)
        if delay:
            time.sleep(delay)


def _observed(case: Case, response: schemathesis.Response) -> rules.Observed:
    headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
    operation = _CONTRACT.operation(case.operation.method, case.operation.path)
    request = response.request
    answer = rules.Answer(response.status_code, headers, response.content)
    content_type = request.headers.get("Content-Type")
    return rules.Observed(
        str(request.method or case.method),
        operation,
        answer,
        content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type,
    )


def _verdict(finding: rules.Finding) -> bool | None:
    """Schemathesis's protocol: raise to fail, return True when the check does not apply."""
    if finding is rules.NOT_APPLICABLE:
        return True
    if finding:
        raise AssertionError(finding)
    return None


def _register(name: str, rule: rules.Rule) -> None:
    def check(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
        return _verdict(rule(_CONTRACT, _observed(case, response)))

    check.__name__ = check.__qualname__ = name
    schemathesis.check(check)


for _name, _rule in rules.RESPONSE_RULES.items():
    _register(_name, _rule)


@schemathesis.check
def tokens_unique(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
    minted = rules.minted_secret(_observed(case, response))
    if minted is None:
        return True
    secret, token_id = minted
    return _verdict(_LEDGER.record(secret, token_id, safety.requested_expiry(case.body)))


@schemathesis.check
def token_authenticates(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
    authorization = case.headers.get("Authorization")
    answer = _observed(case, response).answer
    return _verdict(rules.refused_while_valid(_LEDGER, authorization, answer))
