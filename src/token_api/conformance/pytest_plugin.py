"""The conformance checks as pytest tests.

Enable it with ``-p token_api.conformance.pytest_plugin`` (or the package's ``pytest11`` entry
point) and write one test::

    def test_token_api(token_api_check):
        token_api_check.assert_passed()

``pytest --base-url URL --conformance-identities ids.json`` (or ``--token SESSION``, the ADMIN
user's session) then runs that test once per check, named after it:
it passes, fails (with the first counter-example) or is skipped (with the reason) as the check did.
The run itself happens once per session; the ``token_api_conformance`` fixture is its Report.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest

from token_api.conformance import catalogue
from token_api.conformance.results import CheckResult, Report, Verdict

CHECK_NAMES = [info.name for info in catalogue.ALL] + [catalogue.ERRORS.name]


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
        help=f"an ADMIN user's session of that deployment (default: ${catalogue.ENV_TOKEN})",
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "token_api_check" in metafunc.fixturenames:
        metafunc.parametrize("token_api_check", CHECK_NAMES, ids=CHECK_NAMES, indirect=True)


@pytest.fixture(scope="session")
def token_api_conformance(request: pytest.FixtureRequest) -> Report:
    from token_api.conformance import report as reports
    from token_api.conformance.runner import ConformanceError, Options, run

    config = request.config
    base_url = config.getoption("base_url", default=None)
    token = config.getoption("token_api_token", default=None) or os.environ.get(catalogue.ENV_TOKEN)
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
    )
    try:
        result = run(options)
    except ConformanceError as error:
        pytest.fail(f"token-api conformance could not run: {error}", pytrace=False)
    path = config.getoption("conformance_report")
    if path:
        reports.write(result, Path(path))
    return result


@pytest.fixture
def token_api_check(request: pytest.FixtureRequest, token_api_conformance: Report) -> CheckResult:
    name: str = request.param
    result = token_api_conformance.result(name)
    if result is None:
        # Only Schemathesis errors are listed when they happen; their absence is a pass.
        info = catalogue.info(name)
        return CheckResult(name, info.source, info.description, Verdict.PASS, 0, 0, None, None)
    if result.verdict is Verdict.SKIP:
        pytest.skip(result.line)
    return result
