"""Concurrent clients minting tokens over real HTTP, and the checks made on what they got back.

Each client is a thread with its own keep-alive connection per server. It records every token
acknowledged with 200 (the promise under test: an acknowledged token is never lost), every other
answer by status, and every transport failure (a killed server, a refused connection). A client
timeout is a hang and is counted apart: no fault in these tests excuses one.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.support.api import check_contract
from tests.support.credentials import API_KEY_REFUSED, minted_key
from tests.support.http import TLS
from token_api.storage import Store, tables

CREATE = "/api/v1/token"
# Long enough for the server's own bounds (a 3 s connect timeout, a 5 s pool timeout) to answer
# first: reaching it means the server hung.
CLIENT_TIMEOUT = 20.0


@dataclass(frozen=True)
class Minted:
    token: str = field(repr=False)  # a secret: never in a report
    token_id: str
    server: str  # base URL of the server that acknowledged it


@dataclass
class Tally:
    """What one client saw; merged across clients by Load.stop()."""

    minted: list[Minted] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    timeouts: int = 0
    unexpected: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"{len(self.minted)} acknowledged, statuses {dict(self.statuses)}, "
            f"{self.transport_errors} transport errors, {self.timeouts} timeouts, "
            f"{len(self.unexpected)} unexpected answers {self.unexpected[:3]}"
        )

    def merge(self, other: Tally) -> None:
        self.minted += other.minted
        self.statuses.update(other.statuses)
        self.transport_errors += other.transport_errors
        self.timeouts += other.timeouts
        self.unexpected += other.unexpected


def admin_token(demo: dict[str, Any]) -> str:
    """The ADMIN user's session of a ``token-api init --demo --json`` answer: what mints keys
    (an API key is answered 403 at Create Token)."""
    return str(next(u["session"] for u in demo["users"] if u["organization_role"] == "ADMIN"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Load:
    """``clients`` threads minting tokens until stop().

    ``servers``: base URLs; request n of client i goes to servers[(i + n) % len(servers)].
    ``chain``: after each 200, the client's next request presents the key it just got to the
    next server, where it must be recognised at once (403, API keys cannot mint; a 401 would be
    an unexpected answer); so with two servers, every key minted on one is proved on the other.
    ``allowed``: statuses that are not a failure (each is still checked against the contract).
    """

    def __init__(
        self,
        servers: Sequence[str],
        token: str,
        *,
        clients: int = 8,
        chain: bool = False,
        allowed: Iterable[int] = (200,),
    ) -> None:
        self.servers = list(servers)
        self.token = token
        self.chain = chain
        self.allowed = frozenset(allowed)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._acknowledged = 0
        self._tallies = [Tally() for _ in range(clients)]
        self._threads = [
            threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def acknowledged(self) -> int:
        with self._lock:
            return self._acknowledged

    def wait_for(self, acknowledged: int, timeout: float = 60) -> None:
        """Until at least ``acknowledged`` tokens in all have been answered with 200."""
        self.wait_until(
            f"{acknowledged} acknowledged tokens",
            lambda: self.acknowledged >= acknowledged,
            timeout,
        )

    def wait_until(
        self, condition: str, predicate: Callable[[], bool], timeout: float = 60
    ) -> None:
        """Until ``predicate()``; fails at once on an unexpected answer or a hang."""
        deadline = time.monotonic() + timeout
        while not predicate():
            seen = self.snapshot()
            if seen.unexpected or seen.timeouts:
                raise AssertionError(f"waiting for {condition}: {seen}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{condition} not reached in {timeout:.0f} s: {seen}")
            if not any(thread.is_alive() for thread in self._threads):
                raise AssertionError(f"every client stopped before {condition}: {seen}")
            time.sleep(0.05)

    def snapshot(self) -> Tally:
        """A merged copy of what the clients have seen so far."""
        merged = Tally()
        with self._lock:
            for tally in self._tallies:
                merged.merge(
                    Tally(
                        list(tally.minted),
                        Counter(tally.statuses),
                        tally.transport_errors,
                        tally.timeouts,
                        list(tally.unexpected),
                    )
                )
        return merged

    def stop(self) -> Tally:
        self._stop.set()
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT + 10)
        stuck = [t.name for t in self._threads if t.is_alive()]
        assert not stuck, f"clients still waiting for an answer: {stuck}"
        return self.snapshot()

    def _client(self, index: int) -> None:
        tally = self._tallies[index]
        token = self.token
        connections = {
            url: httpx.Client(verify=TLS, base_url=url, timeout=CLIENT_TIMEOUT)
            for url in self.servers
        }
        sent = 0
        probe: str | None = None  # chain: a key just minted, to present next
        try:
            while not self._stop.is_set():
                url = self.servers[(index + sent) % len(self.servers)]
                body = {"name": f"load-{index}-{sent}"}
                sent += 1
                bearer_now, probing, probe = probe or token, probe is not None, None
                try:
                    response = connections[url].post(CREATE, json=body, headers=bearer(bearer_now))
                except httpx.TimeoutException:
                    with self._lock:
                        tally.timeouts += 1
                    continue
                except httpx.TransportError:
                    # The server is down (killed, restarting): not an answer, nothing promised.
                    with self._lock:
                        tally.transport_errors += 1
                    time.sleep(0.05)
                    continue
                problem = (
                    _not_recognised(url, response)
                    if probing
                    else _problem(url, response, self.allowed)
                )
                with self._lock:
                    tally.statuses[response.status_code] += 1
                    if problem:
                        tally.unexpected.append(problem)
                    elif response.status_code == 200:
                        key = minted_key(response)
                        tally.minted.append(Minted(key.secret, key.id, url))
                        self._acknowledged += 1
                        if self.chain:
                            probe = key.secret
                if response.status_code not in (200, 403):
                    time.sleep(0.05)  # a refusing server is not to be hammered
        finally:
            for connection in connections.values():
                connection.close()


def _problem(url: str, response: httpx.Response, allowed: frozenset[int]) -> str | None:
    """Why this answer is a failure, or None. Never quotes a 200's body (it holds a secret)."""
    if response.status_code not in allowed:
        detail = "" if response.status_code == 200 else f": {response.text[:200]}"
        return f"{url}: unexpected {response.status_code}{detail}"
    try:
        check_contract(url, response)
    except Exception as error:  # any breach of the contract, whatever the checker raises
        # The checker may quote the body; a 200's body is a secret.
        why = (
            type(error).__name__
            if response.status_code == 200
            else f"{type(error).__name__}: {error}"
        )
        return f"{url}: {response.status_code} breaks the contract: {why}"
    return None


