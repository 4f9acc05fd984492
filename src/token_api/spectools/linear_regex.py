"""Pattern searches that take time linear in the string, for patterns that would backtrack.

Python's ``re`` (like ECMA engines) backtracks: a pattern with a repeat inside a repeat, such as
``^(https?://)?…([\\/\\w .-]*)*/?$`` in real specs, tries exponentially many ways to split a string
it does not match (a 100-character URL with a comma: longer than the age of the universe). Such a
pattern is run here as a set of states advanced one character at a time (Thompson's
construction, a Pike VM without captures): the same yes/no as ``re.search``, at a cost of
string length times pattern size. Patterns without nested repeats keep ``re``: its C loop is
faster and their backtracking is bounded. A nested pattern using what a state set cannot follow
(back-references, look-arounds, atomic groups, flags) keeps ``re`` too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from re import _constants as _c  # re's own parser (Python 3.11+): the pattern re would run
from re import _parser
from typing import Any

from token_api.spectools.ecma_regex import compile_pattern

Search = Callable[[str], bool]
_MAX_PROGRAM = 20_000  # instructions; a larger pattern ({1,5000} repeats) keeps re
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT)


class _Unsupported(Exception):
    """A construct a state set cannot follow: the pattern keeps re."""


@functools.lru_cache(maxsize=1024)
def searcher(pattern: str) -> Search | None:
    """``re.search(pattern, s) is not None`` as a function of s, linear where the pattern
    would backtrack; None when the pattern cannot be read (see ecma_regex)."""
    compiled = compile_pattern(pattern)
    if compiled is None:
        return None
    plain = lambda text: compiled.search(text) is not None  # noqa: E731
    if compiled.flags & ~re.UNICODE:
        return plain
    tree = _parser.parse(compiled.pattern)
    if not _nested(tree.data, inside_repeat=False):
        return plain
    try:
        program = _Compiler().program(tree.data)
    except _Unsupported:
        return plain
    return functools.partial(_search, program)


def _nested(items: Any, *, inside_repeat: bool) -> bool:
    """Whether a repeat holds another repeat or an alternation: what backtracks exponentially."""
    for op, av in items:
        if op in _REPEATS or op is _c.POSSESSIVE_REPEAT:
            _low, high, body = av
            if high > 1 and inside_repeat:
                return True
            if _nested(body.data, inside_repeat=inside_repeat or high > 1):
                return True
        elif op is _c.BRANCH:
            if inside_repeat:
                return True
            if any(_nested(alt.data, inside_repeat=False) for alt in av[1]):
                return True
        elif op is _c.SUBPATTERN or op is _c.ATOMIC_GROUP:
            body = av[-1] if op is _c.SUBPATTERN else av
            if _nested(body.data, inside_repeat=inside_repeat):
                return True
    return False


# Instructions: ("char", predicate) consumes one character; ("split", a, b) and ("jump", a) move;
# ("at", kind) asserts a position; ("match",) ends.
Instruction = tuple[Any, ...]


class _Compiler:
    def __init__(self) -> None:
        self.code: list[Instruction] = []

    def program(self, items: Any) -> list[Instruction]:
        self.sequence(items)
        self.code.append(("match",))
        return self.code

    def emit(self, instruction: Instruction) -> int:
        if len(self.code) >= _MAX_PROGRAM:
            raise _Unsupported("pattern too large")
        self.code.append(instruction)
        return len(self.code) - 1

    def sequence(self, items: Any) -> None:
        for op, av in items:
            self.item(op, av)

    def item(self, op: Any, av: Any) -> None:
        if op is _c.LITERAL or op is _c.NOT_LITERAL or op is _c.ANY or op is _c.IN:
            self.emit(("char", _predicate(op, av)))
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if add_flags or del_flags:
                raise _Unsupported("inline flags")
            self.sequence(body.data)
        elif op is _c.BRANCH:
            self.branch(av[1])
        elif op in _REPEATS:
            self.repeat(*av)
        elif op is _c.AT and av in _ASSERTIONS:
            self.emit(("at", av))
        else:  # back-references, look-arounds, atomic groups, possessive repeats
            raise _Unsupported(str(op))

    def branch(self, alternatives: Any) -> None:
        jumps = []
        for alternative in alternatives[:-1]:
            split = self.emit(("split", 0, 0))
            self.sequence(alternative.data)
            jumps.append(self.emit(("jump", 0)))
            self.code[split] = ("split", split + 1, len(self.code))
        self.sequence(alternatives[-1].data)
        for jump in jumps:
            self.code[jump] = ("jump", len(self.code))

    def repeat(self, low: int, high: int, body: Any) -> None:
        # Greedy or lazy does not change whether there is a match, only which one.
        for _ in range(low):
            self.sequence(body.data)
        if high is _c.MAXREPEAT:
            split = self.emit(("split", 0, 0))
            self.sequence(body.data)
            self.emit(("jump", split))
            self.code[split] = ("split", split + 1, len(self.code))
            return
        splits = []
        for _ in range(high - low):
            splits.append(self.emit(("split", 0, 0)))
            self.sequence(body.data)
        for split in splits:
            self.code[split] = ("split", split + 1, len(self.code))


_ASSERTIONS = (
    _c.AT_BEGINNING,
    _c.AT_BEGINNING_STRING,
    _c.AT_END,
    _c.AT_END_STRING,
    _c.AT_BOUNDARY,
    _c.AT_NON_BOUNDARY,
)


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # re's \w on str patterns


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    _c.CATEGORY_DIGIT: str.isdecimal,
    _c.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    _c.CATEGORY_SPACE: str.isspace,
    _c.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    _c.CATEGORY_WORD: _word,
    _c.CATEGORY_NOT_WORD: lambda ch: not _word(ch),
}


def _predicate(op: Any, av: Any) -> Callable[[str], bool]:
    if op is _c.LITERAL:
        return chr(av).__eq__
    if op is _c.NOT_LITERAL:
        return chr(av).__ne__
    if op is _c.ANY:
        return "\n".__ne__  # no DOTALL: the flags were checked
    tests: list[Callable[[str], bool]] = []
    negate = False
    for kind, value in av:
        if kind is _c.NEGATE:
            negate = True
        elif kind is _c.LITERAL:
            tests.append(chr(value).__eq__)
        elif kind is _c.RANGE:
            tests.append(functools.partial(_in_range, *value))
        elif kind is _c.CATEGORY and value in _CATEGORIES:
            tests.append(_CATEGORIES[value])
        else:
            raise _Unsupported(str(kind))
    cache: dict[str, bool] = {}

    def member(ch: str) -> bool:
        found = cache.get(ch)
        if found is None:
            found = cache[ch] = any(test(ch) for test in tests) != negate
        return found

    return member


def _in_range(low: int, high: int, ch: str) -> bool:
    return low <= ord(ch) <= high


def _holds(kind: Any, text: str, at: int) -> bool:
    end = len(text)
    if kind is _c.AT_BEGINNING or kind is _c.AT_BEGINNING_STRING:
        return at == 0
    if kind is _c.AT_END:  # re's $: the end, or just before a final newline
        return at == end or (at == end - 1 and text[at] == "\n")
    if kind is _c.AT_END_STRING:
        return at == end
    if end == 0:  # re finds neither \b nor \B in an empty string
        return False
    before = at > 0 and _word(text[at - 1])
    after = at < end and _word(text[at])
    return (before != after) == (kind is _c.AT_BOUNDARY)


def _search(program: list[Instruction], text: str) -> bool:
    """Whether the program matches somewhere in text: every state at once, one step a character."""
    states: list[int] = []
    for at in range(len(text) + 1):
        seen: set[int] = set()
        following: list[int] = []
        # States reached without consuming: from the last step's, and a new start (search).
        pending = [*reversed(states), 0]
        while pending:
            pc = pending.pop()
            if pc in seen:
                continue
            seen.add(pc)
            instruction = program[pc]
            kind = instruction[0]
            if kind == "char":
                following.append(pc)
            elif kind == "split":
                pending += (instruction[2], instruction[1])
            elif kind == "jump":
                pending.append(instruction[1])
            elif kind == "at":
                if _holds(instruction[1], text, at):
                    pending.append(pc + 1)
            else:
                return True
        if at == len(text):
            return False
        ch = text[at]
        states = [pc + 1 for pc in following if program[pc][1](ch)]
    return False
