"""``users remove`` and ``users logout`` cannot slip between a mint's read of its caller and the
key it stores.

A mint reads its caller (the session and its user) inside its write transaction, locked (FOR
SHARE on PostgreSQL, the write lock from BEGIN IMMEDIATE on SQLite). Here the mint is held
exactly there, in the worst place: its caller read, its key not yet stored. A removal on a second
connection of the same database must not get through then (it would revoke the user's keys, and
the key about to be stored would escape it); once the mint has committed, the removal runs and
revokes that key too. A logout must not get through either; once it has, the session mints
nothing more.

Deterministic and in one thread: the removal's connection does not wait for a lock (SQLite
busy_timeout 0, PostgreSQL lock_timeout 1 ms), so a removal the lock holds back fails at once,
and one nothing holds back completes at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, event

from token_api.domain import secrets
from token_api.domain.errors import NotAuthenticated, Unavailable
from token_api.domain.minting import TokenGrant, TokenRequest, mint_token
from token_api.domain.principal import Credential, Member, authenticate, signed_in
from token_api.domain.roles import Role
from token_api.storage import Store
from token_api.storage.engine import is_lock_conflict, normalize_url
from token_api.storage.migrate import migrate
from token_api.storage.organization import Organization

BACKENDS = ["sqlite", "postgres"]
EMAIL = "leaving@example.com"


class _HeldBeforeInsert:
    """The mint's own Directory, which runs ``meanwhile`` after the mint read its user and
    before it stores the key: the moment a removal must not get into."""

    def __init__(self, directory: Any, meanwhile: Callable[[], None]) -> None:
        self._directory = directory
        self._meanwhile = meanwhile

    def member(self, user_id: Any) -> Member | None:
        member: Member | None = self._directory.member(user_id)
        return member

    def credential(self, token_id: Any) -> Credential | None:
        credential: Credential | None = self._directory.credential(token_id)
        return credential

    def role_exists(self, organization_id: Any, role_id: Any) -> bool:
        return bool(self._directory.role_exists(organization_id, role_id))

    def workspace_ids(self, organization_id: Any, names: Sequence[str]) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self._directory.workspace_ids(organization_id, names)
        return found

    def insert_token(self, grant: TokenGrant, secret_digest: bytes) -> None:
        self._meanwhile()
        self._directory.insert_token(grant, secret_digest)


def _impatient(url: str) -> Store:
    """A second connection to the database that never waits for another's lock."""
    if url.startswith("sqlite"):
        return Store.connect(url, lock_timeout=0)
    engine = create_engine(normalize_url(url), connect_args={"options": "-c lock_timeout=1"})
    return Store(engine)


def _held_back(error: Unavailable) -> bool:
    """The removal failed because another transaction holds the lock (not for any other reason)."""
    cause = error.__cause__
    original = getattr(cause, "orig", cause)
    return is_lock_conflict(cause) or getattr(original, "sqlstate", None) == "55P03"


def _with_an_admin(store: Store) -> Organization:
    """The store's schema and organization, with ``EMAIL`` its ADMIN."""
    migrate(store.engine)
    organization = Organization(store)
    organization.ensure()
    organization.add_user(EMAIL, Role.ADMIN)
    return organization


