"""openapi.yaml keeps the vendor's published schemas key for key, as stored in the package; a
newer page can be compared and stored (scripts/refresh-published.py)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import token_api
from tests.support.pages import page
from token_api.contract.document import load_document
from token_api.spectools import published

REPOSITORY = Path(__file__).resolve().parents[2]
REFRESH = REPOSITORY / "scripts" / "refresh-published.py"


@pytest.fixture(scope="module")
def contract() -> published.Published:
    return published.stored()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


def _messages(differences: list[published.Difference]) -> list[str]:
    return [f"{d.pointer}: {d.message}" for d in differences]


def test_the_stored_contract_is_part_of_the_package(contract: published.Published) -> None:
    package = Path(published.__file__).resolve().parents[1]
    assert published.stored_file().resolve() == package / "contract/published/create-token.json"
    assert contract.page == "https://docs.cloud.deepset.ai/reference/create-token"
    assert contract.taken == "2026-12-01"
    assert (contract.method, contract.path) == ("post", "/api/v1/token")
    assert set(contract.responses) == {"200", "422"}
    assert contract.body["content"]["application/json"]["schema"]["title"] == "CreateToken"


def test_request_and_responses_are_the_published_ones(
    contract: published.Published, document: dict[str, Any]
) -> None:
    assert _messages(published.compare(document, contract)) == []


def test_a_changed_published_value_is_caught(
    contract: published.Published, document: dict[str, Any]
) -> None:
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["CreateToken"]["properties"]["expires"]["default"] = False
    assert _messages(published.compare(changed, contract)) == [
        "/components/schemas/CreateToken/properties/expires/default: is False, published True"
    ]


def test_a_removed_published_key_is_caught(
    contract: published.Published, document: dict[str, Any]
) -> None:
    changed = copy.deepcopy(document)
    del changed["components"]["schemas"]["ValidationError"]["properties"]["ctx"]
    assert _messages(published.compare(changed, contract)) == [
        "/components/schemas/ValidationError/properties/ctx: is published but missing"
    ]


def test_the_request_schema_is_not_narrowed(
    contract: published.Published, document: dict[str, Any]
) -> None:
    """Only the published keys: any added constraint would refuse a vendor-conforming body."""
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["CreateToken"]["properties"]["name"]["maxLength"] = 256
    assert _messages(published.compare(changed, contract)) == [
        "/components/schemas/CreateToken/properties/name/maxLength: is not in the published schema"
    ]


def test_responses_may_add_to_the_published_schema(
    contract: published.Published, document: dict[str, Any]
) -> None:
    assert (
        "pattern" in document["components"]["schemas"]["APITokenResult"]["properties"]["api_token"]
    )
    assert published.compare(document, contract) == []


# -- the page ------------------------------------------------------------------------------


def test_the_page_yields_the_stored_json(contract: published.Published) -> None:
    """tests/support/pages.py builds the page in the vendor's structure: reading it back gives
    exactly what is stored, key order included."""
    from_page = published.from_page(page(contract))
    assert (from_page.method, from_page.path) == (contract.method, contract.path)
    assert json.dumps(from_page.body) == json.dumps(contract.body)
    assert json.dumps(from_page.responses) == json.dumps(contract.responses)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("# Create Token\n", "no <MethodEndpoint"),
        ('<MethodEndpoint\n  method={"post"}\n  path={"/api/v1/token"}\n>', "no body={"),
        ('<MethodEndpoint method={"post"} path={"/x"}>\nbody={{"a":}}', "body block is not JSON"),
        ('<MethodEndpoint method={"post"} path={"/x"}>\nbody={[1]}\nresponses={{}}', "not OpenAPI"),
    ],
)
def test_a_page_without_the_contract_is_one_sentence(text: str, words: str) -> None:
    with pytest.raises(published.PublishedError, match=words):
        published.from_page(text)


def _newer(contract: published.Published) -> published.Published:
    """The page as the vendor might publish it next: one more property in the request."""
    body = copy.deepcopy(contract.body)
    body["content"]["application/json"]["schema"]["properties"]["scopes"] = {"type": "array"}
    return replace(contract, body=body)


def _refresh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REFRESH), *args], capture_output=True, text=True, timeout=60
    )


def test_lint_compares_with_a_newer_page_or_stored_file(
    contract: published.Published, tmp_path: Path
) -> None:
    newer = tmp_path / "create-token.published.mdx"
    newer.write_text(page(_newer(contract)), encoding="utf-8")
    stored = tmp_path / "create-token.json"
    stored.write_text(published.dumps(_newer(contract)), encoding="utf-8")
    for given in (newer, stored):
        result = token_api("lint", "--published", str(given), "--format", "json", cwd=REPOSITORY)
        assert result.returncode == 1, result.stdout + result.stderr
        assert json.loads(result.stdout)["findings"] == [
            {
                "rule": "published-schemas",
                "severity": "error",
                "location": "/components/schemas/CreateToken/properties/scopes",
                "message": f"is published but missing ({given.name})",
            }
        ]
    same = tmp_path / "same.mdx"
    same.write_text(page(contract), encoding="utf-8")
    assert token_api("lint", "--published", str(same), cwd=REPOSITORY).returncode == 0


def test_refresh_stores_a_newer_page(contract: published.Published, tmp_path: Path) -> None:
    output = tmp_path / "create-token.json"
    output.write_text(published.dumps(contract), encoding="utf-8")
    newer = tmp_path / "create-token.published.mdx"
    newer.write_text(page(_newer(contract)), encoding="utf-8")
    result = _refresh(str(newer), "--taken", "2027-02-03", "--output", str(output))
    assert result.returncode == 0, result.stderr
    stored = published.read(output)
    assert stored == replace(_newer(contract), taken="2027-02-03", source=output.name)
    assert stored.page == contract.page  # the address carries over


def test_refreshing_from_the_same_page_changes_nothing(
    contract: published.Published, tmp_path: Path
) -> None:
    output = tmp_path / "create-token.json"
    source = published.stored_file().read_text(encoding="utf-8")
    output.write_text(source, encoding="utf-8")
    same = tmp_path / "create-token.published.mdx"
    same.write_text(page(contract), encoding="utf-8")
    assert contract.taken is not None
    result = _refresh(str(same), "--taken", contract.taken, "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_text(encoding="utf-8") == source


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--taken", "2027-13-01"], "taken must be the date the page was taken"),
        (["--output", "{tmp}/new.json"], "give the page's address (--address URL)"),
    ],
)
def test_refresh_refuses_nonsense_in_one_sentence(
    contract: published.Published, tmp_path: Path, args: list[str], words: str
) -> None:
    output = tmp_path / "create-token.json"
    output.write_text(published.dumps(contract), encoding="utf-8")
    newer = tmp_path / "page.mdx"
    newer.write_text(page(contract), encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = _refresh(str(newer), "--output", str(output), *args)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("refresh-published: ") and words in line, line
    assert published.read(output) == replace(contract, source=output.name)
