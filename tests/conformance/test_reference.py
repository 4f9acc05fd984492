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
from token_api.conformance import catalogue

pytestmark = pytest.mark.slow

# Built-in checks that need operations this API does not have: skipped with the reason.
INAPPLICABLE = ("use_after_free", "ensure_resource_availability", "object_level_authorization")


def _cases(stdout: str, check: str) -> int:
    row = next(line for line in stdout.splitlines() if line.startswith(check + " "))
    return int(row.split()[2])


def test_a_default_run_passes_every_check(reference: Deployment, tmp_path: Path) -> None:
    run = conformance(
        "--base-url", reference.url, "--identities", str(reference.identities),
        folder=tmp_path, report="report.html",
    )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    # Every check has its line: the API's rules all ran (none skipped for want of a caller),
    # Schemathesis's too.
    assert set(run.verdicts) >= {info.name for info in catalogue.ALL}
    for info in catalogue.API_RULES:
        assert run.verdicts[info.name] == "passed", run.messages.get(info.name)
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
    html = run.files["report.html"]
    assert html.startswith("<!DOCTYPE html>")
    # Self-contained: nothing to fetch.
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "<code>api_key_cannot_mint</code>" in html
    assert "admin@example.com" in html  # who the run called as (never with what)
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
    for check in ("no_wider_role", "api_key_cannot_mint", "hostile_bodies", "expiry_rules"):
        assert f"| `{check}` | token-api | pass |" in markdown
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
    requests, in the same order (no example database carries over between runs)."""
    httpx.delete(f"{broken}/_requests/recorded")
    reports, sent = [], []
    for name in ("a", "b"):
        run = conformance(
            "--base-url", f"{broken}/recorded", "--identities", str(reference.identities),
            "--max-examples", "3", "--seed", "7", folder=tmp_path / name,
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
        "--max-examples", "3", "--seed", "8", folder=tmp_path / "c",
    )  # fmt: skip
    assert _schemathesis_requests(broken) != sent[0]
