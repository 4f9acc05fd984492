"""Deciding, where it can be decided from the text, whether one ``pattern`` accepts every string
another does. JSON Schema patterns are searched, not anchored: ``a`` matches ``"cat"``.

Only constructions that are sure either way are decided; everything else is ``None`` (unknown),
which diff reports as possibly breaking rather than guessing."""

from __future__ import annotations

import re

from token_api.spectools.ecma_regex import compile_pattern

# Whatever follows or precedes a match position can change whether these match there.
_CONTEXT = re.compile(r"\$|\\[ZzbBA]|\(\?[=!<]|\\[1-9]|\\k<")


def universal(pattern: str) -> bool:
    """Matches every string: empty, or able to match the empty string at position 0 with
    nothing that looks past it (``.*``, ``^.*``, ``x?``); not ``^.*$``: ``.`` stops at a
    newline."""
    if pattern == "":
        return True
    if _CONTEXT.search(pattern):
        return False
    compiled = compile_pattern(pattern)
    return compiled is not None and compiled.match("") is not None


def _alternatives(pattern: str) -> list[str] | None:
    """The top-level ``|`` branches, or None when the pattern cannot be split safely."""
    branches, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:index])
            start = index + 1
        index += 1
    if depth != 0 or in_class:
        return None
    return [*branches, pattern[start:]]


def _unwrap(pattern: str) -> str:
    """``^(?:X)$`` → ``^X$`` when the group spans the whole body."""
    body = pattern.removeprefix("^")
    body = body.removesuffix("$") if not body.endswith("\\$") else body
    for opening in ("(?:", "("):
        if body.startswith(opening) and body.endswith(")"):
            inner = body[len(opening) : -1]
            if _alternatives(inner) is not None and _balanced(inner):
                prefix = "^" if pattern.startswith("^") else ""
                suffix = "$" if pattern.endswith("$") and not pattern.endswith("\\$") else ""
                return prefix + inner + suffix if "|" not in inner else pattern
    return pattern


def _balanced(text: str) -> bool:
    depth = 0
    for index, char in enumerate(text):
        if char == "\\" or (index and text[index - 1] == "\\"):
            continue
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


def _anchored_branches(pattern: str) -> list[str] | None:
    """``^(?:A|B)$`` → [``^A$``, ``^B$``]; ``A|B`` → [``A``, ``B``]."""
    start, end = pattern.startswith("^"), pattern.endswith("$") and not pattern.endswith("\\$")
    body = pattern[1 if start else 0 : -1 if end else None]
    if body.startswith(("(?:", "(")) and body.endswith(")") and _balanced(body[1:-1]):
        inner = body[3:-1] if body.startswith("(?:") else body[1:-1]
        split = _alternatives(inner)
        if split and len(split) > 1:
            return [("^" if start else "") + b + ("$" if end else "") for b in split]
    if start or end:
        return None  # ^A|B$ anchors only the outer branches
    return _alternatives(pattern)


def generalizes(before: str, after: str) -> bool:
    """Every string ``before`` matches, ``after`` matches too (decided cases only)."""
    if universal(after) or _prefix_tighter(after, before):
        return True
    branches = _anchored_branches(after)
    return branches is not None and len(branches) > 1 and _unwrap(before) in branches


def specializes(before: str, after: str) -> bool:
    """Every string ``after`` matches, ``before`` matches too (decided cases only)."""
    if universal(before):
        return not universal(after)
    if _prefix_tighter(before, after):
        return True
    branches = _anchored_branches(before)
    return branches is not None and len(branches) > 1 and _unwrap(after) in branches


def _prefix_tighter(before: str, after: str) -> bool:
    """``^api_`` → ``^api_[A-Za-z0-9]{49}$``: anchored, no alternation, only something appended
    that does not quantify the last atom, so every match of the new pattern matches the old."""
    if not before.startswith("^") or "|" in after or before.endswith(("$", "\\")):
        return False
    suffix = after[len(before) :]
    return after.startswith(before) and bool(suffix) and not re.match(r"[?*+{]", suffix)
