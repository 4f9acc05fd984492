"""The credential on the wire: missing, malformed, repeated, in any case of its scheme, and judged
before the body."""

from __future__ import annotations

import base64
import secrets
import string

from token_api.conformance.client import JSON
from token_api.conformance.registry import scenario_check
from token_api.conformance.scenarios import NO_STATED_LIMIT, SUCCESS, Probe, padded

_KEY_ALPHABET = string.ascii_letters + string.digits


def unknown_key() -> str:
    """A well-formed api_ key no deployment has minted."""
    return "api_" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(49))


@scenario_check("auth.credential-required")
def credentials_required(probe: Probe) -> None:
    """a credential that is missing, malformed, unknown or not Bearer is 401"""
    basic = base64.b64encode(b"conformance:probe").decode()
    cases: list[tuple[str, str | None]] = [
        ("a request without Authorization", None),
        ("an empty Authorization header", ""),
        ("the Bearer scheme without a credential", "Bearer"),
        ("a bearer credential that is none", "Bearer not-a-token"),
        ("an unknown api_ key", f"Bearer {unknown_key()}"),
        ("Basic credentials", f"Basic {basic}"),
        ("the ADMIN session under another scheme", f"Token {probe.admin.token}"),
    ]
    for what, authorization in cases:
        headers = [("Content-Type", JSON)]
        if authorization is not None:
            headers.append(("Authorization", authorization))
        call = probe.send(None, headers, probe.json(probe.body(what)))
        probe.expect(call, 401, what)


@scenario_check("auth.single-header")
def single_authorization(probe: Probe) -> None:
    """more than one Authorization header: 401, even when each is valid"""
    session = f"Bearer {probe.admin.token}"
    cases = [
        ("the ADMIN session twice", [session, session]),
        ("the ADMIN session, then an unknown key", [session, f"Bearer {unknown_key()}"]),
        ("an unknown key, then the ADMIN session", [f"Bearer {unknown_key()}", session]),
    ]
    for what, values in cases:
        headers = [("Content-Type", JSON), *(("Authorization", value) for value in values)]
        call = probe.send(None, headers, probe.json(probe.body(what)))
        probe.expect(call, 401, f"a request with {what} as Authorization headers")


@scenario_check("auth.scheme-case-insensitive")
def bearer_scheme(probe: Probe) -> None:
    """the scheme in any case, and whitespace around the value, name the same credential"""
    token = probe.admin.token
    for what, value in [
        ("the scheme in lower case", f"bearer {token}"),
        ("the scheme in upper case", f"BEARER {token}"),
        ("a space after the credential", f"Bearer {token} "),
    ]:
        headers = [("Content-Type", JSON), ("Authorization", value)]
        call = probe.send(
            probe.admin, headers, probe.json(probe.body(what)), on_the_wire=value != value.strip()
        )
        probe.expect(call, SUCCESS, f"the ADMIN session with {what}")
    # A key is recognised (403) with a space after it too, not unknown (401).
    for key in probe.keys[:1]:
        headers = [("Content-Type", JSON), ("Authorization", f"Bearer {key.token} ")]
        call = probe.send(
            key, headers, probe.json(probe.body("a key and a space")), on_the_wire=True
        )
        probe.expect(call, 403, f"{key.who} with a space after it", caller=key)


@scenario_check("auth.before-body")
def credentials_before_body(probe: Probe) -> None:
    """no credential is 401, and an API key 403, whatever the body"""
    limit = probe.client.operation.body_limit or NO_STATED_LIMIT
    oversize, replay = padded(b'"', b"x", limit - 1, b'"')
    bodies: list[tuple[str, str, bytes, str | None]] = [
        ("a schema-invalid body", JSON, probe.json({"organization_role": 7}), None),
        ("a body that is not JSON", JSON, b"{", None),
        ("a text/plain body", "text/plain", b"hello", None),
        (f"a body of {limit + 1:,} bytes", JSON, oversize, replay),
    ]
    for what, media_type, content, replay_body in bodies:
        call = probe.send(None, [("Content-Type", media_type)], content, replay_body=replay_body)
        probe.expect(call, 401, f"{what} without credentials")
    if not probe.keys:
        probe.partial("the run minted no key to present")
    for key in probe.keys[:1]:
        for what, media_type, content, replay_body in bodies:
            headers = [("Content-Type", media_type), ("Authorization", f"Bearer {key.token}")]
            call = probe.send(key, headers, content, replay_body=replay_body)
            probe.expect(call, 403, f"{what} with {key.who}", caller=key)
