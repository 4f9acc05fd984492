"""The pieces the end-to-end runs rely on, each on the inputs that decide it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from token_api.conformance import rules
from token_api.conformance.curl import curl
from token_api.conformance.redaction import Redactor
from token_api.conformance.safety import cap_lifetime, retry_after, schemathesis_rate
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


def test_a_minted_token_refused_while_valid_is_a_failure() -> None:
    ledger = rules.MintLedger()
    ledger.record(TOKEN, TOKEN_ID, None)
    refused = rules.Answer(401, JSON, b"{}")
    assert "refused with 401" in str(rules.refused_while_valid(ledger, f"Bearer {TOKEN}", refused))
    accepted = rules.Answer(200, JSON, b"{}")
    assert rules.refused_while_valid(ledger, f"Bearer {TOKEN}", accepted) is None
    unknown = rules.refused_while_valid(ledger, "Bearer api_unknown", refused)
    assert unknown is rules.NOT_APPLICABLE
    soon = rules.MintLedger()
    soon.record(TOKEN, TOKEN_ID, datetime.now(UTC) + timedelta(seconds=1))
    assert rules.refused_while_valid(soon, f"Bearer {TOKEN}", refused) is rules.NOT_APPLICABLE


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
