"""Which statuses the reference server can answer for an operation, read from its source.

Nothing is imported: the modules are parsed. For one operation the server runs, in order,

- Connexion's security check, if the operation declares security: it answers ``401`` itself for
  a missing or malformed ``Authorization`` header, then calls our token-info function (the one
  ``token_api.server.app`` passes to ``bearer_security_map``);
- Connexion's validators: for a request body, ``415`` for an undeclared ``Content-Type`` and our
  body validator (``VALIDATOR_MAP["body"]`` in ``token_api.contract.validators``); for parameters,
  Connexion's ``ParameterValidator`` (``400``);
- the handler, whose own ``return body, status`` give statuses directly.

Before any of that, the HTTP layer (``token_api.server.http``) answers some requests itself (a
head too large, a deadline passed, too many connections, ...): the statuses in its
``HTTP_ANSWERS`` table, each for every operation or only for those with a request body.

Every exception raised by project code reachable from those entry points becomes the status of
the first ``HANDLERS`` entry (``token_api.contract.errors``) on its class's MRO, as Starlette
picks it. Reachability follows names: a function references a name, and every project function,
method or class of that name is reachable. That over-approximates (two methods with one name are
both followed) and never misses a raise reached through project code by name.

``500`` ("Internal server error.") is the catch-all ``Exception`` entry of ``HANDLERS``: any
operation can answer it (a bug, a stored row the server cannot read), so where the table has
that entry every operation needs ``500`` documented, whatever it raises. Left out, on purpose:
``404`` and ``405`` answer requests that match no operation (Starlette's routing, before any
operation is chosen), so they belong to none; the spec's ``info.description`` documents them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# What is read, and where: named by the server itself (see there why this is one-directional).
from token_api.server import layout
from token_api.spectools.handler_source import FunctionNode, HandlerModule, called_name

# What a class reference runs.
CLASS_ENTRY_METHODS = ("__init__", "__post_init__", "__new__", "__enter__", "__exit__", "__call__")
# Statuses Connexion answers by itself, by what the operation declares (not in our source).
FRAMEWORK = {
    "security": (401, "Connexion refuses a missing or malformed Authorization header"),
    "body": (415, "Connexion refuses a Content-Type the operation does not declare"),
    "parameters": (400, "Connexion's ParameterValidator refuses a malformed parameter"),
}
BUG = 500
CATCH_ALL = "Exception"


@dataclass(frozen=True)
class Function:
    qualname: str  # module.Class.name, for messages
    node: FunctionNode


@dataclass
class SourceIndex:
    functions: dict[str, list[Function]] = field(default_factory=dict)
    classes: dict[str, list[ast.ClassDef]] = field(default_factory=dict)
    modules: dict[str, ast.Module] = field(default_factory=dict)  # relative path → tree

    def add(self, module: str, tree: ast.Module) -> None:
        for statement in tree.body:
            self._add(module, statement)

    def _add(self, prefix: str, statement: ast.stmt) -> None:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            qualname = f"{prefix}.{statement.name}"
            self.functions.setdefault(statement.name, []).append(Function(qualname, statement))
        elif isinstance(statement, ast.ClassDef):
            self.classes.setdefault(statement.name, []).append(statement)
            for inner in statement.body:
                self._add(f"{prefix}.{statement.name}", inner)


@dataclass(frozen=True)
class Cause:
    status: int
    why: str


def _module_name(relative: Path) -> str:
    return ".".join(("token_api", *relative.with_suffix("").parts))


@cache
def _package_index() -> SourceIndex:
    root = layout.SOURCE_ROOT
    index = SourceIndex()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] not in layout.SERVER_PACKAGES or any(
            relative.as_posix().startswith(skip + "/") for skip in layout.NOT_THE_SERVER
        ):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        index.modules[relative.as_posix()] = tree
        index.add(_module_name(relative), tree)
    return index


def _own_statements(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function body, without those of functions defined inside it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield child
        yield from _own_statements(child)


def _status_literal(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value <= 599:
        return node.value
    return None


def _handler_statuses(tree: ast.Module) -> dict[str, set[int]]:
    """Exception class name → the statuses its HANDLERS entry answers."""
    local = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }

    def statuses(name: str, seen: frozenset[str] = frozenset()) -> set[int]:
        found: set[int] = set()
        for node in ast.walk(local[name]):
            if not isinstance(node, ast.Call):
                continue
            literal = _status_literal(node.args[0]) if node.args else None
            callee = called_name(node)
            if literal is not None:
                found.add(literal)
            elif callee in local and callee not in seen and callee != name:
                found |= statuses(callee, seen | {name})
        return found

    table: dict[str, set[int]] = {}
    for statement in tree.body:
        value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        if not any(isinstance(t, ast.Name) and t.id == layout.ERRORS_TABLE for t in targets):
            continue
        for entry in value.elts if isinstance(value, ast.List | ast.Tuple) else []:
            if isinstance(entry, ast.Tuple) and len(entry.elts) == 2:
                exception, handler = (called_name(e) for e in entry.elts)
                if exception and handler in local:
                    table.setdefault(exception, statuses(handler))
    return table


def _http_answers(tree: ast.Module) -> dict[int, str]:
    """``HTTP_ANSWERS = {status: "every" | "body", ...}``: what the HTTP layer answers itself."""
    for statement in tree.body:
        target: ast.expr | None = None
        if isinstance(statement, ast.AnnAssign):
            target = statement.target
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
        if (
            isinstance(target, ast.Name)
            and target.id == layout.HTTP_TABLE
            and isinstance(value, ast.Dict)
        ):
            return {
                status: str(kind.value)
                for key, kind in zip(value.keys, value.values, strict=True)
                if (status := _status_literal(key)) is not None and isinstance(kind, ast.Constant)
            }
    return {}


def _dict_entry_names(tree: ast.Module, variable: str, key: str) -> set[str]:
    """Every name used in ``variable = {key: ...}``'s value."""
    for statement in tree.body:
        value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
        if not isinstance(value, ast.Dict):
            continue
        names = [
            t.id
            for t in ast.walk(statement)
            if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)
        ]
        if variable not in names:
            continue
        for k, v in zip(value.keys, value.values, strict=True):
            if isinstance(k, ast.Constant) and k.value == key:
                return {n.id for n in ast.walk(v) if isinstance(n, ast.Name)}
    return set()


