"""linear_regex: the same yes/no as re.search, without exponential backtracking."""

from __future__ import annotations

import itertools
import re

import pytest

from token_api.spectools.linear_regex import searcher

# Nested repeats and alternations under repeats (the patterns linear_regex runs itself), with
# anchors, classes, categories, optional and bounded parts.
NESTED = [
    r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$",
    r"^(a+)+$",
    r"(a|ab)*c",
    r"^(?:[a-z0-9]+(?:\.[a-z0-9]+)*)@x$",
    r"^((ab)*|b)+$",
    r"(\w+\s?)*\b$",
    r"^(a{1,2}){2,3}$",
    r"([^a]|a)*?b\B",
    r"^(\d+-)*\d+$",
    r"(x*)*$",
]
TEXTS = ["", "\n", "a", "ab", "aab\n", "abab", "ba", "a b", "aaaa", "aaaaaaa", "x.y@x", "1-2-3",
         "1--2", "http://www.a.com/b c", "https://e.org/x,y", "b_", "abc", "c", "a-b"]  # fmt: skip


@pytest.mark.parametrize("pattern", NESTED)
def test_same_answer_as_re(pattern: str) -> None:
    search = searcher(pattern)
    assert search is not None
    compiled = re.compile(pattern)
    for text in TEXTS:
        assert search(text) == (compiled.search(text) is not None), text


def test_patterns_without_nested_repeats_keep_re() -> None:
    for pattern in (r"^[a-z]+$", r"^\d{3}-\w*$", "a|b"):
        search = searcher(pattern)
        assert search is not None
        for text in ("abc", "123-x", "b", ""):
            assert search(text) == (re.search(pattern, text) is not None)


def test_unreadable_pattern_is_none() -> None:
    assert searcher("(unclosed") is None


def test_back_references_keep_re() -> None:
    search = searcher(r"^((a)\2)+$")
    assert search is not None
    assert [search(t) for t in ("aa", "aaaa", "aaa")] == [True, True, False]


def test_a_string_that_would_backtrack_for_ages_is_answered() -> None:
    """re would try about 2^60 ways to split the path before saying no."""
    search = searcher(NESTED[0])
    assert search is not None
    assert not search("https://www.example.com/" + "a" * 60 + ",")
    assert search("https://www.example.com/" + "a" * 60)


def test_every_short_string_over_a_small_alphabet() -> None:
    for pattern in NESTED[1:]:
        search, compiled = searcher(pattern), re.compile(pattern)
        assert search is not None
        for size in range(5):
            for letters in itertools.product("ab-1 \n", repeat=size):
                text = "".join(letters)
                assert search(text) == (compiled.search(text) is not None), (pattern, text)
