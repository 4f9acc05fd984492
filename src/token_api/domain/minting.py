"""The rules of Create Token: what a caller may mint, and the token it gets."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from token_api.domain import secrets
from token_api.domain.errors import Forbidden, InvalidField
from token_api.domain.principal import (
    Credential,
    Kind,
    Member,
    Principal,
    Reach,
    authenticate,
    signed_in,
)
from token_api.domain.roles import Role

DEFAULT_LIFETIME = timedelta(days=30)
# The longest default lifetime a command may set (serve --token-lifetime, users token --days);
# a client may still ask for any future expires_at.
MAX_LIFETIME = timedelta(days=36500)
MAX_NAME_LENGTH = 256
MAX_WORKSPACES = 1000
MAX_WORKSPACE_NAME_LENGTH = 256


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A schema-valid request body; ``organization_role`` is None when the client left it out."""

    name: str | None
    organization_role: Role | None
    role_id: uuid.UUID | None
    workspaces: tuple[str, ...]
    expires: bool
    expires_at: str | None
    personal: bool

    @classmethod
    def from_body(cls, body: Mapping[str, Any], sent: frozenset[str]) -> TokenRequest:
        """Build from a validated body whose schema defaults are filled; ``sent`` names the keys
        the client really sent (the published default of ``organization_role`` is MEMBER, but its
        description, which is what the platform does, says the caller's role)."""
        role = body.get("organization_role") if "organization_role" in sent else None
        role_id = body.get("role_id")
        return cls(
            name=body.get("name"),
            organization_role=Role[role] if role is not None else None,
            role_id=uuid.UUID(role_id) if role_id is not None else None,
            workspaces=tuple(body.get("workspaces") or ()),
            expires=body.get("expires", True),
            expires_at=body.get("expires_at"),
            personal=body.get("personal", True),
        )


API_KEYS_CANNOT_MINT = "API keys can't be used to create, modify, or delete API tokens."


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """A credential about to be stored: an API key, or a session (no role, role id or workspaces
    of its own: it is its user)."""

    token_id: uuid.UUID
    kind: Kind
    organization_id: uuid.UUID
    user_id: uuid.UUID
    name: str
    role: Role | None
    role_id: uuid.UUID | None
    personal: bool
    workspaces: Reach
    expires_at: datetime | None
    created_at: datetime


class Directory(Protocol):
    """What minting needs to read and write, inside one transaction."""

    def member(self, user_id: uuid.UUID) -> Member | None:
        """The user as stored now; no change to them can commit before this transaction ends."""
        ...

    def credential(self, token_id: uuid.UUID) -> Credential | None:
        """The credential with its user as stored now; no change to either (a logout, a
        removal, a demotion) can commit before this transaction ends."""
        ...

    def role_exists(self, organization_id: uuid.UUID, role_id: uuid.UUID) -> bool: ...

    def workspace_ids(
        self, organization_id: uuid.UUID, names: Sequence[str]
    ) -> Mapping[str, uuid.UUID]: ...

    def insert_token(self, grant: TokenGrant, secret_digest: bytes) -> None: ...


def _check_name(name: str | None) -> None:
    if name is None:
        return
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidField("name", f"name must be at most {MAX_NAME_LENGTH} characters.")
    if "\x00" in name:
        raise InvalidField("name", "name must not contain NUL characters.")


def _check_workspace_names(names: Sequence[str]) -> None:
    if len(names) > MAX_WORKSPACES:
        raise InvalidField("workspaces", f"workspaces may list at most {MAX_WORKSPACES} names.")
    for name in names:
        if len(name) > MAX_WORKSPACE_NAME_LENGTH or "\x00" in name:
            raise InvalidField(
                "workspaces",
                f"workspace names are at most {MAX_WORKSPACE_NAME_LENGTH} characters "
                "without NUL characters.",
                name if len(name) <= MAX_WORKSPACE_NAME_LENGTH else None,
            )


