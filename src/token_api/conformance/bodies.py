"""Request bodies Schemathesis never generates, sent as the ADMIN session: expiry rules it cannot
express in a schema, and bytes that are not the JSON a generator produces.

Apart from what each case is about, every body asks for a valid key that expires within minutes:
a deployment that lets the one fault through mints that key (and fails the check) instead of
refusing the body for some other reason.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from token_api.conformance.client import Call, ScenarioClient, Unreachable
from token_api.conformance.results import CounterExample
from token_api.conformance.safety import timestamp

EXPIRY_RULES = "expiry_rules"
HOSTILE_BODIES = "hostile_bodies"
LIFETIME = timedelta(minutes=10)
# Deeper than any JSON parser nests by default (orjson 1024, Python's json about 1000, serde 128),
# and far inside the body limit.
DEPTH = 10_000
# When the contract states no body limit: well past any sensible one.
NO_STATED_LIMIT = 1024 * 1024


def _name(purpose: str) -> str:
    return f"token-api conformance: {purpose}"


def expiry_rules(client: ScenarioClient, admin: str) -> None:
    """Each is 422: the contract's expiry rules, beyond what the schema's types say."""
    now = client.clock.now()
    soon = now + LIFETIME
    cases: list[tuple[str, dict[str, Any]]] = [
        ("an expires_at in the past", {"expires_at": timestamp(now - timedelta(hours=1))}),
        (
            "expires false with an expires_at",
            {"expires": False, "expires_at": timestamp(soon)},
        ),
        (
            "an expires_at without a UTC offset",
            {"expires_at": soon.strftime("%Y-%m-%dT%H:%M:%S")},
        ),
        ("an expires_at that is a number", {"expires_at": int(soon.timestamp())}),
    ]
    for what, fields in cases:
        call = client.create({"name": _name(f"{EXPIRY_RULES}: {what}"), **fields}, token=admin)
        problem = None if call.status == 422 else f"{what} was answered {call.status}, not 422"
        client.verdict(EXPIRY_RULES, problem, call)


def _python(expression: str) -> str:
    """A shell command that prints ``expression`` (Python bytes) to stdout, for the replay."""
    return "python3 -c " + shlex.quote(f"import sys; sys.stdout.buffer.write({expression})")


@dataclass(frozen=True, slots=True)
class Hostile:
    what: str
    content: bytes = field(repr=False)
    replay: str | None = None  # a shell command printing ``content``, when it is too long to show


def hostile_cases(expires_at: str, limit: int | None) -> list[Hostile]:
    """The bodies, each asking for a key that expires at ``expires_at``; ``limit`` is the body
    limit the contract states."""
    valid = b'"expires_at": "' + expires_at.encode() + b'"'

    def body(purpose: bytes, rest: bytes = b"") -> bytes:
        name = b"token-api conformance: " + HOSTILE_BODIES.encode() + b": " + purpose
        return b'{"name": "' + name + b'", ' + valid + rest + b"}"

    limit = limit or NO_STATED_LIMIT
    padded = body(b"oversize", b', "padding": "')[:-1]
    padding = limit + 1 - len(padded) - len(b'"}')
    nested = body(b"deep", b', "extra": ')[:-1]
    return [
        Hostile("invalid UTF-8", body(b"bad \xff\xfe bytes")),
        Hostile("a lone surrogate escape", body(b"lone \\ud800 surrogate")),
        Hostile("NaN", body(b"not a number", b', "extra": NaN')),
        Hostile(
            f"arrays nested {DEPTH:,} deep",
            nested + b"[" * DEPTH + b"]" * DEPTH + b"}",
            _python(f"{nested!r} + b'[' * {DEPTH} + b']' * {DEPTH} + b'}}'"),
        ),
        # Invalid whichever one a parser keeps (the first, the last) or if it refuses both.
        Hostile("duplicate keys", body(b"duplicate keys", b', "expires": "yes", "expires": 7')),
        Hostile(
            f"a body of {limit + 1:,} bytes (the limit is {limit:,})",
            padded + b"x" * padding + b'"}',
            _python(f"{padded!r} + b'x' * {padding} + b'\"}}'"),
        ),
    ]


def hostile_bodies(client: ScenarioClient, admin: str) -> None:
    """Each gets a 4xx the operation documents, with a JSON body; never a 5xx (judged by
    no_server_error too) and never a key."""
    expires_at = timestamp(client.clock.now() + LIFETIME)
    for case in hostile_cases(expires_at, client.operation.body_limit):
        try:
            call = client.post(case.content, token=admin, replay_body=case.replay)
        except Unreachable as error:
            # A dropped connection is worse than a 5xx, not a reason to stop: if the deployment
            # is down, the next request says so.
            problem = client.redactor(f"{case.what}: {error}")
            client.tallies.failed(HOSTILE_BODIES, CounterExample(problem, (error.curl or "",)))
            continue
        client.verdict(HOSTILE_BODIES, _hostile_problem(client, case.what, call), call)


def _hostile_problem(client: ScenarioClient, what: str, call: Call) -> str | None:
    status = call.status
    if not 400 <= status < 500:
        return f"{what} was answered {status}, not a 4xx"
    if not client.operation.documents(status):
        return f"{what} was answered {status}, which {client.operation.label} does not document"
    media = call.answer.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        json.loads(call.answer.body)
    except ValueError:
        return f"{what} was answered {status} without a JSON body"
    if media != "application/json":
        return f"{what} was answered {status} as {media or 'no media type'}, not JSON"
    return None
