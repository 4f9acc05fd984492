"""Schemathesis through its CLI: ``schemathesis run`` in a subprocess, verdicts read from its
NDJSON report.

The report reaches us through a pipe the process inherits (``/dev/fd/N``), never a file: its
recorded responses hold the tokens the run minted. The process runs in an empty temporary
directory, so no ``.hypothesis`` or ``.schemathesis`` state survives it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from token_api.conformance.curl import curl
from token_api.conformance.exchange import Answer, minted_key
from token_api.conformance.redaction import Redactor
from token_api.conformance.registry import ERRORS
from token_api.conformance.response_checks import no_server_error
from token_api.conformance.results import CounterExample, Tallies
from token_api.conformance.spec import Contract

HOOKS_MODULE = "token_api.conformance.schemathesis_hooks"
# What the hooks module reads from its environment.
ENV_TOKEN = "TOKEN_API_CONFORMANCE_TOKEN"
ENV_SPEC = "TOKEN_API_CONFORMANCE_SPEC"
ENV_LONG_LIVED = "TOKEN_API_CONFORMANCE_LONG_LIVED"
ENV_KEY_PROBE = "TOKEN_API_CONFORMANCE_KEY_PROBE"
ENV_CHECKS = "TOKEN_API_CONFORMANCE_CHECKS"  # the response checks to register, comma-separated
CONFIG_NAME = "schemathesis.toml"
# Built-in checks `--checks all` leaves out (it runs max_response_time only with a limit set).
NOT_IN_ALL = frozenset({"max_response_time"})
# A stateful failure is replayed by the steps before it; beyond a few, the report gets unreadable.
MAX_STEPS = 4


class SchemathesisFailed(Exception):
    """Schemathesis could not run (or did not finish); one sentence."""


@dataclass(slots=True)
class SchemathesisArgs:
    """What ``schemathesis run`` is given: its command line and the hooks' environment."""

    spec: Path
    base_url: str
    token: str = field(repr=False)  # a secret: never in a repr or a traceback
    seed: int
    max_examples: int | None
    phases: tuple[str, ...]
    rate_limit: str | None  # in Schemathesis's '<limit>/<duration>' form
    long_lived_tokens: bool
    timeout: float
    key_probe: bool = False  # a probe, not Create Token's answer, shows a key is recognised
    # The checks to run (built-in and ours), or () for all of them less ``exclude_checks``.
    checks: tuple[str, ...] = ()
    exclude_checks: tuple[str, ...] = ()  # built-in checks that cannot apply to the API
    response_checks: tuple[str, ...] = ()  # ours, registered by the hooks


@dataclass(slots=True)
class Outcome:
    tallies: Tallies = field(default_factory=Tallies)
    version: str = ""
    phases: dict[str, str] = field(default_factory=dict)
    finished: bool = False
    fatal: str | None = None


# Stateful scenarios of a default run: each is up to six Create Token calls presenting the key the
# one before minted; a hundred (Schemathesis's default) took most of a run's time and judged
# nothing 25 do not (the scenario checks present every kind of key on every run).
STATEFUL_EXAMPLES = 25


def config_path() -> Path:
    return Path(str(resources.files("token_api.conformance").joinpath(CONFIG_NAME)))


def config_text(settings: SchemathesisArgs) -> str:
    """The package's settings, and the number of stateful scenarios: --max-examples when given
    (Schemathesis lets a phase's own setting win over the command line's), else ours."""
    stateful = settings.max_examples or STATEFUL_EXAMPLES
    text = config_path().read_text(encoding="utf-8")
    return f"{text}\n[phases.stateful.generation]\nmax-examples = {stateful}\n"


def command(settings: SchemathesisArgs, report_fd: int, config: Path) -> list[str]:
    arguments = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(config),
        "run", str(settings.spec),
        "--url", settings.base_url,
        "--checks", ",".join(settings.checks) or "all",
        "--seed", str(settings.seed),
        "--report", "ndjson",
        "--report-ndjson-path", f"/dev/fd/{report_fd}",
        "--phases", ",".join(settings.phases),
        "--no-color",
    ]  # fmt: skip
    if settings.max_examples is not None:
        arguments += ["--max-examples", str(settings.max_examples)]
    if settings.rate_limit is not None:
        arguments += ["--rate-limit", settings.rate_limit]
    excluded = [name for name in settings.exclude_checks if name not in NOT_IN_ALL]
    if excluded:
        arguments += ["--exclude-checks", ",".join(excluded)]
    return arguments


