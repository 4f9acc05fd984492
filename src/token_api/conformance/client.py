"""The scenarios' HTTP client: paced, honouring Retry-After, judging every answer by every
response check, and noting which documented statuses it saw."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from token_api.conformance import registry, wire
from token_api.conformance.curl import curl
from token_api.conformance.exchange import Answer, Observed
from token_api.conformance.redaction import Redactor
from token_api.conformance.response_checks import NOT_APPLICABLE, Judge
from token_api.conformance.results import CounterExample, Tallies
from token_api.conformance.safety import Pacer, retry_after

USER_AGENT = "token-api-conformance"
_RETRIES = 2
JSON = "application/json"


class Unreachable(Exception):
    """The deployment has not answered a single request; one sentence."""


class Dropped(Exception):
    """A request got no answer (reset, closed, timed out) from a deployment that had answered
    before: a server error of that request. One sentence, and the request as curl."""

    def __init__(self, message: str, curl: str) -> None:
        super().__init__(message)
        self.curl = curl


@dataclass(frozen=True, slots=True)
class Call:
    answer: Answer
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
        judge: Judge,
        *,
        pacer: Pacer,
        redactor: Redactor,
        tallies: Tallies,
        selected: frozenset[str],
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.judge = judge
        self.contract = judge.contract
        self.operation = self.contract.create_token()
        self.pacer = pacer
        self.redactor = redactor
        self.tallies = tallies
        self.timeout = timeout
        self.clock = ServerClock()
        self.answered = False  # whether the deployment has answered any request
        self._checks = [
            check
            for check in registry.checks()
            if check.kind == registry.RESPONSE and check.name in selected
        ]
        self.http = httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self.http.close()

    # -- sending -------------------------------------------------------------------------------

    def create(
        self,
        body: Any,
        *,
        token: str | None,
        before: tuple[str, ...] = (),
    ) -> Call:
        """POST createToken a JSON body as ``token`` (None: no credentials)."""
        headers = [("Content-Type", JSON)]
        if token is not None:
            headers.append(("Authorization", f"Bearer {token}"))
        return self.request(
            self.operation.method,
            self.operation.path,
            headers,
            json.dumps(body).encode(),
            before=before,
        )

    def request(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]],
        content: bytes | Iterable[bytes] | None,
        *,
        replay_body: str | None = None,
        before: tuple[str, ...] = (),
        on_the_wire: bool = False,
        key_probe: bool = False,
    ) -> Call:
        """One request as given (repeated headers stay repeated); ``replay_body`` is a shell
        command printing a body too long (or too strange) to spell out in the replay; with
        ``on_the_wire`` the request is written on the socket as it is (whitespace around a header
        value included). Raises Unreachable or Dropped when no answer comes."""
        url = self.base_url + path
        body = content if isinstance(content, bytes) else None
        command = self.redactor(
            curl(
                method,
                url,
                headers,
                body,
                body_from=replay_body,
                chunked=body is None and content is not None,
            )
        )
        if on_the_wire:
            answer = self._on_the_wire(method, url, headers, body or b"", command)
        else:
            request = self.http.build_request(method, url, headers=list(headers), content=content)
            answer = self._exchange(request, command)
        endpoint = None if key_probe else self.contract.endpoint(method, path)
        authorization = next((v for k, v in headers if k.lower() == "authorization"), None)
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        seen = self.judge.observe(
            Observed(
                method,
                endpoint,
                answer,
                content_type,
                authorization,
                _json_or_none(body) if body is not None else None,
                key_probe,
            )
        )
        minted = seen.minted
        call = Call(answer, command, minted.secret if minted else None)
        if minted is not None:
            self.redactor.add(minted.secret)
        if endpoint is not None:
            self.tallies.observe(endpoint.label, answer.status)
        for check in self._checks:
            assert check.function is not None
            finding = check.function(self.judge, seen)
            if finding is not NOT_APPLICABLE:
                self.verdict(check.name, finding, call, before=before)
        return call

    def _failed(self, method: str, url: str, error: object, command: str) -> Exception:
        # The library's message may quote a header, the credential included: redacted here,
        # where every such sentence starts, so it is safe wherever it goes.
        message = self.redactor(f"{method} {url} got no answer ({error}).")
        return Dropped(message, command) if self.answered else Unreachable(message)

    def _on_the_wire(
        self, method: str, url: str, headers: Sequence[tuple[str, str]], body: bytes, command: str
    ) -> Answer:
        self.pacer.wait()
        try:
            status, raw_headers, content = wire.exchange(url, method, headers, body, self.timeout)
        except wire.WireError as error:
            raise self._failed(method, url, error, command) from None
        return self._answered(status, raw_headers, content)

    def _exchange(self, request: httpx.Request, command: str) -> Answer:
        retries = 0
        while True:
            self.pacer.wait()
            try:
                response = self.http.send(request)
            except httpx.HTTPError as error:
                raise self._failed(request.method, str(request.url), error, command) from None
            delay = retry_after(response.headers) if response.status_code in (429, 503) else None
            if delay is None or retries == _RETRIES:
                return self._answered(
                    response.status_code, response.headers.multi_items(), response.content
                )
            retries += 1
            self.pacer.hold(delay)

    def _answered(self, status: int, headers: Iterable[tuple[str, str]], content: bytes) -> Answer:
        self.answered = True
        lowered: dict[str, str] = {}
        for name, value in headers:
            # Repeated headers read as one list (RFC 9110 §5.3).
            key = name.lower()
            lowered[key] = f"{lowered[key]}, {value}" if key in lowered else value
        answer = Answer(status, lowered, content)
        self.clock.observe(answer.headers)
        return answer

    # -- verdicts ------------------------------------------------------------------------------

    def verdict(
        self,
        name: str,
        problem: str | None,
        call: Call | None,
        *,
        before: tuple[str, ...] = (),
        rule: str | None = None,
    ) -> None:
        """Count one case of check ``name``; ``before`` are the steps that led to ``call``."""
        if problem is None:
            self.tallies.passed(name, rule)
        else:
            steps = (*before, call.curl) if call is not None else before
            status = call.status if call is not None else None
            example = CounterExample(self.redactor(problem), steps, status)
            self.tallies.failed(name, example, rule)


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None
