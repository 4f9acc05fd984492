"""Operation rules: unique operationIds, each with a real handler, each declaring security."""

from __future__ import annotations

from collections.abc import Iterator

from token_api.contract.naming import handler_name
from token_api.spectools.pointers import join
from token_api.spectools.rules import Context, Issue, rule


@rule("operation-id-unique", "Every operation has an operationId, and no two share one.")
def operation_id_unique(context: Context) -> Iterator[Issue]:
    first: dict[str, str] = {}
    for operation in context.operations:
        operation_id = operation.operation_id
        if operation_id is None:
            yield operation.pointer, f"{operation.label} has no operationId (string)"
        elif operation_id in first:
            yield (
                join(operation.pointer, "operationId"),
                f"{operation_id!r} is also the operationId of {first[operation_id]}",
            )
        else:
            first[operation_id] = operation.label


@rule("operation-handler", "Every operationId resolves to a handler of the reference server.")
def operation_handler(context: Context) -> Iterator[Issue]:
    handlers = context.handlers
    for operation in context.operations:
        operation_id = operation.operation_id
        if operation_id is not None and handlers.handler(operation_id) is None:
            yield (
                join(operation.pointer, "operationId"),
                f"{operation_id!r} has no handler {handler_name(operation_id)}() in "
                f"{handlers.name} (token-api stubs --write generates one)",
            )


@rule("handler-stub", "No handler is still the stub `token-api stubs --write` generated.")
def handler_stub(context: Context) -> Iterator[Issue]:
    handlers = context.handlers
    for operation in context.operations:
        name = handlers.handler(operation.operation_id) if operation.operation_id else None
        if name is not None and handlers.is_stub(name):
            yield (
                join(operation.pointer, "operationId"),
                f"{handlers.name}.{name}() is a generated stub answering 501: implement it",
            )


@rule("operation-security", "Every operation declares `security` ([] for public ones).")
def operation_security(context: Context) -> Iterator[Issue]:
    schemes = context.document.get("components", {}).get("securitySchemes", {}) or {}
    for operation in context.operations:
        if "security" not in operation.node:
            yield (
                operation.pointer,
                f"{operation.label} does not declare security: say who may call it "
                "(security: [] if anyone may)",
            )
            continue
        requirement = operation.node["security"]
        for index, alternative in enumerate(requirement if isinstance(requirement, list) else []):
            for name in alternative if isinstance(alternative, dict) else {}:
                if name not in schemes:
                    yield (
                        join(operation.pointer, "security", index, name),
                        f"names the security scheme {name!r}, which components does not define",
                    )
