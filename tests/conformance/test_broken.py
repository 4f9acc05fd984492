"""Deliberately broken servers: each defect makes the run exit 1 with the right check failing.

The broken server is a proxy in front of the reference server (broken/app.py) that breaks one
rule per path prefix. A defect that no check catches is a bug in the command. The runs are short
(--max-examples 2, only the phase that meets the defect) and use the identities file
`token-api init --demo --json` printed, as a user would. They run two at a time, as soon as the
first of these tests needs one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conformance.conftest import Deployment, Run, assert_no_secret, conformance
from token_api.conformance.catalogue import API_RULES, PHASES

pytestmark = pytest.mark.slow

# Where Schemathesis first meets each defect: a run needs only that phase (the scenarios run
# whatever the phases); "none" runs them all, through the proxy.
EXAMPLES, COVERAGE, STATEFUL = "examples", "coverage", "stateful"
ALL_PHASES = ",".join(PHASES)
# The broken proxy's stand-in for an endpoint that reads with an API key (see broken/app.py).
KEY_PROBE = ("--key-probe", "GET /_key_probe")


@dataclass(frozen=True)
class Expected:
    checks: tuple[str, ...]  # that must fail: ours first, then Schemathesis's where one applies
    phases: str = EXAMPLES
    examples: int = 2
    extra: tuple[str, ...] = ()
    defect: str | None = None  # the proxy's path, when the run's name is not it


DEFECTS: dict[str, Expected] = {
    "wrong_prefix": Expected(("token_format", "response_schema_conformance")),
    "non_uuid_id": Expected(("token_format", "response_schema_conformance")),
    "missing_field": Expected(("token_format", "response_schema_conformance")),
    "status_201": Expected(("documented_status", "status_code_conformance")),
    "text_plain": Expected(("json_content_type", "content_type_conformance")),
    # 400 is documented (the HTTP layer's answer to a malformed message), so Schemathesis sees
    # the 422 body under the 400's schema rather than an undocumented status.
    "status_400": Expected(("documented_status", "response_schema_conformance"), COVERAGE),
    "problem_json": Expected(("error_body_shape", "content_type_conformance"), COVERAGE),
    "server_error": Expected(("no_server_error", "not_a_server_error"), COVERAGE),
    "enum_accepted": Expected(("negative_data_rejection",), COVERAGE),
    "date_accepted": Expected(("negative_data_rejection",), COVERAGE),
    "type_accepted": Expected(("negative_data_rejection",), COVERAGE),
    "auth_ignored": Expected(("credentials_required", "ignored_auth")),
    # A few more examples: the stateful phase follows a link only after a 200.
    "token_not_authenticating": Expected(("token_authenticates",), STATEFUL, examples=5),
    # With --key-probe, the probe's 401 is the evidence instead of Create Token's.
    "token_not_authenticating+key_probe": Expected(
        ("token_authenticates",), extra=KEY_PROBE, defect="token_not_authenticating"
    ),
    "key_lagging": Expected(("token_authenticates",), STATEFUL, examples=5),
    "key_can_mint": Expected(("api_key_cannot_mint",), STATEFUL, examples=5),
    "past_expiry_accepted": Expected(("expiry_rules",)),
    "surrogate_crash": Expected(("hostile_bodies", "no_server_error")),
    # A dropped connection fails the check (the run goes on): it is not a reason to exit 2.
    "hangs_up_on_nan": Expected(("hostile_bodies",)),
    "repeated_tokens": Expected(("tokens_unique",)),
    "role_escalation": Expected(("no_wider_role",)),
    "service_escalation": Expected(("no_service_token",)),
    "workspace_escalation": Expected(("no_workspace_outside_reach",)),
    "expired_accepted": Expected(("expired_token_refused",)),
    "no_www_authenticate": Expected(("credentials_required",)),
}


# Runs of the proxy that break nothing: they must pass, with every check on.
CLEAN = {
    "none": Expected((), ALL_PHASES),
    "none+key_probe": Expected((), ALL_PHASES, extra=KEY_PROBE, defect="none"),
}


def _run(base: str, deployment: Deployment, name: str, folder: Path) -> Run:
    expected = DEFECTS.get(name) or CLEAN[name]
    return conformance(
        "--base-url", f"{base}/{expected.defect or name}",
        "--identities", str(deployment.identities),
        "--max-examples", str(expected.examples),
        "--seed", "1",
        "--phases", expected.phases,
        *expected.extra,
        folder=folder,
    )  # fmt: skip


def _defect(item: pytest.Item) -> str | None:
    """The defect a selected test of this module needs a run of."""
    module, callspec = getattr(item, "module", None), getattr(item, "callspec", None)
    if module is None or module.__name__ != __name__ or callspec is None:
        return None
    defect = callspec.params.get("defect")
    return defect if isinstance(defect, str) else None


@pytest.fixture(scope="session")
def broken_runs(
    request: pytest.FixtureRequest,
    broken: str,
    reference: Deployment,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Future[Run]]]:
    """One run per selected defect, started together on two workers."""
    # In the order the tests ask for them.
    wanted = dict.fromkeys(d for d in map(_defect, request.session.items) if d is not None)
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {
            defect: pool.submit(_run, broken, reference, defect, tmp_path_factory.mktemp(defect))
            for defect in wanted
        }


@pytest.mark.parametrize("defect", sorted(CLEAN))
def test_the_proxy_breaks_nothing_by_itself(
    defect: str, broken_runs: dict[str, Future[Run]]
) -> None:
    run = broken_runs[defect].result()
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.failed() == set()
    # No check of the API's rules is skipped for want of a caller (or of anything else).
    for info in API_RULES:
        assert run.verdicts[info.name] == "passed", (info.name, run.messages.get(info.name))


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_fails_the_run_on_its_check(
    defect: str, broken_runs: dict[str, Future[Run]], reference: Deployment
) -> None:
    run = broken_runs[defect].result()
    assert run.exit_code == 1, run.stdout + run.stderr
    missing = set(DEFECTS[defect].checks) - run.failed()
    assert not missing, f"{defect} was not caught by {missing}:\n{run.stdout}"
    # The console names the check and shows a counter-example to replay, credential redacted.
    ours = DEFECTS[defect].checks[0]
    row = next(line for line in run.stdout.splitlines() if line.startswith(ours + " "))
    assert " FAIL " in row
    assert "curl -X" in run.stdout
    assert_no_secret(run, reference)


def _failures(run: Run, check: str) -> int:
    report = json.loads(run.files["report.json"])
    return int(next(c for c in report["checks"] if c["name"] == check)["failures"])


@pytest.mark.parametrize(
    ("defect", "check"),
    [("token_not_authenticating", "token_authenticates"), ("key_can_mint", "api_key_cannot_mint")],
)
def test_stateful_links_present_the_minted_key(
    defect: str,
    check: str,
    broken_runs: dict[str, Future[Run]],
    broken: str,
    reference: Deployment,
    tmp_path: Path,
) -> None:
    """Beyond the scenarios' own calls, Schemathesis's stateful steps (the OpenAPI link from
    createToken's answer to the next call's bearer) presented minted keys, and were judged: the
    stateful run fails more cases than a run of the scenarios alone (the examples phase has no
    link to follow)."""
    stateful = _failures(broken_runs[defect].result(), check)
    scenarios_only = conformance(
        "--base-url", f"{broken}/{defect}", "--identities", str(reference.identities),
        "--max-examples", "1", "--seed", "1", "--phases", EXAMPLES, folder=tmp_path,
    )  # fmt: skip
    assert 0 < _failures(scenarios_only, check) < stateful
