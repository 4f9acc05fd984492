"""Safe against someone else's deployment: what a run mints expires within the hour, it keeps to
--rate-limit, and (test_broken, test_reference) nothing it prints or writes holds a credential."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy

from tests.conformance.conftest import Deployment, conformance, start_deployment
from tests.support.databases import sqlite_url
from token_api.storage.tables import tokens

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A deployment of its own: the tokens in its database are this module's runs'."""
    folder = tmp_path_factory.mktemp("conformance-safety")
    deployment, server = start_deployment(sqlite_url(folder), folder)
    yield deployment
    server.stop()


def _tokens(database: str) -> dict[object, tuple[datetime, datetime | None]]:
    """Every API key in the database: id -> (created_at, expires_at)."""
    engine = sqlalchemy.create_engine(database)
    try:
        with engine.connect() as connection:
            query = sqlalchemy.select(tokens.c.id, tokens.c.created_at, tokens.c.expires_at).where(
                tokens.c.kind == "api_key"
            )
            return {row.id: (row.created_at, row.expires_at) for row in connection.execute(query)}
    finally:
        engine.dispose()


@contextmanager
def _minted_by_the_block(database: str) -> Iterator[list[tuple[datetime, datetime | None]]]:
    """Fills the list with the tokens that appeared during the block. By id, not by time: the
    deployment's own demo tokens may be younger than a second when the first run starts."""
    before = _tokens(database)
    minted: list[tuple[datetime, datetime | None]] = []
    yield minted
    minted.extend(times for id_, times in _tokens(database).items() if id_ not in before)


def test_every_key_a_run_mints_expires_within_an_hour(own: Deployment, tmp_path: Path) -> None:
    with _minted_by_the_block(own.database) as minted:
        run = conformance(
            "--base-url", own.url, "--identities", str(own.identities),
            "--max-examples", "10", "--seed", "3", folder=tmp_path,
        )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    # Schemathesis sends the spec's examples (one asks for a token that never expires) and
    # generates bodies without expires_at (30 days by default) or with far-future ones.
    assert len(minted) > 50
    never = [created for created, expires in minted if expires is None]
    assert never == []
    longest = max(expires - created for created, expires in minted if expires is not None)
    assert longest <= timedelta(hours=1)
    assert "expires within an hour" in run.stdout


def test_allow_long_lived_tokens_sends_bodies_as_generated(own: Deployment, tmp_path: Path) -> None:
    """And with it, the run probes every rule (the default lifetime too): --require-coverage
    passes."""
    with _minted_by_the_block(own.database) as minted:
        run = conformance(
            "--base-url", own.url, "--identities", str(own.identities), "--require-coverage",
            "--max-examples", "2", "--seed", "3", "--allow-long-lived-tokens", folder=tmp_path,
        )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Rules: 40 of 40 probed." in run.stdout
    assert run.verdicts["default_lifetime"] == "passed"
    assert any(
        expires is None or expires - created > timedelta(hours=1) for created, expires in minted
    )
    report = json.loads(run.files["report.json"])
    assert report["long_lived_tokens"] is True
    assert any("--allow-long-lived-tokens" in note for note in report["notes"])


def test_the_run_keeps_to_the_rate_limit(
    broken: str, reference: Deployment, tmp_path: Path
) -> None:
    limit = 25
    run = conformance(
        "--base-url", f"{broken}/metered", "--identities", str(reference.identities),
        "--max-examples", "1", "--rate-limit", f"{limit}/s", folder=tmp_path,
    )  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    arrivals = sorted(request["at"] for request in httpx.get(f"{broken}/_requests/metered").json())
    assert len(arrivals) > 3 * limit  # long enough to show the pace
    busiest = max(
        sum(1 for later in arrivals[index:] if later - first < 1.0)
        for index, first in enumerate(arrivals)
    )
    # Our pacer and Schemathesis's limiter each keep to the rate; a window may straddle both.
    assert busiest <= limit + 2, busiest


def test_no_repr_shows_a_secret(tmp_path: Path) -> None:
    """A repr (a traceback's locals, a debugger, a log line) of what holds a credential: the
    callers, a call's minted key, the run's options and Schemathesis settings, the identities."""
    from token_api.conformance import callers, identities, schemathesis_run
    from token_api.conformance.client import Call
    from token_api.conformance.exchange import Answer, MintedKey, Observed
    from token_api.conformance.runner import Options

    session, key = "ses_" + "S3cr" * 10, "api_" + "K3yk" * 10
    path = tmp_path / "ids.json"
    user = {"email": "a@example.com", "organization_role": "ADMIN", "workspaces": None}
    path.write_text(json.dumps({"users": [{**user, "session": session, "token": key}]}))
    ids = identities.load(path)
    answer = Answer(200, {}, b"{}")
    held = [
        ids,
        callers.admin(session, None),
        callers.admin(None, ids),
        Call(answer, "curl ...", key),
        MintedKey(key, "id"),
        Observed("POST", None, answer, authorization=f"Bearer {session}"),
        Options(base_url="http://127.0.0.1:1", token=session),
        schemathesis_run.SchemathesisArgs(
            spec=path, base_url="http://127.0.0.1:1", token=session, seed=1, max_examples=None,
            phases=(), rate_limit=None, long_lived_tokens=False, timeout=1.0,
        ),
    ]  # fmt: skip
    for value in held:
        text = repr(value)
        assert session not in text and key not in text, type(value).__name__
