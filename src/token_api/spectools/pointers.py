"""JSON pointers (RFC 6901) and the document's local ``$ref`` s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote


class RefError(Exception):
    """A ``$ref`` that does not lead anywhere in the document; one sentence."""


def escape(token: object) -> str:
    text = str(token)
    if "~" in text or "/" in text:  # rare: most tokens are names and keywords
        return text.replace("~", "~0").replace("/", "~1")
    return text


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(base: str, *tokens: object) -> str:
    """``join("/paths", "/health", "get")`` → ``/paths/~1health/get``."""
    if len(tokens) == 1:
        return base + "/" + escape(tokens[0])
    return base + "".join(["/" + escape(token) for token in tokens])


def lookup(document: Any, pointer: str) -> Any:
    """The node at ``pointer``; KeyError when there is none."""
    node = document
    if not pointer:
        return node
    for raw in pointer.lstrip("/").split("/"):
        token = unescape(raw)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(pointer)
    return node


def target(ref: object) -> str:
    """The pointer a local ``$ref`` names, as written; RefError for anything else."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise RefError(f"$ref {ref!r} is not a reference within the document (#/...).")
    return ref[1:]


def locate(document: Any, ref: object) -> tuple[Any, str]:
    """The node a local ``$ref`` names and its pointer; KeyError when there is none.

    A ``$ref`` is a URI, so its fragment is percent-encoded (RFC 6901 §6): ``~1%7Bid%7D`` is
    the path ``/{id}``. The pointer returned is the decoded one, spelled like every other
    pointer here. A fragment that only resolves as written (a ``%`` in a name, unencoded) is
    taken as written rather than called broken.
    """
    pointer = target(ref)
    if "%" in pointer:
        decoded = unquote(pointer)
        if decoded != pointer:
            try:
                return lookup(document, decoded), decoded
            except KeyError:
                pass
    return lookup(document, pointer), pointer


def deref(document: Any, node: Any, where: str) -> tuple[Any, str]:
    """Follow ``$ref`` chains to the node they name, with its pointer."""
    seen = {where}
    while isinstance(node, dict) and "$ref" in node:
        try:
            found, pointer = locate(document, node["$ref"])
        except KeyError:
            raise RefError(f"$ref {node['$ref']!r} at {where} points to nothing.") from None
        if pointer in seen:
            raise RefError(f"$ref at {where} is circular.")
        seen.add(pointer)
        node, where = found, pointer
    return node, where


# Keywords whose values are data, not OpenAPI: a "$ref" key in an example is part of the example.
DATA_KEYS = frozenset({"example", "default", "enum", "const", "value"})
# Keywords whose values map names (of properties, statuses, media types...) to objects: there a
# key spelled "default" or "example" is a name, and its value is an object like any other.
NAME_MAPS = frozenset(
    {
        "properties",
        "patternProperties",
        "dependentSchemas",
        "$defs",
        "definitions",
        "paths",
        "webhooks",
        "responses",
        "content",
        "headers",
        "encoding",
        "links",
        "callbacks",
        "variables",
        "schemas",
        "parameters",
        "requestBodies",
        "securitySchemes",
        "pathItems",
    }
)


def iter_refs(node: Any, where: str = "", *, names: bool = False) -> Iterator[tuple[str, Any]]:
    """Every ``$ref`` that is a reference, with the pointer of the object holding it; ``names``
    is true when ``node`` maps names to objects. Example values, defaults, enums and extensions
    are data and are not searched."""
    if isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                yield from iter_refs(value, join(where, index))
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node and not names:
        yield where, node["$ref"]
    for key, value in node.items():
        if not isinstance(value, dict | list):
            continue
        if names:
            yield from iter_refs(value, join(where, key))
        elif key in DATA_KEYS or key.startswith("x-"):
            continue
        elif key == "examples":
            # A map of Example Objects (or references to them); a schema's list is data.
            if isinstance(value, dict):
                for name, example in value.items():
                    yield from iter_refs(example, join(where, key, name))
        else:
            yield from iter_refs(value, join(where, key), names=key in NAME_MAPS)


def broken_refs(document: Any) -> list[tuple[str, str]]:
    """(where, sentence) for every ``$ref`` that cannot be followed."""
    broken = []
    for where, ref in iter_refs(document):
        try:
            locate(document, ref)
        except RefError as error:
            broken.append((where, str(error)))
        except KeyError:
            broken.append((where, f"$ref {ref!r} points to nothing."))
    return broken
