"""The rule catalogue of ``token-api diff``: every rule id, its level and what it means for
clients, in one table (modelled on oasdiff's ``checker/rules.go``).

Adding a rule is one entry here plus the code that emits it, which names it by the constant the
entry is assigned to (grep the constant to find where a rule is reported). A schema rule exists
once per side (``request-…`` and ``response-…``) with a level for each: a client *sends*
requests, so a change that refuses what was valid breaks it there; it *receives* responses, so a
change that lets the server send what was invalid breaks it there.

Where a level differs from oasdiff's on purpose, the entry says so (``# oasdiff: …``) and the
docs/diff.md lists it with its reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.IntEnum):
    NOT_BREAKING = 0  # oasdiff's INFO
    POSSIBLY_BREAKING = 1  # oasdiff's WARN: whether it breaks depends on what clients do
    BREAKING = 2  # oasdiff's ERR

    @property
    def label(self) -> str:
        """The spelling in every output format: breaking, possibly-breaking, not-breaking."""
        return self.name.lower().replace("_", "-")


N, P, B = Level.NOT_BREAKING, Level.POSSIBLY_BREAKING, Level.BREAKING


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    reason: str  # what the change means for clients; follows the change's own detail


class Side(enum.Enum):
    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True)
class SchemaRule:
    """A schema rule: one id per side it can be found on (None: not on that side)."""

    request: str | None
    response: str | None

    def on(self, side: Side) -> str:
        found = self.request if side is Side.REQUEST else self.response
        assert found is not None, f"{self} has no {side.value} side"
        return found


RULES: dict[str, Rule] = {}


def _rule(rule_id: str, level: Level, reason: str) -> str:
    assert rule_id not in RULES, rule_id
    RULES[rule_id] = Rule(rule_id, level, reason)
    return rule_id


def _schema(
    name: str, request: tuple[Level, str] | None, response: tuple[Level, str] | None
) -> SchemaRule:
    """A schema rule on each side it can be found on (None: not on that side)."""
    return SchemaRule(
        _rule(f"request-{name}", *request) if request else None,
        _rule(f"response-{name}", *response) if response else None,
    )


_ACCEPTED = "every request valid before is still accepted"
_REFUSED = "requests valid before may now be refused"
_WITHIN = "responses stay within what clients already accept"
_UNEXPECTED = "clients may now receive what they were not written for"
_UNSENT = "clients do not send it (readOnly), so requests are unaffected"
_UNRECEIVED = "clients do not receive it (writeOnly), so responses are unaffected"

# -- paths, operations, servers ---------------------------------------------------------------
PATH_ADDED = _rule("path-added", N, "existing clients are unaffected")
PATH_REMOVED = _rule("path-removed", B, "clients calling it now fail")
OPERATION_ADDED = _rule("operation-added", N, "existing clients are unaffected")
OPERATION_REMOVED = _rule("operation-removed", B, "clients calling it now fail")
OPERATION_ID_CHANGED = _rule(
    "operation-id-changed",
    N,
    "requests and responses are unchanged (generated clients may rename a method)",
)
SERVER_ADDED = _rule("server-added", N, "existing clients are unaffected")
SERVER_REMOVED = _rule("server-removed", P, "clients configured with that URL must move to another")
OPERATION_CHANGED = _rule("operation-changed", B, "diff cannot rank this change: review it")
DOCUMENTATION_CHANGED = _rule("documentation-changed", N, "documentation only")
# The operation's behaviour rules (x-rules): prose, but what implementers build and clients read.
CONTRACT_RULE_ADDED = _rule(
    "contract-rule-added", N, "a behaviour clients may now rely on; implementations must follow"
)
CONTRACT_RULE_REMOVED = _rule(
    "contract-rule-removed", N, "clients may no longer rely on it; review what depended on it"
)
CONTRACT_RULE_REWORDED = _rule(
    "contract-rule-reworded", N, "review the new wording: what clients rely on may have changed"
)

# -- lifecycle: deprecation, sunset (x-sunset), stability (x-stability-level), version ---------
# oasdiff: deprecating without a sunset under a notice policy (*-deprecated-sunset-missing) and
# deleting a deprecated element's sunset (sunset-deleted) are ERR; here they are possibly
# breaking (nothing fails until the element goes), and removing an element deprecated without
# a sunset is breaking while a notice applies (oasdiff: api-removed-with-deprecation, INFO).
_REMOVABLE = "clients were told it would go, and when"
_EARLY = "clients were promised it until its sunset"
_NO_DATE = "clients are told it will go but not when: give it an x-sunset"
_SOON = "clients get less notice than the deprecation policy promises"
_TOLD = "clients are told it will go; nothing changes yet"
_KEEP = "clients may keep using it"
_RELIED = "clients relied on the stability it promised"
_MORE = "it promises clients more"
OPERATION_DEPRECATED = _rule("operation-deprecated", N, _TOLD)
OPERATION_DEPRECATED_WITHOUT_SUNSET = _rule("operation-deprecated-without-sunset", P, _NO_DATE)
OPERATION_SUNSET_TOO_SOON = _rule("operation-sunset-too-soon", B, _SOON)
OPERATION_SUNSET_REMOVED = _rule("operation-sunset-removed", P, _NO_DATE)
OPERATION_REACTIVATED = _rule("operation-reactivated", N, _KEEP)
OPERATION_REMOVED_AFTER_SUNSET = _rule("operation-removed-after-sunset", N, _REMOVABLE)
OPERATION_REMOVED_BEFORE_SUNSET = _rule("operation-removed-before-sunset", B, _EARLY)
REQUEST_PARAMETER_DEPRECATED = _rule("request-parameter-deprecated", N, _TOLD)
REQUEST_PARAMETER_DEPRECATED_WITHOUT_SUNSET = _rule(
    "request-parameter-deprecated-without-sunset", P, _NO_DATE
)
REQUEST_PARAMETER_SUNSET_TOO_SOON = _rule("request-parameter-sunset-too-soon", B, _SOON)
REQUEST_PARAMETER_SUNSET_REMOVED = _rule("request-parameter-sunset-removed", P, _NO_DATE)
REQUEST_PARAMETER_REACTIVATED = _rule("request-parameter-reactivated", N, _KEEP)
REQUEST_PARAMETER_REMOVED_AFTER_SUNSET = _rule(
    "request-parameter-removed-after-sunset", N, _REMOVABLE
)
REQUEST_PARAMETER_REMOVED_BEFORE_SUNSET = _rule(
    "request-parameter-removed-before-sunset", B, _EARLY
)
PROPERTY_DEPRECATED = _schema("property-deprecated", (N, _TOLD), (N, _TOLD))
PROPERTY_DEPRECATED_WITHOUT_SUNSET = _schema(
    "property-deprecated-without-sunset", (P, _NO_DATE), (P, _NO_DATE)
)
PROPERTY_SUNSET_TOO_SOON = _schema("property-sunset-too-soon", (B, _SOON), (B, _SOON))
PROPERTY_SUNSET_REMOVED = _schema("property-sunset-removed", (P, _NO_DATE), (P, _NO_DATE))
PROPERTY_REACTIVATED = _schema("property-reactivated", (N, _KEEP), (N, _KEEP))
PROPERTY_REMOVED_AFTER_SUNSET = _schema(
    "property-removed-after-sunset", (N, _REMOVABLE), (N, _REMOVABLE)
)
PROPERTY_REMOVED_BEFORE_SUNSET = _schema("property-removed-before-sunset", (B, _EARLY), (B, _EARLY))
PROPERTY_STABILITY_DECREASED = _schema("property-stability-decreased", (B, _RELIED), (B, _RELIED))
PROPERTY_STABILITY_INCREASED = _schema("property-stability-increased", (N, _MORE), (N, _MORE))
SUNSET_UNREADABLE = _rule(
    "sunset-unreadable", B, "diff cannot tell when clients were told it would go"
)
STABILITY_DECREASED = _rule("stability-decreased", B, _RELIED)
STABILITY_INCREASED = _rule("stability-increased", N, _MORE)
STABILITY_UNREADABLE = _rule(
    "stability-unreadable", B, "diff cannot tell what the operation promises: stable assumed"
)
MAJOR_VERSION_NOT_BUMPED = _rule(
    "major-version-not-bumped",
    B,
    "a breaking change needs a new major version (--require-major-bump)",
)
VERSION_NOT_COMPARABLE = _rule(
    "version-not-comparable",
    P,
    "--require-major-bump reads semantic versions (MAJOR.MINOR.PATCH) only",
)

# -- security ----------------------------------------------------------------------------------
# oasdiff: api-security-added and api-global-security-added are INFO.
SECURITY_ADDED = _rule("security-added", B, "clients that send no credentials are now refused")
SECURITY_REMOVED = _rule("security-removed", N, "every client that could call it still can")
# oasdiff: a scope added to a requirement (api-security-scope-added) is INFO.
SECURITY_CHANGED = _rule(
    "security-changed", B, "clients holding the credentials it took before may be refused"
)
SECURITY_WIDENED = _rule("security-widened", N, "every client that could call it still can")
SECURITY_SCHEME_ADDED = _rule(
    "security-scheme-added", N, "operations are judged by the requirements that name it"
)
SECURITY_SCHEME_REMOVED = _rule(
    "security-scheme-removed", N, "operations are judged by the requirements that named it"
)
SECURITY_SCHEME_CHANGED = _rule(
    "security-scheme-changed",
    N,
    "clients send the same credentials (operations whose credentials change are reported there)",
)

# -- parameters --------------------------------------------------------------------------------
REQUEST_PARAMETER_REQUIRED_ADDED = _rule(
    "request-parameter-required-added", B, "clients that do not send it are refused"
)
REQUEST_PARAMETER_OPTIONAL_ADDED = _rule("request-parameter-optional-added", N, _ACCEPTED)
REQUEST_PARAMETER_REMOVED = _rule(
    "request-parameter-removed", P, "clients sending it may be ignored or refused"
)
REQUEST_PARAMETER_BECAME_REQUIRED = _rule(
    "request-parameter-became-required", B, "clients that do not send it are refused"
)
REQUEST_PARAMETER_BECAME_OPTIONAL = _rule("request-parameter-became-optional", N, _ACCEPTED)
REQUEST_PARAMETER_SERIALIZATION_CHANGED = _rule(
    "request-parameter-serialization-changed", B, "clients serialize it the old way"
)
REQUEST_PARAMETER_DEFAULT_CHANGED = _rule(
    "request-parameter-default-changed", B, "clients that leave it out now get another behaviour"
)
REQUEST_PARAMETER_EMPTY_VALUE_REFUSED = _rule(
    "request-parameter-empty-value-refused",
    P,
    "clients that send it empty (`?name=`) may now be refused",
)
REQUEST_PARAMETER_EMPTY_VALUE_ALLOWED = _rule("request-parameter-empty-value-allowed", N, _ACCEPTED)

# -- request bodies ----------------------------------------------------------------------------
REQUEST_BODY_ADDED = _rule("request-body-added", N, _ACCEPTED)
REQUEST_BODY_REQUIRED_ADDED = _rule(
    "request-body-required-added", B, "clients that send no body are refused"
)
REQUEST_BODY_REMOVED = _rule("request-body-removed", B, "clients sending a body may be refused")
REQUEST_BODY_BECAME_REQUIRED = _rule(
    "request-body-became-required", B, "clients that send no body are refused"
)
REQUEST_BODY_BECAME_OPTIONAL = _rule("request-body-became-optional", N, _ACCEPTED)
REQUEST_MEDIA_TYPE_ADDED = _rule("request-media-type-added", N, _ACCEPTED)
REQUEST_MEDIA_TYPE_REMOVED = _rule(
    "request-media-type-removed", B, "clients sending it are refused"
)

# -- responses ---------------------------------------------------------------------------------
# oasdiff: response-success-status-added is INFO.
RESPONSE_SUCCESS_STATUS_ADDED = _rule(
    "response-success-status-added",
    P,
    "clients written for the documented statuses may not expect it",
)
RESPONSE_SUCCESS_STATUS_REMOVED = _rule(
    "response-success-status-removed", B, "clients expecting it get another status"
)
RESPONSE_ERROR_STATUS_ADDED = _rule(
    "response-error-status-added", N, "clients already handle errors they do not know"
)
RESPONSE_ERROR_STATUS_REMOVED = _rule(
    "response-error-status-removed", N, "clients keep handling it; it is no longer sent"
)
RESPONSE_MEDIA_TYPE_ADDED = _rule(
    "response-media-type-added", N, "clients keep asking for the media types they know"
)
RESPONSE_MEDIA_TYPE_REMOVED = _rule(
    "response-media-type-removed", B, "clients asking for it no longer get it"
)
RESPONSE_MEDIA_TYPE_SPECIALIZED = _rule(
    "response-media-type-specialized", N, "what is sent is still of the media type clients know"
)
RESPONSE_MEDIA_TYPE_GENERALIZED = _rule(
    "response-media-type-generalized", B, "clients may receive more than the media type they know"
)
RESPONSE_HEADER_ADDED = _rule("response-header-added", N, "existing clients are unaffected")
RESPONSE_HEADER_REMOVED = _rule(
    "response-header-removed", P, "clients reading it get nothing (it was optional)"
)
RESPONSE_REQUIRED_HEADER_REMOVED = _rule(
    "response-required-header-removed", B, "clients reading it get nothing"
)

# -- schemas, once per side ----------------------------------------------------------------------
BECAME_NULLABLE = _schema("became-nullable", (N, _ACCEPTED), (B, _UNEXPECTED))
NO_LONGER_NULLABLE = _schema("no-longer-nullable", (B, _REFUSED), (N, _WITHIN))
TYPE_NARROWED = _schema("type-narrowed", (B, _REFUSED), (N, _WITHIN))
TYPE_WIDENED = _schema("type-widened", (N, _ACCEPTED), (B, _UNEXPECTED))
TYPE_CHANGED = _schema("type-changed", (B, _REFUSED), (B, _UNEXPECTED))
_TEXT = "in text (a parameter, a non-JSON media type) every value reads as a string"
TYPE_COMPATIBLE = _schema("type-compatible", (N, _TEXT), (N, _TEXT))
ENUM_VALUE_ADDED = _schema(
    "enum-value-added", (N, _ACCEPTED), (P, "clients may receive a value they do not know")
)
ENUM_VALUE_REMOVED = _schema("enum-value-removed", (B, _REFUSED), (N, _WITHIN))
ENUM_ADDED = _schema("enum-added", (B, _REFUSED), (N, _WITHIN))
CONST_CHANGED = _schema(
    "const-changed", (B, _REFUSED), (B, "clients receive a value they were not written for")
)
ENUM_REMOVED = _schema("enum-removed", (N, _ACCEPTED), (B, _UNEXPECTED))
FORMAT_ADDED = _schema("format-added", (B, _REFUSED), (N, _WITHIN))
FORMAT_REMOVED = _schema("format-removed", (N, _ACCEPTED), (B, _UNEXPECTED))
FORMAT_NARROWED = _schema("format-narrowed", (B, _REFUSED), (N, _WITHIN))
FORMAT_WIDENED = _schema("format-widened", (N, _ACCEPTED), (B, _UNEXPECTED))
FORMAT_CHANGED = _schema("format-changed", (B, _REFUSED), (B, _UNEXPECTED))
CONSTRAINT_ADDED = _schema(
    "constraint-added",
    (P, "a limit now applies where there was none: requests beyond it are refused"),
    (N, _WITHIN),
)
CONSTRAINT_TIGHTENED = _schema("constraint-tightened", (B, _REFUSED), (N, _WITHIN))
CONSTRAINT_RELAXED = _schema("constraint-relaxed", (N, _ACCEPTED), (B, _UNEXPECTED))
CONSTRAINT_CHANGED = _schema("constraint-changed", (B, _REFUSED), (B, _UNEXPECTED))
PATTERN_ADDED = _schema("pattern-added", (B, _REFUSED), (N, _WITHIN))
PATTERN_REMOVED = _schema(
    "pattern-removed",
    (N, _ACCEPTED),
    (P, "clients that check values against it may reject new ones"),
)
PATTERN_GENERALIZED = _schema(
    "pattern-generalized",
    (N, _ACCEPTED),
    (P, "clients that check values against it may reject new ones"),
)
PATTERN_SPECIALIZED = _schema("pattern-specialized", (B, _REFUSED), (N, _WITHIN))
PATTERN_CHANGED = _schema(
    "pattern-changed",
    (P, "whether every value it took still matches cannot be decided"),
    (P, "clients that check values against it may reject new ones"),
)
PROPERTY_ADDED = _schema(
    "property-added", (N, _ACCEPTED), (N, "clients ignore what they do not read")
)
PROPERTY_REMOVED = _schema(
    "property-removed",
    (P, "the server may ignore or refuse it when clients send it"),
    (P, "clients reading it get nothing (it was optional)"),
)
REQUIRED_PROPERTY_REMOVED = _schema(
    "required-property-removed",
    (P, "the server may ignore or refuse it when clients send it"),
    (B, "clients reading it get nothing"),
)
PROPERTY_NOW_REFUSED = _schema(
    "property-now-refused",
    (B, "undeclared properties are refused, so requests sending it are"),
    None,
)
PROPERTY_NOW_ALLOWED = _schema(
    "property-now-allowed",
    (N, _ACCEPTED),
    (B, "clients that refuse undeclared properties may refuse responses carrying it"),
)
REQUIRED_PROPERTY_ADDED = _schema(
    "required-property-added", (B, "clients that do not send it are refused"), (N, _WITHIN)
)
PROPERTY_BECAME_REQUIRED = _schema(
    "property-became-required", (B, "clients that do not send it are refused"), (N, _WITHIN)
)
PROPERTY_BECAME_OPTIONAL = _schema(
    "property-became-optional", (N, _ACCEPTED), (B, "clients reading it may get nothing")
)
PROPERTY_BECAME_READ_ONLY = _schema(
    "property-became-read-only",
    (N, "clients need not send it; the server ignores it"),
    (N, _WITHIN),
)
PROPERTY_BECAME_NOT_READ_ONLY = _schema(
    "property-became-not-read-only", (N, "clients may now send it"), (N, _WITHIN)
)
# oasdiff: request-required-property-became-not-read-only is INFO.
REQUIRED_PROPERTY_BECAME_NOT_READ_ONLY = _schema(
    "required-property-became-not-read-only", (B, "clients that do not send it are refused"), None
)
PROPERTY_BECAME_WRITE_ONLY = _schema(
    "property-became-write-only",
    (N, _ACCEPTED),
    (P, "clients reading it get nothing (it was optional)"),
)
# oasdiff: response-required-property-became-write-only is INFO.
REQUIRED_PROPERTY_BECAME_WRITE_ONLY = _schema(
    "required-property-became-write-only", None, (B, "clients reading it get nothing")
)
PROPERTY_BECAME_NOT_WRITE_ONLY = _schema(
    "property-became-not-write-only", (N, _ACCEPTED), (N, "clients may now receive it")
)
REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY = _schema(
    "required-property-became-not-write-only", None, (P, "clients now always receive it")
)
ADDITIONAL_PROPERTIES_NARROWED = _schema(
    "additional-properties-narrowed", (B, _REFUSED), (N, _WITHIN)
)
ADDITIONAL_PROPERTIES_WIDENED = _schema(
    "additional-properties-widened", (N, _ACCEPTED), (B, _UNEXPECTED)
)
ONE_OF_ADDED = _schema(
    "one-of-added", (N, _ACCEPTED), (B, "clients may receive a shape they have no case for")
)
ANY_OF_ADDED = _schema(
    "any-of-added", (N, _ACCEPTED), (P, "clients may receive a shape they do not handle")
)
ALTERNATIVE_REMOVED = _schema("alternative-removed", (B, _REFUSED), (N, _WITHIN))
WRAPPED_IN_ONE_OF = _schema(
    "wrapped-in-one-of",
    (B, "values valid before match several branches, and oneOf takes exactly one"),
    None,
)
ALL_OF_ADDED = _schema("all-of-added", (B, "the new member refuses values valid before"), None)
# A string's encoding (contentEncoding, contentMediaType) says how to read it: both ends read
# it the way they were written for.
CONTENT_ENCODING_CHANGED = _schema(
    "content-encoding-changed",
    (B, "clients encode the value the old way"),
    (B, "clients decode the value the old way"),
)
# The discriminator: generated clients (and servers that dispatch on it) pick a schema by it.
# oasdiff: every discriminator change is INFO.
DISCRIMINATOR_ADDED = _schema(
    "discriminator-added",
    (P, "servers that dispatch on it may refuse a body whose value it does not map"),
    (N, "responses are the same; clients may now dispatch on it"),
)
DISCRIMINATOR_REMOVED = _schema(
    "discriminator-removed",
    (N, "bodies are validated against the same schemas"),
    (P, "clients that dispatch on it may not find the value they expect"),
)
DISCRIMINATOR_PROPERTY_CHANGED = _schema(
    "discriminator-property-changed",
    (B, "the schema is now picked by another property than the one clients send"),
    (B, "clients pick the schema by the old property"),
)
DISCRIMINATOR_MAPPING_ADDED = _schema(
    "discriminator-mapping-added",
    (N, _ACCEPTED),
    (P, "clients may receive a value they do not know"),
)
DISCRIMINATOR_MAPPING_REMOVED = _schema(
    "discriminator-mapping-removed",
    (P, "servers that dispatch on the value may now refuse it"),
    (N, _WITHIN),
)
DISCRIMINATOR_MAPPING_CHANGED = _schema(
    "discriminator-mapping-changed",
    (B, "bodies with that value are now read as another schema"),
    (B, "clients read bodies with that value as the schema it named before"),
)
# Never breaking by default: a change diff cannot rank is shown, and left to review.
SCHEMA_CHANGED = _schema(
    "schema-changed",
    (P, "diff cannot rank this keyword: review it"),
    (P, "diff cannot rank this keyword: review it"),
)
DEFAULT_CHANGED = _schema(
    "default-changed",
    (P, "clients that leave it out may now get another behaviour"),
    (N, "a default in a response is documentation"),
)


def rule_ids() -> list[str]:
    """Every rule id diff can report."""
    return sorted(RULES)
