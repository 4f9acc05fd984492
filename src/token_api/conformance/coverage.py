"""What a run covered: for each rule of the contract, the probes sent and the result; for each
documented status of each operation, whether an answer had it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from token_api.conformance.spec import Contract
from token_api.spectools.openapi import CLIENT

if TYPE_CHECKING:
    from token_api.conformance.results import CheckResult

PASS, FAIL, PARTIAL, UNCHECKED = "pass", "fail", "partial", "unchecked"
CLIENTS_RULE = "client"  # the result of a rule that binds clients, not the deployment
FOR_CLIENTS = (
    "a rule for clients, not the deployment: token-api proxy judges it on a client's traffic"
)

# Documented statuses no outside client can cause on purpose, and why: the run does not count
# them missing (--require-coverage) but says they were not seen.
CANNOT_CAUSE = {
    "408": "a deadline of the server (10 s for the headers, 30 s for the body by default) is "
    "longer than a run should wait",
    "500": "a fault of the server, which no correct request causes",
    "503": "the database is down or the server holds all the connections it may: not something "
    "a client causes",
}


@dataclass(frozen=True, slots=True)
class RuleCoverage:
    id: str
    text: str
    checks: tuple[str, ...]  # the checks that judge it (selected or not)
    probes: int  # answers judged for it
    result: str  # PASS, FAIL, PARTIAL or UNCHECKED
    reason: str | None = None  # why it went unchecked, or what the partial run left out

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "checks": list(self.checks),
            "probes": self.probes,
            "result": self.result,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class StatusCoverage:
    operation: str
    status: str  # the response key: "200", "4XX", "default"
    observed: bool
    reason: str | None = None  # why the run cannot cause it, when it was not observed

    def as_data(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "status": self.status,
            "observed": self.observed,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    rules: tuple[RuleCoverage, ...] = ()
    statuses: tuple[StatusCoverage, ...] = ()

    @property
    def deployment(self) -> list[RuleCoverage]:
        """The rules the deployment must follow: what a run can probe."""
        return [rule for rule in self.rules if rule.result != CLIENTS_RULE]

    @property
    def unchecked(self) -> list[RuleCoverage]:
        return [rule for rule in self.rules if rule.result == UNCHECKED]

    @property
    def unobserved(self) -> list[StatusCoverage]:
        """Documented statuses no answer had, but for those the run cannot cause."""
        return [s for s in self.statuses if not s.observed and s.reason is None]

    @property
    def complete(self) -> bool:
        return not self.unchecked and not self.unobserved

    def as_data(self) -> dict[str, Any]:
        return {
            "rules": [rule.as_data() for rule in self.rules],
            "statuses": [status.as_data() for status in self.statuses],
        }

    def summary(self) -> list[str]:
        """Two sentences: the rules probed, the statuses observed; each naming what was not."""
        probed = len(self.deployment) - len(self.unchecked)
        lines = [f"Rules: {probed} of {len(self.deployment)} probed"]
        if self.unchecked:
            lines[0] += "; unchecked: " + "; ".join(
                f"{rule.id} ({rule.reason})" for rule in self.unchecked
            )
        seen = sum(status.observed for status in self.statuses)
        line = f"Statuses: {seen} of {len(self.statuses)} documented observed"
        if self.unobserved:
            line += "; never observed: " + ", ".join(
                f"{s.operation} {s.status}" for s in self.unobserved
            )
        cannot = sorted({s.status for s in self.statuses if not s.observed and s.reason})
        if cannot:
            line += f"; {', '.join(cannot)} cannot be caused from outside"
        lines.append(line)
        return [f"{line}." for line in lines]


def _status_seen(key: str, keys: Sequence[str], seen: set[int]) -> bool:
    """Whether an answer of ``seen`` falls under the response key ``key`` of ``keys``."""
    upper = key.upper()
    if upper.isdigit():
        return int(upper) in seen
    explicit = {int(k) for k in keys if k.isdigit()}
    if upper.endswith("XX"):
        return any(str(s)[0] == upper[0] and s not in explicit for s in seen)
    ranges = {k[0] for k in (k.upper() for k in keys) if k.endswith("XX")}
    return any(s not in explicit and str(s)[0] not in ranges for s in seen)  # default


def compute(
    contract: Contract,
    results: Iterable[CheckResult],
    statuses: set[tuple[str, int]],
) -> Coverage:
    results = list(results)
    rules = []
    for rule in contract.rules:
        if rule.applies_to == CLIENT:
            rules.append(RuleCoverage(rule.id, rule.text, (), 0, CLIENTS_RULE, FOR_CLIENTS))
            continue
        judging = [result for result in results if rule.id in result.rules]
        counts = [result.rule_counts(rule.id) for result in judging]
        probes = sum(cases for cases, _ in counts)
        reasons = [r.reason for r in judging if r.reason and r.rule_counts(rule.id)[0] == 0]
        partial = [r.partial for r in judging if r.partial]
        if any(failures for _, failures in counts):
            result, reason = FAIL, None
        elif probes == 0:
            result = UNCHECKED
            reason = "; ".join(dict.fromkeys(reasons)) or "no check judges it"
        elif partial:
            result, reason = PARTIAL, "; ".join(dict.fromkeys(p for p in partial if p))
        else:
            result, reason = PASS, None
        names = tuple(r.name for r in judging)
        rules.append(RuleCoverage(rule.id, rule.text, names, probes, result, reason))
    status_rows = []
    for endpoint in contract.endpoints.values():
        seen = {status for label, status in statuses if label == endpoint.label}
        for key in endpoint.statuses:
            observed = _status_seen(key, endpoint.statuses, seen)
            reason = None if observed else CANNOT_CAUSE.get(key)
            status_rows.append(StatusCoverage(endpoint.label, key, observed, reason))
    return Coverage(tuple(rules), tuple(status_rows))
