"""Draft 2020-12 validation with formats asserted, on the published request schema."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from token_api.contract.document import load_document
from token_api.contract.schemas import MAX_DESCRIBED_DEPTH, CompiledSchema


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


def test_a_violation_deeper_than_described_is_still_one() -> None:
    """Instances are described cut at MAX_DESCRIBED_DEPTH (jsonschema recurses, and a parser
    takes a thousand levels); a schema that looks deeper still gets a violation, at the root."""
    schema: dict[str, Any] = {"type": "string"}
    instance: Any = 1
    for _ in range(MAX_DESCRIBED_DEPTH + 5):
        schema = {"type": "array", "items": schema}
        instance = [instance]
    compiled = CompiledSchema(schema)
    assert compiled.violations(instance) == [
        {
            "loc": ["body"],
            "msg": f"Input nests deeper than {MAX_DESCRIBED_DEPTH} levels",
            "type": "too_deep",
        }
    ]
    shallow: Any = 1
    for _ in range(MAX_DESCRIBED_DEPTH - 1):
        shallow = [shallow]
    schema = {"type": "string"}
    for _ in range(MAX_DESCRIBED_DEPTH - 1):
        schema = {"type": "array", "items": schema}
    [found] = CompiledSchema(schema).violations(shallow)
    assert (len(found["loc"]), found["type"]) == (MAX_DESCRIBED_DEPTH, "string_type")


def test_defaults_are_filled_without_touching_sent_values(request_schema: CompiledSchema) -> None:
    filled = request_schema.with_defaults({"expires": False})
    assert filled == {"expires": False, "organization_role": "MEMBER", "personal": True}


def test_huge_inputs_are_not_echoed(request_schema: CompiledSchema) -> None:
    (violation,) = request_schema.violations({"name": {"x": "y" * 100_000}})
    assert "input" not in violation and len(violation["msg"]) < 200


# Both validators behind CompiledSchema (jsonschema-rs decides, jsonschema describes) must give
# one verdict; where a library's own format check is off, the contract's formats decide.
TRICKY_DATE_TIMES = {
    "2030-01-01T00:00:00Z": True,
    "2030-01-01t00:00:00z": True,
    "2030-01-01T00:00:00.123456789+05:30": True,
    "2030-01-01T00:00:00-00:00": True,
    "2030-01-01T00:00:00+23:59": True,
    "2028-02-29T12:00:00Z": True,
    "2030-01-01T00:00:00": False,  # no offset
    "2030-01-01 00:00:00Z": False,
    "2030-02-29T00:00:00Z": False,
    "2030-04-31T00:00:00Z": False,
    "2030-01-01T24:00:00Z": False,
    "2030-01-01T00:60:00Z": False,
    "1990-12-31T23:59:60Z": False,  # a leap second: jsonschema-rs alone accepts it
    "0000-01-01T00:00:00Z": False,  # year 0: jsonschema-rs alone accepts it
    "2030-01-01T00:00:00Z\n": False,  # rfc3339-validator alone accepts it
    "2030-01-01T00:00:00+0530": False,
    "2030-01-01T00:00Z": False,
    "20300101T000000Z": False,
    "2030-01-01T00:00:00+24:00": False,
    "2030-01-01T00:00:00.Z": False,
    "2030-01-01T00:00:00,5Z": False,
    "２０３０-01-01T00:00:00Z": False,
    "2030-1-01T00:00:00Z": False,
    "": False,
}
TRICKY_UUIDS = {
    "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71": True,
    "0B7D4C38-8E0F-4B8A-9A4E-3F0C2D5E6A71": True,
    "00000000-0000-0000-0000-000000000000": True,
    "0b7d4c388e0f4b8a9a4e3f0c2d5e6a71": False,
    "{0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71}": False,
    "urn:uuid:0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71": False,
    "0b7d4c3-88e0f-4b8a-9a4e-3f0c2d5e6a71": False,
    "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a7g": False,
    "１b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71": False,  # jsonschema's uuid alone accepts it
    "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71\n": False,
    "0b7d4c38_8e0f_4b8a_9a4e_3f0c2d5e6a71": False,
}


def _python_verdict(compiled: CompiledSchema, instance: Any) -> bool:
    return not any(compiled._validator.iter_errors(instance))


@pytest.mark.parametrize(("value", "valid"), TRICKY_DATE_TIMES.items())
def test_date_time_format(request_schema: CompiledSchema, value: str, valid: bool) -> None:
    body = {"expires_at": value}
    assert request_schema.is_valid(body) is valid
    assert _python_verdict(request_schema, body) is valid
    assert (request_schema.violations(body) == []) is valid


@pytest.mark.parametrize(("value", "valid"), TRICKY_UUIDS.items())
def test_uuid_format(request_schema: CompiledSchema, value: str, valid: bool) -> None:
    body = {"role_id": value}
    assert request_schema.is_valid(body) is valid
    assert _python_verdict(request_schema, body) is valid
    assert (request_schema.violations(body) == []) is valid


def test_response_schema_formats_and_pattern() -> None:
    result = CompiledSchema(load_document()["components"]["schemas"]["APITokenResult"])
    good = {"api_token": "api_x", "api_token_id": "0b7d4c38-8e0f-4b8a-9a4e-3f0c2d5e6a71"}
    for instance, valid in [
        (good, True),
        ({**good, "api_token": "API_x"}, False),
        ({**good, "api_token": "x api_"}, False),
        ({**good, "api_token_id": "0b7d4c388e0f4b8a9a4e3f0c2d5e6a71"}, False),
        ({"api_token": "api_x"}, False),
        ([good], False),
    ]:
        assert result.is_valid(instance) is valid
        assert _python_verdict(result, instance) is valid


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from([*TRICKY_DATE_TIMES, *TRICKY_UUIDS, "ADMIN", "MEMBER", "EXTERNAL", "admin"]),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = (
    "expires",
    "expires_at",
    "name",
    "organization_role",
    "personal",
    "role_id",
    "workspaces",
)
_BODIES = st.one_of(_JSON, st.dictionaries(st.sampled_from(_FIELDS), _JSON, max_size=len(_FIELDS)))


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=_BODIES)
def test_both_validators_agree_on_generated_bodies(
    request_schema: CompiledSchema, body: Any
) -> None:
    verdict = request_schema.is_valid(body)
    assert _python_verdict(request_schema, body) is verdict
    assert (request_schema.violations(body) == []) is verdict
