"""Running against someone else's deployment: short-lived tokens, a request rate, Retry-After."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from rfc3339_validator import validate_rfc3339

# Every token a run mints expires within an hour; a margin keeps that true on the server's clock.
TOKEN_HORIZON = timedelta(minutes=55)
# The longest a Retry-After is honoured before the request goes on anyway: the run stays bounded.
MAX_RETRY_AFTER = 30.0

_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|m|h|d))?\s*")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: str) -> datetime | None:
    if not validate_rfc3339(value):
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:  # valid RFC 3339 that Python cannot represent (a leap second)
        return None


def requested_expiry(body: Any) -> datetime | None:
    """When the token this body asks for expires, if it says so (None: no early expiry)."""
    if not isinstance(body, dict) or body.get("expires") is False:
        return None
    value = body.get("expires_at")
    return _parse(value) if isinstance(value, str) else None


def cap_lifetime(body: Any, latest: datetime) -> Any:
    """The body with the token it asks for expiring no later than ``latest``.

    Only well-formed parts are changed: a value that breaks the schema is left as it is, so a
    request meant to be refused still is, and one meant to be accepted stays schema-valid.
    Returns the body itself when nothing needed changing.
    """
    if not isinstance(body, dict):
        return body
    expires, expires_at = body.get("expires", True), body.get("expires_at")
    if expires_at is None:
        if expires is False:
            # A token that never expires: ask for one that does.
            return {**body, "expires": True, "expires_at": timestamp(latest)}
        return {**body, "expires_at": timestamp(latest)}
    if isinstance(expires_at, str):
        parsed = _parse(expires_at)
        if parsed is not None and parsed > latest:
            return {**body, "expires_at": timestamp(latest)}
    return body


def parse_rate(value: str) -> tuple[float, float]:
    """'10', '10/s', '100/m' -> (requests, per seconds); ValueError otherwise."""
    match = _RATE.fullmatch(value)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a rate such as 10/s, 100/m or 5")
    return float(match.group(1)), _UNITS[match.group(2) or "s"]


def schemathesis_rate(value: str) -> str:
    """The same rate in Schemathesis's '<limit>/<duration>' form (it wants a whole limit)."""
    requests, seconds = parse_rate(value)
    while requests != int(requests) and seconds < 86400:
        requests, seconds = requests * 60, seconds * 60
    unit = {1.0: "s", 60.0: "m", 3600.0: "h", 86400.0: "d"}.get(seconds)
    if unit is None or requests != int(requests):
        raise ValueError(f"{value!r} cannot be expressed as a whole number of requests")
    return f"{int(requests)}/{unit}"


def retry_after(headers: Any) -> float | None:
    """Seconds a Retry-After header asks for (delay or HTTP date), capped; None if absent."""
    value = headers.get("retry-after") if headers is not None else None
    if isinstance(value, list):
        value = value[0] if value else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(MAX_RETRY_AFTER, seconds))


class Pacer:
    """Spaces requests to a rate; ``None`` means as fast as the deployment answers."""

    def __init__(self, rate: str | None) -> None:
        if rate is None:
            self._interval = 0.0
        else:
            requests, seconds = parse_rate(rate)
            self._interval = seconds / requests
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            time.sleep(delay)

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (a Retry-After)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)
