"""credentials of two kinds (session, api_key); an email is unique among members only

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MEMBER_EMAIL = sa.text("removed_at IS NULL")
# SQLite keeps 0001's UNIQUE (organization_id, email) unnamed; batch mode names it this way.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # Every stored credential so far is an API key.
    with op.batch_alter_table("tokens") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="api_key")
        )
    with op.batch_alter_table("tokens") as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=16), server_default=None)
        batch_op.alter_column(
            "organization_role", existing_type=sa.String(length=16), nullable=True
        )
        batch_op.alter_column("role_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_check_constraint("ck_tokens_kind", "kind IN ('session', 'api_key')")
        batch_op.create_check_constraint(
            "ck_tokens_api_key_role",
            "kind = 'session' OR (organization_role IS NOT NULL AND role_id IS NOT NULL)",
        )

    if sqlite:
        # Batch mode rebuilds users, which tokens.user_id points at: migrate() runs SQLite
        # migrations with foreign keys off and checks them before it commits.
        with op.batch_alter_table("users", naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint("uq_users_organization_id", type_="unique")
    else:
        op.drop_constraint("users_organization_id_email_key", "users", type_="unique")
    op.create_index(
        "ux_users_member_email",
        "users",
        ["organization_id", "email"],
        unique=True,
        sqlite_where=MEMBER_EMAIL,
        postgresql_where=MEMBER_EMAIL,
    )


def downgrade() -> None:
    """Back to API keys only; fails if two rows share an email (a user removed and re-added)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ux_users_member_email", table_name="users")
    if sqlite:
        with op.batch_alter_table("users", naming_convention=NAMING) as batch_op:
            batch_op.create_unique_constraint(
                "uq_users_organization_id", ["organization_id", "email"]
            )
    else:
        op.create_unique_constraint(
            "users_organization_id_email_key", "users", ["organization_id", "email"]
        )
    op.execute("DELETE FROM tokens WHERE kind = 'session'")
    with op.batch_alter_table("tokens") as batch_op:
        batch_op.drop_constraint("ck_tokens_api_key_role", type_="check")
        batch_op.drop_constraint("ck_tokens_kind", type_="check")
        batch_op.alter_column("role_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column(
            "organization_role", existing_type=sa.String(length=16), nullable=False
        )
        batch_op.drop_column("kind")
