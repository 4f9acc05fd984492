"""Persistence: SQLAlchemy Core tables, Alembic migrations, and the one Store the server uses."""

from token_api.storage.engine import DatabaseError, create_engine_for, normalize_url
from token_api.storage.store import Store

__all__ = ["DatabaseError", "Store", "create_engine_for", "normalize_url"]
