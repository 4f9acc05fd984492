"""The proxy in front of the reference server: correct traffic is no violation; each way a
client breaks the contract is a request-side violation with its rule id, and the reference
server's answers to them are none."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.conformance.conftest import SECRET, Deployment
from tests.proxy import traffic
from tests.proxy.support import Proxy
from tests.support.http import TLS


def test_correct_traffic_is_no_violation(reference: Deployment, tmp_path: Path) -> None:
    proxy = Proxy(reference.url, tmp_path)
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            keys = traffic.correct(client, reference.sessions)
    finally:
        stopped = proxy.stop()
    assert stopped.exit_code == 0, stopped.stderr
    assert stopped.lines == [], stopped.stderr
    assert "Traceback" not in stopped.stderr
    report = stopped.report()
    assert report["violations"] == 0
    assert report["exchanges"] == 7
    assert report["outside_contract"] == 0
    judged = {(r["id"], r["side"]) for r in report["rules"] if r["judged"]}
    # What this traffic exercised: every answer's rules, minted keys' rules, the credential.
    for rule in ("key.format", "key.no-store", "key.unique", "response.schema",
                 "response.status-documented", "response.json", "error.detail-shape"):  # fmt: skip
        assert (rule, "response") in judged
    assert ("auth.credential-required", "request") in judged
    assert ("body.schema", "request") in judged
    assert "No violation." in stopped.stdout
    suite = stopped.junit().find("testsuite")
    assert suite is not None and suite.attrib["failures"] == "0"
    text = stopped.everything()
    assert SECRET.findall(text) == []
    for secret in [*reference.secrets(), *keys]:
        assert secret not in text


def test_each_client_violation_is_reported_with_its_rule(
    reference: Deployment, tmp_path: Path
) -> None:
    proxy = Proxy(reference.url, tmp_path)
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            keys = traffic.correct(client, reference.sessions)
            # A key minted through the proxy, and a key of the demo user, at Create Token.
            assert traffic.mint(client, keys[0]).status_code == 403
            traffic.client_breaks(client, reference.sessions, reference.tokens["ADMIN"])
            traffic.retry_loop(client)
    finally:
        stopped = proxy.stop(signal.SIGTERM)
    assert stopped.exit_code == 1, stopped.stderr
    # The reference server answered every one of them as the contract says.
    assert stopped.found("response") == set(), stopped.stderr
    assert stopped.found("request") == {
        "auth.credential-required",
        "auth.single-header",
        "auth.api-key-forbidden",
        "auth.no-retry-refused",
        "body.schema",
        "body.strict-json",
        "body.media-type",
        "body.size-limit",
    }
    reasons = {(line.rule, line.reason) for line in stopped.lines}
    assert any("minted through this proxy" in why for rule, why in reasons), reasons
    media = [line for line in stopped.lines if line.rule == "body.media-type"]
    assert [line.status for line in media] == [415, 415, 415]
    # Each violation once: the retried credential is reported once however long the loop.
    assert sum(line.rule == "auth.no-retry-refused" for line in stopped.lines) == 1
    for line in stopped.lines:
        assert (line.method, line.path) == ("POST", "/api/v1/token")
        assert line.status is not None and not line.by_proxy
    report = stopped.report()
    assert report["violations"] == len(stopped.lines)
    failed = {
        (case.attrib["classname"], case.attrib["name"])
        for case in stopped.junit().iter("testcase")
        if case.find("failure") is not None
    }
    assert failed == {("request", rule) for rule in stopped.found("request")}
    text = stopped.everything()
    assert SECRET.findall(text) == []
    for secret in [*reference.secrets(), *keys]:
        assert secret not in text
