"""The rule catalogue of ``token-api diff``: every rule id, its level and what it means for
clients, in one table (modelled on oasdiff's ``checker/rules.go``).

Adding a rule is one entry here plus the code that emits it. A schema rule exists once per side
(``request-…`` and ``response-…``) with a level for each: a client *sends* requests, so a change
that refuses what was valid breaks it there; it *receives* responses, so a change that lets the
server send what was invalid breaks it there.

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


RULES: dict[str, Rule] = {}
# Schema rule names (without the side), for the code that emits them.
SCHEMA_RULES: set[str] = set()


def _rule(rule_id: str, level: Level, reason: str) -> None:
    assert rule_id not in RULES, rule_id
    RULES[rule_id] = Rule(rule_id, level, reason)


def _schema(
    name: str, request: tuple[Level, str] | None, response: tuple[Level, str] | None
) -> None:
    """A schema rule on each side it can be found on (None: not on that side)."""
    SCHEMA_RULES.add(name)
    if request:
        _rule(f"request-{name}", *request)
    if response:
        _rule(f"response-{name}", *response)


_ACCEPTED = "every request valid before is still accepted"
_REFUSED = "requests valid before may now be refused"
_WITHIN = "responses stay within what clients already accept"
_UNEXPECTED = "clients may now receive what they were not written for"
_UNSENT = "clients do not send it (readOnly), so requests are unaffected"
_UNRECEIVED = "clients do not receive it (writeOnly), so responses are unaffected"

# -- paths, operations, servers ---------------------------------------------------------------
_rule("path-added", N, "existing clients are unaffected")
_rule("path-removed", B, "clients calling it now fail")
_rule("operation-added", N, "existing clients are unaffected")
_rule("operation-removed", B, "clients calling it now fail")
_rule(
    "operation-id-changed",
    N,
    "requests and responses are unchanged (generated clients may rename a method)",
)
_rule("server-added", N, "existing clients are unaffected")
_rule("server-removed", P, "clients configured with that URL must move to another")
_rule("operation-changed", B, "diff cannot rank this change: review it")
_rule("documentation-changed", N, "documentation only")

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
_rule("operation-deprecated", N, _TOLD)
_rule("operation-deprecated-without-sunset", P, _NO_DATE)
_rule("operation-sunset-too-soon", B, _SOON)
_rule("operation-sunset-removed", P, _NO_DATE)
_rule("operation-reactivated", N, _KEEP)
_rule("operation-removed-after-sunset", N, _REMOVABLE)
_rule("operation-removed-before-sunset", B, _EARLY)
_rule("request-parameter-deprecated", N, _TOLD)
_rule("request-parameter-deprecated-without-sunset", P, _NO_DATE)
_rule("request-parameter-sunset-too-soon", B, _SOON)
_rule("request-parameter-sunset-removed", P, _NO_DATE)
_rule("request-parameter-reactivated", N, _KEEP)
_rule("request-parameter-removed-after-sunset", N, _REMOVABLE)
_rule("request-parameter-removed-before-sunset", B, _EARLY)
_schema("property-deprecated", (N, _TOLD), (N, _TOLD))
_schema("property-deprecated-without-sunset", (P, _NO_DATE), (P, _NO_DATE))
_schema("property-sunset-too-soon", (B, _SOON), (B, _SOON))
_schema("property-sunset-removed", (P, _NO_DATE), (P, _NO_DATE))
_schema("property-reactivated", (N, _KEEP), (N, _KEEP))
_schema("property-removed-after-sunset", (N, _REMOVABLE), (N, _REMOVABLE))
_schema("property-removed-before-sunset", (B, _EARLY), (B, _EARLY))
_schema("property-stability-decreased", (B, _RELIED), (B, _RELIED))
_schema("property-stability-increased", (N, _MORE), (N, _MORE))
_rule("sunset-unreadable", B, "diff cannot tell when clients were told it would go")
_rule("stability-decreased", B, _RELIED)
_rule("stability-increased", N, _MORE)
_rule("stability-unreadable", B, "diff cannot tell what the operation promises: stable assumed")
_rule(
    "major-version-not-bumped",
    B,
    "a breaking change needs a new major version (--require-major-bump)",
)
_rule(
    "version-not-comparable",
    P,
    "--require-major-bump reads semantic versions (MAJOR.MINOR.PATCH) only",
)

# -- security ----------------------------------------------------------------------------------
# oasdiff: api-security-added and api-global-security-added are INFO.
_rule("security-added", B, "clients that send no credentials are now refused")
_rule("security-removed", N, "every client that could call it still can")
# oasdiff: a scope added to a requirement (api-security-scope-added) is INFO.
_rule("security-changed", B, "clients holding the credentials it took before may be refused")
_rule("security-widened", N, "every client that could call it still can")
_rule("security-scheme-added", N, "operations are judged by the requirements that name it")
_rule("security-scheme-removed", N, "operations are judged by the requirements that named it")
_rule(
    "security-scheme-changed",
    N,
    "clients send the same credentials (operations whose credentials change are reported there)",
)

# -- parameters --------------------------------------------------------------------------------
_rule("request-parameter-required-added", B, "clients that do not send it are refused")
_rule("request-parameter-optional-added", N, _ACCEPTED)
_rule("request-parameter-removed", P, "clients sending it may be ignored or refused")
_rule("request-parameter-became-required", B, "clients that do not send it are refused")
_rule("request-parameter-became-optional", N, _ACCEPTED)
_rule("request-parameter-serialization-changed", B, "clients serialize it the old way")
_rule("request-parameter-default-changed", B, "clients that leave it out now get another behaviour")

# -- request bodies ----------------------------------------------------------------------------
_rule("request-body-added", N, _ACCEPTED)
_rule("request-body-required-added", B, "clients that send no body are refused")
_rule("request-body-removed", B, "clients sending a body may be refused")
_rule("request-body-became-required", B, "clients that send no body are refused")
_rule("request-body-became-optional", N, _ACCEPTED)
_rule("request-media-type-added", N, _ACCEPTED)
_rule("request-media-type-removed", B, "clients sending it are refused")

# -- responses ---------------------------------------------------------------------------------
# oasdiff: response-success-status-added is INFO.
_rule(
    "response-success-status-added",
    P,
    "clients written for the documented statuses may not expect it",
)
_rule("response-success-status-removed", B, "clients expecting it get another status")
_rule("response-error-status-added", N, "clients already handle errors they do not know")
_rule("response-error-status-removed", N, "clients keep handling it; it is no longer sent")
_rule("response-media-type-added", N, "clients keep asking for the media types they know")
_rule("response-media-type-removed", B, "clients asking for it no longer get it")
_rule("response-media-type-specialized", N, "what is sent is still of the media type clients know")
_rule(
    "response-media-type-generalized", B, "clients may receive more than the media type they know"
)
_rule("response-header-added", N, "existing clients are unaffected")
_rule("response-header-removed", P, "clients reading it get nothing (it was optional)")
_rule("response-required-header-removed", B, "clients reading it get nothing")

# -- schemas, once per side ----------------------------------------------------------------------
_schema("became-nullable", (N, _ACCEPTED), (B, _UNEXPECTED))
_schema("no-longer-nullable", (B, _REFUSED), (N, _WITHIN))
_schema("type-narrowed", (B, _REFUSED), (N, _WITHIN))
_schema("type-widened", (N, _ACCEPTED), (B, _UNEXPECTED))
_schema("type-changed", (B, _REFUSED), (B, _UNEXPECTED))
_TEXT = "in text (a parameter, a non-JSON media type) every value reads as a string"
_schema("type-compatible", (N, _TEXT), (N, _TEXT))
_schema("enum-value-added", (N, _ACCEPTED), (P, "clients may receive a value they do not know"))
_schema("enum-value-removed", (B, _REFUSED), (N, _WITHIN))
_schema("enum-added", (B, _REFUSED), (N, _WITHIN))
_schema("const-changed", (B, _REFUSED), (B, "clients receive a value they were not written for"))
_schema("enum-removed", (N, _ACCEPTED), (B, _UNEXPECTED))
_schema("format-added", (B, _REFUSED), (N, _WITHIN))
_schema("format-removed", (N, _ACCEPTED), (B, _UNEXPECTED))
_schema("format-narrowed", (B, _REFUSED), (N, _WITHIN))
_schema("format-widened", (N, _ACCEPTED), (B, _UNEXPECTED))
_schema("format-changed", (B, _REFUSED), (B, _UNEXPECTED))
_schema(
    "constraint-added",
    (P, "a limit now applies where there was none: requests beyond it are refused"),
    (N, _WITHIN),
)
_schema("constraint-tightened", (B, _REFUSED), (N, _WITHIN))
_schema("constraint-relaxed", (N, _ACCEPTED), (B, _UNEXPECTED))
_schema("constraint-changed", (B, _REFUSED), (B, _UNEXPECTED))
_schema("pattern-added", (B, _REFUSED), (N, _WITHIN))
_schema(
    "pattern-removed",
    (N, _ACCEPTED),
    (P, "clients that check values against it may reject new ones"),
)
_schema(
    "pattern-generalized",
    (N, _ACCEPTED),
    (P, "clients that check values against it may reject new ones"),
)
_schema("pattern-specialized", (B, _REFUSED), (N, _WITHIN))
_schema(
    "pattern-changed",
    (P, "whether every value it took still matches cannot be decided"),
    (P, "clients that check values against it may reject new ones"),
)
_schema("property-added", (N, _ACCEPTED), (N, "clients ignore what they do not read"))
_schema(
    "property-removed",
    (P, "the server may ignore or refuse it when clients send it"),
    (P, "clients reading it get nothing (it was optional)"),
)
_schema(
    "required-property-removed",
    (P, "the server may ignore or refuse it when clients send it"),
    (B, "clients reading it get nothing"),
)
_schema(
    "property-now-refused",
    (B, "undeclared properties are refused, so requests sending it are"),
    None,
)
_schema(
    "property-now-allowed",
    (N, _ACCEPTED),
    (B, "clients that refuse undeclared properties may refuse responses carrying it"),
)
_schema("required-property-added", (B, "clients that do not send it are refused"), (N, _WITHIN))
_schema("property-became-required", (B, "clients that do not send it are refused"), (N, _WITHIN))
_schema("property-became-optional", (N, _ACCEPTED), (B, "clients reading it may get nothing"))
_schema(
    "property-became-read-only",
    (N, "clients need not send it; the server ignores it"),
    (N, _WITHIN),
)
_schema("property-became-not-read-only", (N, "clients may now send it"), (N, _WITHIN))
# oasdiff: request-required-property-became-not-read-only is INFO.
_schema(
    "required-property-became-not-read-only", (B, "clients that do not send it are refused"), None
)
_schema(
    "property-became-write-only",
    (N, _ACCEPTED),
    (P, "clients reading it get nothing (it was optional)"),
)
# oasdiff: response-required-property-became-write-only is INFO.
_schema("required-property-became-write-only", None, (B, "clients reading it get nothing"))
_schema("property-became-not-write-only", (N, _ACCEPTED), (N, "clients may now receive it"))
_schema("required-property-became-not-write-only", None, (P, "clients now always receive it"))
_schema("additional-properties-narrowed", (B, _REFUSED), (N, _WITHIN))
_schema("additional-properties-widened", (N, _ACCEPTED), (B, _UNEXPECTED))
_schema("one-of-added", (N, _ACCEPTED), (B, "clients may receive a shape they have no case for"))
_schema("any-of-added", (N, _ACCEPTED), (P, "clients may receive a shape they do not handle"))
_schema("alternative-removed", (B, _REFUSED), (N, _WITHIN))
_schema(
    "wrapped-in-one-of",
    (B, "values valid before match several branches, and oneOf takes exactly one"),
    None,
)
_schema("all-of-added", (B, "the new member refuses values valid before"), None)
_schema(
    "schema-changed",
    (B, "diff cannot rank this keyword: review it"),
    (B, "diff cannot rank this keyword: review it"),
)
_schema(
    "default-changed",
    (P, "clients that leave it out may now get another behaviour"),
    (N, "a default in a response is documentation"),
)


def rule_ids() -> list[str]:
    """Every rule id diff can report."""
    return sorted(RULES)
