"""The one registry of conformance checks, in the shape of Schemathesis's ``@schemathesis.check``.

A check is registered by decorating the function that judges: its name is the function's name,
its description the first line of its docstring, and it names the contract rules it judges (the
``x-rules`` ids of ``openapi.yaml``). A second check of one name is refused. Three kinds:

- ``@response_check(...)``: judges one answer, ``(judge, seen) -> Finding``; every answer the run
  gets is judged by every response check, the scenarios' and Schemathesis's alike;
- ``@scenario_check(...)``: sends its own requests and judges their answers, ``(probe) -> None``
  (a generator when part of it must wait until the end of the run);
- Schemathesis's built-in checks, listed in ``BUILT_IN`` with the rules they judge.

A check that needs what the run may not have (``needs``: a narrower user, role ids, ...) is
skipped, or (``wants``) run in part, with the reason ``NEEDS`` gives. The catalogue, the report's
order, the skip reasons and the documentation's tables all come from here; ``catalogue()`` is
the registry as plain data.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

TOKEN_API = "token-api"
SCHEMATHESIS = "schemathesis"
RESPONSE, SCENARIO, BUILT_IN_KIND = "response", "scenario", "built-in"

# What a check may need, and the reason given when the run does not have it.
NEEDS: dict[str, str] = {
    "narrower": "no MEMBER or EXTERNAL user's session: give --identities FILE with one",
    "external": "no EXTERNAL user's session: give --identities FILE with one",
    "workspace": "no workspace the ADMIN may mint for: give --workspace NAME or --identities FILE",
    "roles": 'no role ids: give --identities FILE with "roles": {"ADMIN": "<uuid>", ...}',
    "long-lived": (
        "it leaves a key that lives the deployment's default lifetime (30 days unless configured):"
        " run with --allow-long-lived-tokens"
    ),
    "deletes": "nothing can be deleted: the API has no DELETE operation",
    "reads-by-id": "no operation reads a resource by its id (GET …/{id})",
    "response-time-limit": "no response-time limit is set (Schemathesis checks it only with one)",
}

# The modules whose functions register themselves; imported by ``checks()``, not before, so
# the command line starts without them.
_MODULES = (
    "token_api.conformance.response_checks",
    "token_api.conformance.probes.credentials",
    "token_api.conformance.probes.keys",
    "token_api.conformance.probes.grants",
    "token_api.conformance.probes.workspaces",
    "token_api.conformance.probes.bodies",
    "token_api.conformance.probes.routing",
)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    description: str
    rules: tuple[str, ...]  # the x-rules ids it judges
    source: str  # TOKEN_API or SCHEMATHESIS
    kind: str  # RESPONSE, SCENARIO or BUILT_IN_KIND
    needs: tuple[str, ...] = ()  # skipped without each
    wants: tuple[str, ...] = ()  # run in part without each
    function: Callable[..., Any] | None = None  # None for Schemathesis's own

    def as_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "rules": list(self.rules),
            "source": self.source,
            "kind": self.kind,
            "needs": {need: NEEDS[need] for need in self.needs},
            "partial_without": {want: NEEDS[want] for want in self.wants},
        }


class DuplicateCheck(Exception):
    """A second check with a name already registered."""


_REGISTERED: dict[str, Check] = {}
F = TypeVar("F", bound=Callable[..., Any])


def _description(function: Callable[..., Any]) -> str:
    doc = (function.__doc__ or "").strip()
    if not doc:
        raise ValueError(f"check {function.__name__} has no docstring to describe it")
    return doc.splitlines()[0].strip()


def _add(check: Check) -> None:
    if check.name in _REGISTERED:
        raise DuplicateCheck(f"a check named {check.name!r} is already registered")
    unknown = [need for need in (*check.needs, *check.wants) if need not in NEEDS]
    if unknown or not check.rules:
        raise ValueError(f"check {check.name}: unknown needs {unknown} or no rule ids")
    _REGISTERED[check.name] = check


def _register(
    kind: str, rules: tuple[str, ...], needs: tuple[str, ...], wants: tuple[str, ...]
) -> Callable[[F], F]:
    def register(function: F) -> F:
        _add(
            Check(
                function.__name__,
                _description(function),
                rules,
                TOKEN_API,
                kind,
                needs,
                wants,
                function,
            )
        )
        return function

    return register


def response_check(*rules: str, needs: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Register ``(judge, seen) -> Finding``, judging every answer the run gets."""
    return _register(RESPONSE, rules, needs, ())


