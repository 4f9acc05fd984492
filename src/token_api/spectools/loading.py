"""Reading a spec from a file or from git (``git:REF[:PATH]``), as plain JSON-like data."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from token_api.spectools import DEFAULT_SPEC, yaml_events

GIT_PREFIX = "git:"

try:
    from yaml import CSafeLoader as _Base  # libyaml: several times faster
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Base  # type: ignore[assignment]


class _Loader(_Base):
    """YAML 1.1 would turn ``2030-01-01`` into a date: a JSON document has only strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


class LoadError(Exception):
    """The spec cannot be read or parsed; one sentence."""


@dataclass(frozen=True)
class Spec:
    document: dict[str, Any]
    label: str  # what the user named, for messages
    path: Path | None  # the file on disk, None for a git revision
    text: str = field(default="", repr=False, compare=False)  # as read, for line numbers


def string_keys(node: Any) -> Any:
    """Unquoted status codes are integers in YAML, dates are dates; JSON and OpenAPI keys are
    strings."""
    if isinstance(node, dict):
        return {str(key): string_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [string_keys(item) for item in node]
    return node


def parse(text: str, label: str) -> dict[str, Any]:
    if text.lstrip()[:1] == "{":
        # JSON (a YAML subset) through a JSON parser: many times faster on large descriptions.
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # YAML flow style, or JSON with what YAML allows: the YAML parser decides
        else:
            if isinstance(document, dict):
                return document
    try:
        try:
            document = yaml_events.load(text, _Loader.yaml_implicit_resolvers)
        except yaml_events.Unusual:
            document = string_keys(yaml.load(text, Loader=_Loader))  # a safe loader, see above
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid syntax"
        raise LoadError(f"{label} is not YAML or JSON{where}: {problem}.") from None
    if not isinstance(document, dict):
        raise LoadError(f"{label} does not hold an OpenAPI document (a mapping).")
    return document


def load_file(path: Path) -> Spec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError(f"{path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(f"Cannot read {path}: {error}.") from None
    return Spec(parse(text, str(path)), str(path), path, text)


def load_git(spec: str) -> Spec:
    """``git:REF`` or ``git:REF:PATH``; PATH is relative to the repository root."""
    ref, _, path = spec[len(GIT_PREFIX) :].partition(":")
    if not ref:
        raise LoadError(f"{spec} names no revision: write git:REF or git:REF:PATH.")
    try:
        shown = subprocess.run(
            ["git", "show", f"{ref}:{path or DEFAULT_SPEC}"],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LoadError(f"Cannot run git to read {spec}: {error}.") from None
    if shown.returncode != 0:
        reason = shown.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[0].removeprefix("fatal: ") if reason else f"git exited {shown.returncode}"
        raise LoadError(f"Cannot read {spec} from git: {detail.rstrip('.')}.")
    try:
        text = shown.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise LoadError(f"{spec} is not UTF-8 text.") from None
    return Spec(parse(text, spec), spec, None, text)


def load(source: str) -> Spec:
    """A file path, or ``git:REF[:PATH]``."""
    if source.startswith(GIT_PREFIX):
        return load_git(source)
    return load_file(Path(source))
