"""What a team keeps a breaking-change gate for: waivers for one change, a changelog from the same
comparison, the pull-request comment and the command that posts it."""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import re
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.spectools.specs import REPOSITORY, base, item, put, write
from tests.support.cli import assert_one_sentence, token_api_here
from tests.support.github import TOKEN, fake_github
from token_api.spectools.diff import diff_documents
from token_api.spectools.diff.report import COMMENT_LIMIT, Report, Source, render

# The gate's decisions, through the CLI's own main in this process (test_cli runs the commands
# in processes of their own, as CI does).
token_api = partial(token_api_here, cwd=REPOSITORY)
TODAY = dt.datetime.now(dt.UTC).date()
MAX_LENGTH = "/components/schemas/Item/properties/name/maxLength"


@pytest.fixture
def specs(tmp_path: Path) -> tuple[Path, Path]:
    """Breaking: Item.name may now be longer in responses; possibly breaking: a Role value;
    not breaking: the request side of both."""
    old, new = base(), base()
    item(new)["properties"]["name"]["maxLength"] = 200
    new["components"]["schemas"]["Role"]["enum"].append("VIEWER")
    return write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)


def waivers(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    lines = ["waivers:"]
    for entry in entries:
        lines.append(f"  - rule: {entry['rule']}")
        lines += [
            f"    {key}: {json.dumps(value)}" for key, value in entry.items() if key != "rule"
        ]
    path = tmp_path / "waivers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def diff_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = token_api("diff", *args, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


# -- waivers -----------------------------------------------------------------------------------

RELAXED = {
    "rule": "response-constraint-relaxed",
    "location": MAX_LENGTH,
    "reason": "the one client reads names of any length (ticket API-12)",
}


def test_a_waiver_accepts_its_change_and_keeps_the_gate(specs: tuple[Path, Path]) -> None:
    file = waivers(specs[0].parent, {**RELAXED, "expires": str(TODAY + dt.timedelta(days=30))})
    code, report = diff_json(*map(str, specs), "--waivers", str(file))
    assert code == 0  # the one breaking change is waived
    assert (report["level"], report["breaking"]) == ("possibly-breaking", False)
    assert "response-constraint-relaxed" not in {c["rule"] for c in report["changes"]}
    (waived,) = report["waived"]
    assert waived["rule"] == "response-constraint-relaxed" and waived["level"] == "breaking"
    assert waived["waiver"] == {
        "entry": 1,
        "line": 2,
        "rule": "response-constraint-relaxed",
        "location": MAX_LENGTH,
        "reason": RELAXED["reason"],
        "expires": str(TODAY + dt.timedelta(days=30)),
    }
    assert report["waivers"] == []
    text = token_api("diff", *map(str, specs), "--waivers", str(file)).stdout
    assert re.search(rf"WAIVED +response-constraint-relaxed +{MAX_LENGTH}", text)
    assert f"waived: {RELAXED['reason']} (waiver 1, until" in text
    assert text.rstrip().endswith("4 change(s), 0 breaking, 1 possibly breaking, 1 waived.")
    # Without the waiver, the same change fails the run.
    assert token_api("diff", *map(str, specs)).returncode == 1


def test_a_waiver_by_operation(specs: tuple[Path, Path]) -> None:
    """``PUT /items/{id}``: the operation, whatever its path parameter is called."""
    entry = {**RELAXED, "location": "put /items/{id}"}
    code, report = diff_json(*map(str, specs), "--waivers", str(waivers(specs[0].parent, entry)))
    assert code == 0
    assert [w["rule"] for w in report["waived"]] == ["response-constraint-relaxed"]


def test_a_change_shared_by_two_operations_needs_both_waived(tmp_path: Path) -> None:
    old, new = base(), base()
    for document in (old, new):
        document["paths"]["/other"] = {"post": {**put(document), "operationId": "postOther"}}
    item(new)["properties"]["name"]["maxLength"] = 200
    specs = write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)
    one = {**RELAXED, "location": "PUT /items/{item_id}"}
    code, report = diff_json(*map(str, specs), "--waivers", str(waivers(tmp_path, one)))
    assert code == 1 and report["waived"] == []  # POST /other's clients still break
    two = {**RELAXED, "location": "POST /other"}
    code, report = diff_json(*map(str, specs), "--waivers", str(waivers(tmp_path, one, two)))
    assert code == 0 and len(report["waived"]) == 1