def scenario_check(
    *rules: str, needs: tuple[str, ...] = (), wants: tuple[str, ...] = ()
) -> Callable[[F], F]:
    """Register ``(probe) -> None``: it sends its own requests and judges their answers."""
    return _register(SCENARIO, rules, needs, wants)


# Schemathesis's built-in checks (`--checks all`), with the rules of openapi.yaml each judges.
BUILT_IN = (
    Check("not_a_server_error", "no 5xx responses", ("response.no-server-error",), SCHEMATHESIS,
          BUILT_IN_KIND),
    Check("status_code_conformance", "status codes are documented",
          ("response.status-documented",), SCHEMATHESIS, BUILT_IN_KIND),
    Check("content_type_conformance", "Content-Type is documented", ("response.json",),
          SCHEMATHESIS, BUILT_IN_KIND),
    Check("response_headers_conformance", "response headers match their schemas",
          ("response.schema",), SCHEMATHESIS, BUILT_IN_KIND),
    Check("response_schema_conformance", "response bodies match their schemas",
          ("response.schema",), SCHEMATHESIS, BUILT_IN_KIND),
    Check("negative_data_rejection", "schema-invalid requests are refused", ("body.schema",),
          SCHEMATHESIS, BUILT_IN_KIND),
    Check("positive_data_acceptance", "schema-valid requests are accepted", ("body.schema",),
          SCHEMATHESIS, BUILT_IN_KIND),
    Check("missing_required_header", "a request without its required headers (Authorization "
          "included) is refused", ("auth.credential-required",), SCHEMATHESIS, BUILT_IN_KIND),
    Check("unsupported_method", "undocumented methods get 405 with Allow", ("method.allowed",),
          SCHEMATHESIS, BUILT_IN_KIND),
    Check("allow_header_conformance", "OPTIONS lists the documented methods", ("method.allowed",),
          SCHEMATHESIS, BUILT_IN_KIND),
    Check("use_after_free", "deleted resources stay gone", (), SCHEMATHESIS, BUILT_IN_KIND,
          needs=("deletes",)),
    Check("ensure_resource_availability", "created resources are available", (), SCHEMATHESIS,
          BUILT_IN_KIND, needs=("reads-by-id",)),
    Check("ignored_auth", "declared authentication is enforced", ("auth.credential-required",),
          SCHEMATHESIS, BUILT_IN_KIND),
    Check("object_level_authorization", "one identity cannot read another's objects", (),
          SCHEMATHESIS, BUILT_IN_KIND, needs=("reads-by-id",)),
    Check("max_response_time", "responses arrive within a time limit", (), SCHEMATHESIS,
          BUILT_IN_KIND, needs=("response-time-limit",)),
)  # fmt: skip

# Listed only when it happened: requests Schemathesis sent that got no answer it could judge.
ERRORS = Check(
    "schemathesis_errors",
    "every request Schemathesis sent got an answer to judge",
    ("response.no-server-error",),
    SCHEMATHESIS,
    BUILT_IN_KIND,
)


def checks() -> list[Check]:
    """Every check, in report order: the API's own (as their modules define them), then
    Schemathesis's."""
    for module in _MODULES:
        importlib.import_module(module)
    return [*_REGISTERED.values(), *BUILT_IN]


def get(name: str) -> Check:
    """The check called ``name``; one Schemathesis reports that the registry does not know is
    still listed, as Schemathesis's."""
    known = {check.name: check for check in (*checks(), ERRORS)}
    return known.get(name) or Check(name, "a Schemathesis check", (), SCHEMATHESIS, BUILT_IN_KIND)


def named(function: Callable[..., Any]) -> Check:
    """The registered check whose function is ``function`` (verdicts name their check so)."""
    check = _REGISTERED.get(getattr(function, "__name__", ""))
    if check is None or check.function is not function:
        raise KeyError(f"{function!r} is not a registered check")
    return check


def by_rule() -> dict[str, list[str]]:
    """Rule id -> the names of the checks that judge it."""
    judged: dict[str, list[str]] = {}
    for check in checks():
        for rule in check.rules:
            judged.setdefault(rule, []).append(check.name)
    return judged


def catalogue() -> list[dict[str, Any]]:
    """The registry as plain data, for documentation: name, description, rules, source, kind,
    and what the check needs (with the reason a run gives when it lacks it)."""
    return [check.as_data() for check in checks()]
