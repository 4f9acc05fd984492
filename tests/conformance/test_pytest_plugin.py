"""The checks from pytest: one test per check, passing, failing and skipping as the check did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance.conftest import SECRET, Deployment

TEST_FILE = """
def test_token_api(token_api_check):
    token_api_check.assert_passed()

def test_token_api_rules(token_api_rule):
    token_api_rule.assert_covered()
"""


def _pytest(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_deployment.py").write_text(TEST_FILE)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rs", *arguments,
         "test_deployment.py"],
        capture_output=True, text=True, timeout=300, cwd=folder,
        env={k: v for k, v in os.environ.items() if k != "TOKEN_API_TOKEN"},
    )  # fmt: skip


@pytest.mark.slow
def test_a_broken_deployment_fails_its_check(
    broken: str, reference: Deployment, tmp_path: Path
) -> None:
    report = tmp_path / "report.md"
    result = _pytest(
        tmp_path,
        "--base-url", f"{broken}/status_201",
        "--conformance-identities", str(reference.identities),
        "--conformance-max-examples", "2",
        "--conformance-report", str(report),
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "test_token_api[documented_status] FAILED" in output
    assert "answered 201; the contract's success status is 200" in output
    assert "test_token_api[token_format] PASSED" in output
    assert "test_token_api[no_workspace_outside_reach] PASSED" in output
    assert "test_token_api[use_after_free] SKIPPED" in output
    # One test per rule of the contract: failed with its checks, or skipped when unprobed.
    assert "test_token_api_rules[response.status-documented] FAILED" in output
    assert "test_token_api_rules[role.no-wider] PASSED" in output
    assert "test_token_api_rules[key.default-lifetime] SKIPPED" in output
    assert "token-api conformance coverage" in output and "Rules: 39 of 40 probed" in output
    assert "| `documented_status` | token-api | FAIL |" in report.read_text()
    assert SECRET.findall(output) == []
    assert not any(secret in output for secret in reference.secrets())


@pytest.mark.slow
def test_with_only_the_admin_session_the_narrower_checks_are_skipped(
    reference: Deployment, tmp_path: Path
) -> None:
    result = _pytest(
        tmp_path,
        "--base-url", reference.url,
        "--token", reference.admin,
        "--conformance-max-examples", "1",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for check in ("no_wider_role", "no_service_token", "no_workspace_outside_reach"):
        assert f"test_token_api[{check}] SKIPPED" in output
    assert "no MEMBER or EXTERNAL user's session: give --identities FILE with one" in output
    assert "test_token_api[api_key_cannot_mint] PASSED" in output
    assert "test_token_api_rules[role.no-wider] SKIPPED" in output


@pytest.mark.slow
def test_required_coverage_fails_the_rules_left_unprobed(
    reference: Deployment, tmp_path: Path
) -> None:
    result = _pytest(
        tmp_path,
        "--base-url", reference.url,
        "--token", reference.admin,
        "--conformance-max-examples", "1",
        "--conformance-require-coverage",
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "test_token_api_rules[role.no-wider] FAILED" in output
    assert "role.no-wider: unchecked (no MEMBER or EXTERNAL user's session" in output
    assert "test_token_api_rules[auth.single-header] PASSED" in output


def test_without_a_deployment_every_check_is_skipped(tmp_path: Path) -> None:
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "needs --base-url, and --token or" in result.stdout
    assert " passed" not in result.stdout.splitlines()[-1]