def environment(settings: SchemathesisArgs) -> dict[str, str]:
    # The caller's own Schemathesis settings must not change what a conformance run means.
    # Variable by variable: another thread may unset one meanwhile (pytest does between tests,
    # with runs in threads), which makes os.environ.items() raise KeyError.
    inherited = {
        name: value
        for name in list(os.environ)
        if not name.startswith("SCHEMATHESIS_") and (value := os.environ.get(name)) is not None
    }
    return {
        **inherited,
        "SCHEMATHESIS_HOOKS": HOOKS_MODULE,
        ENV_TOKEN: settings.token,
        ENV_SPEC: str(settings.spec),
        ENV_LONG_LIVED: "1" if settings.long_lived_tokens else "",
        ENV_KEY_PROBE: "1" if settings.key_probe else "",
        ENV_CHECKS: ",".join(settings.response_checks),
    }


def run(settings: SchemathesisArgs, redactor: Redactor, contract: Contract) -> Outcome:
    outcome = Outcome()
    reader = _ReportReader(outcome, redactor, contract)
    output: deque[str] = deque(maxlen=40)
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryDirectory(prefix="token-api-conformance-") as workdir:
        config = Path(workdir) / CONFIG_NAME
        config.write_text(config_text(settings), encoding="utf-8")
        try:
            process = subprocess.Popen(
                command(settings, write_fd, config),
                cwd=workdir,
                env=environment(settings),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
            )
        except OSError as error:
            os.close(read_fd)
            raise SchemathesisFailed(f"Cannot start Schemathesis: {error}.") from None
        finally:
            # Only the child writes: the reader sees the end of the report when the child exits.
            os.close(write_fd)
        report = threading.Thread(target=reader.read, args=(read_fd,), daemon=True)
        report.start()
        console = threading.Thread(target=_drain, args=(process.stdout, output), daemon=True)
        console.start()
        try:
            returncode = process.wait(timeout=settings.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise SchemathesisFailed(
                f"Schemathesis did not finish within {settings.timeout:.0f} seconds; "
                "lower --max-examples or raise --timeout."
            ) from None
        finally:
            report.join(timeout=30)
            console.join(timeout=5)
    if outcome.fatal is not None:
        raise SchemathesisFailed(redactor(f"Schemathesis could not run: {outcome.fatal}"))
    if not outcome.finished:
        tail = " ".join(line.strip() for line in output if line.strip())[-600:]
        raise SchemathesisFailed(
            redactor(f"Schemathesis stopped (exit {returncode}) without finishing: {tail}")
        )
    return outcome


def _drain(stream: Any, output: deque[str]) -> None:
    for raw in stream:
        output.append(raw.decode("utf-8", "replace"))


class _ReportReader:
    """Folds the NDJSON events into per-check tallies as they arrive."""

    def __init__(self, outcome: Outcome, redactor: Redactor, contract: Contract) -> None:
        self.outcome = outcome
        self.redactor = redactor
        self.contract = contract

    def read(self, fd: int) -> None:
        with open(fd, "rb") as stream:
            for line in stream:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict) and len(event) == 1:
                    ((kind, data),) = event.items()
                    if isinstance(data, dict):
                        self.handle(kind, data)

    def handle(self, kind: str, data: Mapping[str, Any]) -> None:
        if kind == "Initialize":
            self.outcome.version = str(data.get("schemathesis_version") or "")
        elif kind == "ScenarioFinished" and isinstance(data.get("recorder"), dict):
            self.scenario(data["recorder"])
        elif kind == "PhaseFinished":
            phase = (data.get("phase") or {}).get("name")
            if phase:
                self.outcome.phases[str(phase)] = str(data.get("status"))
        elif kind == "NonFatalError":
            self.error(data)
        elif kind == "FatalError":
            self.outcome.fatal = _describe_error(data.get("exception"))
        elif kind == "EngineFinished":
            self.outcome.finished = True

    def scenario(self, recorder: Mapping[str, Any]) -> None:
        cases: Mapping[str, Any] = recorder.get("cases") or {}
        interactions: Mapping[str, Any] = recorder.get("interactions") or {}
        tallies = self.outcome.tallies
        # Secrets first: whatever is reported next is redacted with them.
        for case_id, interaction in interactions.items():
            answer = _answer(interaction)
            if answer is None:
                continue
            minted = minted_key(self.contract.create_token(), answer)
            if minted is not None:
                self.redactor.add(minted.secret)
            case = ((cases.get(case_id) or {}).get("value")) or {}
            endpoint = self.contract.endpoint(
                str(case.get("method", "")), str(case.get("path", ""))
            )
            if endpoint is not None:
                tallies.observe(endpoint.label, answer.status)
        for case_id, checks in (recorder.get("checks") or {}).items():
            for check in checks or ():
                name, status = check.get("name"), check.get("status")
                if not name:
                    continue
                if status == "success":
                    tallies.passed(name)
                elif status in ("failure", "error"):
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    problem = (
                        _problem(failure)
                        if status == "failure"
                        else "the check itself raised an error"
                    )
                    steps = _steps(case_id, cases, interactions)
                    example = CounterExample(
                        self.redactor(problem),
                        tuple(self.redactor(step) for step in steps),
                        _status(interactions.get(case_id)),
                    )
                    tallies.failed(name, example)

    def error(self, data: Mapping[str, Any]) -> None:
        label = data.get("label") or "the run"
        info = data.get("info") or data.get("value")
        problem = self.redactor(f"{label}: {_describe_error(info)}")
        sample = info.get("code_sample") if isinstance(info, Mapping) else None
        steps = (self.redactor(str(sample)),) if sample else ()
        if isinstance(info, Mapping) and info.get("title") == "Network Error":
            # The deployment answered before (the preflight), so a request it drops is its
            # server error, not a run that could not be made.
            self.outcome.tallies.failed(no_server_error.__name__, CounterExample(problem, steps))
        else:
            self.outcome.tallies.failed(ERRORS.name, CounterExample(problem, steps))


