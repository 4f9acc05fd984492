"""The CI recipes in scripts/ and the action run commands that exist, with options that exist."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from tests.spectools.specs import REPOSITORY
from token_api.cli import parser
from token_api.spectools.diff.waivers import load_waivers

WORKFLOW = REPOSITORY / "scripts" / "github-workflow.yml"
PRE_COMMIT = REPOSITORY / "scripts" / "pre-commit-config.yaml"
ACTION = REPOSITORY / "action.yml"
GATE = REPOSITORY / "scripts" / "contract-gate.sh"


def _commands(lines: list[str]) -> list[list[str]]:
    """Every ``token-api ...`` command, with shell variables given sample values."""
    found = []
    for line in lines:
        line = line.split("||")[0].split(">>")[0].replace("$BASE", "git:origin/main")
        words = shlex.split(line)
        if words and words[0] == "token-api":
            found.append(words[1:])
    return found


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _workflow_commands() -> list[list[str]]:
    steps = _workflow()["jobs"]["contract"]["steps"]
    return _commands([line for step in steps for line in step.get("run", "").splitlines()])


def _pre_commit_commands() -> list[list[str]]:
    config: dict[str, Any] = yaml.safe_load(PRE_COMMIT.read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)
    return _commands([hook["entry"] for hook in hooks])


def _gate_commands() -> list[list[str]]:
    """What scripts/contract-gate.sh runs, its arrays given the values action.yml's defaults
    lead to (a waivers file, and the diff arguments the workflow passes)."""
    text = GATE.read_text(encoding="utf-8").replace("\\\n", " ")
    values = {
        '"${diff_args[@]}"': "git:BASE:openapi.yaml openapi.yaml --fail-on breaking "
        "--waivers api-waivers.yaml --require-major-bump",
        '"${post[@]}"': "github-comment comment.md --pull 7 --no-create",
        '${lint_args[@]+"${lint_args[@]}"}': "",
        '"$spec"': "openapi.yaml",
        '"$comment"': "comment.md",
        '"$pages/$BASE/$spec"': "https://github.com/o/r/blob/a/openapi.yaml",
        '"$pages/${HEAD_SHA:-${GITHUB_SHA:-HEAD}}/$spec"': "https://github.com/o/r/blob/b/x",
    }
    found = []
    for line in text.splitlines():
        if '"$token_api"' not in line:
            continue
        command = line.split('"$token_api"', 1)[1].split("||")[0].split(">")[0].split(";")[0]
        for variable, value in values.items():
            command = command.replace(variable, value)
        assert "$" not in command, f"contract-gate.sh: a variable the test does not know: {line}"
        found.append(shlex.split(command))
    return found


@pytest.mark.parametrize("commands", [_pre_commit_commands(), _gate_commands()])
def test_recipes_and_the_action_run_commands_that_exist(commands: list[list[str]]) -> None:
    assert {"lint", "diff"} <= {words[0] for words in commands}
    for words in commands:
        args = parser().parse_args(words)  # exits (fails the test) on an unknown option
        assert callable(args.run)
    diffs = [words for words in commands if words[0] == "diff"]
    assert all(words[2] == "openapi.yaml" for words in diffs)
    assert all("--waivers" in words for words in diffs)


def test_the_pre_commit_diff_reads_the_main_branch() -> None:
    diffs = [words for words in _pre_commit_commands() if words[0] == "diff"]
    assert diffs and all(words[1] == "git:origin/main" for words in diffs)


def test_the_workflow_checks_stubs_and_uses_the_action() -> None:
    assert [words[0] for words in _workflow_commands()] == ["stubs"]
    steps = _workflow()["jobs"]["contract"]["steps"]
    (gate,) = [step for step in steps if step.get("uses") == "./"]
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert set(gate["with"]) <= set(action["inputs"])
    assert load_waivers(REPOSITORY / gate["with"]["waivers"]) == []  # the file is there, valid
    words = shlex.split(gate["with"].get("diff-args", ""))
    parser().parse_args(["diff", "a", "b", *words])
    assert _workflow()["permissions"]["pull-requests"] == "write"


def test_the_workflow_fetches_the_base_branch_for_diff() -> None:
    checkout = _workflow()["jobs"]["contract"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0


def test_the_action_passes_every_input_to_the_script() -> None:
    """Each input reaches the script through the step's environment, and the script reads it."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    step = action["runs"]["steps"][-1]
    passed = {
        re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value).group(1)  # type: ignore[union-attr]
        for value in step["env"].values()
        if value.startswith("${{ inputs.")
    }
    assert passed == set(action["inputs"])
    script = GATE.read_text(encoding="utf-8")
    for name in set(step["env"]) - {"GITHUB_TOKEN"}:  # GITHUB_TOKEN: read by github-comment
        assert name in script, name
