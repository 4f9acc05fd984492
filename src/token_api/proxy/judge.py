"""Judging an exchange by the contract: what the client sent (request side), what the deployment
answered (response side), and what only a run of exchanges shows (a key minted here and later
presented to Create Token; a refused credential sent again and again).

Response rules are conformance's own response checks (its registry), so a rule means the same
whether conformance's requests or a real client's exchange exercised it. Request
bodies are validated by the contract layer's compiled validators, the server's own. Every
verdict names a rule id of the contract's ``x-rules``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from token_api.conformance import registry
from token_api.conformance.exchange import Answer, Observed
from token_api.conformance.ledger import MintLedger
from token_api.conformance.response_checks import NOT_APPLICABLE
from token_api.conformance.response_checks import Judge as ContractJudge
from token_api.conformance.spec import CREATE_TOKEN, Contract, Endpoint
from token_api.contract.media_types import canonical
from token_api.proxy.exchange import REQUEST, RESPONSE, Request, Response, header, headers_map
from token_api.proxy.schemas import Schemas, schema_problem

# RFC 6750 §2.1: b64token.
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_TEMPLATE = re.compile(r"\{[^}/]+\}")
# A refused credential sent this many times again within the window is a client in a loop.
RETRY_LIMIT = 3
RETRY_WINDOW = 10.0
# How many minted keys and refused credentials are remembered (by digest), the oldest forgotten
# first: the proxy's memory stays flat however long it runs.
REMEMBERED = 10_000

# Checks that read the body: not applied to an answer the proxy did not see whole.
_READ_THE_BODY = frozenset({"token_format", "validation_error_shape", "error_detail_shape"})


@dataclass(slots=True)
class Judgement:
    """The verdicts on one exchange, and what the request side learnt for the response side."""

    request: Request
    operation: Endpoint | None
    verdicts: list[tuple[str, str, str | None]] = field(default_factory=list)
    bearer: str | None = field(default=None, repr=False)  # the credential: a secret
    credential_problem: str | None = None  # "without an Authorization header", ...
    several_authorizations: bool = False
    api_key: bool = False  # an API key presented to Create Token
    body_rule: str | None = None  # the body rule the request broke (body.schema, ...)
    media_problem: bool = False
    oversize: bool = False
    parsed: Any = None  # the request body, when it is JSON
    looping: str | None = None  # the credential is in a loop of retries after its 401

    def check(self, rule: str, side: str, problem: str | None) -> None:
        """One verdict: ``problem`` None is a rule judged and kept."""
        self.verdicts.append((rule, side, problem))

    @property
    def label(self) -> str:
        if self.operation is not None:
            return self.operation.label
        return f"{self.request.method} {self.request.path}"

    def broken(self, side: str) -> list[tuple[str, str]]:
        """(rule, reason) of each violation on ``side``."""
        return [(rule, why) for rule, s, why in self.verdicts if s == side and why is not None]

    def refusals(self) -> list[tuple[str, str]]:
        """What --errors refuses the request for: its request-side violations, and a retry in a
        loop even when the loop was reported already."""
        found = self.broken(REQUEST)
        if self.looping and not any(rule == "auth.no-retry-refused" for rule, _ in found):
            found.append(("auth.no-retry-refused", self.looping))
        return found


class Routes:
    """Which operation of the document a request is for: literal paths first, then templates."""

    def __init__(self, contract: Contract) -> None:
        self._literal: dict[tuple[str, str], Endpoint] = {}
        self._templates: list[tuple[str, re.Pattern[str], Endpoint]] = []
        for (method, path), operation in contract.endpoints.items():
            if "{" in path:
                parts = _TEMPLATE.split(path)
                pattern = "[^/]+".join(re.escape(part) for part in parts)
                self._templates.append((method, re.compile(pattern), operation))
            else:
                self._literal[(method, path)] = operation

    def find(self, method: str, path: str) -> Endpoint | None:
        found = self._literal.get((method, path))
        if found is not None or not self._templates:
            return found
        for each, pattern, operation in self._templates:
            if each == method and pattern.fullmatch(path):
                return operation
        return None


class _Remembered:
    """Digests of credentials with when they were refused and how often sent again since."""

    def __init__(self) -> None:
        self._refused: OrderedDict[bytes, list[float]] = OrderedDict()  # [at, retries, told]

    def sent(self, digest: bytes, now: float) -> tuple[str, bool] | None:
        """Why this credential is in a loop, and whether that is news (it is told once per
        loop), or None while it is not."""
        entry = self._refused.get(digest)
        if entry is None:
            return None
        if now - entry[0] > RETRY_WINDOW:
            del self._refused[digest]
            return None
        entry[1] += 1
        if entry[1] < RETRY_LIMIT:
            return None
        news = not entry[2]
        entry[2] = 1.0
        why = (
            f"a credential answered 401 {now - entry[0]:.1f}s earlier was sent again "
            f"{int(entry[1])} times since"
        )
        return why, news

    def refused(self, digest: bytes, now: float) -> None:
        if digest not in self._refused:
            self._refused[digest] = [now, 0.0, 0.0]
            if len(self._refused) > REMEMBERED:
                self._refused.popitem(last=False)

    def accepted(self, digest: bytes) -> None:
        self._refused.pop(digest, None)


def _digest(secret: str) -> bytes:
    return hashlib.blake2b(secret.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class Judge:
    def __init__(
        self, document: Mapping[str, Any], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.contract = Contract(document)
        self.schemas = Schemas(self.contract, document)
        self.routes = Routes(self.contract)
        self.ledger = MintLedger(limit=REMEMBERED)
        # conformance's response checks, judging with this ledger: each names the rule it judges.
        self.judge = ContractJudge(self.contract, self.ledger)
        self._checks = [c for c in registry.checks() if c.kind == registry.RESPONSE]
        self._retries = _Remembered()
        self._clock = clock
        self._needs_bearer = {
            key: self.schemas.needs_bearer(operation)
            for key, operation in self.contract.endpoints.items()
        }

    # -- the request ---------------------------------------------------------------------------

    def request(self, request: Request) -> Judgement:
        operation = self.routes.find(request.method, request.path)
        judgement = Judgement(request, operation)
        if operation is None:
            return judgement  # outside the contract: nothing to judge
        if self._needs_bearer[(operation.method, operation.path)]:
            self._credentials(judgement, operation)
        if operation.takes_body or request.has_body:
            self._body(judgement, operation)
        return judgement

    def _credentials(self, judgement: Judgement, operation: Endpoint) -> None:
        values = [v for k, v in judgement.request.headers if k == b"authorization"]
        several = len(values) > 1
        judgement.several_authorizations = several
        judgement.check(
            "auth.single-header",
            REQUEST,
            f"the request carries {len(values)} Authorization headers" if several else None,
        )
        problem = None
        if not values:
            problem = "without an Authorization header"
        else:
            scheme, _, credential = values[0].decode("latin-1").strip().partition(" ")
            credential = credential.strip()
            if scheme.lower() != "bearer":
                problem = "with an Authorization header of another scheme than Bearer"
            elif not credential:
                problem = "with the Bearer scheme and no credential"
            elif not _TOKEN68.fullmatch(credential):
                problem = "with a credential that is not token68 (RFC 6750 §2.1)"
            else:
                judgement.bearer = credential
        judgement.credential_problem = problem
        judgement.check("auth.credential-required", REQUEST, problem and f"a request {problem}")
        bearer = judgement.bearer
        if bearer is None:
            return
        now = self._clock()
        loop = self._retries.sent(_digest(bearer), now)
        # The loop is reported once; with --errors every retry in it is refused.
        judgement.looping = loop[0] if loop else None
        judgement.check("auth.no-retry-refused", REQUEST, loop[0] if loop and loop[1] else None)
        if operation.operation_id == CREATE_TOKEN:
            minted = self.ledger.find(bearer)
            judgement.api_key = minted is not None or bearer.startswith("api_")
            why = None
            if minted is not None:
                age = time.time() - minted.minted_at.timestamp()
                why = f"a key minted through this proxy {age:.1f}s earlier was sent to Create Token"
            elif judgement.api_key:
                why = "an API key was sent to Create Token, which only a session may call"
            judgement.check("auth.api-key-forbidden", REQUEST, why)

    def _body(self, judgement: Judgement, operation: Endpoint) -> None:
        request = judgement.request
        definition = self.schemas.request_body(operation)
        if definition is None:
            return  # a body where the operation takes none: not a case the contract describes
        if not request.has_body or request.size == 0:
            required = bool(definition.get("required"))
            judgement.body_rule = "body.schema" if required else None
            judgement.check(
                "body.schema", REQUEST, "the request has no body, which the operation requires"
                if required else None
            )  # fmt: skip
            return
        encoding = header(request.headers, b"content-encoding")
        content_type = header(request.headers, b"content-type")
        declared = ", ".join(map(str, (definition.get("content") or {}).keys()))
        problem = None
        media = None
        if encoding is not None and encoding.strip().lower() not in ("", "identity"):
            problem = f"the body has Content-Encoding {encoding[:40]!r}; the contract takes none"
        elif content_type is not None:
            kind = canonical(content_type)
            media = self.schemas.media(definition, kind)
            charset = next(
                (p[8:] for p in kind.split(";")[1:] if p.startswith("charset=")), "utf-8"
            )
            if media is None:
                problem = f"the body is {kind.split(';')[0][:60]!r}, not {declared}"
            elif "json" in media[0] and charset not in ("utf-8", "utf8"):
                problem = f"the JSON body is in charset {charset[:40]!r}, not UTF-8"
        else:
            # No Content-Type: servers take the declared type (Connexion does); judge it as that.
            content = definition.get("content") or {}
            first = next(iter(content), None)
            media = self.schemas.media(definition, str(first)) if first is not None else None
        judgement.media_problem = problem is not None
        judgement.check("body.media-type", REQUEST, problem)
        limit = operation.body_limit
        if limit is not None:
            judgement.oversize = request.size > limit
            judgement.check(
                "body.size-limit", REQUEST, f"the body is {request.size:,} bytes; the contract "
                f"takes at most {limit:,}" if judgement.oversize else None
            )  # fmt: skip
        if problem is not None or judgement.oversize or media is None or not request.complete:
            return
        if "json" not in media[0]:
            return
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError as error:
            judgement.body_rule = "body.strict-json"
            judgement.check("body.strict-json", REQUEST, f"the body is not strict JSON ({error})")
            return
        judgement.check("body.strict-json", REQUEST, None)
        judgement.parsed = body
        compiled = self.schemas.compiled(media[1])
        if compiled is None:
            return
        violations = compiled.violations(body)
        if violations:
            judgement.body_rule = "body.schema"
        judgement.check(
            "body.schema", REQUEST, f"the body breaks the request schema "
            f"{schema_problem(violations)}" if violations else None
        )  # fmt: skip

    # -- the answer ----------------------------------------------------------------------------

    def response(self, judgement: Judgement, response: Response) -> None:
        operation = judgement.operation
        if operation is None:
            return
        request = judgement.request
        headers = headers_map(response.headers)
        answer = Answer(response.status, headers, response.body if response.complete else b"")
        content_type = header(request.headers, b"content-type") if request.has_body else None
        authorization = f"Bearer {judgement.bearer}" if judgement.bearer is not None else None
        # The key it hands out is recorded (by digest) before the checks judge it.
        seen = self.judge.observe(
            Observed(request.method, operation, answer, content_type, authorization,
                     judgement.parsed)
        )  # fmt: skip
        status = response.status
        for check in self._checks:
            if check.name in _READ_THE_BODY and not response.complete:
                continue
            assert check.function is not None
            finding = check.function(self.judge, seen)
            if finding is not NOT_APPLICABLE:
                (rule_id,) = check.rules
                judgement.check(rule_id, RESPONSE, finding)
        if response.complete:
            finding = self.schemas.response_schema(seen)
            if finding is not NOT_APPLICABLE:
                judgement.check("response.schema", RESPONSE, finding)
        self._answered_request(judgement, status)
        self._across(judgement, seen)

    def _answered_request(self, judgement: Judgement, status: int) -> None:
        """What the contract says the answer to this request must be."""
        ok = 200 <= status < 300
        if judgement.credential_problem is not None:
            why = f"a request {judgement.credential_problem} was answered {status}, not 401"
            judgement.check("auth.credential-required", RESPONSE, None if status == 401 else why)
        if judgement.several_authorizations:
            why = f"a request with several Authorization headers was answered {status}, not 401"
            judgement.check("auth.single-header", RESPONSE, None if status == 401 else why)
        credentials_pass = judgement.credential_problem is None and not (
            judgement.several_authorizations or judgement.api_key
        )
        # A key this proxy saw minted gets conformance's verdicts (_across). Any other api_ key
        # may be unknown to the deployment (401), but is never let through.
        if judgement.api_key and self.ledger.find(judgement.bearer or "") is None:
            why = f"an API key presented to Create Token was answered {status}, not 403"
            judgement.check(
                "auth.api-key-forbidden", RESPONSE, why if status not in (401, 403) else None
            )
        if judgement.oversize:
            why = f"a body over the size limit was answered {status}, not 413"
            refused = status in (401, 403, 413) if credentials_pass else not ok
            judgement.check("body.size-limit", RESPONSE, None if refused else why)
        if judgement.media_problem and not judgement.oversize:
            why = f"a body in another media type or coding was answered {status}, not 415"
            judgement.check("body.media-type", RESPONSE, why if ok else None)
        rule = judgement.body_rule
        if rule is not None and credentials_pass and not judgement.media_problem:
            what = "not strict JSON" if rule == "body.strict-json" else "the schema refuses"
            judgement.check(rule, RESPONSE, f"a body {what} was answered {status}" if ok else None)

    def _across(self, judgement: Judgement, seen: Observed) -> None:
        """Refused credentials remembered (by digest); minted and presented keys are the
        response checks' (key.unique, key.recognised, auth.api-key-forbidden)."""
        bearer, answer = judgement.bearer, seen.answer
        if bearer is not None and not judgement.several_authorizations:
            # Credentials are judged before anything else: any other answer accepted it.
            if answer.status == 401:
                self._retries.refused(_digest(bearer), self._clock())
            else:
                self._retries.accepted(_digest(bearer))

    def dropped(self, judgement: Judgement, what: str) -> None:
        """The upstream took the request and dropped the connection instead of answering."""
        if judgement.operation is not None:
            judgement.check("response.no-server-error", RESPONSE, f"the deployment {what}")
