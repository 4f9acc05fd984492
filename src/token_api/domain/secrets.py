"""The bearer secrets: a prefix, 43 base62 characters of secret and 6 base62 characters of CRC32.

Two prefixes, one per kind of credential: ``api_`` for API keys (what Create Token returns) and
``ses_`` for user sessions (what a signed-in user's client sends). The stored row's ``kind`` is
what the server trusts; the prefix tells people and secret scanners which is which.

Opaque random secrets rather than JWTs: 256 bits from the OS's CSPRNG cannot be forged, need no
signing key to guard or rotate, and are revoked by one row. The checksum (as in GitHub's tokens)
lets the server and secret scanners reject a mistyped or made-up secret without a database read.
Only the SHA-256 of a secret is stored: a fast hash is right for 256-bit random secrets, which
cannot be brute-forced, and it keeps authentication a single indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

API_KEY_PREFIX = "api_"
SESSION_PREFIX = "ses_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SECRET_CHARS = 43  # 62**43 > 2**256
_CHECKSUM_CHARS = 6  # 62**6 > 2**32
_SHAPE = re.compile(
    rf"(?:{API_KEY_PREFIX}|{SESSION_PREFIX})[0-9A-Za-z]{{{_SECRET_CHARS + _CHECKSUM_CHARS}}}"
)
_PREFIX_LENGTH = 4


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECKSUM_CHARS)


def _new(prefix: str) -> str:
    body = _base62(secrets.randbits(256), _SECRET_CHARS)
    return f"{prefix}{body}{_checksum(body)}"


def new_token() -> str:
    """A fresh API key with 256 bits of entropy."""
    return _new(API_KEY_PREFIX)


def new_session() -> str:
    """A fresh session secret with 256 bits of entropy."""
    return _new(SESSION_PREFIX)


def is_well_formed(token: str) -> bool:
    """True when the secret has one of our shapes and its checksum matches (no database needed)."""
    if not _SHAPE.fullmatch(token):
        return False
    body, check = token[_PREFIX_LENGTH:-_CHECKSUM_CHARS], token[-_CHECKSUM_CHARS:]
    return secrets.compare_digest(_checksum(body), check)


def digest(token: str) -> bytes:
    """What the database keeps instead of the secret."""
    return hashlib.sha256(token.encode("ascii")).digest()
