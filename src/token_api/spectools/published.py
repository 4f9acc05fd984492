"""The vendor's published contract (``shared/contract/*.published.mdx``) against our spec.

Each page embeds, as JSON, the request body (``body={{...}}``) and the responses
(``responses={{...}}``) of one operation (``<MethodEndpoint method=... path=...>``). Our spec must
hold every published key with its published value; it may add to the responses (a ``pattern``,
examples, more statuses) but not to the request schema, where any added keyword could refuse a
body the vendor accepts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from token_api.spectools.pointers import RefError, deref, join

PAGE_NAME = "create-token.published.mdx"
CONTRACT_DIR = Path("shared") / "contract"


@dataclass(frozen=True)
class Difference:
    pointer: str  # where in our spec (after following $refs)
    message: str


class PageError(Exception):
    """The page does not hold what a published page holds; one sentence."""


def find_contract(spec: Path) -> Path | None:
    """The ``shared/contract`` folder in or beside the git repository holding ``spec``.

    The search stops at the repository: a spec outside one (a temporary copy, an installed
    wheel) has no contract beside it, whatever folders happen to lie above it."""
    for folder in spec.resolve().parents:
        if (folder / ".git").exists():
            for candidate in (folder, folder.parent):
                if (candidate / CONTRACT_DIR / PAGE_NAME).is_file():
                    return candidate / CONTRACT_DIR
            return None
    return None


def pages(location: Path) -> list[Path]:
    if location.is_dir():
        return sorted(location.glob("*.published.mdx"))
    return [location]


def embedded(text: str, attribute: str) -> Any:
    """The JSON value of ``attribute={{...}}`` in an MDX page."""
    start = re.search(rf"\b{attribute}=\{{", text)
    if not start:
        raise PageError(f"the page has no {attribute}={{...}} block")
    try:
        value, _ = json.JSONDecoder().raw_decode(text, start.end())
    except json.JSONDecodeError as error:
        raise PageError(f"the {attribute} block is not JSON: {error.msg}") from None
    return value


def endpoint(text: str) -> tuple[str, str]:
    """(method, path) of the page's ``<MethodEndpoint>``."""
    found = re.search(r"<MethodEndpoint\s+method=\{\"(\w+)\"\}\s+path=\{\"([^\"]+)\"\}", text)
    if not found:
        raise PageError("the page has no <MethodEndpoint method=... path=...>")
    return found.group(1).lower(), found.group(2)


def contained(document: Any, published: Any, ours: Any, where: str) -> list[Difference]:
    """Every published key and value is in ours, unchanged; ours may add keys."""
    ours, where = deref(document, ours, where)
    if isinstance(published, dict):
        if not isinstance(ours, dict):
            return [Difference(where, "is not an object, as published")]
        found = []
        for key, value in published.items():
            if key not in ours:
                found.append(Difference(join(where, key), "is published but missing"))
            else:
                found += contained(document, value, ours[key], join(where, key))
        return found
    if isinstance(published, list):
        if not isinstance(ours, list) or len(ours) != len(published):
            return [Difference(where, f"differs from the published list {published!r}")]
        found = []
        for index, (theirs, mine) in enumerate(zip(published, ours, strict=True)):
            found += contained(document, theirs, mine, join(where, index))
        return found
    if published != ours:
        return [Difference(where, f"is {ours!r}, published {published!r}")]
    return []


def additions(document: Any, published: Any, ours: Any, where: str) -> list[Difference]:
    """Keys ours has and the published schema has not."""
    ours, where = deref(document, ours, where)
    found = []
    if isinstance(published, dict) and isinstance(ours, dict):
        for key, value in ours.items():
            if key not in published:
                found.append(Difference(join(where, key), "is not in the published schema"))
            else:
                found += additions(document, published[key], value, join(where, key))
    elif isinstance(published, list) and isinstance(ours, list):
        for index, (theirs, mine) in enumerate(zip(published, ours, strict=False)):
            found += additions(document, theirs, mine, join(where, index))
    return found


def compare(document: dict[str, Any], text: str) -> list[Difference]:
    """What our spec changes in the page's published operation."""
    method, path = endpoint(text)
    operation_pointer = join("/paths", path, method)
    operation = document.get("paths", {}).get(path, {})
    operation = operation.get(method) if isinstance(operation, dict) else None
    if not isinstance(operation, dict):
        return [Difference("/paths", f"the published operation {method.upper()} {path} is missing")]
    body = embedded(text, "body")
    try:
        found = contained(
            document, body, operation.get("requestBody"), join(operation_pointer, "requestBody")
        )
        ours, at = deref(
            document, operation.get("requestBody", {}), join(operation_pointer, "requestBody")
        )
        for media_type, media in body.get("content", {}).items():
            schema = ours.get("content", {}).get(media_type, {}).get("schema")
            if schema is not None and "schema" in media:
                found += additions(
                    document, media["schema"], schema, join(at, "content", media_type, "schema")
                )
        found += contained(
            document,
            embedded(text, "responses"),
            operation.get("responses"),
            join(operation_pointer, "responses"),
        )
    except RefError as error:
        return [Difference(operation_pointer, str(error))]
    return found
