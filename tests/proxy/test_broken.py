"""The proxy in front of deliberately broken servers (the conformance tests' broken proxy, one
defect per path): the same client traffic, and each defect is reported as a response-side
violation of the rule it breaks; through ``/none`` (no defect) the deployment breaks nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conformance.conftest import SECRET, Deployment
from tests.proxy import traffic
from tests.proxy.support import Proxy, Stopped
from tests.support.http import TLS

pytestmark = pytest.mark.slow

# defect -> every response-side rule it is reported under, and no other.
DEFECTS: dict[str, set[str]] = {
    # The key's format, and the 200's documented schema (pattern ^api_, a uuid, required).
    "wrong_prefix": {"key.format", "response.schema"},
    "non_uuid_id": {"key.format", "response.schema"},
    "missing_field": {"key.format", "response.schema"},
    "status_201": {"response.status-documented"},
    "text_plain": {"response.json"},
    # Every 422 comes back as 400, whose documented body is {"detail": "<sentence>"}.
    "status_400": {"response.status-documented", "error.detail-shape", "response.schema"},
    # Problem details as application/problem+json: JSON all the same, held to the 422's schema.
    "problem_json": {"error.validation-shape", "response.json", "response.schema"},
    "server_error": {"response.no-server-error"},
    "enum_accepted": {"body.schema"},
    "date_accepted": {"body.schema"},
    "type_accepted": {"body.schema"},
    "auth_ignored": {"auth.credential-required"},
    "token_not_authenticating": {"key.recognised"},
    "key_lagging": {"key.recognised"},
    "key_can_mint": {"auth.api-key-forbidden"},
    "hangs_up_on_nan": {"response.no-server-error"},
    "repeated_tokens": {"key.unique"},
    "no_www_authenticate": {"auth.www-authenticate"},
    # Cache-Control is also a required header of the documented 200.
    "cached_key": {"key.no-store", "response.schema"},
}


def client_traffic(client: httpx.Client, deployment: Deployment) -> None:
    """Calls that meet every defect: mint (twice), present the key, refused bodies, no
    credential, a null name, NaN."""
    admin = deployment.admin
    first = traffic.mint(client, admin)
    traffic.mint(client, admin)
    body = first.json() if first.headers.get("content-type", "").endswith("json") else {}
    key = body.get("api_token") if isinstance(body, dict) else None
    if isinstance(key, str):
        traffic.mint(client, key)
    for fields in (
        {"organization_role": "OWNER"},
        {"expires_at": "yesterday"},
        {"expires": "yes"},
        {"name": None},
    ):
        traffic.mint(client, admin, **fields)
    client.post(traffic.TOKEN, json={"expires_at": traffic.soon()},
                headers={"Content-Type": "application/json"})  # fmt: skip
    nan = b'{"name": NaN, "expires_at": "' + traffic.soon().encode() + b'"}'
    client.post(traffic.TOKEN, content=nan, headers=traffic.bearer(admin))


def run_through(url: str, deployment: Deployment, folder: Path) -> Stopped:
    proxy = Proxy(url, folder)
    try:
        with httpx.Client(verify=TLS, base_url=proxy.url, timeout=30) as client:
            client_traffic(client, deployment)
    finally:
        stopped = proxy.stop()
    assert "Traceback" not in stopped.stderr, stopped.stderr
    text = stopped.everything()
    assert SECRET.findall(text) == []
    for secret in deployment.secrets():
        assert secret not in text
    return stopped


def test_no_defect_no_response_violation(
    broken: str, reference: Deployment, tmp_path: Path
) -> None:
    stopped = run_through(f"{broken}/none", reference, tmp_path)
    assert stopped.found("response") == set(), stopped.stderr
    # The client's own breaks are still the client's.
    assert stopped.found("request") == {
        "body.schema",
        "body.strict-json",
        "auth.credential-required",
        "auth.api-key-forbidden",
    }
    report = stopped.report()
    assert report["outside_contract"] == 0


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_is_reported_with_its_rule(
    defect: str, broken: str, reference: Deployment, tmp_path: Path
) -> None:
    stopped = run_through(f"{broken}/{defect}", reference, tmp_path)
    assert stopped.found("response") == DEFECTS[defect], stopped.stderr
    assert stopped.exit_code == 1
    rules = {r["id"]: r for r in stopped.report()["rules"] if r["side"] == "response"}
    for rule in DEFECTS[defect]:
        assert rules[rule]["violations"] >= 1
        example = rules[rule]["examples"][0]
        assert example["curl"].startswith("curl -X POST")
        if "Authorization" in example["curl"]:
            assert "Authorization: Bearer [REDACTED]" in example["curl"]
