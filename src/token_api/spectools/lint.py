"""``token-api lint``: run every rule over a spec and collect the findings."""

from __future__ import annotations

from token_api.spectools.findings import Finding
from token_api.spectools.loading import Spec
from token_api.spectools.pointers import RefError
from token_api.spectools.published import Published
from token_api.spectools.rules import RULES, Context
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
    findings: list[Finding] = []
    ordered = [RULES[VALIDITY], *(r for r in RULES.values() if r.id != VALIDITY)]
    for rule in ordered:
        try:
            findings += [
                Finding(rule.id, "error", where, message) for where, message in rule.check(context)
            ]
        except (RefError, KeyError, TypeError, AttributeError) as error:
            # On an invalid document a rule may meet shapes it cannot read: valid-openapi has
            # said what is wrong. On a valid one it is a bug in the rule and must surface.
            if not any(f.rule == VALIDITY for f in findings):
                raise
            findings.append(
                Finding(rule.id, "info", "", f"skipped: the document is not valid ({error!r})")
            )
    return findings
