"""The rules no single generated request can show: the API driven as the ADMIN and narrower users'
sessions, the keys they mint presented back to Create Token, a key watched past its expiry,
credentials that must be refused.

Every key minted here expires within minutes. A check whose prerequisite is missing (no MEMBER
or EXTERNAL session) is skipped with the reason; a caller the deployment refuses before anything
is tested is a ``Refusal`` (the run exits 2).
"""

from __future__ import annotations

import base64
import secrets
import string
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from token_api.conformance import bodies
from token_api.conformance.callers import GET_A_SESSION, Caller, KeyProbe
from token_api.conformance.client import Call, ScenarioClient
from token_api.conformance.safety import timestamp

LIFETIME = timedelta(minutes=10)
# The short-lived key's lead: long enough to use it once, short enough to wait out.
EXPIRY_LEAD = timedelta(seconds=4)
EXPIRY_GRACE = timedelta(seconds=1.5)

AUTHENTICATES = "token_authenticates"
CANNOT_MINT = "api_key_cannot_mint"
EXPIRED = "expired_token_refused"
WIDER_ROLE = "no_wider_role"
SERVICE = "no_service_token"
WORKSPACE = "no_workspace_outside_reach"
NARROWER_CHECKS = (WIDER_ROLE, SERVICE, WORKSPACE)


class Refusal(Exception):
    """The deployment refused a caller or a workspace the run was given; one sentence."""


