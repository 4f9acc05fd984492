"""The ``token-api`` command: in a subprocess, as a user runs it, or in this process through the
CLI's own ``main`` (for tests whose subject is what a command decides, not how a process starts:
a command's process costs about 0.45 s of CPU, docs/testing.md)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from token_api.cli import main


def token_api(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "token_api", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@contextlib.contextmanager
def _environment(env: dict[str, str | None]) -> Iterator[None]:
    """``env`` set (None: unset) for the duration."""
    saved = {name: os.environ.get(name) for name in env}
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def token_api_here(
    *args: str, cwd: Path | None = None, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """``token_api`` in this process: the same ``main``, arguments, folder and environment (a
    variable given None is unset); its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(_environment(env or {}))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
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
