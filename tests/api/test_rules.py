"""Every behaviour rule of Create Token, over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.api import Client, check_contract
from tests.support.server import cli

FUTURE = (datetime.now(UTC) + timedelta(days=3)).isoformat()


def mint(api: Client, body: dict[str, Any] | None = None, token: str | None = None) -> str:
    """Create a token (as ``token``, default admin) and return its secret."""
    response = api.create(body or {}, **({"token": token} if token else {}))
    assert response.status_code == 200, response.text
    return str(response.json()["api_token"])


def whoami(api: Client, token: str) -> dict[str, Any]:
    """What a token may do, seen from outside: mint with it, with every field defaulted."""
    response = api.create({}, token=token)
    return {"status": response.status_code, "body": response.json()}


def assert_denied(response: Any, status: int = 403) -> None:
    assert response.status_code == status, response.text
    assert isinstance(response.json()["detail"], str)


def loc(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
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

    def test_minted_token_authenticates_at_once(self, api: Client) -> None:
        token = mint(api)
        assert api.create({}, token=token).status_code == 200

    def test_status_is_200_and_json(self, api: Client) -> None:
        response = api.create({})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"


class TestAuthentication:
    @pytest.mark.parametrize(
        "header",
        [
            None,
            "",
            "Bearer",
            "Basic YWRtaW46YWRtaW4=",
            "Bearer api_x",
            "Bearer api_" + "A" * 49,
            "Token abc",
        ],
    )
    def test_bad_credentials_get_401_with_challenge(self, api: Client, header: str | None) -> None:
        headers = {} if header is None else {"Authorization": header}
        anonymous = api.as_(None)
        response = anonymous.request("POST", "/api/v1/token", json={}, headers=headers)
        assert_denied(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    def test_scheme_is_case_insensitive(self, api: Client, tokens: dict[str, str]) -> None:
        response = api.as_(None).request(
            "POST", "/api/v1/token", json={}, headers={"Authorization": f"bEaReR {tokens['ADMIN']}"}
        )
        assert response.status_code == 200

    @pytest.mark.parametrize("second", ["ADMIN", "invalid"])
    def test_several_authorization_headers_get_401(
        self, api: Client, tokens: dict[str, str], second: str
    ) -> None:
        """Even when each names a valid token: which one counts would be a guess."""
        other = f"Bearer {tokens[second]}" if second in tokens else "Bearer api_x"
        for headers in (
            [("Authorization", f"Bearer {tokens['MEMBER']}"), ("Authorization", other)],
            [("Authorization", other), ("Authorization", f"Bearer {tokens['MEMBER']}")],
        ):
            response = api.http.post("/api/v1/token", json={}, headers=headers)
            check_contract(api.base_url, response)
            assert_denied(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"

    def test_unknown_token_with_valid_checksum(self, api: Client) -> None:
        from token_api.domain.secrets import new_token

        assert_denied(api.create({}, token=new_token()), 401)

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

    def test_expired_token_is_refused(self, api: Client) -> None:
        soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
        token = mint(api, {"expires_at": soon})
        assert api.create({}, token=token).status_code == 200
        time.sleep(2.5)
        assert_denied(api.create({}, token=token), 401)


class TestRole:
    def test_omitted_role_is_the_callers(self, api: Client, tokens: dict[str, str]) -> None:
        member_child = mint(api, {}, token=tokens["MEMBER"])
        # A MEMBER token cannot grant ADMIN; if the child were ADMIN it could.
        assert_denied(api.create({"organization_role": "ADMIN"}, token=member_child))
        assert api.create({"organization_role": "MEMBER"}, token=member_child).status_code == 200

    def test_admin_default_is_admin_not_member(self, api: Client) -> None:
        child = mint(api, {})
        assert api.create({"personal": False}, token=child).status_code == 200

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
        self, api: Client, tokens: dict[str, str], caller: str, granted: str, status: int
    ) -> None:
        response = api.create({"organization_role": granted}, token=tokens[caller])
        assert response.status_code == status, response.text

    def test_token_role_caps_the_user(self, api: Client) -> None:
        """An ADMIN user's EXTERNAL token acts as EXTERNAL."""
        external = mint(api, {"organization_role": "EXTERNAL"})
        assert_denied(api.create({"organization_role": "MEMBER"}, token=external))
        assert_denied(api.create({"personal": False}, token=external))

    def test_user_role_caps_the_token(self, api: Client, deployment: dict[str, Any]) -> None:
        """Demoting the user demotes their tokens at once."""
        email = f"demoted-{uuid.uuid4().hex[:8]}@example.com"
        db = deployment["database"]
        cli("users", "add", email, "--role", "ADMIN", database=db)
        token = cli("users", "token", email, database=db).stdout.strip()
        admin_child = mint(api, {"organization_role": "ADMIN"}, token=token)
        cli("users", "remove", email, database=db)
        cli("users", "add", email, "--role", "MEMBER", database=db)
        # The user left (personal tokens revoked) and came back as MEMBER.
        assert_denied(api.create({}, token=token), 401)
        assert_denied(api.create({}, token=admin_child), 401)


