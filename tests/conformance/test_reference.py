"""``token-api conformance`` passes against the reference server, given only the identities file
``token-api init --demo --json`` printed: SQLite with a default run (all of Schemathesis's
default examples), PostgreSQL with a short one."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance.conftest import (
    Deployment,
    assert_no_secret,
    conformance,
    start_deployment,
)
from tests.support.databases import postgres_database, require_postgres
from token_api.conformance import registry
from token_api.contract.document import load_document
from token_api.spectools.openapi import contract_rules

pytestmark = pytest.mark.slow

# Built-in checks that need operations this API does not have: skipped with the reason.
INAPPLICABLE = ("use_after_free", "ensure_resource_availability", "object_level_authorization")
RULES = [rule.id for rule in contract_rules(load_document())]


def _cases(stdout: str, check: str) -> int:
    row = next(line for line in stdout.splitlines() if line.startswith(check + " "))
    return int(row.split()[2])


def test_a_default_run_passes_every_check(reference: Deployment, tmp_path: Path) -> None:
    # The command end to end, in a process of its own, as a user runs it.
    run = conformance(
        "--base-url", reference.url, "--identities", str(reference.identities),
        folder=tmp_path, report="report.json", process=True,
    )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    # Every check has its line: the API's own all ran (none skipped for want of a caller) but
    # the one that needs --allow-long-lived-tokens; Schemathesis's too.
    assert set(run.verdicts) >= {check.name for check in registry.checks()}
    for check in registry.checks():
        if check.source == registry.TOKEN_API and check.name != "default_lifetime":
            assert run.verdicts[check.name] == "passed", run.messages.get(check.name)
    assert "--allow-long-lived-tokens" in run.messages["default_lifetime"]
    assert run.verdicts["max_response_time"] == "skipped"
    for name in INAPPLICABLE:
        assert run.verdicts[name] == "skipped"
        assert "no " in run.messages[name], run.messages[name]
        assert _cases(run.stdout, name) == 0
    for name in ("response_schema_conformance", "negative_data_rejection", "ignored_auth"):
        assert run.verdicts[name] == "passed"
    # The OpenAPI link makes minted keys the bearers of stateful steps: each is answered 403
    # (recognised, not permitted), judged far beyond the scenarios' own handful of keys.
    assert "stateful success" in run.stdout
    for check in ("token_authenticates", "api_key_cannot_mint"):
        assert _cases(run.stdout, check) > 20, check
    assert "0 failed" in run.stdout
    # Coverage: every rule probed but the default lifetime (which leaves a 30-day key), and
    # every documented status seen but those no outside client can cause.
    report = json.loads(run.files["report.json"])
    rules = {rule["id"]: rule for rule in report["coverage"]["rules"]}
    assert list(rules) == RULES
    for rule_id, rule in rules.items():
        assert set(rule) >= {"id", "checks", "probes", "result"}
        if rule_id == "auth.no-retry-refused":
            assert rule["result"] == "client" and "token-api proxy" in rule["reason"]
        elif rule_id == "key.default-lifetime":
            assert rule["result"] == "unchecked" and rule["probes"] == 0
            assert "--allow-long-lived-tokens" in rule["reason"]
        else:
            assert rule["result"] == "pass" and rule["probes"] > 0, rule
    assert "Rules: 39 of 40 probed; unchecked: key.default-lifetime" in run.stdout
    for status in report["coverage"]["statuses"]:
        assert set(status) >= {"operation", "status", "observed"}
        assert status["observed"] is (status["status"] not in ("408", "500", "503")), status
    assert "408, 500, 503 cannot be caused from outside" in run.stdout
    assert "admin@example.com" in " ".join(report["callers"])  # who it called as, never with what
    assert_no_secret(run, reference)


def test_a_short_run_passes_on_postgresql(tmp_path: Path) -> None:
    require_postgres()
    with postgres_database() as database:
        deployment, server = start_deployment(database, tmp_path)
        try:
            run = conformance(
                "--base-url", deployment.url, "--identities", str(deployment.identities),
                "--max-examples", "5", folder=tmp_path / "run", report="report.md",
            )  # fmt: skip
        finally:
            server.stop()
    assert run.exit_code == 0, run.stdout + run.stderr
    markdown = run.files["report.md"]
    assert markdown.startswith("# token-api conformance")
    for check in ("no_wider_role", "api_key_cannot_mint", "hostile_bodies", "expiry_in_future"):
        assert f"| `{check}` | token-api | pass |" in markdown
    assert "| `role-id.own-only` | pass |" in markdown
    assert_no_secret(run, deployment)


_EXPIRES_AT = re.compile(rb'"expires_at": ?"([0-9T:Z-]+)"')


def _uncapped(body: bytes, sent: datetime) -> bytes:
    """The body with an expires_at the run capped (to 55 minutes from the moment it was sent)
    replaced by a placeholder: that value is the time of the run, not the case."""

    def placeholder(match: re.Match[bytes]) -> bytes:
        try:
            moment = datetime.fromisoformat(match.group(1).decode())
        except ValueError:
            return match.group(0)
        capped = abs(moment - (sent + timedelta(minutes=55))) < timedelta(minutes=2)
        return b'"expires_at": "<capped>"' if capped else match.group(0)

    return _EXPIRES_AT.sub(placeholder, body)


def _schemathesis_requests(broken: str) -> list[tuple[Any, ...]]:
    """What Schemathesis sent through the recording proxy since it was last cleared."""
    recorded = httpx.get(f"{broken}/_requests/recorded").json()
    httpx.delete(f"{broken}/_requests/recorded")
    requests = []
    for request in recorded:
        if not request["user_agent"].startswith("schemathesis"):
            continue
        sent = datetime.fromtimestamp(request["time"], UTC)
        body = _uncapped(base64.b64decode(request["body"]), sent)
        requests.append((request["method"], request["path"], request["content_type"], body))
    return requests


def test_the_seed_is_reported_and_replays_the_same_cases(
    reference: Deployment, broken: str, tmp_path: Path
) -> None:
    """Two runs with one seed send Schemathesis's requests through a recording proxy: the same
    requests, in the same order (no example database carries over between runs). One check is
    enough: the checks judge the answers, they do not choose the cases."""
    httpx.delete(f"{broken}/_requests/recorded")
    reports, sent = [], []
    for name in ("a", "b"):
        run = conformance(
            "--base-url", f"{broken}/recorded", "--identities", str(reference.identities),
            "--max-examples", "3", "--seed", "7", "--checks", "not_a_server_error",
            folder=tmp_path / name,
        )  # fmt: skip
        assert run.exit_code == 0, run.stdout + run.stderr
        reports.append(json.loads(run.files["report.json"]))
        sent.append(_schemathesis_requests(broken))
    assert [report["seed"] for report in reports] == [7, 7]
    assert len(sent[0]) > 50
    assert sent[0] == sent[1]
    # And another seed, other cases: the comparison can tell.
    conformance(
        "--base-url", f"{broken}/recorded", "--identities", str(reference.identities),
        "--max-examples", "3", "--seed", "8", "--checks", "not_a_server_error",
        folder=tmp_path / "c",
    )  # fmt: skip
    assert _schemathesis_requests(broken) != sent[0]


def test_require_coverage_fails_a_run_that_left_rules_unprobed(
    reference: Deployment, tmp_path: Path
) -> None:
    """Two checks chosen: every rule of the others goes unchecked, which --require-coverage turns
    into exit 1; each report says what was not covered and why."""
    common = ("--base-url", reference.url, "--identities", str(reference.identities),
              "--checks", "credentials_required,single_authorization")  # fmt: skip
    run = conformance(*common, "--require-coverage", folder=tmp_path / "required",
                      report="report.html")  # fmt: skip
    assert run.exit_code == 1, run.stdout + run.stderr
    assert run.verdicts["credentials_required"] == "passed"
    assert run.verdicts["no_wider_role"] == "skipped"
    assert run.messages["no_wider_role"] == "not selected (--checks)"
    assert "--require-coverage: the run fails" in run.stdout
    assert "key.unique (not selected (--checks))" in run.stdout
    html = run.files["report.html"]
    assert html.startswith("<!DOCTYPE html>")
    # Self-contained: nothing to fetch.
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "<code>auth.single-header</code>" in html and "Coverage: documented statuses" in html
    junit = run.files["junit.xml"]
    assert 'name="rule auth.credential-required" value="pass' in junit
    assert 'name="coverage.rules" value="2 of 40 probed' in junit
    assert_no_secret(run, reference)
    # Without --require-coverage the same run passes: what it judged, it judged right.
    lenient = conformance(*common, folder=tmp_path / "lenient", report="report.md")
    assert lenient.exit_code == 0, lenient.stdout + lenient.stderr
    assert "| `key.unique` | UNCHECKED | 0 |" in lenient.files["report.md"]
