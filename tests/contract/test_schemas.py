"""Draft 2020-12 validation with formats asserted, on the published request schema."""

from __future__ import annotations

from typing import Any

import pytest

from token_api.contract.document import load_document
from token_api.contract.schemas import CompiledSchema


@pytest.fixture(scope="module")
def request_schema() -> CompiledSchema:
    return CompiledSchema(load_document()["components"]["schemas"]["CreateToken"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"expires_at": None, "role_id": None, "name": None},
        {"expires_at": "2030-01-01T00:00:00Z", "role_id": "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71"},
        {"expires_at": "2030-01-01T00:00:00.5-07:00", "workspaces": [], "extra": {"any": 1}},
    ],
)
def test_valid(request_schema: CompiledSchema, body: dict[str, Any]) -> None:
    assert request_schema.violations(body) == []


@pytest.mark.parametrize(
    ("body", "type_"),
    [
        ({"expires_at": "2030-01-01T00:00:00"}, "datetime_format"),  # no offset
        ({"expires_at": "2030-13-01T00:00:00Z"}, "datetime_format"),
        ({"role_id": "0b7d4c38-8e0f-4b8a-9a4e"}, "uuid_format"),
        ({"role_id": "0b7d4c388e0f4b8a9a4e3f0c2d5e6a71x"}, "uuid_format"),
        ({"organization_role": "admin"}, "enum"),
        ({"expires": 1}, "bool_type"),
        ({"workspaces": [None]}, "string_type"),
        ({"name": ["x"]}, "type_error"),
    ],
)
def test_invalid(request_schema: CompiledSchema, body: dict[str, Any], type_: str) -> None:
    assert [v["type"] for v in request_schema.violations(body)] == [type_]


def test_defaults_are_filled_without_touching_sent_values(request_schema: CompiledSchema) -> None:
    filled = request_schema.with_defaults({"expires": False})
    assert filled == {"expires": False, "organization_role": "MEMBER", "personal": True}


def test_huge_inputs_are_not_echoed(request_schema: CompiledSchema) -> None:
    (violation,) = request_schema.violations({"name": {"x": "y" * 100_000}})
    assert "input" not in violation and len(violation["msg"]) < 200
