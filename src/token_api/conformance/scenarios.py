"""The run of the scenario checks: the preflight (the deployment answers, and accepts the sessions
and workspaces the run was given), the keys it mints presented back to Create Token, then every
scenario check of the registry, each through a ``Probe`` bound to it.

Every key minted here expires within minutes. A scenario check whose prerequisite is missing
(``needs``) is skipped with the registry's reason; a caller the deployment refuses before
anything is tested is ``CallerRefused`` (the run exits 2). A check that must wait (a key's
expiry) is a generator: it yields the moment, on the deployment's clock, it may go on, and
``finish`` resumes it once Schemathesis is done.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from token_api.conformance import registry
from token_api.conformance.callers import GET_A_SESSION, Caller, KeyProbe
from token_api.conformance.client import JSON, Call, Dropped, ScenarioClient
from token_api.conformance.response_checks import no_server_error
from token_api.conformance.results import CounterExample
from token_api.conformance.safety import timestamp

LIFETIME = timedelta(minutes=10)
# When the contract states no body limit: well past any sensible one.
NO_STATED_LIMIT = 1024 * 1024
NAME_PREFIX = "token-api conformance"


class CallerRefused(Exception):
    """The deployment refused a caller or a workspace the run was given; one sentence."""


@dataclass(slots=True)
class Setting:
    """What the scenario checks work with, besides the client."""

    admin: Caller
    narrower: list[Caller]
    workspaces: list[tuple[str, str]]  # (name, where the run was given it), once each
    roles: Mapping[str, str] = field(default_factory=dict)  # role name -> role id
    key_probe: KeyProbe | None = None
    long_lived: bool = False

    def has(self) -> set[str]:
        """What of the registry's ``needs`` this run has."""
        offered = set()
        if self.narrower:
            offered.add("narrower")
        if any(caller.role == "EXTERNAL" for caller in self.narrower):
            offered.add("external")
        if self.workspaces:
            offered.add("workspace")
        if self.roles:
            offered.add("roles")
        if self.long_lived:
            offered.add("long-lived")
        return offered


def as_caller(caller: Caller) -> tuple[str, ...]:
    """The steps that made ``caller``, as a replay's first lines."""
    return (*caller.steps, f"# as {caller.who}:") if caller.steps else ()


