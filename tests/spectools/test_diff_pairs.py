"""Pairs of spec versions, each diffed in both directions against its expected verdicts.

``forward`` is what diff(old → new) must report, ``backward`` what diff(new → old) must: every
(rule, level) exactly, nothing more. Item is both the request body and the 200 body, so a change
to it shows once per side, each with the level of its side; Draft is only sent and Receipt only
received, so a diff that judged every change on both sides fails their pairs.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.spectools.specs import base, item, prop, put, schema
from token_api.spectools.diff import RULES, Level, diff_documents, rule_ids, rules
from token_api.spectools.diff.lifecycle import Policy, utc_today
from token_api.spectools.diff.report import FORMATS, Report, Source, render

Doc = dict[str, Any]
Verdicts = set[tuple[str, Level]]
B, P, N = Level.BREAKING, Level.POSSIBLY_BREAKING, Level.NOT_BREAKING


@dataclass(frozen=True)
class Pair:
    name: str
    change: Callable[[Doc], None]  # old → new
    forward: Verdicts
    backward: Verdicts
    setup: Callable[[Doc], None] | None = None  # applied to both versions first
    policy: Policy | None = None  # default: diff's (180 days' notice, stability beta)


def both(kind: str, request: Level, response: Level) -> Verdicts:
    return {(f"request-{kind}", request), (f"response-{kind}", response)}


def _set(**properties: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        for name, value in properties.items():
            if value is None:
                del item(document)["properties"][name]
            else:
                item(document)["properties"][name] = value

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


def _oauth(document: Doc) -> None:
    document["components"]["securitySchemes"]["Bearer"] = {
        "type": "oauth2",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "https://auth.example.com/token",
                "scopes": {"items:write": "Write items"},
            }
        },
    }
    put(document)["security"] = [{"Bearer": []}]


def _oauth_scope(document: Doc) -> None:
    put(document)["security"] = [{"Bearer": ["items:write"]}]


def _oauth_urls(document: Doc) -> None:
    flow = document["components"]["securitySchemes"]["Bearer"]["flows"]["clientCredentials"]
    flow["tokenUrl"] = "https://login.example.com/token"
    flow["scopes"]["items:read"] = "Read items"


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


def _undeclare_item_id(document: Doc) -> None:
    del put(document)["parameters"][0]


def _declare_item_id(document: Doc) -> None:
    parameter = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
    put(document)["parameters"].insert(0, parameter)


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


def _body(schema_: dict[str, Any]) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        put(document)["requestBody"]["content"]["application/json"]["schema"] = copy.deepcopy(
            schema_
        )

    return change


def _add_member(member: dict[str, Any]) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        put(document)["requestBody"]["content"]["application/json"]["schema"]["allOf"].append(
            member
        )

    return change


def _conditions(branches: list[dict[str, Any]]) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        item(document)["anyOf"] = copy.deepcopy(branches)

    return change


def _discriminated_body(document: Doc) -> None:
    """A body made of two components, one carrying a discriminator (which diff cannot rank)."""
    item(document)["discriminator"] = {"propertyName": "kind"}
    _body(
        {"allOf": [{"$ref": "#/components/schemas/Item"}, {"$ref": "#/components/schemas/Draft"}]}
    )(document)


def _inline_draft_member(document: Doc) -> None:
    """Draft written out in place of its $ref; the body's description reworded beside it."""
    body = put(document)["requestBody"]["content"]["application/json"]["schema"]
    body["allOf"][1] = copy.deepcopy(schema(document, "Draft"))
    body["description"] = "An item and a draft."


def _pets(discriminator: dict[str, Any] | None) -> Callable[[Doc], None]:
    """Item gains a pet: a Dog or a Cat, told apart (or not) by a discriminator on petType."""

    def change(document: Doc) -> None:
        schemas = document["components"]["schemas"]
        for name, own in (
            ("Dog", {"bark": {"type": "boolean"}}),
            ("Cat", {"lives": {"type": "integer"}}),
        ):
            schemas[name] = {
                "type": "object",
                "required": ["petType"],
                "properties": {"petType": {"type": "string"}, **own},
            }
        pet: dict[str, Any] = {
            "oneOf": [{"$ref": "#/components/schemas/Dog"}, {"$ref": "#/components/schemas/Cat"}]
        }
        if discriminator is not None:
            pet["discriminator"] = copy.deepcopy(discriminator)
        item(document)["properties"]["pet"] = pet

    return change


_DOG_OR_CAT = {
    "propertyName": "petType",
    "mapping": {"dog": "#/components/schemas/Dog", "cat": "#/components/schemas/Cat"},
}


def _rename_dog(document: Doc) -> None:
    """Dog becomes MyDog: the component, the oneOf member's $ref and the mapping entry."""
    schemas = document["components"]["schemas"]
    schemas["MyDog"] = schemas.pop("Dog")
    pet = prop(document, "pet")
    pet["oneOf"][0] = {"$ref": "#/components/schemas/MyDog"}
    pet["discriminator"]["mapping"]["dog"] = "#/components/schemas/MyDog"


def _pet_base(document: Doc) -> None:
    """Item gains a pet: a Pet, whose discriminator maps "dog" to Dog, an allOf of Pet."""
    document["components"]["schemas"]["Pet"] = {
        "type": "object",
        "required": ["petType"],
        "properties": {"petType": {"type": "string"}},
        "discriminator": {
            "propertyName": "petType",
            "mapping": {"dog": "#/components/schemas/Dog"},
        },
    }
    document["components"]["schemas"]["Dog"] = {
        "allOf": [
            {"$ref": "#/components/schemas/Pet"},
            {"type": "object", "properties": {"bark": {"type": "boolean"}}},
        ]
    }
    item(document)["properties"]["pet"] = {"$ref": "#/components/schemas/Pet"}


def _rename_dog_of_pet(document: Doc) -> None:
    schemas = document["components"]["schemas"]
    schemas["MyDog"] = schemas.pop("Dog")
    schemas["Pet"]["discriminator"]["mapping"]["dog"] = "#/components/schemas/MyDog"


