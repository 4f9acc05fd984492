"""Deliberately broken servers, one or more per rule of the contract: each defect fails the checks
that judge its rule, and no other check of ours.

The broken server is a proxy in front of the reference server (broken/app.py) that breaks one
rule per path prefix. A defect no check catches is a bug in the run; a check made lenient (any
4xx taken for the contract's 403 or 422) lets one of these through, and its test fails. Each run is
short: the scenario checks (all of them but the two that wait, unless the defect is theirs) and,
only where the defect is Schemathesis's to find, the built-in checks that must catch it in the
phase that meets it. The runs happen in this process, three at a time, as soon as the first test
needs one (the command itself is run below and in test_usage and test_reference, and in a process
of its own by test_reference's default run).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conformance.conftest import Deployment, Run, assert_no_secret, conformance
from token_api.conformance import registry
from token_api.conformance.defaults import PHASES
from token_api.conformance.results import Report, Verdict
from token_api.conformance.runner import Options, run
from token_api.contract.document import load_document
from token_api.spectools.openapi import DEPLOYMENT, contract_rules

# One worker: broken_runs starts every defect's run that the session selected, and each xdist
# worker's session selects them all.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("broken")]

EXAMPLES, COVERAGE, STATEFUL = "examples", "coverage", "stateful"
ALL_PHASES = ",".join(PHASES)
# The broken proxy's stand-in for an endpoint that reads with an API key (see broken/app.py).
KEY_PROBE = "GET /_key_probe"
# The scenario checks that wait for a key's expiry: run only for the defects that are theirs.
WAITING = ("expired_token_refused", "default_lifetime")
OURS = [check.name for check in registry.checks() if check.source == registry.TOKEN_API]

# What the validation-shaped checks share: a 422 answered otherwise fails each of them.
REFUSALS_422 = ("expiry_in_future", "expiry_format", "expiry_never_with_date", "name_limits",
                "schema_edges", "unknown_role_id", "workspace_limits")  # fmt: skip


@dataclass(frozen=True)
class Defect:
    rule: str  # the rule of openapi.yaml it breaks
    fails: tuple[str, ...]  # exactly the checks of ours that must fail, the rule's judge first
    schemathesis: tuple[str, ...] = ()  # built-in checks that must fail too (and are run)
    phases: str = EXAMPLES
    examples: int = 2
    key_probe: bool = False
    long_lived: bool = False
    proxy: str | None = None  # the proxy's path, when the run's name is not it


DEFECTS: dict[str, Defect] = {
    # auth.*
    "unknown_key_accepted": Defect("auth.credential-required", ("credentials_required",)),
    "auth_ignored": Defect(
        "auth.credential-required",
        ("credentials_required", "single_authorization", "credentials_before_body"),
        ("ignored_auth",),
    ),
    "no_www_authenticate": Defect("auth.www-authenticate", ("www_authenticate",)),
    "first_authorization_wins": Defect("auth.single-header", ("single_authorization",)),
    "scheme_case_sensitive": Defect("auth.scheme-case-insensitive", ("bearer_scheme",)),
    # Whitespace after the credential: every standard HTTP parser (the proxy's httptools too)
    # removes it before an application sees the header, so no proxy can break that half.
    "body_before_credentials": Defect("auth.before-body", ("credentials_before_body",)),
    "key_can_mint": Defect(
        "auth.api-key-forbidden",
        ("api_key_cannot_mint", "bearer_scheme", "credentials_before_body"),
    ),
    # key.*
    "wrong_prefix": Defect("key.format", ("token_format",), ("response_schema_conformance",)),
    "non_uuid_id": Defect("key.format", ("token_format",), ("response_schema_conformance",)),
    "missing_field": Defect("key.format", ("token_format",), ("response_schema_conformance",)),
    "repeated_tokens": Defect("key.unique", ("tokens_unique",)),
    "token_not_authenticating": Defect(
        "key.recognised", ("token_authenticates", "bearer_scheme", "credentials_before_body")
    ),
    "token_not_authenticating+key_probe": Defect(
        "key.recognised",
        ("token_authenticates", "bearer_scheme", "credentials_before_body"),
        key_probe=True,
        proxy="token_not_authenticating",
    ),
    "key_lagging": Defect(
        "key.recognised", ("token_authenticates", "bearer_scheme", "credentials_before_body")
    ),
    "expired_accepted": Defect("key.expires", ("expired_token_refused",)),
    "cached_key": Defect("key.no-store", ("no_store",)),
    "short_default_lifetime": Defect(
        "key.default-lifetime", ("default_lifetime", "token_authenticates"), long_lived=True
    ),
    # role.*, role-id.*, service.*
    "default_role_member": Defect("role.default", ("default_role",)),
    "role_escalation": Defect("role.no-wider", ("no_wider_role",)),
    "role_refused_422": Defect("role.no-wider", ("no_wider_role",)),
    "role_id_unchecked": Defect("role-id.own-only", ("own_role_id_only",)),
    "unknown_role_id_ignored": Defect("role-id.known", ("unknown_role_id",)),
    "service_escalation": Defect("service.admin-only", ("no_service_token",)),
    "service_refused_401": Defect("service.admin-only", ("no_service_token",)),
    # workspace.*
    "workspace_escalation": Defect("workspace.reach", ("no_workspace_outside_reach",)),
    "workspace_first_only": Defect("workspace.reach", ("no_workspace_outside_reach",)),
    "workspace_refused_422": Defect(
        "workspace.reach", ("no_workspace_outside_reach", "unknown_workspace", "workspace_limits")
    ),
    "unknown_workspace_422": Defect("workspace.unknown", ("unknown_workspace", "workspace_limits")),
    # The crash: the connection drops on {"workspaces": []}; exit 1, not "unreachable".
    "empty_workspaces_hang_up": Defect(
        "workspace.default", ("default_workspaces", "no_server_error")
    ),
    "duplicates_refused": Defect("workspace.duplicates", ("duplicate_workspaces",)),
    "workspace_limit_off": Defect("workspace.limits", ("workspace_limits",)),
    # expiry.*, name.*
    "past_expiry_accepted": Defect("expiry.future", ("expiry_in_future",)),
    "past_expiry_403": Defect("expiry.future", ("expiry_in_future",)),
    "extreme_offsets_refused": Defect("expiry.rfc3339", ("expiry_format",)),
    "date_accepted": Defect("expiry.rfc3339", ("expiry_format",)),
    "never_with_date_accepted": Defect("expiry.never-with-date", ("expiry_never_with_date",)),
    "name_bytes_limit": Defect("name.limits", ("name_limits",)),
    # body.*
    "chunked_unlimited": Defect("body.size-limit", ("body_size_limit",)),
    "media_type_ignored": Defect("body.media-type", ("media_type",)),
    "surrogate_crash": Defect("body.strict-json", ("hostile_bodies", "no_server_error")),
    "hangs_up_on_nan": Defect("body.strict-json", ("hostile_bodies", "no_server_error")),
    "enum_accepted": Defect(
        "body.schema", ("schema_edges",), ("negative_data_rejection",), COVERAGE
    ),
    # Duplicate keys {"expires": "yes", "expires": 7} read as 7, then dropped like any other.
    "type_accepted": Defect("body.schema", ("schema_edges", "hostile_bodies")),
    # error.*, response.*
    "problem_json": Defect(
        "error.validation-shape", ("validation_error_shape", "json_content_type")
    ),
    "loc_without_body": Defect("error.validation-shape", ("validation_error_shape",)),
    "detail_as_object": Defect("error.detail-shape", ("error_detail_shape",)),
    "text_plain": Defect("response.json", ("json_content_type",), ("content_type_conformance",)),
    "status_201": Defect(
        "response.status-documented", ("documented_status",), ("status_code_conformance",)
    ),
    "status_400": Defect(
        "response.status-documented",
        ("documented_status", "error_detail_shape", *REFUSALS_422),
    ),
    "health_wrong": Defect("response.schema", (), ("response_schema_conformance",), COVERAGE),
    "server_error": Defect(
        "response.no-server-error",
        ("no_server_error", "name_limits", "schema_edges"),
        ("not_a_server_error",),
        COVERAGE,
    ),
    # path.*, method.*, http.*
    # A redirect has no JSON body either.
    "trailing_slash_redirect": Defect("path.exact", ("exact_path", "json_content_type")),
    "encoded_slash_routed": Defect("path.exact", ("exact_path",)),
    "method_not_found": Defect("method.allowed", ("method_not_allowed",)),
    "content_types_merged": Defect("http.malformed", ("malformed_request",)),
    "big_headers_dropped": Defect("http.header-limit", ("header_limit",)),
}

# Runs of the proxy that break nothing: every check passes.
CLEAN = ("none", "none+key_probe")


def _options(base: str, deployment: Deployment, name: str) -> Options:
    if name in CLEAN:
        return Options(
            base_url=f"{base}/none",
            identities=deployment.identities,
            max_examples=2,
            seed=1,
            phases=tuple(PHASES),
            key_probe=KEY_PROBE if "key_probe" in name else None,
            allow_long_lived_tokens=True,
        )
    defect = DEFECTS[name]
    checks = [c for c in OURS if c not in WAITING or c in defect.fails]
    return Options(
        base_url=f"{base}/{defect.proxy or name}",
        identities=deployment.identities,
        max_examples=defect.examples,
        seed=1,
        # Schemathesis runs only where the defect is a built-in check's to find.
        phases=tuple(defect.phases.split(",")) if defect.schemathesis else (),
        key_probe=KEY_PROBE if defect.key_probe else None,
        allow_long_lived_tokens=defect.long_lived,
        checks=(*checks, *defect.schemathesis),
    )


def _wanted(item: pytest.Item) -> str | None:
    """The defect a selected test of this module needs a run of."""
    module, callspec = getattr(item, "module", None), getattr(item, "callspec", None)
    if module is None or module.__name__ != __name__ or callspec is None:
        return None
    name = callspec.params.get("defect")
    return name if isinstance(name, str) else None


@pytest.fixture(scope="session")
def broken_runs(
    request: pytest.FixtureRequest, broken: str, reference: Deployment
) -> Iterator[dict[str, Future[Report]]]:
    """One run per selected defect, started together, three at a time."""
    wanted = dict.fromkeys(d for d in map(_wanted, request.session.items) if d is not None)
    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {name: pool.submit(run, _options(broken, reference, name)) for name in wanted}


def _failed(report: Report) -> set[str]:
    return {result.name for result in report.failed}


@pytest.mark.parametrize("defect", CLEAN)
def test_the_proxy_breaks_nothing_by_itself(
    defect: str, broken_runs: dict[str, Future[Report]]
) -> None:
    report = broken_runs[defect].result()
    assert report.exit_code == 0, [r.line for r in report.failed]
    # No check of ours is skipped (for want of a caller or anything else), no rule unchecked.
    for result in report.results:
        if result.source == registry.TOKEN_API:
            assert result.verdict is Verdict.PASS, result.line
    assert report.coverage.unchecked == []


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_fails_exactly_the_checks_of_its_rule(
    defect: str, broken_runs: dict[str, Future[Report]], reference: Deployment
) -> None:
    report = broken_runs[defect].result()
    expected = DEFECTS[defect]
    assert report.exit_code == 1
    ours = {name for name in _failed(report) if name in OURS}
    assert ours == set(expected.fails), [r.line for r in report.failed]
    assert set(expected.schemathesis) <= _failed(report), [r.line for r in report.failed]
    # Each failure comes with a request to replay it, credentials redacted.
    for result in report.failed:
        assert result.first is not None and result.first.steps, result.line
        assert any("curl -X" in step for step in result.first.steps), result.first.steps
    rule = next(r for r in report.coverage.rules if r.id == expected.rule)
    assert rule.result == "fail", rule
    text = "\n".join(step for r in report.failed if r.first for step in r.first.steps)
    for secret in reference.secrets():
        assert secret not in text


def test_every_rule_has_a_broken_server() -> None:
    listed = {rule.id for rule in contract_rules(load_document()) if rule.applies_to == DEPLOYMENT}
    broken = {defect.rule for defect in DEFECTS.values()}
    assert listed - broken == set(), "rules with no broken server"
    assert broken - listed == set(), "broken servers for rules openapi.yaml does not list"


def test_a_dropped_connection_is_exit_1_with_its_curl(
    broken: str, reference: Deployment, tmp_path: Path
) -> None:
    """The issue's crash, through the command: a deployment that drops the connection on one
    request (after answering others) fails no_server_error with that request's curl, exit 1;
    exit 2 stays for a deployment that never answers (test_usage)."""
    result = conformance(
        "--base-url", f"{broken}/empty_workspaces_hang_up",
        "--identities", str(reference.identities),
        "--checks", "default_workspaces,no_server_error", "--phases", "none",
        folder=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.verdicts["no_server_error"] == "failed"
    assert "got no answer" in result.messages["no_server_error"]
    assert "Cannot reach" not in result.stderr
    console = result.stdout
    assert '"workspaces": []' in console and "curl -X POST" in console
    assert_no_secret(result, reference)


def _failures(result: Run, check: str) -> int:
    report = json.loads(result.files["report.json"])
    return int(next(c for c in report["checks"] if c["name"] == check)["failures"])


@pytest.mark.parametrize(
    ("defect", "check"),
    [("token_not_authenticating", "token_authenticates"), ("key_can_mint", "api_key_cannot_mint")],
)
def test_stateful_links_present_the_minted_key(
    defect: str, check: str, broken: str, reference: Deployment, tmp_path: Path
) -> None:
    """Beyond the scenarios' own calls, Schemathesis's stateful steps (the OpenAPI link from
    createToken's answer to the next call's bearer) presented minted keys, and were judged: the
    stateful run fails more cases than a run of the scenarios alone."""
    common = ("--identities", str(reference.identities), "--seed", "1", "--checks", check,
              "--base-url", f"{broken}/{defect}")  # fmt: skip
    stateful = conformance(*common, "--phases", STATEFUL, "--max-examples", "5",
                           folder=tmp_path / "stateful")  # fmt: skip
    assert stateful.exit_code == 1, stateful.stdout + stateful.stderr
    # The examples phase has no link to follow: only the keys the run presents itself.
    presented = conformance(*common, "--phases", EXAMPLES, "--max-examples", "1",
                            folder=tmp_path / "presented")  # fmt: skip
    assert 0 < _failures(presented, check) < _failures(stateful, check)
