"""The checks that judge one answer: applied to every answer the run gets, in the scenarios (our
process) and in Schemathesis's (through ``schemathesis_hooks``), so a rule means the same thing
wherever it fires.

Each returns ``None`` (kept), a sentence (broken) or ``NOT_APPLICABLE`` (the answer says nothing
about it, and is not counted as a case).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final

from token_api.conformance.exchange import Observed
from token_api.conformance.ledger import MintLedger
from token_api.conformance.registry import response_check
from token_api.conformance.safety import requested_expiry
from token_api.conformance.spec import Contract

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Where FastAPI locates a violation: the first item of every `loc`.
_LOCATIONS = ("body", "query", "path", "header", "cookie")


class _NotApplicable(enum.Enum):
    NOT_APPLICABLE = "not applicable"


NOT_APPLICABLE: Final = _NotApplicable.NOT_APPLICABLE
Finding = str | None | _NotApplicable


@dataclass(slots=True)
class Judge:
    """What the response checks judge with, besides the answer."""

    contract: Contract
    ledger: MintLedger = field(default_factory=MintLedger)
    # With --key-probe, that endpoint's answer (not Create Token's) shows a key is recognised.
    key_probe: bool = False

    def observe(self, seen: Observed) -> Observed:
        """Every answer passes here before the checks: the key it hands out is recorded (the
        checks of presented keys look it up, whichever checks run), and whether it was handed
        out before goes with the answer (tokens_unique)."""
        minted = seen.minted
        if minted is None:
            return seen
        key_id = minted.key_id if isinstance(minted.key_id, str) else None
        repeated = self.ledger.record(minted.secret, key_id, requested_expiry(seen.body))
        return replace(seen, repeated=repeated)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@response_check("response.no-server-error")
def no_server_error(judge: Judge, seen: Observed) -> Finding:
    """no 5xx, ever (a dropped connection after the deployment has answered is one too)"""
    status = seen.answer.status
    return f"the server answered {status}" if status >= 500 else None


@response_check("response.json")
def json_content_type(judge: Judge, seen: Observed) -> Finding:
    """every response is application/json"""
    if seen.method.upper() == "HEAD" or seen.key_probe:
        return NOT_APPLICABLE
    value = seen.answer.headers.get("content-type")
    if value is None:
        return f"the {seen.answer.status} response has no Content-Type"
    if value.split(";")[0].strip().lower() != "application/json":
        return f"the {seen.answer.status} response is {value!r}, not application/json"
    return None


@response_check("response.status-documented")
def documented_status(judge: Judge, seen: Observed) -> Finding:
    """the documented status: 200 not 201, 422 not 400"""
    endpoint = seen.endpoint
    # Requests with another method probe routing (method_not_allowed and unsupported_method
    # judge them); a body sent to an operation that takes none is a request shape the contract
    # does not describe (Schemathesis skips such probes in status_code_conformance too).
    if endpoint is None or seen.method.upper() != endpoint.method:
        return NOT_APPLICABLE
    if seen.content_type is not None and not endpoint.takes_body:
        return NOT_APPLICABLE
    status = seen.answer.status
    if 200 <= status < 300 and status != 200 and endpoint.documents(200):
        return f"{endpoint.label} answered {status}; the contract's success status is 200"
    if status == 400 and endpoint.documents(422) and seen.content_type is not None:
        # A 400 is the HTTP layer's answer to a malformed message; to a well-formed request
        # with a body it is the invalid body's answer, which is 422.
        problem = _malformed_or_not(seen)
        if problem is not None:
            return f"{endpoint.label} answered 400; {problem}"
    if not endpoint.documents(status):
        documented = ", ".join(endpoint.statuses)
        return f"{endpoint.label} answered {status}, which it does not document ({documented})"
    return None


def _malformed_or_not(seen: Observed) -> str | None:
    """Why a 400 is wrong for this request, or None when it may be the HTTP layer's answer."""
    try:
        body = seen.answer.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        return "the contract refuses invalid requests with 422 (its body is a list of violations)"
    return None


