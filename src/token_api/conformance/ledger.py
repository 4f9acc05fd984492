"""The keys a run has minted, to judge what is later done with them."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# A key asked to expire within this long may rightly be gone when it is next presented.
_GONE_SOON = timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class Minted:
    key_id: str | None
    minted_at: datetime
    expires_at: datetime | None  # None: what was asked for gives no short expiry


class MintLedger:
    """Keyed by the SHA-256 of the secret (never the secret).

    ``limit``: at most that many are remembered, the oldest forgotten first (a proxy in front of
    a busy client must not grow without end); None remembers all.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._by_secret: dict[bytes, Minted] = {}
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self._limit = limit

    @staticmethod
    def _key(secret: str) -> bytes:
        return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()

    def record(self, secret: str, key_id: str | None, expires_at: datetime | None) -> str | None:
        """Remember a minted key; a sentence when its secret or id was handed out before."""
        minted = Minted(key_id, datetime.now(UTC), expires_at)
        with self._lock:
            earlier = self._by_secret.get(self._key(secret))
            if earlier is not None:
                return (
                    f"the api_token handed out for id {key_id} was already handed out "
                    f"{(minted.minted_at - earlier.minted_at).total_seconds():.1f}s earlier "
                    f"(for id {earlier.key_id})"
                )
            if key_id is not None and key_id in self._ids:
                return f"api_token_id {key_id} was already handed out for another token"
            self._by_secret[self._key(secret)] = minted
            if key_id is not None:
                self._ids.add(key_id)
            if self._limit is not None and len(self._by_secret) > self._limit:
                oldest = self._by_secret.pop(next(iter(self._by_secret)))
                self._ids.discard(oldest.key_id or "")
        return None

    def find(self, secret: str) -> Minted | None:
        with self._lock:
            return self._by_secret.get(self._key(secret))

    def alive(self, secret: str | None) -> Minted | None:
        """The key of this run ``secret`` is, unless it may rightly be gone by now."""
        minted = self.find(secret) if secret else None
        if minted is None or (
            minted.expires_at is not None and minted.expires_at <= datetime.now(UTC) + _GONE_SOON
        ):
            return None
        return minted
