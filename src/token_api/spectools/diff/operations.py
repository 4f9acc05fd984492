"""Comparing two documents operation by operation: paths, parameters, bodies, responses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from token_api.spectools.diff.changes import OPERATION_RULES, Change, Side
from token_api.spectools.diff.normalize import canonical
from token_api.spectools.diff.schemas import SchemaDiff
from token_api.spectools.diff.security import compare_security
from token_api.spectools.openapi import Operation, operations, success
from token_api.spectools.pointers import deref, join

# Operation keys compared by a rule of their own, or documentation.
_OPERATION_KEYS = frozenset(
    {
        "operationId",
        "parameters",
        "requestBody",
        "responses",
        "security",
        "summary",
        "description",
        "tags",
        "externalDocs",
        "deprecated",
    }
)
_OPERATION_DOCUMENTATION = frozenset(
    {"summary", "description", "tags", "externalDocs", "deprecated"}
)
_INFO = frozenset(
    {"title", "summary", "description", "version", "contact", "license", "termsOfService"}
)
_STYLE_DEFAULTS = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def template(path: str) -> str:
    """``/items/{id}`` and ``/items/{itemId}`` are one path."""
    return re.sub(r"\{[^}]*\}", "{}", path)


@dataclass
class DocumentDiff:
    old: dict[str, Any]
    new: dict[str, Any]
    changes: list[Change] = field(default_factory=list)

    def add(
        self,
        rule: str,
        where: str,
        detail: str,
        operation: str | None = None,
        *,
        old: bool = False,
    ) -> None:
        verdict, _ = OPERATION_RULES[rule]
        consequence = "breaks existing clients" if verdict else "existing clients keep working"
        self.changes.append(
            Change(
                rule,
                where,
                verdict,
                f"{detail}: {consequence}",
                (operation,) if operation else (),
                old,
            )
        )

    def schemas(self, side: Side, operation: str) -> SchemaDiff:
        return SchemaDiff(self.old, self.new, side, operation)

    def run(self) -> list[Change]:
        self._servers()
        self._documentation(self.old.get("info"), self.new.get("info"), "/info", None, _INFO)
        self._documentation(self.old, self.new, "", None, frozenset({"tags", "externalDocs"}))
        if canonical(self.old.get("webhooks")) != canonical(self.new.get("webhooks")):
            self.add("operation-changed", "/webhooks", "webhooks changed; diff does not rank them")
        old_ops = {(template(o.path), o.method): o for o in operations(self.old)}
        new_ops = {(template(o.path), o.method): o for o in operations(self.new)}
        old_paths = {path for path, _ in old_ops}
        new_paths = {path for path, _ in new_ops}
        for key, operation in old_ops.items():
            if key[0] not in new_paths:
                continue
            if key not in new_ops:
                self.add(
                    "operation-removed",
                    operation.pointer,
                    f"{operation.label} was removed",
                    operation.label,
                    old=True,
                )
        for path in sorted(old_paths - new_paths):
            original = next(o.path for (p, _), o in old_ops.items() if p == path)
            self.add(
                "path-removed", join("/paths", original), f"path {original} was removed", old=True
            )
        for path in sorted(new_paths - old_paths):
            original = next(o.path for (p, _), o in new_ops.items() if p == path)
            self.add("path-added", join("/paths", original), f"path {original} was added")
        for key, operation in new_ops.items():
            if key[0] in old_paths and key not in old_ops:
                self.add(
                    "operation-added",
                    operation.pointer,
                    f"{operation.label} was added",
                    operation.label,
                )
            elif key in old_ops:
                self._operation(old_ops[key], operation)
        return self.changes

    def _servers(self) -> None:
        def urls(document: dict[str, Any]) -> list[str]:
            servers = document.get("servers") or []
            return [str(s.get("url")) for s in servers if isinstance(s, dict)]

        old_urls, new_urls = urls(self.old), urls(self.new)
        for url in old_urls:
            if url not in new_urls:
                self.add("server-removed", "/servers", f"server {url} was removed", old=True)
        for url in new_urls:
            if url not in old_urls:
                self.add("server-added", "/servers", f"server {url} was added")

    def _documentation(
        self, old: Any, new: Any, where: str, operation: str | None, keys: frozenset[str]
    ) -> None:
        old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        extensions = {k for k in (*old, *new) if k.startswith("x-")}
        changed = sorted(
            k for k in keys | extensions if canonical(old.get(k)) != canonical(new.get(k))
        )
        if changed:
            self.add("documentation-changed", where, f"{', '.join(changed)} changed", operation)

    def _operation(self, old: Operation, new: Operation) -> None:
        label = new.label
        if old.operation_id != new.operation_id:
            self.add(
                "operation-id-changed",
                join(new.pointer, "operationId"),
                f"operationId {old.operation_id!r} → {new.operation_id!r} (generated clients "
                "and the server's handler are named after it)",
                label,
            )
        self._documentation(old.node, new.node, new.pointer, label, _OPERATION_DOCUMENTATION)
        self.changes += compare_security(self.old, old, self.new, new)
        self._parameters(old, new)
        self._request_body(old, new)
        self._responses(old, new)
        for key in sorted({*old.node, *new.node} - _OPERATION_KEYS):
            if key.startswith("x-"):
                continue
            if canonical(old.node.get(key)) != canonical(new.node.get(key)):
                self.add(
                    "operation-changed",
                    join(new.pointer, key),
                    f"{key} changed; diff does not rank it, so review it",
                    label,
                )

    def _parameters(self, old: Operation, new: Operation) -> None:
        label = new.label
        schemas = self.schemas(Side.REQUEST, label)
        before_all, after_all = _by_position(old), _by_position(new)
        for key, (parameter, where) in before_all.items():
            if key not in after_all:
                self.add(
                    "request-parameter-removed",
                    where,
                    f"{key[0]} parameter {parameter.get('name')!r} was removed (clients "
                    "sending it are ignored or refused)",
                    label,
                    old=True,
                )
        for key, (parameter, where) in after_all.items():
            name = f"{key[0]} parameter {parameter.get('name')!r}"
            if key not in before_all:
                required = bool(parameter.get("required")) or key[0] == "path"
                rule = f"request-parameter-{'required' if required else 'optional'}-added"
                self.add(rule, where, f"{name} was added", label)
                continue
            before, old_where = before_all[key]
            self._parameter(before, old_where, parameter, where, label, schemas)
        self.changes += schemas.changes

    def _parameter(
        self,
        before: dict[str, Any],
        old_where: str,
        after: dict[str, Any],
        where: str,
        label: str,
        schemas: SchemaDiff,
    ) -> None:
        place = str(after.get("in"))
        name = f"{place} parameter {after.get('name')!r}"
        if before.get("name") != after.get("name"):
            self.add(
                "documentation-changed",
                join(where, "name"),
                f"path parameter {before.get('name')!r} renamed {after.get('name')!r} "
                "(the URL is the same)",
                label,
            )
        if place != "path" and bool(before.get("required")) != bool(after.get("required")):
            rule = "became-required" if after.get("required") else "became-optional"
            self.add(
                f"request-parameter-{rule}",
                join(where, "required"),
                f"{name} {rule.replace('-', ' ')}",
                label,
            )
        if _serialization(before, place) != _serialization(after, place):
            self.add(
                "request-parameter-serialization-changed",
                where,
                f"{name} is serialized differently (style, explode, allowReserved)",
                label,
            )
        self._documentation(
            before,
            after,
            where,
            label,
            frozenset({"description", "example", "examples", "deprecated"}),
        )
        if "schema" in before or "schema" in after:
            schemas.compare(
                before.get("schema"),
                join(old_where, "schema"),
                after.get("schema"),
                join(where, "schema"),
            )
        else:
            self._content(before, old_where, after, where, Side.REQUEST, label, schemas)

    def _request_body(self, old: Operation, new: Operation) -> None:
        label = new.label
        before, old_where = deref(
            self.old, old.node.get("requestBody"), join(old.pointer, "requestBody")
        )
        after, new_where = deref(
            self.new, new.node.get("requestBody"), join(new.pointer, "requestBody")
        )
        if before is None and after is None:
            return
        if after is None:
            self.add(
                "request-body-removed", old_where, "the request body was removed", label, old=True
            )
            return
        if before is None:
            rule = "request-body-required-added" if after.get("required") else "request-body-added"
            self.add(rule, new_where, "a request body was added", label)
            return
        if bool(before.get("required")) != bool(after.get("required")):
            rule = "became-required" if after.get("required") else "became-optional"
            self.add(
                f"request-body-{rule}",
                join(new_where, "required"),
                f"the request body {rule.replace('-', ' ')}",
                label,
            )
        self._documentation(before, after, new_where, label, frozenset({"description"}))
        schemas = self.schemas(Side.REQUEST, label)
        self._content(before, old_where, after, new_where, Side.REQUEST, label, schemas)
        self.changes += schemas.changes

    def _content(
        self,
        old: dict[str, Any],
        old_where: str,
        new: dict[str, Any],
        new_where: str,
        side: Side,
        label: str,
        schemas: SchemaDiff,
    ) -> None:
        old_content = {k.lower(): (v, k) for k, v in (old.get("content") or {}).items()}
        new_content = {k.lower(): (v, k) for k, v in (new.get("content") or {}).items()}
        for media_type, (_, written) in old_content.items():
            if media_type not in new_content:
                self.add(
                    f"{side.value}-media-type-removed",
                    join(old_where, "content", written),
                    f"media type {written} was removed",
                    label,
                    old=True,
                )
        for media_type, (media, written) in new_content.items():
            where = join(new_where, "content", written)
            if media_type not in old_content:
                self.add(
                    f"{side.value}-media-type-added",
                    where,
                    f"media type {written} was added",
                    label,
                )
                continue
            before, old_written = old_content[media_type]
            self._documentation(before, media, where, label, frozenset({"example", "examples"}))
            schemas.compare(
                (before or {}).get("schema"),
                join(old_where, "content", old_written, "schema"),
                (media or {}).get("schema"),
                join(where, "schema"),
            )

    def _responses(self, old: Operation, new: Operation) -> None:
        label = new.label
        old_responses = old.node.get("responses") or {}
        new_responses = new.node.get("responses") or {}
        for status in old_responses:
            if status not in new_responses:
                kind = "success" if success(status) else "error"
                self.add(
                    f"response-{kind}-status-removed",
                    join(old.pointer, "responses", status),
                    f"status {status} is no longer documented",
                    label,
                    old=True,
                )
        schemas = self.schemas(Side.RESPONSE, label)
        for status, raw in new_responses.items():
            where = join(new.pointer, "responses", status)
            if status not in old_responses:
                kind = "success" if success(status) else "error"
                self.add(
                    f"response-{kind}-status-added", where, f"status {status} was added", label
                )
                continue
            before, old_where = deref(
                self.old, old_responses[status], join(old.pointer, "responses", status)
            )
            after, new_where = deref(self.new, raw, where)
            before, after = before or {}, after or {}
            self._documentation(
                before, after, new_where, label, frozenset({"description", "links"})
            )
            self._headers(before, old_where, after, new_where, label, schemas)
            self._content(before, old_where, after, new_where, Side.RESPONSE, label, schemas)
        self.changes += schemas.changes

    def _headers(
        self,
        old: dict[str, Any],
        old_where: str,
        new: dict[str, Any],
        new_where: str,
        label: str,
        schemas: SchemaDiff,
    ) -> None:
        old_headers = {k.lower(): (v, k) for k, v in (old.get("headers") or {}).items()}
        new_headers = {k.lower(): (v, k) for k, v in (new.get("headers") or {}).items()}
        for name, (_, written) in old_headers.items():
            if name not in new_headers:
                self.add(
                    "response-header-removed",
                    join(old_where, "headers", written),
                    f"header {written} was removed",
                    label,
                    old=True,
                )
        for name, (raw, written) in new_headers.items():
            where = join(new_where, "headers", written)
            if name not in old_headers:
                self.add("response-header-added", where, f"header {written} was added", label)
                continue
            old_raw, old_written = old_headers[name]
            before, before_where = deref(self.old, old_raw, join(old_where, "headers", old_written))
            after, after_where = deref(self.new, raw, where)
            if bool(before.get("required")) != bool(after.get("required")):
                rule = "became-required" if after.get("required") else "became-optional"
                schemas.emit(
                    f"property-{rule}",
                    join(after_where, "required"),
                    f"header {written} {rule.replace('-', ' ')}",
                )
            self._documentation(
                before,
                after,
                after_where,
                label,
                frozenset({"description", "example", "examples", "deprecated"}),
            )
            schemas.compare(
                before.get("schema"),
                join(before_where, "schema"),
                after.get("schema"),
                join(after_where, "schema"),
            )


def _by_position(operation: Operation) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """Parameters keyed for comparison: path parameters by their place in the template, since
    renaming ``{id}`` to ``{item_id}`` leaves every URL as it was."""
    names = re.findall(r"\{([^}]*)\}", operation.path)
    keyed = {}
    for (place, name), value in operation.parameters.items():
        if place == "path" and name in names:
            keyed[(place, f"#{names.index(name)}")] = value
        else:
            keyed[(place, name)] = value
    return keyed


def _serialization(parameter: dict[str, Any], place: str) -> tuple[Any, ...]:
    style = parameter.get("style", _STYLE_DEFAULTS.get(place))
    explode = parameter.get("explode", style == "form")
    return style, explode, bool(parameter.get("allowReserved"))


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``, merged where one change shows in many operations."""
    merged: dict[tuple[str, str, bool, str, bool], Change] = {}
    for change in DocumentDiff(old, new).run():
        key = (change.rule, change.location, change.breaking, change.reason, change.old)
        if key in merged:
            known = merged[key]
            operations_ = tuple(dict.fromkeys((*known.operations, *change.operations)))
            merged[key] = Change(
                known.rule, known.location, known.breaking, known.reason, operations_, known.old
            )
        else:
            merged[key] = change
    return sorted(merged.values(), key=lambda c: (not c.breaking, c.location, c.rule))
