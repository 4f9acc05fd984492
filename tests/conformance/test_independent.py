"""No false alarm on a correct implementation the run did not come from.

tests/conformance/independent is the contract implemented again from openapi.yaml alone, with
FastAPI and pydantic, sharing no code with token_api (its own messages, its own key format,
pydantic's own 422 items). The run against it must pass, with every rule probed and every status
an outside client can cause observed, on more than one seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.conftest import REPO, conformance, serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def independent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The independent implementation's URL, and the identities file it wrote."""
    folder = tmp_path_factory.mktemp("independent")
    identities = folder / "identities.json"
    with serving(
        "tests.conformance.independent", "--identities", str(identities),
        log=folder / "server.log", health="/health",
    ) as url:  # fmt: skip
        yield url, identities


def test_the_independent_implementation_imports_nothing_of_token_api() -> None:
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (REPO / "tests/conformance/independent").glob("*.py")
    )
    assert "token_api" not in source


@pytest.mark.parametrize("seed", [11, 12])
def test_a_correct_implementation_passes_on_every_seed(
    seed: int, independent: tuple[str, Path], tmp_path: Path
) -> None:
    url, identities = independent
    run = conformance(
        "--base-url", url, "--identities", str(identities), "--seed", str(seed),
        "--max-examples", "25", "--allow-long-lived-tokens", "--require-coverage",
        folder=tmp_path,
    )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    report = json.loads(run.files["report.json"])
    results = {rule["id"]: rule["result"] for rule in report["coverage"]["rules"]}
    assert set(results.values()) == {"pass", "client"}, results
    assert "Rules: 40 of 40 probed." in run.stdout
