"""OpenAPI patterns are ECMA-262 regular expressions; Python's ``re`` refuses a few of them
that browsers and most validators accept, ``[\\w-.]`` above all (a class escape next to ``-`` is
a literal hyphen in ECMA). Such a pattern is read here with that hyphen escaped; one still not
readable is ``None``, and callers skip it rather than fail on a valid document."""

from __future__ import annotations

import functools
import re

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


def _ecma_hyphens(pattern: str) -> str:
    def fix(match: re.Match[str]) -> str:
        inside = match.group(0)
        inside = _HYPHEN_AFTER.sub(r"\1\\-", inside)
        return _HYPHEN_BEFORE.sub(r"\\-\1", inside)

    return re.sub(r"\[(?:\\.|[^\]\\])*\]", fix, pattern)
