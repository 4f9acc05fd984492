"""``lint`` and ``diff`` on documents unlike ours: every valid OpenAPI 3.0 and 3.1 construction
they may meet, example values that look like references, and a large generated spec."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.spectools.specs import write
from token_api.spectools.diff import diff_documents
from token_api.spectools.lint import lint
from token_api.spectools.loading import Spec, load

Doc = dict[str, Any]

EXAMPLES_AS_DATA = """
openapi: 3.1.0
info: {title: Examples, version: '1'}
paths:
  /a:
    get:
      parameters:
        - name: q
          in: query
          schema: {type: object}
          example: {$ref: '#/parameter/example/is/data'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/S'}
              example: {$ref: '#/media/example/is/data'}
              examples:
                named: {$ref: '#/components/examples/Foo'}
                inline: {value: {$ref: 'an example value'}}
        default:
          $ref: '#/components/responses/Failure'
components:
  responses:
    Failure: {description: failed}
  schemas:
    S:
      type: object
      properties:
        default: {$ref: '#/components/schemas/Missing'}
        example: {type: string}
      examples: [{$ref: 'schema examples are data'}]
      default: {$ref: 'so is a default'}
      enum: [{$ref: 'and an enum value'}]
      x-note: {$ref: 'and an extension'}
  examples:
    Foo:
      value: {$ref: '#/components/examples/value/is/data'}
"""


def test_refs_in_example_values_are_data_not_references() -> None:
    document = yaml.safe_load(EXAMPLES_AS_DATA)
    found = [f for f in lint(Spec(document, "spec", None)) if f.rule == "valid-openapi"]
    # The one real reference that leads nowhere, a property that happens to be named "default".
    assert [(f.location, f.message) for f in found] == [
        (
            "/components/schemas/S/properties/default",
            "$ref '#/components/schemas/Missing' points to nothing.",
        )
    ]


# Valid documents using constructions our own spec does not: each must lint and diff (against
# itself and against a changed copy) without an exception.
_30 = """
openapi: 3.0.3
info: {title: Thirty, version: '1'}
servers: [{url: 'https://{region}.example.com', variables: {region: {default: eu}}}]
paths:
  /pets/{id}:
    $ref: '#/components/x-path-items/Pet'
  /pets:
    post:
      operationId: addPet
      parameters:
        - $ref: '#/components/parameters/Trace'
        - name: filter
          in: query
          content:
            application/json:
              schema: {type: object, additionalProperties: {type: integer}}
      requestBody:
        $ref: '#/components/requestBodies/Pet'
      callbacks:
        created:
          '{$request.body#/url}':
            post:
              requestBody:
                content:
                  application/json:
                    schema: {$ref: '#/components/schemas/Pet'}
              responses:
                '200': {description: ok}
      responses:
        '201':
          description: created
          headers:
            Location: {$ref: '#/components/headers/Location'}
          links:
            self: {operationId: getPet, parameters: {id: '$response.body#/id'}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
            application/xml:
              schema: {$ref: '#/components/schemas/Pet'}
        default:
          $ref: '#/components/responses/Problem'
components:
  x-path-items:
    Pet:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, format: int64}}
      get:
        operationId: getPet
        security: [{oauth: [read]}, {}]
        responses:
          '200':
            description: ok
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Pet'}
  parameters:
    Trace: {name: X-Trace, in: header, schema: {type: string, pattern: '^[a-f0-9]{32}$'}}
  requestBodies:
    Pet:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Pet'}
        application/x-www-form-urlencoded:
          schema: {$ref: '#/components/schemas/Pet'}
          encoding: {tags: {style: form, explode: true}}
  headers:
    Location: {required: true, schema: {type: string, format: uri}}
  responses:
    Problem:
      description: problem
      content:
        application/problem+json:
          schema: {type: object, properties: {detail: {type: string}}}
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://auth.example.com/authorize
          tokenUrl: https://auth.example.com/token
          scopes: {read: read pets}
  schemas:
    Pet:
      type: object
      required: [name]
      discriminator: {propertyName: kind, mapping: {dog: '#/components/schemas/Dog'}}
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, nullable: true, minLength: 1}
        kind: {type: string}
        tags: {type: array, items: {type: string}, uniqueItems: true, maxItems: 10}
        parent: {$ref: '#/components/schemas/Pet'}
        secret: {type: string, writeOnly: true}
        owner:
          oneOf:
            - {$ref: '#/components/schemas/Dog'}
            - {type: object, properties: {name: {type: string}}}
        price: {type: number, minimum: 0, exclusiveMinimum: true, multipleOf: 0.01}
        extra: {not: {type: string}}
    Dog:
      allOf:
        - {$ref: '#/components/schemas/Pet'}
        - type: object
          properties: {bark: {type: boolean, default: true}}