class Probe:
    """One scenario check's view of the run: the callers, its requests, its verdicts."""

    def __init__(self, run: ScenarioRun, check: registry.Check) -> None:
        self.check = check
        self.client = run.client
        self.setting = run.setting
        self.keys = run.keys  # the keys the preflight minted, to present back
        self.run = run
        self.own_role = True  # narrower callers name their own role (see create)

    # -- who and what --------------------------------------------------------------------------

    @property
    def admin(self) -> Caller:
        return self.setting.admin

    @property
    def narrower(self) -> list[Caller]:
        return self.setting.narrower

    @property
    def callers(self) -> list[Caller]:
        return [self.setting.admin, *self.setting.narrower]

    @property
    def workspaces(self) -> list[str]:
        return [name for name, _ in self.setting.workspaces]

    def reach(self, caller: Caller) -> list[str]:
        """The known workspaces ``caller`` may mint for."""
        known = self.workspaces
        return known if caller.reach is None else [name for name in known if name in caller.reach]

    def now(self) -> datetime:
        return self.client.clock.now()

    @staticmethod
    def json(body: Any) -> bytes:
        return json.dumps(body).encode()

    def body(self, purpose: str, **fields: Any) -> dict[str, Any]:
        """A body asking for a key that expires within minutes, named for what it probes."""
        expires_at = timestamp(self.now() + LIFETIME)
        name = f"{NAME_PREFIX}: {self.check.name}: {purpose}"
        return {"name": name[:200], "expires_at": expires_at, **fields}

    # -- sending -------------------------------------------------------------------------------

    def create(self, caller: Caller | None, body: Any) -> Call | None:
        """POST Create Token a JSON body as ``caller`` (None: without credentials); None when no
        answer came (counted as a failure here and of no_server_error).

        A narrower caller asks for its own role by name unless ``default_role`` is off: what
        its role is when left out is one rule (role.default), not every check's business."""
        if (
            self.own_role
            and caller is not None
            and caller.role not in (None, "ADMIN")
            and isinstance(body, dict)
            and "organization_role" not in body
        ):
            body = {**body, "organization_role": caller.role}
        headers = [("Content-Type", JSON)]
        if caller is not None:
            headers.append(("Authorization", f"Bearer {caller.token}"))
        return self.send(caller, headers, self.json(body))

    def send(
        self,
        caller: Caller | None,
        headers: Sequence[tuple[str, str]],
        content: bytes | Iterable[bytes] | None,
        *,
        method: str | None = None,
        path: str | None = None,
        replay_body: str | None = None,
        on_the_wire: bool = False,
        key_probe: bool = False,
    ) -> Call | None:
        """Any request (Create Token's method and path by default); None when no answer came."""
        operation = self.client.operation
        before = as_caller(caller) if caller is not None else ()
        try:
            return self.client.request(
                method or operation.method,
                path or operation.path,
                headers,
                content,
                replay_body=replay_body,
                before=before,
                on_the_wire=on_the_wire,
                key_probe=key_probe,
            )
        except Dropped as error:
            # A request the deployment drops, when it answered before, is its server error, and
            # this check's case failed.
            self.run.dropped(error, before)
            example = CounterExample(str(error), (*before, error.curl))
            self.client.tallies.failed(self.check.name, example)
            return None

    # -- verdicts ------------------------------------------------------------------------------

    def verdict(
        self,
        problem: str | None,
        call: Call | None,
        *,
        caller: Caller | None = None,
        rule: str | None = None,
    ) -> None:
        if call is None:
            return  # already counted when it got no answer
        before = as_caller(caller) if caller is not None else ()
        self.client.verdict(self.check.name, problem, call, before=before, rule=rule)

    def expect(
        self, call: Call | None, expected: int | range, what: str, *, caller: Caller | None = None
    ) -> None:
        """``what`` must be answered ``expected`` (a status, or a range: 2xx is range(200, 300))."""
        if call is None:
            return
        ok = call.status in expected if isinstance(expected, range) else call.status == expected
        wanted = f"{expected.start // 100}xx" if isinstance(expected, range) else str(expected)
        problem = None if ok else f"{what} was answered {call.status}{call.detail()}, not {wanted}"
        self.verdict(problem, call, caller=caller)

    def expect_violation(
        self, call: Call | None, field: list[Any], what: str, *, caller: Caller | None = None
    ) -> None:
        """``what`` must be answered 422 with a violation located at ``field`` of the body."""
        if call is None:
            return
        problem = None
        if call.status != 422:
            problem = f"{what} was answered {call.status}{call.detail()}, not 422"
        elif not located(call, field):
            problem = f"the 422 for {what} has no violation at {json.dumps(['body', *field])}"
        self.verdict(problem, call, caller=caller)

    def asks(self, caller: Caller, what: str, fields: dict[str, Any], *, allowed: bool) -> None:
        """``caller`` asks for ``fields``; the contract mints it (``allowed``) or answers 403."""
        call = self.create(caller, self.body(what, **fields))
        if allowed:
            self.expect(call, SUCCESS, f"{caller.who} asking for {what}", caller=caller)
        else:
            self.expect(call, 403, f"{caller.who} asking for {what}", caller=caller)

    def partial(self, reason: str) -> None:
        self.client.tallies.partial(self.check.name, reason)

    def missing(self, want: str) -> bool:
        """Whether the run lacks ``want`` (one of the check's ``wants``); if so the check is
        reported partial with the registry's reason."""
        if want in self.setting.has():
            return False
        self.partial(registry.NEEDS[want])
        return True


SUCCESS = range(200, 300)


def located(call: Call, field: list[Any]) -> bool:
    """Whether a violation of the answer is located at ``field`` (or within it), FastAPI's
    leading "body" aside; an answer that is no list of violations is validation_error_shape's
    to judge, not this."""
    try:
        body = call.answer.json()
    except ValueError:
        return True
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list) or not all(isinstance(item, dict) for item in detail):
        return True
    for item in detail:
        loc = item.get("loc")
        if isinstance(loc, list):
            path = loc[1:] if loc[:1] == ["body"] else loc
            if path[: len(field)] == field:
                return True
    return False


def python_printing(expression: str) -> str:
    """A shell command that prints ``expression`` (Python bytes), to replay a long body."""
    return "python3 -c " + shlex.quote(f"import sys; sys.stdout.buffer.write({expression})")


def padded(head: bytes, filler: bytes, count: int, tail: bytes) -> tuple[bytes, str]:
    """``head + filler * count + tail``, and a shell command printing it."""
    return head + filler * count + tail, python_printing(
        f"{head!r} + {filler!r} * {count} + {tail!r}"
    )


def derive(parent: Caller, who: str, call: Call | None) -> Caller | None:
    """The key ``parent`` just minted with ``call``, if it did."""
    if call is None or call.minted is None:
        return None
    steps = (*parent.steps, f"# {who}, minted by {parent.who}:", call.curl)
    return Caller(call.minted, who, steps=steps)


Waiting = Generator[datetime, None, None]


