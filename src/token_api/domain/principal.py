"""Who is calling: a stored credential turned into its effective role and reach."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from token_api.domain.errors import NotAuthenticated
from token_api.domain.roles import Role

# A set of workspace ids, or None for "every workspace of the organization, now and later".
Reach = frozenset[uuid.UUID] | None


@dataclass(frozen=True, slots=True)
class Credential:
    """A stored token joined with its user, as the storage layer reads it."""

    token_id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    token_role: Role
    role_id: uuid.UUID
    personal: bool
    token_workspaces: Reach
    expires_at: datetime | None
    revoked: bool
    user_role: Role
    user_workspaces: Reach
    user_active: bool


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, with what it may do *now*."""

    token_id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    role_id: uuid.UUID
    personal: bool
    workspaces: Reach

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def intersect(a: Reach, b: Reach) -> Reach:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def user_reach(role: Role, workspaces: Reach) -> Reach:
    # ADMIN users reach every workspace, whatever their stored list says.
    return None if role is Role.ADMIN else workspaces


def authenticate(credential: Credential | None, now: datetime) -> Principal:
    """The principal behind a credential, or NotAuthenticated."""
    if credential is None:
        raise NotAuthenticated("The token is not valid.")
    if credential.revoked:
        raise NotAuthenticated("The token has been revoked.")
    if credential.expires_at is not None and now >= credential.expires_at:
        raise NotAuthenticated("The token has expired.")
    if credential.personal:
        if not credential.user_active:
            raise NotAuthenticated("The token's user is no longer a member of the organization.")
        # A personal token acts for its user: it never exceeds what the user may do today.
        role = min(credential.token_role, credential.user_role)
        reach = intersect(
            credential.token_workspaces,
            user_reach(credential.user_role, credential.user_workspaces),
        )
    else:
        # A service token is not tied to its creator's membership.
        role = credential.token_role
        reach = credential.token_workspaces
    return Principal(
        token_id=credential.token_id,
        organization_id=credential.organization_id,
        user_id=credential.user_id,
        role=role,
        role_id=credential.role_id,
        personal=credential.personal,
        workspaces=reach,
    )
