"""One conformance run: check the deployment answers and accepts the sessions it was given, run
the scenario checks, run Schemathesis, then resume the checks that wait (a key's expiry); every
verdict into one report, with what the run covered."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from token_api.conformance import callers, coverage, identities, registry, safety, schemathesis_run
from token_api.conformance.client import ScenarioClient, Unreachable
from token_api.conformance.defaults import DEFAULT_TIMEOUT, PHASES
from token_api.conformance.redaction import Redactor
from token_api.conformance.response_checks import Judge
from token_api.conformance.results import Report, RunInfo, Tallies, verdicts
from token_api.conformance.scenarios import CallerRefused, ScenarioRun, Setting
from token_api.conformance.spec import Contract
from token_api.contract.document import SpecError, load_document, spec_path

# Kept back from the budget for what follows Schemathesis: the expiry wait and the reports.
_AFTER_SCHEMATHESIS = 15.0
NOT_SELECTED = "not selected (--checks)"
NO_SCHEMATHESIS = "Schemathesis did not run (--phases none)"


class ConformanceError(Exception):
    """The run could not be made (exit 2): a usage error, or the deployment did not answer or
    did not accept a session or workspace it was given. One sentence."""


@dataclass(frozen=True, slots=True)
class Options:
    base_url: str
    # The ADMIN user's session (a secret: kept out of reprs); else the identities file's ADMIN.
    token: str | None = field(default=None, repr=False)
    token_source: str = "--token"  # where the token came from, for messages
    identities: Path | None = None
    key_probe: str | None = None
    workspaces: tuple[str, ...] = ()
    max_examples: int | None = None
    phases: tuple[str, ...] = PHASES
    seed: int | None = None
    rate_limit: str | None = None
    allow_long_lived_tokens: bool = False
    spec: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    checks: tuple[str, ...] = ()  # the checks to run (--checks); empty: every check
    require_coverage: bool = False


def _refuse_wrong_options(options: Options) -> None:
    """ConformanceError for the first option that is wrong."""
    parts = urlsplit(options.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConformanceError(f"--base-url must be an http(s) URL, not {options.base_url!r}.")
    if options.token is not None and not options.token.strip():
        raise ConformanceError(f"{options.token_source} must not be empty.")
    if options.max_examples is not None and options.max_examples < 1:
        raise ConformanceError("--max-examples must be at least 1.")
    unknown = [phase for phase in options.phases if phase not in PHASES]
    if unknown:
        raise ConformanceError(
            f"--phases takes {', '.join(PHASES)} (or none), not {', '.join(unknown)!r}."
        )
    if options.timeout <= _AFTER_SCHEMATHESIS:
        raise ConformanceError(f"--timeout must be more than {_AFTER_SCHEMATHESIS:.0f} seconds.")
    known = {check.name for check in registry.checks()}
    strange = [name for name in options.checks if name not in known]
    if strange:
        raise ConformanceError(
            f"--checks: no check is called {', '.join(strange)}; "
            "`token-api conformance --list-checks` lists them."
        )


def _schemathesis_rate(options: Options) -> str | None:
    """--rate-limit in Schemathesis's '<limit>/<duration>' form."""
    if options.rate_limit is None:
        return None
    try:
        return safety.schemathesis_rate(options.rate_limit)
    except ValueError as error:
        raise ConformanceError(f"--rate-limit: {error}.") from None


def _callers(
    options: Options,
) -> tuple[callers.Caller, list[callers.Caller], identities.Identities | None]:
    try:
        ids = identities.load(options.identities) if options.identities else None
        return callers.admin(options.token, ids, options.token_source), callers.narrower(ids), ids
    except (identities.IdentitiesError, callers.CallerError) as error:
        raise ConformanceError(str(error)) from None


def _workspaces(options: Options, ids: identities.Identities | None) -> list[tuple[str, str]]:
    """Every workspace the run was told of, with where: each must be one the ADMIN may mint for."""
    named = [(name, "--workspace") for name in options.workspaces]
    if ids is not None:
        listed = [*ids.workspaces, *(name for user in ids.users for name in user.reach or ())]
        named += [(name, f"{ids.name}'s workspace") for name in listed]
    first: dict[str, str] = {}
    for name, given in named:
        first.setdefault(name, given)
    return list(first.items())