class ScenarioRun:
    def __init__(self, client: ScenarioClient, setting: Setting, selected: frozenset[str]) -> None:
        self.client = client
        self.setting = setting
        self.selected = selected
        self.keys: list[Caller] = []
        self.judges_server_errors = no_server_error.__name__ in selected
        self._waiting: list[tuple[Probe, Waiting, datetime]] = []

    def _mint(self, caller: Caller, purpose: str, **fields: Any) -> Call | None:
        """A preflight request: no verdict of its own. Before the deployment has answered once,
        no answer is Unreachable (exit 2); after, it is a server error (None)."""
        expires_at = timestamp(self.client.clock.now() + LIFETIME)
        body = {"name": f"{NAME_PREFIX}: preflight: {purpose}", "expires_at": expires_at, **fields}
        before = as_caller(caller)
        try:
            return self.client.create(body, token=caller.token, before=before)
        except Dropped as error:
            self.dropped(error, before)
            return None

    def dropped(self, error: Dropped, before: tuple[str, ...]) -> None:
        if self.judges_server_errors:
            example = CounterExample(str(error), (*before, error.curl))
            self.client.tallies.failed(no_server_error.__name__, example)

    def preflight(self) -> None:
        """CallerRefused unless the ADMIN session may grant ADMIN and mint for every workspace
        named, and each narrower session is one the deployment accepts. The keys minted here are
        presented back later."""
        admin = self.setting.admin
        probe = self._mint(admin, "may this session grant ADMIN?", organization_role="ADMIN")
        assert probe is not None, "the first request is answered or Unreachable"
        where = f"{self.client.base_url}{self.client.operation.path}"
        if probe.status in (404, 405):
            raise CallerRefused(
                f"{where} answered {probe.status}: is --base-url the root of the Token API?"
            )
        if probe.status == 401:
            raise CallerRefused(
                f"The deployment did not accept {admin.who} (401{probe.detail()}); "
                f"it may have expired or ended: {GET_A_SESSION}."
            )
        if probe.status == 403:
            raise CallerRefused(
                f"The deployment refused {admin.who} (403{probe.detail()}); the run needs "
                f"an ADMIN user's session, not an API key or a narrower user's: {GET_A_SESSION}."
            )
        self._keep(derive(admin, "a personal ADMIN key", probe))
        for name, given in self.setting.workspaces:
            call = self._mint(admin, f"workspace {name}", workspaces=[name])
            if call is not None and not 200 <= call.status < 300:
                raise CallerRefused(
                    f"Cannot mint a key for {given} {name!r} as {admin.who} "
                    f"({call.status}{call.detail()}): does the workspace exist?"
                )
        for caller in self.setting.narrower:
            # Its own role, asked for by name: whether it is the default is a rule of its own.
            call = self._mint(caller, "a key of its own role", organization_role=caller.role)
            if call is not None and call.status == 401:
                raise CallerRefused(
                    f"The deployment refused {caller.who} (401{call.detail()}); "
                    f"give a current session of that user: {GET_A_SESSION}."
                )
            self._keep(derive(caller, f"a key {caller.who} minted", call))
        service = self._mint(admin, "a service key", personal=False)
        self._keep(derive(admin, "a service key", service))

    def _keep(self, key: Caller | None) -> None:
        if key is not None:
            self.keys.append(key)

    def run(self) -> None:
        """Every selected scenario check, up to where it waits; then the keys presented back."""
        has = self.setting.has()
        tallies = self.client.tallies
        for check in registry.checks():
            if check.kind != registry.SCENARIO or check.name not in self.selected:
                continue
            lacking = [need for need in check.needs if need not in has]
            if lacking:
                tallies.skip(check.name, registry.NEEDS[lacking[0]])
                continue
            probe = Probe(self, check)
            assert check.function is not None
            outcome = check.function(probe)
            if isinstance(outcome, Generator):
                self._advance(probe, outcome)
        # Each key minted above, presented to Create Token: judged by api_key_cannot_mint and
        # token_authenticates (or, with --key-probe, at that endpoint), as every answer is.
        for key in self.keys:
            self.present(key)

    def present(self, key: Caller) -> None:
        body = {
            "name": f"{NAME_PREFIX}: presented by {key.who}",
            "expires_at": timestamp(self.client.clock.now() + LIFETIME),
        }
        before = as_caller(key)
        try:
            self.client.create(body, token=key.token, before=before)
            probe = self.setting.key_probe
            if probe is not None:
                headers = [("Authorization", f"Bearer {key.token}")]
                self.client.request(
                    probe.method, probe.path, headers, None, before=before, key_probe=True
                )
        except Dropped as error:
            self.dropped(error, before)

    def _advance(self, probe: Probe, waiting: Waiting) -> None:
        try:
            moment = next(waiting)
        except StopIteration:
            return
        self._waiting.append((probe, waiting, moment))

    def finish(self) -> None:
        """Resume the checks that waited, each no earlier than the moment it asked for."""
        while self._waiting:
            self._waiting.sort(key=lambda entry: entry[2])
            probe, waiting, moment = self._waiting.pop(0)
            wait = (moment - self.client.clock.now()).total_seconds()
            if wait > 0:
                time.sleep(wait)
            self._advance(probe, waiting)
