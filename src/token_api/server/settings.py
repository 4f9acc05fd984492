"""Server settings, from arguments or the environment (so that uvicorn workers see them too)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from token_api.domain.minting import DEFAULT_LIFETIME

DEFAULT_DATABASE_URL = "sqlite:///token-api.db"
ENV_DATABASE = "TOKEN_API_DATABASE_URL"
ENV_LIFETIME = "TOKEN_API_TOKEN_LIFETIME_SECONDS"
ENV_VALIDATE_RESPONSES = "TOKEN_API_VALIDATE_RESPONSES"
ENV_DATABASE_TIMEOUT = "TOKEN_API_DATABASE_TIMEOUT_SECONDS"
ENV_HEADER_TIMEOUT = "TOKEN_API_HEADER_TIMEOUT_SECONDS"
ENV_BODY_TIMEOUT = "TOKEN_API_BODY_TIMEOUT_SECONDS"
ENV_MAX_CONNECTIONS = "TOKEN_API_MAX_CONNECTIONS"
DEFAULT_DATABASE_TIMEOUT = timedelta(seconds=10)
DEFAULT_HEADER_TIMEOUT = timedelta(seconds=10)
DEFAULT_BODY_TIMEOUT = timedelta(seconds=30)
DEFAULT_MAX_CONNECTIONS = 1000


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    token_lifetime: timedelta = DEFAULT_LIFETIME
    # Every response is checked against the contract; a breach answers 500 and is logged.
    validate_responses: bool = True
    # How long a request waits for PostgreSQL before answering 503. A stopped database refuses
    # connections at once; a frozen one (a stalled host, a full disk) accepts them and never
    # answers, and without a deadline each request would wait as long as its client does.
    database_timeout: timedelta = DEFAULT_DATABASE_TIMEOUT
    # How long a client may take to send a request's line and headers (counted from the
    # connection's start or the previous response), and then its body; past either, 408.
    header_timeout: timedelta = DEFAULT_HEADER_TIMEOUT
    body_timeout: timedelta = DEFAULT_BODY_TIMEOUT
    # Open connections per process; past it, the one that has waited longest on its client goes,
    # or, when every connection is being answered, the new one gets 503 (server/http.py).
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    @classmethod
    def from_environment(cls) -> Settings:
        lifetime = os.environ.get(ENV_LIFETIME)

        def seconds(name: str, default: timedelta) -> timedelta:
            value = os.environ.get(name)
            return timedelta(seconds=float(value)) if value else default

        connections = os.environ.get(ENV_MAX_CONNECTIONS)
        return cls(
            database_url=os.environ.get(ENV_DATABASE, DEFAULT_DATABASE_URL),
            token_lifetime=timedelta(seconds=int(lifetime)) if lifetime else DEFAULT_LIFETIME,
            validate_responses=os.environ.get(ENV_VALIDATE_RESPONSES, "1") != "0",
            database_timeout=seconds(ENV_DATABASE_TIMEOUT, DEFAULT_DATABASE_TIMEOUT),
            header_timeout=seconds(ENV_HEADER_TIMEOUT, DEFAULT_HEADER_TIMEOUT),
            body_timeout=seconds(ENV_BODY_TIMEOUT, DEFAULT_BODY_TIMEOUT),
            max_connections=int(connections) if connections else DEFAULT_MAX_CONNECTIONS,
        )

    def to_environment(self) -> dict[str, str]:
        return {
            ENV_DATABASE: self.database_url,
            ENV_LIFETIME: str(int(self.token_lifetime.total_seconds())),
            ENV_VALIDATE_RESPONSES: "1" if self.validate_responses else "0",
            ENV_DATABASE_TIMEOUT: str(self.database_timeout.total_seconds()),
            ENV_HEADER_TIMEOUT: str(self.header_timeout.total_seconds()),
            ENV_BODY_TIMEOUT: str(self.body_timeout.total_seconds()),
            ENV_MAX_CONNECTIONS: str(self.max_connections),
        }
