"""``token-api lint`` and ``token-api diff`` as CI runs them: exit codes, formats, git sources."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.spectools.specs import OUR_SPEC, REPOSITORY, base, item, our_spec, write
from tests.support.cli import token_api as run_token_api
from token_api.spectools import published

token_api = partial(run_token_api, cwd=REPOSITORY)


def one_sentence(result: subprocess.CompletedProcess[str], command: str) -> str:
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"token-api {command}: ") and line.endswith(".")
    return line


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


# -- lint ----------------------------------------------------------------------------------


def test_lint_is_clean_on_our_spec() -> None:
    result = token_api("lint", "openapi.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "openapi.yaml: no findings."


def test_lint_defaults_to_openapi_yaml_in_the_working_directory() -> None:
    assert token_api("lint").returncode == 0


@pytest.fixture
def sloppy(tmp_path: Path) -> Path:
    document = our_spec()
    post = document["paths"]["/api/v1/token"]["post"]
    del post["security"]
    post["responses"]["200"]["content"]["application/json"]["example"]["api_token"] = "nope"
    return write(tmp_path / "openapi.yaml", document)


def test_lint_findings_exit_1_as_text(sloppy: Path) -> None:
    result = token_api("lint", str(sloppy))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(
        re.match(r"error +operation-security +/paths/~1api~1v1~1token/post ", x) for x in lines
    )
    assert any(re.match(r"error +example-valid +/paths/\S+/example ", x) for x in lines)
    assert lines[-1] == f"{sloppy}: 2 finding(s)."


def test_lint_json_lists_rule_severity_location_message(sloppy: Path) -> None:
    result = token_api("lint", str(sloppy), "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["spec"] == str(sloppy)
    rules = {(f["rule"], f["severity"]) for f in report["findings"]}
    assert rules == {
        ("operation-security", "error"),
        ("example-valid", "error"),
    }
    for finding in report["findings"]:
        assert set(finding) == {"rule", "severity", "location", "message"}
        assert "\n" not in finding["message"]


def test_lint_github_annotations_point_at_lines(sloppy: Path) -> None:
    result = token_api("lint", str(sloppy), "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    security = next(x for x in lines if "title=operation-security" in x)
    match = re.match(r"::error file=([^,]+),line=(\d+),title=operation-security::(.+)$", security)
    assert match, security
    assert match.group(1) == str(sloppy)
    source = sloppy.read_text(encoding="utf-8").splitlines()
    assert source[int(match.group(2)) - 1].strip() == "post:"


def test_lint_points_at_a_default_of_the_wrong_type(tmp_path: Path) -> None:
    """openapi-spec-validator's semantic checks give no path; the annotation must still land on
    the line that is wrong (it landed on the document's first line)."""
    document = our_spec()
    document["components"]["schemas"]["CreateToken"]["properties"]["personal"]["default"] = "yes"
    spec = write(tmp_path / "openapi.yaml", document)
    result = token_api("lint", str(spec), "--format", "github")
    assert result.returncode == 1
    (validity,) = [x for x in result.stdout.splitlines() if "title=valid-openapi" in x]
    match = re.match(r"::error file=[^,]+,line=(\d+),title=valid-openapi::(.+)$", validity)
    assert match, validity
    assert "'yes' is not of type 'boolean'" in match.group(2)
    lines = spec.read_text(encoding="utf-8").splitlines()
    line = int(match.group(1))
    assert lines[line - 1].strip() == "default: 'yes'"
    assert "personal:" in "".join(lines[line - 3 : line - 1])


def test_lint_answers_on_a_pattern_that_backtracks(tmp_path: Path) -> None:
    """A real spec's URL pattern with a nested repeat, and an example it does not match: Python's
    re (like ECMA engines) tries exponentially many splits; lint ran for hours."""
    document = our_spec()
    document["components"]["schemas"]["Health"]["properties"]["page"] = {
        "type": "string",
        "pattern": r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$",
        "example": "https://www.example.com/" + "a" * 60 + ",b",
    }
    spec = write(tmp_path / "openapi.yaml", document)
    result = subprocess.run(
        [sys.executable, "-m", "token_api", "lint", str(spec), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    found = [
        (f["rule"], f["location"])
        for f in json.loads(result.stdout)["findings"]
        if "does not match" in f["message"]
    ]
    assert found == [("example-valid", "/components/schemas/Health/properties/page/example")]


def test_lint_and_diff_print_no_python_warnings(tmp_path: Path) -> None:
    """Specs hold patterns like ``[[:alpha:]]``, which Python's re reads with a FutureWarning
    ("Possible nested set") printed to stderr with a file and line of the library: noise."""
    document = our_spec()
    document["components"]["schemas"]["Health"]["properties"]["tag"] = {
        "type": "string",
        "pattern": "^[[:alpha:]]+$",
        "example": "abc",
    }
    spec = write(tmp_path / "openapi.yaml", document)
    for command in (["lint", str(spec)], ["diff", str(OUR_SPEC), str(spec)]):
        result = token_api(*command)
        assert result.returncode in (0, 1), result.stderr
        assert result.stderr == "", result.stderr


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (None, "does not exist"),
        ("openapi: [unclosed", "is not YAML or JSON"),
        ("- a list", "does not hold an OpenAPI document"),
    ],
)
def test_lint_unreadable_input_exits_2(tmp_path: Path, content: str | None, sentence: str) -> None:
    spec = tmp_path / "openapi.yaml"
    if content is not None:
        spec.write_text(content, encoding="utf-8")
    result = token_api("lint", str(spec))
    assert result.returncode == 2
    assert sentence in one_sentence(result, "lint")


def test_lint_unknown_handlers_module_exits_2() -> None:
    result = token_api("lint", "--handlers-module", "no_such_module_here")
    assert result.returncode == 2
    assert "no_such_module_here" in one_sentence(result, "lint")


def test_lint_published_path_can_be_given(tmp_path: Path) -> None:
    """The stored contract given explicitly; the page form is tested in tests/contract."""
    spec = write(tmp_path / "openapi.yaml", our_spec())
    result = token_api("lint", str(spec), "--published", str(published.stored_file()))
    assert result.returncode == 0, result.stdout
    missing = token_api("lint", str(spec), "--published", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "cannot read" in one_sentence(missing, "lint")


def test_stubs_check_is_clean_on_our_spec() -> None:
    result = token_api("stubs", "--check")
    assert result.returncode == 0, result.stdout
    assert "Every operation of openapi.yaml has a handler" in result.stdout


# -- diff ----------------------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = base(), base()
    item(new)["properties"]["name"]["maxLength"] = 200  # breaks responses only
    new["components"]["schemas"]["Role"]["enum"].append("VIEWER")  # possibly breaks responses
    item(new)["properties"]["name"]["description"] = "Reworded."
    return write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)


@pytest.fixture
def possibly(tmp_path: Path) -> tuple[Path, Path]:
    old, new = base(), base()
    new["components"]["schemas"]["Role"]["enum"].append("VIEWER")  # possibly breaks responses
    return write(tmp_path / "before.yaml", old), write(tmp_path / "after.yaml", new)


def test_diff_breaking_exits_1_with_rule_location_reason(pair: tuple[Path, Path]) -> None:
    result = token_api("diff", *map(str, pair))
    assert result.returncode == 1, result.stderr
    text = result.stdout
    where = "/components/schemas/Item/properties/name/maxLength"
    assert re.search(rf"BREAKING +response-constraint-relaxed +{where}", text)
    assert re.search(rf"ok +request-constraint-relaxed +{where}", text)
    assert re.search(r"POSSIBLY +response-enum-value-added +/components/schemas/Role/enum", text)
    assert "clients may now receive what they were not written for" in text
    assert text.strip().endswith("5 change(s), 1 breaking, 1 possibly breaking.")


def test_diff_possibly_breaking_exits_0_unless_asked(possibly: tuple[Path, Path]) -> None:
    result = token_api("diff", *map(str, possibly))
    assert result.returncode == 0, result.stderr
    assert re.search(r"POSSIBLY +response-enum-value-added ", result.stdout)
    assert token_api("diff", *map(str, possibly), "--fail-on", "possibly").returncode == 1
    assert token_api("diff", *map(str, possibly), "--fail-on", "breaking").returncode == 0


def test_diff_fail_on_refuses_nonsense(possibly: tuple[Path, Path]) -> None:
    result = token_api("diff", *map(str, possibly), "--fail-on", "sometimes")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--fail-on" in result.stderr


def test_diff_not_breaking_exits_0(pair: tuple[Path, Path]) -> None:
    old, new = pair
    document: dict[str, Any] = base()
    document["servers"].append({"url": "https://eu.example.com"})
    write(new, document)
    result = token_api("diff", str(old), str(new), "--fail-on", "possibly")
    assert result.returncode == 0
    assert "server-added" in result.stdout


def test_diff_identical_exits_0() -> None:
    result = token_api("diff", "openapi.yaml", str(OUR_SPEC))
    assert result.returncode == 0
    assert result.stdout.strip() == f"openapi.yaml → {OUR_SPEC}: no changes."


def test_diff_json(pair: tuple[Path, Path]) -> None:
    report = json.loads(token_api("diff", *map(str, pair), "--format", "json").stdout)
    assert (report["breaking"], report["level"]) == (True, "breaking")
    change = next(c for c in report["changes"] if c["rule"] == "response-constraint-relaxed")
    assert change == {
        "rule": "response-constraint-relaxed",
        "location": "/components/schemas/Item/properties/name/maxLength",
        "level": "breaking",
        "breaking": True,
        "reason": "maxLength 100 → 200: clients may now receive what they were not written for",
        "operations": ["PUT /items/{item_id}"],
        "spec": "new",
    }
    levels = {c["rule"]: c["level"] for c in report["changes"]}
    assert levels["response-enum-value-added"] == "possibly-breaking"
    assert levels["request-enum-value-added"] == "not-breaking"


def test_diff_json_says_which_spec_a_location_points_into(tmp_path: Path) -> None:
    old, new = base(), base()
    del new["paths"]["/health"]
    new["servers"].append({"url": "https://eu.example.com"})
    files = write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)
    report = json.loads(token_api("diff", *map(str, files), "--format", "json").stdout)
    assert (report["old"], report["new"]) == tuple(map(str, files))  # file names, as given
    specs = {c["rule"]: (c["location"], c["spec"]) for c in report["changes"]}
    assert specs == {
        "path-removed": ("/paths/~1health", "old"),  # gone: only the old spec has it
        "server-added": ("/servers", "new"),
    }