def test_an_expired_waiver_no_longer_waives_and_fails_the_run(specs: tuple[Path, Path]) -> None:
    yesterday = str(TODAY - dt.timedelta(days=1))
    file = waivers(specs[0].parent, {**RELAXED, "expires": yesterday})
    code, report = diff_json(*map(str, specs), "--waivers", str(file))
    assert code == 1
    assert report["waived"] == []
    assert "response-constraint-relaxed" in {c["rule"] for c in report["changes"]}
    (finding,) = report["waivers"]
    assert (finding["id"], finding["fails"], finding["entry"]) == ("waiver-expired", True, 1)
    assert f"expired on {yesterday}; the change it covered counts again" in finding["message"]
    # Even when the change it covered is gone: the team set that date to look again.
    fixed = token_api("diff", str(specs[0]), str(specs[0]), "--waivers", str(file))
    assert fixed.returncode == 1
    assert "waiver-expired" in fixed.stdout


def test_a_waiver_expiring_today_still_holds(specs: tuple[Path, Path]) -> None:
    file = waivers(specs[0].parent, {**RELAXED, "expires": str(TODAY)})
    assert diff_json(*map(str, specs), "--waivers", str(file))[0] == 0


def test_a_waiver_that_matches_nothing_is_reported(specs: tuple[Path, Path]) -> None:
    stale = {"rule": "path-removed", "location": "/paths/~1health", "reason": "removed in 1.2"}
    file = waivers(specs[0].parent, RELAXED, stale)
    code, report = diff_json(*map(str, specs), "--waivers", str(file))
    assert code == 0  # shown, not failing: see docs/gate.md
    (finding,) = report["waivers"]
    assert (finding["id"], finding["fails"], finding["line"]) == ("waiver-unused", False, 5)
    text = token_api("diff", *map(str, specs), "--waivers", str(file)).stdout
    assert (
        f"{file}, entry 2 (line 5): waiver-unused: the waiver for path-removed at "
        "/paths/~1health matches no change: remove it." in text
    )
    github = token_api("diff", *map(str, specs), "--waivers", str(file), "--format", "github")
    assert f"::warning file={file},line=5,title=waiver-unused::" in github.stdout


def test_a_waiver_for_another_rule_at_the_same_place_waives_nothing(
    specs: tuple[Path, Path],
) -> None:
    wrong = {**RELAXED, "rule": "response-constraint-tightened"}
    code, report = diff_json(*map(str, specs), "--waivers", str(waivers(specs[0].parent, wrong)))
    assert code == 1 and report["waived"] == []
    assert [f["id"] for f in report["waivers"]] == ["waiver-unused"]


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        ("- rule: x\n", "must be a mapping with one key, waivers"),
        ("waivers: [\n", "is not YAML at line"),
        ("waivers:\n  - rule: no-such-rule\n    location: /x\n    reason: r\n", "is not a rule"),
        ("waivers:\n  - rule: path-removed\n    location: /x\n", "needs reason"),
        (
            "waivers:\n  - rule: path-removed\n    location: somewhere\n    reason: r\n",
            "is neither a JSON pointer",
        ),
        (
            "waivers:\n  - rule: path-removed\n    location: /x\n    reason: r\n"
            "    expires: next week\n",
            "expires must be a date",
        ),
        (
            "waivers:\n  - rule: path-removed\n    location: /x\n    reason: r\n"
            "    expiry: 2030-01-01\n",
            "has expiry",
        ),
        (None, "does not exist"),
    ],
)
def test_a_malformed_waivers_file_is_one_sentence_exit_2(
    specs: tuple[Path, Path], content: str | None, sentence: str
) -> None:
    file = specs[0].parent / "waivers.yaml"
    if content is not None:
        file.write_text(content, encoding="utf-8")
    result = token_api("diff", *map(str, specs), "--waivers", str(file))
    line = assert_one_sentence(result, exit_code=2)
    assert sentence in line and line.endswith("."), line
    assert result.stdout == ""


