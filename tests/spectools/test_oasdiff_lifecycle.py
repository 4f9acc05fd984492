"""oasdiff's own tests of deprecation, sunset and stability, run against ``token-api diff``.

Each case of ``oasdiff_lifecycle/cases.yaml`` is one Go test: two fixtures (copied from oasdiff,
see NOTICE.md there), the edits the test makes in code, the policy it configures, and what it
asserts. oasdiff's tests run one check at a time, so token-api's verdict is taken over the rules
that correspond to that check (``SCOPES``); a test that runs every check is compared on every
change. A case agrees when the levels agree (ERR: breaking, WARN: possibly breaking, INFO or
nothing: not breaking), or, for a test that requires or forbids one rule, when token-api's
counterpart (``COUNTERPARTS``) is reported or not. Every disagreement is deliberate and listed
in ``DIFFERENCES`` with its reason (docs/gate.md shows the same list).

    python -m tests.spectools.test_oasdiff_lifecycle   # the table, and how many agree
"""

from __future__ import annotations

import copy
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from token_api.spectools.diff import Change, Level, diff_documents
from token_api.spectools.diff.lifecycle import Policy, utc_today
from token_api.spectools.loading import load_file
from token_api.spectools.pointers import unescape

HERE = Path(__file__).resolve().parent / "oasdiff_lifecycle"
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))

_ALWAYS = {"sunset-unreadable", "stability-unreadable"}  # oasdiff reports these under any check


def _lifecycle(thing: str) -> set[str]:
    return {
        f"{thing}-deprecated",
        f"{thing}-deprecated-without-sunset",
        f"{thing}-sunset-too-soon",
        f"{thing}-reactivated",
    }


# oasdiff's check → the token-api rules it corresponds to (None: every rule).
SCOPES: dict[str, set[str] | None] = {
    "all": None,
    "operation-deprecation": _lifecycle("operation") | _ALWAYS,
    "operation-sunset": {"operation-sunset-too-soon", "operation-sunset-removed"} | _ALWAYS,
    "operation-removal": {
        "operation-removed",
        "path-removed",
        "operation-removed-after-sunset",
        "operation-removed-before-sunset",
    }
    | _ALWAYS,
    "parameter-deprecation": _lifecycle("request-parameter") | _ALWAYS,
    "parameter-sunset": {"request-parameter-sunset-too-soon", "request-parameter-sunset-removed"}
    | _ALWAYS,
    "parameter-removal": {
        "request-parameter-removed",
        "request-parameter-removed-after-sunset",
        "request-parameter-removed-before-sunset",
    }
    | _ALWAYS,
    "request-property-deprecation": _lifecycle("request-property") | _ALWAYS,
    "response-property-deprecation": _lifecycle("response-property") | _ALWAYS,
    # The check called directly, without the stability policy CheckBackwardCompatibility runs.
    "request-property-deprecation-alone": _lifecycle("request-property") | {"sunset-unreadable"},
    "response-property-deprecation-alone": _lifecycle("response-property") | {"sunset-unreadable"},
}

# oasdiff's rule → token-api's, for the tests that require or forbid one rule.
COUNTERPARTS = {
    "endpoint-deprecated-with-sunset": "operation-deprecated",
    "api-stability-decreased": "stability-decreased",
    "api-stability-increased": "stability-increased",
    "api-invalid-stability-level": "stability-unreadable",
    "request-property-stability-increased": "request-property-stability-increased",
    "request-property-stability-decreased": "request-property-stability-decreased",
    "response-property-stability-increased": "response-property-stability-increased",
    "response-property-stability-decreased": "response-property-stability-decreased",
}

_CLASSES = {"ERR": "breaking", "WARN": "possibly-breaking", "INFO": "not-breaking"}
_CLASSES["none"] = "not-breaking"