def _call_argument_names(tree: ast.Module, function: str) -> set[str]:
    """The names passed to every call of ``function`` in the module."""
    return {
        argument.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and called_name(node) == function
        for argument in node.args
        if isinstance(argument, ast.Name)
    }


class Reach:
    """The exceptions raised in project code reachable from some functions."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index

    def functions_named(self, name: str) -> list[Function]:
        found = list(self.index.functions.get(name, []))
        if name in self.index.classes:
            for cls in (c for base in self.mro(name) for c in self.index.classes.get(base, [])):
                for method in CLASS_ENTRY_METHODS:
                    found += [f for f in self.index.functions.get(method, []) if _in_class(f, cls)]
        return found

    def methods(self, class_name: str) -> list[Function]:
        return [
            function
            for cls in self.index.classes.get(class_name, [])
            for statement in cls.body
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef)
            for function in self.index.functions[statement.name]
            if function.node is statement
        ]

    def raises(self, entries: list[Function]) -> dict[str, tuple[str, int | None]]:
        """Exception class name → (where raised, a literal status passed to it, if any)."""
        raised: dict[str, tuple[str, int | None]] = {}
        seen: set[int] = set()
        work = list(entries)
        while work:
            function = work.pop()
            if id(function.node) in seen:
                continue
            seen.add(id(function.node))
            for node in _own_statements(function.node):
                if isinstance(node, ast.Raise) and node.exc is not None:
                    name = called_name(node.exc)
                    if name:
                        raised.setdefault(name, (function.qualname, _raise_status(node.exc)))
                elif isinstance(node, ast.Name | ast.Attribute):
                    name = node.id if isinstance(node, ast.Name) else node.attr
                    if not _dunder(name):  # super().__init__ & co: a class reference covers them
                        work += self.functions_named(name)
        return raised

    def mro(self, class_name: str) -> list[str]:
        order, queue = [], [class_name]
        while queue:
            name = queue.pop(0)
            if name in order:
                continue
            order.append(name)
            for cls in self.index.classes.get(name, []):
                queue += [b for b in (called_name(base) for base in cls.bases) if b]
        return order


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _in_class(function: Function, cls: ast.ClassDef) -> bool:
    return any(statement is function.node for statement in cls.body)


def _raise_status(node: ast.expr) -> int | None:
    """``raise ProblemException(status=409, ...)``: the status its handler will send."""
    if not isinstance(node, ast.Call):
        return None
    for keyword in node.keywords:
        if keyword.arg in ("status", "status_code"):
            return _status_literal(keyword.value)
    return None


def _returned_statuses(function: FunctionNode) -> set[int]:
    """``return body, status[, headers]``; a return without a status is Connexion's 200."""
    found = set()
    for node in _own_statements(function):
        if isinstance(node, ast.Return):
            value = node.value
            if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
                literal = _status_literal(value.elts[1])
                if literal is not None:
                    found.add(literal)
            else:
                found.add(200)
    return found