def parse_timestamp(value: str) -> datetime:
    """An RFC 3339 date-time (already format-checked) as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(value.upper())
        if parsed.tzinfo is None:
            raise InvalidField("expires_at", "expires_at must carry a UTC offset.", value)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        # Valid RFC 3339 that Python cannot hold: a leap second, or past year 9999 in UTC.
        raise InvalidField(
            "expires_at", "expires_at is not a date-time this server can represent.", value
        ) from None


def _expiry(request: TokenRequest, now: datetime, default_lifetime: timedelta) -> datetime | None:
    if not request.expires:
        if request.expires_at is not None:
            raise InvalidField(
                "expires_at", "expires_at must be null when expires is false.", request.expires_at
            )
        return None
    if request.expires_at is None:
        return now + default_lifetime
    expires_at = parse_timestamp(request.expires_at)
    if expires_at <= now:
        raise InvalidField("expires_at", "expires_at must be in the future.", request.expires_at)
    return expires_at


def _workspaces(caller: Principal, requested: Sequence[str], directory: Directory) -> Reach:
    if not requested:
        return caller.workspaces
    names = tuple(dict.fromkeys(requested))  # duplicates collapse, order kept
    found = directory.workspace_ids(caller.organization_id, names)
    for name in names:
        workspace_id = found.get(name)
        # Unknown and out-of-reach get the same answer: a caller cannot probe for names.
        if workspace_id is None or (
            caller.workspaces is not None and workspace_id not in caller.workspaces
        ):
            raise Forbidden(f"The workspace {name!r} is not within the caller's reach.")
    return frozenset(found[name] for name in names)


def _as_stored(caller: Principal, directory: Directory, now: datetime) -> Principal:
    """The caller as stored now, read inside the transaction that stores the key: a logout,
    expiry, removal, demotion or lost workspace that came first is seen here, even one that
    came while the request's body was arriving; one that comes later waits for this transaction
    and then applies to the key it stored (a removal revokes it)."""
    if caller.token_id is None:  # the user acting through the command line: no credential
        return signed_in(directory.member(caller.user_id))
    return authenticate(directory.credential(caller.token_id), now)


def require_session(caller: Principal) -> None:
    """The platform's rule: only a signed-in user's session creates API keys; an API key is
    recognised but not permitted (403, not 401). It prevents unauthorised expansion of access."""
    if caller.kind is not Kind.SESSION:
        raise Forbidden(API_KEYS_CANNOT_MINT)


def mint_token(
    caller: Principal,
    request: TokenRequest,
    *,
    now: datetime,
    directory: Directory,
    default_lifetime: timedelta = DEFAULT_LIFETIME,
) -> tuple[TokenGrant, str]:
    """Apply every rule, store the key and return it with its secret (shown once)."""
    require_session(caller)
    caller = _as_stored(caller, directory, now)
    _check_name(request.name)
    _check_workspace_names(request.workspaces)
    expires_at = _expiry(request, now, default_lifetime)

    role = request.organization_role if request.organization_role is not None else caller.role
    if not caller.is_admin and role > caller.role:
        raise Forbidden(f"A {caller.role.name} caller cannot grant the {role.name} role.")

    role_id = request.role_id if request.role_id is not None else caller.role_id
    if role_id != caller.role_id:
        if not caller.is_admin:
            raise Forbidden("Only ADMIN callers may grant a role id other than their own.")
        if not directory.role_exists(caller.organization_id, role_id):
            raise InvalidField(
                "role_id", "role_id is not a role of the organization.", str(role_id)
            )

    if not request.personal and not caller.is_admin:
        raise Forbidden("Only ADMIN callers may create service tokens (personal: false).")

    workspaces = _workspaces(caller, request.workspaces, directory)

    token_id = uuid.uuid4()
    grant = TokenGrant(
        token_id=token_id,
        kind=Kind.API_KEY,
        organization_id=caller.organization_id,
        user_id=caller.user_id,
        name=request.name if request.name is not None else str(token_id),
        role=role,
        role_id=role_id,
        personal=request.personal,
        workspaces=workspaces,
        expires_at=expires_at,
        created_at=now,
    )
    secret = secrets.new_token()
    directory.insert_token(grant, secrets.digest(secret))
    return grant, secret
