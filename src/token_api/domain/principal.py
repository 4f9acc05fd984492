"""Who is calling: a stored credential turned into its effective role and reach.

There is one credential model with two kinds. A **session** is a signed-in user: it has no role
or reach of its own, it is its user as of each request. An **API key** is what Create Token
returns: personal (acts for its user, capped by what the user may do now) or service (not tied to
the user's membership).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from token_api.domain.errors import NotAuthenticated
from token_api.domain.roles import Role

# A set of workspace ids, or None for "every workspace of the organization, now and later".
Reach = frozenset[uuid.UUID] | None


class Kind(enum.StrEnum):
    """The kinds of bearer credential, as stored."""

    SESSION = "session"
    API_KEY = "api_key"

    @property
    def noun(self) -> str:
        return "session" if self is Kind.SESSION else "API key"


@dataclass(frozen=True, slots=True)
class Member:
    """A user of the organization as stored: role, role id, workspaces, still a member or not."""

    user_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role
    role_id: uuid.UUID
    workspaces: Reach
    active: bool

    @property
    def reach(self) -> Reach:
        return user_reach(self.role, self.workspaces)


@dataclass(frozen=True, slots=True)
class Credential:
    """A stored credential joined with its user, as the storage layer reads it. A session has no
    role, role id or workspaces of its own (None): it is its user."""

    token_id: uuid.UUID
    kind: Kind
    token_role: Role | None
    role_id: uuid.UUID | None
    personal: bool
    token_workspaces: Reach
    expires_at: datetime | None
    revoked: bool
    user: Member


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, with what it may do *now*."""

    token_id: uuid.UUID | None  # None: the user acting through the command line
    kind: Kind
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


def signed_in(member: Member | None, token_id: uuid.UUID | None = None) -> Principal:
    """The user themself, as stored now: what a session (or the command line) acts as."""
    if member is None or not member.active:
        raise NotAuthenticated("The user is no longer a member of the organization.")
    return Principal(
        token_id=token_id,
        kind=Kind.SESSION,
        organization_id=member.organization_id,
        user_id=member.user_id,
        role=member.role,
        role_id=member.role_id,
        personal=True,
        workspaces=member.reach,
    )


@dataclass(frozen=True, slots=True)
class Capacity:
    """What an API key may do: its role, role id and workspaces."""

    role: Role
    role_id: uuid.UUID
    workspaces: Reach


def key_capacity(key: Capacity, personal: bool, user: Member) -> Capacity:
    """What an API key created with ``key`` may do now, its user being ``user`` (as stored now):
    the one rule behind authentication and ``token-api keys list``."""
    if not personal:
        return key  # a service key is not tied to its creator's membership
    # A personal key acts for its user: it never exceeds what the user may do today. Its role
    # is capped by the user's, and its role id too: only an ADMIN may hold another role's id.
    own_id = user.role is Role.ADMIN or key.role_id == user.role_id
    return Capacity(
        role=min(key.role, user.role),
        role_id=key.role_id if own_id else user.role_id,
        workspaces=intersect(key.workspaces, user.reach),
    )


def _api_key(credential: Credential) -> Principal:
    user = credential.user
    role, role_id = credential.token_role, credential.role_id
    assert role is not None and role_id is not None, "an API key is stored with its role"
    now = key_capacity(
        Capacity(role, role_id, credential.token_workspaces), credential.personal, user
    )
    return Principal(
        token_id=credential.token_id,
        kind=Kind.API_KEY,
        organization_id=user.organization_id,
        user_id=user.user_id,
        role=now.role,
        role_id=now.role_id,
        personal=credential.personal,
        workspaces=now.workspaces,
    )


def authenticate(credential: Credential | None, now: datetime) -> Principal:
    """The principal behind a credential, or NotAuthenticated."""
    if credential is None:
        raise NotAuthenticated("The token is not valid.")
    noun = credential.kind.noun
    if credential.revoked:
        ended = "has ended" if credential.kind is Kind.SESSION else "has been revoked"
        raise NotAuthenticated(f"The {noun} {ended}.")
    if credential.expires_at is not None and now >= credential.expires_at:
        raise NotAuthenticated(f"The {noun} has expired.")
    if credential.personal and not credential.user.active:
        raise NotAuthenticated(f"The {noun}'s user is no longer a member of the organization.")
    if credential.kind is Kind.SESSION:
        return signed_in(credential.user, credential.token_id)
    return _api_key(credential)