def test_diff_json_possibly(possibly: tuple[Path, Path]) -> None:
    report = json.loads(token_api("diff", *map(str, possibly), "--format", "json").stdout)
    assert (report["breaking"], report["level"]) == (False, "possibly-breaking")


def test_diff_markdown(pair: tuple[Path, Path], possibly: tuple[Path, Path]) -> None:
    lines = token_api("diff", *map(str, pair), "--format", "markdown").stdout.splitlines()
    assert lines[0].endswith("(❌ breaking)")
    text = "\n".join(lines)
    assert "| **breaking** | `response-constraint-relaxed` |" in text
    assert "| *possibly breaking* | `response-enum-value-added` |" in text
    assert "| ok | `request-enum-value-added` |" in text
    first = token_api("diff", *map(str, possibly), "--format", "markdown").stdout.splitlines()[0]
    assert first.endswith("(⚠️ possibly breaking)")


def test_diff_github(pair: tuple[Path, Path]) -> None:
    old, new = pair
    lines = token_api("diff", str(old), str(new), "--format", "github").stdout.splitlines()
    error = next(x for x in lines if x.startswith("::error "))
    assert error.startswith(f"::error file={new},line=")
    assert "title=response-constraint-relaxed::" in error and ": breaking: " in error
    warning = next(x for x in lines if x.startswith("::warning "))
    assert "title=response-enum-value-added::" in warning and "possibly-breaking: " in warning
    assert sum(x.startswith("::notice ") for x in lines) == 3


