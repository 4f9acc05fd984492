"""Comparing what credentials an operation accepts, by what a client sends rather than by name.

A scheme is identified by the credential on the wire: an OAuth 2 or OpenID Connect token and an
HTTP bearer token are all ``Authorization: Bearer …``; an API key is its place and name. How a
client obtains the credential (flows, URLs, the scopes a scheme lists) and descriptions are not
part of it: editing them is reported once, on the scheme, as not breaking.
"""

from __future__ import annotations

from typing import Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.changes import Change, change
from token_api.spectools.diff.normalize import canonical
from token_api.spectools.diff.values import shown
from token_api.spectools.openapi import Operation, security
from token_api.spectools.pointers import RefError, deref, join

# One way to authenticate: every (credential, scopes) it needs.
Alternative = frozenset[tuple[str, frozenset[str]]]
_ANY_AUTHORIZATION = "header authorization *"  # an http scheme that names no scheme


def _schemes(document: dict[str, Any]) -> dict[str, Any]:
    schemes = (document.get("components") or {}).get("securitySchemes")
    return schemes if isinstance(schemes, dict) else {}


def _definition(document: dict[str, Any], name: str) -> dict[str, Any] | None:
    try:
        definition, _ = deref(
            document, _schemes(document).get(name), join("/components/securitySchemes", name)
        )
    except RefError:
        return None
    return definition if isinstance(definition, dict) else None


def credential(definition: dict[str, Any] | None, name: str) -> str:
    """What a client sends for the scheme."""
    if definition is None:
        return f"undefined scheme {name}"
    kind = str(definition.get("type", "")).lower()
    if kind in ("oauth2", "openidconnect"):
        return "header authorization bearer"
    if kind == "http":
        scheme = str(definition.get("scheme") or "").lower()
        return f"header authorization {scheme}" if scheme else _ANY_AUTHORIZATION
    if kind == "apikey":
        place = str(definition.get("in", "")).lower()
        key = str(definition.get("name", ""))
        return f"{place} {key.lower() if place == 'header' else key}"
    return kind  # mutualTLS, or something unknown compared as written


def _alternatives(document: dict[str, Any], requirement: Any) -> set[Alternative]:
    found: set[Alternative] = set()
    for alternative in requirement if isinstance(requirement, list) else []:
        if isinstance(alternative, dict):
            found.add(
                frozenset(
                    (credential(_definition(document, name), name), frozenset(scopes or []))
                    for name, scopes in alternative.items()
                )
            )
    return found or {frozenset()}


def _meets(have: str, need: str) -> bool:
    return have == need or (
        _ANY_AUTHORIZATION in (have, need)
        and have.startswith("header authorization")
        and need.startswith("header authorization")
    )


def _satisfies(held: Alternative, needed: Alternative) -> bool:
    """A client able to present ``held`` can meet ``needed``."""
    return all(
        any(_meets(have, scheme) and scopes <= have_scopes for have, have_scopes in held)
        for scheme, scopes in needed
    )


def _names(requirement: Any) -> str:
    if not requirement:
        return "none"
    return " or ".join(
        " and ".join(f"{name}{shown(scopes) if scopes else ''}" for name, scopes in alt.items())
        or "anonymous"
        for alt in requirement
        if isinstance(alt, dict)
    )


def compare_security(
    old_document: dict[str, Any], old: Operation, new_document: dict[str, Any], new: Operation
) -> list[tuple[str, str, str]]:
    """(rule, location, detail) when the credentials the operation takes changed."""
    old_requirement = security(old_document, old)
    new_requirement = security(new_document, new)
    before = _alternatives(old_document, old_requirement)
    after = _alternatives(new_document, new_requirement)
    if before == after:
        return []
    anonymous: Alternative = frozenset()
    if anonymous in before and anonymous not in after:
        rule = rules.SECURITY_ADDED
    elif anonymous in after and anonymous not in before:
        rule = rules.SECURITY_REMOVED
    elif all(any(_satisfies(held, needed) for needed in after) for held in before):
        rule = rules.SECURITY_WIDENED
    else:
        rule = rules.SECURITY_CHANGED
    where = join(new.pointer, "security") if "security" in new.node else "/security"
    detail = f"credentials {_names(old_requirement)} → {_names(new_requirement)}"
    return [(rule, where, detail)]


def compare_schemes(old_document: dict[str, Any], new_document: dict[str, Any]) -> list[Change]:
    """Scheme definitions added, removed or edited, once each."""
    old_schemes, new_schemes = _schemes(old_document), _schemes(new_document)
    found = []
    for name in old_schemes:
        if name not in new_schemes:
            where = join("/components/securitySchemes", name)
            found.append(
                change(rules.SECURITY_SCHEME_REMOVED, where, f"scheme {name} was removed", old=True)
            )
    for name in new_schemes:
        where = join("/components/securitySchemes", name)
        if name not in old_schemes:
            found.append(change(rules.SECURITY_SCHEME_ADDED, where, f"scheme {name} was added"))
            continue
        before = _definition(old_document, name) or {}
        after = _definition(new_document, name) or {}
        keys = sorted(
            k for k in {*before, *after} if canonical(before.get(k)) != canonical(after.get(k))
        )
        if keys:
            found.append(
                change(
                    rules.SECURITY_SCHEME_CHANGED,
                    where,
                    f"scheme {name}: {', '.join(keys)} changed",
                )
            )
    return found
