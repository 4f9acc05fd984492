"""The conformance checks as pytest tests.

Enable it with ``-p token_api.conformance.pytest_plugin`` (or the package's ``pytest11`` entry
point) and write one test::

    def test_token_api(token_api_check):
        token_api_check.assert_passed()

    def test_token_api_rules(token_api_rule):
        token_api_rule.assert_covered()

``pytest --base-url URL --conformance-identities ids.json`` (or ``--token SESSION``, the ADMIN
user's session) then runs the first test once per check, named after it: it passes, fails (with
the first counter-example) or is skipped (with the reason) as the check did; and the second once
per rule of the contract: failed when a check of it failed, skipped when the run could not probe
it (failed instead with ``--conformance-require-coverage``). The run itself happens once per
session; the ``token_api_conformance`` fixture is its Report, and the terminal summary says what
it covered.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from token_api.conformance.defaults import ENV_TOKEN

if TYPE_CHECKING:
    from token_api.conformance.coverage import RuleCoverage
    from token_api.conformance.results import CheckResult, Report


def check_names() -> list[str]:
    from token_api.conformance import registry

    return [check.name for check in registry.checks()] + [registry.ERRORS.name]


def rule_ids() -> list[str]:
    from token_api.contract.document import load_document
    from token_api.spectools.openapi import contract_rules

    return [rule.id for rule in contract_rules(load_document())]


def _add(group: Any, name: str, **kwargs: Any) -> None:
    # Another plugin (pytest-base-url) may define the option already: its value serves as well.
    with contextlib.suppress(ValueError):
        group.addoption(name, **kwargs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("token-api conformance")
    _add(group, "--base-url", dest="base_url", metavar="URL", help="the Token API's root URL")
    _add(
        group,
        "--token",
        dest="token_api_token",
        metavar="SESSION",
        help=f"an ADMIN user's session of that deployment (default: ${ENV_TOKEN})",
    )
    group.addoption(
        "--conformance-identities",
        metavar="FILE",
        help="the users and their sessions, as `token-api init --demo --json` prints them",
    )
    group.addoption(
        "--conformance-key-probe",
        metavar="'METHOD PATH'",
        help="an endpoint of the deployment that takes API keys",
    )
    group.addoption(
        "--conformance-workspace",
        action="append",
        default=[],
        metavar="NAME",
        help="an existing workspace (repeat)",
    )
    group.addoption("--conformance-max-examples", type=int, metavar="N")
    group.addoption("--conformance-seed", type=int, metavar="N")
    group.addoption("--conformance-rate-limit", metavar="R")
    group.addoption("--conformance-report", metavar="FILE", help="also write .html, .md or .json")
    group.addoption(
        "--conformance-allow-long-lived-tokens",
        action="store_true",
        help="send generated bodies as they are (keys may never expire); checks default lifetimes",
    )
    group.addoption(
        "--conformance-require-coverage",
        action="store_true",
        help="a rule the run could not probe fails its test instead of being skipped",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "token_api_check" in metafunc.fixturenames:
        names = check_names()
        metafunc.parametrize("token_api_check", names, ids=names, indirect=True)
    if "token_api_rule" in metafunc.fixturenames:
        ids = rule_ids()
        metafunc.parametrize("token_api_rule", ids, ids=ids, indirect=True)


@pytest.fixture(scope="session")
def token_api_conformance(request: pytest.FixtureRequest) -> Report:
    from token_api.conformance import report as reports
    from token_api.conformance.runner import ConformanceError, Options, run

    config = request.config
    base_url = config.getoption("base_url", default=None)
    token = config.getoption("token_api_token", default=None) or os.environ.get(ENV_TOKEN)
    identities = config.getoption("conformance_identities")
    if not base_url or not (token or identities):
        pytest.skip(
            "token-api conformance needs --base-url, and --token or --conformance-identities"
        )
    options = Options(
        base_url=base_url,
        token=token or None,
        identities=Path(identities) if identities else None,
        key_probe=config.getoption("conformance_key_probe"),
        workspaces=tuple(config.getoption("conformance_workspace")),
        max_examples=config.getoption("conformance_max_examples"),
        seed=config.getoption("conformance_seed"),
        rate_limit=config.getoption("conformance_rate_limit"),
        allow_long_lived_tokens=config.getoption("conformance_allow_long_lived_tokens"),
        require_coverage=config.getoption("conformance_require_coverage"),
    )
    try:
        result = run(options)
    except ConformanceError as error:
        pytest.fail(f"token-api conformance could not run: {error}", pytrace=False)
    path = config.getoption("conformance_report")
    if path:
        reports.write(result, Path(path))
    config.stash[_COVERAGE] = result.coverage.summary()
    return result


_COVERAGE = pytest.StashKey[list[str]]()


@pytest.fixture
def token_api_check(request: pytest.FixtureRequest, token_api_conformance: Report) -> CheckResult:
    from token_api.conformance import registry
    from token_api.conformance.results import CheckResult, Verdict

    name: str = request.param
    result = token_api_conformance.result(name)
    if result is None:
        # Only Schemathesis errors are listed when they happen; their absence is a pass.
        check = registry.get(name)
        return CheckResult(
            name, check.source, check.description, check.rules, Verdict.PASS, 0, 0, None, None
        )
    if result.verdict is Verdict.SKIP:
        pytest.skip(result.line)
    return result


@dataclass(frozen=True)
class RuleOutcome:
    """A rule of the contract as the run covered it."""

    coverage: RuleCoverage
    required: bool  # --conformance-require-coverage

    def assert_covered(self) -> None:
        """Fail when a check of the rule failed; skip (or, when coverage is required, fail) when
        the run sent it no probe."""
        __tracebackhide__ = True
        rule = self.coverage
        if rule.result == "fail":
            raise AssertionError(f"{rule.id}: failed ({', '.join(rule.checks)}): {rule.text}")
        if rule.result == "client":
            pytest.skip(f"{rule.id}: {rule.reason}")
        if rule.result == "unchecked":
            message = f"{rule.id}: unchecked ({rule.reason})"
            if self.required:
                raise AssertionError(message)
            pytest.skip(message)


@pytest.fixture
def token_api_rule(request: pytest.FixtureRequest, token_api_conformance: Report) -> RuleOutcome:
    rule_id: str = request.param
    covered = next(rule for rule in token_api_conformance.coverage.rules if rule.id == rule_id)
    required = bool(request.config.getoption("conformance_require_coverage"))
    return RuleOutcome(covered, required)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(_COVERAGE, None)
    if lines:
        terminalreporter.section("token-api conformance coverage")
        for line in lines:
            terminalreporter.write_line(line)
