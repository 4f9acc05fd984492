"""The composite action (action.yml) run as GitHub runs it, step by step, against a stand-in for
GitHub's REST API: the first push creates the pull request's comment, later pushes update it.

The steps are read from action.yml and their ``${{ }}`` expressions filled from the inputs and a
pull_request event, so what is tested is what the action runs. The install step is skipped by
naming this interpreter's token-api (installing would fetch from the network).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.spectools.specs import OUR_SPEC, REPOSITORY
from tests.support.github import TOKEN, FakeGitHub, fake_github

ACTION = REPOSITORY / "action.yml"
TOKEN_API = str(Path(sys.executable).with_name("token-api"))
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
_CONDITION = re.compile(r"^([\w.-]+) (==|!=) '([^']*)'$")
PULL = 7

# /health gets a required query parameter: clients calling it without one are refused.
_REQUIRED_PARAMETER = """      security: []
      parameters:
        - {name: verbose, in: query, required: true, schema: {type: boolean}}
"""


def _lookup(context: dict[str, Any], path: str) -> str:
    value: Any = context
    for part in path.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return "" if value is None else str(value)


def _fill(text: str, context: dict[str, Any]) -> str:
    """``${{ inputs.x }}`` and ``${{ github.a.b }}``: the only expressions action.yml uses."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert re.fullmatch(r"(inputs|github)(\.[\w-]+)+", expression), expression
        return _lookup(context, expression)

    return _EXPRESSION.sub(value, text)


def _holds(condition: str, context: dict[str, Any]) -> bool:
    match = _CONDITION.match(condition.strip())
    assert match, f"action.yml uses a condition the test cannot evaluate: {condition}"
    left, operator, right = match.groups()
    return (_lookup(context, left) == right) == (operator == "==")


def run_action(
    workspace: Path, github: FakeGitHub, event: dict[str, Any], **inputs: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Every step of action.yml in order, as a runner would; the last result and the summary."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    context: dict[str, Any] = {"github": {"event": event, "token": TOKEN}}
    context["inputs"] = {
        name: inputs.get(name.replace("-", "_"), _fill(str(spec.get("default", "")), context))
        for name, spec in action["inputs"].items()
    }
    unknown = {name.replace("_", "-") for name in inputs} - set(action["inputs"])
    assert not unknown, unknown
    summary = workspace.parent / f"summary-{len(github.calls)}.md"
    summary.write_text("")
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(workspace)),
        "GITHUB_ACTION_PATH": str(REPOSITORY),
        "GITHUB_API_URL": github.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_SHA": "0" * 40,
        "RUNNER_TEMP": str(workspace.parent),
    }
    result = None
    for step in action["runs"]["steps"]:
        assert "uses" not in step, "a composite step the test cannot run"
        if "if" in step and not _holds(step["if"], context):
            continue
        assert step["shell"] == "bash"
        env = {**environment, **{k: _fill(str(v), context) for k, v in step["env"].items()}}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _fill(step["run"], context)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            break
    assert result is not None
    return result, summary.read_text(encoding="utf-8")


