"""The platform's credential model, over HTTP on SQLite and PostgreSQL: a signed-in user's
session mints API keys; an API key never does (403, recognised but not permitted). Logout, user
removal, expiry and ``keys revoke`` each end what they should; a session acts as its user as of
each request (demotion, workspaces taken away)."""

from __future__ import annotations

import threading
import time
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.reliability import raw
from tests.support.api import Client, check_contract
from tests.support.credentials import (
    API_KEY_REFUSED,
    DEMO_USERS,
    assert_denied,
    assert_key_refused,
    expire,
    keys,
    login,
    mint,
    minted_key,
    new_user,
    stored_key,
)
from tests.support.http import TLS
from tests.support.server import admin


def _stored_session(database: str, session: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, select

    from token_api.domain.secrets import digest
    from token_api.storage.tables import tokens

    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            query = select(tokens).where(tokens.c.secret_digest == digest(session))
            return dict(connection.execute(query).one()._mapping)
    finally:
        engine.dispose()


def _unrevoke(database: str, *secrets: str) -> None:
    """Clear the revocation of stored credentials, as a bug or a hand-made restore might."""
    from sqlalchemy import create_engine, update

    from token_api.domain.secrets import digest
    from token_api.storage.tables import tokens

    engine = create_engine(database)
    try:
        with engine.begin() as connection:
            for secret in secrets:
                connection.execute(
                    update(tokens)
                    .where(tokens.c.secret_digest == digest(secret))
                    .values(revoked_at=None)
                )
    finally:
        engine.dispose()


def _wait_until(moment: datetime) -> None:
    """Until the clock the server reads too has passed ``moment`` (no fixed sleep)."""
    while (left := (moment - datetime.now(UTC)).total_seconds()) >= 0:
        time.sleep(min(left + 0.01, 0.2))


class TestApiKeysCannotMint:
    @pytest.mark.parametrize("role", ["ADMIN", "MEMBER", "EXTERNAL"])
    def test_every_demo_users_personal_key_gets_403(
        self, api: Client, tokens: dict[str, str], role: str
    ) -> None:
        assert_key_refused(api.create({}, token=tokens[role]))

    @pytest.mark.parametrize(
        ("caller", "body"),
        [
            ("ADMIN", {"personal": False}),
            ("ADMIN", {"personal": False, "expires": False}),
            ("ADMIN", {"organization_role": "EXTERNAL", "workspaces": ["research"]}),
            ("MEMBER", {}),
            ("EXTERNAL", {}),
        ],
        ids=["service", "service-forever", "admin-narrow", "member", "external"],
    )
    def test_a_minted_key_is_recognised_at_once_and_refused(
        self, api: Client, sessions: dict[str, str], caller: str, body: dict[str, Any]
    ) -> None:
        """Personal or service, any role: 403 right after minting, never 401 and never 200."""
        key = mint(api, body, token=sessions[caller])
        assert_key_refused(api.create({}, token=key))
        assert_key_refused(api.create({"organization_role": "EXTERNAL"}, token=key))

    def test_a_key_from_the_command_line_gets_403(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        key = admin("users", "token", DEMO_USERS["ADMIN"], "--no-expiry", database=db).stdout
        assert_key_refused(api.create({}, token=key.strip()))

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b"not json", "application/json"),
            (b'{"expires_at": 5, "personal": "no"}', "application/json"),
            (b"[" * 5000, "application/json"),
            (b"x", "text/plain"),
        ],
    )
    def test_the_403_comes_before_the_body(
        self, api: Client, tokens: dict[str, str], content: bytes, content_type: str
    ) -> None:
        """Like 401, it depends on the credential alone: the body is never judged."""
        response = api.as_(tokens["ADMIN"]).request(
            "POST", "/api/v1/token", content=content, headers={"Content-Type": content_type}
        )
        assert_key_refused(response)

    def test_the_403_is_the_documented_example(self) -> None:
        from token_api.contract.document import load_document

        answer = load_document()["paths"]["/api/v1/token"]["post"]["responses"]["403"]
        examples = answer["content"]["application/json"]["examples"]
        assert {"detail": API_KEY_REFUSED} in [example["value"] for example in examples.values()]