class TestRoleId:
    def test_omitted_role_id_and_own_role_id(
        self, api: Client, tokens: dict[str, str], deployment: dict[str, Any]
    ) -> None:
        assert api.create({"role_id": None}, token=tokens["MEMBER"]).status_code == 200

    def test_unknown_role_id_is_422(self, api: Client) -> None:
        response = api.create({"role_id": str(uuid.uuid4())})
        assert loc(response) == [["body", "role_id"]]

    def test_non_admin_cannot_pass_another_role_id(
        self, api: Client, tokens: dict[str, str]
    ) -> None:
        # Unknown or not, a non-admin gets 403: it cannot probe which role ids exist.
        assert_denied(api.create({"role_id": str(uuid.uuid4())}, token=tokens["MEMBER"]))

    def test_admin_may_pass_any_role_of_the_organization(
        self, api: Client, deployment: dict[str, Any], tokens: dict[str, str]
    ) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(
            deployment["database"].replace("postgresql+psycopg", "postgresql+psycopg")
        )
        with engine.connect() as connection:
            role_ids = [str(r) for r in connection.execute(text("SELECT id FROM roles")).scalars()]
        engine.dispose()
        assert len(role_ids) == 3
        for role_id in role_ids:
            role_id = str(uuid.UUID(role_id))
            assert api.create({"role_id": role_id}).status_code == 200
        member_others = [r for r in role_ids]
        statuses = {
            api.create({"role_id": str(uuid.UUID(r))}, token=tokens["MEMBER"]).status_code
            for r in member_others
        }
        assert statuses == {200, 403}  # its own role id only


