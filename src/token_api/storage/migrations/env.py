"""Alembic environment: migrations always run on the connection token-api hands over."""

from alembic import context

from token_api.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    # SQLite's DDL is transactional too (migrate() begins the transaction explicitly): every
    # migration of an upgrade runs in the one transaction migrate() commits or rolls back.
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
