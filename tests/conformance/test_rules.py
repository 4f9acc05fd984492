"""The pieces the end-to-end runs rely on, each on the inputs that decide it."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from token_api.conformance.bodies import NO_STATED_LIMIT, hostile_cases

from token_api.conformance import rules
from token_api.conformance.callers import CallerError, KeyProbe
from token_api.conformance.curl import curl
from token_api.conformance.redaction import Redactor
from token_api.conformance.safety import cap_lifetime, retry_after, schemathesis_rate
from token_api.conformance.schemathesis_run import inapplicable
from token_api.contract.document import load_document

CONTRACT = rules.Contract(load_document())
CREATE = CONTRACT.create_token()
HEALTH = CONTRACT.operation("GET", "/health")
JSON = {"content-type": "application/json"}
TOKEN = "api_" + "A" * 49
TOKEN_ID = "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71"


def _seen(
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    operation: rules.Operation | None = CREATE,
    method: str = "POST",
    content_type: str | None = "application/json",
) -> rules.Observed:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = rules.Answer(status, JSON if headers is None else headers, raw)
    return rules.Observed(method, operation, answer, content_type)


@pytest.mark.parametrize(
    ("rule", "seen", "problem"),
    [
        (rules.token_format, _seen(200, {"api_token": TOKEN, "api_token_id": TOKEN_ID}), None),
        (rules.token_format, _seen(200, {"api_token": "key_x", "api_token_id": TOKEN_ID}), "api_"),
        (rules.token_format, _seen(200, {"api_token": TOKEN, "api_token_id": "42"}), "UUID"),
        (rules.token_format, _seen(200, {"api_token": TOKEN}), "no api_token_id"),
        (rules.token_format, _seen(422, {"detail": []}), rules.NOT_APPLICABLE),
        (rules.documented_status, _seen(201, {}), "success status is 200"),
        (rules.documented_status, _seen(400, {}), "with 422"),
        (rules.documented_status, _seen(418, {}), "does not document"),
        (rules.documented_status, _seen(415, {}), None),
        (rules.documented_status, _seen(405, {}, method="PATCH"), rules.NOT_APPLICABLE),
        (
            rules.documented_status,
            _seen(400, {}, operation=HEALTH, method="GET", content_type="multipart/form-data"),
            rules.NOT_APPLICABLE,
        ),
        (
            rules.error_body_shape,
            _seen(422, {"detail": [{"loc": ["body"], "msg": "m", "type": "t"}]}),
            None,
        ),
        (rules.error_body_shape, _seen(422, {"detail": []}), "HTTPValidationError"),
        (rules.error_body_shape, _seen(422, {"detail": "no"}), "HTTPValidationError"),
        (rules.error_body_shape, _seen(403, {"detail": "Refused."}), None),
        (rules.error_body_shape, _seen(401, {"title": "Unauthorized"}), '{"detail"'),
        (rules.error_body_shape, _seen(500, b"oops"), "not JSON"),
        (
            rules.json_content_type,
            _seen(200, {}, {"content-type": "application/json; charset=utf-8"}),
            None,
        ),
        (
            rules.json_content_type,
            _seen(422, {}, {"content-type": "application/problem+json"}),
            "not application/json",
        ),
        (rules.json_content_type, _seen(200, {}, {}), "no Content-Type"),
        (rules.www_authenticate, _seen(401, {}, {"www-authenticate": "Bearer"}), None),
        (rules.www_authenticate, _seen(401, {}, {}), "no WWW-Authenticate"),
        (rules.www_authenticate, _seen(401, {}, {"www-authenticate": "Basic"}), "not 'Bearer'"),
        (rules.no_server_error, _seen(503, {"detail": "Down."}), "503"),
    ],
)
def test_response_rules(rule: rules.Rule, seen: rules.Observed, problem: Any) -> None:
    finding = rule(CONTRACT, seen)
    if problem is None or problem is rules.NOT_APPLICABLE:
        assert finding is problem
    else:
        assert isinstance(finding, str) and problem in finding


def test_the_ledger_sees_repeated_secrets_and_ids() -> None:
    ledger = rules.MintLedger()
    assert ledger.record(TOKEN, TOKEN_ID, None) is None
    assert "already handed out" in (ledger.record(TOKEN, "another", None) or "")
    assert "already handed out" in (ledger.record("api_other", TOKEN_ID, None) or "")


def _answer(status: int) -> rules.Answer:
    return rules.Answer(status, JSON, b"{}")


def test_a_minted_key_must_be_recognised_but_never_mint() -> None:
    ledger = rules.MintLedger()
    ledger.record(TOKEN, TOKEN_ID, None)
    key = f"Bearer {TOKEN}"
    # token_authenticates: 403 is recognised, 401 is not; a 422 says nothing of the credential.
    assert rules.key_not_recognised(ledger, key, _answer(403)) is None
    assert "as unknown (401)" in str(rules.key_not_recognised(ledger, key, _answer(401)))
    assert rules.key_not_recognised(ledger, key, _answer(422)) is rules.NOT_APPLICABLE
    # api_key_cannot_mint: any refusal will do, a 2xx is the failure.
    assert rules.key_minted(ledger, key, _answer(403)) is None
    assert rules.key_minted(ledger, key, _answer(401)) is None
    assert "minted a key (answered 200)" in str(rules.key_minted(ledger, key, _answer(200)))
    # Credentials the run did not mint (the ADMIN session, an unknown key) are not keys of it.
    for other in ("Bearer api_unknown", "Bearer ses_admin", None):
        assert rules.key_not_recognised(ledger, other, _answer(401)) is rules.NOT_APPLICABLE
        assert rules.key_minted(ledger, other, _answer(200)) is rules.NOT_APPLICABLE
    # A key asked to expire within moments may rightly be gone already.
    soon = rules.MintLedger()
    soon.record(TOKEN, TOKEN_ID, datetime.now(UTC) + timedelta(seconds=1))
    assert rules.key_not_recognised(soon, key, _answer(401)) is rules.NOT_APPLICABLE


def test_the_body_limit_and_the_checks_that_cannot_apply_come_from_the_contract() -> None:
    assert CREATE.body_limit == 65_536
    assert inapplicable(CONTRACT).keys() == {
        "use_after_free",
        "ensure_resource_availability",
        "object_level_authorization",
    }
    document = load_document()
    document["paths"]["/api/v1/token/{id}"] = {
        "get": {"responses": {"200": {"description": "The key's metadata."}}},
        "delete": {"responses": {"204": {"description": "Revoked."}}},
    }
    document["paths"]["/api/v1/token"]["post"]["responses"]["413"] = {"description": "Too big."}
    wider = rules.Contract(document)
    assert inapplicable(wider) == {}
    assert wider.create_token().body_limit is None


@pytest.mark.parametrize("limit", [65_536, None])
def test_hostile_bodies_and_their_replays(limit: int | None) -> None:
    cases = hostile_cases("2030-01-01T00:00:00Z", limit)
    assert len(cases) == 6
    for case in cases:
        if case.replay is not None:
            # The replay prints exactly the bytes the run sent.
            printed = subprocess.run(case.replay, shell=True, capture_output=True, check=True)
            assert printed.stdout == case.content, case.what
    oversize = cases[-1].content
    assert len(oversize) == (limit or NO_STATED_LIMIT) + 1
    assert json.loads(oversize)["expires_at"] == "2030-01-01T00:00:00Z"  # valid but for its size
    # Each body asks for a key, and is valid but for its one fault: Python's lenient parser lets
    # a lone surrogate, NaN and duplicate keys through (not bad UTF-8, nor 10,000 levels).
    lenient = [case for case in cases if "UTF-8" not in case.what and "nested" not in case.what]
    assert len(lenient) == 4
    for case in lenient:
        assert json.loads(case.content)["name"].startswith("token-api conformance")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("GET /api/v1/workspaces", ("GET", "/api/v1/workspaces")),
        ("head  /me", ("HEAD", "/me")),
        ("POST /api/v1/token", None),
        ("GET api/v1", None),
        ("GET", None),
    ],
)
def test_key_probe(value: str, expected: tuple[str, str] | None) -> None:
    if expected is None:
        with pytest.raises(CallerError, match="--key-probe takes"):
            KeyProbe.parse(value)
    else:
        probe = KeyProbe.parse(value)
        assert (probe.method, probe.path) == expected


LATEST = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, {"expires_at": "2030-01-01T00:00:00Z"}),
        ({"expires_at": None}, {"expires_at": "2030-01-01T00:00:00Z"}),
        ({"expires": False}, {"expires": True, "expires_at": "2030-01-01T00:00:00Z"}),
        ({"expires_at": "2099-05-05T10:00:00+02:00"}, {"expires_at": "2030-01-01T00:00:00Z"}),
        ({"expires_at": "2029-12-31T23:00:00Z"}, {"expires_at": "2029-12-31T23:00:00Z"}),
        # Schema violations stay violations: the request must still be refused.
        ({"expires_at": "not a date"}, {"expires_at": "not a date"}),
        ({"expires_at": 5}, {"expires_at": 5}),
        ({"expires": "yes"}, {"expires": "yes", "expires_at": "2030-01-01T00:00:00Z"}),
        (
            {"expires": False, "expires_at": "2099-01-01T00:00:00Z"},
            {"expires": False, "expires_at": "2030-01-01T00:00:00Z"},
        ),
        ([1, 2], [1, 2]),
    ],
)
def test_bodies_are_capped_to_short_lived_tokens(body: Any, expected: Any) -> None:
    assert cap_lifetime(body, LATEST) == expected


def test_rates_and_retry_after() -> None:
    assert schemathesis_rate("10") == "10/s"
    assert schemathesis_rate("100/m") == "100/m"
    assert schemathesis_rate("0.5/s") == "30/m"
    with pytest.raises(ValueError):
        schemathesis_rate("fast")
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "9999"}) == 30.0
    assert retry_after({}) is None


def test_redaction_and_replayable_curl() -> None:
    redact = Redactor(["s3cr3t-admin-token"])
    text = (
        'token s3cr3t-admin-token, {"api_token": "tok_not_prefixed_but_secret"}, '
        '{\\"api_token\\": \\"x\\"}, Authorization: Bearer abcdefghijkl, ' + TOKEN
    )
    redacted = redact(text)
    for secret in ("s3cr3t-admin-token", "tok_not_prefixed", "abcdefghijkl", TOKEN, '\\"x\\"'):
        assert secret not in redacted
    assert (
        redact("WWW-Authenticate: Bearer\nerror_body_shape")
        == "WWW-Authenticate: Bearer\nerror_body_shape"
    )
    command = curl(
        "post",
        "http://h/api/v1/token",
        [("Authorization", f"Bearer {TOKEN}")],
        b'{"name": "it\'s"}',
    )
    assert TOKEN not in command
    assert command == (
        "curl -X POST -H 'Authorization: Bearer [REDACTED]' "
        '--data-raw \'{"name": "it\'"\'"\'s"}\' http://h/api/v1/token'
    )
