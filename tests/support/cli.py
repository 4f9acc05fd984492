"""The ``token-api`` command: in a subprocess, as a user runs it, or in this process through the
CLI's own ``main`` (for tests whose subject is what a command decides, not how a process starts:
a command's process costs about 0.45 s of CPU, docs/testing.md)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from token_api.cli import main


def token_api(
    *args: str, cwd: Path | None = None, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """``token-api ARGS`` in a process of its own; ``env`` adds to the environment (a variable
    given None is unset)."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "token_api", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={name: value for name, value in environment.items() if value is not None},
    )


def token_api_here(
    *args: str, cwd: Path | None = None, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """``token_api`` in this process: the same ``main``, arguments, folder and environment; its
    exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        if cwd is not None:
            patch.chdir(cwd)
        for name, value in (env or {}).items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors, --help, --version
                code = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess(["token-api", *args], code, out.getvalue(), err.getvalue())


def assert_one_sentence(result: subprocess.CompletedProcess[str], exit_code: int = 1) -> str:
    assert result.returncode == exit_code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("token-api ")
    return lines[0]
