"""OpenAPI patterns are ECMA-262 regular expressions; Python's ``re`` refuses a few of them
that browsers and most validators accept, ``[\\w-.]`` above all (a class escape next to ``-`` is
a literal hyphen in ECMA). Such a pattern is read here with that hyphen escaped; one still not
readable is ``None``, and callers skip it rather than fail on a valid document.

``searcher`` runs the pattern read so with RE2 (google-re2), in time linear in the string:
Python's ``re`` backtracks, and a repeat inside a repeat in real specs (beezup.com's
``^(https?:\\/\\/)?…([\\/\\w \\.-]*)*\\/?$``) takes it hours on an example it does not match."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import re2

Search = Callable[[str], bool]

# A pattern RE2 refuses (look-arounds, back-references, repeats over 1000) is expected, not
# worth a line on stderr per pattern.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False

# Inside a character class: a hyphen right after or right before a class escape.
_HYPHEN_AFTER = re.compile(r"(\\[dDsSwW])-")
_HYPHEN_BEFORE = re.compile(r"(?<!\\)-(\\[dDsSwW])")


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    for candidate in (pattern, _ecma_hyphens(pattern)):
        try:
            return re.compile(candidate)
        except (re.error, OverflowError):
            continue
    return None


@functools.lru_cache(maxsize=1024)
def searcher(pattern: str) -> Search | None:
    """Whether a string holds a match of the pattern (as ``compile_pattern`` reads it); None
    when the pattern cannot be read.

    RE2 runs every pattern it has the constructs for, not only those that would backtrack:
    one engine, no need to spot nested repeats, and RE2 is the closer to ECMA-262 (ASCII
    ``\\d``/``\\w``/``\\b``; ``$`` only at the very end, where ``re`` also takes it before a final
    newline). A pattern RE2 refuses keeps ``re``, which has what RE2 leaves out."""
    compiled = compile_pattern(pattern)
    if compiled is None:
        return None

    def backtracking(text: str) -> bool:
        return compiled.search(text) is not None

    try:
        linear = re2.compile(compiled.pattern, _RE2_OPTIONS)
    except (re2.error, UnicodeEncodeError):
        return backtracking

    def search(text: str) -> bool:
        try:
            return linear.search(text) is not None
        except UnicodeEncodeError:  # a lone surrogate (JSON "\\ud800") is not UTF-8, RE2's text
            return backtracking(text)

    return search


def _ecma_hyphens(pattern: str) -> str:
    def fix(match: re.Match[str]) -> str:
        inside = match.group(0)
        inside = _HYPHEN_AFTER.sub(r"\1\\-", inside)
        return _HYPHEN_BEFORE.sub(r"\\-\1", inside)

    return re.sub(r"\[(?:\\.|[^\]\\])*\]", fix, pattern)
