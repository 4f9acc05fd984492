"""Keeping credentials out of everything a run prints or writes.

Every secret the run knows (the ADMIN token, each token a scenario minted, each ``api_token`` seen
in a Schemathesis response) is replaced wherever it appears; patterns catch what was not seen
whole: ``api_…`` keys, ``ses_…`` sessions, JSON Web Tokens, ``"api_token"`` values and ``Bearer``
credentials.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MARK = "[REDACTED]"

_KEY = re.compile(r"\b(?:api|ses)_[A-Za-z0-9_\-]{16,}")
_PATTERNS = (
    # An api_ key or a ses_ session of any implementation: the prefix and at least 16 characters.
    (_KEY, MARK),
    # A JSON Web Token (what an identity provider's session often is): three base64url parts.
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), MARK),
    # The value of an "api_token" member, also inside JSON that is itself a JSON string.
    (
        re.compile(r'((?:\\)?"api_token(?:\\)?"\s*:\s*(?:\\)?")(?:[^"\\]|\\.)*?((?:\\)?")'),
        rf"\1{MARK}\2",
    ),
    # A bearer credential (RFC 6750 token68 characters), unless it is already redacted.
    (re.compile(r"(\b[Bb]earer[ \t]+)(?!\[REDACTED\])[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1{MARK}"),
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        # Very short values would redact ordinary words; no real credential is that short. An
        # api_ key (or ses_ session) the pattern redacts whole needs no place in the list: a run
        # mints hundreds, and the list is one regular expression compiled again on each addition.
        fresh = {
            secret
            for secret in secrets
            if secret and len(secret) >= 8 and not _KEY.fullmatch(secret)
        }
        with self._lock:
            if fresh - self._secrets:
                self._secrets |= fresh
                longest_first = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in longest_first))

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MARK, text)
        for regex, replacement in _PATTERNS:
            text = regex.sub(replacement, text)
        return text