def _attempt(change: Callable[[], object], attempts: list[str]) -> Callable[[], None]:
    """``change`` tried on the impatient connection, its outcome noted in ``attempts``: "held
    back" by the mint's lock, or "got through" between the mint's read and its insert."""

    def attempt() -> None:
        try:
            change()
            attempts.append("got through between the mint's read and its insert")
        except Unavailable as error:
            assert _held_back(error), error.__cause__
            attempts.append("held back")

    return attempt


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_removal_cannot_interleave_with_a_mint(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    url = database_factory(backend)
    with closing(Store.connect(url)) as store, closing(_impatient(url)) as other:
        organization = _with_an_admin(store)
        user = organization.users()[0]
        with store.transaction() as tx:
            session = signed_in(tx.member(user.id))
        attempts: list[str] = []
        remove_meanwhile = _attempt(lambda: Organization(other).remove_user(EMAIL), attempts)
        request = TokenRequest(None, None, None, (), True, None, personal=True)
        with store.minting() as directory:
            grant, secret = mint_token(
                session,
                request,
                now=datetime.now(UTC),
                directory=_HeldBeforeInsert(directory, remove_meanwhile),
            )
        if attempts == ["held back"]:
            # The mint happened before the removal; the removal, now, revokes its key.
            Organization(other).remove_user(EMAIL)
        credential = store.find_credential(secrets.digest(secret))
        assert credential is not None and credential.token_id == grant.token_id
        assert not credential.user.active
        assert credential.revoked, "a personal key minted during the removal escaped it"
        assert attempts == ["held back"]
        with pytest.raises(NotAuthenticated), store.minting() as directory:
            mint_token(session, request, now=datetime.now(UTC), directory=directory)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_logout_cannot_interleave_with_a_mint_and_ends_minting(
    backend: str, database_factory: Callable[[str], str]
) -> None:
    url = database_factory(backend)
    with closing(Store.connect(url)) as store, closing(_impatient(url)) as other:
        organization = _with_an_admin(store)
        secret = organization.login(EMAIL)
        # The session as the server authenticated it when the request's headers arrived.
        session = authenticate(store.find_credential(secrets.digest(secret)), datetime.now(UTC))
        attempts: list[str] = []
        logout_meanwhile = _attempt(lambda: Organization(other).logout(EMAIL), attempts)
        request = TokenRequest(None, None, None, (), True, None, personal=True)
        with store.minting() as directory:
            mint_token(
                session,
                request,
                now=datetime.now(UTC),
                directory=_HeldBeforeInsert(directory, logout_meanwhile),
            )
        assert attempts == ["held back"]
        assert Organization(other).logout(EMAIL) == 1
        # The same principal, authenticated before the logout (its body still on the way).
        with (
            pytest.raises(NotAuthenticated, match=r"^The session has ended\.$"),
            store.minting() as tx,
        ):
            mint_token(session, request, now=datetime.now(UTC), directory=tx)


def test_a_mint_arriving_during_a_removal_waits_for_it_without_a_deadlock(
    database_factory: Callable[[str], str],
) -> None:
    """PostgreSQL: `users remove` locks the user's row, then revokes their tokens. A mint of the
    user's session that arrives between the two must wait for the removal holding no lock the
    removal needs next (the session's row), and then see the removal (401). Locking the session
    and user rows in one join took them in the planner's order, the session's first: the mint
    held the session's row while waiting for the user's, the removal waited for the session's,
    and PostgreSQL broke the deadlock by failing one of them (a 503, or a failed `users
    remove`). The removal is held between its two statements by a hook on its engine."""
    url = database_factory("postgres")
    with (
        closing(Store.connect(url)) as store,
        closing(Store.connect(url)) as remover,
        closing(Store.connect(url)) as watcher,
    ):
        organization = _with_an_admin(store)
        secret = organization.login(EMAIL)
        session = authenticate(store.find_credential(secrets.digest(secret)), datetime.now(UTC))
        request = TokenRequest(None, None, None, (), True, None, personal=True)
        at_tokens, go = threading.Event(), threading.Event()

        @event.listens_for(remover.engine, "before_cursor_execute")
        def hold_before_revoking(*args: Any) -> None:
            if args[2].lstrip().upper().startswith("UPDATE TOKENS"):
                at_tokens.set()
                go.wait(30)

        outcomes: dict[str, BaseException | None] = {}

        def attempt(name: str, work: Callable[[], object]) -> threading.Thread:
            def run() -> None:
                try:
                    work()
                    outcomes[name] = None
                except BaseException as error:  # judged below, in the test's thread
                    outcomes[name] = error

            thread = threading.Thread(target=run, name=name, daemon=True)
            thread.start()
            return thread

        def mint() -> None:
            with store.minting() as directory:
                mint_token(session, request, now=datetime.now(UTC), directory=directory)

        removal = attempt("removal", lambda: Organization(remover).remove_user(EMAIL))
        assert at_tokens.wait(30), "the removal never reached its tokens"
        minting = attempt("mint", mint)
        deadline = time.monotonic() + 30
        query = (
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        while True:
            with watcher.engine.connect() as connection:
                if connection.exec_driver_sql(query).scalar_one() >= 1:
                    break
            assert minting.is_alive(), f"the mint did not wait for the removal: {outcomes}"
            assert time.monotonic() < deadline, "the mint never waited for a lock"
            time.sleep(0.01)
        go.set()
        for thread in (removal, minting):
            thread.join(30)
            assert not thread.is_alive(), f"{thread.name} still waits"
        assert outcomes["removal"] is None, repr(outcomes["removal"].__cause__)
        assert isinstance(outcomes["mint"], NotAuthenticated), repr(outcomes["mint"])