# -- changelog ---------------------------------------------------------------------------------


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Path]:
    """A break on PUT, an operation removed, a server added (no operation)."""
    old, new = base(), base()
    item(new)["properties"]["name"]["maxLength"] = 200
    del new["paths"]["/health"]
    new["servers"].append({"url": "https://eu.example.com"})
    return write(tmp_path / "v1.yaml", old), write(tmp_path / "v2.yaml", new)


def test_changelog_groups_every_change_by_operation(release: tuple[Path, Path]) -> None:
    result = token_api("changelog", *map(str, release), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    groups = {g["operation"]: g for g in report["groups"]}
    assert list(groups) == ["GET /health", "PUT /items/{item_id}", None]
    assert groups["GET /health"]["level"] == "breaking"
    assert [c["rule"] for c in groups["GET /health"]["changes"]] == ["path-removed"]
    assert {c["rule"]: c["level"] for c in groups["PUT /items/{item_id}"]["changes"]} == {
        "response-constraint-relaxed": "breaking",
        "request-constraint-relaxed": "not-breaking",
    }
    assert [c["rule"] for c in groups[None]["changes"]] == ["server-added"]


def test_changelog_and_diff_never_disagree(release: tuple[Path, Path]) -> None:
    """Every change diff reports is in the changelog, at the same level, and nothing else."""
    _, diffed = diff_json(*map(str, release))
    listed = json.loads(token_api("changelog", *map(str, release), "--format", "json").stdout)
    grouped = {
        json.dumps(c, sort_keys=True) for group in listed["groups"] for c in group["changes"]
    }
    assert grouped == {json.dumps(c, sort_keys=True) for c in diffed["changes"]}
    assert (listed["level"], listed["breaking"]) == (diffed["level"], diffed["breaking"])


def test_changelog_markdown(release: tuple[Path, Path]) -> None:
    result = token_api("changelog", *map(str, release))  # Markdown by default
    assert result.returncode == 0  # a report, not a gate: exit 0 with breaking changes
    text = result.stdout
    assert text.startswith(f"# API changelog: {release[0]} → {release[1]}\n")
    assert "4 change(s): 2 breaking, 0 possibly breaking, 2 not breaking." in text
    assert "## `PUT /items/{item_id}` ❌ breaking" in text
    assert (
        "- **breaking** `response-constraint-relaxed`: maxLength 100 → 200: clients may now "
        f"receive what they were not written for (`{MAX_LENGTH}`)" in text
    )
    assert "## Whole API ✅ not breaking" in text
    assert text.index("GET /health") < text.index("PUT /items") < text.index("Whole API")


class _Html(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_changelog_html_is_well_formed_and_escaped(tmp_path: Path) -> None:
    old, new = base(), base()
    item(new)["properties"]["code"]["pattern"] = "<script>alert(1)</script>"
    files = write(tmp_path / "a.yaml", old), write(tmp_path / "b.yaml", new)
    result = token_api("changelog", *map(str, files), "--format", "html")
    assert result.returncode == 0
    assert "<script>" not in result.stdout
    parser = _Html()
    parser.feed(result.stdout)
    assert parser.open == []  # every element closed
    assert '"<script>alert(1)</script>"' in "".join(parser.text)


def test_changelog_errors_exit_2(tmp_path: Path) -> None:
    result = token_api("changelog", str(tmp_path / "nope.yaml"), "openapi.yaml")
    assert "does not exist" in assert_one_sentence(result, exit_code=2)
    assert token_api("changelog", "openapi.yaml", "openapi.yaml", "--format", "pdf").returncode == 2


# -- the pull-request comment ------------------------------------------------------------------


def comment(specs: tuple[Path, Path], *args: str) -> str:
    result = token_api("diff", *map(str, specs), "--format", "pr-comment", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def test_the_comment_lists_each_level_with_links_to_the_spec_lines(
    specs: tuple[Path, Path],
) -> None:
    url = "https://github.com/octo/api/blob/abc123/new.yaml"
    text = comment(specs, "--new-url", url)
    lines = text.splitlines()
    assert lines[0] == f"<!-- token-api diff: {specs[1]} -->"
    assert lines[1] == "## ❌ API contract: breaking changes"
    assert "4 change(s): 1 breaking, 1 possibly breaking, 0 waived, 2 not breaking." in text
    breaking = text.index("### Breaking (1)")
    possibly = text.index("### Possibly breaking (1)")
    fine = text.index("<details><summary>2 change(s) that do not break clients</summary>")
    assert breaking < possibly < fine
    line = next(
        n for n, x in enumerate(specs[1].read_text().splitlines(), 1) if "maxLength: 200" in x
    )
    assert (
        f"| `response-constraint-relaxed` | [`{MAX_LENGTH}`]({url}#L{line}) | "
        "`PUT /items/{item_id}` | maxLength 100 → 200: clients may now receive what they were "
        "not written for |" in text
    )


def test_the_comment_of_a_possibly_breaking_change(tmp_path: Path) -> None:
    old, new = base(), base()
    new["components"]["schemas"]["Role"]["enum"].append("VIEWER")
    text = comment((write(tmp_path / "a.yaml", old), write(tmp_path / "b.yaml", new)))
    assert text.splitlines()[1] == "## ⚠️ API contract: possibly breaking changes"
    assert "### Breaking" not in text and "### Possibly breaking (1)" in text
    assert "(line " in text  # no URL given: the line number, unlinked


def test_the_comment_of_a_waived_change_and_a_stale_waiver(specs: tuple[Path, Path]) -> None:
    stale = {"rule": "path-removed", "location": "/paths/~1health", "reason": "removed in 1.2"}
    text = comment(specs, "--waivers", str(waivers(specs[0].parent, RELAXED, stale)))
    assert text.splitlines()[1] == "## ⚠️ API contract: possibly breaking changes"
    assert "### Waived (1)" in text
    assert "the one client reads names of any length (ticket API-12) (waiver 1)" in text
    assert "### Waivers to update (1)" in text
    assert "- ⚠️ " in text and "waiver-unused" in text


def test_the_comment_of_a_removal_links_to_the_old_spec(tmp_path: Path) -> None:
    old, new = base(), base()
    del new["paths"]["/health"]
    files = write(tmp_path / "a.yaml", old), write(tmp_path / "b.yaml", new)
    text = comment(files, "--old-url", "https://x/blob/base/a.yaml")
    assert "[`/paths/~1health`](https://x/blob/base/a.yaml#L" in text and "(old spec)" in text


def test_the_comment_of_no_change(specs: tuple[Path, Path]) -> None:
    text = comment((specs[0], specs[0]))
    assert text.splitlines()[1] == "## ✅ API contract: no changes"


def test_the_comment_shows_spec_values_as_text(tmp_path: Path) -> None:
    """A pattern's * or a <tag> in a spec value neither emphasizes nor becomes HTML."""
    old, new = base(), base()
    item(new)["properties"]["code"]["pattern"] = "<b>*x*</b>|y"
    text = comment((write(tmp_path / "a.yaml", old), write(tmp_path / "b.yaml", new)))
    assert r'"\<b\>\*x\*\</b\>\|y"' in text
    assert "<b>" not in text


def test_the_comment_stays_within_githubs_limit() -> None:
    """Thousands of changes: every breaking one that fits is shown, the rest counted."""
    from tests.spectools.specs import generated

    old, new = generated(1000), generated(1)  # 999 paths removed
    changes = diff_documents(old, new)
    assert len(changes) >= 999
    text = render(Report(Source("old.yaml"), Source("new.yaml"), changes), "pr-comment")
    assert len(text) <= COMMENT_LIMIT
    assert "more, not shown here" in text
    assert text.count("| `path-removed` |") > 100


# -- github-comment ------------------------------------------------------------------------------


def post(github_url: str, file: Path, *args: str) -> Any:
    return token_api(
        "github-comment",
        str(file),
        "--pull",
        "12",
        "--repository",
        "octo/api",
        *args,
        env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github_url},
    )


def test_github_comment_finds_its_comment_past_the_first_page(
    specs: tuple[Path, Path], tmp_path: Path
) -> None:
    body = tmp_path / "comment.md"
    body.write_text(comment(specs))
    with fake_github(per_page_cap=2) as github:
        for n in range(3):
            github.comment(12, f"review {n}")
        github.comment(12, f"<!-- token-api diff: {specs[1]} -->\nold report")
        github.comment(12, "another review")
        github.comment(13, f"<!-- token-api diff: {specs[1]} -->\nanother pull request")
        result = post(github.url, body)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Comment updated: ")
        assert [c["body"] for c in github.of(12)][3] == body.read_text()
        assert github.of(13)[0]["body"].endswith("another pull request")
        assert [m for m, _ in github.calls] == ["GET", "GET", "GET", "PATCH"]
        # The same report again: nothing to change.
        assert post(github.url, body).stdout.startswith("Comment unchanged")


def test_github_comment_no_create(tmp_path: Path) -> None:
    body = tmp_path / "comment.md"
    body.write_text("<!-- token-api diff: openapi.yaml -->\n## ✅ API contract: no changes\n")
    with fake_github() as github:
        result = post(github.url, body, "--no-create")
        assert result.returncode == 0 and result.stdout.strip() == "Comment skipped"
        assert github.comments == []


@pytest.mark.parametrize(
    ("content", "args", "env", "sentence"),
    [
        ("no marker\n", [], {}, "does not start with a marker line"),
        (None, [], {}, "Cannot read"),
        ("<!-- m -->\n", [], {"GITHUB_TOKEN": ""}, "Set GITHUB_TOKEN"),
        ("<!-- m -->\n", ["--repository", "octo"], {}, "must be OWNER/NAME"),
    ],
)
def test_github_comment_refuses_bad_input_in_one_sentence(
    tmp_path: Path, content: str | None, args: list[str], env: dict[str, str], sentence: str
) -> None:
    body = tmp_path / "comment.md"
    if content is not None:
        body.write_text(content)
    result = token_api(
        "github-comment",
        str(body),
        "--pull",
        "1",
        "--repository",
        "octo/api",
        *args,
        env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://127.0.0.1:9", **env},
    )
    assert sentence in assert_one_sentence(result, exit_code=2)


def test_github_comment_unreachable_or_refused_is_one_sentence_exit_1(tmp_path: Path) -> None:
    body = tmp_path / "comment.md"
    body.write_text("<!-- m -->\nreport\n")
    with fake_github() as github:
        url = github.url
    unreachable = post(url, body)  # the server is gone
    assert "Cannot reach GitHub" in assert_one_sentence(unreachable, exit_code=1)
    with fake_github(refuse=404) as github:
        refused = post(github.url, body)
    line = assert_one_sentence(refused, exit_code=1)
    assert "GitHub answered 404" in line and "Resource not accessible by integration" in line
    assert TOKEN not in refused.stdout + refused.stderr


# -- deprecation, sunset, stability, version ----------------------------------------------------


def _deprecated_delete(sunset: str | None) -> dict[str, Any]:
    document = base()
    document["paths"]["/items/{item_id}"]["delete"] = {
        "operationId": "deleteItem",
        "deprecated": True,
        **({"x-sunset": sunset} if sunset else {}),
        "security": [{"Bearer": []}],
        "parameters": [{"name": "item_id", "in": "path", "required": True}],
        "responses": {"204": {"description": "Deleted."}},
    }
    return document


@pytest.mark.parametrize(
    ("sunset", "code", "rule"),
    [
        (str(TODAY - dt.timedelta(days=1)), 0, "operation-removed-after-sunset"),
        (str(TODAY), 0, "operation-removed-after-sunset"),  # the sunset day itself
        (str(TODAY + dt.timedelta(days=1)), 1, "operation-removed-before-sunset"),
        (None, 1, "operation-removed-before-sunset"),  # never told when: notice is owed
    ],
)
def test_removing_a_deprecated_operation_before_and_after_its_sunset(
    tmp_path: Path, sunset: str | None, code: int, rule: str
) -> None:
    files = (
        write(tmp_path / "old.yaml", _deprecated_delete(sunset)),
        write(tmp_path / "new.yaml", base()),
    )
    result, report = diff_json(*map(str, files))
    assert result == code
    (change,) = report["changes"]
    assert change["rule"] == rule and change["location"] == "/paths/~1items~1{item_id}/delete"
    assert change["operations"] == ["DELETE /items/{item_id}"]


def test_no_notice_lets_a_deprecated_operation_go_at_once(tmp_path: Path) -> None:
    """--deprecation-days 0: oasdiff's default (deprecated is enough)."""
    files = (
        write(tmp_path / "old.yaml", _deprecated_delete(None)),
        write(tmp_path / "new.yaml", base()),
    )
    code, report = diff_json(*map(str, files), "--deprecation-days", "0")
    assert code == 0
    assert [c["rule"] for c in report["changes"]] == ["operation-removed-after-sunset"]


def test_a_sunset_must_leave_the_notice(tmp_path: Path) -> None:
    old, new = base(), base()
    put(new)["deprecated"] = True
    put(new)["x-sunset"] = str(TODAY + dt.timedelta(days=90))
    files = write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)
    code, report = diff_json(*map(str, files))
    assert code == 1
    (change,) = report["changes"]
    assert change["rule"] == "operation-sunset-too-soon"
    assert "90 days away, and a stable operation owes 180 days' notice" in change["reason"]
    assert diff_json(*map(str, files), "--deprecation-days", "90")[0] == 0
    put(new)["x-stability-level"] = "beta"  # beta: --deprecation-days-beta, 0 by default
    put(old)["x-stability-level"] = "beta"
    write(files[0], old), write(files[1], new)
    assert diff_json(*map(str, files))[0] == 0
    assert diff_json(*map(str, files), "--deprecation-days-beta", "91")[0] == 1


@pytest.mark.parametrize(
    ("old_version", "new_version", "code", "rules"),
    [
        ("1.4.0", "1.5.0", 1, {"path-removed", "major-version-not-bumped"}),
        ("1.4.0", "1.4.0", 1, {"path-removed", "major-version-not-bumped"}),
        ("2.0.0", "1.9.0", 1, {"path-removed", "major-version-not-bumped"}),
        ("1.4.0", "2.0.0", 1, {"path-removed"}),  # the break itself still breaks
        ("0.3.1", "0.4.0", 1, {"path-removed"}),  # below 1.0.0 the minor is the major
    ],
)
def test_require_major_bump(
    tmp_path: Path, old_version: str, new_version: str, code: int, rules: set[str]
) -> None:
    old, new = base(), base()
    old["info"]["version"], new["info"]["version"] = old_version, new_version
    del new["paths"]["/health"]
    files = write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)
    result, report = diff_json(*map(str, files), "--require-major-bump")
    assert result == code
    assert {c["rule"] for c in report["changes"] if c["level"] == "breaking"} == rules
    # Without the option, the version is not judged.
    assert "major-version-not-bumped" not in token_api("diff", *map(str, files)).stdout


