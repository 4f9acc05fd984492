"""The pieces the end-to-end runs rely on, each on the inputs that decide it."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from token_api.conformance import registry
from token_api.conformance import response_checks as checks
from token_api.conformance.callers import CallerError, KeyProbe
from token_api.conformance.curl import curl
from token_api.conformance.exchange import Answer, Observed
from token_api.conformance.ledger import MintLedger
from token_api.conformance.probes.bodies import hostile_cases
from token_api.conformance.redaction import Redactor
from token_api.conformance.response_checks import NOT_APPLICABLE, Judge
from token_api.conformance.safety import cap_lifetime, retry_after, schemathesis_rate
from token_api.conformance.scenarios import padded
from token_api.conformance.spec import Contract, Endpoint
from token_api.contract.document import load_document

CONTRACT = Contract(load_document())
CREATE = CONTRACT.create_token()
HEALTH = CONTRACT.endpoint("GET", "/health")
JUDGE = Judge(CONTRACT)
JSON = {"content-type": "application/json"}
TOKEN = "api_" + "A" * 49
TOKEN_ID = "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71"


def _seen(
    status: int,
    body: Any,
    headers: dict[str, str] | None = None,
    endpoint: Endpoint | None = CREATE,
    method: str = "POST",
    content_type: str | None = "application/json",
) -> Observed:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = Answer(status, JSON if headers is None else headers, raw)
    return Observed(method, endpoint, answer, content_type)


@pytest.mark.parametrize(
    ("check", "seen", "problem"),
    [
        (checks.token_format, _seen(200, {"api_token": TOKEN, "api_token_id": TOKEN_ID}), None),
        (checks.token_format, _seen(200, {"api_token": "key_x", "api_token_id": TOKEN_ID}), "api_"),
        (checks.token_format, _seen(200, {"api_token": TOKEN, "api_token_id": "42"}), "UUID"),
        (checks.token_format, _seen(200, {"api_token": TOKEN}), "no api_token_id"),
        (checks.token_format, _seen(422, {"detail": []}), NOT_APPLICABLE),
        (checks.documented_status, _seen(201, {}), "success status is 200"),
        (checks.documented_status, _seen(400, {"detail": []}), "with 422"),
        (checks.documented_status, _seen(418, {}), "does not document"),
        (checks.documented_status, _seen(415, {}), None),
        (checks.documented_status, _seen(405, {}, method="PATCH"), NOT_APPLICABLE),
        (
            checks.documented_status,
            _seen(400, {}, endpoint=HEALTH, method="GET", content_type="multipart/form-data"),
            NOT_APPLICABLE,
        ),
        (
            checks.validation_error_shape,
            _seen(422, {"detail": [{"loc": ["body"], "msg": "m", "type": "t"}]}),
            None,
        ),
        (checks.validation_error_shape, _seen(422, {"detail": []}), "HTTPValidationError"),
        (checks.validation_error_shape, _seen(422, {"detail": "no"}), "HTTPValidationError"),
        (
            checks.validation_error_shape,
            _seen(422, {"detail": [{"loc": ["name"], "msg": "m", "type": "t"}]}),
            "does not start at 'body'",
        ),
        (checks.validation_error_shape, _seen(403, {"detail": "Refused."}), NOT_APPLICABLE),
        (checks.error_detail_shape, _seen(403, {"detail": "Refused."}), None),
        (checks.error_detail_shape, _seen(401, {"title": "Unauthorized"}), '{"detail"'),
        (checks.error_detail_shape, _seen(500, b"oops"), "not JSON"),
        (checks.error_detail_shape, _seen(422, {"detail": []}), NOT_APPLICABLE),
        (
            checks.json_content_type,
            _seen(200, {}, {"content-type": "application/json; charset=utf-8"}),
            None,
        ),
        (
            checks.json_content_type,
            _seen(422, {}, {"content-type": "application/problem+json"}),
            "not application/json",
        ),
        (checks.json_content_type, _seen(200, {}, {}), "no Content-Type"),
        (checks.www_authenticate, _seen(401, {}, {"www-authenticate": "Bearer"}), None),
        (checks.www_authenticate, _seen(401, {}, {}), "no WWW-Authenticate"),
        (checks.www_authenticate, _seen(401, {}, {"www-authenticate": "Basic"}), "not 'Bearer'"),
        (checks.no_server_error, _seen(503, {"detail": "Down."}), "503"),
        (
            checks.no_store,
            _seen(
                200,
                {"api_token": TOKEN, "api_token_id": TOKEN_ID},
                {**JSON, "cache-control": "no-cache, no-store"},
            ),
            None,
        ),
        (
            checks.no_store,
            _seen(
                200,
                {"api_token": TOKEN, "api_token_id": TOKEN_ID},
                {**JSON, "cache-control": "max-age=60"},
            ),
            "not no-store",
        ),
        (checks.no_store, _seen(403, {"detail": "No."}), NOT_APPLICABLE),
        # A 400 with a sentence is the HTTP layer's; with a list of violations, the body's.
        (checks.documented_status, _seen(400, {"detail": "Two Content-Types."}), None),
    ],
)
def test_response_checks(check: Any, seen: Observed, problem: Any) -> None:
    finding = check(JUDGE, seen)
    if problem is None or problem is NOT_APPLICABLE:
        assert finding is problem
    else:
        assert isinstance(finding, str) and problem in finding


def test_the_ledger_sees_repeated_secrets_and_ids() -> None:
    ledger = MintLedger()
    assert ledger.record(TOKEN, TOKEN_ID, None) is None
    assert "already handed out" in (ledger.record(TOKEN, "another", None) or "")
    assert "already handed out" in (ledger.record("api_other", TOKEN_ID, None) or "")


def _presented(authorization: str | None, status: int) -> Observed:
    answer = Answer(status, JSON, b"{}")
    return Observed("POST", CREATE, answer, "application/json", authorization)


def test_a_minted_key_must_be_recognised_but_never_mint() -> None:
    judge = Judge(CONTRACT)
    judge.ledger.record(TOKEN, TOKEN_ID, None)
    key = f"Bearer {TOKEN}"

    def recognised(auth: str | None, status: int) -> Any:
        return checks.token_authenticates(judge, _presented(auth, status))

    def minted(auth: str | None, status: int) -> Any:
        return checks.api_key_cannot_mint(judge, _presented(auth, status))

    # token_authenticates: 403 is recognised, 401 is not; a 422 says nothing of the credential.
    assert recognised(key, 403) is None
    assert "as unknown (401)" in str(recognised(key, 401))
    assert recognised(key, 422) is NOT_APPLICABLE
    # The scheme is case-insensitive, and whitespace around the value is not part of it.
    assert "as unknown (401)" in str(recognised(f"bearer  {TOKEN} ", 401))
    # api_key_cannot_mint: any refusal will do, a 2xx is the failure.
    assert minted(key, 403) is None
    assert minted(key, 401) is None
    assert "minted a key (answered 200)" in str(minted(key, 200))
    # Credentials the run did not mint (the ADMIN session, an unknown key) are not keys of it.
    for other in ("Bearer api_unknown", "Bearer ses_admin", None):
        assert recognised(other, 401) is NOT_APPLICABLE
        assert minted(other, 200) is NOT_APPLICABLE
    # A key asked to expire within moments may rightly be gone already.
    soon = Judge(CONTRACT)
    soon.ledger.record(TOKEN, TOKEN_ID, datetime.now(UTC) + timedelta(seconds=1))
    assert checks.token_authenticates(soon, _presented(key, 401)) is NOT_APPLICABLE


def test_the_body_limit_and_what_the_document_offers_come_from_the_contract() -> None:
    assert CREATE.body_limit == 65_536
    assert CONTRACT.has() == set()
    first = [rule.id for rule in CONTRACT.rules][:2]
    assert first == ["auth.credential-required", "auth.www-authenticate"]
    document = load_document()
    document["paths"]["/api/v1/token/{id}"] = {
        "get": {"responses": {"200": {"description": "The key's metadata."}}},
        "delete": {"responses": {"204": {"description": "Revoked."}}},
    }
    document["paths"]["/api/v1/token"]["post"]["responses"]["413"] = {"description": "Too big."}
    wider = Contract(document)
    assert wider.has() == {"deletes", "reads-by-id"}
    assert wider.create_token().body_limit is None


def test_hostile_bodies_and_long_bodies_replay_exactly() -> None:
    cases = hostile_cases("2030-01-01T00:00:00Z")
    assert len(cases) == 5
    long = padded(b'{"name": "x", "padding": "', b"x", 70_000, b'"}')
    replays = [(c.what, c.content, c.replay) for c in cases] + [("long", *long)]
    for what, content, replay in replays:
        if replay is not None:
            # The replay prints exactly the bytes the run sent.
            printed = subprocess.run(replay, shell=True, capture_output=True, check=True)
            assert printed.stdout == content, what
    # Each body asks for a key, and is valid but for its one fault: Python's lenient parser lets
    # a lone surrogate, NaN and duplicate keys through (not bad UTF-8, nor 10,000 levels).
    lenient = [case for case in cases if "UTF-8" not in case.what and "nested" not in case.what]
    assert len(lenient) == 3
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
    # A probe's space after the credential stays in its replay.
    spaced = curl("GET", "http://h/", [("Authorization", f"bearer {TOKEN} ")], None)
    assert spaced == "curl -X GET -H 'Authorization: bearer [REDACTED] ' http://h/"
    assert command == (
        "curl -X POST -H 'Authorization: Bearer [REDACTED]' "
        '--data-raw \'{"name": "it\'"\'"\'s"}\' http://h/api/v1/token'
    )


def test_a_check_is_named_by_its_function_and_a_second_of_a_name_is_refused() -> None:
    every = registry.checks()
    ours = [check for check in every if check.source == registry.TOKEN_API]
    for check in ours:
        assert check.function is not None and check.function.__name__ == check.name
        assert registry.named(check.function) is check
        assert check.description and "\n" not in check.description
    assert len({check.name for check in every}) == len(every)

    def token_format(judge: Judge, seen: Observed) -> None:
        """another check of the same name"""

    with pytest.raises(registry.DuplicateCheck, match="token_format"):
        registry.response_check("key.format")(token_format)
    assert registry.named(checks.token_format).function is checks.token_format


def test_every_rule_is_judged_and_every_check_judges_a_listed_rule() -> None:
    """Every rule the deployment must follow; a rule for clients (applies-to: client) is the
    proxy's to judge."""
    listed = {rule.id for rule in CONTRACT.rules if rule.applies_to == "deployment"}
    judged = registry.by_rule()
    assert listed - judged.keys() == set(), "rules no check judges"
    assert judged.keys() - listed == set(), "checks judging rules openapi.yaml does not list"
    clients = [rule.id for rule in CONTRACT.rules if rule.applies_to == "client"]
    assert clients == ["auth.no-retry-refused"]
    # The registry as data, for the documentation.
    data = registry.catalogue()
    json.dumps(data)
    assert {entry["name"] for entry in data} == {check.name for check in registry.checks()}
