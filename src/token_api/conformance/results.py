"""What a run found: per check, how many cases it judged (per rule), its first counter-example,
its verdict; and which documented statuses were seen."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from token_api.conformance import registry
from token_api.conformance.coverage import Coverage


class Verdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class CounterExample:
    """A failing case: what went wrong, and curl commands (credentials redacted) that replay it.

    Stateful cases have several steps: the call that minted a token, then the call that used it.
    """

    problem: str
    steps: tuple[str, ...]
    status: int | None = None


@dataclass(slots=True)
class Tally:
    cases: int = 0
    failures: int = 0
    first: CounterExample | None = None
    skip_reason: str | None = None
    partial_reason: str | None = None
    # rule id -> [cases, failures], for checks that judge several rules
    by_rule: dict[str, list[int]] = field(default_factory=dict)

    def count(self, rule: str | None, failed: bool) -> None:
        self.cases += 1
        self.failures += failed
        if rule is not None:
            counts = self.by_rule.setdefault(rule, [0, 0])
            counts[0] += 1
            counts[1] += failed

    def merge(self, other: Tally) -> None:
        self.cases += other.cases
        self.failures += other.failures
        self.first = self.first or other.first
        self.skip_reason = self.skip_reason or other.skip_reason
        self.partial_reason = self.partial_reason or other.partial_reason
        for rule, (cases, failures) in other.by_rule.items():
            counts = self.by_rule.setdefault(rule, [0, 0])
            counts[0] += cases
            counts[1] += failures


class Tallies:
    """Check name -> Tally, and the statuses seen per operation; safe to fill from threads."""

    def __init__(self) -> None:
        self._tallies: dict[str, Tally] = {}
        self.statuses: set[tuple[str, int]] = set()  # (operation label, status)
        self._lock = threading.Lock()

    def passed(self, name: str, rule: str | None = None) -> None:
        with self._lock:
            self._tallies.setdefault(name, Tally()).count(rule, False)

    def failed(self, name: str, example: CounterExample, rule: str | None = None) -> None:
        with self._lock:
            tally = self._tallies.setdefault(name, Tally())
            tally.count(rule, True)
            tally.first = tally.first or example

    def skip(self, name: str, reason: str) -> None:
        with self._lock:
            tally = self._tallies.setdefault(name, Tally())
            tally.skip_reason = tally.skip_reason or reason

    def partial(self, name: str, reason: str) -> None:
        with self._lock:
            tally = self._tallies.setdefault(name, Tally())
            tally.partial_reason = tally.partial_reason or reason

    def observe(self, operation: str, status: int) -> None:
        with self._lock:
            self.statuses.add((operation, status))

    def merge(self, other: Tallies) -> None:
        for name, tally in other.items():
            with self._lock:
                self._tallies.setdefault(name, Tally()).merge(tally)
        with self._lock:
            self.statuses |= other.statuses

    def items(self) -> list[tuple[str, Tally]]:
        with self._lock:
            return list(self._tallies.items())

    def get(self, name: str) -> Tally | None:
        with self._lock:
            return self._tallies.get(name)


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    source: str
    description: str
    rules: tuple[str, ...]
    verdict: Verdict
    cases: int
    failures: int
    first: CounterExample | None
    reason: str | None  # why it was skipped
    partial: str | None = None  # what it could not try, when it ran in part
    by_rule: dict[str, tuple[int, int]] = field(default_factory=dict)

    def assert_passed(self) -> None:
        """Raise AssertionError with the first counter-example unless the check passed."""
        __tracebackhide__ = True
        if self.verdict is Verdict.FAIL:
            steps = "\n".join(self.first.steps) if self.first else ""
            raise AssertionError(f"{self.line}\n{steps}".rstrip())

    @property
    def line(self) -> str:
        """One sentence for the check, as pytest and the reports print it."""
        if self.verdict is Verdict.SKIP:
            return f"{self.name}: skipped ({self.reason})"
        if self.verdict is Verdict.PASS:
            partly = f"; partial: {self.partial}" if self.partial else ""
            return f"{self.name}: passed ({self.cases} cases{partly})"
        problem = self.first.problem if self.first else "failed"
        return f"{self.name}: failed in {self.failures} of {self.cases} cases; first: {problem}"

    def rule_counts(self, rule: str) -> tuple[int, int]:
        """(cases, failures) of this check for ``rule``."""
        if rule in self.by_rule:
            return self.by_rule[rule]
        if rule in self.rules and len(self.rules) == 1:
            return self.cases, self.failures
        return 0, 0


def verdicts(tallies: Tallies, not_run: dict[str, str] | None = None) -> list[CheckResult]:
    """One result per check: the registry's order, then any check the registry does not know.
    ``not_run``: checks skipped whatever their tally says (not selected, or inapplicable), with
    the reason."""
    not_run = not_run or {}
    known = registry.checks()
    names = [check.name for check in known]
    names += [name for name, _ in tallies.items() if name not in names]
    results = []
    for name in names:
        tally = tallies.get(name) or Tally()
        check = registry.get(name)
        reason = tally.skip_reason
        if name in not_run:
            verdict, reason = Verdict.SKIP, not_run[name]
            tally = Tally(skip_reason=reason)
        elif tally.failures:
            verdict = Verdict.FAIL
        elif tally.cases == 0:
            verdict, reason = Verdict.SKIP, reason or "no response exercised it"
        else:
            verdict, reason = Verdict.PASS, None
        results.append(
            CheckResult(
                name=name,
                source=check.source,
                description=check.description,
                rules=check.rules,
                verdict=verdict,
                cases=tally.cases,
                failures=tally.failures,
                first=tally.first,
                reason=reason,
                partial=tally.partial_reason if verdict is not Verdict.SKIP else None,
                by_rule={rule: (c[0], c[1]) for rule, c in tally.by_rule.items()},
            )
        )
    return results


@dataclass(slots=True)
class RunInfo:
    """How the run was made, for the reports and for replaying it."""

    base_url: str
    spec: str
    seed: int
    max_examples: int | None
    phases: tuple[str, ...]
    workspaces: tuple[str, ...]
    rate_limit: str | None
    long_lived_tokens: bool
    callers: tuple[str, ...] = ()  # who the run called as (emails and roles, never credentials)
    key_probe: str | None = None
    checks: tuple[str, ...] = ()  # the checks selected (--checks); empty: all
    require_coverage: bool = False
    schemathesis_version: str = ""
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)


def _unchanged(text: str) -> str:
    return text


@dataclass(slots=True)
class Report:
    info: RunInfo
    results: list[CheckResult]
    coverage: Coverage
    # Knows every secret the run saw; each output goes through it.
    redact: Callable[[str], str] = _unchanged

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.verdict is Verdict.FAIL]

    @property
    def coverage_failed(self) -> bool:
        """--require-coverage, and a rule got no probe or a status that can be caused was not."""
        return self.info.require_coverage and not self.coverage.complete

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.coverage_failed else 0

    def result(self, name: str) -> CheckResult | None:
        return next((r for r in self.results if r.name == name), None)
