"""What the handlers call: the domain's rules over the Store, one transaction per request."""

from __future__ import annotations

from datetime import UTC, datetime

from token_api.domain import secrets
from token_api.domain.errors import NotAuthenticated
from token_api.domain.minting import TokenGrant, TokenRequest, mint_token
from token_api.domain.principal import Principal, authenticate
from token_api.server.settings import Settings
from token_api.storage import Store


class TokenService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def authenticate(self, token: str) -> Principal:
        # Malformed tokens (wrong shape or checksum) never reach the database.
        if not secrets.is_well_formed(token):
            raise NotAuthenticated("The token is not valid.")
        credential = self.store.find_credential(secrets.digest(token))
        return authenticate(credential, datetime.now(UTC))

    def mint(self, caller: Principal, request: TokenRequest) -> tuple[TokenGrant, str]:
        """Returns only after the token is committed."""
        with self.store.transaction() as directory:
            return mint_token(
                caller,
                request,
                now=datetime.now(UTC),
                directory=directory,
                default_lifetime=self.settings.token_lifetime,
            )

    def check_database(self) -> None:
        self.store.ping()
