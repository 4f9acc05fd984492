"""What the handlers call: the domain's rules over the Store, one transaction per request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
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
from token_api.storage.engine import is_lock_conflict, is_storage_failure

P = ParamSpec("P")
T = TypeVar("T")

DATABASE_THREADS = 4
# A SQLite call that finds the database locked by another connection is tried again after this
# long, doubled each time up to the second figure, until the database timeout.
LOCKED_RETRY_SECONDS = (0.001, 0.05)


class TokenService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        # PostgreSQL calls go to a few threads of their own (more contend for the interpreter),
        # never more than the pool's connections: docs/decisions/database-calls.md.
        pool = store.engine.pool
        connections = pool.size() if isinstance(pool, QueuePool) else 1
        self._threads = (
            None
            if store.engine.dialect.name == "sqlite"
            else ThreadPoolExecutor(
                max_workers=min(DATABASE_THREADS, connections), thread_name_prefix="token-api-db"
            )
        )
        # Set when a write failed for want of a database that can store (a full disk, a
        # read-only file); /health reports it until a write works again.
        self.write_failure: Unavailable | None = None

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking method of this service from the event loop, within the deadline: on
        SQLite right here (a lock held by another process is retried after asynchronous sleeps),
        on PostgreSQL on a database thread; 503 past the deadline. Why each:
        docs/decisions/database-calls.md."""
        timeout = self.settings.database_timeout.total_seconds()
        if self._threads is None:
            return await self._call_inline(timeout, function, *args, **kwargs)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                return await loop.run_in_executor(self._threads, partial(function, *args, **kwargs))
        except TimeoutError:
            raise _deadline_passed_error(timeout) from None

    async def _call_inline(
        self, timeout: float, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            return function(*args, **kwargs)
        except Unavailable as error:
            if not is_lock_conflict(error.__cause__):
                raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay, longest = LOCKED_RETRY_SECONDS
        while loop.time() + delay < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)
            try:
                return function(*args, **kwargs)
            except Unavailable as error:
                if not is_lock_conflict(error.__cause__):
                    raise
        raise _deadline_passed_error(timeout)

    @classmethod
    def connect(cls, settings: Settings) -> TokenService:
        """A service over its own Store of ``settings.database_url``; close() closes both."""
        # No waiting inside SQLite for another connection's lock: call() waits, asynchronously.
        return cls(Store.connect(settings.database_url, lock_timeout=0), settings)

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
        with self._recording_write_failures(), self.store.minting() as directory:
            return mint_token(
                caller,
                request,
                now=datetime.now(UTC),
                directory=directory,
                default_lifetime=self.settings.token_lifetime,
            )

    def check_database(self) -> None:
        """/health: the database answers, and stores. While writes fail for want of space or
        permission, each check tries one (on SQLite it fails at once, never waiting for a lock),
        so that /health turns 200 by itself once they work again."""
        self.store.ping()
        if self.write_failure is not None:
            with suppress(Unavailable), self._recording_write_failures():
                self.store.probe_write()
            failure = self.write_failure
            if failure is not None:
                raise Unavailable(failure.detail) from failure.__cause__

    @contextmanager
    def _recording_write_failures(self) -> Iterator[None]:
        try:
            yield
        except Unavailable as error:
            if is_storage_failure(error.__cause__):
                self.write_failure = Unavailable(
                    "The database cannot store anything (its disk is full or read-only)."
                )
                self.write_failure.__cause__ = error.__cause__
            raise
        self.write_failure = None


def _deadline_passed_error(timeout: float) -> Unavailable:
    """The 503 for a database call not answered within ``timeout``, for the caller to raise."""
    return Unavailable(f"The database did not answer within {timeout:g} s.")
