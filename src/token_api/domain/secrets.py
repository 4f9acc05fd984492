"""The token format: ``api_`` + 43 base62 characters of secret + 6 base62 characters of CRC32.

Opaque random secrets rather than JWTs: 256 bits from the OS's CSPRNG cannot be forged, need no
signing key to guard or rotate, and are revoked by deleting one row. The checksum (as in GitHub's
tokens) lets the server and secret scanners reject a mistyped or made-up token without a database
read. Only the SHA-256 of a token is stored: a fast hash is right for 256-bit random secrets, which
cannot be brute-forced, and it keeps authentication a single indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

PREFIX = "api_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SECRET_CHARS = 43  # 62**43 > 2**256
_CHECKSUM_CHARS = 6  # 62**6 > 2**32
_SHAPE = re.compile(rf"{PREFIX}[0-9A-Za-z]{{{_SECRET_CHARS + _CHECKSUM_CHARS}}}")


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECKSUM_CHARS)


def new_token() -> str:
    """A fresh token with 256 bits of entropy."""
    body = _base62(secrets.randbits(256), _SECRET_CHARS)
    return f"{PREFIX}{body}{_checksum(body)}"


def is_well_formed(token: str) -> bool:
    """True when the token has our shape and its checksum matches (no database needed)."""
    if not _SHAPE.fullmatch(token):
        return False
    body, check = token[len(PREFIX) : -_CHECKSUM_CHARS], token[-_CHECKSUM_CHARS:]
    return secrets.compare_digest(_checksum(body), check)


def digest(token: str) -> bytes:
    """What the database keeps instead of the token."""
    return hashlib.sha256(token.encode("ascii")).digest()
