"""A minted key over its life: recognised until it expires and refused after; one asked for
without an expiry lives the deployment's default lifetime."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from token_api.conformance.callers import Caller
from token_api.conformance.client import Call
from token_api.conformance.registry import scenario_check
from token_api.conformance.safety import timestamp
from token_api.conformance.scenarios import SUCCESS, Probe, Waiting, derive

# The short-lived key's lead: long enough to use it once, short enough to wait out.
EXPIRY_LEAD = timedelta(seconds=3)
EXPIRY_GRACE = timedelta(seconds=1.5)
# How long a key of the default lifetime must at least have lived when it is presented again.
DEFAULT_LIFETIME_CHECKED_AFTER = timedelta(seconds=4)


def present(probe: Probe, key: Caller, purpose: str) -> tuple[Call | None, str]:
    """``key`` presented where the run sees whether it is recognised: Create Token (403), or
    --key-probe (2xx); the call and where it went."""
    key_probe = probe.setting.key_probe
    if key_probe is None:
        return probe.create(key, probe.body(purpose)), "Create Token"
    headers = [("Authorization", f"Bearer {key.token}")]
    call = probe.send(key, headers, None, method=key_probe.method, path=key_probe.path,
                      key_probe=True)  # fmt: skip
    return call, f"--key-probe {key_probe.label}"


def recognised(probe: Probe, key: Caller, purpose: str) -> None:
    call, where = present(probe, key, purpose)
    if call is None:
        return
    ok = call.status == 403 if where == "Create Token" else call.status in SUCCESS
    wanted = "403" if where == "Create Token" else "2xx"
    problem = (
        None if ok else f"{where} answered {key.who} {call.status}{call.detail()}, not {wanted}"
    )
    probe.verdict(problem, call, caller=key)


def _whole_second_after(moment: datetime) -> datetime:
    return datetime.fromtimestamp(math.ceil(moment.timestamp()), UTC)


@scenario_check("key.expires")
def expired_token_refused(probe: Probe) -> Waiting:
    """a key is recognised until it expires, 401 after"""
    expires_at = _whole_second_after(probe.now() + EXPIRY_LEAD)
    what = f"a key expiring at {timestamp(expires_at)}"
    call = probe.create(probe.admin, probe.body(what, expires_at=timestamp(expires_at)))
    key = derive(probe.admin, what, call)
    if key is None:
        probe.expect(call, SUCCESS, f"the ADMIN session asking for {what}")
        return
    recognised(probe, key, "before it expired")
    yield expires_at + EXPIRY_GRACE
    late = (probe.now() - expires_at).total_seconds()
    call, where = present(probe, key, "after it expired")
    if call is not None:
        problem = None
        if call.status != 401:
            problem = (
                f"{where} answered {key.who} {call.status}, not 401, {late:.1f}s after it expired"
            )
        probe.verdict(problem, call, caller=key)


@scenario_check("key.default-lifetime", needs=("long-lived",))
def default_lifetime(probe: Probe) -> Waiting:
    """a key asked for without an expires_at is minted and lives on"""
    keys = []
    for what, fields in [("no expires_at", {}), ("expires_at null", {"expires_at": None})]:
        body = {**probe.body(what), **fields}
        if not fields:
            del body["expires_at"]
        call = probe.create(probe.admin, body)
        probe.expect(call, SUCCESS, f"the ADMIN session asking for a key with {what}")
        key = derive(probe.admin, f"a key with {what}", call)
        if key is not None:
            keys.append(key)
    if keys:
        yield probe.now() + DEFAULT_LIFETIME_CHECKED_AFTER
    for key in keys:
        recognised(probe, key, "some seconds after it was minted")
