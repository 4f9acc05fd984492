"""emails stored in lowercase: an address is the same whatever its case; ADMIN users stored
with every workspace (NULL), as it applies to them

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from token_api.storage.engine import DatabaseError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("id", sa.Uuid),
    sa.column("organization_id", sa.Uuid),
    sa.column("email", sa.Text),
    sa.column("organization_role", sa.String),
    sa.column("workspaces", sa.JSON),
    sa.column("removed_at", sa.DateTime),
)


def _lower(email: str) -> str:
    # The same spelling as organization.normalize_email (a migration is a frozen copy).
    return email.strip().lower()


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.organization_id, users.c.email, users.c.removed_at)
    ).all()
    members: dict[tuple[object, str], str] = {}
    for row in rows:
        if row.removed_at is not None:
            continue
        other = members.setdefault((row.organization_id, _lower(row.email)), row.email)
        if other != row.email:
            # Two members would become one address: which one stays is the administrator's call.
            raise DatabaseError(
                f"The users {other!r} and {row.email!r} are one email address in different "
                "case: remove one of them with the token-api that made this database, then "
                "upgrade it again."
            )
    for row in rows:
        if row.email != _lower(row.email):
            connection.execute(
                sa.update(users).where(users.c.id == row.id).values(email=_lower(row.email))
            )
    # An ADMIN reaches every workspace whatever list was stored for them (principal.user_reach):
    # store what applies, so that a later demotion does not revive a list nobody saw.
    connection.execute(
        sa.update(users).where(users.c.organization_role == "ADMIN").values(workspaces=None)
    )


def downgrade() -> None:
    """Nothing to undo: lowercase addresses are valid addresses for 0002 too."""
