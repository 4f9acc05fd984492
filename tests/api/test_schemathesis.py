"""Stock Schemathesis finds nothing against the reference server (every built-in check but
positive_data_acceptance: business rules refuse some schema-valid bodies, by design)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from token_api.contract.document import spec_path


def test_stock_schemathesis_finds_no_failure(deployment: dict[str, Any], tmp_path: Path) -> None:
    users = deployment["demo"]["users"]
    admin = next(u["session"] for u in users if u["organization_role"] == "ADMIN")
    result = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "run", str(spec_path()),
            "--url", deployment["server"].url,
            "-H", f"Authorization: Bearer {admin}",
            "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--max-examples", "150", "--seed", "20261127",
        ],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    output = (result.stdout + result.stderr).replace(admin, "ses_<redacted>")
    assert result.returncode == 0, output[-5000:]
    assert "No issues found" in output
