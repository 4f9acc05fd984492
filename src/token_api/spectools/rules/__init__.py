"""Lint rules: each a function from the spec to (location, message) pairs, under a rule id.

A rule that cannot run (the published contract is not there, say) raises ``Skipped``: the run
reports it as an ``info`` finding rather than passing it silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from token_api.spectools import handler_source, openapi

Issue = tuple[str, str]  # (JSON pointer, one-line message)


class Skipped(Exception):
    """The rule did not run; the message says why, in one sentence."""


@dataclass
class Context:
    document: dict[str, Any]
    path: Path | None  # the spec file, None when it came from elsewhere
    handlers_module: str = handler_source.DEFAULT_MODULE
    published: Path | None = None  # a page or folder given by the user

    @cached_property
    def operations(self) -> list[openapi.Operation]:
        return list(openapi.operations(self.document))

    @cached_property
    def handlers(self) -> handler_source.HandlerModule:
        return handler_source.load(self.handlers_module)


Check = Callable[[Context], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    check: Check


RULES: dict[str, Rule] = {}


def rule(rule_id: str, summary: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES[rule_id] = Rule(rule_id, summary, check)
        return check

    return register
