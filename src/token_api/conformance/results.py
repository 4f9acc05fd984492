"""What a run found: per check, how many cases it judged, its first counter-example, its verdict."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from token_api.conformance import catalogue


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

    def passed(self) -> None:
        self.cases += 1

    def failed(self, example: CounterExample) -> None:
        self.cases += 1
        self.failures += 1
        if self.first is None:
            self.first = example

    def merge(self, other: Tally) -> None:
        self.cases += other.cases
        self.failures += other.failures
        self.first = self.first or other.first
        self.skip_reason = self.skip_reason or other.skip_reason


class Tallies:
    """Check name -> Tally, safe to fill from several threads."""

    def __init__(self) -> None:
        self._tallies: dict[str, Tally] = {}
        self._lock = threading.Lock()

    def passed(self, name: str) -> None:
        with self._lock:
            self._tallies.setdefault(name, Tally()).passed()

    def failed(self, name: str, example: CounterExample) -> None:
        with self._lock:
            self._tallies.setdefault(name, Tally()).failed(example)

    def skip(self, name: str, reason: str) -> None:
        with self._lock:
            tally = self._tallies.setdefault(name, Tally())
            tally.skip_reason = tally.skip_reason or reason

    def merge(self, other: Tallies) -> None:
        for name, tally in other.items():
            with self._lock:
                self._tallies.setdefault(name, Tally()).merge(tally)

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
    verdict: Verdict
    cases: int
    failures: int
    first: CounterExample | None
    reason: str | None  # why it was skipped

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
            return f"{self.name}: passed ({self.cases} cases)"
        problem = self.first.problem if self.first else "failed"
        return f"{self.name}: failed in {self.failures} of {self.cases} cases; first: {problem}"


def verdicts(tallies: Tallies) -> list[CheckResult]:
    """One result per check: the catalogue's order, then any check the catalogue does not know."""
    names = [info.name for info in catalogue.ALL]
    names += [name for name, _ in tallies.items() if name not in names]
    results = []
    for name in names:
        tally = tallies.get(name) or Tally()
        info = catalogue.info(name)
        reason = tally.skip_reason
        if tally.failures:
            verdict = Verdict.FAIL
        elif name in catalogue.NOT_CONFIGURED:
            verdict, reason = Verdict.SKIP, catalogue.NOT_CONFIGURED[name]
        elif tally.cases == 0:
            verdict, reason = Verdict.SKIP, reason or "no response exercised it"
        else:
            verdict, reason = Verdict.PASS, None
        results.append(
            CheckResult(
                name=name,
                source=info.source,
                description=info.description,
                verdict=verdict,
                cases=tally.cases,
                failures=tally.failures,
                first=tally.first,
                reason=reason,
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
    schemathesis_version: str = ""
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)


def _unchanged(text: str) -> str:
    return text


@dataclass(slots=True)
class Report:
    info: RunInfo
    results: list[CheckResult]
    # Knows every secret the run saw; each output goes through it.
    redact: Callable[[str], str] = _unchanged

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.verdict is Verdict.FAIL]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def result(self, name: str) -> CheckResult | None:
        return next((r for r in self.results if r.name == name), None)
