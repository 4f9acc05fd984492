"""The schema. Workspace lists are JSON arrays of ids (NULL: every workspace, now and later) so
that authenticating a credential is one indexed read of one joined row.

``tokens`` holds every bearer credential, with its ``kind``: API keys and user sessions (a session
has no role, role id or workspaces of its own: it is its user). ``users`` keeps removed users'
rows (their keys still name them); only one member at a time holds an email, so adding a removed
user's email again makes a new row, and nothing of the old membership comes back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    text,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = MetaData()

organizations = Table(
    "organizations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
)

roles = Table(
    "roles",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, ForeignKey("organizations.id"), nullable=False),
    Column("name", Text, nullable=False),
    UniqueConstraint("organization_id", "name"),
)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, ForeignKey("organizations.id"), nullable=False),
    Column("name", Text, nullable=False),
    UniqueConstraint("organization_id", "name"),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, ForeignKey("organizations.id"), nullable=False),
    Column("email", Text, nullable=False),
    Column("organization_role", String(16), nullable=False),
    Column("role_id", Uuid, ForeignKey("roles.id"), nullable=False),
    Column("workspaces", JSON, nullable=True),
    Column("removed_at", UTCDateTime, nullable=True),
    Index(
        "ux_users_member_email",
        "organization_id",
        "email",
        unique=True,
        sqlite_where=text("removed_at IS NULL"),
        postgresql_where=text("removed_at IS NULL"),
    ),
)


tokens = Table(
    "tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, ForeignKey("organizations.id"), nullable=False),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("secret_digest", LargeBinary(32), nullable=False),
    Column("organization_role", String(16), nullable=True),
    Column("role_id", Uuid, nullable=True),
    Column("personal", Boolean, nullable=False),
    Column("workspaces", JSON, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_tokens_secret_digest", "secret_digest", unique=True),
    Index("ix_tokens_user_id", "user_id"),
    CheckConstraint("kind IN ('session', 'api_key')", name="ck_tokens_kind"),
    CheckConstraint(
        "kind = 'session' OR (organization_role IS NOT NULL AND role_id IS NOT NULL)",
        name="ck_tokens_api_key_role",
    ),
)