class WriteLock:
    """SQLite's write lock on a database, taken by this process as another program would (a
    backup, a migration): ``BEGIN IMMEDIATE``, held until release() or the end of the block.
    In WAL mode readers are not blocked by it; writers are. Take it once the server is up:
    ``token-api serve`` itself writes when it starts."""

    def __init__(self, url: str) -> None:
        self.connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        self.connection.execute("BEGIN IMMEDIATE")
        self.held = True

    def __enter__(self) -> WriteLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

    def release(self) -> None:
        if self.held:
            self.held = False
            self.connection.execute("ROLLBACK")
            self.connection.close()


def stored_tokens_named(database: str, name: str) -> int:
    """How many tokens the database holds under ``name`` (read directly, not over HTTP)."""
    store = Store.connect(database)
    try:
        with store.engine.connect() as connection:
            query = select(func.count()).where(tables.tokens.c.name == name)
            return int(connection.execute(query).scalar_one())
    finally:
        store.close()


def _not_recognised(url: str, response: httpx.Response) -> str | None:
    """Why this answer to a just-minted key is a failure, or None (403: recognised, refused)."""
    if response.status_code != 403 or response.json() != {"detail": API_KEY_REFUSED}:
        detail = "" if response.status_code == 200 else f": {response.text[:200]}"
        return f"{url}: a minted key got {response.status_code}{detail}"
    return _problem(url, response, frozenset({403}))


def assert_all_distinct(minted: Sequence[Minted]) -> None:
    ids = Counter(m.token_id for m in minted)
    repeated = [token_id for token_id, count in ids.items() if count > 1]
    assert not repeated, f"token ids acknowledged more than once: {repeated[:5]}"
    assert len({m.token for m in minted}) == len(minted), "a secret was handed out twice"


def refused(checks: Sequence[tuple[str, Minted]]) -> list[str]:
    """Each (server, key): the key as the bearer of a real Create Token on that server.

    Returns the failures (key ids and statuses only). The 403 that says API keys cannot mint is
    the proof: the server answers it only to a key it found, unexpired and unrevoked (anything
    else is 401).
    """

    def check(share: Sequence[tuple[str, Minted]]) -> list[str]:
        failures = []
        clients: dict[str, httpx.Client] = {}
        try:
            for url, item in share:
                if url not in clients:
                    clients[url] = httpx.Client(verify=TLS, base_url=url, timeout=CLIENT_TIMEOUT)
                response = clients[url].post(
                    CREATE, json={"name": "probe"}, headers=bearer(item.token)
                )
                problem = _not_recognised(url, response)
                if problem:
                    failures.append(f"{item.token_id} on {problem}")
        finally:
            for client in clients.values():
                client.close()
        return failures

    shares = [checks[i::8] for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return [failure for failures in pool.map(check, shares) for failure in failures]
