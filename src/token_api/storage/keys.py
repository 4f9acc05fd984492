"""The organization's API keys, as the platform's UI shows them ("review and remove unused API
keys"): listed without their secrets, revoked by id. Behind ``token-api keys``; the server never
calls these. Revoking is one row: every server on the database refuses the key at its next use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select, update

from token_api.domain.principal import Capacity, Kind, Member, Reach, key_capacity
from token_api.domain.roles import Role
from token_api.storage import tables as t
from token_api.storage.organization import AdminError, Organization, normalize_email
from token_api.storage.store import reach_from_json


@dataclass(frozen=True)
class Key:
    """An API key as listed: everything but its secret (which is not stored anyway)."""

    id: uuid.UUID
    name: str
    user: str  # the email of the user who created it
    user_removed: bool
    role: str  # as created
    role_id: uuid.UUID
    workspaces: list[str] | None  # names, as created; None: every workspace
    personal: bool
    # What the key may do now: a personal key is capped by its user's current role, role id and
    # reach (the server applies the same cap at each use: domain.principal.key_capacity).
    effective_role: str
    effective_role_id: uuid.UUID
    effective_workspaces: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def as_json(self) -> dict[str, object]:
        def moment(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": str(self.id),
            "name": self.name,
            "user": self.user,
            "user_removed": self.user_removed,
            "organization_role": self.role,
            "role_id": str(self.role_id),
            "workspaces": self.workspaces,
            "effective_role": self.effective_role,
            "effective_role_id": str(self.effective_role_id),
            "effective_workspaces": self.effective_workspaces,
            "personal": self.personal,
            "created_at": moment(self.created_at),
            "expires_at": moment(self.expires_at),
            "revoked_at": moment(self.revoked_at),
        }


_API_KEYS = (
    select(
        t.tokens.c.id,
        t.tokens.c.name,
        t.users.c.email,
        t.users.c.removed_at,
        t.users.c.id.label("user_id"),
        t.users.c.organization_id,
        t.users.c.organization_role.label("user_role"),
        t.users.c.role_id.label("user_role_id"),
        t.users.c.workspaces.label("user_workspaces"),
        t.tokens.c.organization_role,
        t.tokens.c.role_id,
        t.tokens.c.workspaces,
        t.tokens.c.personal,
        t.tokens.c.created_at,
        t.tokens.c.expires_at,
        t.tokens.c.revoked_at,
    )
    .join(t.users, t.users.c.id == t.tokens.c.user_id)
    .where(t.tokens.c.kind == Kind.API_KEY.value)
    .order_by(t.tokens.c.created_at, t.tokens.c.id)
)


class Keys:
    """The API keys of the organization of one database."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.store = organization.store

    def list(self, email: str | None = None) -> list[Key]:
        """Every API key, or those created by ``email`` (its current and any former membership)."""
        query = _API_KEYS
        if email is not None:
            email = normalize_email(email)
            query = query.where(t.users.c.email == email)
        with self.store.transaction() as tx:
            names = self.organization.workspace_names(tx.connection)
            rows = list(tx.connection.execute(query))
            if email is not None and not rows:
                known = tx.connection.execute(
                    select(t.users.c.id).where(t.users.c.email == email)
                ).first()
                if known is None:
                    raise AdminError(f"There is no user {email}.")
        return [self._key(row, names) for row in rows]

    @staticmethod
    def _key(row: Row[*tuple[Any, ...]], names: dict[str, str]) -> Key:
        def listed(reach: Reach) -> list[str] | None:
            return None if reach is None else sorted(names[str(w)] for w in reach)

        workspaces = reach_from_json(row.workspaces)
        user = Member(
            user_id=row.user_id,
            organization_id=row.organization_id,
            role=Role[row.user_role],
            role_id=row.user_role_id,
            workspaces=reach_from_json(row.user_workspaces),
            active=row.removed_at is None,
        )
        key = Capacity(Role[row.organization_role], row.role_id, workspaces)
        now = key_capacity(key, row.personal, user)
        return Key(
            id=row.id,
            name=row.name,
            user=row.email,
            user_removed=row.removed_at is not None,
            role=row.organization_role,
            role_id=row.role_id,
            workspaces=listed(workspaces),
            personal=row.personal,
            effective_role=now.role.name,
            effective_role_id=now.role_id,
            effective_workspaces=listed(now.workspaces),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )

    def revoke(self, key_id: str) -> bool:
        """Revoke the API key; False if it was revoked already. An unknown id is an AdminError."""
        unknown = AdminError(f"There is no API key {key_id[:80]!r}.")
        try:
            parsed = uuid.UUID(key_id)
        except ValueError:
            raise unknown from None
        with self.store.transaction() as tx:
            row = tx.connection.execute(
                select(t.tokens.c.revoked_at).where(
                    t.tokens.c.id == parsed, t.tokens.c.kind == Kind.API_KEY.value
                )
            ).first()
            if row is None:
                raise unknown
            if row.revoked_at is not None:
                return False
            tx.connection.execute(
                update(t.tokens).where(t.tokens.c.id == parsed).values(revoked_at=datetime.now(UTC))
            )
            return True
