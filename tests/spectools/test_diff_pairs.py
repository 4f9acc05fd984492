"""Pairs of spec versions, each diffed in both directions against its expected verdicts.

``forward`` is what diff(old → new) must report, ``backward`` what diff(new → old) must: every
(rule, breaking) exactly, nothing more. Item is both the request body and the 200 body, so a
schema change shows once per side, each with the verdict of its side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.spectools.specs import base, item, prop, put
from token_api.spectools.diff import diff_documents, rule_ids

Doc = dict[str, Any]
Verdicts = set[tuple[str, bool]]


@dataclass(frozen=True)
class Pair:
    name: str
    change: Callable[[Doc], None]  # old → new
    forward: Verdicts
    backward: Verdicts
    setup: Callable[[Doc], None] | None = None  # applied to both versions first


def both(kind: str, request: bool, response: bool) -> Verdicts:
    return {(f"request-{kind}", request), (f"response-{kind}", response)}


def _set(**properties: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        for name, schema in properties.items():
            if schema is None:
                del item(document)["properties"][name]
            else:
                item(document)["properties"][name] = schema

    return change


def _update(name: str, **keywords: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        for keyword, value in keywords.items():
            if value is None:
                prop(document, name).pop(keyword, None)
            else:
                prop(document, name)[keyword] = value

    return change


def _add_role(document: Doc) -> None:
    document["components"]["schemas"]["Role"]["enum"].append("VIEWER")


def _inline_role(document: Doc) -> None:
    prop(document, "role").clear()
    prop(document, "role").update(type="string", enum=["ADMIN", "MEMBER"])


def _require(*names: str) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        item(document)["required"] = [*item(document)["required"], *names]

    return change


def _add_required_extra(document: Doc) -> None:
    item(document)["properties"]["extra"] = {"type": "string"}
    item(document)["required"].append("extra")


def _forbid_extras(document: Doc) -> None:
    item(document)["additionalProperties"] = False


def _drop_kind(document: Doc) -> None:
    del item(document)["properties"]["kind"]


def _health_secured(document: Doc) -> None:
    document["paths"]["/health"]["get"]["security"] = [{"Bearer": []}]


def _bearer_to_api_key(document: Doc) -> None:
    document["components"]["securitySchemes"]["Bearer"] = {
        "type": "apiKey",
        "in": "header",
        "name": "X-Key",
    }


def _rename_scheme(document: Doc) -> None:
    schemes = document["components"]["securitySchemes"]
    schemes["Token"] = schemes.pop("Bearer")
    put(document)["security"] = [{"Token": []}]


def _api_key_alternative(document: Doc) -> None:
    document["components"]["securitySchemes"]["Key"] = {
        "type": "apiKey",
        "in": "header",
        "name": "X-Key",
    }
    put(document)["security"] = [{"Bearer": []}, {"Key": []}]


def _parameter(**parameter: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        put(document)["parameters"].append(parameter)

    return change


def _verbose(**keywords: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        put(document)["parameters"][1].update(keywords)

    return change


def _rename_path_parameter(document: Doc) -> None:
    paths = document["paths"]
    paths["/items/{id}"] = paths.pop("/items/{item_id}")
    paths["/items/{id}"]["put"]["parameters"][0]["name"] = "id"


def _item_id_max_length(document: Doc) -> None:
    put(document)["parameters"][0]["schema"]["maxLength"] = 64


def _drop_body(document: Doc) -> None:
    del put(document)["requestBody"]


def _body_optional(document: Doc) -> None:
    put(document)["requestBody"]["required"] = False


def _xml_body(document: Doc) -> None:
    put(document)["requestBody"]["content"]["application/xml"] = {"schema": {"type": "string"}}


def _created(document: Doc) -> None:
    responses = put(document)["responses"]
    responses["201"] = responses.pop("200")


def _conflict(document: Doc) -> None:
    put(document)["responses"]["409"] = {
        "description": "Conflict.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _text_response(document: Doc) -> None:
    put(document)["responses"]["200"]["content"]["text/plain"] = {"schema": {"type": "string"}}


def _retry_header(document: Doc) -> None:
    put(document)["responses"]["200"]["headers"]["Retry-After"] = {"schema": {"type": "string"}}


def _delete_operation(document: Doc) -> None:
    document["paths"]["/items/{item_id}"]["delete"] = {
        "operationId": "deleteItem",
        "security": [{"Bearer": []}],
        "parameters": [{"name": "item_id", "in": "path", "required": True}],
        "responses": {"204": {"description": "Deleted."}},
    }


def _drop_health(document: Doc) -> None:
    del document["paths"]["/health"]


def _rename_operation(document: Doc) -> None:
    put(document)["operationId"] = "replaceItem"


def _second_server(document: Doc) -> None:
    document["servers"].append({"url": "https://eu.example.com"})


def _callbacks(document: Doc) -> None:
    put(document)["callbacks"] = {"done": {"{$request.body#/url}": {"post": {"responses": {}}}}}


def _summary(document: Doc) -> None:
    put(document)["summary"] = "Replace an item"


def _description(document: Doc) -> None:
    prop(document, "name")["description"] = "The item's name, shown in lists."


def _nullable_30(document: Doc) -> None:
    document["openapi"] = "3.0.3"
    item(document)["properties"]["note"] = {"type": "string", "nullable": True}


def _nullable_list(document: Doc) -> None:
    item(document)["properties"]["note"] = {"type": ["string", "null"]}


def _ref_refactor(document: Doc) -> None:
    schemas = document["components"]["schemas"]
    schemas["Name"] = item(document)["properties"].pop("name")
    item(document)["properties"]["name"] = {"$ref": "#/components/schemas/Name"}


PAIRS = [
    # Nullability: three spellings are one; adding null widens, removing it narrows.
    Pair("null as anyOf or as a type list is the same", _nullable_list, set(), set()),
    Pair("nullable: true (3.0) is the same as anyOf null", _nullable_30, set(), set()),
    Pair("boolean becomes boolean | null (FastAPI anyOf)",
         _set(flag={"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": False}),
         both("became-nullable", False, True), both("no-longer-nullable", True, False)),
    Pair("a $ref refactor leaving resolved schemas equal is no change", _ref_refactor, set(),
         set()),
    Pair("an enum inlined instead of referenced is no change", _inline_role, set(), set()),
    # Types.
    Pair("string becomes string | integer", _update("kind", type=["string", "integer"]),
         both("type-widened", False, True), both("type-narrowed", True, False)),
    Pair("string becomes integer", _update("kind", type="integer"),
         both("type-changed", True, True), both("type-changed", True, True)),
    Pair("number becomes integer", _update("count", type="number"),
         both("type-widened", False, True), both("type-narrowed", True, False)),
    # Enums, including the component shared by request and response.
    Pair("shared enum component gains a value", _add_role,
         both("enum-value-added", False, True), both("enum-value-removed", True, False)),
    Pair("values limited to an enum", _update("kind", enum=["a", "b"]),
         both("enum-added", True, False), both("enum-removed", False, True)),
    Pair("value fixed by const", _update("kind", const="a"),
         both("enum-added", True, False), both("enum-removed", False, True)),
    # Formats.
    Pair("format added", _update("kind", format="date-time"),
         both("format-added", True, False), both("format-removed", False, True)),
    Pair("int32 becomes int64", _update("size", format="int64"),
         both("format-widened", False, True), both("format-narrowed", True, False)),
    Pair("uuid becomes date-time", _update("id", format="date-time"),
         both("format-changed", True, True), both("format-changed", True, True)),
    # Constraints.
    Pair("maxLength lowered", _update("name", maxLength=50),
         both("constraint-tightened", True, False), both("constraint-relaxed", False, True)),
    Pair("maxLength removed", _update("name", maxLength=None),
         both("constraint-relaxed", False, True), both("constraint-tightened", True, False)),
    Pair("pattern extended after its anchor", _update("code", pattern="^abc[0-9]+$"),
         both("constraint-tightened", True, False), both("constraint-relaxed", False, True)),
    Pair("pattern replaced by an unrelated one", _update("code", pattern="^x"),
         both("constraint-changed", True, True), both("constraint-changed", True, True)),
    Pair("minimum becomes exclusive", _update("count", minimum=None, exclusiveMinimum=0),
         both("constraint-tightened", True, False), both("constraint-relaxed", False, True)),
    Pair("items must be unique", _update("tags", uniqueItems=True),
         both("constraint-tightened", True, False), both("constraint-relaxed", False, True)),
    Pair("multipleOf 2 becomes 4", _update("count", multipleOf=4),
         both("constraint-tightened", True, False), both("constraint-relaxed", False, True),
         setup=_update("count", multipleOf=2)),
    # Properties.
    Pair("optional property added", _set(extra={"type": "string"}),
         both("property-added", False, False), both("property-removed", False, True)),
    Pair("required property added", _add_required_extra,
         both("required-property-added", True, False), both("property-removed", False, True)),
    Pair("property becomes required", _require("count"),
         both("property-became-required", True, False),
         both("property-became-optional", False, True)),
    Pair("undeclared properties forbidden", _forbid_extras,
         both("additional-properties-narrowed", True, False),
         both("additional-properties-widened", False, True)),
    Pair("property removed where undeclared ones are forbidden", _drop_kind,
         both("property-removed", True, False), both("property-added", False, True),
         setup=_forbid_extras),
    Pair("anyOf alternative added",
         _set(kind={"anyOf": [{"type": "string"}, {"type": "integer"}]}),
         both("alternative-added", False, True), both("alternative-removed", True, False)),
    Pair("anyOf alternatives reordered",
         _set(kind={"anyOf": [{"type": "integer"}, {"$ref": "#/components/schemas/Role"}]}),
         set(), set(),
         setup=_set(kind={"anyOf": [{"$ref": "#/components/schemas/Role"}, {"type": "integer"}]})),
    Pair("a keyword diff cannot rank", _update("kind", **{"not": {"const": "x"}}),
         both("schema-changed", True, True), both("schema-changed", True, True)),
    Pair("a request default changes what omitting means", _update("flag", default=True),
         both("default-changed", True, False), both("default-changed", True, False)),
    Pair("a description is documentation", _description,
         {("documentation-changed", False)}, {("documentation-changed", False)}),
    # Paths and operations.
    Pair("path removed", _drop_health, {("path-removed", True)}, {("path-added", False)}),
    Pair("operation added", _delete_operation,
         {("operation-added", False)}, {("operation-removed", True)}),
    Pair("operationId renamed", _rename_operation,
         {("operation-id-changed", True)}, {("operation-id-changed", True)}),
    Pair("path parameter renamed: same URLs", _rename_path_parameter,
         {("documentation-changed", False)}, {("documentation-changed", False)}),
    Pair("server added", _second_server, {("server-added", False)}, {("server-removed", True)}),
    Pair("callbacks changed", _callbacks,
         {("operation-changed", True)}, {("operation-changed", True)}),
    Pair("webhooks changed", lambda d: d.update(webhooks={"ping": {"post": {"responses": {}}}}),
         {("operation-changed", True)}, {("operation-changed", True)}),
    Pair("summary reworded", _summary,
         {("documentation-changed", False)}, {("documentation-changed", False)}),
    # Security.
    Pair("a public operation needs credentials", _health_secured,
         {("security-added", True)}, {("security-removed", False)}),
    Pair("bearer scheme becomes an API key", _bearer_to_api_key,
         {("security-changed", True)}, {("security-changed", True)}),
    Pair("a scheme renamed, defined the same", _rename_scheme, set(), set()),
    Pair("an alternative way to authenticate", _api_key_alternative,
         {("security-changed", False)}, {("security-changed", True)}),
    # Parameters.
    Pair("required header added", _parameter(name="X-Tenant", **{"in": "header"}, required=True,
                                             schema={"type": "string"}),
         {("request-parameter-required-added", True)}, {("request-parameter-removed", True)}),
    Pair("optional query parameter added", _parameter(name="dry", **{"in": "query"},
                                                      schema={"type": "boolean"}),
         {("request-parameter-optional-added", False)}, {("request-parameter-removed", True)}),
    Pair("query parameter becomes required", _verbose(required=True),
         {("request-parameter-became-required", True)},
         {("request-parameter-became-optional", False)}),
    Pair("query parameter serialized differently", _verbose(explode=False),
         {("request-parameter-serialization-changed", True)},
         {("request-parameter-serialization-changed", True)}),
    Pair("path parameter gets a maxLength", _item_id_max_length,
         {("request-constraint-tightened", True)}, {("request-constraint-relaxed", False)}),
    # Request bodies.
    Pair("required request body removed", _drop_body,
         {("request-body-removed", True)}, {("request-body-required-added", True)}),
    Pair("optional request body removed", _drop_body,
         {("request-body-removed", True)}, {("request-body-added", False)},
         setup=_body_optional),
    Pair("request body becomes optional", _body_optional,
         {("request-body-became-optional", False)}, {("request-body-became-required", True)}),
    Pair("request media type added", _xml_body,
         {("request-media-type-added", False)}, {("request-media-type-removed", True)}),
    # Responses.
    Pair("success status 200 becomes 201", _created,
         {("response-success-status-removed", True), ("response-success-status-added", True)},
         {("response-success-status-removed", True), ("response-success-status-added", True)}),
    Pair("error status added", _conflict,
         {("response-error-status-added", False)}, {("response-error-status-removed", False)}),
    Pair("response media type added", _text_response,
         {("response-media-type-added", False)}, {("response-media-type-removed", True)}),
    Pair("response header added", _retry_header,
         {("response-header-added", False)}, {("response-header-removed", True)}),
]  # fmt: skip


def verdicts(old: Doc, new: Doc) -> Verdicts:
    return {(change.rule, change.breaking) for change in diff_documents(old, new)}


def versions(pair: Pair) -> tuple[Doc, Doc]:
    old, new = base(), base()
    if pair.setup:
        pair.setup(old)
        pair.setup(new)
    pair.change(new)
    return old, new


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_forward(pair: Pair) -> None:
    old, new = versions(pair)
    assert verdicts(old, new) == pair.forward


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_backward(pair: Pair) -> None:
    old, new = versions(pair)
    assert verdicts(new, old) == pair.backward


def test_every_rule_has_a_pair() -> None:
    covered = {rule for pair in PAIRS for rule, _ in pair.forward | pair.backward}
    assert set(rule_ids()) - covered == set()


def test_unchanged_spec_has_no_changes() -> None:
    assert diff_documents(base(), base()) == []


def test_a_shared_enum_is_judged_per_side_at_its_component() -> None:
    old, new = base(), base()
    _add_role(new)
    changes = {c.rule: c for c in diff_documents(old, new)}
    for side, breaking in (("request", False), ("response", True)):
        change = changes[f"{side}-enum-value-added"]
        assert change.location == "/components/schemas/Role/enum"
        assert change.breaking is breaking
        assert change.operations == ("PUT /items/{item_id}",)
        assert "'VIEWER'" in change.reason


def test_a_change_reached_from_many_operations_is_listed_once() -> None:
    old, new = base(), base()
    for document in (old, new):
        document["paths"]["/other"] = {"post": {**put(document), "operationId": "postOther"}}
    _add_role(new)
    response = [c for c in diff_documents(old, new) if c.rule == "response-enum-value-added"]
    assert len(response) == 1
    assert set(response[0].operations) == {"PUT /items/{item_id}", "POST /other"}


def test_a_recursive_schema_is_compared_once_and_finishes() -> None:
    old, new = base(), base()
    for document in (old, new):
        item(document)["properties"]["children"] = {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Item"},
        }
    prop(new, "name")["maxLength"] = 10
    assert verdicts(old, new) == both("constraint-tightened", True, False)


def test_removed_things_are_located_in_the_old_spec() -> None:
    old, new = base(), base()
    _drop_health(new)
    (change,) = diff_documents(old, new)
    assert (change.location, change.old) == ("/paths/~1health", True)
