"""``--errors``: a request that breaks the contract is answered 422 by the proxy, naming the rule,
and never reaches the upstream; a correct one is forwarded as before."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx

from tests.conformance.conftest import Deployment
from tests.proxy import traffic
from tests.proxy.support import Proxy
from tests.support.http import TLS


def _arrived(broken: str) -> list[dict[str, object]]:
    """What reached the upstream through the broken proxy's recording path."""
    return httpx.get(f"{broken}/_requests/recorded", timeout=10).json()  # type: ignore[no-any-return]


def test_a_request_that_breaks_the_contract_never_reaches_the_upstream(
    broken: str, reference: Deployment, tmp_path: Path
) -> None:
    httpx.delete(f"{broken}/_requests/recorded", timeout=10)
    proxy = Proxy(f"{broken}/recorded", tmp_path, "--errors")
    refused = {}
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            good = traffic.mint(client, reference.admin, name="forwarded")
            assert good.status_code == 200
            key = good.json()["api_token"]
            refused["auth.api-key-forbidden"] = traffic.mint(client, key)
            refused["body.schema"] = traffic.mint(client, reference.admin, organization_role=7)
            refused["auth.credential-required"] = client.post(
                traffic.TOKEN, json={}, headers={"Content-Type": "application/json"}
            )
            text = {**traffic.bearer(reference.admin), "Content-Type": "text/plain"}
            refused["body.media-type"] = client.post(traffic.TOKEN, content=b"{}", headers=text)
            assert client.get("/health").status_code == 200
    finally:
        stopped = proxy.stop()
    for rule, answer in refused.items():
        assert answer.status_code == 422, (rule, answer.text)
        assert answer.headers["content-type"] == "application/json"
        items = answer.json()["detail"]
        assert rule in {item["rule"] for item in items}, (rule, items)
        for item in items:
            assert item["type"] == "contract_violation"
            assert item["msg"].startswith("token-api proxy: the request breaks ")
            assert isinstance(item["loc"], list) and item["loc"]
        assert key not in answer.text
    # Only the two correct requests arrived upstream.
    arrived = _arrived(broken)
    assert [(r["method"], r["path"]) for r in arrived] == [
        ("POST", "/api/v1/token"),
        ("GET", "/health"),
    ]
    assert json.loads(base64.b64decode(str(arrived[0]["body"])))["name"] == "forwarded"
    assert stopped.exit_code == 1
    assert {line.rule for line in stopped.lines} == set(refused)
    for line in stopped.lines:
        assert (line.side, line.status, line.by_proxy) == ("request", 422, True)
    assert stopped.report()["refused"] == len(refused)


def test_without_errors_the_same_requests_reach_the_upstream(
    broken: str, reference: Deployment, tmp_path: Path
) -> None:
    httpx.delete(f"{broken}/_requests/recorded", timeout=10)
    proxy = Proxy(f"{broken}/recorded", tmp_path)
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            answer = traffic.mint(client, reference.admin, organization_role=7)
    finally:
        stopped = proxy.stop()
    assert answer.status_code == 422
    assert "rule" not in answer.text  # the upstream's own 422
    assert len(_arrived(broken)) == 1
    assert [line.rule for line in stopped.lines] == ["body.schema"]
    assert not stopped.lines[0].by_proxy


def test_a_client_in_a_loop_is_refused_once_it_is_one(
    broken: str, reference: Deployment, tmp_path: Path
) -> None:
    httpx.delete(f"{broken}/_requests/recorded", timeout=10)
    proxy = Proxy(f"{broken}/recorded", tmp_path, "--errors")
    gone = traffic.bearer("ses_" + "0" * 49)
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            statuses = [
                client.post(traffic.TOKEN, json={}, headers=gone).status_code for _ in range(6)
            ]
            looping = client.post(traffic.TOKEN, json={}, headers=gone)
    finally:
        stopped = proxy.stop()
    # The 401 and two more tries reach the upstream; from the third retry on, the proxy answers.
    assert statuses == [401, 401, 401, 422, 422, 422]
    assert [item["rule"] for item in looping.json()["detail"]] == ["auth.no-retry-refused"]
    assert len(_arrived(broken)) == 3
    # One loop, one violation.
    assert [line.rule for line in stopped.lines] == ["auth.no-retry-refused"]
    assert stopped.report()["refused"] == 4