def reasons(old: dict[str, Any], new: dict[str, Any], tmp_path: Path, fmt: str = "json") -> Any:
    """What ``diff --format FMT`` prints: for JSON each change's reason, else the whole output."""
    files = write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)
    output = token_api("diff", *map(str, files), "--format", fmt).stdout
    return [c["reason"] for c in json.loads(output)["changes"]] if fmt == "json" else output


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "github"])
def test_diff_shows_values_as_json_and_absent_ones_as_none(tmp_path: Path, fmt: str) -> None:
    """What the user wrote, in JSON (not Python's None or 'quotes'), in every format."""
    old, new = base(), base()
    item(new)["properties"]["kind"]["pattern"] = "^[a-z]+$"
    shown = 'pattern (none) → "^[a-z]+$"'
    output = reasons(old, new, tmp_path, fmt)
    if fmt == "json":
        assert sum(r.startswith(shown + ": ") for r in output) == 2  # request and response
    else:
        assert shown in output
    text = "\n".join(output) if fmt == "json" else output
    assert "None" not in text and "'" not in text


def test_diff_tells_an_absent_default_from_a_null_one(tmp_path: Path) -> None:
    absent, null, five = base(), base(), base()
    item(null)["properties"]["count"]["default"] = None
    item(five)["properties"]["count"]["default"] = 5
    assert reasons(absent, five, tmp_path)[0].startswith("default (none) → 5: ")
    assert reasons(null, five, tmp_path)[0].startswith("default null → 5: ")
    assert reasons(five, null, tmp_path)[0].startswith("default 5 → null: ")


