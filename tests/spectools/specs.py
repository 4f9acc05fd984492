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
