"""Stock Schemathesis against the reference server on PostgreSQL: every built-in check but
positive_data_acceptance (business rules refuse some schema-valid bodies by design: a workspace
outside the caller's reach, an expires_at in the past). The real ``schemathesis run`` command,
configured by its flags alone.

Two runs on one server: the per-operation phases (examples, coverage, fuzzing) with 1,000
examples, and, when openapi.yaml declares links, the stateful phase with fewer scenarios: at 1,000
it alone takes about four minutes on CI's two cores. TOKEN_API_SCHEMATHESIS_EXAMPLES lowers the
first count for a quick local run; CI keeps the defaults.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.load import admin_token
from tests.support.databases import postgres_database
from tests.support.server import Server, init_demo
from token_api.contract.document import load_document, spec_path

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

EXAMPLES = int(os.environ.get("TOKEN_API_SCHEMATHESIS_EXAMPLES", "1000"))
STATEFUL_EXAMPLES = 100
SEED = "20261127"


@pytest.fixture(scope="module")
def reference(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    request.getfixturevalue("postgres_available")
    with postgres_database() as url:
        admin = admin_token(init_demo(url))
        log = tmp_path_factory.mktemp("schemathesis") / "server.log"
        with Server(url, log=log) as server:
            yield {"url": server.url, "admin": admin}


def _schemathesis(reference: dict[str, Any], cwd: Path, *options: str) -> None:
    admin = reference["admin"]
    result = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "run", str(spec_path()),
            "--url", reference["url"],
            "-H", f"Authorization: Bearer {admin}",
            "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--seed", SEED, "--no-color", *options,
        ],
        capture_output=True, text=True, timeout=900, cwd=cwd,
    )  # fmt: skip
    # Schemathesis masks Authorization in its report; this makes sure, whatever it prints.
    output = (result.stdout + result.stderr).replace(admin, "api_<redacted>")
    assert result.returncode == 0, output[-6000:]
    assert "No issues found" in output, output[-6000:]


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


@pytest.mark.timeout(900)
def test_stock_schemathesis_stateful_phase_finds_no_failure(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    if not _has_links():
        pytest.skip("openapi.yaml declares no links: Schemathesis has no stateful phase to run")
    _schemathesis(
        reference, tmp_path, "--phases", "stateful", "--max-examples", str(STATEFUL_EXAMPLES)
    )