_NO_DATE = (
    "token-api: possibly breaking. Deprecating without a date, or withdrawing the date, breaks "
    "no client; what the notice policy forbids is removing the element before a sunset that "
    "left the notice, and that removal is breaking (operation-removed-before-sunset)"
)
DIFFERENCES = {
    "TestBreaking_DeprecationWithoutSunsetWithPolicy": _NO_DATE,
    "TestBreaking_ParameterDeprecationWithoutSunsetWithPolicy": _NO_DATE,
    "TestRequestPropertyDeprecation_WithoutSunsetWithPolicy": _NO_DATE,
    "TestResponsePropertyDeprecation_WithoutSunsetWithPolicy": _NO_DATE,
    "TestBreaking_SunsetDeletedForDeprecatedEndpoint": _NO_DATE,
    "TestBreaking_SunsetDeleted_WithSources": _NO_DATE,
    "TestBreaking_SunsetDeletedForDeprecatedParameter": _NO_DATE,
    "TestBreaking_SunsetDeletedForDeprecatedAndRenamedParameter": _NO_DATE,
    "TestBreaking_SunsetModifiedFromInvalidForDeprecatedEndpoint": (
        "token-api: not breaking. The new sunset is a date 9999-08-10, far past any notice; the "
        "old value that was not a date was reported when it was written"
    ),
    "TestBreaking_SunsetModifiedFromInvalidForDeprecatedParameter": (
        "token-api: not breaking, as for the operation's sunset"
    ),
}


def _value(value: Any, today: dt.date) -> Any:
    if isinstance(value, str) and value.startswith("@today+"):
        days = value.removeprefix("@today+")
        date = today + dt.timedelta(days=int(days.rstrip("T")))
        return f"{date.isoformat()}T12:00:00Z" if days.endswith("T") else date.isoformat()
    return value


def _edit(document: dict[str, Any], edit: dict[str, Any], today: dt.date) -> None:
    pointer = edit.get("set") or edit["delete"]
    *parents, last = [unescape(token) for token in pointer.lstrip("/").split("/")]
    node = document
    for token in parents:
        node = node[token]
    if "set" in edit:
        node[last] = _value(edit["value"], today)
    else:
        del node[last]


@cache
def _fixture(name: str) -> dict[str, Any]:
    return load_file(HERE / name).document


def changes(case: dict[str, Any], today: dt.date | None = None) -> list[Change]:
    today = today or utc_today()
    old, new = copy.deepcopy(_fixture(case["base"])), copy.deepcopy(_fixture(case["revision"]))
    for edit in case.get("edits", []):
        _edit(old if edit["spec"] == "base" else new, edit, today)
    beta, stable = case.get("days", [0, 0])
    policy = Policy(today, stable, beta, case.get("stability", "beta"))
    return diff_documents(old, new, policy)


def outcome(case: dict[str, Any]) -> tuple[bool, str]:
    """Whether token-api agrees with the test's assertion, and what token-api says."""
    found = changes(case)
    scope = SCOPES[case["check"]]
    relevant = [c for c in found if scope is None or c.rule in scope]
    asserted = case["oasdiff"]
    if "level" in asserted:
        level = max((c.level for c in relevant), default=Level.NOT_BREAKING)
        rules = ", ".join(sorted({c.rule for c in relevant if c.level is level})) or "nothing"
        return _CLASSES[asserted["level"]] == level.label, f"{level.label} ({rules})"
    wanted = COUNTERPARTS[asserted.get("reports") or asserted["omits"]]
    reported = wanted in {c.rule for c in found}
    said = f"{wanted} {'reported' if reported else 'not reported'}"
    return reported == ("reports" in asserted), said


def _expected(case: dict[str, Any]) -> str:
    asserted = case["oasdiff"]
    if "level" in asserted:
        rule = f" ({asserted['rule']})" if "rule" in asserted else ""
        return f"{asserted['level']}{rule}"
    verb = "reports" if "reports" in asserted else "omits"
    return f"{verb} {asserted[verb]}"


@pytest.mark.parametrize("case", CASES, ids=[case["test"] for case in CASES])
def test_oasdiffs_lifecycle_test(case: dict[str, Any]) -> None:
    agrees, said = outcome(case)
    if case["test"] in DIFFERENCES:
        assert not agrees, f"now agrees with oasdiff: remove it from DIFFERENCES ({said})"
    else:
        assert agrees, f"oasdiff: {_expected(case)}; token-api: {said}"


def test_every_difference_is_a_case() -> None:
    assert set(DIFFERENCES) <= {case["test"] for case in CASES}
    assert len({case["test"] for case in CASES}) == len(CASES)


def main() -> None:
    agreed = 0
    print("| oasdiff test | oasdiff | token-api |")
    print("|---|---|---|")
    for case in CASES:
        agrees, said = outcome(case)
        agreed += agrees
        if not agrees:
            print(f"| `{case['test']}` | {_expected(case)} | {said} |")
    print(f"\nagree {agreed}/{len(CASES)}")


if __name__ == "__main__":
    main()
