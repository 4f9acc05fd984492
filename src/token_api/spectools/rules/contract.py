"""Contract rules: the published schemas are still there key for key; every status the server
can answer is documented."""

from __future__ import annotations

from collections.abc import Iterator

from token_api.spectools import published
from token_api.spectools.openapi import is_public, security
from token_api.spectools.pointers import join
from token_api.spectools.rules import Context, Issue, rule
from token_api.spectools.server_statuses import ServerStatuses


@rule("published-schemas", "The vendor's published request/response schemas are kept key for key.")
def published_schemas(context: Context) -> Iterator[Issue]:
    # The stored contract ships with the package: this rule runs wherever lint runs.
    contract = context.published or published.stored()
    for difference in published.compare(context.document, contract):
        yield difference.pointer, f"{difference.message} ({contract.source})"


def _documents(statuses: set[str], status: int) -> bool:
    code = str(status)
    return code in statuses or f"{code[0]}XX" in statuses or "default" in statuses


@rule("status-documented", "Every status the reference server can answer is documented.")
def status_documented(context: Context) -> Iterator[Issue]:
    server = ServerStatuses(context.handlers)
    for operation in context.operations:
        responses = operation.node.get("responses")
        documented = {str(s).upper() for s in responses} if isinstance(responses, dict) else set()
        name = context.handlers.handler(operation.operation_id) if operation.operation_id else None
        causes = server.causes(
            name,
            secured=not is_public(security(context.document, operation)),
            body="requestBody" in operation.node,
            parameters=bool(operation.parameters),
        )
        reported: set[int] = set()
        for cause in causes:
            if cause.status not in reported and not _documents(documented, cause.status):
                reported.add(cause.status)
                yield (
                    join(operation.pointer, "responses"),
                    f"{operation.label} can answer {cause.status} ({cause.why}) "
                    "but does not document it",
                )
