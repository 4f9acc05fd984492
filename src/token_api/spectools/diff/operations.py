"""Comparing two documents operation by operation: paths, parameters, bodies, responses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.changes import Change, change
from token_api.spectools.diff.contract_rules import compare_contract_rules
from token_api.spectools.diff.lifecycle import (
    LIFECYCLE_KEYS,
    OPERATION,
    PARAMETER,
    STABILITY_LEVELS,
    SUNSET,
    Lifecycle,
    Policy,
    Unreadable,
    stability_of,
    utc_today,
)
from token_api.spectools.diff.media_types import is_json, pair_media_types
from token_api.spectools.diff.normalize import Schemas
from token_api.spectools.diff.rules import Level, Side
from token_api.spectools.diff.same import Same
from token_api.spectools.diff.schemas import Context, Found, SchemaDiff
from token_api.spectools.diff.security import compare_schemes, compare_security
from token_api.spectools.diff.values import shown, transition
from token_api.spectools.diff.versioning import version_changes
from token_api.spectools.openapi import RULES_KEY, Operation, operations, success, template
from token_api.spectools.pointers import deref, join

# Operation keys compared by a rule of their own, or documentation.
_OPERATION_KEYS = frozenset(
    {
        "operationId",
        "parameters",
        "requestBody",
        "responses",
        "security",
        "servers",
        "summary",
        "description",
        "tags",
        "externalDocs",
        "deprecated",
    }
)
# "deprecated" is judged by the lifecycle rules (deprecation, sunset, stability).
_OPERATION_DOCUMENTATION = frozenset({"summary", "description", "tags", "externalDocs"})
_INFO = frozenset(
    {"title", "summary", "description", "version", "contact", "license", "termsOfService"}
)
_MEDIA_TYPE_ADDED = {
    Side.REQUEST: rules.REQUEST_MEDIA_TYPE_ADDED,
    Side.RESPONSE: rules.RESPONSE_MEDIA_TYPE_ADDED,
}
_MEDIA_TYPE_REMOVED = {
    Side.REQUEST: rules.REQUEST_MEDIA_TYPE_REMOVED,
    Side.RESPONSE: rules.RESPONSE_MEDIA_TYPE_REMOVED,
}
# A response media type paired with one it specializes or generalizes (see media_types).
_MEDIA_TYPE_PAIRED = {
    "specialized": rules.RESPONSE_MEDIA_TYPE_SPECIALIZED,
    "generalized": rules.RESPONSE_MEDIA_TYPE_GENERALIZED,
}
# Stability changes are judged apart from the --stability-level filter (_held).
_OPERATION_STABILITY = frozenset(
    {rules.STABILITY_DECREASED, rules.STABILITY_INCREASED, rules.STABILITY_UNREADABLE}
)
_PROPERTY_STABILITY = frozenset(
    rule_id
    for rule in (rules.PROPERTY_STABILITY_DECREASED, rules.PROPERTY_STABILITY_INCREASED)
    for rule_id in (rule.request, rule.response)
)
_STYLE_DEFAULTS = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


class DocumentDiff:
    def __init__(self, old: dict[str, Any], new: dict[str, Any], policy: Policy) -> None:
        self.old, self.new = old, new
        self.policy = policy
        self.lifecycle = Lifecycle(policy)
        # Operation label → its stability: the new spec's, or the old one's when it was removed.
        self.stability: dict[str, str] = {}
        old_schemas, new_schemas = Schemas(old), Schemas(new)
        self.sides = {
            side: SchemaDiff(old_schemas, new_schemas, side, lifecycle=self.lifecycle)
            for side in Side
        }
        # What diff does not rank is compared whole, $refs followed: a refactor is no change.
        self.same = Same(old, new)
        # (rule, location, detail, old) → the operations it was found in, in order.
        self.found: dict[Found, dict[str, None]] = {}
        self.document_changes: list[Change] = []

    def add(
        self, rule: str, where: str, detail: str, operation: str | None = None, *, old: bool = False
    ) -> None:
        operations_ = self.found.setdefault((rule, where, detail, old), {})
        if operation:
            operations_[operation] = None

    def attach(self, operation: str, found: Iterable[Found]) -> None:
        """Schema changes, found once per node pair, listed under each operation reaching them."""
        for key in found:
            self.found.setdefault(key, {})[operation] = None

    def changes(self) -> list[Change]:
        every = [
            self._held(change(rule, where, detail, tuple(operations_), old=old))
            for (rule, where, detail, old), operations_ in self.found.items()
        ]
        return [c for c in every if c is not None] + self.document_changes

    def _held(self, found: Change) -> Change | None:
        """A change that only touches operations below --stability-level breaks no promise
        (oasdiff leaves them out; diff lists them, as not breaking, except the stability of
        their properties, which promises nothing there)."""
        if not found.operations or found.rule in _OPERATION_STABILITY:
            return found
        levels = {self.stability.get(label, "stable") for label in found.operations}
        if any(self.policy.held(level) for level in levels):
            return found
        if found.rule in _PROPERTY_STABILITY:
            return None
        if found.level is Level.NOT_BREAKING:
            return found
        below = ", ".join(sorted(levels))
        reason = f"{found.reason} (not held to compatibility: x-stability-level {below})"
        return replace(found, level=Level.NOT_BREAKING, reason=reason)

    def _stability(self, operation: Operation, *, old: bool) -> str:
        """The operation's x-stability-level, reported when unreadable (then: stable)."""
        try:
            return stability_of(operation.node)
        except Unreadable as error:
            where = join(operation.pointer, "x-stability-level")
            detail = f"{operation.label}: {error}"
            self.add(rules.STABILITY_UNREADABLE, where, detail, operation.label, old=old)
            return "stable"

    def _removed_operation(self, operation: Operation, rule: str, where: str, detail: str) -> None:
        """An operation gone, alone or with its path: deprecated, it is judged by its sunset."""
        stability = self._stability(operation, old=True)
        self.stability.setdefault(operation.label, stability)
        found = self.lifecycle.removed(OPERATION, operation.node, operation.label, stability)
        if found is not None:
            rule, detail = found
            where = operation.pointer
        self.add(rule, where, detail, operation.label, old=True)

    def _operation_lifecycle(self, old: Operation, new: Operation) -> None:
        """Stability and deprecation of an operation in both versions."""
        before, after = self._stability(old, old=True), self._stability(new, old=False)
        self.stability[new.label] = after
        if before != after and self.policy.held(before):
            lower = STABILITY_LEVELS.index(after) < STABILITY_LEVELS.index(before)
            self.add(
                rules.STABILITY_DECREASED if lower else rules.STABILITY_INCREASED,
                join(new.pointer, "x-stability-level"),
                f"{new.label}: x-stability-level {before} → {after}",
                new.label,
            )
        for rule, detail in self.lifecycle.changed(OPERATION, old.node, new.node, new.label, after):
            self.add(rule, _lifecycle_pointer(new.node, new.pointer), detail, new.label)

    def run(self) -> list[Change]:
        self._servers(self.old.get("servers"), self.new.get("servers"), "/servers", None)
        self._documentation(self.old.get("info"), self.new.get("info"), "/info", None, _INFO)
        self._documentation(self.old, self.new, "", None, frozenset({"tags", "externalDocs"}))
        self.document_changes += compare_schemes(self.old, self.new)
        if not self.same(self.old.get("webhooks"), self.new.get("webhooks")):
            self.add(
                rules.OPERATION_CHANGED, "/webhooks", "webhooks changed; diff does not rank them"
            )
        old_ops = {(template(o.path), o.method): o for o in operations(self.old)}
        new_ops = {(template(o.path), o.method): o for o in operations(self.new)}
        old_paths = {path: o.path for (path, _), o in old_ops.items()}
        new_paths = {path: o.path for (path, _), o in new_ops.items()}
        for key, operation in old_ops.items():
            if key[0] in new_paths and key not in new_ops:
                detail = f"{operation.label} was removed"
                self._removed_operation(
                    operation, rules.OPERATION_REMOVED, operation.pointer, detail
                )
        for path in sorted(old_paths.keys() - new_paths.keys()):
            original = old_paths[path]
            for removed in _operations_of(old_ops, path):
                where, detail = join("/paths", original), f"path {original} was removed"
                self._removed_operation(removed, rules.PATH_REMOVED, where, detail)
        for path in sorted(new_paths.keys() - old_paths.keys()):
            original = new_paths[path]
            for added in _operations_of(new_ops, path):
                where = join("/paths", original)
                self.add(rules.PATH_ADDED, where, f"path {original} was added", added.label)
        for key, operation in new_ops.items():
            if key[0] in old_paths and key not in old_ops:
                self.add(
                    rules.OPERATION_ADDED,
                    operation.pointer,
                    f"{operation.label} was added",
                    operation.label,
                )
            elif key in old_ops:
                self._operation(old_ops[key], operation)
        return self.changes()

    def _servers(self, old: Any, new: Any, where: str, operation: str | None) -> None:
        def urls(servers: Any) -> dict[str, str]:
            """Each url compared as text → as the reason shows it (a missing one is null)."""
            listed = servers if isinstance(servers, list) else []
            return {str(s.get("url")): _url(s.get("url")) for s in listed if isinstance(s, dict)}

        old_urls, new_urls = urls(old), urls(new)
        for url, text in old_urls.items():
            if url not in new_urls:
                self.add(
                    rules.SERVER_REMOVED, where, f"server {text} was removed", operation, old=True
                )
        for url, text in new_urls.items():
            if url not in old_urls:
                self.add(rules.SERVER_ADDED, where, f"server {text} was added", operation)

    def _documentation(
        self,
        old: Any,
        new: Any,
        where: str,
        operation: str | None,
        keys: frozenset[str],
        *,
        lifecycle: bool = False,
    ) -> None:
        """Documentation keys and extensions that changed; ``lifecycle``: leaving out those the
        lifecycle rules judge (deprecated, x-sunset, x-stability-level)."""
        old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        # x-rules is compared rule by rule (contract_rules).
        extensions = {
            k
            for k in (*old, *new)
            if k.startswith("x-") and k != RULES_KEY and not (lifecycle and k in LIFECYCLE_KEYS)
        }
        changed = sorted(
            k
            for k in keys | extensions
            if (k in old or k in new) and not self.same(old.get(k), new.get(k))
        )
        if changed:
            self.add(rules.DOCUMENTATION_CHANGED, where, f"{', '.join(changed)} changed", operation)

    def _operation(self, old: Operation, new: Operation) -> None:
        label = new.label
        if old.operation_id != new.operation_id:
            self.add(
                rules.OPERATION_ID_CHANGED,
                join(new.pointer, "operationId"),
                transition("operationId", old.node, new.node),
                label,
            )
        self._documentation(
            old.node, new.node, new.pointer, label, _OPERATION_DOCUMENTATION, lifecycle=True
        )
        self._operation_lifecycle(old, new)
        for rule, where, detail, located_old in compare_contract_rules(
            old.node, new.node, old.pointer, new.pointer
        ):
            self.add(rule, where, detail, label, old=located_old)
        for rule, where, detail in compare_security(self.old, old, self.new, new):
            self.add(rule, where, detail, label)
        self._servers(
            _servers_of(self.old, old),
            _servers_of(self.new, new),
            join(new.pointer, "servers"),
            label,
        )
        self._parameters(old, new)
        self._request_body(old, new)
        self._responses(old, new)
        for key in sorted({*old.node, *new.node} - _OPERATION_KEYS):
            if key.startswith("x-"):
                continue
            if not self.same(old.node.get(key), new.node.get(key)):
                self.add(
                    rules.OPERATION_CHANGED,
                    join(new.pointer, key),
                    f"{key} changed; diff does not rank it, so review it",
                    label,
                )

    def _parameters(self, old: Operation, new: Operation) -> None:
        label = new.label
        before_all, after_all = _by_position(old), _by_position(new)
        stability = self.stability.get(label, "stable")
        for key, (parameter, where) in before_all.items():
            if key not in after_all:
                name = f"{key[0]} parameter {shown(parameter.get('name'))}"
                rule, detail = self.lifecycle.removed(PARAMETER, parameter, name, stability) or (
                    rules.REQUEST_PARAMETER_REMOVED,
                    f"{name} was removed",
                )
                self.add(rule, where, detail, label, old=True)
        for key, (parameter, where) in after_all.items():
            name = f"{key[0]} parameter {shown(parameter.get('name'))}"
            if key not in before_all and key[0] == "path" and key[1].startswith("#"):
                # In the URL template already, so clients sent it; now declared, its schema
                # may refuse values: compared with the any-string it was.
                self.add(rules.DOCUMENTATION_CHANGED, where, f"{name} declared", label)
                undeclared = {"in": "path", "name": parameter.get("name"), "required": True}
                at = join(old.pointer, "parameters", f"(undeclared {parameter.get('name')})")
                self._parameter(undeclared, at, parameter, where, label)
                continue
            if key not in before_all:
                required = bool(parameter.get("required")) or key[0] == "path"
                rule = (
                    rules.REQUEST_PARAMETER_REQUIRED_ADDED
                    if required
                    else rules.REQUEST_PARAMETER_OPTIONAL_ADDED
                )
                self.add(rule, where, f"{name} was added", label)
                continue
            before, old_where = before_all[key]
            self._parameter(before, old_where, parameter, where, label)

    def _parameter(
        self, before: dict[str, Any], old_where: str, after: dict[str, Any], where: str, label: str
    ) -> None:
        place = str(after.get("in"))
        name = f"{place} parameter {shown(after.get('name'))}"
        if before.get("name") != after.get("name"):
            self.add(
                rules.DOCUMENTATION_CHANGED,
                join(where, "name"),
                f"path parameter {shown(before.get('name'))} renamed {shown(after.get('name'))} "
                "(the URL is the same)",
                label,
            )
        if place != "path" and bool(before.get("required")) != bool(after.get("required")):
            if after.get("required"):
                rule, text = rules.REQUEST_PARAMETER_BECAME_REQUIRED, "became required"
            else:
                rule, text = rules.REQUEST_PARAMETER_BECAME_OPTIONAL, "became optional"
            self.add(rule, join(where, "required"), f"{name} {text}", label)
        if place == "query" and bool(before.get("allowEmptyValue")) != bool(
            after.get("allowEmptyValue")
        ):
            # Valid only in a query (`?name=`); elsewhere OpenAPI ignores it.
            if after.get("allowEmptyValue"):
                at = join(where, "allowEmptyValue")
                text = f"{name} may now be sent empty"
                self.add(rules.REQUEST_PARAMETER_EMPTY_VALUE_ALLOWED, at, text, label)
            else:
                at = join(old_where, "allowEmptyValue")
                text = f"{name} may no longer be sent empty"
                self.add(rules.REQUEST_PARAMETER_EMPTY_VALUE_REFUSED, at, text, label, old=True)
        exploded = _serialization(after, place)
        if _serialization(before, place) != exploded:
            self.add(
                rules.REQUEST_PARAMETER_SERIALIZATION_CHANGED,
                where,
                f"{name} is serialized differently (style, explode, allowReserved)",
                label,
            )
        self._documentation(
            before,
            after,
            where,
            label,
            frozenset({"description", "example", "examples"}),
            lifecycle=True,
        )
        stability = self.stability.get(label, "stable")
        for rule, detail in self.lifecycle.changed(PARAMETER, before, after, name, stability):
            self.add(rule, _lifecycle_pointer(after, where), detail, label)
        # As declared: a path parameter must say required, and one that does not (an invalid
        # document) is judged as written, like oasdiff does.
        required = bool(after.get("required"))
        context = Context(
            text=True,
            role=f"parameter-{'required' if required else 'optional'}",
            stability=self.stability.get(label, "stable"),
        )
        if "schema" not in before and "schema" not in after:
            self._content(before, old_where, after, where, Side.REQUEST, label, context.role)
            return
        old_schema = (before.get("schema"), join(old_where, "schema"))
        new_schema = (after.get("schema"), join(where, "schema"))
        request = self.sides[Side.REQUEST]
        if exploded[:2] == ("form", True):
            # ?x=a reads as ["a"] when x is a form-exploded array: a scalar parameter that
            # becomes one keeps every value it took if the items take them.
            old_view = request.old.view(*old_schema)
            new_view = request.new.view(*new_schema)
            array = frozenset({"array"})
            if new_view.types == array and old_view.types and "array" not in old_view.types:
                items = new_view.schema.get("items")
                found = request.compare(*old_schema, items, new_view.at("items"), context)
                self.attach(label, found)
                self.add(
                    rules.TYPE_WIDENED.on(Side.REQUEST),
                    new_view.at("type"),
                    f"{name} may now be repeated (form, exploded)",
                    label,
                )
                return
        self.attach(label, request.compare(*old_schema, *new_schema, context))

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
                rules.REQUEST_BODY_REMOVED,
                old_where,
                "the request body was removed",
                label,
                old=True,
            )
            return
        if before is None:
            rule = (
                rules.REQUEST_BODY_REQUIRED_ADDED
                if after.get("required")
                else rules.REQUEST_BODY_ADDED
            )
            self.add(rule, new_where, "a request body was added", label)
            return
        if bool(before.get("required")) != bool(after.get("required")):
            if after.get("required"):
                rule, text = rules.REQUEST_BODY_BECAME_REQUIRED, "became required"
            else:
                rule, text = rules.REQUEST_BODY_BECAME_OPTIONAL, "became optional"
            self.add(rule, join(new_where, "required"), f"the request body {text}", label)
        self._documentation(before, after, new_where, label, frozenset({"description"}))
        role = "required" if after.get("required") else "optional"
        self._content(before, old_where, after, new_where, Side.REQUEST, label, role)

    def _content(
        self,
        old: dict[str, Any],
        old_where: str,
        new: dict[str, Any],
        new_where: str,
        side: Side,
        label: str,
        role: str = "optional",
    ) -> None:
        old_content, new_content = _content_of(old), _content_of(new)
        pairs, removed, added = pair_media_types(
            list(old_content), list(new_content), specialize=side is Side.RESPONSE
        )
        for written in removed:
            self.add(
                _MEDIA_TYPE_REMOVED[side],
                join(old_where, "content", written),
                f"media type {written} was removed",
                label,
                old=True,
            )
        for written in added:
            self.add(
                _MEDIA_TYPE_ADDED[side],
                join(new_where, "content", written),
                f"media type {written} was added",
                label,
            )
        for old_written, written, relation in pairs:
            where = join(new_where, "content", written)
            if relation == "equivalent":
                self.add(
                    rules.DOCUMENTATION_CHANGED,
                    where,
                    f"media type {old_written} spelled {written}",
                    label,
                )
            elif relation:
                self.add(
                    _MEDIA_TYPE_PAIRED[relation],
                    where,
                    f"media type {old_written} → {written}",
                    label,
                )
            before, media = old_content[old_written], new_content[written]
            self._documentation(before, media, where, label, frozenset({"example", "examples"}))
            context = Context(
                text=not is_json(written), role=role, stability=self.stability.get(label, "stable")
            )
            found = self.sides[side].compare(
                before.get("schema"),
                join(old_where, "content", old_written, "schema"),
                media.get("schema"),
                join(where, "schema"),
                context,
            )
            self.attach(label, found)

    def _responses(self, old: Operation, new: Operation) -> None:
        label = new.label
        old_responses = old.node.get("responses") or {}
        new_responses = new.node.get("responses") or {}
        for status in old_responses:
            if status not in new_responses:
                removed = (
                    rules.RESPONSE_SUCCESS_STATUS_REMOVED
                    if success(status)
                    else rules.RESPONSE_ERROR_STATUS_REMOVED
                )
                self.add(
                    removed,
                    join(old.pointer, "responses", status),
                    f"status {status} is no longer documented",
                    label,
                    old=True,
                )
        for status, raw in new_responses.items():
            where = join(new.pointer, "responses", status)
            if status not in old_responses:
                added = (
                    rules.RESPONSE_SUCCESS_STATUS_ADDED
                    if success(status)
                    else rules.RESPONSE_ERROR_STATUS_ADDED
                )
                self.add(added, where, f"status {status} was added", label)
                continue
            before, old_where = deref(
                self.old, old_responses[status], join(old.pointer, "responses", status)
            )
            after, new_where = deref(self.new, raw, where)
            before = before if isinstance(before, dict) else {}
            after = after if isinstance(after, dict) else {}
            self._documentation(
                before, after, new_where, label, frozenset({"description", "links"})
            )
            self._headers(before, old_where, after, new_where, label)
            self._content(before, old_where, after, new_where, Side.RESPONSE, label)

    def _headers(
        self, old: dict[str, Any], old_where: str, new: dict[str, Any], new_where: str, label: str
    ) -> None:
        old_headers = {k.lower(): (v, k) for k, v in (old.get("headers") or {}).items()}
        new_headers = {k.lower(): (v, k) for k, v in (new.get("headers") or {}).items()}
        for name, (raw, written) in old_headers.items():
            if name not in new_headers:
                header, _ = deref(self.old, raw, join(old_where, "headers", written))
                required = isinstance(header, dict) and bool(header.get("required"))
                self.add(
                    rules.RESPONSE_REQUIRED_HEADER_REMOVED
                    if required
                    else rules.RESPONSE_HEADER_REMOVED,
                    join(old_where, "headers", written),
                    f"header {written} was removed",
                    label,
                    old=True,
                )
        response = self.sides[Side.RESPONSE]
        for name, (raw, written) in new_headers.items():
            where = join(new_where, "headers", written)
            if name not in old_headers:
                self.add(rules.RESPONSE_HEADER_ADDED, where, f"header {written} was added", label)
                continue
            old_raw, old_written = old_headers[name]
            before, before_where = deref(self.old, old_raw, join(old_where, "headers", old_written))
            after, after_where = deref(self.new, raw, where)
            before = before if isinstance(before, dict) else {}
            after = after if isinstance(after, dict) else {}
            if bool(before.get("required")) != bool(after.get("required")):
                # A header is a property of the response: the same rules.
                if after.get("required"):
                    rule, text = rules.PROPERTY_BECAME_REQUIRED.on(Side.RESPONSE), "became required"
                else:
                    rule, text = rules.PROPERTY_BECAME_OPTIONAL.on(Side.RESPONSE), "became optional"
                self.add(rule, join(after_where, "required"), f"header {written} {text}", label)
            self._documentation(
                before,
                after,
                after_where,
                label,
                frozenset({"description", "example", "examples", "deprecated"}),
            )
            found = response.compare(
                before.get("schema"),
                join(before_where, "schema"),
                after.get("schema"),
                join(after_where, "schema"),
            )
            self.attach(label, found)


