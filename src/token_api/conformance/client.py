"""The scenarios' HTTP client: paced, honouring Retry-After, judging every answer by the rules."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from token_api.conformance import rules
from token_api.conformance.curl import curl
from token_api.conformance.redaction import Redactor
from token_api.conformance.results import CounterExample, Tallies
from token_api.conformance.safety import Pacer, requested_expiry, retry_after

USER_AGENT = "token-api-conformance"
_RETRIES = 2


class Unreachable(Exception):
    """The request got no HTTP answer; one sentence, and (where known) the request as curl."""

    def __init__(self, message: str, curl: str | None = None) -> None:
        super().__init__(message)
        self.curl = curl


@dataclass(frozen=True, slots=True)
class Call:
    answer: rules.Answer
    curl: str  # redacted
    minted: str | None = field(repr=False)  # the api_token of a 2xx answer: a secret

    @property
    def status(self) -> int:
        return self.answer.status

    def detail(self) -> str:
        """The answer's detail sentence, if it has one, for messages."""
        try:
            body = self.answer.json()
        except ValueError:
            return ""
        detail = body.get("detail") if isinstance(body, dict) else None
        return f": {detail.rstrip('.')}" if isinstance(detail, str) else ""


class ServerClock:
    """The deployment's time, from its Date headers: expiry is judged by its clock, not ours."""

    def __init__(self) -> None:
        self.skew = timedelta(0)

    def observe(self, headers: Mapping[str, str]) -> None:
        value = headers.get("date")
        if value:
            with contextlib.suppress(TypeError, ValueError):
                self.skew = parsedate_to_datetime(value) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew


class ScenarioClient:
    def __init__(
        self,
        base_url: str,
        contract: rules.Contract,
        *,
        pacer: Pacer,
        redactor: Redactor,
        tallies: Tallies,
        ledger: rules.MintLedger,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.contract = contract
        self.operation = contract.create_token()
        self.pacer = pacer
        self.redactor = redactor
        self.tallies = tallies
        self.ledger = ledger
        self.clock = ServerClock()
        self.http = httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self.http.close()

    def _send(self, request: httpx.Request) -> httpx.Response:
        retries = 0
        while True:
            self.pacer.wait()
            try:
                response = self.http.send(request)
            except httpx.HTTPError as error:
                # The library's message may quote a header, the credential included: redacted
                # here, where every Unreachable starts, so its message is safe wherever it goes.
                raise Unreachable(
                    self.redactor(f"{request.method} {request.url} got no answer ({error}).")
                ) from None
            delay = retry_after(response.headers) if response.status_code in (429, 503) else None
            if delay is None or retries == _RETRIES:
                return response
            retries += 1
            self.pacer.hold(delay)

    def _exchange(self, request: httpx.Request) -> rules.Answer:
        response = self._send(request)
        answer = rules.Answer(
            response.status_code,
            {name.lower(): value for name, value in response.headers.items()},
            response.content,
        )
        self.clock.observe(answer.headers)
        return answer

    def create(self, body: Any, *, token: str | None, authorization: str | None = None) -> Call:
        """POST createToken as ``token`` (None: no credentials), or with a raw Authorization."""
        return self.post(json.dumps(body).encode(), token=token, authorization=authorization)

    def post(
        self,
        content: bytes,
        *,
        token: str | None,
        authorization: str | None = None,
        replay_body: str | None = None,
    ) -> Call:
        """POST these bytes to createToken as JSON; ``replay_body`` is a shell command that prints
        them, for bodies too long (or too strange) to spell out in the replay."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif authorization is not None:
            headers["Authorization"] = authorization
        request = self.http.build_request(
            self.operation.method,
            self.base_url + self.operation.path,
            headers=headers,
            content=content,
        )
        command = self.redactor(_curl(request, content, replay_body))
        try:
            answer = self._exchange(request)
        except Unreachable as error:
            raise Unreachable(str(error), command) from None
        seen = rules.Observed(self.operation.method, self.operation, answer, "application/json")
        minted = rules.minted_secret(seen)
        call = Call(answer, command, minted[0] if minted else None)
        if minted is not None:
            self.redactor.add(minted[0])
            asked = requested_expiry(_json_or_none(content))
            problem = self.ledger.record(minted[0], minted[1], asked)
            self.verdict("tokens_unique", problem, call)
        for name, rule in rules.RESPONSE_RULES.items():
            finding = rule(self.contract, seen)
            if finding is not rules.NOT_APPLICABLE:
                self.verdict(name, finding, call)
        return call

    def probe(self, method: str, path: str, token: str) -> Call:
        """``--key-probe``: a call to another endpoint of the deployment with ``token``. Not an
        operation of the contract: no rule judges it."""
        request = self.http.build_request(
            method, self.base_url + path, headers={"Authorization": f"Bearer {token}"}
        )
        answer = self._exchange(request)
        return Call(answer, self.redactor(_curl(request, None, None)), None)

    def verdict(
        self, name: str, problem: str | None, call: Call, *, before: tuple[str, ...] = ()
    ) -> None:
        """Count one case of check ``name``; ``before`` are the steps that led to ``call``."""
        if problem is None:
            self.tallies.passed(name)
        else:
            example = CounterExample(self.redactor(problem), (*before, call.curl), call.status)
            self.tallies.failed(name, example)


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _curl(request: httpx.Request, content: bytes | None, replay_body: str | None) -> str:
    sent = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
    ]
    return curl(request.method, str(request.url), sent, content, body_from=replay_body)