def run(options: Options, progress: Callable[[str], None] = lambda _: None) -> Report:
    started = time.monotonic()
    _refuse_wrong_options(options)
    base_url, rate = options.base_url.rstrip("/"), _schemathesis_rate(options)
    try:
        probe = callers.KeyProbe.parse(options.key_probe) if options.key_probe else None
    except callers.CallerError as error:
        raise ConformanceError(str(error)) from None
    admin, narrower, ids = _callers(options)
    spec_file = (options.spec or spec_path()).resolve()
    try:
        contract = Contract(load_document(spec_file))
        contract.create_token()
    except SpecError as error:
        raise ConformanceError(str(error)) from None
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    redactor = Redactor([admin.token, *(ids.secrets if ids else ())])
    tallies = Tallies()
    setting = Setting(
        admin,
        narrower,
        _workspaces(options, ids),
        roles=ids.roles if ids else {},
        key_probe=probe,
        long_lived=options.allow_long_lived_tokens,
    )
    every = registry.checks()
    chosen = set(options.checks) or {check.name for check in every}
    has = setting.has() | contract.has()
    selected = set()
    not_run: dict[str, str] = {}
    for check in every:
        lacking = [need for need in check.needs if need not in has]
        if check.name not in chosen:
            not_run[check.name] = NOT_SELECTED
        elif lacking and check.kind != registry.SCENARIO:
            not_run[check.name] = registry.NEEDS[lacking[0]]
        elif check.kind == registry.BUILT_IN_KIND and not options.phases:
            not_run[check.name] = NO_SCHEMATHESIS
        else:
            selected.add(check.name)
    client = ScenarioClient(
        base_url,
        Judge(contract, key_probe=probe is not None),
        pacer=safety.Pacer(options.rate_limit),
        redactor=redactor,
        tallies=tallies,
        selected=frozenset(selected),
    )
    info = RunInfo(
        base_url=base_url,
        spec=str(spec_file),
        seed=seed,
        max_examples=options.max_examples,
        phases=options.phases,
        workspaces=tuple(name for name, _ in setting.workspaces),
        rate_limit=options.rate_limit,
        long_lived_tokens=options.allow_long_lived_tokens,
        callers=(admin.who, *(caller.who for caller in narrower)),
        key_probe=probe.label if probe else None,
        checks=options.checks,
        require_coverage=options.require_coverage,
    )
    outcome = schemathesis_run.Outcome()
    try:
        scenarios = ScenarioRun(client, setting, frozenset(selected))
        progress(f"Checking {base_url} answers and accepts the sessions…")
        try:
            scenarios.preflight()
        except Unreachable as error:
            raise ConformanceError(f"Cannot reach the deployment: {error}") from None
        progress("Running the scenario checks as the ADMIN and narrower users…")
        scenarios.run()
        judged_there = [c.name for c in every if c.kind != registry.SCENARIO and c.name in selected]
        if judged_there and options.phases:
            progress(f"Running Schemathesis (seed {seed})…")
            outcome = schemathesis_run.run(
                schemathesis_run.SchemathesisArgs(
                    spec=spec_file,
                    base_url=base_url,
                    token=admin.token,
                    seed=seed,
                    max_examples=options.max_examples,
                    phases=options.phases,
                    rate_limit=rate,
                    long_lived_tokens=options.allow_long_lived_tokens,
                    timeout=options.timeout - (time.monotonic() - started) - _AFTER_SCHEMATHESIS,
                    key_probe=probe is not None,
                    # All of Schemathesis's checks but those that cannot apply, or those chosen.
                    checks=tuple(judged_there) if options.checks else (),
                    exclude_checks=()
                    if options.checks
                    else tuple(
                        c.name
                        for c in every
                        if c.kind == registry.BUILT_IN_KIND and c.name not in selected
                    ),
                    response_checks=tuple(
                        c.name for c in every if c.kind == registry.RESPONSE and c.name in selected
                    ),
                ),
                redactor,
                contract,
            )
        progress("Resuming the checks that wait (a key's expiry)…")
        scenarios.finish()
    except CallerRefused as error:
        raise ConformanceError(redactor(str(error))) from None
    except schemathesis_run.SchemathesisFailed as error:
        raise ConformanceError(str(error)) from None
    finally:
        client.close()
    tallies.merge(outcome.tallies)
    info.schemathesis_version = outcome.version
    info.duration = time.monotonic() - started
    info.notes = _notes(options, outcome)
    results = verdicts(tallies, not_run)
    covered = coverage.compute(contract, results, tallies.statuses)
    return Report(info, results, covered, redactor)


def _notes(options: Options, outcome: schemathesis_run.Outcome) -> list[str]:
    notes = []
    if options.allow_long_lived_tokens:
        notes.append(
            "Long-lived keys were allowed (--allow-long-lived-tokens): generated bodies were "
            "sent as generated, so keys minted by this run may never expire."
        )
    else:
        notes.append(
            "Every key this run minted expires within an hour: generated request bodies asking "
            "for a later (or no) expiry were rewritten before they were sent."
        )
    phases = {p: s for p, s in outcome.phases.items() if p in PHASES}
    if phases:
        notes.append(
            "Schemathesis phases: "
            + ", ".join(f"{phase} {status}" for phase, status in phases.items())
            + "."
        )
    return notes