def test_require_major_bump_waits_for_a_break(tmp_path: Path) -> None:
    old, new = base(), base()
    new["servers"].append({"url": "https://eu.example.com"})
    files = write(tmp_path / "old.yaml", old), write(tmp_path / "new.yaml", new)
    code, report = diff_json(*map(str, files), "--require-major-bump")
    assert code == 0 and [c["rule"] for c in report["changes"]] == ["server-added"]


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--deprecation-days", "-1"], "--deprecation-days must be 0 to 36,500 days."),
        (["--deprecation-days-beta", "99999"], "--deprecation-days-beta must be 0 to 36,500"),
    ],
)
def test_policy_options_refuse_nonsense(args: list[str], sentence: str) -> None:
    for command in ("diff", "changelog"):
        result = token_api(command, "openapi.yaml", "openapi.yaml", *args)
        assert sentence in assert_one_sentence(result, exit_code=2)
    result = token_api("diff", "openapi.yaml", "openapi.yaml", "--stability-level", "ga")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_changelog_takes_the_same_policy(tmp_path: Path) -> None:
    files = (
        write(tmp_path / "old.yaml", _deprecated_delete(None)),
        write(tmp_path / "new.yaml", base()),
    )
    for args, level in (([], "breaking"), (["--deprecation-days", "0"], "not-breaking")):
        listed = json.loads(
            token_api("changelog", *map(str, files), "--format", "json", *args).stdout
        )
        assert listed["level"] == level
