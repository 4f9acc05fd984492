"""``token-api stubs``: which operations lack a handler, and skeletons for them.

A skeleton goes where Connexion resolves the operationId (``handler_name`` in the handlers
module), takes what Connexion passes it (path and query parameters by their sanitized names, the
body as ``body``, ``token_info`` when the operation is secured), answers
``501 {"detail": "Not implemented"}`` and carries ``@generated_stub`` until it is implemented.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass
from typing import Any

from token_api.contract.naming import handler_name
from token_api.spectools.handler_source import HandlerModule, HandlerModuleError
from token_api.spectools.openapi import Operation, is_public, operations, security
from token_api.spectools.pointers import deref
from token_api.spectools.stubmark import MARK

IMPORT = f"from token_api.spectools.stubmark import {MARK}"
_PYTHON_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list[object]",
    "object": "dict[str, object]",
}
_LINE = 100


@dataclass(frozen=True)
class Gap:
    """An operation that is not implemented: no handler, a stub, or no operationId at all."""

    operation: Operation
    handler: str | None
    problem: str

    def line(self) -> str:
        return (
            f"{self.operation.operation_id or '(no operationId)'}: {self.problem} "
            f"({self.operation.label})"
        )


def gaps(document: dict[str, Any], module: HandlerModule) -> list[Gap]:
    found = []
    for operation in operations(document):
        operation_id = operation.operation_id
        if operation_id is None:
            found.append(Gap(operation, None, "the operation has no operationId to resolve"))
            continue
        name = handler_name(operation_id)
        if name not in module.names:
            found.append(Gap(operation, name, f"no handler {name}() in {module.name}"))
        elif module.is_stub(name):
            found.append(
                Gap(operation, name, f"{module.name}.{name}() is a generated stub answering 501")
            )
    return found


def _sanitized(name: str) -> str:
    """Connexion's ``sanitized`` (pythonic_params is off): the keyword it passes."""
    return re.sub(r"^[^a-zA-Z_]+", "", re.sub(r"[^0-9a-zA-Z_]", "", re.sub(r"\[(?!])", "_", name)))


def _annotation(document: dict[str, Any], schema: Any, where: str) -> str:
    schema, _ = deref(document, schema, where)
    if not isinstance(schema, dict):
        return "object"
    declared = schema.get("type")
    if isinstance(declared, list):
        names = [t for t in declared if t != "null"]
        declared = names[0] if len(names) == 1 else None
    if declared is None:
        for keyword_ in ("anyOf", "oneOf"):
            branches = [b for b in schema.get(keyword_, []) if b != {"type": "null"}]
            if len(branches) == 1:
                return _annotation(document, branches[0], where)
    return _PYTHON_TYPES.get(str(declared), "object")


def _arguments(document: dict[str, Any], operation: Operation) -> list[str]:
    required, optional, unnamed = [], [], False
    for (place, _), (parameter, where) in sorted(operation.parameters.items()):
        if place not in ("path", "query"):
            continue  # Connexion passes headers and cookies to no handler
        name = _sanitized(str(parameter.get("name", "")))
        if not name.isidentifier() or keyword.iskeyword(name):
            unnamed = True
            continue
        annotation = _annotation(document, parameter.get("schema"), where + "/schema")
        if parameter.get("required") or place == "path":
            required.append(f"{name}: {annotation}")
        else:
            optional.append(f"{name}: {annotation} | None = None")
    body, where = deref(
        document, operation.node.get("requestBody"), operation.pointer + "/requestBody"
    )
    if isinstance(body, dict):
        content = body.get("content") or {}
        media: Any = next(iter(content.values()), {}) if isinstance(content, dict) else {}
        schema = media.get("schema") if isinstance(media, dict) else None
        resolved, _ = deref(document, schema, where)
        name = (resolved or {}).get("x-body-name", "body") if isinstance(resolved, dict) else "body"
        annotation = _annotation(document, schema, where)
        if body.get("required"):
            required.append(f"{_sanitized(name)}: {annotation}")
        else:
            optional.append(f"{_sanitized(name)}: {annotation} | None = None")
    if not is_public(security(document, operation)):
        required.append("token_info: dict[str, object]")
    arguments = required + optional
    if unnamed:
        arguments.append("**parameters: object")
    return arguments


def _docstring(operation: Operation) -> str:
    summary = str(operation.node.get("summary") or operation.operation_id or operation.label)
    summary = " ".join(summary.split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return (
        f'    """{summary}\n\n'
        f"    Generated by `token-api stubs --write` for {operation.label}: implement it, then\n"
        f'    remove @{MARK}.\n    """\n'
    )


def skeleton(document: dict[str, Any], operation: Operation, name: str) -> str:
    """The handler's source, formatted as ruff formats it."""
    arguments = _arguments(document, operation)
    returns = " -> tuple[dict[str, str], int]:"
    head = f"async def {name}({', '.join(arguments)}){returns}"
    if len(head) > _LINE:
        head = f"async def {name}(\n" + "".join(f"    {a},\n" for a in arguments) + f"){returns}"
    return (
        f"\n\n@{MARK}\n{head}\n{_docstring(operation)}"
        '    return {"detail": "Not implemented"}, 501\n'
    )


def _with_import(source: str, module: HandlerModule) -> str:
    """The source with the stub mark imported after its last top-level import."""
    if MARK in module.names:
        return source
    imports = [s for s in module.tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
    lines = source.splitlines(keepends=True)
    at = (imports[-1].end_lineno or 0) if imports else 0
    return "".join([*lines[:at], IMPORT + "\n", *lines[at:]])


def write(document: dict[str, Any], module: HandlerModule) -> list[str]:
    """Append a skeleton for every operation without a handler; the names written."""
    missing = [
        gap
        for gap in gaps(document, module)
        if gap.handler is not None and gap.handler not in module.names
    ]
    if not missing:
        return []
    source = module.source if module.source.endswith("\n") else module.source + "\n"
    source = _with_import(source, module)
    written: list[str] = []
    for gap in missing:
        assert gap.handler is not None
        if gap.handler in written:
            continue  # two operations with one operationId: lint reports that
        source = source.rstrip("\n") + "\n" + skeleton(document, gap.operation, gap.handler)
        written.append(gap.handler)
    try:
        ast.parse(source)
    except SyntaxError as error:
        raise HandlerModuleError(f"The generated handlers would not parse ({error}).") from None
    try:
        module.path.write_text(source, encoding="utf-8")
    except OSError as error:
        raise HandlerModuleError(f"Cannot write {module.path}: {error}.") from None
    return written