def _dog_requires_bark(document: Doc) -> None:
    schema(document, "Dog")["allOf"][1]["required"] = ["bark"]


def _inline_dog(document: Doc) -> None:
    prop(document, "pet")["oneOf"][0] = copy.deepcopy(schema(document, "Dog"))


def _rename_unmapped_dog(document: Doc) -> None:
    schemas = document["components"]["schemas"]
    schemas["MyDog"] = schemas.pop("Dog")
    prop(document, "pet")["oneOf"][0] = {"$ref": "#/components/schemas/MyDog"}


def _discriminator(**keywords: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        found = prop(document, "pet")["discriminator"]
        for keyword, value in keywords.items():
            found[keyword] = value

    return change


def _mapping(**entries: str) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        prop(document, "pet")["discriminator"]["mapping"].update(entries)

    return change


def _types_b_and_c(document: Doc) -> None:
    """The request body is Item and TypeB (an optional fieldB); TypeC has an optional fieldC."""
    schemas = document["components"]["schemas"]
    schemas["TypeB"] = {"type": "object", "properties": {"fieldB": {"type": "boolean"}}}
    schemas["TypeC"] = {"type": "object", "properties": {"fieldC": {"type": "number"}}}
    _body(
        {"allOf": [{"$ref": "#/components/schemas/Item"}, {"$ref": "#/components/schemas/TypeB"}]}
    )(document)


def _type_c_for_b(document: Doc) -> None:
    body = put(document)["requestBody"]["content"]["application/json"]["schema"]
    body["allOf"][1] = {"$ref": "#/components/schemas/TypeC"}


def _verbose_without(keyword: str) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        del put(document)["parameters"][1][keyword]

    return change


def _item(**keywords: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        item(document).update(copy.deepcopy(keywords))

    return change


def _all(*changes: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        for one in changes:
            one(document)

    return change


def _equal_schemas(document: Doc) -> None:
    """Two components that say the same: referring to one or the other is no change."""
    schemas = document["components"]["schemas"]
    schemas["NotX"] = {"const": "x"}
    schemas["AlsoNotX"] = {"const": "x"}
    schemas["Anything"] = {}


def _example_by_ref(document: Doc) -> None:
    document["components"]["examples"] = {"One": {"summary": "One item", "value": {"name": "a"}}}
    content = put(document)["responses"]["200"]["content"]["application/json"]
    content["examples"] = {"one": {"$ref": "#/components/examples/One"}}


def _inline_example(document: Doc) -> None:
    content = put(document)["responses"]["200"]["content"]["application/json"]
    content["examples"]["one"] = copy.deepcopy(document["components"]["examples"]["One"])


def _callback_by_ref(document: Doc) -> None:
    document["components"]["callbacks"] = {
        "Done": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "Ok."}}}}}
    }
    put(document)["callbacks"] = {"done": {"$ref": "#/components/callbacks/Done"}}


def _inline_callback(document: Doc) -> None:
    callbacks = put(document)["callbacks"]
    callbacks["done"] = copy.deepcopy(document["components"]["callbacks"]["Done"])


def _xml_response(document: Doc) -> None:
    put(document)["responses"]["200"]["content"]["application/xml"] = {"schema": {"type": "string"}}


def _xml_object(where: str) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        operation = put(document)
        holder = operation["requestBody"] if where == "request" else operation["responses"]["200"]
        holder["content"]["application/xml"]["schema"] = {"type": "object"}

    return change


def _problem_json(document: Doc) -> None:
    content = put(document)["responses"]["422"]["content"]
    content["application/problem+json"] = content.pop("application/json")


def _rate_required(document: Doc) -> None:
    put(document)["responses"]["200"]["headers"]["X-Rate"]["required"] = True


def _drop_rate(document: Doc) -> None:
    del put(document)["responses"]["200"]["headers"]["X-Rate"]


