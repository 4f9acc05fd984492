"""openapi.yaml keeps the vendor's published schemas key for key."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from token_api.contract.document import load_document

PAGE = Path(__file__).resolve().parents[3] / "shared" / "contract" / "create-token.published.mdx"


def _embedded(attribute: str) -> dict[str, Any]:
    """The JSON object of ``attribute={{...}}`` in the MDX page."""
    text = PAGE.read_text(encoding="utf-8")
    start = re.search(rf"{attribute}=\{{", text)
    assert start, f"{attribute} not found in the published page"
    decoder = json.JSONDecoder()
    value, _ = decoder.raw_decode(text, start.end())
    return value  # type: ignore[no-any-return]


def _resolve(document: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(document, target)
        return {key: _resolve(document, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(document, item) for item in node]
    return node


def _assert_contains(published: Any, ours: Any, where: str = "") -> None:
    """Every key and value published is in ours, unchanged (ours may add keys)."""
    if isinstance(published, dict):
        assert isinstance(ours, dict), f"{where}: expected an object"
        for key, value in published.items():
            assert key in ours, f"{where}/{key} is missing"
            _assert_contains(value, ours[key], f"{where}/{key}")
    elif isinstance(published, list):
        assert isinstance(ours, list) and len(ours) == len(published), f"{where}: list differs"
        for index, (a, b) in enumerate(zip(published, ours, strict=True)):
            _assert_contains(a, b, f"{where}/{index}")
    else:
        assert published == ours, f"{where}: {ours!r} != published {published!r}"


@pytest.fixture(scope="module")
def operation() -> dict[str, Any]:
    if not PAGE.is_file():
        pytest.skip(f"the published page is not at {PAGE}")
    document = load_document()
    return _resolve(document, document["paths"]["/api/v1/token"]["post"])  # type: ignore[no-any-return]


def test_request_body_is_the_published_one(operation: dict[str, Any]) -> None:
    _assert_contains(_embedded("body"), operation["requestBody"], "requestBody")


def test_responses_are_the_published_ones(operation: dict[str, Any]) -> None:
    _assert_contains(_embedded("responses"), operation["responses"], "responses")


def test_request_schema_is_not_narrowed(operation: dict[str, Any]) -> None:
    """Only the published keys: any added constraint would refuse a vendor-conforming body."""
    published = _embedded("body")["content"]["application/json"]["schema"]
    ours = operation["requestBody"]["content"]["application/json"]["schema"]
    assert ours == published


def test_the_comparison_catches_a_change(operation: dict[str, Any]) -> None:
    changed = json.loads(json.dumps(operation["requestBody"]))
    changed["content"]["application/json"]["schema"]["properties"]["expires"]["default"] = False
    with pytest.raises(AssertionError, match="default"):
        _assert_contains(_embedded("body"), changed, "requestBody")
