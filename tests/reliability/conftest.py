"""The reliability part of the suite: faults, hostile input, several servers on one database."""

from __future__ import annotations

import pytest

# Until pyproject.toml registers it, register the marker here so --strict-markers stays usable.
MARKER = "reliability: faults, load, hostile input and limits (issue #6)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
