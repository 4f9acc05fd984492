"""The spec tools stand apart from the reference server: they read its source by the layout it
declares (``token_api.server.layout``) and import nothing else of it, and the server imports
nothing of them."""

from __future__ import annotations

import ast
from pathlib import Path

import token_api

PACKAGE = Path(token_api.__file__).parent


def imported(package: str) -> set[tuple[str, str]]:
    """(module file, imported module) for every import in the package."""
    found = set()
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            relative = path.relative_to(PACKAGE).as_posix()
            found |= {(relative, name) for name in names}
    return found


def test_the_spec_tools_import_only_the_servers_layout() -> None:
    server = {
        (module, name)
        for module, name in imported("spectools")
        if name.startswith("token_api.server")
        and not name.startswith("token_api.server.layout")
        and name != "token_api.server"  # `from token_api.server import layout`
    }
    assert server == set()


def test_the_server_imports_nothing_of_the_spec_tools() -> None:
    for package in ("server", "contract", "domain", "storage"):
        assert {m for m in imported(package) if m[1].startswith("token_api.spectools")} == set()