class ServerStatuses:
    """Statuses per operation, with the reason for each."""

    def __init__(self, handlers: HandlerModule) -> None:
        self.index = SourceIndex(
            functions={k: list(v) for k, v in _package_index().functions.items()},
            classes={k: list(v) for k, v in _package_index().classes.items()},
            modules=_package_index().modules,
        )
        self.handlers = handlers
        if handlers.path.resolve() != (layout.SOURCE_ROOT / layout.HANDLERS_FILE).resolve():
            self.index.add(handlers.name, handlers.tree)
        self.reach = Reach(self.index)
        self._raised: dict[tuple[int, ...], dict[str, tuple[str, int | None]]] = {}
        self.table = _handler_statuses(self.index.modules[layout.ERRORS_FILE])
        validators = self.index.modules[layout.VALIDATORS_FILE]
        self.body_validators = [
            method
            for name in _dict_entry_names(validators, layout.VALIDATOR_MAP, "body")
            for method in self.reach.methods(name)
        ]
        self.token_info = [
            function
            for name in _call_argument_names(
                self.index.modules[layout.APP_FILE], layout.SECURITY_FACTORY
            )
            for function in self.index.functions.get(name, [])
        ]
        http = self.index.modules.get(layout.HTTP_FILE)
        self.http_answers = _http_answers(http) if http is not None else {}

    def _raises(self, entries: list[Function]) -> dict[str, tuple[str, int | None]]:
        """What the entries raise, walked once per set of entries: a large spec's operations
        mostly share the same few (the token check, the body validator)."""
        key = tuple(id(entry.node) for entry in entries)
        found = self._raised.get(key)
        if found is None:
            found = self._raised[key] = self.reach.raises(entries)
        return found

    def _status_of(self, exception: str, literal: int | None) -> set[int]:
        for name in self.reach.mro(exception):
            if name in self.table:
                statuses = {literal} if literal else self.table[name]
                return {s for s in statuses if s != BUG}
        return set()

    def causes(
        self, handler: str | None, *, secured: bool, body: bool, parameters: bool
    ) -> list[Cause]:
        causes: list[Cause] = []
        entries: list[Function] = []
        if secured:
            causes.append(Cause(*FRAMEWORK["security"]))
            entries += self.token_info
        if body:
            causes.append(Cause(*FRAMEWORK["body"]))
            entries += self.body_validators
        if parameters:
            causes.append(Cause(*FRAMEWORK["parameters"]))
        function = self.handlers.functions.get(handler) if handler else None
        if function is not None:
            qualname = f"{self.handlers.name}.{function.name}"
            kind = "the generated stub" if self.handlers.is_stub(function.name) else "the handler"
            causes += [
                Cause(status, f"returned by {kind} {qualname}")
                for status in sorted(_returned_statuses(function))
            ]
            entries.append(Function(qualname, function))
        for exception, (where, literal) in sorted(self._raises(entries).items()):
            causes += [
                Cause(status, f"{exception} raised in {where}")
                for status in sorted(self._status_of(exception, literal))
            ]
        if BUG in self.table.get(CATCH_ALL, ()):
            causes.append(Cause(BUG, f"the catch-all {CATCH_ALL} entry of {layout.ERRORS_TABLE}"))
        # Last: a status the API gives for a reason of its own is reported with that reason.
        causes += [
            Cause(status, f"the HTTP layer answers it before the API ({layout.HTTP_FILE})")
            for status, kind in sorted(self.http_answers.items())
            if kind == "every" or (kind == "body" and body)
        ]
        return causes
