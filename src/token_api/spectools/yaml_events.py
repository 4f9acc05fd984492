"""A spec's YAML built straight from libyaml's parse events.

PyYAML's loader turns every scalar into a node, resolves its type through Python regexes and
constructs it through several layers of calls: about 1.4 s for GitHub's 2.7 MB description. The
same values built from the C parser's events take a sixth of that. Only what OpenAPI documents
use is handled here (mappings, sequences, scalars resolved as PyYAML's safe loader does, anchors
and aliases); anything else (merge keys, explicit non-core tags, complex keys, several
documents) raises ``Unusual`` and the caller uses PyYAML's own loader, which gives the same
values more slowly, or its error.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

try:
    from yaml._yaml import CParser as _CParser

    CParser: type[Any] | None = _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

_CORE = "tag:yaml.org,2002:"
_CONSTRUCT = yaml.constructor.SafeConstructor()
Resolvers = dict[str, list[tuple[str, re.Pattern[str]]]]


class Unusual(Exception):
    """Something this reader leaves to PyYAML's loader."""


def _scalar(event: Any, resolvers: Resolvers) -> Any:
    value: str = event.value
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return value  # quoted: a string
        for resolved, pattern in resolvers.get(value[:1], ()):
            if pattern.match(value):
                tag = resolved
                break
        else:
            return value
    if not tag.startswith(_CORE):
        raise Unusual(tag)
    kind = tag[len(_CORE) :]
    if kind in ("str", "timestamp"):  # timestamps stay strings, as JSON has them
        return value
    node = yaml.ScalarNode(tag, value)
    if kind == "null":
        return None
    if kind == "bool":
        return _CONSTRUCT.construct_yaml_bool(node)
    if kind == "int":
        return _CONSTRUCT.construct_yaml_int(node)
    if kind == "float":
        return _CONSTRUCT.construct_yaml_float(node)
    raise Unusual(tag)  # merge keys, binary, ...


def load(text: str, resolvers: Resolvers) -> Any:
    """The first document's value, keys as strings (``200:`` is the status ``"200"``)."""
    if CParser is None:
        raise Unusual("no libyaml")
    parser = CParser(text)
    containers: list[Any] = []  # the open mappings and sequences, innermost last
    keys: list[Any] = []  # for each open mapping, the key waiting for its value (or _NO_KEY)
    anchors: dict[str, Any] = {}
    root: Any = None
    documents = 0
    while True:
        event: Any = parser.get_event()
        kind = type(event)
        if kind is ScalarEvent:
            value = _scalar(event, resolvers)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.tag is not None and event.tag not in (_CORE + "map", _CORE + "seq", "!"):
                raise Unusual(event.tag)
            container: Any = {} if kind is MappingStartEvent else []
            if event.anchor:
                anchors[event.anchor] = container
            containers.append(container)
            keys.append(_NO_KEY)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = containers.pop()
            keys.pop()
        elif kind is AliasEvent:
            if event.anchor not in anchors:
                raise Unusual(event.anchor)  # PyYAML says which anchor is undefined
            value = anchors[event.anchor]
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise Unusual("several documents")
            continue
        elif kind is StreamEndEvent:
            return root
        else:
            continue
        if kind is ScalarEvent and event.anchor:
            anchors[event.anchor] = value
        if not containers:
            root = value
            continue
        top = containers[-1]
        if type(top) is list:
            top.append(value)
        elif keys[-1] is _NO_KEY:
            if isinstance(value, dict | list):
                raise Unusual("a complex key")
            keys[-1] = value if type(value) is str else str(value)
        else:
            top[keys[-1]] = value
            keys[-1] = _NO_KEY


_NO_KEY = object()
