"""Small specs for the spec tools' tests, as dicts to copy and change."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
OUR_SPEC = REPOSITORY / "openapi.yaml"

# One operation whose request and response share the schema Item, and a shared enum Role as
# FastAPI emits it: every change to them shows on both sides, each with its own verdict. Draft is
# only ever sent and Receipt only ever received, so their changes show on one side only.
_BASE = """
openapi: 3.1.0
info: {title: Pairs, version: '1'}
servers: [{url: 'https://api.example.com'}]
paths:
  /items/{item_id}:
    put:
      operationId: putItem
      summary: Put an item
      security: [{Bearer: []}]
      parameters:
        - {name: item_id, in: path, required: true, schema: {type: string}}
        - {name: verbose, in: query, required: false, schema: {type: boolean}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Item'}
      responses:
        '200':
          description: The item.
          headers:
            X-Rate: {schema: {type: integer}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Item'}
        '422':
          description: Invalid.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
  /drafts:
    post:
      operationId: postDraft
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Draft'}
      responses:
        '202':
          description: Accepted.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Receipt'}
  /health:
    get:
      operationId: getHealth
      security: []
      responses:
        '200':
          description: Up.
          content:
            application/json:
              schema: {type: object}
components:
  securitySchemes:
    Bearer: {type: http, scheme: bearer}
  schemas:
    Role:
      type: string
      enum: [ADMIN, MEMBER]
    Item:
      type: object
      required: [name]
      properties:
        name: {type: string, maxLength: 100, description: The name.}
        role: {$ref: '#/components/schemas/Role'}
        note:
          anyOf:
            - {type: string}
            - {type: 'null'}
        count: {type: integer, minimum: 0}
        size: {type: integer, format: int32}
        tags: {type: array, items: {type: string}}
        id: {type: string, format: uuid}
        code: {type: string, pattern: '^ab'}
        flag: {type: boolean, default: false}
        kind: {type: string}
    Draft:  # sent only (a request body): its changes have a request verdict and no other
      type: object
      required: [title]
      properties:
        title: {type: string, maxLength: 50}
        mode: {type: string, enum: [fast, slow]}
    Receipt:  # received only (a response body): its changes have a response verdict only
      type: object
      required: [id, state]
      properties:
        id: {type: string}
        state: {type: string, enum: [open, closed]}
        note: {type: string}
    Error:
      type: object
      properties:
        detail: {type: string}
"""
BASE: dict[str, Any] = yaml.safe_load(_BASE)


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def our_spec() -> dict[str, Any]:
    return yaml.safe_load(OUR_SPEC.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def item(document: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"]["Item"]  # type: ignore[no-any-return]


def prop(document: dict[str, Any], name: str) -> dict[str, Any]:
    return item(document)["properties"][name]  # type: ignore[no-any-return]


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document["components"]["schemas"][name]  # type: ignore[no-any-return]


def put(document: dict[str, Any]) -> dict[str, Any]:
    return document["paths"]["/items/{item_id}"]["put"]  # type: ignore[no-any-return]


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


# A document whose example values, defaults, enums and extensions hold "$ref" keys: data.
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


# Valid documents using constructions our own spec does not: each must lint and diff (against
# itself and against a changed copy) without an exception.
VALID_30 = """
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

VALID_31 = """
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


def generated(operations: int, *, version: int = 0) -> dict[str, Any]:
    """A large spec: many operations sharing components, like a real public API's."""
    schemas: dict[str, Any] = {
        "Page": {
            "type": "object",
            "properties": {"next": {"type": "string", "maxLength": 200 + version}},
        }
    }
    paths: dict[str, Any] = {}
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