def _draft(name: str, **keywords: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        schema(document, "Draft")["properties"][name].update(keywords)

    return change


def _receipt_state(document: Doc) -> None:
    schema(document, "Receipt")["properties"]["state"]["enum"].append("void")


def _drop_receipt_note(document: Doc) -> None:
    del schema(document, "Receipt")["properties"]["note"]


def _draft_required_mode(document: Doc) -> None:
    schema(document, "Draft")["required"].append("mode")


def _receipt_optional_state(document: Doc) -> None:
    schema(document, "Receipt")["required"].remove("state")


def _with_rules(document: Doc) -> None:
    put(document)["x-rules"] = [
        {"id": "item.owner", "rule": "Only the owner of an item may replace it, else 403."},
        {"id": "item.exists", "rule": "An item that does not exist is 404."},
    ]


def _rule_added(document: Doc) -> None:
    put(document)["x-rules"].append({"id": "item.etag", "rule": "A stale If-Match is 412."})


def _rule_reworded(document: Doc) -> None:
    put(document)["x-rules"][1]["rule"] = "An item that does not exist is 404, never created."


def _rules_reordered(document: Doc) -> None:
    put(document)["x-rules"].reverse()


TODAY = utc_today()


def _days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def _deprecate(
    node: Callable[[Doc], dict[str, Any]], sunset: str | None = None
) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        node(document)["deprecated"] = True
        if sunset is not None:
            node(document)["x-sunset"] = sunset

    return change


def _verbose_parameter(document: Doc) -> dict[str, Any]:
    return put(document)["parameters"][1]  # type: ignore[no-any-return]


def _delete(document: Doc) -> dict[str, Any]:
    return document["paths"]["/items/{item_id}"]["delete"]  # type: ignore[no-any-return]


def _health(document: Doc) -> dict[str, Any]:
    return document["paths"]["/health"]["get"]  # type: ignore[no-any-return]


def _both(*steps: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        for step in steps:
            step(document)

    return change


def _drop_sunset(node: Callable[[Doc], dict[str, Any]]) -> Callable[[Doc], None]:
    return lambda document: node(document).pop("x-sunset")


def _drop_delete(document: Doc) -> None:
    del document["paths"]["/items/{item_id}"]["delete"]


def _drop_verbose(document: Doc) -> None:
    del put(document)["parameters"][1]


def _stability(level: Any) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        put(document)["x-stability-level"] = level

    return change


def _version(version: str) -> Callable[[Doc], None]:
    return lambda document: document["info"].update(version=version)


MAJOR_BUMP = Policy(TODAY, require_major_bump=True)
DOC = {("documentation-changed", N)}


PAIRS = [
    # Behaviour rules (x-rules): shown, never breaking by themselves; compared by id.
    Pair("a behaviour rule added", _rule_added,
         {("contract-rule-added", N)}, {("contract-rule-removed", N)}, setup=_with_rules),
    Pair("a behaviour rule reworded", _rule_reworded,
         {("contract-rule-reworded", N)}, {("contract-rule-reworded", N)}, setup=_with_rules),
    Pair("behaviour rules reordered is no change", _rules_reordered, set(), set(),
         setup=_with_rules),
    # Nullability: three spellings are one; adding null widens, removing it narrows.
    Pair("null as anyOf or as a type list is the same", _nullable_list, set(), set()),
    Pair("nullable: true (3.0) is the same as anyOf null", _nullable_30, set(), set()),
    Pair("boolean becomes boolean | null (FastAPI anyOf)",
         _set(flag={"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": False}),
         both("became-nullable", N, B), both("no-longer-nullable", B, N)),
    Pair("a $ref refactor leaving resolved schemas equal is no change", _ref_refactor, set(),
         set()),
    Pair("an enum inlined instead of referenced is no change", _inline_role, set(), set()),
    # Types.
    Pair("string becomes string | integer", _update("kind", type=["string", "integer"]),
         both("type-widened", N, B), both("type-narrowed", B, N)),
    Pair("string becomes integer", _update("kind", type="integer"),
         both("type-changed", B, B), both("type-changed", B, B)),
    Pair("number becomes integer", _update("count", type="number"),
         both("type-widened", N, B), both("type-narrowed", B, N)),
    Pair("XML request body: string becomes object", _xml_object("request"),
         {("request-type-changed", B)}, {("request-type-compatible", N)}, setup=_xml_body),
    Pair("XML response body: string becomes object", _xml_object("response"),
         {("response-type-compatible", N)}, {("response-type-changed", B)}, setup=_xml_response),
    # Enums, including the component shared by request and response.
    Pair("shared enum component gains a value", _add_role,
         both("enum-value-added", N, P), both("enum-value-removed", B, N)),
    Pair("values limited to an enum", _update("kind", enum=["a", "b"]),
         both("enum-added", B, N), both("enum-removed", N, B)),
    Pair("an enum emptied: no value is valid any more", _update("kind", enum=[]),
         both("enum-value-removed", B, N), both("enum-value-added", N, P),
         setup=_update("kind", enum=["a", "b"])),
    Pair("value fixed by const", _update("kind", const="a"),
         both("enum-added", B, N), both("enum-removed", N, B)),
    Pair("const changed", _update("kind", const="b"),
         both("const-changed", B, B), both("const-changed", B, B),
         setup=_update("kind", const="a")),
    # Formats.
    Pair("format added", _update("kind", format="date-time"),
         both("format-added", B, N), both("format-removed", N, B)),
    Pair("int32 becomes int64", _update("size", format="int64"),
         both("format-widened", N, B), both("format-narrowed", B, N)),
    Pair("uuid becomes date-time", _update("id", format="date-time"),
         both("format-changed", B, B), both("format-changed", B, B)),
    # Constraints: a limit set where none was is possibly breaking for requests.
    Pair("maxLength lowered", _update("name", maxLength=50),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("maxLength removed", _update("name", maxLength=None),
         both("constraint-relaxed", N, B), both("constraint-added", P, N)),
    Pair("minimum becomes exclusive", _update("count", minimum=None, exclusiveMinimum=0),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("items must be unique", _update("tags", uniqueItems=True),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("multipleOf 2 becomes 4", _update("count", multipleOf=4),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B),
         setup=_update("count", multipleOf=2)),
    Pair("multipleOf 2 becomes 3", _update("count", multipleOf=3),
         both("constraint-changed", B, B), both("constraint-changed", B, B),
         setup=_update("count", multipleOf=2)),
    # Patterns: decided where the text decides it, possibly breaking where it does not.
    Pair("pattern extended after its anchor", _update("code", pattern="^abc[0-9]+$"),
         both("pattern-specialized", B, N), both("pattern-generalized", N, P)),
    Pair("pattern replaced by an unrelated one", _update("code", pattern="^x"),
         both("pattern-changed", P, P), both("pattern-changed", P, P)),
    Pair("pattern becomes .* (matches everything)", _update("code", pattern=".*"),
         both("pattern-generalized", N, P), both("pattern-added", B, N)),
    Pair("pattern widened by an alternative", _update("code", pattern="^(?:ab|cd)"),
         both("pattern-generalized", N, P), both("pattern-specialized", B, N)),
    Pair("pattern added", _update("kind", pattern="^k"),
         both("pattern-added", B, N), both("pattern-removed", N, P)),
    # Properties.
    Pair("optional property added", _set(extra={"type": "string"}),
         both("property-added", N, N), both("property-removed", P, P)),
    Pair("required property added", _add_required_extra,
         both("required-property-added", B, N), both("required-property-removed", P, B)),
    Pair("property becomes required", _require("count"),
         both("property-became-required", B, N), both("property-became-optional", N, B)),
    Pair("undeclared properties forbidden", _forbid_extras,
         both("additional-properties-narrowed", B, N),
         both("additional-properties-widened", N, B)),
    Pair("property removed where undeclared ones are forbidden", _drop_kind,
         {("request-property-now-refused", B), ("response-property-removed", P)},
         both("property-now-allowed", N, B), setup=_forbid_extras),
    # readOnly properties are not sent, writeOnly ones not received.
    Pair("optional property becomes readOnly", _update("kind", readOnly=True),
         both("property-became-read-only", N, N), both("property-became-not-read-only", N, N)),
    Pair("required property becomes readOnly", _update("name", readOnly=True),
         both("property-became-read-only", N, N),
         {("request-required-property-became-not-read-only", B),
          ("response-property-became-not-read-only", N)}),
    Pair("optional property becomes writeOnly", _update("kind", writeOnly=True),
         both("property-became-write-only", N, P), both("property-became-not-write-only", N, N)),
    Pair("required property becomes writeOnly", _update("name", writeOnly=True),
         {("request-property-became-write-only", N),
          ("response-required-property-became-write-only", B)},
         {("request-property-became-not-write-only", N),
          ("response-required-property-became-not-write-only", P)}),
    Pair("a readOnly property's limit binds responses only", _update("id", maxLength=10),
         {("response-constraint-added", N)}, {("response-constraint-relaxed", B)},
         setup=_update("id", readOnly=True)),
    Pair("a readOnly property's pattern binds responses only", _update("id", pattern="^[a-z]+$"),
         {("response-pattern-added", N)}, {("response-pattern-removed", P)},
         setup=_update("id", readOnly=True)),
    Pair("a writeOnly property's enum binds requests only", _update("kind", enum=["a"]),
         {("request-enum-added", B)}, {("request-enum-removed", N)},
         setup=_update("kind", writeOnly=True)),
    # Alternatives and combinations.
    Pair("anyOf alternative added",
         _set(kind={"anyOf": [{"type": "string"}, {"type": "integer"}]}),
         both("any-of-added", N, P), both("alternative-removed", B, N)),
    Pair("oneOf alternative added",
         _set(kind={"oneOf": [{"type": "string"}, {"type": "integer"}]}),
         both("one-of-added", N, B), both("alternative-removed", B, N)),
    Pair("anyOf alternatives reordered",
         _set(kind={"anyOf": [{"type": "integer"}, {"$ref": "#/components/schemas/Role"}]}),
         set(), set(),
         setup=_set(kind={"anyOf": [{"$ref": "#/components/schemas/Role"}, {"type": "integer"}]})),
    Pair("request body wrapped in a oneOf whose branches both take it",
         _body({"oneOf": [{"$ref": "#/components/schemas/Item"}, {"type": "object"}]}),
         {("request-wrapped-in-one-of", B)}, {("request-alternative-removed", B)}),
    # An allOf member is judged by what it requires; an optional property it introduces, the
    # way the same property added directly is (request-property-added).
    Pair("allOf member added with an optional typed property",
         _add_member({"type": "object", "properties": {"extra": {"type": "integer"}}}),
         {("request-property-added", N)}, {("request-property-removed", P)},
         setup=_body({"allOf": [{"$ref": "#/components/schemas/Item"}]})),
    Pair("allOf member replaced by one with another optional property", _type_c_for_b,
         {("request-property-removed", P), ("request-property-added", N)},
         {("request-property-removed", P), ("request-property-added", N)},
         setup=_types_b_and_c),
    Pair("allOf member added that requires a declared property",
         _add_member({"type": "object", "required": ["count"]}),
         {("request-all-of-added", B), ("request-property-became-required", B)},
         {("request-property-became-optional", N)},
         setup=_body({"allOf": [{"$ref": "#/components/schemas/Item"}]})),
    Pair("allOf member added that limits a declared property",
         _add_member({"type": "object", "properties": {"name": {"maxLength": 10}}}),
         {("request-all-of-added", B)}, set(),
         setup=_body({"allOf": [{"$ref": "#/components/schemas/Item"}]})),
    Pair("allOf member added with a required new property",
         _add_member({"type": "object", "required": ["extra"],
                      "properties": {"extra": {"type": "integer"}}}),
         {("request-all-of-added", B), ("request-required-property-added", B)},
         {("request-required-property-removed", P)},
         setup=_body({"allOf": [{"$ref": "#/components/schemas/Item"}]})),
    Pair("allOf member added that the others imply",
         _add_member({"type": "object", "properties": {"name": {"type": "string"}}}),
         set(), set(), setup=_body({"allOf": [{"$ref": "#/components/schemas/Item"}]})),
    Pair("an allOf member inlined instead of referenced is no change", _inline_draft_member,
         {("documentation-changed", N)}, {("documentation-changed", N)},
         setup=_discriminated_body),
    Pair("anyOf conditions on a shared shape added",
         _conditions([{"required": ["count"]}, {"required": ["size"]}]),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("anyOf condition added beside another",
         _conditions([{"required": ["count"]}, {"required": ["size"]}]),
         both("any-of-added", N, P), both("alternative-removed", B, N),
         setup=_conditions([{"required": ["count"]}])),
    # Discriminators: mapping values are references, compared by what they point to.
    Pair("a schema renamed with its discriminator mapping is no change", _rename_dog,
         set(), set(), setup=_pets(_DOG_OR_CAT)),
    Pair("a schema renamed with its base's discriminator mapping (allOf) is no change",
         _rename_dog_of_pet, set(), set(), setup=_pet_base),
    Pair("a schema only a discriminator value selects gains a required property",
         _dog_requires_bark,
         {("request-all-of-added", B), *both("property-became-required", B, N)},
         both("property-became-optional", N, B), setup=_pet_base),
    Pair("a member written out in place keeps its implicit discriminator value",
         _inline_dog, set(), set(), setup=_pets({"propertyName": "petType"})),
    Pair("without a mapping, a member renamed changes the value that selects it",
         _rename_unmapped_dog,
         {*both("discriminator-mapping-removed", P, N), *both("discriminator-mapping-added", N, P)},
         {*both("discriminator-mapping-removed", P, N), *both("discriminator-mapping-added", N, P)},
         setup=_pets({"propertyName": "petType"})),
    Pair("a mapping value written as a schema name is no change", _mapping(dog="Dog"),
         set(), set(), setup=_pets(_DOG_OR_CAT)),
    Pair("the discriminator's property changes", _discriminator(propertyName="kind"),
         both("discriminator-property-changed", B, B),
         both("discriminator-property-changed", B, B), setup=_pets(_DOG_OR_CAT)),
    Pair("a discriminator value selects another schema",
         _mapping(dog="#/components/schemas/Cat", cat="#/components/schemas/Dog"),
         both("discriminator-mapping-changed", B, B),
         both("discriminator-mapping-changed", B, B), setup=_pets(_DOG_OR_CAT)),
    Pair("a discriminator value mapped", _mapping(puppy="#/components/schemas/Dog"),
         both("discriminator-mapping-added", N, P), both("discriminator-mapping-removed", P, N),
         setup=_pets(_DOG_OR_CAT)),
    Pair("a discriminator added", _pets(_DOG_OR_CAT),
         both("discriminator-added", P, N), both("discriminator-removed", N, P),
         setup=_pets(None)),
    # The other schema keywords: a subschema values must also match tightens when added.
    Pair("contains added", _update("tags", contains={"const": "a"}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("minContains raised", _update("tags", minContains=2),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B),
         setup=_update("tags", contains={"const": "a"})),
    Pair("propertyNames added", _item(propertyNames={"maxLength": 10}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("contentSchema added", _update("kind", contentSchema={"type": "object"}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B),
         setup=_update("kind", contentMediaType="application/json")),
    Pair("contentEncoding set", _update("kind", contentEncoding="base64"),
         both("content-encoding-changed", B, B), both("content-encoding-changed", B, B)),
    Pair("dependentRequired: one more property required with another",
         _item(dependentRequired={"count": ["size", "tags"]}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B),
         setup=_item(dependentRequired={"count": ["size"]})),
    Pair("dependentRequired: another property required instead",
         _item(dependentRequired={"count": ["tags"]}),
         both("constraint-changed", B, B), both("constraint-changed", B, B),
         setup=_item(dependentRequired={"count": ["size"]})),
    Pair("dependentSchemas added", _item(dependentSchemas={"count": {"required": ["size"]}}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("patternProperties added", _item(patternProperties={"^x-": {"type": "string"}}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("patternProperties added where undeclared properties are refused",
         _item(patternProperties={"^x-": {"type": "string"}}),
         both("constraint-relaxed", N, B), both("constraint-tightened", B, N),
         setup=_forbid_extras),
    Pair("a patternProperties schema limited",
         _item(patternProperties={"^x-": {"type": "string", "maxLength": 5}}),
         both("constraint-added", P, N), both("constraint-relaxed", N, B),
         setup=_item(patternProperties={"^x-": {"type": "string"}})),
    Pair("prefixItems: the first item becomes an integer",
         _update("tags", prefixItems=[{"type": "integer"}]),
         both("type-changed", B, B), both("type-changed", B, B)),
    Pair("unevaluatedProperties: false added", _item(unevaluatedProperties=False),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("not added", _update("kind", **{"not": {"const": "x"}}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("not takes more values", _update("kind", **{"not": {"enum": ["x", "y"]}}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B),
         setup=_update("kind", **{"not": {"const": "x"}})),
    Pair("not takes another value", _update("kind", **{"not": {"const": "y"}}),
         both("constraint-changed", B, B), both("constraint-changed", B, B),
         setup=_update("kind", **{"not": {"const": "x"}})),
    Pair("if/then added", _item(**{"if": {"required": ["count"]}, "then": {"required": ["size"]}}),
         both("constraint-tightened", B, N), both("constraint-relaxed", N, B)),
    Pair("if changed: which values then applies to", _item(**{"if": {"required": ["tags"]}}),
         both("schema-changed", P, P), both("schema-changed", P, P),
         setup=_item(**{"if": {"required": ["count"]}, "then": {"required": ["size"]}})),
    Pair("a keyword referring to another schema that says the same is no change",
         _update("kind", **{"not": {"$ref": "#/components/schemas/AlsoNotX"}}), set(), set(),
         setup=_all(_equal_schemas,
                    _update("kind", **{"not": {"$ref": "#/components/schemas/NotX"}}))),
    Pair("additionalProperties: true and a $ref to an empty schema are the same",
         _item(additionalProperties={"$ref": "#/components/schemas/Anything"}), set(), set(),
         setup=_all(_equal_schemas, _item(additionalProperties=True))),
    Pair("a keyword diff cannot rank is possibly breaking", _update("tags", additionalItems=False),
         both("schema-changed", P, P), both("schema-changed", P, P)),
    # Defaults: what omitting a value means.
    Pair("a request default changes what omitting means", _update("flag", default=True),
         both("default-changed", P, N), both("default-changed", P, N)),
    Pair("an optional parameter gets a default", _verbose(schema={"type": "boolean",
                                                                  "default": False}),
         {("request-parameter-default-changed", B)}, {("request-parameter-default-changed", B)}),
    Pair("a description is documentation", _description,
         {("documentation-changed", N)}, {("documentation-changed", N)}),
    # Schemas on one side only: no verdict for the other side.
    Pair("request-only schema: maxLength lowered", _draft("title", maxLength=10),
         {("request-constraint-tightened", B)}, {("request-constraint-relaxed", N)}),
    Pair("request-only schema: property becomes required", _draft_required_mode,
         {("request-property-became-required", B)}, {("request-property-became-optional", N)}),
    Pair("request-only schema: enum value added", _draft("mode", enum=["fast", "slow", "eco"]),
         {("request-enum-value-added", N)}, {("request-enum-value-removed", B)}),
    Pair("response-only schema: enum value added", _receipt_state,
         {("response-enum-value-added", P)}, {("response-enum-value-removed", N)}),
    Pair("response-only schema: optional property removed", _drop_receipt_note,
         {("response-property-removed", P)}, {("response-property-added", N)}),
    Pair("response-only schema: property becomes optional", _receipt_optional_state,
         {("response-property-became-optional", B)}, {("response-property-became-required", N)}),
    # Paths and operations.
    Pair("path removed", _drop_health, {("path-removed", B)}, {("path-added", N)}),
    Pair("operation added", _delete_operation,
         {("operation-added", N)}, {("operation-removed", B)}),
    Pair("operationId renamed", _rename_operation,
         {("operation-id-changed", N)}, {("operation-id-changed", N)}),
    Pair("path parameter renamed: same URLs", _rename_path_parameter,
         {("documentation-changed", N)}, {("documentation-changed", N)}),
    Pair("server added", _second_server, {("server-added", N)}, {("server-removed", P)}),
    Pair("callbacks inlined instead of referenced are no change", _inline_callback, set(), set(),
         setup=_callback_by_ref),
    Pair("callbacks changed", _callbacks,
         {("operation-changed", B)}, {("operation-changed", B)}),
    Pair("webhooks changed", lambda d: d.update(webhooks={"ping": {"post": {"responses": {}}}}),
         {("operation-changed", B)}, {("operation-changed", B)}),
    Pair("summary reworded", _summary,
         {("documentation-changed", N)}, {("documentation-changed", N)}),
    # Security: judged by the credential clients send, not by the scheme's name or wording.
    Pair("a public operation needs credentials", _health_secured,
         {("security-added", B)}, {("security-removed", N)}),
    Pair("bearer scheme becomes an API key", _bearer_to_api_key,
         {("security-changed", B), ("security-scheme-changed", N)},
         {("security-changed", B), ("security-scheme-changed", N)}),
    Pair("a scheme renamed, defined the same", _rename_scheme,
         {("security-scheme-added", N), ("security-scheme-removed", N)},
         {("security-scheme-added", N), ("security-scheme-removed", N)}),
    Pair("an alternative way to authenticate", _api_key_alternative,
         {("security-widened", N), ("security-scheme-added", N)},
         {("security-changed", B), ("security-scheme-removed", N)}),
    Pair("an OAuth scope required", _oauth_scope,
         {("security-changed", B)}, {("security-widened", N)}, setup=_oauth),
    Pair("an OAuth flow's URL and scopes edited", _oauth_urls,
         {("security-scheme-changed", N)}, {("security-scheme-changed", N)}, setup=_oauth),
    # Parameters.
    Pair("required header added", _parameter(name="X-Tenant", **{"in": "header"}, required=True,
                                             schema={"type": "string"}),
         {("request-parameter-required-added", B)}, {("request-parameter-removed", P)}),
    Pair("optional query parameter added", _parameter(name="dry", **{"in": "query"},
                                                      schema={"type": "boolean"}),
         {("request-parameter-optional-added", N)}, {("request-parameter-removed", P)}),
    Pair("query parameter becomes required", _verbose(required=True),
         {("request-parameter-became-required", B)},
         {("request-parameter-became-optional", N)}),
    Pair("query parameter serialized differently", _verbose(explode=False),
         {("request-parameter-serialization-changed", B)},
         {("request-parameter-serialization-changed", B)}),
    Pair("query parameter: string | integer becomes string (text reads as a string)",
         _verbose(schema={"type": "string"}),
         {("request-type-compatible", N)}, {("request-type-widened", N)},
         setup=_verbose(schema={"type": ["string", "integer"]})),
    Pair("query parameter becomes a form-exploded array of the same",
         _verbose(schema={"type": "array", "items": {"type": "boolean"}}),
         {("request-type-widened", N)}, {("request-type-changed", B)}),
    Pair("a path parameter already in the URL template gets declared", _declare_item_id,
         {("documentation-changed", N), ("request-type-compatible", N)},
         {("request-parameter-removed", P)}, setup=_undeclare_item_id),
    Pair("a query parameter may no longer be sent empty", _verbose_without("allowEmptyValue"),
         {("request-parameter-empty-value-refused", P)},
         {("request-parameter-empty-value-allowed", N)},
         setup=_verbose(allowEmptyValue=True)),
    Pair("path parameter gets a maxLength", _item_id_max_length,
         {("request-constraint-added", P)}, {("request-constraint-relaxed", N)}),
    # Request bodies.
    Pair("required request body removed", _drop_body,
         {("request-body-removed", B)}, {("request-body-required-added", B)}),
    Pair("optional request body removed", _drop_body,
         {("request-body-removed", B)}, {("request-body-added", N)},
         setup=_body_optional),
    Pair("request body becomes optional", _body_optional,
         {("request-body-became-optional", N)}, {("request-body-became-required", B)}),
    Pair("request media type added", _xml_body,
         {("request-media-type-added", N)}, {("request-media-type-removed", B)}),
    # Responses.
    Pair("success status 200 becomes 201", _created,
         {("response-success-status-removed", B), ("response-success-status-added", P)},
         {("response-success-status-removed", B), ("response-success-status-added", P)}),
    Pair("error status added", _conflict,
         {("response-error-status-added", N)}, {("response-error-status-removed", N)}),
    Pair("response media type added", _text_response,
         {("response-media-type-added", N)}, {("response-media-type-removed", B)}),
    Pair("response media type specialized (+json)", _problem_json,
         {("response-media-type-specialized", N)}, {("response-media-type-generalized", B)}),
    Pair("an example inlined instead of referenced is no change", _inline_example, set(), set(),
         setup=_example_by_ref),
    Pair("response header added", _retry_header,
         {("response-header-added", N)}, {("response-header-removed", P)}),
    Pair("required response header removed", _drop_rate,
         {("response-required-header-removed", B)}, {("response-header-added", N)},
         setup=_rate_required),
    # Deprecation and sunset (x-sunset): removing is breaking until the sunset has passed, and a
    # sunset must leave the notice the policy sets (180 days for a stable operation).
    Pair("operation deprecated, its sunset 400 days away", _deprecate(put, _days(400)),
         {("operation-deprecated", N)}, {("operation-reactivated", N)}),
    Pair("operation deprecated without a sunset", _deprecate(put),
         {("operation-deprecated-without-sunset", P)}, {("operation-reactivated", N)}),
    Pair("operation deprecated, its sunset 30 days away", _deprecate(put, _days(30)),
         {("operation-sunset-too-soon", B)}, {("operation-reactivated", N)}),
    Pair("a deprecated operation's sunset removed", _drop_sunset(put),
         {("operation-sunset-removed", P)}, {("documentation-changed", N)},
         setup=_deprecate(put, _days(400))),
    Pair("a deprecated operation's sunset brought within the notice",
         lambda d: put(d).update({"x-sunset": _days(20)}),
         {("operation-sunset-too-soon", B)}, {("documentation-changed", N)},
         setup=_deprecate(put, _days(400))),
    Pair("a deprecated operation removed after its sunset", _drop_delete,
         {("operation-removed-after-sunset", N)}, {("operation-added", N)},
         setup=_both(_delete_operation, _deprecate(_delete, _days(-10)))),
    Pair("a deprecated operation removed before its sunset", _drop_delete,
         {("operation-removed-before-sunset", B)}, {("operation-added", N)},
         setup=_both(_delete_operation, _deprecate(_delete, _days(400)))),
    Pair("an operation deprecated without a sunset removed (notice owed)", _drop_delete,
         {("operation-removed-before-sunset", B)}, {("operation-added", N)},
         setup=_both(_delete_operation, _deprecate(_delete))),
    Pair("a path removed after its operation's sunset (an HTTP-date)", _drop_health,
         {("operation-removed-after-sunset", N)}, {("path-added", N)},
         setup=_deprecate(_health, "Sun, 11 Nov 2018 23:59:59 GMT")),
    Pair("a deprecated operation removed, its sunset unreadable", _drop_delete,
         {("sunset-unreadable", B)}, {("operation-added", N)},
         setup=_both(_delete_operation, _deprecate(_delete, "soon"))),
    Pair("query parameter deprecated, its sunset 400 days away",
         _deprecate(_verbose_parameter, _days(400)),
         {("request-parameter-deprecated", N)}, {("request-parameter-reactivated", N)}),
    Pair("query parameter deprecated without a sunset", _deprecate(_verbose_parameter),
         {("request-parameter-deprecated-without-sunset", P)},
         {("request-parameter-reactivated", N)}),
    Pair("query parameter deprecated, its sunset tomorrow",
         _deprecate(_verbose_parameter, _days(1)),
         {("request-parameter-sunset-too-soon", B)}, {("request-parameter-reactivated", N)}),
    Pair("a deprecated query parameter's sunset removed", _drop_sunset(_verbose_parameter),
         {("request-parameter-sunset-removed", P)}, {("documentation-changed", N)},
         setup=_deprecate(_verbose_parameter, _days(400))),
    Pair("a deprecated query parameter removed after its sunset", _drop_verbose,
         {("request-parameter-removed-after-sunset", N)},
         {("request-parameter-optional-added", N)},
         setup=_deprecate(_verbose_parameter, _days(-1))),
    Pair("a deprecated query parameter removed before its sunset", _drop_verbose,
         {("request-parameter-removed-before-sunset", B)},
         {("request-parameter-optional-added", N)},
         setup=_deprecate(_verbose_parameter, _days(1000))),
    # A property of a schema both sent and received: its deprecation is judged on each side.
    Pair("a property deprecated, its sunset 400 days away",
         _update("kind", deprecated=True, **{"x-sunset": _days(400)}),
         both("property-deprecated", N, N) | DOC, both("property-reactivated", N, N) | DOC),
    Pair("a property deprecated without a sunset", _update("kind", deprecated=True),
         both("property-deprecated-without-sunset", P, P) | DOC,
         both("property-reactivated", N, N) | DOC),
    Pair("a property deprecated, its sunset 10 days away",
         _update("kind", deprecated=True, **{"x-sunset": _days(10)}),
         both("property-sunset-too-soon", B, B) | DOC, both("property-reactivated", N, N) | DOC),
    Pair("a deprecated property's sunset removed", _update("kind", **{"x-sunset": None}),
         both("property-sunset-removed", P, P) | DOC, DOC,
         setup=_update("kind", deprecated=True, **{"x-sunset": _days(400)})),
    Pair("a deprecated property removed after its sunset", _drop_kind,
         both("property-removed-after-sunset", N, N), both("property-added", N, N),
         setup=_update("kind", deprecated=True, **{"x-sunset": _days(-5)})),
    Pair("a deprecated property removed before its sunset", _drop_kind,
         both("property-removed-before-sunset", B, B), both("property-added", N, N),
         setup=_update("kind", deprecated=True, **{"x-sunset": _days(400)})),
    Pair("a property's own x-stability-level lowered",
         _update("kind", **{"x-stability-level": "beta"}),
         both("property-stability-decreased", B, B) | DOC,
         both("property-stability-increased", N, N) | DOC),
    # Stability (x-stability-level): draft and alpha operations are not held to compatibility.
    Pair("a stable operation becomes beta", _stability("beta"),
         {("stability-decreased", B)}, {("stability-increased", N)}),
    Pair("x-stability-level unreadable", _stability("ga"),
         {("stability-unreadable", B)}, {("stability-unreadable", B)}),
    Pair("an alpha operation's request tightened: not held to compatibility",
         _update("name", maxLength=50),
         both("constraint-tightened", N, N), both("constraint-relaxed", N, N),
         setup=_stability("alpha")),
    # info.version under --require-major-bump.
    Pair("a break without a major version bump", _both(_drop_health, _version("1.1.0")),
         {("path-removed", B), ("major-version-not-bumped", B), ("documentation-changed", N)},
         {("path-added", N), ("documentation-changed", N)},
         setup=_version("1.0.0"), policy=MAJOR_BUMP),
    Pair("a break with a major version bump", _both(_drop_health, _version("2.0.0")),
         {("path-removed", B), ("documentation-changed", N)},
         {("path-added", N), ("documentation-changed", N)},
         setup=_version("1.0.0"), policy=MAJOR_BUMP),
    Pair("a break in a spec not versioned by semver", _drop_health,
         {("path-removed", B), ("version-not-comparable", P)}, {("path-added", N)},
         setup=_version("2024-05-01"), policy=MAJOR_BUMP),
]  # fmt: skip


def verdicts(old: Doc, new: Doc, policy: Policy | None = None) -> Verdicts:
    return {(change.rule, change.level) for change in diff_documents(old, new, policy)}


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
    assert verdicts(old, new, pair.policy) == pair.forward


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_backward(pair: Pair) -> None:
    old, new = versions(pair)
    assert verdicts(new, old, pair.policy) == pair.backward


def test_every_rule_has_a_pair() -> None:
    covered = {rule for pair in PAIRS for rule, _ in pair.forward | pair.backward}
    assert set(rule_ids()) - covered == set()


def test_every_rule_is_reported_by_its_constant() -> None:
    """Each entry of rules.py is a constant the emitting code names, so grepping it from the
    table finds where it is reported (no ids put together from pieces)."""
    package = Path(rules.__file__).parent
    emitting = "".join(p.read_text() for p in package.rglob("*.py") if p.name != "rules.py")
    constants = {
        name: value
        for name, value in vars(rules).items()
        if isinstance(value, rules.SchemaRule) or (isinstance(value, str) and value in RULES)
    }
    ids = {
        rule_id
        for value in constants.values()
        for rule_id in ([value] if isinstance(value, str) else [value.request, value.response])
        if rule_id
    }
    # An entry is `NAME = _rule("name", ...)`, and the code that reports it says rules.NAME.
    assert set(rule_ids()) - ids == set(), "rules.py entries not assigned to a constant"
    unused = [name for name in constants if f"rules.{name}" not in emitting]
    assert unused == [], "rule constants no code in spectools/diff reports by name"


def test_unchanged_spec_has_no_changes() -> None:
    assert diff_documents(base(), base()) == []


def test_a_shared_enum_is_judged_per_side_at_its_component() -> None:
    old, new = base(), base()
    _add_role(new)
    changes = {c.rule: c for c in diff_documents(old, new)}
    for side, level in (("request", N), ("response", P)):
        change = changes[f"{side}-enum-value-added"]
        assert change.location == "/components/schemas/Role/enum"
        assert change.level is level
        assert change.operations == ("PUT /items/{item_id}",)
        assert change.reason.startswith('enum value(s) "VIEWER" added: ')


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
    assert verdicts(old, new) == both("constraint-tightened", B, N)


# A Python word or a 'single-quoted' value: a reason built with repr() instead of showing the
# value as the spec's author wrote it (JSON). An apostrophe inside a word ("item's") is fine.
PYTHON_VALUE = re.compile(r"\b(?:None|True|False)\b|(?<!\w)'[^']*'")


def test_no_output_shows_python_values() -> None:
    """Every pair, both directions, every format: what ``token-api diff`` prints."""
    found = []
    for pair in PAIRS:
        old, new = versions(pair)
        for before, after in ((old, new), (new, old)):
            changes = diff_documents(before, after)
            for fmt in FORMATS:
                report = Report(Source("old.yaml"), Source("new.yaml"), changes)
                output = render(report, fmt)
                found += [(pair.name, x) for x in output.splitlines() if PYTHON_VALUE.search(x)]
    assert found == []


def test_removed_things_are_located_in_the_old_spec() -> None:
    old, new = base(), base()
    _drop_health(new)
    (change,) = diff_documents(old, new)
    assert (change.location, change.old) == ("/paths/~1health", True)


def test_integers_past_64_bits_are_compared() -> None:
    """JSON has no limit on integers; a spec may bound a value by one (a wei amount, say)."""
    old, new = base(), base()
    for document in (old, new):
        prop(document, "count")["maximum"] = 2**70
        prop(document, "count")["enum"] = [2**70, 2**80]
        prop(document, "count")["example"] = 2**70
    prop(new, "count")["example"] = 2**80
    prop(new, "count")["maximum"] = 2**71
    assert verdicts(old, new) == both("constraint-relaxed", N, B) | {("documentation-changed", N)}


def _tree(document: Doc) -> None:
    """Item holds children that are Items: a recursive schema, reached by $ref."""
    item(document)["properties"]["children"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Item"},
    }


def test_a_recursive_schema_written_out_once_is_no_change() -> None:
    old, new = base(), base()
    _tree(old)
    _tree(new)
    body = put(new)["requestBody"]["content"]["application/json"]
    body["schema"] = copy.deepcopy(item(new))  # one level written out, its children by $ref
    assert diff_documents(old, new) == []
    assert diff_documents(new, old) == []


def test_a_change_in_a_recursive_schema_written_out_is_found() -> None:
    old, new = base(), base()
    _tree(old)
    _tree(new)
    body = put(new)["requestBody"]["content"]["application/json"]
    body["schema"] = copy.deepcopy(item(new))
    body["schema"]["properties"]["name"]["maxLength"] = 10  # only where it is written out
    assert verdicts(old, new) == {("request-constraint-tightened", B)}


@pytest.mark.timeout(30)
def test_a_schema_shared_in_many_places_is_compared_once() -> None:
    """Forty levels, each naming the next twice: by $ref in the old spec, and in the new one
    written out as one object shared in both places (what YAML anchors give): 2**40 paths, and
    diff walks each shared schema once."""
    old, new = base(), base()
    schemas = old["components"]["schemas"]
    shared: dict[str, Any] = {"type": "string"}
    for level in reversed(range(40)):
        ref = {"$ref": f"#/components/schemas/L{level + 1}"} if level < 39 else {"type": "string"}
        schemas[f"L{level}"] = {"type": "object", "properties": {"a": ref, "b": ref}}
        shared = {"type": "object", "properties": {"a": shared, "b": shared}}
    new["components"]["schemas"] = copy.deepcopy(schemas)
    body = {"$ref": "#/components/schemas/L0"}
    put(old)["requestBody"]["content"]["application/json"]["schema"] = body
    put(new)["requestBody"]["content"]["application/json"]["schema"] = shared
    assert diff_documents(old, new) == []


def test_a_recursive_ref_with_sibling_keywords_finishes() -> None:
    """3.1: ``{$ref: Item, description: ...}`` inside Item itself, in both versions."""
    old, new = base(), base()
    for document in (old, new):
        item(document)["properties"]["parent"] = {
            "$ref": "#/components/schemas/Item",
            "description": "The parent.",
        }
    prop(new, "parent")["description"] = "The item above."
    assert verdicts(old, new) == {("documentation-changed", N)}
    assert diff_documents(old, old) == []
