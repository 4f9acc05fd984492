"""``token-api lint``: run every rule over a spec and collect the findings."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection

from token_api.spectools.findings import Finding
from token_api.spectools.loading import Spec
from token_api.spectools.pointers import RefError
from token_api.spectools.published import Published
from token_api.spectools.rules import RULES, Context, Issue, Rule
from token_api.spectools.rules import contract as _contract
from token_api.spectools.rules import examples as _examples
from token_api.spectools.rules import operations as _operations
from token_api.spectools.rules import responses as _responses
from token_api.spectools.rules import validity as _validity

# Registration happens on import; the order above is the order rules run in.
_ = (_validity, _operations, _responses, _examples, _contract)
VALIDITY = "valid-openapi"


def lint(
    spec: Spec, *, handlers_module: str | None = None, published: Published | None = None
) -> list[Finding]:
    """Every finding; raises HandlerModuleError when the handlers module cannot be read."""
    context = Context(spec.document, spec.path, published=published)
    if handlers_module:
        context.handlers_module = handlers_module
    # openapi-spec-validator is the slowest rule by far: it runs beside the others. Its
    # libraries are imported first, once: example-valid needs most of them too, and a fork
    # inherits them (imported on both sides, they cost 0.2 s of CPU twice).
    _validity.import_libraries()
    validity = _beside(RULES[VALIDITY], context)
    others: list[Finding] = []
    failures: list[tuple[Rule, Exception]] = []
    for rule in (r for r in RULES.values() if r.id != VALIDITY):
        try:
            others += [
                Finding(rule.id, "error", where, message) for where, message in rule.check(context)
            ]
        except (RefError, KeyError, TypeError, AttributeError) as error:
            failures.append((rule, error))
    findings = [Finding(VALIDITY, "error", where, message) for where, message in validity()]
    for rule, failure in failures:
        # On an invalid document a rule may meet shapes it cannot read: valid-openapi has
        # said what is wrong. On a valid one it is a bug in the rule and must surface.
        if not findings:
            raise failure
        others.append(
            Finding(rule.id, "info", "", f"skipped: the document is not valid ({failure!r})")
        )
    return findings + others


def _beside(rule: Rule, context: Context) -> Callable[[], list[Issue]]:
    """Start the rule in a forked process; the function returned waits for its issues. Where
    there is one core, or no fork, the rule runs here when they are asked for."""
    try:
        if (os.cpu_count() or 1) < 2 or multiprocessing.current_process().daemon:
            raise ValueError("no second process")
        fork = multiprocessing.get_context("fork")
        receive, send = fork.Pipe(duplex=False)
        process = fork.Process(target=_send_issues, args=(rule, context, send), daemon=True)
        process.start()
    except (ValueError, OSError):
        return lambda: list(rule.check(context))
    send.close()

    def issues() -> list[Issue]:
        try:
            outcome, value = receive.recv()
        except EOFError:
            outcome, value = "error", RuntimeError(f"{rule.id} stopped without an answer")
        finally:
            receive.close()
            process.join()
        if outcome == "error":
            raise value
        return value  # type: ignore[no-any-return]

    return issues


def _send_issues(rule: Rule, context: Context, send: Connection) -> None:
    try:
        send.send(("ok", list(rule.check(context))))
    except Exception as error:  # raised again in the parent, as if the rule had run there
        send.send(("error", error))
    finally:
        send.close()
