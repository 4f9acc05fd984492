"""The contract layer over Connexion: fails loudly if an upgrade moves what it relies on."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from token_api.contract import connexion_compat
from token_api.contract.document import load_document


def test_connexion_is_the_pinned_version() -> None:
    assert version("connexion") == connexion_compat.PINNED_CONNEXION


def test_unpatched_connexion_refuses_our_document() -> None:
    """Why the patch exists; if this starts passing, the patch may be dropped."""
    code = (
        "from connexion.spec import Specification\n"
        "from token_api.contract.document import load_document\n"
        "try:\n"
        "    Specification.from_dict(load_document())\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "InvalidSpecification"


def test_patched_connexion_loads_the_31_document() -> None:
    from connexion.spec import Specification

    connexion_compat.install()
    spec = Specification.from_dict(load_document())
    assert spec.version == (3, 1, 0)
    operation = spec.get_operation("/api/v1/token", "post")
    assert operation["operationId"] == "createToken"


def test_patched_connexion_still_refuses_invalid_documents() -> None:
    from connexion.exceptions import InvalidSpecification
    from connexion.spec import Specification

    connexion_compat.install()
    document = load_document()
    document["paths"]["/api/v1/token"]["post"]["responses"] = "none"
    with pytest.raises(InvalidSpecification):
        Specification.from_dict(document)


def test_the_app_builds_with_our_extension_points(tmp_path: object) -> None:
    from token_api.server.app import create_app
    from token_api.server.settings import Settings

    app = create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db"))
    assert app is not None


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_server_imports_no_client_library_it_never_uses() -> None:
    loaded = _run(
        "import sys\n"
        "import token_api.server.app\n"
        "from token_api.contract.connexion_compat import DEFERRED_MODULES\n"
        "print(sorted(name for name in DEFERRED_MODULES if name in sys.modules))\n"
    )
    assert loaded == "[]"


def _database(path: Path) -> str:
    url = f"sqlite:///{path}"
    subprocess.run(
        [sys.executable, "-m", "token_api", "init", "--database", url],
        check=True,
        capture_output=True,
    )
    return url


def test_connexion_gets_the_real_client_libraries_on_first_use(tmp_path: Path) -> None:
    url = _database(tmp_path / "compat.db")
    output = _run(
        "import sys\n"
        "import token_api.server.app as server\n"
        "import connexion.apps.abstract, connexion.json_schema, connexion.security\n"
        "import httpx, requests, starlette.testclient\n"
        "assert connexion.security.httpx.AsyncClient is httpx.AsyncClient\n"
        "assert connexion.json_schema.requests.get is requests.get\n"
        "assert sys.modules['httpx'] is httpx and type(httpx).__name__ == 'module'\n"
        "from token_api.server.settings import Settings\n"
        f"app = server.create_app(Settings(database_url={url!r}))\n"
        "with app.test_client() as client:\n"
        "    assert isinstance(client, starlette.testclient.TestClient)\n"
        "    print(client.get('/health').json())\n"
    )
    assert output == "{'status': 'ok'}"


def test_client_libraries_imported_before_connexion_are_left_alone() -> None:
    output = _run(
        "import httpx, requests\n"
        "import token_api.server.app\n"
        "import connexion.security, connexion.json_schema\n"
        "print(connexion.security.httpx is httpx, connexion.json_schema.requests is requests)\n"
    )
    assert output == "True True"


def test_the_leaner_paths_answer_as_connexion_does(tmp_path: Path) -> None:
    """Through the real app: the bearer check's refusals, a routed request, a JSON answer."""
    url = _database(tmp_path / "lean.db")
    output = _run(
        "import token_api.server.app as server\n"
        "from token_api.server.settings import Settings\n"
        f"app = server.create_app(Settings(database_url={url!r}))\n"
        "with app.test_client() as client:\n"
        "    for headers in ({}, {'Authorization': 'Bearer'}, {'Authorization': 'Basic x'},\n"
        "                    {'Authorization': 'Bearer api_x'}):\n"
        "        answer = client.post('/api/v1/token', json={}, headers=headers)\n"
        "        print(answer.status_code, answer.json()['detail'])\n"
        "    health = client.get('/health')\n"
        "    print(health.status_code, health.headers['content-type'], health.json())\n"
    )
    assert output.splitlines() == [
        "401 No authorization token provided.",
        "401 Invalid authorization header.",
        "401 No authorization token provided.",
        "401 The token is not valid.",
        "200 application/json {'status': 'ok'}",
    ]
