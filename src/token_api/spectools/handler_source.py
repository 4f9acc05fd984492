"""The handlers module, read as source: which operationIds it answers, which are still stubs.

Reading rather than importing keeps ``lint`` and ``stubs --check`` fast (the module imports the
server's whole stack) and lets them check a module that would not import at all.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from token_api.contract.naming import handler_name
from token_api.server.layout import HANDLERS_MODULE
from token_api.spectools.stubmark import MARK

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class HandlerModuleError(Exception):
    """The handlers module cannot be found or parsed; one sentence."""


@dataclass
class HandlerModule:
    name: str
    path: Path
    source: str
    tree: ast.Module
    functions: dict[str, FunctionNode] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)  # every top-level name Connexion could resolve

    def handler(self, operation_id: str) -> str | None:
        """The function answering ``operation_id``, or None."""
        name = handler_name(operation_id)
        return name if name in self.names else None

    def is_stub(self, name: str) -> bool:
        function = self.functions.get(name)
        return function is not None and any(
            called_name(decorator) == MARK for decorator in function.decorator_list
        )


def called_name(node: ast.expr | None) -> str | None:
    """The name a call, decorator or reference ends in: ``f``, ``mod.f`` and ``f(...)`` → ``f``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _bound_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [statement.name]
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    return [
        node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)
    ]


def module_path(name: str) -> Path:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as error:
        raise HandlerModuleError(f"Cannot find the handlers module {name}: {error}.") from None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise HandlerModuleError(f"Cannot find the handlers module {name} as a .py file.")
    return Path(spec.origin)


def parse(name: str, path: Path) -> HandlerModule:
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as error:
        raise HandlerModuleError(f"Cannot read the handlers module {path}: {error}.") from None
    module = HandlerModule(name, path, source, tree)
    for statement in tree.body:
        module.names.update(_bound_names(statement))
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            module.functions[statement.name] = statement
    return module


def load(name: str = HANDLERS_MODULE) -> HandlerModule:
    return parse(name, module_path(name))
