"""Which workspaces a key may reach: each within the caller's reach mints, one outside it or one
that does not exist is 403 (one answer for both, the ADMIN included), none means all, a name
twice counts once, and the list has its limits."""

from __future__ import annotations

import uuid

from token_api.conformance.registry import scenario_check
from token_api.conformance.scenarios import SUCCESS, Probe

MAX_WORKSPACES = 1000
MAX_NAME = 256


def _missing() -> str:
    return f"token-api-conformance-{uuid.uuid4().hex[:12]}"


@scenario_check("workspace.reach", needs=("narrower", "workspace"))
def no_workspace_outside_reach(probe: Probe) -> None:
    """every workspace in a caller's reach mints, alone or together; one outside it is 403"""
    known = probe.workspaces
    probe.asks(probe.admin, "every workspace at once", {"workspaces": known}, allowed=True)
    for caller in probe.narrower:
        reach = probe.reach(caller)
        outside = [name for name in known if name not in reach]
        for name in reach:
            probe.asks(caller, f"workspace {name!r}", {"workspaces": [name]}, allowed=True)
        if len(reach) > 1:
            probe.asks(caller, "every workspace of its reach", {"workspaces": reach}, allowed=True)
        for name in outside:
            probe.asks(caller, f"workspace {name!r}", {"workspaces": [name]}, allowed=False)
        if reach and outside:
            both = [reach[0], outside[0]]
            probe.asks(caller, f"workspaces {both}", {"workspaces": both}, allowed=False)


@scenario_check("workspace.unknown")
def unknown_workspace(probe: Probe) -> None:
    """a workspace that does not exist is 403 for every caller, the ADMIN included"""
    for caller in probe.callers:
        name = _missing()
        probe.asks(caller, f"workspace {name!r}, which does not exist", {"workspaces": [name]},
                   allowed=False)  # fmt: skip
        reach = probe.reach(caller)
        if reach:
            both = [reach[0], _missing()]
            probe.asks(caller, f"workspaces {both}, the second of which does not exist",
                       {"workspaces": both}, allowed=False)  # fmt: skip


@scenario_check("workspace.default")
def default_workspaces(probe: Probe) -> None:
    """workspaces omitted or empty: the key reaches what the caller reaches, and is minted"""
    for caller in probe.callers:
        call = probe.create(caller, probe.body("workspaces omitted"))
        probe.expect(call, SUCCESS, f"{caller.who} omitting workspaces", caller=caller)
        probe.asks(caller, "workspaces []", {"workspaces": []}, allowed=True)


@scenario_check("workspace.duplicates", needs=("workspace",))
def duplicate_workspaces(probe: Probe) -> None:
    """a workspace listed twice counts once, and the key is minted"""
    for caller in probe.callers:
        for name in probe.reach(caller)[:1]:
            probe.asks(caller, f"workspace {name!r} twice", {"workspaces": [name, name]},
                       allowed=True)  # fmt: skip


@scenario_check("workspace.limits", wants=("workspace",))
def workspace_limits(probe: Probe) -> None:
    """at most 1,000 names of at most 256 characters, else 422 at ["body", "workspaces"]"""
    loc = ["workspaces"]
    admin = probe.admin
    name = probe.workspaces[0] if probe.workspaces else _missing()
    over = [name] * (MAX_WORKSPACES + 1)
    call = probe.create(admin, probe.body(f"{len(over):,} workspaces", workspaces=over))
    probe.expect_violation(call, loc, f"a list of {len(over):,} workspaces", caller=admin)
    long = "w" * (MAX_NAME + 1)
    call = probe.create(admin, probe.body("a workspace name too long", workspaces=[long]))
    probe.expect_violation(call, loc, f"a workspace name of {len(long)} characters", caller=admin)
    # At the bounds: no violation. A name of 256 characters that does not exist is 403.
    bound = "w" * MAX_NAME
    call = probe.create(admin, probe.body("a workspace name at the bound", workspaces=[bound]))
    probe.expect(call, 403, f"a workspace name of {MAX_NAME} characters (no such workspace)",
                 caller=admin)  # fmt: skip
    if probe.missing("workspace"):
        return
    full = [name] * MAX_WORKSPACES
    probe.asks(admin, f"{len(full):,} workspaces (one name)", {"workspaces": full}, allowed=True)
