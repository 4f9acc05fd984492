"""What the handlers call: the domain's rules over the Store, one transaction per request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.pool import QueuePool

from token_api.domain import secrets
from token_api.domain.errors import NotAuthenticated, Unavailable
from token_api.domain.minting import TokenGrant, TokenRequest, mint_token
from token_api.domain.principal import Principal, authenticate
from token_api.server.settings import Settings
from token_api.storage import Store
from token_api.storage.engine import is_storage_failure

P = ParamSpec("P")
T = TypeVar("T")

DATABASE_THREADS = 4

# The service's methods that write (see TokenService.call); filled by @_writes.
_WRITERS: set[Callable[..., Any]] = set()


def _writes(method: Callable[P, T]) -> Callable[P, T]:
    _WRITERS.add(method)
    return method


class TokenService:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._sqlite = store.engine.dialect.name == "sqlite"
        if self._sqlite:
            # One writer thread: SQLite takes one writer at a time anyway, and queueing here
            # costs nothing where colliding writers would sleep in SQLite's busy handler.
            threads = 1
        else:
            # PostgreSQL calls go to a few threads of their own. Few: they overlap the waits for
            # the database, but Python runs one thread at a time, and more threads mostly contend
            # for the interpreter (under load, 4 served about 10% more than 10, on 2 cores). Never
            # more than the pool's connections, so that no call waits for a connection or opens
            # an overflow connection (a new server process) as the load swings.
            pool = store.engine.pool
            connections = pool.size() if isinstance(pool, QueuePool) else 1
            threads = min(DATABASE_THREADS, connections)
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="token-api-db")
        # Whether the last write failed for want of a writable database (full disk, read-only
        # file); /health reports it until a write succeeds again.
        self.write_failure: Unavailable | None = None
        self._probe: Future[None] | None = None

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking method of this service from the event loop, within the deadline.

        SQLite reads run right here: microseconds of local file I/O, and in WAL mode a reader
        never waits for a writer, not even one in another process that holds the write lock;
        the thread hop would cost more than the read. SQLite writes go to the one writer thread:
        a write waits for the write lock (another process may hold it for long) and for the
        periodic checkpoint, and the event loop must not wait with it. PostgreSQL calls wait on
        the network and the commit's fsync, so they all go to threads.

        A request waits for its call at most the database timeout: then 503. A call that has
        started cannot be taken back from its thread; if it still commits a token, nobody ever
        saw the secret, so nothing can use it.
        """
        if self._sqlite and getattr(function, "__func__", None) not in _WRITERS:
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
        self._threads.shutdown()
        self.store.close()

    def authenticate(self, token: str) -> Principal:
        # Malformed tokens (wrong shape or checksum) never reach the database.
        if not secrets.is_well_formed(token):
            raise NotAuthenticated("The token is not valid.")
        credential = self.store.find_credential(secrets.digest(token))
        return authenticate(credential, datetime.now(UTC))

    @_writes
    def mint(self, caller: Principal, request: TokenRequest) -> tuple[TokenGrant, str]:
        """Returns only after the token is committed."""
        with self._recording_write_failures(), self.store.transaction() as directory:
            return mint_token(
                caller,
                request,
                now=datetime.now(UTC),
                directory=directory,
                default_lifetime=self.settings.token_lifetime,
            )

    def check_database(self) -> None:
        """/health: the database answers, and the last write did not fail for want of space or
        permission; else Unavailable. While writes fail, each check also has the writer thread
        try a write (never waiting for it here), so that /health turns 200 once they work."""
        self.store.ping()
        failure = self.write_failure
        if failure is not None:
            if self._probe is None or self._probe.done():
                self._probe = self._threads.submit(self._probe_write)
            raise Unavailable(failure.detail) from failure.__cause__

    def _probe_write(self) -> None:
        with self._recording_write_failures():
            self.store.probe_write()

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