@response_check("error.validation-shape")
def validation_error_shape(judge: Judge, seen: Observed) -> Finding:
    """a 422 is HTTPValidationError, each violation located from "body" as FastAPI does"""
    if seen.answer.status != 422:
        return NOT_APPLICABLE
    try:
        body = seen.answer.json()
    except ValueError:
        return "the 422 body is not JSON"
    problem = judge.contract.error_body_problem(422, body)
    if problem is not None:
        return problem
    locations = ("body",) if seen.endpoint is not None and not seen.endpoint.parameters else None
    for item in body["detail"]:
        loc = item["loc"]
        first = loc[0] if loc else None
        if first not in (locations or _LOCATIONS):
            where = " or ".join(repr(place) for place in locations or _LOCATIONS)
            return f"a 422 violation's loc is {_short(str(loc))}, which does not start at {where}"
    return None


@response_check("error.detail-shape")
def error_detail_shape(judge: Judge, seen: Observed) -> Finding:
    """every error but 422 is {"detail": "<one sentence>"}"""
    status = seen.answer.status
    if status < 400 or status == 422 or seen.key_probe:
        return NOT_APPLICABLE
    try:
        body = seen.answer.json()
    except ValueError:
        return f"the {status} body is not JSON"
    return judge.contract.error_body_problem(status, body)


@response_check("auth.www-authenticate")
def www_authenticate(judge: Judge, seen: Observed) -> Finding:
    """every 401 challenges with WWW-Authenticate: Bearer"""
    if seen.answer.status != 401:
        return NOT_APPLICABLE
    value = seen.answer.headers.get("www-authenticate")
    if value is None:
        return "the 401 has no WWW-Authenticate header"
    if value.strip() != "Bearer":
        return f"the 401's WWW-Authenticate is {value!r}, not 'Bearer'"
    return None


@response_check("key.format")
def token_format(judge: Judge, seen: Observed) -> Finding:
    """a minted key is api_… and its id a UUID"""
    if not seen.is_create_token() or not 200 <= seen.answer.status < 300:
        return NOT_APPLICABLE
    minted = seen.minted
    if minted is None:
        return "a 2xx of Create Token without an api_token string in a JSON object"
    if not minted.secret.startswith("api_") or len(minted.secret) == len("api_"):
        # Not even its first characters are quoted: they would be part of a secret.
        return "api_token does not start with api_"
    if not isinstance(minted.key_id, str):
        return "the answer has no api_token_id string"
    if not _UUID.fullmatch(minted.key_id):
        return f"api_token_id {_short(minted.key_id)!r} is not a UUID"
    return None


@response_check("key.no-store")
def no_store(judge: Judge, seen: Observed) -> Finding:
    """the answer carrying a key's secret has Cache-Control: no-store"""
    if seen.minted is None:
        return NOT_APPLICABLE
    value = seen.answer.headers.get("cache-control", "")
    directives = {part.split("=")[0].strip().lower() for part in value.split(",")}
    if "no-store" not in directives:
        shown = f"Cache-Control: {value}" if value else "no Cache-Control"
        return f"the {seen.answer.status} carrying a key's secret has {shown}, not no-store"
    return None


@response_check("key.unique")
def tokens_unique(judge: Judge, seen: Observed) -> Finding:
    """key ids and secrets never repeat"""
    return NOT_APPLICABLE if seen.minted is None else seen.repeated


@response_check("key.recognised")
def token_authenticates(judge: Judge, seen: Observed) -> Finding:
    """a minted key is recognised at once: 403 at Create Token, not 401 (2xx at --key-probe)"""
    minted = judge.ledger.alive(seen.bearer)
    if minted is None:
        return NOT_APPLICABLE
    status = seen.answer.status
    age = (datetime.now(UTC) - minted.minted_at).total_seconds()
    if seen.key_probe:
        if 200 <= status < 300:
            return None
        return f"--key-probe answered a key minted {age:.1f}s earlier in this run {status}, not 2xx"
    if judge.key_probe or not seen.is_create_token():
        return NOT_APPLICABLE
    if status == 401:
        return f"a key minted {age:.1f}s earlier in this run was refused as unknown (401)"
    # 403 is the contract's answer and a 2xx authenticated it (api_key_cannot_mint judges that);
    # anything else (a 422 for a generated body) says nothing about the credential.
    return None if status == 403 or 200 <= status < 300 else NOT_APPLICABLE


@response_check("auth.api-key-forbidden")
def api_key_cannot_mint(judge: Judge, seen: Observed) -> Finding:
    """an API key presented to Create Token never mints a key"""
    if not seen.is_create_token() or judge.ledger.find(seen.bearer or "") is None:
        return NOT_APPLICABLE
    status = seen.answer.status
    if 200 <= status < 300:
        return f"an API key minted earlier in this run minted a key (answered {status})"
    return None