"""

_31 = """
openapi: 3.1.0
info: {title: Thirty-one, version: '1', summary: s, license: {name: MIT, identifier: MIT}}
jsonSchemaDialect: https://spec.openapis.org/oas/3.1/dialect/base
webhooks:
  ping:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Event'}
      responses:
        '200': {description: ok}
paths:
  /events:
    $ref: '#/components/pathItems/Events'
components:
  pathItems:
    Events:
      get:
        operationId: listEvents
        parameters:
          - name: ids
            in: query
            style: form
            explode: true
            schema: {type: array, items: {type: [string, integer]}}
        responses:
          '200':
            description: ok
            content:
              application/json:
                schema:
                  type: array
                  prefixItems: [{type: integer}]
                  items: {$ref: '#/components/schemas/Event'}
                  contains: {const: 1}
  schemas:
    Event:
      $id: https://example.com/event
      type: object
      $defs:
        Id: {type: string, pattern: '^e_'}
      properties:
        id: {$ref: '#/components/schemas/Event/$defs/Id', description: sibling of a $ref}
        at: {type: [string, 'null'], format: date-time}
        any: true
        never: false
        kind: {const: event}
        data:
          type: object
          patternProperties: {'^x-': {type: string}}
          propertyNames: {maxLength: 20}
          unevaluatedProperties: false
          dependentRequired: {a: [b]}
          if: {required: [a]}
          then: {properties: {b: {type: integer}}}
          else: {properties: {b: {type: string}}}
        payload: {type: string, contentMediaType: application/json, contentEncoding: base64}
        amount: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 100}
      examples: [{id: e_1}]
"""


def _variant(document: Doc) -> Doc:
    """A changed copy touching many keywords, so diff walks every part of the document."""
    changed = copy.deepcopy(document)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key == "maxLength" or key == "maxItems":
                    node[key] = value + 1
                elif key == "type" and value == "string":
                    node[key] = ["string", "null"]
                elif key == "required" and isinstance(value, list) and value:
                    node[key] = value[:-1]
                elif key == "description" and isinstance(value, str):
                    node[key] = value + "!"
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(changed)
    return changed


@pytest.mark.parametrize("text", [_30, _31], ids=["3.0", "3.1"])
def test_lint_and_diff_read_every_valid_construction(text: str) -> None:
    document = yaml.safe_load(text)
    found = lint(Spec(document, "spec", None))
    assert [f for f in found if f.rule == "valid-openapi"] == []
    assert diff_documents(document, document) == []
    for old, new in ((document, _variant(document)), (_variant(document), document)):
        assert diff_documents(old, new)  # changes found, and no exception


def generated(operations: int, *, version: int = 0) -> Doc:
    """A large spec: many operations sharing components, like a real public API's."""
    schemas: Doc = {
        "Page": {
            "type": "object",
            "properties": {"next": {"type": "string", "maxLength": 200 + version}},
        }
    }
    paths: Doc = {}
    for index in range(operations):
        name = f"Thing{index % 50}"
        schemas[name] = {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "integer", "readOnly": True},
                "label": {"type": "string", "maxLength": 100},
                "page": {"$ref": "#/components/schemas/Page"},
                "children": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
            },
        }
        body = {
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
        }
        paths[f"/things{index}/{{id}}"] = {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "put": {
                "operationId": f"putThing{index}",
                "requestBody": {**body, "required": True},
                "responses": {"200": {"description": "ok", **body}},
            },
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Large", "version": str(version)},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def test_a_large_spec_lints_and_diffs(tmp_path: Path) -> None:
    old, new = generated(400), generated(400, version=1)
    found = lint(load(str(write(tmp_path / "large.yaml", old))))
    assert [f for f in found if f.rule == "valid-openapi"] == []
    changes = diff_documents(old, new)
    # One change in a component every operation reaches: listed once, with all 400 operations.
    relaxed = [c for c in changes if c.rule == "response-constraint-relaxed"]
    assert len(relaxed) == 1 and len(relaxed[0].operations) == 400
