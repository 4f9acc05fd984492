"""openapi.yaml keeps the vendor's published schemas key for key."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from token_api.contract.document import load_document, spec_path
from token_api.spectools import published

CONTRACT = published.find_contract(spec_path())


@pytest.fixture(scope="module")
def page() -> str:
    if CONTRACT is None:
        pytest.skip(f"no shared/contract/{published.PAGE_NAME} above {spec_path()}")
    return (CONTRACT / published.PAGE_NAME).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


def _messages(differences: list[published.Difference]) -> list[str]:
    return [f"{d.pointer}: {d.message}" for d in differences]


def test_the_page_is_found_beside_the_repository() -> None:
    beside = Path(__file__).resolve().parents[3] / "shared" / "contract"
    assert published.find_contract(spec_path()) == beside


def test_request_and_responses_are_the_published_ones(page: str, document: dict[str, Any]) -> None:
    assert _messages(published.compare(document, page)) == []


def test_a_changed_published_value_is_caught(page: str, document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["CreateToken"]["properties"]["expires"]["default"] = False
    assert _messages(published.compare(changed, page)) == [
        "/components/schemas/CreateToken/properties/expires/default: is False, published True"
    ]


def test_a_removed_published_key_is_caught(page: str, document: dict[str, Any]) -> None:
    changed = copy.deepcopy(document)
    del changed["components"]["schemas"]["ValidationError"]["properties"]["ctx"]
    assert _messages(published.compare(changed, page)) == [
        "/components/schemas/ValidationError/properties/ctx: is published but missing"
    ]


def test_the_request_schema_is_not_narrowed(page: str, document: dict[str, Any]) -> None:
    """Only the published keys: any added constraint would refuse a vendor-conforming body."""
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["CreateToken"]["properties"]["name"]["maxLength"] = 256
    assert _messages(published.compare(changed, page)) == [
        "/components/schemas/CreateToken/properties/name/maxLength: is not in the published schema"
    ]


def test_responses_may_add_to_the_published_schema(page: str, document: dict[str, Any]) -> None:
    assert (
        "pattern" in document["components"]["schemas"]["APITokenResult"]["properties"]["api_token"]
    )
    assert published.compare(document, page) == []
