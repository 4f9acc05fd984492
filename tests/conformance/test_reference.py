"""``token-api conformance`` passes against the reference server: SQLite with a default run (all
of Schemathesis's default examples), PostgreSQL with a short one."""

from __future__ import annotations

import json
from pathlib import Path

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


def _arguments(deployment: Deployment, *extra: str) -> list[str]:
    workspaces = [arg for name in deployment.workspaces[:2] for arg in ("--workspace", name)]
    return ["--base-url", deployment.url, "--token", deployment.admin, *workspaces, *extra]


def test_a_default_run_passes_every_check(reference: Deployment, tmp_path: Path) -> None:
    run = conformance(*_arguments(reference), folder=tmp_path, report="report.html")
    assert run.exit_code == 0, run.stdout + run.stderr
    # Every check has its line: the API's rules all ran (none skipped), Schemathesis's too.
    assert set(run.verdicts) >= {info.name for info in catalogue.ALL}
    for info in catalogue.API_RULES:
        assert run.verdicts[info.name] == "passed", run.messages.get(info.name)
    assert run.verdicts["max_response_time"] == "skipped"
    for name in ("response_schema_conformance", "negative_data_rejection", "ignored_auth"):
        assert run.verdicts[name] == "passed"
    # The OpenAPI link makes minted tokens the bearers of stateful steps, judged beyond the
    # scenarios' own two calls.
    assert "stateful success" in run.stdout
    row = next(line for line in run.stdout.splitlines() if line.startswith("token_authenticates "))
    assert int(row.split()[2]) > 10, row
    assert "0 failed" in run.stdout
    html = run.files["report.html"]
    assert html.startswith("<!DOCTYPE html>")
    # Self-contained: nothing to fetch.
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "<code>token_authenticates</code>" in html
    assert_no_secret(run, reference.admin)


def test_a_short_run_passes_on_postgresql(tmp_path: Path) -> None:
    require_postgres()
    with postgres_database() as database:
        deployment, server = start_deployment(database, tmp_path / "server.log")
        try:
            run = conformance(
                *_arguments(deployment, "--max-examples", "5"),
                folder=tmp_path / "run",
                report="report.md",
            )
        finally:
            server.stop()
    assert run.exit_code == 0, run.stdout + run.stderr
    markdown = run.files["report.md"]
    assert markdown.startswith("# token-api conformance")
    assert "| `no_wider_role` | token-api | pass |" in markdown
    assert_no_secret(run, deployment.admin)


def test_the_seed_is_reported_and_replays_the_same_cases(
    reference: Deployment, tmp_path: Path
) -> None:
    first = conformance(
        *_arguments(reference, "--max-examples", "3", "--seed", "7"), folder=tmp_path / "a"
    )
    again = conformance(
        *_arguments(reference, "--max-examples", "3", "--seed", "7"), folder=tmp_path / "b"
    )
    reports = [json.loads(run.files["report.json"]) for run in (first, again)]
    assert [report["seed"] for report in reports] == [7, 7]
    cases = [{c["name"]: c["cases"] for c in report["checks"]} for report in reports]
    # The same seed generates the same cases (no example database carries over between runs).
    assert cases[0] == cases[1]
