"""The vendor's published contract against our spec.

The vendor's reference page (an MDX file) embeds, as JSON, the request body (``body={{...}}``)
and the responses (``responses={{...}}``) of one operation (``<MethodEndpoint method=...
path=...>``). That JSON is kept in the package, with the page's address and the date it was
taken (``token_api/contract/published/create-token.json``), so that every clone and every
installed copy checks against the same data; ``scripts/refresh-published.py`` stores a newer
page's JSON there.

Our spec must hold every published key with its published value; it may add to the responses
(a ``pattern``, examples, more statuses) but not to the request schema, where any added keyword
could refuse a body the vendor accepts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from token_api.spectools.pointers import RefError, deref, join

STORED = "create-token.json"
# The stored file's keys; the page's JSON is kept under "body" and "responses" as it is.
_STORED_KEYS = ("page", "taken", "method", "path", "body", "responses")


class PublishedError(Exception):
    """A page or stored file that does not hold what a published contract holds; one sentence."""


@dataclass(frozen=True)
class Published:
    """One operation as the vendor publishes it."""

    method: str  # lower case, as OpenAPI keys it
    path: str
    body: dict[str, Any]  # the requestBody object
    responses: dict[str, Any]  # status → response object
    source: str  # the file it was read from, for messages
    page: str | None = None  # the page's address
    taken: str | None = None  # the date (YYYY-MM-DD) the page was taken

    def as_stored(self) -> dict[str, Any]:
        """What the stored file holds."""
        return {
            "page": self.page,
            "taken": self.taken,
            "method": self.method,
            "path": self.path,
            "body": self.body,
            "responses": self.responses,
        }


def _embedded(text: str, attribute: str) -> Any:
    """The JSON value of ``attribute={{...}}`` in an MDX page."""
    start = re.search(rf"\b{attribute}=\{{", text)
    if not start:
        raise PublishedError(f"the page has no {attribute}={{...}} block")
    try:
        value, _ = json.JSONDecoder().raw_decode(text, start.end())
    except json.JSONDecodeError as error:
        raise PublishedError(f"the {attribute} block is not JSON: {error.msg}") from None
    return value


def from_page(text: str, source: str = "the page") -> Published:
    """The operation an MDX reference page publishes."""
    found = re.search(r"<MethodEndpoint\s+method=\{\"(\w+)\"\}\s+path=\{\"([^\"]+)\"\}", text)
    if not found:
        raise PublishedError("the page has no <MethodEndpoint method=... path=...>")
    body, responses = _embedded(text, "body"), _embedded(text, "responses")
    return _checked(found.group(1).lower(), found.group(2), body, responses, source)


def from_stored(data: Any, source: str) -> Published:
    """The operation a stored file holds (what ``dumps`` wrote)."""
    if not isinstance(data, dict) or set(data) != set(_STORED_KEYS):
        raise PublishedError(f"it does not hold exactly the keys {', '.join(_STORED_KEYS)}")
    method, path = data["method"], data["path"]
    if not isinstance(method, str) or not isinstance(path, str):
        raise PublishedError("method and path must be strings")
    page, taken = data["page"], data["taken"]
    if not isinstance(page, str) or not page:
        raise PublishedError("page must be the page's address")
    if not isinstance(taken, str) or not _is_date(taken):
        raise PublishedError(
            f"taken must be the date the page was taken (YYYY-MM-DD), not {taken!r}"
        )
    published = _checked(method.lower(), path, data["body"], data["responses"], source)
    return replace(published, page=page, taken=taken)


def _is_date(text: str) -> bool:
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _checked(method: str, path: str, body: Any, responses: Any, source: str) -> Published:
    content = body.get("content", {}) if isinstance(body, dict) else None
    if not (
        isinstance(content, dict)
        and all(isinstance(media, dict) for media in content.values())
        and isinstance(responses, dict)
        and all(isinstance(response, dict) for response in responses.values())
    ):
        raise PublishedError("the request body and the responses are not OpenAPI objects")
    return Published(method, path, body, responses, source)


def read(path: Path) -> Published:
    """A stored file (``*.json``) or a reference page (anything else)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PublishedError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise PublishedError(f"cannot read {path}: it is not UTF-8 text") from None
    try:
        if path.suffix.lower() != ".json":
            return from_page(text, path.name)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise PublishedError(f"it is not JSON ({error})") from None
        return from_stored(data, path.name)
    except PublishedError as error:
        raise PublishedError(f"{path}: {error}") from None


def stored_file() -> Path:
    """The stored contract inside the package (a source tree or an installed wheel)."""
    return Path(str(resources.files("token_api.contract").joinpath("published").joinpath(STORED)))


def stored() -> Published:
    return read(stored_file())


def dumps(published: Published) -> str:
    """The stored file's text: the page's JSON in its own key order, readable in a diff."""
    return json.dumps(published.as_stored(), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Difference:
    pointer: str  # where in our spec (after following $refs)
    message: str


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


def compare(document: dict[str, Any], published: Published) -> list[Difference]:
    """What our spec changes in the published operation."""
    method, path = published.method, published.path
    operation_pointer = join("/paths", path, method)
    operation = document.get("paths", {}).get(path, {})
    operation = operation.get(method) if isinstance(operation, dict) else None
    if not isinstance(operation, dict):
        return [Difference("/paths", f"the published operation {method.upper()} {path} is missing")]
    body = published.body
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
            published.responses,
            operation.get("responses"),
            join(operation_pointer, "responses"),
        )
    except RefError as error:
        return [Difference(operation_pointer, str(error))]
    return found
