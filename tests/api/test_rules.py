"""Every rule of Create Token about what a session may mint, over HTTP, on SQLite and on
PostgreSQL. (Who may call it at all, sessions and API keys: test_credentials.py.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.reliability.raw import exchange, request
from tests.support.api import Client, check_contract
from tests.support.credentials import (
    API_KEY_REFUSED,
    DEMO_USERS,
    assert_denied,
    mint,
    shown,
    stored_key,
)
from tests.support.server import admin

FUTURE = (datetime.now(UTC) + timedelta(days=3)).isoformat()
# Dates that stay in the future: a fixed year would turn into "in the past" one day, and the 422
# would then say something else than what the test is about.
YEAR = datetime.now(UTC).year + 2
TOKEN = "/api/v1/token"


def loc(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, shown(response)
    return [item["loc"] for item in response.json()["detail"]]


class TestAnswer:
    def test_token_shape(self, api: Client) -> None:
        body = api.create({}).json()
        assert body["api_token"].startswith("api_")
        assert len(body["api_token"]) == 53
        assert str(uuid.UUID(body["api_token_id"])) == body["api_token_id"]

    def test_tokens_and_ids_never_repeat(self, api: Client) -> None:
        answers = [api.create({}).json() for _ in range(20)]
        assert len({a["api_token"] for a in answers}) == 20
        assert len({a["api_token_id"] for a in answers}) == 20

    def test_status_is_200_and_json(self, api: Client) -> None:
        response = api.create({})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"

    def test_no_cache_keeps_the_secret(self, api: Client) -> None:
        """Rule key.no-store (RFC 6749 §5.1): the one answer that holds a secret."""
        response = api.create({})
        assert response.status_code == 200
        assert response.headers.get_list("cache-control") == ["no-store"]


class TestAuthentication:
    @pytest.mark.parametrize(
        "header",
        [
            None,
            "",
            "Bearer",
            "Basic YWRtaW46YWRtaW4=",
            "Bearer api_x",
            "Bearer ses_x",
            "Bearer api_" + "A" * 49,
            "Bearer ses_" + "A" * 49,
            "Token abc",
        ],
    )
    def test_bad_credentials_get_401_with_challenge(self, api: Client, header: str | None) -> None:
        headers = {} if header is None else {"Authorization": header}
        anonymous = api.as_(None)
        response = anonymous.request("POST", "/api/v1/token", json={}, headers=headers)
        assert_denied(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    def test_scheme_is_case_insensitive(self, api: Client, sessions: dict[str, str]) -> None:
        response = api.as_(None).request(
            "POST",
            "/api/v1/token",
            json={},
            headers={"Authorization": f"bEaReR {sessions['ADMIN']}"},
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("before", "after"),
        [("", " "), ("", "  \t"), ("  ", ""), ("\t", ""), (" \t ", "\t ")],
        ids=["space-after", "spaces-tab-after", "spaces-before", "tab-before", "both"],
    )
    def test_whitespace_around_the_value_is_not_part_of_it(
        self, api: Client, sessions: dict[str, str], tokens: dict[str, str], before: str, after: str
    ) -> None:
        """RFC 9110 §5.5 (rule auth.scheme-case-insensitive): ``Bearer <key> `` is that key, 403
        as without the space, and a session with a space around it mints. A raw request: HTTP
        client libraries refuse to send such a value."""

        def create(credential: str) -> Any:
            headers = [
                ("Authorization", f"{before}Bearer {credential}{after}"),
                ("Content-Type", "application/json"),
            ]
            return exchange(api.base_url, request("POST", TOKEN, headers=headers, body=b"{}"))

        for role in ("ADMIN", "EXTERNAL"):
            refused = create(tokens[role])
            assert refused.assert_detail(403) == API_KEY_REFUSED
        minted = create(sessions["MEMBER"])
        assert minted.status == 200, minted.body
        assert minted.json()["api_token"].startswith("api_")

    @pytest.mark.parametrize("second", ["ADMIN", "invalid"])
    def test_several_authorization_headers_get_401(
        self, api: Client, sessions: dict[str, str], second: str
    ) -> None:
        """Even when each names a valid session: which one counts would be a guess."""
        other = f"Bearer {sessions[second]}" if second in sessions else "Bearer api_x"
        for headers in (
            [("Authorization", f"Bearer {sessions['MEMBER']}"), ("Authorization", other)],
            [("Authorization", other), ("Authorization", f"Bearer {sessions['MEMBER']}")],
        ):
            response = api.http.post("/api/v1/token", json={}, headers=headers)
            check_contract(api.base_url, response)
            assert_denied(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"

    def test_unknown_credentials_with_valid_checksums(self, api: Client) -> None:
        from token_api.domain.secrets import new_session, new_token

        assert_denied(api.create({}, token=new_token()), 401)
        assert_denied(api.create({}, token=new_session()), 401)

    def test_authentication_comes_before_the_body(self, api: Client) -> None:
        for body in ("not json", '{"expires_at": 5}', "[" * 5000):
            response = api.as_(None).request(
                "POST", "/api/v1/token", content=body, headers={"Content-Type": "application/json"}
            )
            assert_denied(response, 401)
        response = api.as_(None).request(
            "POST", "/api/v1/token", content=b"x", headers={"Content-Type": "text/plain"}
        )
        assert_denied(response, 401)


class TestRole:
    @pytest.mark.parametrize("caller", ["ADMIN", "MEMBER", "EXTERNAL"])
    def test_omitted_role_is_the_callers_not_the_schema_default(
        self, api: Client, sessions: dict[str, str], deployment: dict[str, Any], caller: str
    ) -> None:
        """The schema's default is MEMBER; the description (the caller's role) is what counts."""
        key_id = api.create({}, token=sessions[caller]).json()["api_token_id"]
        assert stored_key(deployment, key_id, DEMO_USERS[caller])["organization_role"] == caller

    @pytest.mark.parametrize(
        ("caller", "granted", "status"),
        [
            ("ADMIN", "ADMIN", 200),
            ("ADMIN", "MEMBER", 200),
            ("ADMIN", "EXTERNAL", 200),
            ("MEMBER", "ADMIN", 403),
            ("MEMBER", "MEMBER", 200),
            ("MEMBER", "EXTERNAL", 200),
            ("EXTERNAL", "ADMIN", 403),
            ("EXTERNAL", "MEMBER", 403),
            ("EXTERNAL", "EXTERNAL", 200),
        ],
    )
    def test_role_ceiling(
        self,
        api: Client,
        sessions: dict[str, str],
        deployment: dict[str, Any],
        caller: str,
        granted: str,
        status: int,
    ) -> None:
        response = api.create({"organization_role": granted}, token=sessions[caller])
        assert response.status_code == status, shown(response)
        if status == 200:
            stored = stored_key(deployment, response.json()["api_token_id"], DEMO_USERS[caller])
            assert stored["organization_role"] == granted


def _role_ids(deployment: dict[str, Any]) -> dict[str, str]:
    """The organization's role ids by role name, as the demo users hold them (keys list shows the
    role id each of their keys was stored with)."""
    from sqlalchemy import create_engine, select

    from token_api.storage.tables import users

    engine = create_engine(deployment["database"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(users.c.organization_role, users.c.role_id).where(
                    users.c.email.in_(DEMO_USERS.values())
                )
            )
            return {row.organization_role: str(row.role_id) for row in rows}
    finally:
        engine.dispose()


class TestRoleId:
    @pytest.mark.parametrize("caller", ["MEMBER", "EXTERNAL", "ADMIN"])
    @pytest.mark.parametrize("form", ["omitted", "null", "own"])
    def test_omitted_null_or_own_role_id_stores_the_callers(
        self,
        api: Client,
        sessions: dict[str, str],
        deployment: dict[str, Any],
        caller: str,
        form: str,
    ) -> None:
        own = _role_ids(deployment)[caller]
        body = {"omitted": {}, "null": {"role_id": None}, "own": {"role_id": own}}[form]
        response = api.create(body, token=sessions[caller])
        assert response.status_code == 200, shown(response)
        stored = stored_key(deployment, response.json()["api_token_id"], DEMO_USERS[caller])
        assert stored["role_id"] == own

    def test_unknown_role_id_from_an_admin_is_422(self, api: Client) -> None:
        response = api.create({"role_id": str(uuid.uuid4())})
        assert loc(response) == [["body", "role_id"]]

    @pytest.mark.parametrize("caller", ["MEMBER", "EXTERNAL"])
    def test_non_admin_gets_403_for_every_other_role_id_existing_or_not(
        self, api: Client, sessions: dict[str, str], deployment: dict[str, Any], caller: str
    ) -> None:
        """Unknown or not, the same 403: a non-admin cannot probe which role ids exist."""
        role_ids = _role_ids(deployment)
        others = [role_id for role, role_id in role_ids.items() if role != caller]
        answers = [
            api.create({"role_id": role_id}, token=sessions[caller])
            for role_id in [*others, str(uuid.uuid4())]
        ]
        for answer in answers:
            assert_denied(answer)
        assert len({answer.json()["detail"] for answer in answers}) == 1

    def test_admin_may_pass_any_role_of_the_organization(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        role_ids = _role_ids(deployment)
        assert len(set(role_ids.values())) == 3
        for role_id in role_ids.values():
            response = api.create({"role_id": role_id})
            assert response.status_code == 200, shown(response)
            key_id = response.json()["api_token_id"]
            assert stored_key(deployment, key_id, DEMO_USERS["ADMIN"])["role_id"] == role_id


class TestWorkspaces:
    def test_listed_workspaces_within_reach(
        self, api: Client, sessions: dict[str, str], deployment: dict[str, Any]
    ) -> None:
        response = api.create({"workspaces": ["default", "staging"]}, token=sessions["MEMBER"])
        assert response.status_code == 200, shown(response)
        stored = stored_key(deployment, response.json()["api_token_id"], DEMO_USERS["MEMBER"])
        assert stored["workspaces"] == ["default", "staging"]

    def test_outside_reach_and_unknown_get_the_same_answer(
        self, api: Client, sessions: dict[str, str]
    ) -> None:
        existing = api.create({"workspaces": ["production"]}, token=sessions["MEMBER"])
        missing = api.create({"workspaces": ["no-such-workspace"]}, token=sessions["MEMBER"])
        assert_denied(existing)
        assert_denied(missing)
        assert existing.json()["detail"].replace("production", "X") == missing.json()[
            "detail"
        ].replace("no-such-workspace", "X")

    @pytest.mark.parametrize(
        "listed",
        [
            ["research", "production"],
            ["research", "research", "production"],
            ["research", "no-such-workspace"],
            ["production", "research"],
        ],
    )
    def test_every_listed_workspace_is_checked(
        self, api: Client, sessions: dict[str, str], listed: list[str]
    ) -> None:
        """The EXTERNAL user reaches research alone: one name out of reach anywhere in the list,
        last too, refuses the key (rule workspace.reach)."""
        response = api.create({"workspaces": listed}, token=sessions["EXTERNAL"])
        assert_denied(response)
        outside = next(name for name in listed if name != "research")
        assert outside in response.json()["detail"]

    def test_admin_reaches_every_workspace_but_not_unknown_ones(self, api: Client) -> None:
        assert api.create({"workspaces": ["production", "research"]}).status_code == 200
        assert_denied(api.create({"workspaces": ["no-such-workspace"]}))

    @pytest.mark.parametrize("body", [{}, {"workspaces": []}], ids=["omitted", "empty"])
    @pytest.mark.parametrize(
        ("caller", "reach"),
        [
            ("ADMIN", None),
            ("MEMBER", ["default", "research", "staging"]),
            ("EXTERNAL", ["research"]),
        ],
    )
    def test_omitted_or_empty_means_the_callers_reach(
        self,
        api: Client,
        sessions: dict[str, str],
        deployment: dict[str, Any],
        body: dict[str, Any],
        caller: str,
        reach: list[str] | None,
    ) -> None:
        """No limit stays no limit (null: every workspace, those added later too)."""
        response = api.create(body, token=sessions[caller])
        assert response.status_code == 200, shown(response)
        stored = stored_key(deployment, response.json()["api_token_id"], DEMO_USERS[caller])
        assert stored["workspaces"] == reach

    def test_duplicates_collapse(
        self, api: Client, sessions: dict[str, str], deployment: dict[str, Any]
    ) -> None:
        response = api.create({"workspaces": ["research", "research"]}, token=sessions["EXTERNAL"])
        assert response.status_code == 200, shown(response)
        stored = stored_key(deployment, response.json()["api_token_id"], DEMO_USERS["EXTERNAL"])
        assert stored["workspaces"] == ["research"]

    def test_an_admin_session_reaches_workspaces_added_later(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        name = f"later-{uuid.uuid4().hex[:8]}"
        assert_denied(api.create({"workspaces": [name]}))
        admin("workspaces", "add", name, database=deployment["database"])
        assert api.create({"workspaces": [name]}).status_code == 200


class TestExpiry:
    def test_expires_at_in_the_past_is_422(self, api: Client) -> None:
        assert loc(api.create({"expires_at": "2001-01-01T00:00:00Z"})) == [["body", "expires_at"]]

    @pytest.mark.parametrize("seconds", [1, 5])
    def test_expires_at_seconds_ago_is_422(self, api: Client, seconds: int) -> None:
        """Not only a date long gone (rule expiry.future): the server's clock is this one."""
        past = (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()
        response = api.create({"expires_at": past})
        assert loc(response) == [["body", "expires_at"]]
        assert response.json()["detail"][0]["msg"] == "expires_at must be in the future."

    def test_expires_false_with_expires_at_is_422(self, api: Client) -> None:
        assert loc(api.create({"expires": False, "expires_at": FUTURE})) == [["body", "expires_at"]]

    @pytest.mark.parametrize(
        "value",
        [f"{YEAR}-01-01T00:00:00", f"{YEAR}-01-01", "tomorrow", f"{YEAR}-01-01 00:00:00Z"],
    )
    def test_date_time_needs_rfc3339_with_offset(self, api: Client, value: str) -> None:
        response = api.create({"expires_at": value})
        assert loc(response) == [["body", "expires_at"]]
        # The date is in the future: the format is what is refused.
        assert "future" not in response.json()["detail"][0]["msg"]

    @pytest.mark.parametrize(
        "value",
        [f"{YEAR}-01-01T00:00:00Z", f"{YEAR}-01-01T00:00:00.123+05:30", f"{YEAR}-01-01t00:00:00z"],
    )
    def test_rfc3339_forms_are_accepted(self, api: Client, value: str) -> None:
        assert api.create({"expires_at": value}).status_code == 200

    def test_unrepresentable_date_times_are_422_not_500(self, api: Client) -> None:
        for value in (f"{YEAR}-12-31T23:59:60Z", "9999-12-31T23:59:59-23:00"):
            assert loc(api.create({"expires_at": value})) == [["body", "expires_at"]]

    def test_expires_false_never_expires(self, api: Client, deployment: dict[str, Any]) -> None:
        token_id = api.create({"expires": False}).json()["api_token_id"]
        assert _stored(deployment, token_id)["expires_at"] is None

    def test_default_lifetime_is_30_days(self, api: Client, deployment: dict[str, Any]) -> None:
        before = datetime.now(UTC)
        token_id = api.create({}).json()["api_token_id"]
        expires_at = _stored(deployment, token_id)["expires_at"]
        assert (
            timedelta(days=30) - timedelta(seconds=5)
            < expires_at - before
            < timedelta(days=30, seconds=5)
        )

    def test_explicit_expiry_is_kept(self, api: Client, deployment: dict[str, Any]) -> None:
        token_id = api.create({"expires_at": f"{YEAR}-05-06T07:08:09+02:00"}).json()["api_token_id"]
        assert _stored(deployment, token_id)["expires_at"] == datetime(
            YEAR, 5, 6, 5, 8, 9, tzinfo=UTC
        )


class TestPersonalAndService:
    def test_only_admins_create_service_keys(
        self, api: Client, sessions: dict[str, str], deployment: dict[str, Any]
    ) -> None:
        response = api.create({"personal": False})
        assert response.status_code == 200, shown(response)
        stored = stored_key(deployment, response.json()["api_token_id"], DEMO_USERS["ADMIN"])
        assert stored["personal"] is False
        assert_denied(api.create({"personal": False}, token=sessions["MEMBER"]))
        assert_denied(api.create({"personal": False}, token=sessions["EXTERNAL"]))

    def test_personal_is_the_default(self, api: Client, deployment: dict[str, Any]) -> None:
        key_id = api.create({}).json()["api_token_id"]
        assert stored_key(deployment, key_id, DEMO_USERS["ADMIN"])["personal"] is True


class TestName:
    def test_null_name_is_the_token_id(self, api: Client, deployment: dict[str, Any]) -> None:
        token_id = api.create({"name": None}).json()["api_token_id"]
        assert _stored(deployment, token_id)["name"] == token_id

    def test_name_is_kept(self, api: Client, deployment: dict[str, Any]) -> None:
        token_id = api.create({"name": "ci ✓"}).json()["api_token_id"]
        assert _stored(deployment, token_id)["name"] == "ci ✓"


class TestSecretsAtRest:
    def test_the_database_holds_no_secret(self, api: Client, deployment: dict[str, Any]) -> None:
        answer = api.create({"name": "secret-check"}).json()
        row = _stored(deployment, answer["api_token_id"])
        assert answer["api_token"].encode() not in repr(row).encode()
        import hashlib

        assert bytes(row["secret_digest"]) == hashlib.sha256(answer["api_token"].encode()).digest()

    def test_the_server_log_holds_no_secret(
        self, api: Client, deployment: dict[str, Any], sessions: dict[str, str]
    ) -> None:
        secret = mint(api, {"name": "log-check"})
        api.create({}, token=secret)
        log = deployment["log"].read_text(errors="replace")
        assert secret not in log
        assert all(session not in log for session in sessions.values())


def _stored(deployment: dict[str, Any], token_id: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, select

    from token_api.storage.tables import tokens

    engine = create_engine(deployment["database"])
    try:
        with engine.connect() as connection:
            row = connection.execute(select(tokens).where(tokens.c.id == uuid.UUID(token_id))).one()
            return dict(row._mapping)
    finally:
        engine.dispose()
