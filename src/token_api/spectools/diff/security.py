"""Comparing what credentials an operation accepts, by scheme definition rather than by name."""

from __future__ import annotations

from typing import Any

from token_api.spectools.diff.changes import OPERATION_RULES, Change
from token_api.spectools.diff.normalize import canonical
from token_api.spectools.openapi import Operation, security
from token_api.spectools.pointers import RefError, deref, join

# One way to authenticate: every (scheme, scopes) it needs.
Alternative = frozenset[tuple[str, frozenset[str]]]


def _scheme(document: dict[str, Any], name: str) -> str:
    """A scheme as what it is (type, scheme, in, name, flows...), so that a rename is no change."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    try:
        definition, _ = deref(
            document, schemes.get(name), join("/components/securitySchemes", name)
        )
    except RefError:
        definition = None
    if not isinstance(definition, dict):
        return f"undefined scheme {name}"
    meaning = {k: v for k, v in definition.items() if k != "description" and not k.startswith("x-")}
    return canonical(meaning)


def _alternatives(document: dict[str, Any], requirement: Any) -> set[Alternative]:
    found: set[Alternative] = set()
    for alternative in requirement if isinstance(requirement, list) else []:
        if isinstance(alternative, dict):
            found.add(
                frozenset(
                    (_scheme(document, name), frozenset(scopes or []))
                    for name, scopes in alternative.items()
                )
            )
    return found or {frozenset()}


def _satisfies(held: Alternative, needed: Alternative) -> bool:
    """A client able to present ``held`` can meet ``needed``."""
    return all(
        any(scheme == have and scopes <= have_scopes for have, have_scopes in held)
        for scheme, scopes in needed
    )


def _names(requirement: Any) -> str:
    if not requirement:
        return "none"
    return " or ".join(
        " and ".join(alternative) or "anonymous"
        for alternative in requirement
        if isinstance(alternative, dict)
    )


def compare_security(
    old_document: dict[str, Any], old: Operation, new_document: dict[str, Any], new: Operation
) -> list[Change]:
    old_requirement = security(old_document, old)
    new_requirement = security(new_document, new)
    before = _alternatives(old_document, old_requirement)
    after = _alternatives(new_document, new_requirement)
    if before == after:
        return []
    anonymous: Alternative = frozenset()
    if anonymous in before and anonymous not in after:
        rule = "security-added"
        breaking = True
    elif anonymous in after and anonymous not in before:
        rule = "security-removed"
        breaking = False
    else:
        rule = "security-changed"
        # Breaking when some client that met the old requirement cannot meet any new one.
        breaking = any(not any(_satisfies(held, needed) for needed in after) for held in before)
    where = join(new.pointer, "security") if "security" in new.node else "/security"
    verdict = "breaks clients" if breaking else "every client that could call it still can"
    _, summary = OPERATION_RULES[rule]
    reason = f"{summary} ({_names(old_requirement)} → {_names(new_requirement)}): {verdict}"
    return [Change(rule, where, breaking, reason, (new.label,))]
