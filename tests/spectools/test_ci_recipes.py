"""The CI recipes in scripts/ run commands that exist, with options that exist."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
import yaml

from tests.spectools.specs import REPOSITORY
from token_api.cli import parser

WORKFLOW = REPOSITORY / "scripts" / "github-workflow.yml"
PRE_COMMIT = REPOSITORY / "scripts" / "pre-commit-config.yaml"


def _commands(lines: list[str]) -> list[list[str]]:
    """Every ``token-api ...`` command, with shell variables given sample values."""
    found = []
    for line in lines:
        line = line.split("||")[0].split(">>")[0].replace("$BASE", "git:origin/main")
        words = shlex.split(line)
        if words and words[0] == "token-api":
            found.append(words[1:])
    return found


def _workflow_commands() -> list[list[str]]:
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["contract"]["steps"]
    return _commands([line for step in steps for line in step.get("run", "").splitlines()])


def _pre_commit_commands() -> list[list[str]]:
    config: dict[str, Any] = yaml.safe_load(PRE_COMMIT.read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)
    return _commands([hook["entry"] for hook in hooks])


@pytest.mark.parametrize("commands", [_workflow_commands(), _pre_commit_commands()])
def test_recipes_run_lint_stubs_and_diff(commands: list[list[str]]) -> None:
    assert {words[0] for words in commands} == {"lint", "stubs", "diff"}
    for words in commands:
        args = parser().parse_args(words)  # exits (fails the test) on an unknown option
        assert callable(args.run)
    diffs = [words for words in commands if words[0] == "diff"]
    assert all(words[1] == "git:origin/main" and words[2] == "openapi.yaml" for words in diffs)


def test_the_workflow_fetches_the_base_branch_for_diff() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    checkout = workflow["jobs"]["contract"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
