"""Hooks of the Schemathesis process that ``token-api conformance`` starts (SCHEMATHESIS_HOOKS).

Importing this module registers global Schemathesis hooks, so nothing else imports it. It reads
its settings from the environment the command gives the process:

- the ADMIN session fills ``Authorization`` only where a case has none (``schemathesis_auth``):
  a stateful step carries the key its OpenAPI link took from ``createToken``'s answer, and must
  keep it (a ``-H`` or ``[auth]`` header would silently replace it);
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
from token_api.conformance import schemathesis_auth as _auth  # noqa: F401  (registers the auth)
from token_api.conformance.schemathesis_run import ENV_KEY_PROBE, ENV_LONG_LIVED, ENV_SPEC
from token_api.contract.document import read_document

# An API operation's case, as every hook and check here receives it.
Case = schemathesis.Case[Any]

_CONTRACT = rules.Contract(read_document(Path(os.environ[ENV_SPEC])))
_CREATE_TOKEN = _CONTRACT.create_token()
_LONG_LIVED = os.environ.get(ENV_LONG_LIVED) == "1"
# With --key-probe, the probe (in the scenarios) is the evidence that a key is recognised, not
# Create Token's answer to it.
_KEY_PROBE = os.environ.get(ENV_KEY_PROBE) == "1"
_LEDGER = rules.MintLedger()


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
    if _KEY_PROBE or not _is_create_token(case):
        return True
    answer = _observed(case, response).answer
    return _verdict(rules.key_not_recognised(_LEDGER, case.headers.get("Authorization"), answer))


@schemathesis.check
def api_key_cannot_mint(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
    if not _is_create_token(case):
        return True
    answer = _observed(case, response).answer
    return _verdict(rules.key_minted(_LEDGER, case.headers.get("Authorization"), answer))
