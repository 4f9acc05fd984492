"""The documentation site's generated pages (docs/reference/) match the code they come from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
GENERATE = REPOSITORY / "scripts" / "generate-docs.py"


def test_the_generated_pages_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATE), "--check"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_every_page_is_in_the_nav() -> None:
    """mkdocs build --strict (in .ci/run) refuses a page left out of the nav; the suite says so
    too, for whoever runs only the tests."""
    import yaml

    config = yaml.safe_load((REPOSITORY / "mkdocs.yml").read_text(encoding="utf-8"))

    def listed(entries: list[object]) -> set[str]:
        found: set[str] = set()
        for entry in entries:
            if isinstance(entry, str):
                found.add(entry)
            elif isinstance(entry, dict):
                for value in entry.values():
                    found |= listed(value) if isinstance(value, list) else {str(value)}
        return found

    docs = REPOSITORY / "docs"
    pages = {str(page.relative_to(docs)) for page in docs.rglob("*.md")}
    assert pages - listed(config["nav"]) == set()
