"""The suite's groups hold: a module marked ``xdist_group`` runs on one worker (addopts'
``--dist=loadgroup``), so that its session fixtures are built once. test_broken's conformance runs
are session-wide: a second worker that got one of its tests would run all 62 of them again.

pytest-xdist groups by appending ``@group`` to each item's node id in the worker; pytest 9.2 took
the node id from elsewhere and the groups were silently lost (the suite took 40% longer). This
fails, in one sentence, when an upgrade does that again.
"""

from __future__ import annotations

import os

import pytest

GROUP = "workers"
pytestmark = pytest.mark.xdist_group(GROUP)


def test_a_grouped_module_runs_on_one_worker(request: pytest.FixtureRequest) -> None:
    # A worker's options say "loadgroup" thus (xdist's remote.py); -n 0 has no workers.
    if "PYTEST_XDIST_WORKER" not in os.environ or not getattr(
        request.config.option, "loadgroup", False
    ):
        pytest.skip("only the suite's workers (--dist=loadgroup) group tests")
    assert request.node.nodeid.endswith(f"@{GROUP}"), (
        f"pytest {pytest.__version__} with pytest-xdist no longer groups tests: the node id "
        f"{request.node.nodeid!r} lacks xdist's '@{GROUP}' suffix, so every xdist_group module "
        "is spread over the workers (pin pytest and pytest-xdist where they still group)"
    )
