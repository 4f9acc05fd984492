"""Contract rules: the published schemas are still there key for key; every status the server
can answer is documented; the behaviour rules (x-rules) and the conformance checks agree."""

from __future__ import annotations

import re
from collections.abc import Iterator

from token_api.spectools import published
from token_api.spectools.openapi import (
    CLIENT,
    DEPLOYMENT,
    RULES_KEY,
    documents,
    is_public,
    security,
)
from token_api.spectools.pointers import join
from token_api.spectools.rules import Context, Issue, rule
from token_api.spectools.server_statuses import ServerStatuses


@rule("published-schemas", "The vendor's published request/response schemas are kept key for key.")
def published_schemas(context: Context) -> Iterator[Issue]:
    # The stored contract ships with the package: this rule runs wherever lint runs.
    contract = context.published or published.stored()
    for difference in published.compare(context.document, contract):
        yield difference.pointer, f"{difference.message} ({contract.source})"


@rule("status-documented", "Every status the reference server can answer is documented.")
def status_documented(context: Context) -> Iterator[Issue]:
    server = ServerStatuses(context.handlers)
    for operation in context.operations:
        responses = operation.node.get("responses")
        documented = set(responses) if isinstance(responses, dict) else set()
        name = context.handlers.handler(operation.operation_id) if operation.operation_id else None
        causes = server.causes(
            name,
            secured=not is_public(security(context.document, operation)),
            body="requestBody" in operation.node,
            parameters=bool(operation.parameters),
        )
        reported: set[int] = set()
        for cause in causes:
            if cause.status not in reported and not documents(documented, cause.status):
                reported.add(cause.status)
                yield (
                    join(operation.pointer, "responses"),
                    f"{operation.label} can answer {cause.status} ({cause.why}) "
                    "but does not document it",
                )


_RULE_ID = re.compile(r"[a-z][a-z0-9-]*(\.[a-z0-9-]+)+")


@rule(
    "contract-rules",
    "Each x-rules entry has a unique id and a sentence, and (unless it applies to clients) a "
    "conformance check that judges it; each check judges rules the list has.",
)
def contract_rules_judged(context: Context) -> Iterator[Issue]:
    from token_api.conformance import registry

    judged = registry.by_rule()
    seen: dict[str, str] = {}
    listed_anywhere = False
    for operation in context.operations:
        listed = operation.node.get(RULES_KEY)
        if listed is None:
            continue
        listed_anywhere = True
        where = join(operation.pointer, RULES_KEY)
        if not isinstance(listed, list):
            yield where, f"{RULES_KEY} of {operation.label} is not a list"
            continue
        for index, entry in enumerate(listed):
            at = join(where, index)
            rule_id = entry.get("id") if isinstance(entry, dict) else None
            text = entry.get("rule") if isinstance(entry, dict) else None
            if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
                yield at, "a rule's id is a dotted lower-case name such as auth.single-header"
                continue
            if not isinstance(text, str) or not text.strip():
                yield at, f"rule {rule_id} has no sentence (rule: ...)"
            party = entry.get("applies-to", DEPLOYMENT)
            if party not in (DEPLOYMENT, CLIENT):
                yield at, f"rule {rule_id}: applies-to is {DEPLOYMENT} (the default) or {CLIENT}"
            if rule_id in seen:
                yield at, f"rule id {rule_id} is already used at {seen[rule_id]}"
                continue
            seen[rule_id] = at
            # A rule for clients is judged where clients are seen (token-api proxy), not here.
            if rule_id not in judged and party != CLIENT:
                yield at, f"rule {rule_id} is judged by no conformance check"
    if listed_anywhere:
        for rule_id, checks in judged.items():
            if rule_id not in seen:
                names = ", ".join(checks)
                yield "", f"conformance checks {names} judge {rule_id}, which no x-rules lists"