class Scenarios:
    def __init__(
        self,
        client: ScenarioClient,
        admin: Caller,
        narrower: Sequence[Caller],
        workspaces: Sequence[tuple[str, str]],
        key_probe: KeyProbe | None = None,
    ) -> None:
        """``workspaces``: (name, where the run was given it), once each."""
        self.client = client
        self.admin = admin
        self.narrower = list(narrower)
        self.workspaces = list(workspaces)
        self.key_probe = key_probe
        self.keys: list[Caller] = []  # keys minted by the preflight, to present back
        self._expiring: tuple[Caller, datetime] | None = None

    # -- helpers -------------------------------------------------------------------------------

    def body(self, purpose: str, **fields: Any) -> dict[str, Any]:
        expires_at = timestamp(self.client.clock.now() + LIFETIME)
        return {"name": f"token-api conformance: {purpose}", "expires_at": expires_at, **fields}

    def mint(self, caller: Caller, purpose: str, **fields: Any) -> Call:
        return self.client.create(self.body(purpose, **fields), token=caller.token)

    def derive(self, parent: Caller, who: str, call: Call) -> Caller | None:
        """The key ``parent`` just minted, if it did."""
        if call.minted is None:
            return None
        steps = (*parent.steps, f"# {who}, minted by {parent.who}:", call.curl)
        return Caller(call.minted, who, steps=steps)

    def expect(
        self, check: str, caller: Caller, asks: str, fields: dict[str, Any], *, allowed: bool
    ) -> None:
        """``caller`` asks for something; the contract answers 403, or (``allowed``) mints it."""
        call = self.mint(caller, f"{check}: {asks}", **fields)
        if allowed:
            wrong = not 200 <= call.status < 300
            why = f"{caller.who} could not mint {asks} (answered {call.status}{call.detail()})"
            why += ", which the contract allows"
        else:
            wrong = call.status != 403
            why = f"{caller.who} asked for {asks} and was answered {call.status}, not 403"
        self.client.verdict(check, why if wrong else None, call, before=self._as(caller))

    @staticmethod
    def _as(caller: Caller) -> tuple[str, ...]:
        return (*caller.steps, f"# as {caller.who}:") if caller.steps else ()

    def skip(self, checks: tuple[str, ...], reason: str) -> None:
        for check in checks:
            self.client.tallies.skip(check, reason)

    # -- before anything is tested -------------------------------------------------------------

    def preflight(self) -> None:
        """Refusal unless the ADMIN session may grant ADMIN, mint for every workspace named, and
        each narrower session is one the deployment accepts."""
        probe = self.mint(self.admin, "preflight: may this session grant ADMIN?",
                          organization_role="ADMIN")  # fmt: skip
        where = f"{self.client.base_url}{self.client.operation.path}"
        if probe.status in (404, 405):
            raise Refusal(
                f"{where} answered {probe.status}: is --base-url the root of the Token API?"
            )
        if probe.status == 401:
            raise Refusal(
                f"The deployment did not accept {self.admin.who} (401{probe.detail()}); "
                f"it may have expired or ended: {GET_A_SESSION}."
            )
        if probe.status == 403:
            raise Refusal(
                f"The deployment refused {self.admin.who} (403{probe.detail()}); the run needs "
                f"an ADMIN user's session, not an API key or a narrower user's: {GET_A_SESSION}."
            )
        key = self.derive(self.admin, "a personal ADMIN key", probe)
        if key is not None:
            self.keys.append(key)
        for name, given in self.workspaces:
            call = self.mint(self.admin, f"preflight: workspace {name}", workspaces=[name])
            if not 200 <= call.status < 300:
                raise Refusal(
                    f"Cannot mint a key for {given} {name!r} as {self.admin.who} "
                    f"({call.status}{call.detail()}): does the workspace exist?"
                )
        for caller in self.narrower:
            call = self.mint(caller, "preflight: a key with the session's defaults")
            if call.status in (401, 403):
                raise Refusal(
                    f"The deployment refused {caller.who} ({call.status}{call.detail()}); "
                    f"give a current session of that user: {GET_A_SESSION}."
                )
            key = self.derive(caller, f"a key {caller.who} minted", call)
            if key is not None:
                self.keys.append(key)

    # -- the scenarios -------------------------------------------------------------------------

    def run(self) -> None:
        """Everything but the post-expiry call, which ``finish`` makes once the key is gone."""
        self.credentials()
        self.api_keys()
        self.start_expiry()
        self.narrower_callers()
        bodies.expiry_rules(self.client, self.admin.token)
        bodies.hostile_bodies(self.client, self.admin.token)

    def finish(self) -> None:
        self.finish_expiry()

    def credentials(self) -> None:
        alphabet = string.ascii_letters + string.digits
        unknown = "api_" + "".join(secrets.choice(alphabet) for _ in range(49))
        basic = base64.b64encode(b"conformance:probe").decode()
        probes: list[tuple[str, str | None, dict[str, Any] | None]] = [
            ("a request without Authorization", None, None),
            ("an empty Authorization header", "", None),
            ("the Bearer scheme without a credential", "Bearer", None),
            ("a bearer credential that is none", "Bearer not-a-token", None),
            ("an unknown api_ key", f"Bearer {unknown}", None),
            ("Basic credentials", f"Basic {basic}", None),
            ("the ADMIN session under another scheme", f"Token {self.admin.token}", None),
            # Credentials are checked before the body is read: no 422 for the unauthenticated.
            ("no credentials and a schema-invalid body", None, {"organization_role": 7}),
        ]
        for what, authorization, body in probes:
            call = self.client.create(
                body if body is not None else self.body("credentials_required probe"),
                token=None,
                authorization=authorization,
            )
            problem = None if call.status == 401 else f"{what} was answered {call.status}, not 401"
            self.client.verdict("credentials_required", problem, call)

    def present(self, key: Caller, purpose: str) -> Call:
        """Create Token called with a key: refused, whatever it asks for (api_key_cannot_mint)."""
        call = self.mint(key, f"{CANNOT_MINT}: {purpose}")
        problem = None
        if 200 <= call.status < 300:
            problem = f"{key.who} minted a key at Create Token (answered {call.status})"
        self.client.verdict(CANNOT_MINT, problem, call, before=self._as(key))
        return call

    def recognised(self, key: Caller, call: Call) -> bool:
        """token_authenticates for a key used moments after it was minted: Create Token's
        ``call`` answered 403 (recognised, not permitted), or the --key-probe answers 2xx."""
        if self.key_probe is not None:
            probe = self.client.probe(self.key_probe.method, self.key_probe.path, key.token)
            ok = 200 <= probe.status < 300
            why = f"--key-probe {self.key_probe.label} answered {key.who} right after it was "
            why += f"minted with {probe.status}{probe.detail()}, not 2xx"
            self.client.verdict(AUTHENTICATES, None if ok else why, probe, before=self._as(key))
            return ok
        ok = call.status == 403 or 200 <= call.status < 300
        if call.status == 401:
            why = f"{key.who} was refused as unknown (401{call.detail()}) right after it was minted"
        else:
            why = f"{key.who} was answered {call.status} at Create Token, not 403"
        self.client.verdict(AUTHENTICATES, None if ok else why, call, before=self._as(key))
        return ok

    def api_keys(self) -> None:
        minted = self.mint(self.admin, "a service key", personal=False)
        service = self.derive(self.admin, "a service key", minted)
        keys = [*self.keys, *([service] if service else [])]
        if not keys:
            reason = f"{self.admin.who} could not mint a key (answered {minted.status})"
            self.skip((AUTHENTICATES, CANNOT_MINT), reason)
            return
        for key in keys:
            self.recognised(key, self.present(key, f"presented by {key.who}"))

    def start_expiry(self) -> None:
        expires_at = (self.client.clock.now() + EXPIRY_LEAD).replace(microsecond=0)
        call = self.client.create(
            {
                "name": "token-api conformance: expires in seconds",
                "expires_at": timestamp(expires_at),
            },
            token=self.admin.token,
        )
        key = self.derive(self.admin, f"a key expiring at {timestamp(expires_at)}", call)
        if key is None:
            reason = f"{self.admin.who} could not mint a short-lived key (answered {call.status})"
            self.skip((EXPIRED,), reason)
            return
        if not self.recognised(key, self.present(key, "a key with seconds to live")):
            self.skip((EXPIRED,), "the short-lived key was not recognised even before it expired")
            return
        self._expiring = (key, expires_at)

    def finish_expiry(self) -> None:
        if self._expiring is None:
            return
        key, expires_at = self._expiring
        wait = (expires_at + EXPIRY_GRACE - self.client.clock.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        late = (self.client.clock.now() - expires_at).total_seconds()
        call = self.present(key, "used after it expired")
        where = "Create Token"
        if self.key_probe is not None:
            call = self.client.probe(self.key_probe.method, self.key_probe.path, key.token)
            where = f"--key-probe {self.key_probe.label}"
        why = f"{key.who} was answered {call.status} by {where}, not 401, {late:.1f}s after expiry"
        self.client.verdict(EXPIRED, None if call.status == 401 else why, call, before=key.steps)

    # -- narrower callers ----------------------------------------------------------------------

    def narrower_callers(self) -> None:
        if not self.narrower:
            self.skip(
                NARROWER_CHECKS,
                "no MEMBER or EXTERNAL user's session: give --identities FILE",
            )
            return
        self.wider_role()
        self.service_key()
        self.workspace_reach()

    def wider_role(self) -> None:
        # Asked by a role: (the role or role id it asks for, allowed).
        asks: dict[str, list[tuple[str, dict[str, Any], bool]]] = {
            "MEMBER": [
                ("the ADMIN role", {"organization_role": "ADMIN"}, False),
                ("a role id of its choosing", {"role_id": str(uuid.uuid4())}, False),
                ("the MEMBER role", {"organization_role": "MEMBER"}, True),
                ("the EXTERNAL role", {"organization_role": "EXTERNAL"}, True),
            ],
            "EXTERNAL": [
                ("the MEMBER role", {"organization_role": "MEMBER"}, False),
                ("the ADMIN role", {"organization_role": "ADMIN"}, False),
                ("a role id of its choosing", {"role_id": str(uuid.uuid4())}, False),
                ("the EXTERNAL role", {"organization_role": "EXTERNAL"}, True),
            ],
        }
        for caller in self.narrower:
            for what, fields, allowed in asks.get(caller.role or "", []):
                self.expect(WIDER_ROLE, caller, what, fields, allowed=allowed)

    def service_key(self) -> None:
        for caller in (*self.narrower, self.admin):
            allowed = caller is self.admin
            self.expect(SERVICE, caller, "a service key", {"personal": False}, allowed=allowed)

    def workspace_reach(self) -> None:
        known = [name for name, _ in self.workspaces]
        missing = f"token-api-conformance-{uuid.uuid4().hex[:12]}"
        for caller in self.narrower:
            reach = known if caller.reach is None else list(caller.reach)
            outside = [name for name in known if name not in reach]
            asks: list[tuple[Caller, str, list[str], bool]] = [
                (caller, f"workspace {missing!r}, which does not exist", [missing], False),
            ]
            if reach:
                asks.append((caller, f"workspace {reach[0]!r}", [reach[0]], True))
            if outside:
                asks += [
                    (self.admin, f"workspace {outside[0]!r}", [outside[0]], True),
                    (caller, f"workspace {outside[0]!r}", [outside[0]], False),
                ]
                if reach:
                    both = [reach[0], outside[0]]
                    asks.append((caller, f"workspaces {both[0]!r} and {both[1]!r}", both, False))
            for who, what, names, allowed in asks:
                self.expect(WORKSPACE, who, what, {"workspaces": names}, allowed=allowed)
