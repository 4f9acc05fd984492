"""What ``token-api diff`` reports: changes, their effect on the set of valid messages, and the
rule catalog.

A schema change either narrows what is valid, widens it, does both (changes), or neither
(documentation, a new optional property). Which of those breaks clients depends on the side: a
client *sends* requests, so narrowing a request breaks it; it *receives* responses, so widening a
response breaks it. Operation-level rules carry their own verdict.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Side(enum.Enum):
    REQUEST = "request"
    RESPONSE = "response"


class Effect(enum.Enum):
    NARROWS = "narrows"  # some message valid before is now invalid
    WIDENS = "widens"  # some message invalid before is now valid
    CHANGES = "changes"  # both
    NEUTRAL = "neutral"  # neither
    REQUEST_MEANING = "request-meaning"  # same messages, a sent request now means something else

    def breaks(self, side: Side) -> bool:
        if self in (Effect.CHANGES,):
            return True
        if self is Effect.NARROWS or self is Effect.REQUEST_MEANING:
            return side is Side.REQUEST
        if self is Effect.WIDENS:
            return side is Side.RESPONSE
        return False


_CONSEQUENCE = {
    (Effect.NARROWS, Side.REQUEST): "requests valid before may now be refused",
    (Effect.NARROWS, Side.RESPONSE): "responses stay within what clients already accept",
    (Effect.WIDENS, Side.REQUEST): "every request valid before is still accepted",
    (Effect.WIDENS, Side.RESPONSE): "clients may now receive what they were not written for",
    (Effect.CHANGES, Side.REQUEST): "some requests valid before may now be refused",
    (Effect.CHANGES, Side.RESPONSE): "clients may now receive what they were not written for",
    (Effect.NEUTRAL, Side.REQUEST): "every request valid before is still accepted",
    (Effect.NEUTRAL, Side.RESPONSE): "responses stay within what clients already accept",
    (Effect.REQUEST_MEANING, Side.REQUEST): "clients that leave it out now get another behaviour",
    (Effect.REQUEST_MEANING, Side.RESPONSE): "a default in a response is documentation",
}


def consequence(effect: Effect, side: Side) -> str:
    return _CONSEQUENCE[(effect, side)]


@dataclass(frozen=True)
class Change:
    rule: str
    location: str  # JSON pointer: in the new spec, or in the old one for what was removed
    breaking: bool
    reason: str
    operations: tuple[str, ...] = field(default=())  # "POST /api/v1/token" ...
    old: bool = False  # the location is in the old spec


# Rule id → what it detects. Schema rules exist once per side (request-…, response-…).
SCHEMA_RULES = {
    "became-nullable": (Effect.WIDENS, "null is now accepted"),
    "no-longer-nullable": (Effect.NARROWS, "null is no longer accepted"),
    "type-narrowed": (Effect.NARROWS, "fewer types accepted"),
    "type-widened": (Effect.WIDENS, "more types accepted"),
    "type-changed": (Effect.CHANGES, "another type"),
    "enum-value-added": (Effect.WIDENS, "an enum value was added"),
    "enum-value-removed": (Effect.NARROWS, "an enum value was removed"),
    "enum-added": (Effect.NARROWS, "values are now limited to an enum or const"),
    "enum-removed": (Effect.WIDENS, "values are no longer limited to an enum or const"),
    "format-added": (Effect.NARROWS, "a format now applies"),
    "format-removed": (Effect.WIDENS, "the format no longer applies"),
    "format-narrowed": (Effect.NARROWS, "a narrower format"),
    "format-widened": (Effect.WIDENS, "a wider format"),
    "format-changed": (Effect.CHANGES, "another format"),
    "constraint-tightened": (Effect.NARROWS, "a constraint was added or tightened"),
    "constraint-relaxed": (Effect.WIDENS, "a constraint was removed or relaxed"),
    "constraint-changed": (Effect.CHANGES, "a constraint changed, neither tighter nor looser"),
    "property-added": (Effect.NEUTRAL, "a new optional property"),
    "property-removed": (Effect.WIDENS, "a property was removed"),
    "required-property-added": (Effect.NARROWS, "a new required property"),
    "property-became-required": (Effect.NARROWS, "a property became required"),
    "property-became-optional": (Effect.WIDENS, "a property became optional"),
    "additional-properties-narrowed": (Effect.NARROWS, "fewer undeclared properties accepted"),
    "additional-properties-widened": (Effect.WIDENS, "more undeclared properties accepted"),
    "alternative-added": (Effect.WIDENS, "an anyOf/oneOf alternative was added"),
    "alternative-removed": (Effect.NARROWS, "an anyOf/oneOf alternative was removed"),
    "schema-changed": (Effect.CHANGES, "a keyword whose effect cannot be ranked changed"),
    "default-changed": (Effect.REQUEST_MEANING, "the default changed"),
}

OPERATION_RULES = {
    "path-added": (False, "a new path"),
    "path-removed": (True, "a path was removed"),
    "operation-added": (False, "a new operation"),
    "operation-removed": (True, "an operation was removed"),
    "operation-id-changed": (True, "the operationId changed"),
    "server-added": (False, "a new server"),
    "server-removed": (True, "a server was removed"),
    "security-added": (True, "an operation anyone could call now needs credentials"),
    "security-removed": (False, "an operation no longer needs credentials"),
    "security-changed": (True, "the credentials an operation accepts changed"),
    "request-parameter-required-added": (True, "a new required parameter"),
    "request-parameter-optional-added": (False, "a new optional parameter"),
    "request-parameter-removed": (True, "a parameter was removed"),
    "request-parameter-became-required": (True, "a parameter became required"),
    "request-parameter-became-optional": (False, "a parameter became optional"),
    "request-parameter-serialization-changed": (True, "a parameter's style or explode changed"),
    "request-body-added": (False, "a new optional request body"),
    "request-body-required-added": (True, "a new required request body"),
    "request-body-removed": (True, "the request body was removed"),
    "request-body-became-required": (True, "the request body became required"),
    "request-body-became-optional": (False, "the request body became optional"),
    "request-media-type-added": (False, "a new request media type"),
    "request-media-type-removed": (True, "a request media type was removed"),
    "response-success-status-added": (True, "a new success status"),
    "response-success-status-removed": (True, "a success status was removed"),
    "response-error-status-added": (False, "a new error status"),
    "response-error-status-removed": (False, "an error status is no longer documented"),
    "response-media-type-added": (False, "a new response media type"),
    "response-media-type-removed": (True, "a response media type was removed"),
    "response-header-added": (False, "a new response header"),
    "response-header-removed": (True, "a response header was removed"),
    "operation-changed": (True, "a part diff does not rank changed (callbacks, servers, ...)"),
    "documentation-changed": (False, "documentation changed (also inside schemas)"),
}


def rule_ids() -> list[str]:
    """Every rule id diff can report."""
    schema = [f"{side.value}-{name}" for side in Side for name in SCHEMA_RULES]
    return sorted({*schema, *OPERATION_RULES})
