"""``token-api stubs``: a new operation gets a skeleton that Connexion really serves (501), and
``stubs --check`` and ``lint`` keep reporting it until it is implemented."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.spectools.specs import REPOSITORY, our_spec, write
from tests.support.cli import token_api
from tests.support.http import TLS
from tests.support.server import free_port

MODULE = "copied_handlers"

WIDGET_OPERATION: dict[str, Any] = {
    "operationId": "createWidget",
    "summary": "Create a widget",
    "security": [],
    "parameters": [
        {"name": "shop_id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "dry-run", "in": "query", "schema": {"type": "boolean"}},
        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"name": {"type": "string"}}}
            }
        },
    },
    "responses": {
        "200": {
            "description": "The widget.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}

APP = f"""
from connexion import AsyncApp
from connexion.resolver import Resolver

import {MODULE}
from token_api.contract import connexion_compat
from token_api.contract.naming import handler_name

connexion_compat.install()  # Connexion 3.3 refuses OpenAPI 3.1 without it, as in create_app
app = AsyncApp(__name__)
app.add_api(
    "served.yaml",
    resolver=Resolver(function_resolver=lambda o: getattr({MODULE}, handler_name(o))),
)
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return token_api(*args, "--handlers-module", MODULE, cwd=cwd, env={"PYTHONPATH": str(cwd)})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Our spec plus createWidget, and a copy of the handlers module to generate into."""
    spec = our_spec()
    spec["paths"]["/shops/{shop_id}/widgets"] = {"post": copy.deepcopy(WIDGET_OPERATION)}
    write(tmp_path / "openapi.yaml", spec)
    handlers = (REPOSITORY / "src/token_api/server/handlers.py").read_text(encoding="utf-8")
    (tmp_path / f"{MODULE}.py").write_text(handlers, encoding="utf-8")
    return tmp_path


def test_check_lists_the_operation_without_handler(project: Path) -> None:
    result = run("stubs", "--check", cwd=project)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"createWidget: no handler create_widget() in {MODULE} (POST /shops/{{shop_id}}/widgets)",
        "1 operation(s) not implemented.",
    ]


def test_write_then_check_still_fails_on_the_stub(project: Path) -> None:
    written = run("stubs", "--write", cwd=project)
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith("Wrote create_widget() to ")
    source = (project / f"{MODULE}.py").read_text(encoding="utf-8")
    assert "from token_api.spectools.stubmark import generated_stub\n" in source
    assert (
        "@generated_stub\n"
        "async def create_widget(\n"
        "    shop_id: int,\n"
        "    body: dict[str, object],\n"
        "    dryrun: bool | None = None,\n"
        ") -> tuple[dict[str, str], int]:\n"
        '    """Create a widget\n'
    ) in source
    checked = run("stubs", "--check", cwd=project)
    assert checked.returncode == 1
    assert checked.stdout.splitlines()[0] == (
        f"createWidget: {MODULE}.create_widget() is a generated stub answering 501 "
        "(POST /shops/{shop_id}/widgets)"
    )
    again = run("stubs", "--write", cwd=project)
    assert again.stdout.startswith("Every operation already has a handler")
    assert (project / f"{MODULE}.py").read_text(encoding="utf-8") == source


def test_lint_reports_the_stub_and_its_undocumented_501(project: Path) -> None:
    assert run("stubs", "--write", cwd=project).returncode == 0
    result = run("lint", "openapi.yaml", "--format", "json", cwd=project)
    assert result.returncode == 1
    found = {(f["rule"], f["location"]) for f in json.loads(result.stdout)["findings"]}
    where = "/paths/~1shops~1{shop_id}~1widgets/post"
    assert ("handler-stub", f"{where}/operationId") in found
    assert ("status-documented", f"{where}/responses") in found


def test_generated_code_passes_ruff(project: Path) -> None:
    assert run("stubs", "--write", cwd=project).returncode == 0
    ruff = [sys.executable, "-m", "ruff"]
    module = str(project / f"{MODULE}.py")
    for command in (["check", "--select", "E,F,W,I,UP,RUF", module], ["format", "--diff", module]):
        result = subprocess.run([*ruff, *command], capture_output=True, text=True, cwd=REPOSITORY)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def served(project: Path) -> Iterator[str]:
    """uvicorn serving the widget operation through Connexion, resolved into the copy."""
    assert run("stubs", "--write", cwd=project).returncode == 0
    spec = our_spec()
    spec["paths"] = {"/shops/{shop_id}/widgets": {"post": copy.deepcopy(WIDGET_OPERATION)}}
    write(project / "served.yaml", spec)
    (project / "app.py").write_text(APP, encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port), "--log-level", "error"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                httpx.get(url, timeout=1, verify=TLS)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_stub_answers_501_through_connexion(served: str) -> None:
    response = httpx.post(
        f"{served}/shops/7/widgets?dry-run=true",
        json={"name": "w"},
        headers={"X-Trace": "t"},
        timeout=10,
    )
    assert response.status_code == 501
    assert response.json() == {"detail": "Not implemented"}