class TestSessions:
    def test_sessions_are_not_api_keys(
        self, sessions: dict[str, str], tokens: dict[str, str], deployment: dict[str, Any]
    ) -> None:
        for role, session in sessions.items():
            assert session.startswith("ses_") and not session.startswith("api_")
            assert len(session) == 53
            assert session != tokens[role]
            stored = _stored_session(deployment["database"], session)
            assert stored["kind"] == "session"
            assert stored["organization_role"] is None and stored["workspaces"] is None
            assert session.encode() not in repr(stored).encode()
        # keys list shows API keys only.
        listed = {key["id"] for key in keys(deployment["database"], DEMO_USERS["MEMBER"])}
        member_session = _stored_session(deployment["database"], sessions["MEMBER"])
        assert str(member_session["id"]) not in listed

    def test_login_lasts_12_hours_or_as_asked(self, deployment: dict[str, Any]) -> None:
        db = deployment["database"]
        email = new_user(db, "MEMBER", "research")
        for options, hours in (((), 12), (("--hours", "1"), 1), (("--hours", "48"), 48)):
            before = datetime.now(UTC)
            expires_at = _stored_session(db, login(db, email, *options))["expires_at"]
            lifetime = expires_at.replace(tzinfo=UTC) - before
            assert timedelta(hours=hours) - timedelta(seconds=5) < lifetime
            assert lifetime < timedelta(hours=hours, seconds=5)

    def test_each_login_is_a_session_of_its_own(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        email = new_user(db, "MEMBER", "research")
        first, second = login(db, email), login(db, email)
        assert first != second
        assert api.create({}, token=first).status_code == 200
        assert api.create({}, token=second).status_code == 200

    def test_logout_ends_every_session_and_no_key(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        email = new_user(db, "ADMIN")
        first, second = login(db, email), login(db, email)
        key = mint(api, {}, token=first)
        assert admin("users", "logout", email, database=db).stdout.startswith("Ended 2 sessions")
        for session in (first, second):
            response = api.create({}, token=session)
            assert_denied(response, 401)
            assert response.json()["detail"] == "The session has ended."
        assert_key_refused(api.create({}, token=key))  # a key outlives the session that made it
        assert api.create({}, token=login(db, email)).status_code == 200

    def test_an_expired_session_is_401(self, api: Client, deployment: dict[str, Any]) -> None:
        db = deployment["database"]
        session = login(db, new_user(db, "MEMBER", "default"))
        assert api.create({}, token=session).status_code == 200
        expire(db, session)
        response = api.create({}, token=session)
        assert_denied(response, 401)
        assert response.json()["detail"] == "The session has expired."


class TestApiKeyLifecycle:
    def test_a_key_is_recognised_until_its_expiry_then_401(self, api: Client) -> None:
        """No timing asserted: a 401 before the expiry is excused only if the clock says the
        expiry had passed by then (a loaded machine), and the run retries with a longer life."""
        for seconds in (2, 10, 60):
            expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
            minted = api.create({"expires_at": expires_at.isoformat()})
            if minted.status_code == 422 and datetime.now(UTC) >= expires_at:
                continue  # the request itself outlived the expiry
            assert minted.status_code == 200, minted.text
            probe = api.create({}, token=minted_key(minted).secret)
            if probe.status_code == 401 and datetime.now(UTC) >= expires_at:
                continue
            assert_key_refused(probe)
            break
        else:
            pytest.fail("the machine is too slow to use a key within 60 s of minting it")
        _wait_until(expires_at)
        response = api.create({}, token=minted_key(minted).secret)
        assert_denied(response, 401)
        assert response.json()["detail"] == "The API key has expired."

    def test_keys_revoke_is_401_at_once(self, api: Client, deployment: dict[str, Any]) -> None:
        db = deployment["database"]
        key, key_id = astuple(minted_key(api.create({"name": "to-revoke", "personal": False})))
        assert_key_refused(api.create({}, token=key))
        assert stored_key(deployment, key_id, DEMO_USERS["ADMIN"])["revoked_at"] is None
        assert "Revoked" in admin("keys", "revoke", key_id, database=db).stdout
        response = api.create({}, token=key)
        assert_denied(response, 401)
        assert response.json()["detail"] == "The API key has been revoked."
        assert stored_key(deployment, key_id, DEMO_USERS["ADMIN"])["revoked_at"] is not None
        assert "already revoked" in admin("keys", "revoke", key_id, database=db).stdout
        # The session that minted it is untouched.
        assert api.create({}).status_code == 200


class TestUserRemoval:
    def test_sessions_and_personal_keys_end_service_keys_survive(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="leaver")
        session = login(db, email)
        personal = minted_key(api.create({"personal": True}, token=session))
        service = minted_key(api.create({"personal": False}, token=session))
        from_cli = admin("users", "token", email, database=db).stdout.strip()
        admin("users", "remove", email, database=db)

        for ended in (session, personal.secret, from_cli):
            assert_denied(api.create({}, token=ended), 401)
        assert_key_refused(api.create({}, token=service.secret))
        listed = {key["id"]: key for key in keys(db, email)}
        assert listed[personal.id]["revoked_at"] is not None
        assert listed[service.id]["revoked_at"] is None
        assert all(key["user_removed"] for key in listed.values())

    def test_a_removed_users_personal_keys_are_refused_at_authentication(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        """Not only through the rows the removal revoked: with those rows un-revoked behind the
        server's back, the removed user's session and personal key are still 401, and their
        service key still works (the user's membership is checked at each use)."""
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="unrevoked")
        session = login(db, email)
        personal = mint(api, {"personal": True}, token=session)
        service = mint(api, {"personal": False}, token=session)
        admin("users", "remove", email, database=db)
        _unrevoke(db, session, personal)
        for ended, noun in ((session, "session"), (personal, "API key")):
            response = api.create({}, token=ended)
            assert_denied(response, 401)
            assert response.json()["detail"] == (
                f"The {noun}'s user is no longer a member of the organization."
            )
        assert_key_refused(api.create({}, token=service))

    def test_the_same_email_added_again_is_a_new_member(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        """Nothing of the old membership comes back: not its sessions, not its personal keys."""
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="returner")
        old_session = login(db, email)
        old_key = mint(api, {}, token=old_session)
        old_cli_key = admin("users", "token", email, database=db).stdout.strip()
        admin("users", "remove", email, database=db)
        admin("users", "add", email, "--role", "ADMIN", database=db)

        for old in (old_session, old_key, old_cli_key):
            assert_denied(api.create({}, token=old), 401)
        new_session = login(db, email)
        assert_key_refused(api.create({}, token=mint(api, {}, token=new_session)))
        assert_denied(api.create({}, token=old_session), 401)
        # Both memberships' keys are listed under the email; only the new one's user is current.
        listed = keys(db, email)
        assert sorted(key["user_removed"] for key in listed) == [False, True, True]


class _HeadersSent:
    """A Create Token request whose headers are sent and judged, its body held back: the
    server has checked the credential and waits for the body (it answered ``100 Continue``,
    which it does when the application first reads the body). No timing involved."""

    def __init__(self, base_url: str, session: str, body: bytes = b"{}") -> None:
        self.body = body
        self.connection = raw.connect(base_url)
        head = raw.request(
            "POST",
            "/api/v1/token",
            headers=[
                ("Authorization", f"Bearer {session}"),
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Expect", "100-continue"),
            ],
            length=False,
        )
        self.connection.sendall(head)
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = self.connection.recv(1)
            assert chunk, f"closed before its body was asked for: {interim!r}"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 "), interim

    def finish(self) -> raw.Answer:
        with self.connection:
            self.connection.sendall(self.body)
            return raw.read_answer(self.connection)


class TestEndedWhileTheRequestIsInFlight:
    """The credential is checked when the headers arrive, and again inside the mint's
    transaction: what ends the session while its body is on the way (up to --body-timeout) ends
    the mint too. Logout is what an admin does in an incident."""

    def test_logout(self, deployment: dict[str, Any]) -> None:
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="incident")
        in_flight = _HeadersSent(deployment["server"].url, login(db, email))
        assert admin("users", "logout", email, database=db).stdout.startswith("Ended 1 session")
        assert in_flight.finish().assert_detail(401) == "The session has ended."
        assert keys(db, email) == []

    def test_expiry(self, deployment: dict[str, Any]) -> None:
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="expiring")
        session = login(db, email)
        in_flight = _HeadersSent(deployment["server"].url, session, b'{"personal": false}')
        expire(db, session)
        assert in_flight.finish().assert_detail(401) == "The session has expired."
        assert keys(db, email) == []

    def test_removal(self, deployment: dict[str, Any]) -> None:
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="removed")
        in_flight = _HeadersSent(deployment["server"].url, login(db, email))
        admin("users", "remove", email, database=db)  # revokes the user's sessions too
        assert in_flight.finish().assert_detail(401) == "The session has ended."
        assert keys(db, email) == []

    def test_demotion(self, deployment: dict[str, Any]) -> None:
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="demoted")
        in_flight = _HeadersSent(
            deployment["server"].url, login(db, email), b'{"organization_role": "ADMIN"}'
        )
        admin("users", "update", email, "--role", "MEMBER", database=db)
        assert (
            in_flight.finish().assert_detail(403) == "A MEMBER caller cannot grant the ADMIN role."
        )


