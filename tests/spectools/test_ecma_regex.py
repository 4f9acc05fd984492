"""ecma_regex.searcher: RE2's linear-time search, ECMA-262's verdicts, re for what RE2 lacks."""

from __future__ import annotations

import itertools
import re
import time

from token_api.spectools.ecma_regex import searcher

URL = r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$"  # beezup.com's spec
# Nested repeats and alternations under repeats (what backtracks), anchors, classes, bounds.
NESTED = [
    URL,
    r"^(a+)+$",
    r"(a|ab)*c",
    r"^(?:[a-z0-9]+(?:\.[a-z0-9]+)*)@x$",
    r"^((ab)*|b)+$",
    r"(\w+\s?)*\b$",
    r"^(a{1,2}){2,3}$",
    r"([^a]|a)*?b\B",
    r"^(\d+-)*\d+$",
    r"(x*)*$",
    r"^[\w-.]+$",  # read as ECMA: [\w\-.]
]
TEXTS = ["", "a", "ab", "aab", "abab", "ba", "a b", "aaaa", "aaaaaaa", "x.y@x", "1-2-3", "1--2",
         "http://www.a.com/b c", "https://e.org/x,y", "b_", "abc", "c", "a-b", "a.b"]  # fmt: skip


def test_a_string_that_would_backtrack_for_ages_is_answered() -> None:
    """re takes seconds on 14 letters before the comma (four times as long per two more)."""
    search = searcher(URL)
    assert search is not None
    started = time.perf_counter()
    assert not search("https://www.example.com/" + "a" * 14 + ",")
    assert time.perf_counter() - started < 0.5
    assert not search("https://www.example.com/" + "a" * 60 + ",")
    assert search("https://www.example.com/" + "a" * 60)


def test_same_answer_as_re_on_ascii_without_newlines() -> None:
    """Where ECMA, RE2 and re agree: ASCII (\\d, \\w, \\b), no newline before the end ($)."""
    for pattern in NESTED:
        search, compiled = searcher(pattern), re.compile(pattern.replace(r"\w-", r"\w\-"))
        assert search is not None
        for text in TEXTS:
            assert search(text) == (compiled.search(text) is not None), (pattern, text)
        for size in range(5):
            for letters in itertools.product("ab-1 ", repeat=size):
                text = "".join(letters)
                assert search(text) == (compiled.search(text) is not None), (pattern, text)


def test_ecma_verdicts_where_re_differs() -> None:
    """ECMA-262: $ is the end of the string (re also takes it before a final newline), \\d is
    0-9 (re also takes other scripts' digits)."""
    end, digits = searcher(r"^[a-z]+$"), searcher(r"^\d+$")
    assert end is not None and digits is not None
    assert re.search(r"^[a-z]+$", "abc\n") and re.search(r"^\d+$", "١٢")
    assert [end("abc"), end("abc\n")] == [True, False]
    assert [digits("12"), digits("١٢")] == [True, False]


def test_unicode_strings_are_searched_by_character() -> None:
    search = searcher(r"^[à-ÿ].{2}$")
    assert search is not None
    assert [search("é😀x"), search("éx"), search("ex😀")] == [True, False, False]


def test_a_lone_surrogate_is_searched_by_re() -> None:
    """JSON's "\\ud800" reads as a str UTF-8 cannot hold; RE2 searches UTF-8."""
    search = searcher(r"^a.$")
    assert search is not None
    assert [search("a\ud800"), search("b\ud800")] == [True, False]


def test_what_re2_lacks_keeps_re() -> None:
    back_reference, look_ahead = searcher(r"^((a)\2)+$"), searcher(r"^(?!x)\w+$")
    assert back_reference is not None and look_ahead is not None
    assert [back_reference(t) for t in ("aa", "aaaa", "aaa")] == [True, True, False]
    assert [look_ahead(t) for t in ("ab", "xb")] == [True, False]


def test_unreadable_pattern_is_none() -> None:
    assert searcher("(unclosed") is None
