"""Every error answer has the contract's shape: 422 HTTPValidationError with loc from "body",
listing every violation; anything else {"detail": str}. Nothing a client sends gets a 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Client
from tests.support.credentials import shown

JSON = {"Content-Type": "application/json"}


def violations(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, shown(response)
    detail = response.json()["detail"]
    assert detail and all(item["loc"][0] == "body" for item in detail)
    return detail  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("content", "type_"),
    [
        (b'{"name": "x"', "json_invalid"),
        (b"{'name': 'x'}", "json_invalid"),
        (b'{"expires": NaN}', "json_invalid"),
        (b'{"expires": Infinity}', "json_invalid"),
        (b'{"expires": -Infinity}', "json_invalid"),
        (b'{"name": "\xff\xfe"}', "json_invalid"),
        (b'{"name": "\\ud800"}', "json_invalid"),
        (b'{"name": "\\udc00x"}', "json_invalid"),
        (b"[" * 100_00 + b"]" * 100_00, "json_invalid"),
        (b'{"a":' * 2000 + b"1" + b"}" * 2000, "json_invalid"),
        (b"", "missing"),
        (b"   ", "missing"),
        (b"null", "missing"),
        (b"[]", "dict_type"),
        (b'"token"', "dict_type"),
        (b"42", "dict_type"),
        (b"true", "dict_type"),
    ],
)
def test_unusable_bodies_are_422(api: Client, content: bytes, type_: str) -> None:
    response = api.request("POST", "/api/v1/token", content=content, headers=JSON)
    assert [item["type"] for item in violations(response)] == [type_]


def test_every_violation_is_listed(api: Client) -> None:
    body = {
        "expires": "yes",
        "expires_at": "soon",
        "name": 7,
        "organization_role": "OWNER",
        "personal": None,
        "role_id": "not-a-uuid",
        "workspaces": ["ok", 3],
    }
    found = {tuple(item["loc"]): item["type"] for item in violations(api.create(body))}
    assert found == {
        ("body", "expires"): "bool_type",
        ("body", "expires_at"): "datetime_format",
        ("body", "name"): "type_error",
        ("body", "organization_role"): "enum",
        ("body", "personal"): "bool_type",
        ("body", "role_id"): "uuid_format",
        ("body", "workspaces", 1): "string_type",
    }


def test_unknown_properties_are_accepted(api: Client) -> None:
    """The published schema allows additional properties; so do we."""
    assert api.create({"colour": "blue"}).status_code == 200


def test_a_deep_value_nested_within_limits_is_a_plain_type_error(api: Client) -> None:
    body = '{"name": ' + "[" * 500 + "]" * 500 + "}"
    response = api.request("POST", "/api/v1/token", content=body, headers=JSON)
    assert [item["loc"] for item in violations(response)] == [["body", "name"]]


@pytest.mark.parametrize("depth", [900, 1000])
@pytest.mark.parametrize(
    ("field", "where", "type_"),
    [
        ("workspaces", ["body", "workspaces", 0], "string_type"),
        ("name", ["body", "name"], "type_error"),
    ],
)
def test_a_value_nested_a_thousand_deep_is_a_plain_422(
    api: Client, depth: int, field: str, where: list[Any], type_: str
) -> None:
    """The JSON parser takes it; describing the error once raised RecursionError (a 500 to any
    signed-in user, issue #20 finding 2)."""
    deep = "[" * depth + "]" * depth
    value = f"[{deep}]" if field == "workspaces" else deep
    body = f'{{"{field}": {value}}}'
    response = api.request("POST", "/api/v1/token", content=body, headers=JSON)
    assert [(item["loc"], item["type"]) for item in violations(response)] == [(where, type_)]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
    ],
)
def test_other_media_types_are_415(api: Client, content_type: str) -> None:
    response = api.request(
        "POST", "/api/v1/token", content=b"{}", headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json", "APPLICATION/JSON", "application/json; charset=UTF-8"],
)
def test_json_media_types_and_no_media_type_are_read_as_json(
    api: Client, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.request("POST", "/api/v1/token", content=b"{}", headers=headers)
    assert response.status_code == 200


def test_chunked_body_is_read(api: Client) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": '
        yield b'"chunked"}'

    response = api.request("POST", "/api/v1/token", content=chunks(), headers=JSON)
    assert response.status_code == 200


def test_oversized_body_is_413(api: Client) -> None:
    body = b'{"name": "' + b"x" * 70_000 + b'"}'
    response = api.request("POST", "/api/v1/token", content=body, headers=JSON)
    assert response.status_code == 413


def test_unknown_path_and_wrong_method(api: Client) -> None:
    missing = api.request("GET", "/api/v1/tokens", check=False)
    assert missing.status_code == 404 and isinstance(missing.json()["detail"], str)
    wrong = api.request("GET", "/api/v1/token", check=False)
    assert wrong.status_code == 405 and isinstance(wrong.json()["detail"], str)
    assert wrong.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1%2Ftoken"),
        ("POST", "/api%2Fv1%2Ftoken"),
        ("POST", "/api%2fv1%2ftoken"),
        ("POST", "/api/v1%2ftoken"),
        ("POST", "/api%2Fv1/token"),
        ("GET", "/docs%2Fstatic/swagger-ui.css"),
    ],
)
def test_an_encoded_slash_is_not_a_slash(api: Client, method: str, path: str) -> None:
    """Rule path.exact: ``%2F`` is not ``/`` (RFC 3986 §6.2.2.2), and a proxy rule written for
    /api/v1/token does not see it. With a session that would mint: 404."""
    response = api.request(method, path, json={} if method == "POST" else None, check=False)
    assert response.status_code == 404, shown(response)
    assert response.json() == {"detail": "Not found."}


def test_health_needs_no_credentials(api: Client) -> None:
    response = api.as_(None).request("GET", "/health")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"]
)
def test_health_ignores_a_body_media_type(api: Client, content_type: str) -> None:
    response = api.as_(None).request("GET", "/health", headers={"Content-Type": content_type})
    assert response.status_code == 200
