"""Hooks of the Schemathesis process that ``token-api conformance`` starts (SCHEMATHESIS_HOOKS).

Importing this module registers global Schemathesis hooks, so nothing else imports it. It reads
its settings from the environment the command gives the process:

- the ADMIN session fills ``Authorization`` only where a case has none (``schemathesis_auth``):
  a stateful step carries the key its OpenAPI link took from ``createToken``'s answer, and must
  keep it (a ``-H`` or ``[auth]`` header would silently replace it);
- each request body is rewritten so that the token it asks for expires within the hour, unless
  long-lived tokens are allowed;
- a ``Retry-After`` on 429 or 503 holds the next request back;
- the registry's response checks are registered as Schemathesis checks, by their own names,
  next to Schemathesis's own.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import schemathesis

from token_api.conformance import registry, safety
from token_api.conformance import schemathesis_auth as _auth  # noqa: F401  (registers the auth)
from token_api.conformance.exchange import Answer, Observed
from token_api.conformance.response_checks import NOT_APPLICABLE, Finding, Judge
from token_api.conformance.schemathesis_run import (
    ENV_CHECKS,
    ENV_KEY_PROBE,
    ENV_LONG_LIVED,
    ENV_SPEC,
)
from token_api.conformance.spec import Contract
from token_api.contract.document import read_document

# An API operation's case, as every hook and check here receives it.
Case = schemathesis.Case[Any]

_JUDGE = Judge(
    Contract(read_document(Path(os.environ[ENV_SPEC]))),
    # With --key-probe, the probe (in the scenarios) is the evidence that a key is recognised,
    # not Create Token's answer to it.
    key_probe=os.environ.get(ENV_KEY_PROBE) == "1",
)
_CREATE_TOKEN = _JUDGE.contract.create_token()
_LONG_LIVED = os.environ.get(ENV_LONG_LIVED) == "1"


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


# The last response judged and what the checks see of it: every check of one response gets the
# same Observed, so its key is recorded once. Held, so no other response can take its id.
_LAST: list[tuple[schemathesis.Response, Observed]] = []


def _observed(case: Case, response: schemathesis.Response) -> Observed:
    if _LAST and _LAST[0][0] is response:
        return _LAST[0][1]
    seen = _observe(case, response)
    _LAST[:] = [(response, seen)]
    return seen


def _observe(case: Case, response: schemathesis.Response) -> Observed:
    headers = {name.lower(): ", ".join(values) for name, values in response.headers.items()}
    request = response.request
    content_type = request.headers.get("Content-Type")
    authorization = case.headers.get("Authorization") if case.headers else None
    return _JUDGE.observe(
        Observed(
            str(request.method or case.method),
            _JUDGE.contract.endpoint(case.operation.method, case.operation.path),
            Answer(response.status_code, headers, response.content),
            content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type,
            authorization,
            case.body if isinstance(case.body, dict | list | str | int | float | bool) else None,
        )
    )


def _verdict(finding: Finding) -> bool | None:
    """Schemathesis's protocol: raise to fail, return True when the check does not apply."""
    if finding is NOT_APPLICABLE:
        return True
    if finding:
        raise AssertionError(finding)
    return None


def _register(check: registry.Check) -> None:
    judge_answer = check.function
    assert judge_answer is not None

    def judged(ctx: Any, response: schemathesis.Response, case: Case) -> bool | None:
        return _verdict(judge_answer(_JUDGE, _observed(case, response)))

    # Schemathesis names a check by its function: the registry's name, with its description.
    judged.__name__ = judged.__qualname__ = check.name
    judged.__doc__ = check.description
    schemathesis.check(judged)


_SELECTED = set(filter(None, os.environ.get(ENV_CHECKS, "").split(",")))
for _check in registry.checks():
    if _check.kind == registry.RESPONSE and _check.name in _SELECTED:
        _register(_check)