def test_diff_shows_enum_values_and_bounds_as_json(tmp_path: Path) -> None:
    old, new = base(), base()
    for document in (old, new):
        document["components"]["schemas"]["Role"]["type"] = ["string", "boolean", "integer"]
    new["components"]["schemas"]["Role"]["enum"] += ["VIEWER", True, 3]
    item(new)["properties"]["tags"]["uniqueItems"] = True
    item(new)["properties"]["tags"]["maxItems"] = 3
    found = {r.split(": ")[0] for r in reasons(old, new, tmp_path)}
    assert 'enum value(s) "VIEWER", true, 3 added' in found
    assert {"maxItems (none) → 3", "uniqueItems (none) → true"} <= found


def test_diff_cuts_long_values_with_an_ellipsis(tmp_path: Path) -> None:
    old, new = base(), base()
    item(new)["properties"]["tags"]["default"] = [f"tag-{n}" for n in range(100)]
    (detail,) = {r.split(": ")[0] for r in reasons(old, new, tmp_path) if r.startswith("default")}
    value = detail.removeprefix("default (none) → ")
    assert value.startswith('["tag-0", "tag-1", ') and value.endswith("…")
    assert len(value) == 100


def test_diff_against_a_git_revision(tmp_path: Path) -> None:
    git("init", "-q", "-b", "main", cwd=tmp_path)
    write(tmp_path / "openapi.yaml", base())
    (tmp_path / "api").mkdir()
    write(tmp_path / "api" / "v1.yaml", base())
    git("add", ".", cwd=tmp_path)
    git("commit", "-q", "-m", "base", cwd=tmp_path)
    changed = base()
    item(changed)["required"].append("kind")  # required in requests: breaking
    write(tmp_path / "openapi.yaml", changed)
    assert token_api("diff", "git:main", "openapi.yaml", cwd=tmp_path).returncode == 1
    assert token_api("diff", "git:HEAD:api/v1.yaml", "git:main", cwd=tmp_path).returncode == 0
    result = token_api("diff", "git:main", "openapi.yaml", "--format", "json", cwd=tmp_path)
    assert json.loads(result.stdout)["old"] == "git:main"


@pytest.mark.parametrize(
    ("old", "sentence"),
    [
        ("git:no-such-branch", "Cannot read git:no-such-branch from git"),
        ("git:HEAD:missing.yaml", "Cannot read git:HEAD:missing.yaml from git"),
        ("missing.yaml", "missing.yaml does not exist"),
    ],
)
def test_diff_errors_exit_2_with_one_sentence(tmp_path: Path, old: str, sentence: str) -> None:
    git("init", "-q", cwd=tmp_path)
    write(tmp_path / "openapi.yaml", base())
    git("add", ".", cwd=tmp_path)
    git("commit", "-q", "-m", "base", cwd=tmp_path)
    result = token_api("diff", old, "openapi.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert sentence in one_sentence(result, "diff")


def test_diff_broken_ref_exits_2(tmp_path: Path) -> None:
    broken = base()
    item(broken)["properties"]["role"] = {"$ref": "#/components/schemas/Nowhere"}
    old, new = write(tmp_path / "old.yaml", base()), write(tmp_path / "new.yaml", broken)
    result = token_api("diff", str(old), str(new))
    assert result.returncode == 2
    assert "points to nothing" in one_sentence(result, "diff")


def _encoded_ref() -> dict[str, Any]:
    """A response reused by a $ref whose pointer is percent-encoded, as a URI fragment is (RFC
    6901 §6): ``%7Bitem_id%7D`` is ``{item_id}``."""
    document = base()
    document["paths"]["/copies/{item_id}"] = {
        "get": {
            "operationId": "getCopy",
            "security": [],
            "parameters": [
                {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {"200": {"$ref": "#/paths/~1items~1%7Bitem_id%7D/put/responses/200"}},
        }
    }
    return document


def test_lint_follows_a_percent_encoded_ref(tmp_path: Path) -> None:
    spec = write(tmp_path / "openapi.yaml", _encoded_ref())
    result = token_api("lint", str(spec), "--format", "json")
    assert "Traceback" not in result.stderr
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
    assert [m for m in messages if "$ref" in m] == []


def test_diff_follows_a_percent_encoded_ref(tmp_path: Path) -> None:
    changed = _encoded_ref()
    item(changed)["properties"]["name"]["maxLength"] = 200  # breaks responses
    old = write(tmp_path / "old.yaml", _encoded_ref())
    new = write(tmp_path / "new.yaml", changed)
    assert token_api("diff", str(old), str(old)).returncode == 0
    result = token_api("diff", str(old), str(new), "--format", "json")
    assert result.returncode == 1, result.stderr
    (relaxed,) = [
        c
        for c in json.loads(result.stdout)["changes"]
        if c["rule"] == "response-constraint-relaxed"
    ]
    assert "GET /copies/{item_id}" in relaxed["operations"]
