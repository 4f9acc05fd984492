"""Comparing two resolved schemas, keyword by keyword, on one side of an operation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from token_api.spectools.diff.changes import SCHEMA_RULES, Change, Effect, Side, consequence
from token_api.spectools.diff.normalize import (
    DOCUMENTATION,
    ORGANISATION,
    View,
    canonical,
    signature,
    view,
)

_UPPER = ("maxLength", "maxItems", "maxProperties")
_LOWER = ("minLength", "minItems", "minProperties")
# Each bound keyword and whether it is an upper bound, in the order changes are reported.
_BOUNDS = (
    *((keyword, True) for keyword in _UPPER),
    *((keyword, False) for keyword in _LOWER),
    ("maximum", True),
    ("minimum", False),
)
# Format pairs where the second accepts everything the first does.
_WIDER_FORMAT = {("int32", "int64"), ("float", "double")}
_HANDLED = frozenset(
    {
        *_UPPER,
        *_LOWER,
        "type",
        "nullable",
        "enum",
        "const",
        "format",
        "required",
        "additionalProperties",
        "items",
        "pattern",
        "uniqueItems",
        "multipleOf",
        "default",
        "maximum",
        "minimum",
        "exclusiveMaximum",
        "exclusiveMinimum",
    }
)

Bound = tuple[Any, bool]  # (value, exclusive)


@dataclass
class SchemaDiff:
    """The comparisons on one side of one operation, collecting changes."""

    old_document: dict[str, Any]
    new_document: dict[str, Any]
    side: Side
    operation: str
    changes: list[Change] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def emit(
        self, name: str, where: str, detail: str, effect: Effect | None = None, *, old: bool = False
    ) -> None:
        effect = effect or SCHEMA_RULES[name][0]
        reason = f"{detail}: {consequence(effect, self.side)}"
        rule = f"{self.side.value}-{name}"
        self.changes.append(
            Change(rule, where, effect.breaks(self.side), reason, (self.operation,), old)
        )

    def compare(
        self, old_node: Any, old_where: str, new_node: Any, new_where: str, *, outer: bool = True
    ) -> None:
        """``outer`` is False for anyOf branches, whose nullability and documentation the
        enclosing schema already compared."""
        old = view(self.old_document, old_node, old_where)
        new = view(self.new_document, new_node, new_where)
        if (old.where, new.where) in self._seen:
            return  # a recursive schema, or one reached twice on this side: compared once
        self._seen.add((old.where, new.where))
        if outer:
            self._documentation(old, new)
            self._nullable(old, new)
        if old.alternatives or new.alternatives:
            self._alternatives(old, new)
            return
        if not self._types(old, new):
            return
        self._enum(old, new)
        self._format(old, new)
        for keyword, upper in _BOUNDS:
            self._bound(keyword, old, new, upper=upper)
        self._pattern(old, new)
        self._multiple_of(old, new)
        self._unique_items(old, new)
        self._properties(old, new)
        self._additional_properties(old, new)
        self._items(old, new)
        self._default(old, new)
        self._other_keywords(old, new)

    def _documentation(self, old: View, new: View) -> None:
        extensions = {k for k in (*old.schema, *new.schema) if k.startswith("x-")}
        keys = sorted(
            k
            for k in DOCUMENTATION | extensions
            if canonical(old.schema.get(k)) != canonical(new.schema.get(k))
        )
        if keys:
            self.changes.append(
                Change(
                    "documentation-changed",
                    new.where,
                    False,
                    f"{', '.join(keys)} changed: documentation only",
                    (self.operation,),
                )
            )

    def _nullable(self, old: View, new: View) -> None:
        if new.nullable and not old.nullable:
            self.emit("became-nullable", new.where, "null is now valid")
        elif old.nullable and not new.nullable:
            self.emit("no-longer-nullable", new.where, "null is no longer valid")

    def _alternatives(self, old: View, new: View) -> None:
        olds = old.alternatives or [(old.raw, old.where)]
        news = new.alternatives or [(new.raw, new.where)]
        # Branches naming the same component pair first (reordering is no change), then the
        # rest by their types.
        pairs, olds, news = _pair(olds, news, _ref_name, _ref_name)
        more, olds, news = _pair(
            olds,
            news,
            lambda b: signature(self.old_document, *b),
            lambda b: signature(self.new_document, *b),
        )
        for (branch, where), match in pairs + more:
            self.compare(branch, where, *match, outer=False)
        for branch, where in olds:
            kind = signature(self.old_document, branch, where)
            self.emit("alternative-removed", where, f"the {kind} alternative was removed", old=True)
        for branch, where in news:
            kind = signature(self.new_document, branch, where)
            self.emit("alternative-added", where, f"a {kind} alternative was added")

    def _types(self, old: View, new: View) -> bool:
        """Compare types; False when they no longer overlap (nothing else is worth comparing)."""
        if old.types == new.types:
            return True
        where = new.at("type") if "type" in new.schema else old.at("type")
        change = f"type {_types(old.types)} → {_types(new.types)}"
        if old.types is None or new.types is None:
            self.emit("type-narrowed" if old.types is None else "type-widened", where, change)
            return True
        old_set, new_set = _with_integers(old.types), _with_integers(new.types)
        if new_set <= old_set:
            self.emit("type-narrowed", where, change)
        elif old_set <= new_set:
            self.emit("type-widened", where, change)
        else:
            self.emit("type-changed", where, change)
        return bool(old_set & new_set)

    def _enum(self, old: View, new: View) -> None:
        def at(v: View) -> str:
            return v.at("enum" if "enum" in v.schema else "const")

        if old.enum is None and new.enum is not None:
            self.emit("enum-added", at(new), f"values limited to {_list(new.enum.values())}")
        elif old.enum is not None and new.enum is None:
            self.emit(
                "enum-removed",
                at(old),
                f"values no longer limited to {_list(old.enum.values())}",
                old=True,
            )
        elif old.enum is not None and new.enum is not None:
            added = [v for k, v in new.enum.items() if k not in old.enum]
            removed = [v for k, v in old.enum.items() if k not in new.enum]
            if added:
                self.emit("enum-value-added", at(new), f"enum value(s) {_list(added)} added")
            if removed:
                self.emit("enum-value-removed", at(new), f"enum value(s) {_list(removed)} removed")

    def _format(self, old: View, new: View) -> None:
        before, after = old.schema.get("format"), new.schema.get("format")
        text = f"format {before!r} → {after!r}"
        if before == after:
            return
        if before is None:
            self.emit("format-added", new.at("format"), text)
        elif after is None:
            self.emit("format-removed", old.at("format"), text, old=True)
        elif (before, after) in _WIDER_FORMAT:
            self.emit("format-widened", new.at("format"), text)
        elif (after, before) in _WIDER_FORMAT:
            self.emit("format-narrowed", new.at("format"), text)
        else:
            self.emit("format-changed", new.at("format"), text)

    def _bound(self, keyword: str, old: View, new: View, *, upper: bool) -> None:
        before, after = _bound_of(old.schema, keyword, upper), _bound_of(new.schema, keyword, upper)
        if before == after:
            return
        text = f"{keyword} {_bound_text(before)} → {_bound_text(after)}"
        if after is None:
            self.emit("constraint-relaxed", old.at(keyword), text, old=True)
            return
        if before is None:
            tighter = True
        elif after[0] == before[0]:
            tighter = after[1] and not before[1]
        else:
            tighter = after[0] < before[0] if upper else after[0] > before[0]
        self.emit(
            "constraint-tightened" if tighter else "constraint-relaxed", new.at(keyword), text
        )

    def _pattern(self, old: View, new: View) -> None:
        before, after = old.schema.get("pattern"), new.schema.get("pattern")
        if before == after:
            return
        text = f"pattern {before!r} → {after!r}"
        if after is None:
            self.emit("constraint-relaxed", old.at("pattern"), text, old=True)
        elif before is None or _prefix_tighter(str(before), str(after)):
            self.emit("constraint-tightened", new.at("pattern"), text)
        elif _prefix_tighter(str(after), str(before)):
            self.emit("constraint-relaxed", new.at("pattern"), text)
        else:
            self.emit(
                "constraint-changed", new.at("pattern"), f"{text}, neither contains the other"
            )

    def _multiple_of(self, old: View, new: View) -> None:
        before, after = old.schema.get("multipleOf"), new.schema.get("multipleOf")
        if before == after:
            return
        text = f"multipleOf {before} → {after}"
        if after is None:
            self.emit("constraint-relaxed", old.at("multipleOf"), text, old=True)
        elif before is None or _divides(before, after):
            self.emit("constraint-tightened", new.at("multipleOf"), text)
        elif _divides(after, before):
            self.emit("constraint-relaxed", new.at("multipleOf"), text)
        else:
            self.emit("constraint-changed", new.at("multipleOf"), text)

    def _unique_items(self, old: View, new: View) -> None:
        before, after = bool(old.schema.get("uniqueItems")), bool(new.schema.get("uniqueItems"))
        if before != after:
            name = "constraint-tightened" if after else "constraint-relaxed"
            self.emit(name, new.at("uniqueItems"), f"uniqueItems {before} → {after}")

    def _properties(self, old: View, new: View) -> None:
        old_required = set(old.schema.get("required") or [])
        new_required = set(new.schema.get("required") or [])
        old_extra, new_extra = _extras(old), _extras(new)
        for name, (node, where) in old.properties.items():
            if name in new.properties:
                self.compare(node, where, *new.properties[name])
                continue
            # Gone from `properties`: a value carrying it is refused if extras are forbidden;
            # values without it (if it was required) or with any value for it become valid.
            narrows = new_extra is False
            widens = name in old_required or (new_extra is not False and node not in ({}, True))
            required = " (required)" if name in old_required else ""
            self.emit(
                "property-removed",
                where,
                f"property {name!r}{required} removed",
                _effect(narrows, widens),
                old=True,
            )
        for name, (_, where) in new.properties.items():
            if name in old.properties:
                continue
            if name in new_required:
                self.emit("required-property-added", where, f"required property {name!r} added")
            elif old_extra is False:
                self.emit(
                    "property-added",
                    where,
                    f"property {name!r} added where no other was valid",
                    Effect.WIDENS,
                )
            else:
                self.emit("property-added", where, f"optional property {name!r} added")
        for name in sorted(new_required - old_required):
            if name in old.properties or name not in new.properties:
                self.emit(
                    "property-became-required",
                    new.at("required"),
                    f"property {name!r} became required",
                )
        for name in sorted(old_required - new_required):
            if name in new.properties or name not in old.properties:
                self.emit(
                    "property-became-optional",
                    new.at("required"),
                    f"property {name!r} became optional",
                )

    def _additional_properties(self, old: View, new: View) -> None:
        before, after = _extras(old), _extras(new)
        if isinstance(before, dict) and isinstance(after, dict):
            self.compare(
                before, old.at("additionalProperties"), after, new.at("additionalProperties")
            )
            return
        if canonical(before) == canonical(after):
            return
        text = f"additionalProperties {_extra_text(before)} → {_extra_text(after)}"
        where = new.at("additionalProperties")
        if after is False or before is True:
            self.emit("additional-properties-narrowed", where, text)
        else:
            self.emit("additional-properties-widened", where, text)

    def _items(self, old: View, new: View) -> None:
        before, after = old.schema.get("items"), new.schema.get("items")
        if before is None and after is None:
            return
        if before is None:
            self.emit("constraint-tightened", new.at("items"), "array items now constrained")
        elif after is None:
            self.emit(
                "constraint-relaxed", old.at("items"), "array items no longer constrained", old=True
            )
        else:
            self.compare(before, old.at("items"), after, new.at("items"))

    def _default(self, old: View, new: View) -> None:
        before, after = old.schema.get("default"), new.schema.get("default")
        if canonical(before) != canonical(after):
            where = new.at("default") if "default" in new.schema else old.at("default")
            self.emit(
                "default-changed",
                where,
                f"default {before!r} → {after!r}",
                old="default" not in new.schema,
            )

    def _other_keywords(self, old: View, new: View) -> None:
        for key in sorted({*old.schema, *new.schema}):
            if key in _HANDLED or key in DOCUMENTATION or key in ORGANISATION:
                continue
            if key.startswith("x-"):
                continue
            if canonical(old.schema.get(key)) != canonical(new.schema.get(key)):
                where = new.at(key) if key in new.schema else old.at(key)
                self.emit(
                    "schema-changed",
                    where,
                    f"{key} changed, which diff cannot rank",
                    old=key not in new.schema,
                )


Branch = tuple[Any, str]  # (schema, pointer)


def _ref_name(branch: Branch) -> str | None:
    ref = branch[0].get("$ref") if isinstance(branch[0], dict) else None
    return ref if isinstance(ref, str) else None


def _pair(
    olds: list[Branch],
    news: list[Branch],
    old_key: Callable[[Branch], str | None],
    new_key: Callable[[Branch], str | None],
) -> tuple[list[tuple[Branch, Branch]], list[Branch], list[Branch]]:
    """(pairs with equal keys, old branches left, new branches left)."""
    pairs: list[tuple[Branch, Branch]] = []
    left_old, left_new = [], list(news)
    for branch in olds:
        wanted = old_key(branch)
        match = next((n for n in left_new if wanted is not None and new_key(n) == wanted), None)
        if match is None:
            left_old.append(branch)
        else:
            left_new.remove(match)
            pairs.append((branch, match))
    return pairs, left_old, left_new


def _with_integers(types: frozenset[str]) -> frozenset[str]:
    return types | {"integer"} if "number" in types else types


def _types(types: frozenset[str] | None) -> str:
    return " | ".join(sorted(types)) if types is not None else "any"


def _list(values: Any) -> str:
    return ", ".join(repr(v) for v in values)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(schema: dict[str, Any], keyword: str) -> Bound | None:
    value = schema.get(keyword)
    return (value, False) if _number(value) else None


def _bound_of(schema: dict[str, Any], keyword: str, upper: bool) -> Bound | None:
    return (
        _numeric(schema, upper=upper)
        if keyword in ("maximum", "minimum")
        else _plain(schema, keyword)
    )


def _numeric(schema: dict[str, Any], *, upper: bool) -> Bound | None:
    """The tighter of ``maximum`` and ``exclusiveMaximum`` (a number in 3.1, a flag in 3.0)."""
    inclusive_key, exclusive_key = (
        ("maximum", "exclusiveMaximum") if upper else ("minimum", "exclusiveMinimum")
    )
    inclusive, exclusive = schema.get(inclusive_key), schema.get(exclusive_key)
    bounds: list[Bound] = []
    if _number(inclusive):
        bounds.append((inclusive, exclusive is True))
    if _number(exclusive):
        bounds.append((exclusive, True))
    if not bounds:
        return None
    # Tightest first: the smallest maximum (the largest minimum); exclusive before inclusive.
    return min(bounds, key=lambda b: (b[0] if upper else -b[0], not b[1]))


def _bound_text(bound: Bound | None) -> str:
    if bound is None:
        return "none"
    return f"{bound[0]} (exclusive)" if bound[1] else str(bound[0])


def _divides(small: Any, large: Any) -> bool:
    """Every multiple of ``large`` is a multiple of ``small``."""
    return (Fraction(str(large)) / Fraction(str(small))).denominator == 1


def _prefix_tighter(before: str, after: str) -> bool:
    """``^api_`` → ``^api_[A-Za-z0-9]{49}$``: anchored, no alternation, only something appended
    that does not quantify the last atom, so every match of the new pattern matches the old."""
    if not before.startswith("^") or "|" in after or before.endswith(("$", "\\")):
        return False
    suffix = after[len(before) :]
    return after.startswith(before) and bool(suffix) and not re.match(r"[?*+{]", suffix)


def _extras(schema_view: View) -> Any:
    """additionalProperties: True (any), False (none) or a schema."""
    value = schema_view.schema.get("additionalProperties", True)
    return True if value in (True, {}) else value


def _extra_text(value: Any) -> str:
    if value is True:
        return "allowed"
    return "forbidden" if value is False else "a schema"


def _effect(narrows: bool, widens: bool) -> Effect:
    if narrows and widens:
        return Effect.CHANGES
    if narrows:
        return Effect.NARROWS
    return Effect.WIDENS if widens else Effect.NEUTRAL
