"""Sessions: what a signed-in user's client sends. On the platform the identity provider issues
them; on the reference server ``token-api users login`` does. A session is a stored credential of
kind ``session``: no role or workspaces of its own (it is its user as of each request), a digest
at rest, an expiry, ended by logout and by the user's removal."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from token_api.domain import secrets
from token_api.domain.minting import Directory, TokenGrant
from token_api.domain.principal import Kind, Member, signed_in

DEFAULT_LIFETIME = timedelta(hours=12)
MAX_LIFETIME = timedelta(days=366)
NAME = "session"


def open_session(
    member: Member | None, *, now: datetime, lifetime: timedelta, directory: Directory
) -> tuple[TokenGrant, str]:
    """Store a new session of the user and return it with its secret (shown once)."""
    user = signed_in(member)
    grant = TokenGrant(
        token_id=uuid.uuid4(),
        kind=Kind.SESSION,
        organization_id=user.organization_id,
        user_id=user.user_id,
        name=NAME,
        role=None,
        role_id=None,
        personal=True,
        workspaces=None,
        expires_at=now + lifetime,
        created_at=now,
    )
    secret = secrets.new_session()
    directory.insert_token(grant, secrets.digest(secret))
    return grant, secret
