"""Hostile requests to the documented operations, each with the documented answer it must get.

Every case is a well-formed HTTP/1.1 request (the body, headers and media types are the hostile
part). The authenticated ones use the demo ADMIN token unless the Authorization header is the
point; ADMIN may grant anything, so a 200 below means "accepted", never "allowed by luck".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

MB = 1024 * 1024
OVER_CAP = 20 * MB  # far past the documented 65,536-byte cap

# The Authorization header: ``{token}`` is replaced by the ADMIN token, ``None`` means no header.
ADMIN = b"Bearer {token}"


@dataclass(frozen=True)
class Hostile:
    name: str
    expect: int
    # A callable body is sent chunked. Body and credentials stay out of reports: some are 20 MB.
    body: bytes | Callable[[], Iterator[bytes]] = field(default=b"{}", repr=False)
    content_type: bytes | None = b"application/json"
    authorization: bytes | Callable[[bytes], bytes] | None = field(default=ADMIN, repr=False)
    method: str = "POST"
    path: str = "/api/v1/token"
    violations: int | None = None  # for a 422: how many violations it must list

    def authorization_for(self, token: str) -> bytes | None:
        if self.authorization is None:
            return None
        if callable(self.authorization):
            return self.authorization(token.encode())
        return self.authorization.replace(b"{token}", token.encode())


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def _chunks(total: int, chunk: int = 64 * 1024) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(total // chunk):
            yield b"x" * chunk
        yield b'"}'

    return generate


def _flip_checksum(token: bytes) -> bytes:
    last = token[-1:]
    return b"Bearer " + token[:-1] + (b"A" if last != b"A" else b"B")


def _nested(depth: int, opening: bytes, closing: bytes, leaf: bytes = b"") -> bytes:
    return opening * depth + leaf + closing * depth


MALFORMED_JSON = [
    Hostile("truncated object", 422, b"{"),
    Hostile("truncated string", 422, b'{"name": "abc'),
    Hostile("truncated after comma", 422, b'{"name": "a",'),
    Hostile("single quotes", 422, b"{'name': 'a'}"),
    Hostile("unquoted key", 422, b'{name: "a"}'),
    Hostile("trailing comma", 422, b'{"name": "a",}'),
    Hostile("comment", 422, b'// hi\n{"name": "a"}'),
    Hostile("trailing garbage", 422, b"{} x"),
    Hostile("two documents", 422, b"{}{}"),
    Hostile("NaN", 422, b'{"name": NaN}'),
    Hostile("Infinity", 422, b'{"expires": Infinity}'),
    Hostile("-Infinity", 422, b'{"expires": -Infinity}'),
    Hostile("number overflowing a double", 422, b'{"expires": 1e999}'),
    Hostile("5000-digit integer", 422, b'{"name": 1' + b"0" * 5000 + b"}"),
    Hostile("invalid UTF-8", 422, b'{"name": "\xff\xfe"}'),
    Hostile("overlong UTF-8", 422, b'{"name": "\xc0\xaf"}'),
    Hostile("lone high surrogate escape", 422, b'{"name": "\\ud800"}'),
    Hostile("lone low surrogate escape", 422, b'{"name": "\\udc00x"}'),
    Hostile("surrogate encoded in UTF-8 bytes", 422, b'{"name": "\xed\xa0\x80"}'),
    Hostile("UTF-8 byte order mark", 422, b'\xef\xbb\xbf{"name": "a"}'),
    Hostile("UTF-16 body", 422, '{"name": "a"}'.encode("utf-16")),
    Hostile("raw NUL byte in a string", 422, b'{"name": "a\x00b"}'),
    Hostile("NUL byte between tokens", 422, b'{"name":\x00 "a"}'),
    Hostile("escaped NUL in name", 422, b'{"name": "a\\u0000b"}'),
    Hostile("escaped NUL in a workspace", 422, b'{"workspaces": ["default\\u0000"]}'),
    Hostile("arrays nested 30000 deep", 422, _nested(30_000, b"[", b"]")),
    Hostile("objects nested 10000 deep", 422, _nested(10_000, b'{"a":', b"}", b"1")),
    Hostile("name nested 500 deep", 422, b'{"name": ' + _nested(500, b"[", b"]") + b"}"),
    Hostile("empty body", 422, b""),
    Hostile("whitespace body", 422, b" \r\n\t "),
    Hostile("null body", 422, b"null"),
    Hostile("array body", 422, b"[]"),
    Hostile("string body", 422, b'"{}"'),
    Hostile("number body", 422, b"42"),
    Hostile("boolean body", 422, b"true"),
]

DUPLICATE_KEYS = [
    # RFC 8259 leaves duplicate names to the parser; orjson keeps the last, and the last is what
    # gets validated, so a valid last value is accepted and an invalid one refused.
    Hostile("duplicate key, valid last", 200, b'{"name": "a", "name": "b"}'),
    Hostile("duplicate key, invalid first", 200, b'{"expires": "x", "expires": true}'),
    Hostile("duplicate key, invalid last", 422, b'{"expires": true, "expires": "x"}'),
]

WRONG_TYPES = [
    Hostile("name number", 422, _json({"name": 42})),
    Hostile("name array", 422, _json({"name": ["a"]})),
    Hostile("name object", 422, _json({"name": {}})),
    Hostile("expires string", 422, _json({"expires": "true"})),
    Hostile("expires null", 422, _json({"expires": None})),
    Hostile("expires integer", 422, _json({"expires": 1})),
    Hostile("expires_at number", 422, _json({"expires_at": 1_900_000_000})),
    Hostile("expires_at empty", 422, _json({"expires_at": ""})),
    Hostile("expires_at words", 422, _json({"expires_at": "tomorrow"})),
    Hostile("expires_at without offset", 422, _json({"expires_at": "2030-01-01T00:00:00"})),
    Hostile("expires_at February 30", 422, _json({"expires_at": "2030-02-30T00:00:00Z"})),
    Hostile("expires_at year 99999", 422, _json({"expires_at": "99999-01-01T00:00:00Z"})),
    Hostile("organization_role lower case", 422, _json({"organization_role": "admin"})),
    Hostile("organization_role unknown", 422, _json({"organization_role": "OWNER"})),
    Hostile("organization_role null", 422, _json({"organization_role": None})),
    Hostile("organization_role number", 422, _json({"organization_role": 1})),
    Hostile("personal string", 422, _json({"personal": "false"})),
    Hostile("personal zero", 422, _json({"personal": 0})),
    Hostile("role_id not a UUID", 422, _json({"role_id": "admin"})),
    Hostile("role_id number", 422, _json({"role_id": 7})),
    Hostile("role_id in braces", 422, _json({"role_id": "{12345678-1234-5678-1234-567812345678}"})),
    Hostile(
        "role_id unknown UUID", 422, _json({"role_id": "00000000-0000-4000-8000-000000000000"})
    ),
    Hostile("workspaces string", 422, _json({"workspaces": "default"})),
    Hostile("workspaces object", 422, _json({"workspaces": {"default": True}})),
    Hostile("workspaces numbers", 422, _json({"workspaces": [1, 2]})),
    Hostile("workspaces null item", 422, _json({"workspaces": [None]})),
    Hostile("workspaces nested", 422, _json({"workspaces": [["default"]]})),
    Hostile("workspaces null", 422, _json({"workspaces": None})),
    Hostile(
        "every field wrong at once",
        422,
        _json(
            {
                "name": 1,
                "expires": "no",
                "expires_at": 2,
                "organization_role": "root",
                "personal": "yes",
                "role_id": "x",
                "workspaces": "all",
            }
        ),
        violations=7,
    ),
]

SIZES = [
    Hostile("20 MB body", 413, b'{"name": "' + b"x" * OVER_CAP + b'"}'),
    Hostile("20 MB body, chunked", 413, _chunks(OVER_CAP)),
    Hostile("100,000 workspaces", 413, _json({"workspaces": ["default"] * 100_000})),
    Hostile(
        "20 MB body without credentials",
        401,
        b'{"name": "' + b"x" * OVER_CAP + b'"}',
        authorization=None,
    ),
    Hostile("60,000-character name", 422, _json({"name": "x" * 60_000})),
    Hostile("5,000 workspaces within the body cap", 422, _json({"workspaces": ["w"] * 5_000})),
]

MEDIA_TYPES = [
    Hostile("text/plain", 415, content_type=b"text/plain"),
    Hostile("form-encoded", 415, b"name=a", content_type=b"application/x-www-form-urlencoded"),
    Hostile("multipart", 415, content_type=b"multipart/form-data; boundary=x"),
    Hostile("XML", 415, b"<name>a</name>", content_type=b"application/xml"),
    Hostile("another +json type", 415, content_type=b"application/merge-patch+json"),
    Hostile("wildcard", 415, content_type=b"*/*"),
    Hostile("a list of types", 415, content_type=b"application/json, text/plain"),
    Hostile("empty Content-Type", 415, content_type=b""),
    Hostile("Latin-1 charset", 415, content_type=b"application/json; charset=latin-1"),
    Hostile("UTF-16 charset", 415, content_type=b"application/json; charset=utf-16"),
    Hostile("unknown charset", 415, content_type=b"application/json; charset=klingon"),
    Hostile("empty charset", 415, content_type=b"application/json; charset="),
    # Media types and charset names are case-insensitive (RFC 9110 §8.3.1); quotes are allowed.
    Hostile("upper-case media type", 200, content_type=b"APPLICATION/JSON"),
    Hostile("upper-case charset", 200, content_type=b"application/json; CHARSET=UTF-8"),
    Hostile("quoted charset", 200, content_type=b'application/json;charset="utf-8"'),
    Hostile("non-ASCII Content-Type", 415, content_type="application/jsön".encode()),
    # A missing Content-Type is read as JSON (tests/api/test_errors.py; #2 allows 422 or 415).
    Hostile("no Content-Type", 200, content_type=None),
]

AUTHORIZATION = [
    Hostile("no Authorization", 401, authorization=None),
    Hostile("empty Authorization", 401, authorization=b""),
    Hostile("scheme only", 401, authorization=b"Bearer"),
    Hostile("two spaces after the scheme", 200, authorization=b"Bearer  {token}"),
    # Past the 16,384-byte bound on a request head: the HTTP layer answers before the API.
    Hostile("1 MB token", 431, authorization=b"Bearer " + b"x" * MB),
    Hostile("1 MB token in the ADMIN shape", 431, authorization=b"Bearer api_" + b"A" * MB),
    Hostile("Basic credentials", 401, authorization=b"Basic dXNlcjpwYXNz"),
    Hostile("another scheme", 401, authorization=b"Token {token}"),
    Hostile("scheme in lower case", 200, authorization=b"bearer {token}"),
    Hostile("scheme in upper case", 200, authorization=b"BEARER {token}"),
    Hostile("token in lower case", 401, authorization=lambda t: b"Bearer " + t.lower()),
    Hostile("token in upper case", 401, authorization=lambda t: b"Bearer " + t.upper()),
    Hostile("token with a wrong checksum", 401, authorization=_flip_checksum),
    Hostile("token with trailing text", 401, authorization=b"Bearer {token} extra"),
    Hostile("prefix only", 401, authorization=b"Bearer api_"),
    Hostile("non-ASCII token (UTF-8)", 401, authorization="Bearer café".encode()),
    Hostile("non-ASCII token (Latin-1 bytes)", 401, authorization=b"Bearer \xff\xfe\xfd"),
    Hostile("non-ASCII scheme", 401, authorization="Веаrer {token}".encode()),
    Hostile("wrong credentials and a bad body", 401, b"{", authorization=b"Bearer x"),
    Hostile("wrong credentials and a huge body", 401, _chunks(OVER_CAP), authorization=b"Bearer x"),
]

HEALTH = [
    Hostile("health with a body", 200, b"\xff" * 1000, method="GET", path="/health"),
    Hostile(
        "health with a 1 MB Authorization header",
        431,
        b"",
        authorization=b"Bearer " + b"x" * MB,
        method="GET",
        path="/health",
    ),
    Hostile(
        "health with a hostile query string",
        200,
        b"",
        method="GET",
        path="/health?x=%00%ff&x=" + "y" * 8000,
    ),
]

CORPUS: list[Hostile] = [
    *MALFORMED_JSON,
    *DUPLICATE_KEYS,
    *WRONG_TYPES,
    *SIZES,
    *MEDIA_TYPES,
    *AUTHORIZATION,
    *HEALTH,
]
