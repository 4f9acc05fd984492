"""Where the API is, and what its HTTP layer answers before it: only the exact path is Create
Token, another method is 405 with Allow, a malformed request is 400, oversized headers 431."""

from __future__ import annotations

from token_api.conformance.client import JSON, Call
from token_api.conformance.registry import scenario_check
from token_api.conformance.scenarios import Probe

_OTHER_METHODS = ("GET", "PUT", "PATCH", "DELETE")
# Past the 16,384 bytes of request line and headers the contract allows.
HEADER_PADDING = 17_000


@scenario_check("path.exact")
def exact_path(probe: Probe) -> None:
    """a trailing slash or an encoded slash is 404, never a redirect or Create Token"""
    operation = probe.client.operation
    base, _, last = operation.path.rpartition("/")
    headers = [("Content-Type", JSON), ("Authorization", f"Bearer {probe.admin.token}")]
    for what, path in [
        ("a trailing slash", operation.path + "/"),
        ("an encoded slash", f"{base}%2F{last}"),
    ]:
        call = probe.send(probe.admin, headers, probe.json(probe.body(what)), path=path)
        probe.expect(call, 404, f"{operation.method} {path} ({what})")


@scenario_check("method.allowed")
def method_not_allowed(probe: Probe) -> None:
    """a method a path does not have is 405, with Allow naming the ones it has"""
    authorization = [("Authorization", f"Bearer {probe.admin.token}")]
    for path in dict.fromkeys(
        endpoint.path for endpoint in probe.client.contract.endpoints.values()
    ):
        documented = probe.client.contract.methods(path)
        for method in (m for m in (*_OTHER_METHODS, "POST") if m not in documented):
            call = probe.send(probe.admin, authorization, None, method=method, path=path)
            if call is None:
                continue
            allow = {m.strip().upper() for m in call.answer.headers.get("allow", "").split(",")}
            problem = None
            if call.status != 405:
                problem = f"{method} {path} was answered {call.status}, not 405"
            elif not set(documented) <= allow:
                problem = (
                    f"{method} {path}'s 405 has Allow: {call.answer.headers.get('allow', '')!r}, "
                    f"not the documented {', '.join(documented)}"
                )
            probe.verdict(problem, call)


@scenario_check("http.malformed")
def malformed_request(probe: Probe) -> None:
    """a request with several Content-Type headers is 400, and the connection is closed"""
    for endpoint in probe.client.contract.endpoints.values():
        headers = [("Content-Type", JSON), ("Content-Type", "text/plain")]
        if endpoint.operation_id == probe.client.operation.operation_id:
            headers.append(("Authorization", f"Bearer {probe.admin.token}"))
        content = probe.json(probe.body("two Content-Type headers")) if endpoint.takes_body else b""
        call = probe.send(probe.admin, headers, content, method=endpoint.method, path=endpoint.path)
        _closed(probe, call, 400, f"{endpoint.label} with two Content-Type headers")


@scenario_check("http.header-limit")
def header_limit(probe: Probe) -> None:
    """a request line and headers over 16,384 bytes are 431, and the connection is closed"""
    for endpoint in probe.client.contract.endpoints.values():
        headers = [("X-Token-Api-Conformance", "x" * HEADER_PADDING)]
        content = None
        if endpoint.takes_body:
            headers += [("Content-Type", JSON), ("Authorization", f"Bearer {probe.admin.token}")]
            content = probe.json(probe.body("headers over the limit"))
        call = probe.send(probe.admin, headers, content, method=endpoint.method, path=endpoint.path)
        _closed(probe, call, 431, f"{endpoint.label} with {HEADER_PADDING:,} bytes of one header")


def _closed(probe: Probe, call: Call | None, status: int, what: str) -> None:
    if call is None:
        return
    problem = None
    if call.status != status:
        problem = f"{what} was answered {call.status}{call.detail()}, not {status}"
    elif "close" not in call.answer.headers.get("connection", "").lower():
        problem = f"{what} was answered {status} without Connection: close"
    probe.verdict(problem, call)