def _operations_of(operations_: dict[tuple[str, str], Operation], path: str) -> list[Operation]:
    """The operations of a path added or removed whole, which its change is listed under."""
    return [operation for (template_, _), operation in operations_.items() if template_ == path]


def _lifecycle_pointer(node: dict[str, Any], where: str) -> str:
    """Where a deprecation change points: the sunset, else the flag, else the element."""
    for key in (SUNSET, "deprecated"):
        if key in node:
            return join(where, key)
    return where


def _content_of(holder: dict[str, Any]) -> dict[str, dict[str, Any]]:
    content = holder.get("content")
    if not isinstance(content, dict):
        return {}
    return {k: (v if isinstance(v, dict) else {}) for k, v in content.items()}


def _url(url: Any) -> str:
    """A server URL as written: plain text, quoted only when it is not a string."""
    return url if isinstance(url, str) else shown(url)


def _servers_of(document: dict[str, Any], operation: Operation) -> Any:
    """The servers in force for an operation: its own, else its path's (the document's are
    compared once, at the root)."""
    if "servers" in operation.node:
        return operation.node["servers"]
    item = (document.get("paths") or {}).get(operation.path)
    return item.get("servers") if isinstance(item, dict) else None


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


def diff_documents(
    old: dict[str, Any], new: dict[str, Any], policy: Policy | None = None
) -> list[Change]:
    """Every change from ``old`` to ``new``, each listed once with every operation it shows in;
    breaking first, then possibly breaking, then the rest. ``policy``: the deprecation and
    stability policy (default: --deprecation-days 180, --stability-level beta, today UTC)."""
    policy = policy or Policy(utc_today())
    changes = DocumentDiff(old, new, policy).run()
    if policy.require_major_bump:
        changes += version_changes(old, new, changes)
    return sorted(changes, key=lambda c: (-c.level, c.location, c.rule, c.reason))
