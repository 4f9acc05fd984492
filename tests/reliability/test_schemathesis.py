"""Stock Schemathesis against the reference server on PostgreSQL: every built-in check but
positive_data_acceptance (business rules refuse some schema-valid bodies by design: a workspace
outside the caller's reach, an expires_at in the past). The real ``schemathesis run`` command,
with no check or hook of ours; only its credentials come from a hooks module
(``token_api.conformance.schemathesis_auth``): the ADMIN user's session, set where a case has no
``Authorization``. A ``-H Authorization`` flag would replace the header the OpenAPI link puts on
each stateful step, so the link would never be exercised.

Two runs on one server: the per-operation phases (examples, coverage, fuzzing) with 1,000
examples, and the stateful phase with fewer scenarios: at 1,000 it alone takes about four minutes
on CI's two cores. TOKEN_API_SCHEMATHESIS_EXAMPLES lowers the first count for a quick local run;
CI keeps the defaults.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import postgres_database
from tests.support.server import Server, init_demo
from token_api.conformance.schemathesis_run import ENV_TOKEN
from token_api.contract.document import load_document, spec_path

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

EXAMPLES = int(os.environ.get("TOKEN_API_SCHEMATHESIS_EXAMPLES", "1000"))
STATEFUL_EXAMPLES = 100
SEED = "20261127"
AUTH_HOOKS = "token_api.conformance.schemathesis_auth"
API_KEY_REFUSED = b"API keys can't be used to create, modify, or delete API tokens."


@pytest.fixture(scope="module")
def reference(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    request.getfixturevalue("postgres_available")
    with postgres_database() as url:
        demo = init_demo(url)
        admin = next(u["session"] for u in demo["users"] if u["organization_role"] == "ADMIN")
        log = tmp_path_factory.mktemp("schemathesis") / "server.log"
        with Server(url, log=log) as server:
            yield {"url": server.url, "admin": admin}


def _events(stream: Any, into: list[dict[str, Any]]) -> None:
    for line in stream:
        event = json.loads(line)
        if isinstance(event, dict):
            into.append(event)


def _schemathesis(reference: dict[str, Any], cwd: Path, *options: str) -> list[dict[str, Any]]:
    """Run it; the NDJSON report's events, read from a pipe (the responses hold minted keys,
    which must not be written to disk)."""
    admin = reference["admin"]
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "schemathesis.cli", "run", str(spec_path()),
            "--url", reference["url"],
            "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            # The hooks module sets Authorization; a generated one would take its place.
            "--generation-with-security-parameters", "false",
            "--report", "ndjson", "--report-ndjson-path", f"/dev/fd/{write_fd}",
            "--seed", SEED, "--no-color", *options,
        ],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd, pass_fds=(write_fd,),
        env={**os.environ, "SCHEMATHESIS_HOOKS": AUTH_HOOKS, ENV_TOKEN: admin},
    )  # fmt: skip
    os.close(write_fd)
    events: list[dict[str, Any]] = []
    with open(read_fd, "rb") as report:
        reader = threading.Thread(target=_events, args=(report, events), daemon=True)
        reader.start()
        output, _ = process.communicate(timeout=900)
        reader.join(timeout=60)
    # Schemathesis masks Authorization in its report; this makes sure, whatever it prints.
    output = output.replace(admin, "<redacted session>")
    assert process.returncode == 0, output[-6000:]
    assert "No issues found" in output, output[-6000:]
    return events


@pytest.mark.timeout(900)
def test_stock_schemathesis_with_1000_examples_finds_no_failure(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    _schemathesis(
        reference, tmp_path,
        "--phases", "examples,coverage,fuzzing", "--max-examples", str(EXAMPLES),
    )  # fmt: skip


def _has_links() -> bool:
    operations = load_document()["paths"].values()
    return any(
        "links" in answer
        for operation in operations
        for method in operation.values()
        if isinstance(method, dict)
        for answer in method.get("responses", {}).values()
    )


def _link_steps(events: list[dict[str, Any]]) -> list[tuple[int, bytes]]:
    """(status, body) of each stateful step whose request the link filled in."""
    steps = []
    for event in events:
        recorder = (event.get("ScenarioFinished") or {}).get("recorder") or {}
        interactions = recorder.get("interactions") or {}
        for case_id, node in (recorder.get("cases") or {}).items():
            response = (interactions.get(case_id) or {}).get("response")
            if node.get("is_transition_applied") and response:
                content = response.get("content")
                body = base64.b64decode(content["$base64"]) if isinstance(content, dict) else b""
                steps.append((response["status_code"], body))
    return steps


@pytest.mark.timeout(900)
def test_stock_schemathesis_stateful_phase_finds_no_failure(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    assert _has_links(), "openapi.yaml declares the MintedTokenAuthenticates link"
    events = _schemathesis(
        reference, tmp_path, "--phases", "stateful", "--max-examples", str(STATEFUL_EXAMPLES)
    )
    # The link was followed: the key minted by one step was the next step's bearer, and Create
    # Token refused it as the API key it is (not as an unknown credential, not by minting).
    steps = _link_steps(events)
    refused_keys = [status for status, body in steps if status == 403 and API_KEY_REFUSED in body]
    assert len(refused_keys) > 10, steps[:5]
    assert not any(200 <= status < 300 or status == 401 for status, _ in steps), steps