def _describe_error(error: Any) -> str:
    if isinstance(error, Mapping):
        parts = [error.get(key) for key in ("title", "message", "type")]
        text = ": ".join(str(part) for part in parts if part)
        return text or json.dumps(error)[:300]
    return str(error)[:300] if error else "unknown error"


def _problem(failure: Mapping[str, Any]) -> str:
    title = str(failure.get("title") or failure.get("type") or "failed")
    message = str(failure.get("message") or "").strip()
    # Custom checks (ours) are titled "Custom check failed: `name`"; their message says it all.
    if message and title.startswith("Custom check failed"):
        return message
    return f"{title}: {message}" if message else title


def _body(payload: Any) -> bytes | None:
    if isinstance(payload, Mapping) and isinstance(payload.get("$base64"), str):
        return base64.b64decode(payload["$base64"])
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return None


def _headers(headers: Any) -> Iterable[tuple[str, str]]:
    for name, values in (headers or {}).items():
        for value in values if isinstance(values, list) else [values]:
            yield str(name), str(value)


def _status(interaction: Any) -> int | None:
    answer = _answer(interaction)
    return answer.status if answer is not None else None


def _answer(interaction: Any) -> Answer | None:
    response = (interaction or {}).get("response") if isinstance(interaction, Mapping) else None
    if not isinstance(response, Mapping) or not isinstance(response.get("status_code"), int):
        return None
    headers = {name.lower(): value for name, value in _headers(response.get("headers"))}
    return Answer(response["status_code"], headers, _body(response.get("content")) or b"")


def _curl(interaction: Mapping[str, Any]) -> str | None:
    request = interaction.get("request") or {}
    if not request.get("uri"):
        return None
    return curl(
        str(request.get("method") or "GET"),
        str(request["uri"]),
        _headers(request.get("headers")),
        _body(request.get("body")),
    )


def _steps(case_id: str, cases: Mapping[str, Any], interactions: Mapping[str, Any]) -> list[str]:
    """The failing request, preceded by the stateful steps that led to it (oldest first)."""
    chain: list[str] = []
    current: str | None = case_id
    while current is not None and len(chain) < MAX_STEPS:
        interaction = interactions.get(current)
        command = _curl(interaction) if isinstance(interaction, Mapping) else None
        if command is not None:
            chain.append(command)
        node = cases.get(current) or {}
        parent = node.get("parent_id")
        current = parent if isinstance(parent, str) and parent != current else None
    chain.reverse()
    if len(chain) > 1:
        total = len(chain)
        chain = [f"# step {n} of {total}\n{step}" for n, step in enumerate(chain, 1)]
    return chain
