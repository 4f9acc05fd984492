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
DEFAULT_DATABASE_TIMEOUT = timedelta(seconds=10)


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

    @classmethod
    def from_environment(cls) -> Settings:
        lifetime = os.environ.get(ENV_LIFETIME)
        timeout = os.environ.get(ENV_DATABASE_TIMEOUT)
        return cls(
            database_url=os.environ.get(ENV_DATABASE, DEFAULT_DATABASE_URL),
            token_lifetime=timedelta(seconds=int(lifetime)) if lifetime else DEFAULT_LIFETIME,
            validate_responses=os.environ.get(ENV_VALIDATE_RESPONSES, "1") != "0",
            database_timeout=(
                timedelta(seconds=float(timeout)) if timeout else DEFAULT_DATABASE_TIMEOUT
            ),
        )

    def to_environment(self) -> dict[str, str]:
        return {
            ENV_DATABASE: self.database_url,
            ENV_LIFETIME: str(int(self.token_lifetime.total_seconds())),
            ENV_VALIDATE_RESPONSES: "1" if self.validate_responses else "0",
            ENV_DATABASE_TIMEOUT: str(self.database_timeout.total_seconds()),
        }