class TestWorkspaces:
    def test_listed_workspaces_within_reach(self, api: Client, tokens: dict[str, str]) -> None:
        assert (
            api.create({"workspaces": ["default", "staging"]}, token=tokens["MEMBER"]).status_code
            == 200
        )

    def test_outside_reach_and_unknown_get_the_same_answer(
        self, api: Client, tokens: dict[str, str]
    ) -> None:
        existing = api.create({"workspaces": ["production"]}, token=tokens["MEMBER"])
        missing = api.create({"workspaces": ["no-such-workspace"]}, token=tokens["MEMBER"])
        assert_denied(existing)
        assert_denied(missing)
        assert existing.json()["detail"].replace("production", "X") == missing.json()[
            "detail"
        ].replace("no-such-workspace", "X")

    def test_admin_reaches_every_workspace_but_not_unknown_ones(self, api: Client) -> None:
        assert api.create({"workspaces": ["production", "research"]}).status_code == 200
        assert_denied(api.create({"workspaces": ["no-such-workspace"]}))

    def test_a_limited_token_cannot_widen(self, api: Client) -> None:
        limited = mint(api, {"workspaces": ["research"]})
        assert api.create({"workspaces": ["research"]}, token=limited).status_code == 200
        assert_denied(api.create({"workspaces": ["default"]}, token=limited))
        # Omitted: it inherits the limit, so its child cannot widen either.
        child = mint(api, {}, token=limited)
        assert_denied(api.create({"workspaces": ["default"]}, token=child))
        assert api.create({"workspaces": ["research", "research"]}, token=child).status_code == 200

    def test_empty_list_means_the_callers_reach(self, api: Client, tokens: dict[str, str]) -> None:
        child = mint(api, {"workspaces": []}, token=tokens["EXTERNAL"])
        assert api.create({"workspaces": ["research"]}, token=child).status_code == 200
        assert_denied(api.create({"workspaces": ["default"]}, token=child))

    def test_unlimited_token_reaches_workspaces_added_later(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        unlimited = mint(api, {})
        name = f"later-{uuid.uuid4().hex[:8]}"
        cli("workspaces", "add", name, database=deployment["database"])
        assert api.create({"workspaces": [name]}, token=unlimited).status_code == 200

    def test_user_losing_a_workspace_narrows_their_tokens(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        email = f"narrowed-{uuid.uuid4().hex[:8]}@example.com"
        cli(
            "users",
            "add",
            email,
            "--role",
            "MEMBER",
            "--workspace",
            "default",
            "--workspace",
            "staging",
            database=db,
        )
        token = cli("users", "token", email, database=db).stdout.strip()
        assert api.create({"workspaces": ["staging"]}, token=token).status_code == 200
        assert_denied(api.create({"workspaces": ["research"]}, token=token))


class TestExpiry:
    def test_expires_at_in_the_past_is_422(self, api: Client) -> None:
        assert loc(api.create({"expires_at": "2001-01-01T00:00:00Z"})) == [["body", "expires_at"]]

    def test_expires_false_with_expires_at_is_422(self, api: Client) -> None:
        assert loc(api.create({"expires": False, "expires_at": FUTURE})) == [["body", "expires_at"]]

    @pytest.mark.parametrize(
        "value", ["2030-01-01T00:00:00", "2030-01-01", "tomorrow", "2030-01-01 00:00:00Z"]
    )
    def test_date_time_needs_rfc3339_with_offset(self, api: Client, value: str) -> None:
        assert loc(api.create({"expires_at": value})) == [["body", "expires_at"]]

    @pytest.mark.parametrize(
        "value", ["2030-01-01T00:00:00Z", "2030-01-01T00:00:00.123+05:30", "2030-01-01t00:00:00z"]
    )
    def test_rfc3339_forms_are_accepted(self, api: Client, value: str) -> None:
        assert api.create({"expires_at": value}).status_code == 200

    def test_unrepresentable_date_times_are_422_not_500(self, api: Client) -> None:
        for value in ("2030-12-31T23:59:60Z", "9999-12-31T23:59:59-23:00"):
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
        token_id = api.create({"expires_at": "2031-05-06T07:08:09+02:00"}).json()["api_token_id"]
        assert _stored(deployment, token_id)["expires_at"] == datetime(
            2031, 5, 6, 5, 8, 9, tzinfo=UTC
        )


class TestPersonalAndService:
    def test_only_admins_create_service_tokens(self, api: Client, tokens: dict[str, str]) -> None:
        assert api.create({"personal": False}).status_code == 200
        assert_denied(api.create({"personal": False}, token=tokens["MEMBER"]))
        assert_denied(api.create({"personal": False}, token=tokens["EXTERNAL"]))

    def test_personal_token_dies_with_membership_service_token_survives(
        self, api: Client, deployment: dict[str, Any]
    ) -> None:
        db = deployment["database"]
        email = f"leaver-{uuid.uuid4().hex[:8]}@example.com"
        cli("users", "add", email, "--role", "ADMIN", database=db)
        token = cli("users", "token", email, database=db).stdout.strip()
        personal = mint(api, {"personal": True}, token=token)
        service = mint(api, {"personal": False}, token=token)
        cli("users", "remove", email, database=db)
        assert_denied(api.create({}, token=token), 401)
        assert_denied(api.create({}, token=personal), 401)
        assert api.create({}, token=service).status_code == 200


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

    def test_the_server_log_holds_no_secret(self, api: Client, deployment: dict[str, Any]) -> None:
        secret = mint(api, {"name": "log-check"})
        api.create({}, token=secret)
        assert secret not in deployment["log"].read_text(errors="replace")


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
