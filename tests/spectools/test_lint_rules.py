"""Each lint rule on a spec it must pass (ours) and on specs it must fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.spectools.specs import OUR_SPEC, REPOSITORY, our_spec, write
from token_api.spectools import handler_source, stubs
from token_api.spectools.findings import Finding
from token_api.spectools.lint import lint
from token_api.spectools.loading import Spec, load
from token_api.spectools.rules import RULES, Context

Doc = dict[str, Any]
TOKEN = "/paths/~1api~1v1~1token/post"
HEALTH = "/paths/~1health/get"


def findings(document: Doc, rule: str, **options: Any) -> list[Finding]:
    """The findings of one rule (lint runs them all; one is enough here and faster)."""
    context = Context(document, None, published=options.get("published"))
    context.handlers_module = options.get("handlers_module") or context.handlers_module
    return [Finding(rule, "error", *issue) for issue in RULES[rule].check(context)]


def token(document: Doc) -> Doc:
    return document["paths"]["/api/v1/token"]["post"]  # type: ignore[no-any-return]


def health(document: Doc) -> Doc:
    return document["paths"]["/health"]["get"]  # type: ignore[no-any-return]


def test_our_spec_is_clean() -> None:
    assert [f for f in lint(load(str(OUR_SPEC))) if f.fails] == []


def test_every_rule_has_a_failing_case_here() -> None:
    assert set(RULES) <= {rule for rule, _, _ in FAILING}


def _bad_description(d: Doc) -> None:
    token(d)["responses"]["403"]["description"] = 5
    health(d)["responses"]["200"]["description"] = ["not", "a", "string"]


def _broken_ref(d: Doc) -> None:
    token(d)["responses"]["403"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Nowhere"
    }


def _wrong_type_default(d: Doc) -> None:
    # Reached through the request body's $ref: the finding names where the default is written.
    d["components"]["schemas"]["CreateToken"]["properties"]["personal"]["default"] = "yes"


def _unreadable_pattern(d: Doc) -> None:
    d["components"]["schemas"]["Health"]["properties"]["status"]["pattern"] = "^(ok"


def _identical_paths(d: Doc) -> None:
    # /items/{id} and /items/{name} are one path to OpenAPI (Google's iam has /v2/{name} and
    # /v2/{parent}); each is valid on its own.
    for name in ("id", "name"):
        operation = dict(health(d), operationId=f"get_{name}")
        parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        d["paths"][f"/items/{{{name}}}"] = {"get": dict(operation, parameters=[parameter])}


def _duplicate_id(d: Doc) -> None:
    health(d)["operationId"] = "createToken"


def _no_id(d: Doc) -> None:
    del health(d)["operationId"]


def _unknown_handler(d: Doc) -> None:
    health(d)["operationId"] = "getStatus"


def _inherited_security(d: Doc) -> None:
    del token(d)["security"]


def _undefined_scheme(d: Doc) -> None:
    token(d)["security"] = [{"ApiKey": []}]


def _no_content(d: Doc) -> None:
    del token(d)["responses"]["403"]["content"]


def _no_schema(d: Doc) -> None:
    del token(d)["responses"]["403"]["content"]["application/json"]["schema"]


def _string_error(d: Doc) -> None:
    token(d)["responses"]["403"]["content"]["application/json"]["schema"] = {"type": "string"}


def _422_as_detail(d: Doc) -> None:
    token(d)["responses"]["422"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/HTTPError"
    }


def _text_error(d: Doc) -> None:
    content = token(d)["responses"]["403"]["content"]
    content["text/plain"] = content.pop("application/json")


def _bad_response_example(d: Doc) -> None:
    token(d)["responses"]["200"]["content"]["application/json"]["example"]["api_token"] = "nope"


def _bad_named_example(d: Doc) -> None:
    examples = token(d)["requestBody"]["content"]["application/json"]["examples"]
    examples["ci"]["value"]["expires_at"] = "next tuesday"


def _bad_schema_example(d: Doc) -> None:
    d["components"]["schemas"]["Health"]["properties"]["status"]["examples"] = ["down"]


def _changed_published_default(d: Doc) -> None:
    d["components"]["schemas"]["CreateToken"]["properties"]["expires"]["default"] = False


def _narrowed_request(d: Doc) -> None:
    d["components"]["schemas"]["CreateToken"]["properties"]["name"]["maxLength"] = 256


def _undocumented_403(d: Doc) -> None:
    del token(d)["responses"]["403"]


def _undocumented_401(d: Doc) -> None:
    del token(d)["responses"]["401"]


def _undocumented_503(d: Doc) -> None:
    del health(d)["responses"]["503"]


LISTED = len(our_spec()["paths"]["/api/v1/token"]["post"]["x-rules"])


def _rule_twice(d: Doc) -> None:
    token(d)["x-rules"].append(dict(token(d)["x-rules"][0]))


def _rule_unjudged(d: Doc) -> None:
    token(d)["x-rules"].append({"id": "key.rotates", "rule": "A key can be rotated."})


def _rule_dropped(d: Doc) -> None:
    token(d)["x-rules"] = [r for r in token(d)["x-rules"] if r["id"] != "auth.single-header"]


def _rule_without_sentence(d: Doc) -> None:
    del token(d)["x-rules"][0]["rule"]


# (rule, change to our spec, (location, words the message must hold))
FAILING: list[tuple[str, Callable[[Doc], None], tuple[str, str]]] = [
    ("valid-openapi", _bad_description, (f"{TOKEN}/responses/403/description", "string")),
    ("valid-openapi", _broken_ref, (f"{TOKEN}/responses/403/content/application~1json/schema",
                                    "points to nothing")),
    ("valid-openapi", _wrong_type_default, ("/components/schemas/CreateToken/properties/personal/"
                                            "default", "'yes' is not of type 'boolean'")),
    ("valid-openapi", _unreadable_pattern, ("/components/schemas/Health/properties/status/pattern",
                                            "is not a 'regex'")),
    ("valid-openapi", _identical_paths, ("/paths/~1items~1{name}", "differ only in the names")),
    ("operation-id-unique", _duplicate_id, (f"{HEALTH}/operationId", "also the operationId")),
    ("operation-id-unique", _no_id, (HEALTH, "no operationId")),
    ("operation-handler", _unknown_handler, (f"{HEALTH}/operationId", "no handler get_status()")),
    ("operation-security", _inherited_security, (TOKEN, "does not declare security")),
    ("operation-security", _undefined_scheme, (f"{TOKEN}/security/0/ApiKey", "does not define")),
    ("response-schema", _no_content, (f"{TOKEN}/responses/403", "declares no content")),
    ("response-schema", _no_schema, (f"{TOKEN}/responses/403/content/application~1json",
                                     "has no schema")),
    ("error-shape", _string_error, (f"{TOKEN}/responses/403/content/application~1json/schema",
                                    "requiring detail")),
    ("error-shape", _422_as_detail, (f"{TOKEN}/responses/422/content/application~1json/schema",
                                     "array of ValidationError")),
    ("error-shape", _text_error, (f"{TOKEN}/responses/403/content/text~1plain",
                                  "errors are application/json")),
    ("example-valid", _bad_response_example,
     (f"{TOKEN}/responses/200/content/application~1json/example", "'^api_'")),
    ("example-valid", _bad_named_example,
     (f"{TOKEN}/requestBody/content/application~1json/examples/ci/value", "date-time")),
    ("example-valid", _bad_schema_example,
     ("/components/schemas/Health/properties/status/examples/0", "'ok' was expected")),
    ("published-schemas", _changed_published_default,
     ("/components/schemas/CreateToken/properties/expires/default", "published True")),
    ("published-schemas", _narrowed_request,
     ("/components/schemas/CreateToken/properties/name/maxLength", "not in the published")),
    ("status-documented", _undocumented_403, (f"{TOKEN}/responses", "403 (Forbidden raised in")),
    ("status-documented", _undocumented_401, (f"{TOKEN}/responses", "401 (")),
    ("status-documented", _undocumented_503, (f"{HEALTH}/responses", "503 (Unavailable raised")),
    ("handler-stub", lambda d: None, (f"{HEALTH}/operationId", "generated stub answering 501")),
    ("contract-rules", _rule_twice, (f"{TOKEN}/x-rules/{LISTED}", "is already used at")),
    ("contract-rules", _rule_unjudged, (f"{TOKEN}/x-rules/{LISTED}", "by no conformance")),
    ("contract-rules", _rule_dropped, ("", "single_authorization judge auth.single-header")),
    ("contract-rules", _rule_without_sentence, (f"{TOKEN}/x-rules/0", "has no sentence")),
]  # fmt: skip


@pytest.fixture
def stubbed_health(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the handlers module whose get_health is the stub ``stubs --write`` makes."""
    source = (REPOSITORY / "src/token_api/server/handlers.py").read_text(encoding="utf-8")
    source = source[: source.index("async def get_health()")]
    (tmp_path / "stubbed_handlers.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert stubs.write(our_spec(), handler_source.load("stubbed_handlers")) == ["get_health"]
    return "stubbed_handlers"


@pytest.mark.parametrize(
    ("rule", "change", "expected"), FAILING, ids=[f"{r}-{c.__name__}" for r, c, _ in FAILING]
)
def test_rule_fails(
    rule: str,
    change: Callable[[Doc], None],
    expected: tuple[str, str],
    request: pytest.FixtureRequest,
) -> None:
    document = our_spec()
    change(document)
    options: dict[str, Any] = {}
    if rule == "handler-stub":
        options["handlers_module"] = request.getfixturevalue("stubbed_health")
    found = findings(document, rule, **options)
    location, words = expected
    assert any(f.location == location and words in f.message for f in found), found


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_passes_on_our_spec(rule: str) -> None:
    assert findings(our_spec(), rule) == []


def test_validity_reports_every_error_not_only_the_first() -> None:
    document = our_spec()
    _bad_description(document)
    locations = {f.location for f in findings(document, "valid-openapi")}
    assert {
        f"{TOKEN}/responses/403/description",
        f"{HEALTH}/responses/200/description",
    } <= locations


@pytest.mark.parametrize(
    ("pattern", "regex"),
    [
        (r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$", True),  # AWS's tag values: ECMA property escapes
        (r"^\P{C}+$", True),
        (r"^[\w-.]+$", True),  # ECMA reads the hyphen beside a class escape as itself
        (r"^\p{Print}+$", False),  # Java's, not ECMA's
        (r"^\p{L}(", False),
    ],
)
def test_validity_reads_patterns_as_ecma_262(pattern: str, regex: bool) -> None:
    document = our_spec()
    document["components"]["schemas"]["Health"]["properties"]["status"]["pattern"] = pattern
    found = [f.location for f in findings(document, "valid-openapi")]
    assert found == ([] if regex else ["/components/schemas/Health/properties/status/pattern"])


def test_a_key_the_root_refuses_is_said_in_one_sentence() -> None:
    """The message was followed by "Failed validating … On instance:" and the whole document."""
    document = our_spec()
    document["source"] = {"url": {}}
    found = [(f.location, f.message) for f in findings(document, "valid-openapi")]
    assert found == [("", "Unevaluated properties are not allowed ('source' was unexpected)")]


def test_an_extension_beside_the_paths_is_not_a_path() -> None:
    """The Paths object allows ``x-`` keys; openapi-spec-validator stopped at one (apicurio)."""
    document = our_spec()
    document["paths"]["x-codegen-contextRoot"] = "/apis/registry/v2"
    assert [f for f in lint(Spec(document, "spec", None)) if f.fails] == []


def test_a_stub_must_document_501(stubbed_health: str) -> None:
    found = findings(our_spec(), "status-documented", handlers_module=stubbed_health)
    assert [f.message for f in found] == [
        "GET /health can answer 501 (returned by the generated stub "
        "stubbed_handlers.get_health) but does not document it"
    ]


def test_routing_statuses_are_not_per_operation() -> None:
    """404/405 answer no operation (routing, before one is chosen): requiring them is noise."""
    messages = " ".join(f.message for f in findings(our_spec(), "status-documented"))
    assert messages == ""
    assert all(code not in token(our_spec())["responses"] for code in ("404", "405"))


def test_every_operation_documents_the_catch_all_500() -> None:
    """Any operation can answer the catch-all handler's 500 (a bug, a stored row it cannot read)."""
    document = our_spec()
    for path in document["paths"].values():
        for operation in path.values():
            del operation["responses"]["500"]
    messages = [f.message for f in findings(document, "status-documented")]
    assert messages == [
        "POST /api/v1/token can answer 500 (the catch-all Exception entry of HANDLERS) but does "
        "not document it",
        "GET /health can answer 500 (the catch-all Exception entry of HANDLERS) but does not "
        "document it",
    ]


def test_published_runs_on_a_spec_with_nothing_beside_it(tmp_path: Path) -> None:
    """The stored contract ships with the package: no page needs to lie near the spec."""
    document = our_spec()
    _changed_published_default(document)
    spec = write(tmp_path / "openapi.yaml", document)
    found = [f for f in lint(load(str(spec))) if f.rule == "published-schemas"]
    assert [(f.severity, f.location) for f in found] == [
        ("error", "/components/schemas/CreateToken/properties/expires/default")
    ]
    assert found[0].message == "is False, published True (create-token.json)"


def test_an_invalid_document_does_not_crash_the_other_rules() -> None:
    document = our_spec()
    document["paths"]["/api/v1/token"]["post"]["responses"] = "none"
    found = lint(Spec(document, "spec", None))
    assert any(f.rule == "valid-openapi" for f in found)


def _v30(schemas: Doc, paths: Doc | None = None) -> Doc:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": paths or {},
        "components": {"schemas": schemas},
    }


def test_a_byte_value_that_is_not_ascii_is_not_base64() -> None:
    """openapi-schema-validator's byte check let UnicodeEncodeError escape (Azure keyvault)."""
    blob = {"type": "string", "format": "byte", "example": "—", "default": "é"}
    document = _v30({"Blob": blob})
    found = [
        (f.rule, f.location, f.message)
        for rule in ("example-valid", "valid-openapi")
        for f in findings(document, rule)
    ]
    assert found == [
        (
            "example-valid",
            "/components/schemas/Blob/example",
            "does not validate against its schema at (root): '—' is not a 'byte'",
        ),
        ("valid-openapi", "/components/schemas/Blob/default", "'é' is not a 'byte'"),
    ]


def test_a_discriminator_that_leads_back_to_its_base_is_followed_once() -> None:
    """OpenAPI's own pattern with a base that is itself allOf (Azure's Setting): the library
    followed Setting → Export → Setting → … until RecursionError."""
    ref = "#/components/schemas/"
    schemas = {
        "Resource": {"type": "object", "properties": {"id": {"type": "string"}}},
        "Setting": {
            "allOf": [{"$ref": ref + "Resource"}],
            "discriminator": {"propertyName": "kind"},
            "type": "object",
            "properties": {"kind": {"type": "string"}},
            "required": ["kind"],
        },
        "Export": {
            "allOf": [{"$ref": ref + "Setting"}],
            "type": "object",
            "properties": {"on": {"type": "boolean"}},
            "required": ["on"],
        },
        "Holder": {
            "type": "object",
            "properties": {
                "setting": {
                    "allOf": [{"$ref": ref + "Setting"}],
                    "default": {"kind": "Export", "on": "no"},
                }
            },
        },
    }
    media = {
        "schema": {"$ref": ref + "Setting"},
        "examples": {
            "good": {"value": {"kind": "Export", "on": True}},
            "bad": {"value": {"kind": "Export", "id": 5, "on": True}},
        },
    }
    paths = {
        "/s": {"get": {"responses": {"200": {"description": "ok", "content": {"a/b": media}}}}}
    }
    document = _v30(schemas, paths)
    examples = [(f.location, f.message) for f in findings(document, "example-valid")]
    assert examples == [
        (
            "/paths/~1s/get/responses/200/content/a~1b/examples/bad/value",
            "example 'bad' does not validate against its schema at /id: 5 is not of type 'string'",
        )
    ]
    defaults = [(f.location, f.message) for f in findings(document, "valid-openapi")]
    assert defaults == [
        (
            "/components/schemas/Holder/properties/setting/default/on",
            "'no' is not of type 'boolean'",
        )
    ]


def test_keywords_beside_a_ref_are_ignored_in_3_0() -> None:
    """OpenAPI 3.0 ignores what stands beside $ref; APIs.guru's dnd5eapi has an `allOf` map
    there, and example-valid crashed on it (AttributeError from the validator)."""
    schemas = {"Monster": {"type": "object", "properties": {"name": {"type": "string"}}}}
    media = {
        "schema": {
            "$ref": "#/components/schemas/Monster",
            "allOf": {"3": {"properties": {"name": {}}}},
            "required": ["nothing"],
        },
        "example": {"name": 5},
    }
    paths = {
        "/m": {"get": {"responses": {"200": {"description": "ok", "content": {"a/b": media}}}}}
    }
    document = _v30(schemas, paths)
    assert not findings(document, "valid-openapi")
    assert [(f.location, f.message) for f in findings(document, "example-valid")] == [
        (
            "/paths/~1m/get/responses/200/content/a~1b/example",
            "does not validate against its schema at /name: 5 is not of type 'string'",
        )
    ]
