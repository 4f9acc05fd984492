"""Lint rules: each a function from the spec to (location, message) pairs, under a rule id."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from token_api.server.layout import HANDLERS_MODULE
from token_api.spectools import handler_source, openapi
from token_api.spectools.published import Published

Issue = tuple[str, str]  # (JSON pointer, one-line message)


@dataclass
class Context:
    document: dict[str, Any]
    path: Path | None  # the spec file, None when it came from elsewhere
    handlers_module: str = HANDLERS_MODULE
    published: Published | None = None  # given by the user; None: the stored one

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
