"""Content-Type normalisation before Connexion's request validation (which calls it first,
``contract/middlewares.py``).

Media types and the charset parameter are case-insensitive (RFC 9110 §8.3.1), but Connexion 3.3
looks the body schema up by the header's exact spelling and parses parameters only without
whitespace: ``APPLICATION/JSON`` skipped body validation entirely, and ``; charset=latin-1`` was
read as UTF-8. Rewriting the header to its canonical form closes both gaps.

GET and HEAD requests carry no body in this API, so their Content-Type is dropped: Connexion
would otherwise parse the body of ``GET /health`` as a form and answer an undocumented 400.
"""

from __future__ import annotations

from starlette.types import Scope


def canonical(value: str) -> str:
    media_type, *parameters = value.split(";")
    parts = [media_type.strip().lower()]
    for parameter in parameters:
        name, _, setting = parameter.strip().partition("=")
        if not name:
            continue
        name = name.strip().lower()
        setting = setting.strip().strip('"')
        parts.append(f"{name}={setting.lower() if name == 'charset' else setting}")
    return ";".join(parts)


def with_canonical_content_type(scope: Scope) -> Scope:
    """``scope`` with its Content-Type canonical (dropped from GET and HEAD); the same scope
    when there is nothing to change. Request validation calls it before reading the header."""
    headers = scope["headers"]
    for index, (name, value) in enumerate(headers):
        if name == b"content-type":
            headers = list(headers)
            if scope["method"] in ("GET", "HEAD"):
                del headers[index]
            else:
                fixed = canonical(value.decode("latin-1")).encode("latin-1")
                if fixed == value:
                    return scope
                headers[index] = (name, fixed)
            return {**scope, "headers": headers}
    return scope
