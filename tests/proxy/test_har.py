"""``--record FILE``: the exchanges as HAR 1.2, every secret redacted, the violations of each
entry beside it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conformance.conftest import SECRET, Deployment, assert_not_echoed
from tests.proxy import traffic
from tests.proxy.support import Proxy
from tests.support.http import TLS

# An identity provider's session, as a client might send it in a query.
JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZXZAYWNtZS5leGFtcGxlIiwiZXhwIjo0MTAyNDQ0ODAwfQ"
    ".c2lnbmF0dXJlLW9mLXRoZS1pZGVudGl0eS1wcm92aWRlcg"
)


def test_the_har_holds_every_exchange_and_no_secret(reference: Deployment, tmp_path: Path) -> None:
    har = tmp_path / "traffic.har"
    proxy = Proxy(reference.url, tmp_path / "reports", "--record", str(har))
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            keys = traffic.correct(client, reference.sessions)
            assert traffic.mint(client, keys[0]).status_code == 403
            session = reference.admin
            query = client.get(
                "/health",
                params={"token": session, "id_token": JWT},
                headers={"Cookie": f"s={session}"},
            )
            assert query.status_code == 200
    finally:
        stopped = proxy.stop()
    text = har.read_text(encoding="utf-8")
    log = json.loads(text)["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "token-api proxy"
    entries = log["entries"]
    assert len(entries) == 9
    for secret in [*reference.secrets(), *keys]:
        assert_not_echoed(text, secret)
    assert SECRET.findall(text) == []
    mint = entries[1]
    assert mint["request"]["method"] == "POST"
    assert mint["request"]["url"] == f"{reference.url}/api/v1/token"
    headers = {h["name"].lower(): h["value"] for h in mint["request"]["headers"]}
    assert headers["authorization"] == "Bearer [REDACTED]"
    assert json.loads(mint["request"]["postData"]["text"])["name"] == "proxy test"
    assert mint["response"]["status"] == 200
    answer = json.loads(mint["response"]["content"]["text"])
    assert answer["api_token"] == "[REDACTED]"
    assert len(answer["api_token_id"]) == 36  # not a secret: kept, to find the key again
    presented = entries[7]
    assert [v["rule"] for v in presented["_violations"]] == ["auth.api-key-forbidden"]
    last = entries[8]
    assert last["request"]["queryString"] == [
        {"name": "token", "value": "[REDACTED]"},
        {"name": "id_token", "value": "[REDACTED]"},
    ]
    assert JWT.split(".")[2] not in text
    cookies = [h["value"] for h in last["request"]["headers"] if h["name"].lower() == "cookie"]
    assert cookies == ["[REDACTED]"]
    assert stopped.exit_code == 1
    for entry in entries:
        timings = entry["timings"]
        assert min(timings["send"], timings["wait"], timings["receive"]) >= 0
        assert entry["time"] >= timings["wait"]
