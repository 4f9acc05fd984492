"""What the handlers call: the domain's rules over the Store, one transaction per request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import ParamSpec, TypeVar

from sqlalchemy.pool import QueuePool

from token_api.domain import secrets
from token_api.domain.errors import NotAuthenticated, Unavailable
from token_api.domain.minting import TokenGrant, TokenRequest, mint_token
from token_api.domain.principal import Principal, authenticate
from token_api.server.settings import Settings
from token_api.storage import Store

P = ParamSpec("P")
T = TypeVar("T")

DATABASE_THREADS = 4


class TokenService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        # PostgreSQL calls go to a few threads of their own. Few: they overlap the waits for the
        # database, but Python runs one thread at a time, and more threads mostly contend for the
        # interpreter (under load, 4 served about 10% more than 10, on 2 cores). Never more than
        # the pool's connections, so that no call waits for a connection or opens an overflow
        # connection (a new server process) as the load swings.
        pool = store.engine.pool
        connections = pool.size() if isinstance(pool, QueuePool) else 1
        self._threads = (
            None
            if store.engine.dialect.name == "sqlite"
            else ThreadPoolExecutor(
                max_workers=min(DATABASE_THREADS, connections), thread_name_prefix="token-api-db"
            )
        )

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking method of this service from the event loop.

        On SQLite the call runs right here: it is microseconds of local file I/O (WAL with
        synchronous=NORMAL: a commit does not wait for the disk; only the periodic checkpoint
        does), cheaper than the thread hop that would carry it, and SQLite takes one writer at a
        time anyway. The price: while another process holds the write lock, the loop waits with
        it (at most the busy timeout). PostgreSQL calls wait on the network and on the commit's
        fsync, so they go to a thread, and the request waits for them at most the database
        timeout: then 503. A call that has started cannot be taken back from its thread; if it
        still commits a token, nobody ever saw the secret, so nothing can use it.
        """
        if self._threads is None:
            return function(*args, **kwargs)
        loop = asyncio.get_running_loop()
        timeout = self.settings.database_timeout.total_seconds()
        try:
            async with asyncio.timeout(timeout):
                return await loop.run_in_executor(self._threads, partial(function, *args, **kwargs))
        except TimeoutError:
            raise Unavailable(f"The database did not answer within {timeout:g} s.") from None

    @classmethod
    def connect(cls, settings: Settings) -> TokenService:
        """A service over its own Store of ``settings.database_url``; close() closes both."""
        return cls(Store.connect(settings.database_url), settings)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown()
        self.store.close()

    def authenticate(self, token: str) -> Principal:
        # Malformed tokens (wrong shape or checksum) never reach the database.
        if not secrets.is_well_formed(token):
            raise NotAuthenticated("The token is not valid.")
        credential = self.store.find_credential(secrets.digest(token))
        return authenticate(credential, datetime.now(UTC))

    def mint(self, caller: Principal, request: TokenRequest) -> tuple[TokenGrant, str]:
        """Returns only after the token is committed."""
        with self.store.minting() as directory:
            return mint_token(
                caller,
                request,
                now=datetime.now(UTC),
                directory=directory,
                default_lifetime=self.settings.token_lifetime,
            )

    def check_database(self) -> None:
        self.store.ping()
