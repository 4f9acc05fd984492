"""The rules no single generated request can show: the API driven as narrower callers it mints
itself, a token watched past its expiry, credentials that must be refused.

Every token minted here expires within minutes. A check whose prerequisite is missing (fewer than
two workspaces, a MEMBER token the deployment would not mint) is skipped with the reason.
"""

from __future__ import annotations

import base64
import secrets
import string
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from token_api.conformance.client import Call, ScenarioClient
from token_api.conformance.safety import timestamp

LIFETIME = timedelta(minutes=10)
# The short-lived token's lead: long enough to use it once, short enough to wait out.
EXPIRY_LEAD = timedelta(seconds=4)
EXPIRY_GRACE = timedelta(seconds=1.5)

WIDER_ROLE = "no_wider_role"
SERVICE = "no_service_token"
WORKSPACE = "no_workspace_outside_reach"
NARROWER_CHECKS = (WIDER_ROLE, SERVICE, WORKSPACE)


@dataclass(frozen=True, slots=True)
class Caller:
    """A token to call with, and the steps that made it (for replaying a failure)."""

    token: str
    who: str
    steps: tuple[str, ...] = ()


class Scenarios:
    def __init__(
        self, client: ScenarioClient, admin_token: str, workspaces: tuple[str, ...]
    ) -> None:
        self.client = client
        self.admin = Caller(admin_token, "the ADMIN token")
        self.workspaces = tuple(dict.fromkeys(workspaces))
        self._expiring: tuple[Caller, datetime] | None = None

    # -- helpers -------------------------------------------------------------------------------

    def body(self, purpose: str, **fields: Any) -> dict[str, Any]:
        expires_at = timestamp(self.client.clock.now() + LIFETIME)
        return {"name": f"token-api conformance: {purpose}", "expires_at": expires_at, **fields}

    def mint(self, caller: Caller, purpose: str, **fields: Any) -> Call:
        return self.client.create(self.body(purpose, **fields), token=caller.token)

    def derive(self, parent: Caller, who: str, call: Call) -> Caller | None:
        if call.minted is None:
            return None
        steps = (*parent.steps, f"# {who}, minted by {parent.who}:", call.curl)
        return Caller(call.minted, who, steps)

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
        problem = why if wrong else None
        before = (*caller.steps, f"# as {caller.who}:") if caller.steps else ()
        self.client.verdict(check, problem, call, before=before)

    def skip(self, checks: tuple[str, ...], reason: str) -> None:
        for check in checks:
            self.client.tallies.skip(check, reason)

    # -- the scenarios -------------------------------------------------------------------------

    def run(self) -> None:
        """Everything but the post-expiry call, which ``finish`` makes once the token is gone."""
        self.credentials()
        self.authenticates()
        self.start_expiry()
        self.narrower_callers()

    def finish(self) -> None:
        self.finish_expiry()

    def credentials(self) -> None:
        alphabet = string.ascii_letters + string.digits
        unknown = "api_" + "".join(secrets.choice(alphabet) for _ in range(49))
        basic = base64.b64encode(b"conformance:probe").decode()
        probes: list[tuple[str, str | None, dict[str, Any] | None]] = [
            ("a request without Authorization", None, None),
            ("an empty Authorization header", "", None),
            ("the Bearer scheme without a token", "Bearer", None),
            ("a bearer token that is no token", "Bearer not-a-token", None),
            ("an unknown api_ token", f"Bearer {unknown}", None),
            ("Basic credentials", f"Basic {basic}", None),
            ("the ADMIN token under another scheme", f"Token {self.admin.token}", None),
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

    def authenticates(self) -> None:
        minted = self.mint(self.admin, "token_authenticates: minted")
        token = self.derive(self.admin, "a fresh token", minted)
        if token is None:
            reason = f"the ADMIN token could not mint a token (answered {minted.status})"
            self.skip(("token_authenticates",), reason)
            return
        self.use_right_away(token)

    def use_right_away(self, token: Caller) -> bool:
        call = self.mint(token, "token_authenticates: used right away")
        refused = call.status == 401
        problem = f"{token.who} was refused right away (401{call.detail()})" if refused else None
        self.client.verdict("token_authenticates", problem, call, before=token.steps)
        return not refused

    def start_expiry(self) -> None:
        expires_at = (self.client.clock.now() + EXPIRY_LEAD).replace(microsecond=0)
        call = self.client.create(
            {
                "name": "token-api conformance: expires in seconds",
                "expires_at": timestamp(expires_at),
            },
            token=self.admin.token,
        )
        token = self.derive(self.admin, f"a token expiring at {timestamp(expires_at)}", call)
        if token is None:
            reason = f"the ADMIN token could not mint a short-lived token (answered {call.status})"
            self.skip(("expired_token_refused",), reason)
            return
        if not self.use_right_away(token):
            self.skip(
                ("expired_token_refused",),
                "the short-lived token was refused even before it expired",
            )
            return
        self._expiring = (token, expires_at)

    def finish_expiry(self) -> None:
        if self._expiring is None:
            return
        token, expires_at = self._expiring
        wait = (expires_at + EXPIRY_GRACE - self.client.clock.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        late = (self.client.clock.now() - expires_at).total_seconds()
        call = self.mint(token, "expired_token_refused: used after expiry")
        why = f"{token.who} was answered {call.status}, not 401, {late:.1f}s after it expired"
        problem = None if call.status == 401 else why
        self.client.verdict("expired_token_refused", problem, call, before=token.steps)

    def narrower_callers(self) -> None:
        limit = list(self.workspaces[:1])
        scope = {"workspaces": limit} if limit else {}
        where = f" limited to {limit[0]!r}" if limit else ""
        minted = self.mint(self.admin, "a MEMBER token", organization_role="MEMBER", **scope)
        member = self.derive(self.admin, f"a MEMBER token{where}", minted)
        if member is None:
            answered = f"answered {minted.status}{minted.detail()}"
            reason = f"the ADMIN token could not mint a MEMBER token{where} ({answered})"
            self.skip(NARROWER_CHECKS, reason)
            return
        minted = self.mint(self.admin, "an EXTERNAL token", organization_role="EXTERNAL", **scope)
        external = self.derive(self.admin, f"an EXTERNAL token{where}", minted)
        # A token the MEMBER token mints with defaults: its role and reach are the MEMBER token's.
        minted = self.mint(member, "a token with the caller's defaults")
        child = self.derive(member, "a token the MEMBER token minted with defaults", minted)
        problem = None if child else f"{member.who} could not mint a token with its defaults"
        before = (*member.steps, f"# as {member.who}:")
        self.client.verdict(
            WIDER_ROLE, problem and f"{problem} ({minted.status})", minted, before=before
        )
        self.wider_role(member, external, child)
        self.service_token(member, external)
        self.workspace_reach(member, child)

    def wider_role(self, member: Caller, external: Caller | None, child: Caller | None) -> None:
        admin, member_role, external_role = (
            {"organization_role": role} for role in ("ADMIN", "MEMBER", "EXTERNAL")
        )
        other_role_id = {"role_id": str(uuid.uuid4())}
        asks: list[tuple[Caller | None, str, dict[str, Any], bool]] = [
            (member, "the ADMIN role", admin, False),
            (member, "a role id of its choosing", other_role_id, False),
            (member, "the MEMBER role", member_role, True),
            (member, "the EXTERNAL role", external_role, True),
            (external, "the MEMBER role", member_role, False),
            (external, "the ADMIN role", admin, False),
            (external, "the EXTERNAL role", external_role, True),
            (child, "the ADMIN role", admin, False),
        ]
        for caller, what, fields, allowed in asks:
            if caller is not None:
                self.expect(WIDER_ROLE, caller, what, fields, allowed=allowed)

    def service_token(self, member: Caller, external: Caller | None) -> None:
        service = {"personal": False}
        for caller, allowed in ((member, False), (external, False), (self.admin, True)):
            if caller is not None:
                self.expect(SERVICE, caller, "a service token", service, allowed=allowed)

    def workspace_reach(self, member: Caller, child: Caller | None) -> None:
        if len(self.workspaces) < 2:
            given = f"got {len(self.workspaces)}" if self.workspaces else "got none"
            self.skip((WORKSPACE,), f"needs two --workspace names ({given})")
            return
        inside, outside = self.workspaces[0], self.workspaces[1]
        missing = f"token-api-conformance-{uuid.uuid4().hex[:12]}"
        asks: list[tuple[Caller | None, str, list[str], bool]] = [
            (self.admin, f"workspace {outside!r}", [outside], True),
            (member, f"workspace {inside!r}", [inside], True),
            (member, f"workspace {outside!r}", [outside], False),
            (member, f"workspaces {inside!r} and {outside!r}", [inside, outside], False),
            (member, f"workspace {missing!r}, which does not exist", [missing], False),
            (child, f"workspace {outside!r}", [outside], False),
        ]
        for caller, what, names, allowed in asks:
            if caller is not None:
                self.expect(WORKSPACE, caller, what, {"workspaces": names}, allowed=allowed)