def git(workspace: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=workspace,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def commit(workspace: Path, text: str, message: str) -> str:
    (workspace / "openapi.yaml").write_text(text, encoding="utf-8")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", message)
    return git(workspace, "rev-parse", "HEAD")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    return folder


def event(base: str, head: str) -> dict[str, Any]:
    return {"pull_request": {"number": PULL, "base": {"sha": base}, "head": {"sha": head}}}


def test_first_push_creates_the_comment_later_pushes_update_it(workspace: Path) -> None:
    original = OUR_SPEC.read_text(encoding="utf-8")
    base = commit(workspace, original, "base")
    broken = original.replace("      security: []\n", _REQUIRED_PARAMETER, 1)
    assert broken != original
    head = commit(workspace, broken, "a required parameter")
    with fake_github() as github:
        first, summary = run_action(workspace, github, event(base, head), token_api=TOKEN_API)
        assert first.returncode == 1, first.stderr  # the break fails the job
        assert github.calls == [
            ("GET", f"/repos/octo/api/issues/{PULL}/comments"),
            ("POST", f"/repos/octo/api/issues/{PULL}/comments"),
        ]
        (comment,) = github.of(PULL)
        body = comment["body"]
        assert body.startswith("<!-- token-api diff: openapi.yaml -->\n")
        assert "## ❌ API contract: breaking changes" in body
        assert "`request-parameter-required-added`" in body
        assert f"https://github.com/octo/api/blob/{head}/openapi.yaml#L" in body
        assert summary.strip() == body.strip()  # the report is in the job summary too
        assert "::error file=openapi.yaml,line=" in first.stdout  # annotations on the spec
        assert "Comment created: https://github.com/octo/api/pull/7#issuecomment-1" in first.stdout

        # The next push waives the break: the same comment is updated, none is added.
        waivers = workspace / "api-waivers.yaml"
        waivers.write_text(
            "waivers:\n"
            "  - rule: request-parameter-required-added\n"
            "    location: GET /health\n"
            "    reason: no client calls /health yet\n"
            "    expires: 2999-12-31\n"
        )
        head = commit(workspace, broken + "\n", "waived")
        github.calls.clear()
        second, _ = run_action(
            workspace,
            github,
            event(base, head),
            token_api=TOKEN_API,
            waivers="api-waivers.yaml",
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert github.calls == [
            ("GET", f"/repos/octo/api/issues/{PULL}/comments"),
            ("PATCH", f"/repos/octo/api/issues/comments/{comment['id']}"),
        ]
        (comment,) = github.of(PULL)
        assert "## ✅ API contract: no breaking changes" in comment["body"]
        assert "### Waived (1)" in comment["body"]
        assert "no client calls /health yet" in comment["body"]
        assert "Comment updated" in second.stdout


def test_a_pull_request_that_leaves_the_spec_alone_gets_no_comment(workspace: Path) -> None:
    original = OUR_SPEC.read_text(encoding="utf-8")
    base = commit(workspace, original, "base")
    (workspace / "README").write_text("docs")
    head = commit(workspace, original, "docs only")
    with fake_github() as github:
        result, summary = run_action(workspace, github, event(base, head), token_api=TOKEN_API)
        assert result.returncode == 0, result.stdout + result.stderr
        assert github.comments == []
        assert github.calls == [("GET", f"/repos/octo/api/issues/{PULL}/comments")]
        assert "## ✅ API contract: no changes" in summary
        # A comment from an earlier push (a break since reverted) is updated, not left stale.
        github.comment(PULL, "<!-- token-api diff: openapi.yaml -->\n## ❌ old news")
        github.comment(PULL, "LGTM")
        run_action(workspace, github, event(base, head), token_api=TOKEN_API)
        assert github.of(PULL)[0]["body"].startswith(
            "<!-- token-api diff: openapi.yaml -->\n## ✅ API contract: no changes"
        )
        assert github.of(PULL)[1]["body"] == "LGTM"


def test_a_read_only_token_leaves_the_report_in_the_summary(workspace: Path) -> None:
    """A pull request from a fork gets a read-only token: the job is judged on the diff alone."""
    original = OUR_SPEC.read_text(encoding="utf-8")
    base = commit(workspace, original, "base")
    head = commit(workspace, original.replace("      security: []\n", _REQUIRED_PARAMETER, 1), "x")
    with fake_github(refuse=403) as github:
        result, summary = run_action(workspace, github, event(base, head), token_api=TOKEN_API)
    assert result.returncode == 1  # the break, not the comment
    assert "::warning::The pull request comment could not be posted" in result.stdout
    assert "GitHub answered 403" in result.stderr and "read-only token" in result.stderr
    assert "`request-parameter-required-added`" in summary


def test_outside_a_pull_request_only_lint_runs(workspace: Path) -> None:
    commit(workspace, OUR_SPEC.read_text(encoding="utf-8"), "base")
    with fake_github() as github:
        result, _ = run_action(workspace, github, {}, token_api=TOKEN_API)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "was not diffed" in result.stdout
    assert github.calls == []


def test_lint_findings_fail_the_job(workspace: Path) -> None:
    sloppy = OUR_SPEC.read_text(encoding="utf-8").replace("operationId: getHealth", "summary: x")
    base = commit(workspace, sloppy, "base")
    with fake_github() as github:
        result, _ = run_action(
            workspace, github, event(base, base), token_api=TOKEN_API, comment="never"
        )
    assert result.returncode == 1
    assert "title=operation-id-unique" in result.stdout
    assert github.calls == []
