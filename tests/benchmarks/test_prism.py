"""The Prism comparison reads Prism's findings (its sl-violations header) as the contract's rule
ids: each kind Prism 5 reports, as it words it, maps to the rule token-api reports it under."""

from __future__ import annotations

from typing import Any

import pytest
from benchmarks.prism import compare, prism_rule

from benchmarks import proxy_traffic


def violation(location: list[str], code: Any, message: str) -> dict[str, Any]:
    return {"location": location, "severity": "Error", "code": code, "message": message}


@pytest.mark.parametrize(
    ("found", "rule"),
    [
        (violation(["request"], 401, "Invalid security scheme used"),
         ("request", "auth.credential-required")),
        (violation(["request"], 415, "Supported content types: application/json"),
         ("request", "body.media-type")),
        (violation(["request", "body", "expires"], "type",
                   "Request body property expires must be boolean"), ("request", "body.schema")),
        (violation(["response"], None, "Unable to match the returned status code with those "
                   "defined in the document: 200,400"), ("response", "response.status-documented")),
        (violation(["response", "header"], None, 'The received media type "text/plain" does not '
                   "match the one specified in the current response: application/json"),
         ("response", "response.json")),
        (violation(["response", "body", "api_token"], "pattern",
                   'Response body property api_token must match pattern "^api_"'),
         ("response", "response.schema")),
    ],
)  # fmt: skip
def test_prism_findings_map_to_rule_ids(found: dict[str, Any], rule: tuple[str, str]) -> None:
    assert prism_rule(found) == rule


def test_a_finding_of_prism_that_token_api_lacks_is_a_miss() -> None:
    steps = len(proxy_traffic.STEPS)
    prism: list[list[Any]] = [[] for _ in range(steps)]
    ours: list[Any] = [[] for _ in range(steps)]
    prism[1] = [violation(["response", "body", "api_token"], "pattern", "must match pattern")]
    assert compare(prism, ours)["missed"] == [
        {"step": proxy_traffic.STEPS[1].name, "prism": ("response", "response.schema")}
    ]
    ours[1] = [("response", "response.schema"), ("response", "key.format")]
    found = compare(prism, ours)
    assert found["missed"] == []
    assert found["only_token_api"] == {"key.format (response)": 1}


def test_a_body_judged_in_another_media_type_is_the_media_types_finding() -> None:
    steps = len(proxy_traffic.STEPS)
    prism: list[list[Any]] = [[] for _ in range(steps)]
    ours: list[Any] = [[] for _ in range(steps)]
    prism[0] = [
        violation(["response", "header"], None, "The received media type does not match"),
        violation(["response", "body"], "type", "Response body must be object"),
    ]
    ours[0] = [("response", "response.json")]
    assert compare(prism, ours)["missed"] == []
