"""The docs a server serves (Swagger UI at /docs) try requests on that server, whatever its port;
the contract it serves (/openapi.yaml, /openapi.json) is the file, with the platform's URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

import httpx
import pytest
import yaml

from tests.support.api import check_contract
from tests.support.databases import sqlite_url
from tests.support.server import Server, cli
from token_api.contract.document import load_document, spec_path

PLATFORM = "https://api.cloud.deepset.ai"


# One worker builds this module's server once (docs/testing.md, "Workers").
pytestmark = pytest.mark.xdist_group("docs")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    database = sqlite_url(tmp_path_factory.mktemp("docs"))
    cli("init", database=database)
    with Server(database) as server:
        assert server.port != 8000  # the port `serve` defaults to, and the spec file names
        yield server


def _page_spec_url(base: str) -> str:
    """The address of the document Swagger UI renders, read from the page as a browser would."""
    page = httpx.get(f"{base}/docs", follow_redirects=True, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    (url,) = re.findall(r"SwaggerUIBundle\(\{\s*url: \"([^\"]+)\"", page.text)
    return urljoin(str(page.url), url)


def _swagger_ui_base(spec_url: str, server_url: str) -> str:
    """What Swagger UI 5 sends "Try it out" to: the server's URL resolved against the
    document's address, without a trailing slash (swagger-client's buildOas3UrlWithContext)."""
    return urljoin(spec_url, server_url).rstrip("/")


def test_try_it_out_defaults_to_the_server_serving_the_page(
    server: Server,
) -> None:
    spec_url = _page_spec_url(server.url)
    document = httpx.get(spec_url, timeout=10).json()
    base = _swagger_ui_base(spec_url, document["servers"][0]["url"])
    assert base == server.url
    answer = httpx.post(f"{base}/api/v1/token", json={}, timeout=10)
    assert answer.status_code == 401  # this server's answer, documented
    check_contract(server.url, answer)


def test_the_page_offers_the_contracts_servers_after_its_own(
    server: Server,
) -> None:
    document = httpx.get(_page_spec_url(server.url), timeout=10).json()
    contract = load_document()
    assert document["servers"][1:] == contract["servers"]
    assert {**document, "servers": contract["servers"]} == contract


def test_the_contract_is_served_as_written(server: Server) -> None:
    raw = httpx.get(f"{server.url}/openapi.yaml", timeout=10)
    assert raw.content == spec_path().read_bytes()
    as_json = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    assert as_json == yaml.safe_load(raw.content)
    assert as_json["servers"][0]["url"] == PLATFORM


def test_swagger_ui_assets_are_served(server: Server) -> None:
    page = httpx.get(f"{server.url}/docs/", timeout=10).text
    for asset in re.findall(r"(?:src|href)=\"(/docs/static/[^\"]+)\"", page):
        assert httpx.get(server.url + asset, timeout=10).status_code == 200, asset


def test_the_summary_is_plain_text() -> None:
    """Swagger UI shows info.summary as it is: Markdown would show as its punctuation."""
    summary = load_document()["info"]["summary"]
    assert not re.search(r"`|\*\*|__|\]\(|^#|<[a-z]", summary), summary
