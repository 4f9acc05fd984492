"""What a caller may grant: a role, a role id, a service key. MEMBER and EXTERNAL sessions are
refused anything wider than themselves (403); the ADMIN grants anything the organization has."""

from __future__ import annotations

import uuid

from token_api.conformance.registry import scenario_check
from token_api.conformance.scenarios import SUCCESS, Probe

# Each role, and the roles it may grant.
_ORDER = ("EXTERNAL", "MEMBER", "ADMIN")


@scenario_check("role.default", needs=("external",))
def default_role(probe: Probe) -> None:
    """without organization_role a key has the caller's role, so every caller's default mints"""
    probe.own_role = False
    for caller in probe.callers:
        call = probe.create(caller, probe.body("a key without organization_role"))
        probe.expect(call, SUCCESS, f"{caller.who} asking for a key of its default role",
                     caller=caller)  # fmt: skip


@scenario_check("role.no-wider", needs=("narrower",))
def no_wider_role(probe: Probe) -> None:
    """a MEMBER/EXTERNAL session cannot grant a wider role (403), and grants its own or lower"""
    for caller in probe.callers:
        own = _ORDER.index(caller.role) if caller.role in _ORDER else len(_ORDER) - 1
        for index, role in enumerate(_ORDER):
            fields = {"organization_role": role}
            probe.asks(caller, f"the {role} role", fields, allowed=index <= own)


@scenario_check("role-id.own-only", needs=("narrower",), wants=("roles",))
def own_role_id_only(probe: Probe) -> None:
    """a MEMBER/EXTERNAL session may pass only its own role_id: any other is 403, known or not"""
    roles = probe.setting.roles
    probe.missing("roles")
    for caller in probe.narrower:
        probe.asks(caller, "a role id no role has", {"role_id": str(uuid.uuid4())}, allowed=False)
        for role, role_id in roles.items():
            what = f"the {role} role's id" + (" (its own)" if role == caller.role else "")
            probe.asks(caller, what, {"role_id": role_id}, allowed=role == caller.role)


@scenario_check("role-id.known", wants=("roles",))
def unknown_role_id(probe: Probe) -> None:
    """from the ADMIN, a role_id no role has is 422; every role's id mints"""
    call = probe.create(probe.admin, probe.body("a role id", role_id=str(uuid.uuid4())))
    probe.expect_violation(call, ["role_id"], "a role id no role has", caller=probe.admin)
    if not probe.missing("roles"):
        for role, role_id in probe.setting.roles.items():
            probe.asks(probe.admin, f"the {role} role's id", {"role_id": role_id}, allowed=True)


@scenario_check("service.admin-only", needs=("narrower",))
def no_service_token(probe: Probe) -> None:
    """a MEMBER/EXTERNAL session cannot mint a service key (403); the ADMIN can"""
    for caller in probe.callers:
        allowed = caller is probe.admin
        probe.asks(caller, "a service key", {"personal": False}, allowed=allowed)