class TestTheCallerIsTheUserAsOfEachRequest:
    def test_demoting_the_user_demotes_their_session_at_once(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="demoted")
        session = login(db, email)
        assert api.create({"organization_role": "ADMIN"}, token=session).status_code == 200
        assert api.create({"personal": False}, token=session).status_code == 200

        admin("users", "update", email, "--role", "MEMBER", database=db)
        assert_denied(api.create({"organization_role": "ADMIN"}, token=session))
        assert_denied(api.create({"personal": False}, token=session))
        key_id = api.create({}, token=session).json()["api_token_id"]
        stored = stored_key(deployment, key_id, email)
        assert stored["organization_role"] == "MEMBER"
        member_key = stored_key(
            deployment,
            api.create({}, token=login(db, DEMO_USERS["MEMBER"])).json()["api_token_id"],
            DEMO_USERS["MEMBER"],
        )
        assert stored["role_id"] == member_key["role_id"]  # the MEMBER role's id, not ADMIN's

        admin("users", "update", email, "--role", "ADMIN", database=db)
        assert api.create({"organization_role": "ADMIN"}, token=session).status_code == 200

    def test_a_user_losing_a_workspace_loses_it_at_once(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        email = new_user(db, "MEMBER", "default", "staging", prefix="narrowed")
        session = login(db, email)
        assert api.create({"workspaces": ["staging"]}, token=session).status_code == 200
        assert_denied(api.create({"workspaces": ["research"]}, token=session))

        admin("users", "update", email, "--workspace", "default", database=db)
        assert_denied(api.create({"workspaces": ["staging"]}, token=session))
        key_id = api.create({}, token=session).json()["api_token_id"]
        assert stored_key(deployment, key_id, email)["workspaces"] == ["default"]

        admin("users", "update", email, "--all-workspaces", database=db)
        assert api.create({"workspaces": ["production"]}, token=session).status_code == 200
        key_id = api.create({}, token=session).json()["api_token_id"]
        assert stored_key(deployment, key_id, email)["workspaces"] is None

    def test_keys_list_shows_what_each_key_may_do_now(
        self, api: Client, deployment: dict[str, Any], sessions: dict[str, str]
    ) -> None:
        """A personal key is capped by its user's current role and reach, at use and in
        ``keys list``; a service key is not. The list and the server change together."""
        db = deployment["database"]
        email = new_user(db, "ADMIN", prefix="capped")
        session = login(db, email)
        narrow = {"organization_role": "ADMIN", "workspaces": ["default", "staging"]}
        ids = {
            "narrow": api.create(narrow, token=session).json()["api_token_id"],
            "all": api.create({}, token=session).json()["api_token_id"],
            "service": api.create({**narrow, "personal": False}, token=session).json()[
                "api_token_id"
            ],
        }

        def listed() -> dict[str, tuple[str, str, list[str] | None]]:
            by_id = {key["id"]: key for key in keys(db, email)}
            return {
                name: (
                    by_id[key_id]["effective_role"],
                    roles[by_id[key_id]["effective_role_id"]],
                    by_id[key_id]["effective_workspaces"],
                )
                for name, key_id in ids.items()
            }

        # The role ids, by name: a demo user's default key has that user's role and role id.
        roles = {}
        for role, user in DEMO_USERS.items():
            key_id = api.create({}, token=sessions[role]).json()["api_token_id"]
            roles[stored_key(deployment, key_id, user)["role_id"]] = role
        as_created = {
            "narrow": ("ADMIN", "ADMIN", ["default", "staging"]),
            "all": ("ADMIN", "ADMIN", None),
            "service": ("ADMIN", "ADMIN", ["default", "staging"]),
        }
        assert listed() == as_created
        assert api.create({"workspaces": ["staging"]}, token=session).status_code == 200

        admin("users", "update", email, "--role", "MEMBER", "--workspace", "default", database=db)
        # A personal key's role id follows its role down (issue #20 finding 10).
        assert listed() == {
            "narrow": ("MEMBER", "MEMBER", ["default"]),
            "all": ("MEMBER", "MEMBER", ["default"]),
            "service": ("ADMIN", "ADMIN", ["default", "staging"]),
        }
        assert_denied(api.create({"workspaces": ["staging"]}, token=session))
        assert_denied(api.create({"organization_role": "ADMIN"}, token=session))
        stored = stored_key(deployment, ids["narrow"], email)
        assert (stored["organization_role"], roles[stored["role_id"]], stored["workspaces"]) == (
            as_created["narrow"]
        )
        text = admin("keys", "list", "--user", email, database=db).stdout
        row = next(line for line in text.splitlines() if line.startswith(ids["narrow"]))
        assert row.split("\t")[3:5] == [
            "MEMBER (created ADMIN)",
            "default (created default,staging)",
        ]

        admin("users", "update", email, "--role", "ADMIN", "--all-workspaces", database=db)
        assert listed() == as_created
        assert api.create({"workspaces": ["staging"]}, token=session).status_code == 200


@dataclass
class _Answer:
    sent_at: float  # time.monotonic() when the request was sent
    status: int
    key_id: str | None
    personal: bool


def _mint_while_removing(
    base_url: str, database: str, email: str, session: str
) -> tuple[list[_Answer], float]:
    """Four clients mint with the user's session (personal and service keys) while
    ``users remove`` runs; returns every answer and when the removal had returned."""
    answers: list[_Answer] = []
    lock = threading.Lock()
    stop = threading.Event()
    removed_at = float("inf")

    def client(index: int) -> None:
        with httpx.Client(verify=TLS, base_url=base_url, timeout=30) as http:
            sent = 0
            while not stop.is_set():
                personal = (index + sent) % 2 == 0
                sent += 1
                started = time.monotonic()
                response = http.post(
                    "/api/v1/token",
                    json={"name": f"race-{index}-{sent}", "personal": personal},
                    headers={"Authorization": f"Bearer {session}"},
                )
                check_contract(base_url, response)
                key_id = response.json()["api_token_id"] if response.status_code == 200 else None
                with lock:
                    answers.append(_Answer(started, response.status_code, key_id, personal))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 60
        while sum(a.status == 200 for a in list(answers)) < 20:
            assert time.monotonic() < deadline, "no keys minted before the removal"
            time.sleep(0.01)
        removal = admin("users", "remove", email, database=database, check=False)
        removed_at = time.monotonic()
        assert removal.returncode == 0, removal.stderr
        while sum(a.sent_at > removed_at for a in list(answers)) < 8:
            assert time.monotonic() < deadline + 60, "no answers after the removal"
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    return answers, removed_at


def test_a_key_minted_while_its_user_is_removed_cannot_escape_the_removal(
    api: Client, deployment: dict[str, Any]
) -> None:
    """The mint reads its user inside its own write transaction, locked: a mint either commits
    before the removal (and the removal revokes its personal key) or sees the removal (401).
    Several rounds, each a removal in the middle of a stream of mints."""
    db = deployment["database"]
    for _ in range(3):
        email = new_user(db, "ADMIN", prefix="race")
        answers, removed_at = _mint_while_removing(api.base_url, db, email, login(db, email))

        assert {a.status for a in answers} <= {200, 401}, {a.status for a in answers}
        late = [a.status for a in answers if a.sent_at > removed_at]
        assert late and set(late) == {401}, f"answered after the removal: {late}"
        acknowledged = {a.key_id: a for a in answers if a.status == 200}
        listed = {key["id"]: key for key in keys(db, email)}
        assert set(acknowledged) <= set(listed)
        escaped = [
            key_id
            for key_id, answer in acknowledged.items()
            if answer.personal and listed[key_id]["revoked_at"] is None
        ]
        assert escaped == [], f"{len(escaped)} of {len(acknowledged)} personal keys escaped"
        assert all(
            listed[key_id]["revoked_at"] is None
            for key_id, answer in acknowledged.items()
            if not answer.personal
        ), "a service key was revoked with its creator"
