"""What a proxy run found: per rule and side, how many exchanges it judged and broke, and the
first few violations with a curl that replays the request (its credential redacted)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from token_api.conformance.redaction import Redactor
from token_api.proxy.exchange import SIDES, Violation
from token_api.proxy.judge import Judgement
from token_api.spectools.openapi import contract_rules

# Violations kept per rule and side, for the reports; the rest are counted.
EXAMPLES = 3
OUTSIDE = "(outside the contract)"


def rules_of(document: Mapping[str, Any]) -> dict[str, str]:
    """The contract's rules (``x-rules`` of its operations): id -> sentence, in order."""
    found: dict[str, str] = {}
    for rule in contract_rules(dict(document)):
        found.setdefault(rule.id, rule.text)
    return found


@dataclass(frozen=True, slots=True)
class Example:
    violation: Violation
    curl: str  # redacted


@dataclass(slots=True)
class Count:
    judged: int = 0
    violations: int = 0
    examples: list[Example] = field(default_factory=list)


@dataclass(slots=True)
class Summary:
    """How the exchanges went, beside the rules: what the reports' header says."""

    upstream: str
    spec: str
    listen: str
    errors: bool
    record: str | None
    started: float = field(default_factory=time.time)
    ended: float | None = None
    exchanges: int = 0
    outside: int = 0  # matched no operation of the contract
    refused: int = 0  # answered 422 by the proxy (--errors)
    unanswered: int = 0  # the upstream gave no answer (502, 504 from the proxy)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    @property
    def duration(self) -> float:
        return (self.ended or time.time()) - self.started


class Findings:
    def __init__(
        self,
        rules: Mapping[str, str],
        summary: Summary,
        emit: Callable[[str], None],
        redact: Redactor | None = None,
    ) -> None:
        self.rules = dict(rules)  # id -> sentence, from the contract
        self.summary = summary
        self.counts: dict[tuple[str, str], Count] = {}
        self._emit = emit
        self.redact = redact or Redactor()

    def begin(self) -> int:
        """A new exchange; its number."""
        self.summary.exchanges += 1
        return self.summary.exchanges

    def add(
        self,
        judgement: Judgement,
        number: int,
        status: int | None,
        *,
        by_proxy: bool,
        started: float,
        curl: Callable[[], str],
    ) -> list[Violation]:
        """Count the exchange's verdicts; print and keep its violations."""
        summary = self.summary
        label = judgement.label if judgement.operation is not None else OUTSIDE
        if judgement.operation is None:
            summary.outside += 1
        if status is not None:
            summary.statuses[(label, status)] += 1
        found = []
        command: str | None = None
        for rule, side, problem in judgement.verdicts:
            count = self.counts.get((rule, side))
            if count is None:
                count = self.counts[(rule, side)] = Count()
            count.judged += 1
            if problem is None:
                continue
            count.violations += 1
            violation = Violation(
                rule,
                side,
                judgement.label,
                self.redact(problem),
                status,
                by_proxy,
                number,
                started,
            )
            found.append(violation)
            self._emit(violation.line())
            if len(count.examples) < EXAMPLES:
                command = command or self.redact(curl())
                count.examples.append(Example(violation, command))
        return found

    def total(self) -> int:
        return sum(count.violations for count in self.counts.values())

    def rows(self) -> list[tuple[str, str, str, Count | None]]:
        """(rule id, side, sentence, count) for every rule of the contract and side the proxy
        judged, the contract's order, then any judged rule the contract does not list."""
        ids = list(self.rules) + sorted({rule for rule, _ in self.counts} - set(self.rules))
        rows = []
        for rule in ids:
            sides = [side for side in SIDES if (rule, side) in self.counts]
            for side in sides or [""]:
                rows.append((rule, side, self.rules.get(rule, ""), self.counts.get((rule, side))))
        return rows

    @property
    def exit_code(self) -> int:
        return 1 if self.total() else 0
