"""Request bodies at the edges: each field at its bounds and past them, every RFC 3339 form that
must be accepted and those that must not, sizes, media types, and bytes that are not the JSON a
generator produces. Sent as the ADMIN session on every run, whatever the seed.

Apart from what each case is about, every body asks for a valid key that expires within minutes:
a deployment that lets the one fault through mints that key (and fails the check) instead of
refusing the body for some other reason.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from token_api.conformance.client import JSON, Call
from token_api.conformance.registry import scenario_check
from token_api.conformance.safety import timestamp
from token_api.conformance.scenarios import (
    LIFETIME,
    NO_STATED_LIMIT,
    SUCCESS,
    Probe,
    padded,
    python_printing,
)

MAX_NAME = 256
# Deeper than any JSON parser nests by default (orjson 1024, Python's json about 1000, serde 128),
# and far inside the body limit.
DEPTH = 10_000
_CHUNK = 8192


def _rfc3339(moment: datetime, offset_hours: int, fraction: str = "", lower: bool = False) -> str:
    """``moment`` written at a UTC offset of ``offset_hours``, with a fraction of a second."""
    local = moment.astimezone(timezone(timedelta(hours=offset_hours)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + fraction
    if offset_hours == 0:
        text += "Z"
    else:
        sign = "+" if offset_hours > 0 else "-"
        text += f"{sign}{abs(offset_hours):02d}:00"
    return text.replace("T", "t").replace("Z", "z") if lower else text


@scenario_check("expiry.future")
def expiry_in_future(probe: Probe) -> None:
    """an expires_at that is not in the future is 422"""
    now = probe.now()
    for what, value in [
        ("an hour ago", timestamp(now - timedelta(hours=1))),
        ("in 1970", "1970-01-01T00:00:00Z"),
    ]:
        call = probe.create(probe.admin, probe.body(f"expires {what}", expires_at=value))
        probe.expect_violation(call, ["expires_at"], f"an expires_at {what}")


@scenario_check("expiry.rfc3339")
def expiry_format(probe: Probe) -> None:
    """expires_at is any RFC 3339 date-time with an offset, anything else is 422

    Accepted: +14:00, -12:00, +00:00, fractions of a second, lower-case t and z. Refused: no
    offset, a number, an impossible date, an offset without a colon or past 23:59, "".
    """
    soon = probe.now() + LIFETIME
    accepted = [
        ("at +14:00", _rfc3339(soon, 14)),
        ("at -12:00", _rfc3339(soon, -12)),
        ("at +00:00", _rfc3339(soon, 0).replace("Z", "+00:00")),
        ("with microseconds", _rfc3339(soon, 0, ".123456")),
        ("with a tenth of a second", _rfc3339(soon, 1, ".5")),
        ("with nanoseconds", _rfc3339(soon, 0, ".123456789")),
        ("in lower case (t and z)", _rfc3339(soon, 0, lower=True)),
    ]
    for what, value in accepted:
        call = probe.create(probe.admin, probe.body(f"expires_at {what}", expires_at=value))
        probe.expect(call, SUCCESS, f"an expires_at {what} ({value})")
    refused: list[tuple[str, Any]] = [
        ("without a UTC offset", soon.strftime("%Y-%m-%dT%H:%M:%S")),
        ("that is a number", int(soon.timestamp())),
        ("on 30 February", "2030-02-30T00:00:00Z"),
        ("with an offset without a colon", "2030-01-01T00:00:00+0100"),
        ("at +24:00", "2030-01-01T00:00:00+24:00"),
        ("that is empty", ""),
    ]
    for what, value in refused:
        call = probe.create(probe.admin, probe.body(f"expires_at {what}", expires_at=value))
        probe.expect_violation(call, ["expires_at"], f"an expires_at {what}")


@scenario_check("expiry.never-with-date")
def expiry_never_with_date(probe: Probe) -> None:
    """expires false with an expires_at is 422"""
    call = probe.create(probe.admin, probe.body("expires false and an expires_at", expires=False))
    probe.expect(call, 422, "expires false with an expires_at")


@scenario_check("name.limits")
def name_limits(probe: Probe) -> None:
    """a name of 0 to 256 characters (not bytes) is accepted; longer, or with NUL, is 422"""
    accepted: list[tuple[str, str | None]] = [
        ("an empty name", ""),
        ("a null name", None),
        (f"a name of {MAX_NAME} characters", "n" * MAX_NAME),
        (f"a name of {MAX_NAME} two-byte characters", "é" * MAX_NAME),
        (f"a name of {MAX_NAME} characters beyond the BMP", "\U0001f511" * MAX_NAME),
    ]
    for what, name in accepted:
        call = probe.create(probe.admin, {**probe.body(what), "name": name})
        probe.expect(call, SUCCESS, what)
    refused = [
        (f"a name of {MAX_NAME + 1} characters", "n" * (MAX_NAME + 1)),
        (f"a name of {MAX_NAME + 1} characters beyond the BMP", "\U0001f511" * (MAX_NAME + 1)),
        ("a name with a NUL character", "token-api\x00conformance"),
    ]
    for what, name in refused:
        call = probe.create(probe.admin, {**probe.body(what), "name": name})
        probe.expect_violation(call, ["name"], what)


def _sized(probe: Probe, size: int) -> tuple[bytes, str]:
    """A valid body of exactly ``size`` bytes (an unknown member pads it), and its replay."""
    head = json.dumps(probe.body(f"a body of {size:,} bytes"))[:-1].encode() + b', "padding": "'
    return padded(head, b"x", size - len(head) - 2, b'"}')


def _chunks(content: bytes) -> Iterator[bytes]:
    for start in range(0, len(content), _CHUNK):
        yield content[start : start + _CHUNK]


@scenario_check("body.size-limit")
def body_size_limit(probe: Probe) -> None:
    """a body at the limit is read, one byte over it is 413, declared or chunked

    The limit is the one the contract's 413 states (65,536 bytes).
    """
    limit = probe.client.operation.body_limit or NO_STATED_LIMIT
    headers = [("Content-Type", JSON), ("Authorization", f"Bearer {probe.admin.token}")]
    at, replay_at = _sized(probe, limit)
    call = probe.send(probe.admin, headers, at, replay_body=replay_at)
    probe.expect(call, SUCCESS, f"a valid body of exactly {limit:,} bytes (the limit)")
    over, replay_over = _sized(probe, limit + 1)
    call = probe.send(probe.admin, headers, over, replay_body=replay_over)
    probe.expect(call, 413, f"a body of {limit + 1:,} bytes")
    call = probe.send(probe.admin, headers, _chunks(over), replay_body=replay_over)
    probe.expect(call, 413, f"a chunked body of {limit + 1:,} bytes")


@scenario_check("body.media-type")
def media_type(probe: Probe) -> None:
    """a body that is not application/json in UTF-8 (another type, charset or coding) is 415"""
    authorization = ("Authorization", f"Bearer {probe.admin.token}")
    accepted = ["application/json; charset=utf-8", 'application/json; charset="UTF-8"']
    for value in accepted:
        content = probe.json(probe.body(f"Content-Type {value}"))
        call = probe.send(probe.admin, [("Content-Type", value), authorization], content)
        probe.expect(call, SUCCESS, f"a JSON body sent as {value}")
    refused = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ]
    for value in refused:
        content = probe.json(probe.body(f"Content-Type {value}"))
        call = probe.send(probe.admin, [("Content-Type", value), authorization], content)
        probe.expect(call, 415, f"a JSON body sent as {value}")
    content = gzip.compress(probe.json(probe.body("Content-Encoding gzip")), mtime=0)
    headers = [("Content-Type", JSON), ("Content-Encoding", "gzip"), authorization]
    call = probe.send(probe.admin, headers, content)
    probe.expect(call, 415, "a gzip-encoded JSON body (Content-Encoding: gzip)")


@dataclass(frozen=True, slots=True)
class Hostile:
    what: str
    content: bytes = field(repr=False)
    replay: str | None = None  # a shell command printing ``content``, when it is too long to show


def hostile_cases(expires_at: str, check: str = "hostile_bodies") -> list[Hostile]:
    """The bodies, each asking for a key that expires at ``expires_at``."""
    valid = b'"expires_at": "' + expires_at.encode() + b'"'

    def body(purpose: bytes, rest: bytes = b"") -> bytes:
        name = b"token-api conformance: " + check.encode() + b": " + purpose
        return b'{"name": "' + name + b'", ' + valid + rest + b"}"

    nested = body(b"deep", b', "extra": ')[:-1]
    return [
        Hostile("invalid UTF-8", body(b"bad \xff\xfe bytes")),
        Hostile("a lone surrogate escape", body(b"lone \\ud800 surrogate")),
        Hostile("NaN", body(b"not a number", b', "extra": NaN')),
        Hostile(
            f"arrays nested {DEPTH:,} deep",
            nested + b"[" * DEPTH + b"]" * DEPTH + b"}",
            python_printing(f"{nested!r} + b'[' * {DEPTH} + b']' * {DEPTH} + b'}}'"),
        ),
        # Invalid whichever one a parser keeps (the first, the last) or if it refuses both.
        Hostile("duplicate keys", body(b"duplicate keys", b', "expires": "yes", "expires": 7')),
    ]


@scenario_check("body.strict-json")
def hostile_bodies(probe: Probe) -> None:
    """bytes that are not strict JSON get a documented 4xx with a JSON body

    Invalid UTF-8, a lone surrogate, NaN, arrays nested 10,000 deep, duplicate keys: never a
    5xx, a dropped connection or a key.
    """
    operation = probe.client.operation
    headers = [("Content-Type", JSON), ("Authorization", f"Bearer {probe.admin.token}")]
    for case in hostile_cases(timestamp(probe.now() + LIFETIME), hostile_bodies.__name__):
        call = probe.send(probe.admin, headers, case.content, replay_body=case.replay)
        probe.verdict(_hostile_problem(operation.documents, case.what, call), call)


def _hostile_problem(documents: Any, what: str, call: Call | None) -> str | None:
    if call is None:
        return None
    status = call.status
    if not 400 <= status < 500:
        return f"{what} was answered {status}, not a 4xx"
    if not documents(status):
        return f"{what} was answered {status}, which Create Token does not document"
    try:
        json.loads(call.answer.body)
    except ValueError:
        return f"{what} was answered {status} without a JSON body"
    return None


@scenario_check("body.schema")
def schema_edges(probe: Probe) -> None:
    """each field's wrong types and values are 422; nulls, defaults and unknown members mint"""
    accepted: list[tuple[str, dict[str, Any]]] = [
        ("nothing but an expires_at", {}),
        ("every nullable field null", {"name": None, "role_id": None}),
        ("the defaults written out", {"personal": True, "expires": True}),
        ("a member the schema does not name", {"comment": "ignored"}),
    ]
    for what, fields in accepted:
        body = {"expires_at": probe.body(what)["expires_at"], **fields}
        call = probe.create(probe.admin, body)
        probe.expect(call, SUCCESS, f"a body with {what}")
    refused: list[tuple[str, Any, list[Any]]] = [
        ("an unknown organization_role", {"organization_role": "OWNER"}, ["organization_role"]),
        ("a lower-case organization_role", {"organization_role": "admin"}, ["organization_role"]),
        ("personal as a string", {"personal": "true"}, ["personal"]),
        ("expires as a number", {"expires": 1}, ["expires"]),
        ("workspaces as a string", {"workspaces": "default"}, ["workspaces"]),
        ("a workspace that is a number", {"workspaces": [7]}, ["workspaces", 0]),
        ("a name that is a number", {"name": 5}, ["name"]),
        ("a role_id that is not a UUID", {"role_id": "not-a-uuid"}, ["role_id"]),
    ]
    for what, fields, where in refused:
        call = probe.create(probe.admin, {**probe.body(what), **fields})
        probe.expect_violation(call, where, f"a body with {what}")
    for what, document in [("a list", []), ("a string", "token"), ("null", None)]:
        call = probe.create(probe.admin, document)
        probe.expect(call, 422, f"a body that is {what}")
