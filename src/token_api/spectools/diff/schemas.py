"""Comparing two resolved schemas, keyword by keyword, on one side of the API.

What is compared is what a client sends (request side) or receives (response side): a
``readOnly`` property is not part of requests and a ``writeOnly`` one is not part of responses,
so changes inside them do not bind that side, and toggling the flag is reported as the property
appearing or disappearing there.

Each pair of schema nodes is compared once per side and context, however many operations reach
it; the operations are attached by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

from token_api.spectools.diff import patterns
from token_api.spectools.diff.changes import Side
from token_api.spectools.diff.lifecycle import Lifecycle
from token_api.spectools.diff.normalize import (
    DOCUMENTATION,
    ORGANISATION,
    Branch,
    Schemas,
    View,
    canonical,
)
from token_api.spectools.diff.rules import RULES, Level
from token_api.spectools.diff.same import Same
from token_api.spectools.diff.values import ABSENT, listed, shown, transition
from token_api.spectools.pointers import join

_UPPER = ("maxLength", "maxItems", "maxProperties")
_LOWER = ("minLength", "minItems", "minProperties")
# Each bound keyword and whether it is an upper bound, in the order changes are reported.
_BOUNDS = (
    *((keyword, True) for keyword in _UPPER),
    *((keyword, False) for keyword in _LOWER),
    ("maximum", True),
    ("minimum", False),
)
# A limit set where none was is "possibly breaking" (oasdiff's *-set rules); for these a missing
# lower bound means 0, so setting one is a plain tightening.
_SET_IS_TIGHTENING = frozenset({"minLength", "minProperties"})
# Format pairs where the second accepts everything the first does.
_WIDER_FORMAT = frozenset(
    {
        ("int32", "int64"),
        ("int32", "bigint"),
        ("int64", "bigint"),
        ("float", "double"),
        ("date", "date-time"),
        ("time", "date-time"),
    }
)
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
        "readOnly",
        "writeOnly",
    }
)

Bound = tuple[Any, bool]  # (value, exclusive)
Found = tuple[str, str, str, bool]  # (rule id, location, detail, location in the old spec)


class Context(NamedTuple):
    """What the same schema pair means depends on where it is used."""

    text: bool = False  # a text location (parameter, non-JSON media type): 1 reads as "1"
    role: str = "optional"  # optional | required | parameter-optional | parameter-required
    stability: str = "stable"  # the operation's x-stability-level: the notice a sunset owes


_PLAIN = Context()


@dataclass
class SchemaDiff:
    """Schema comparisons on one side of the API, remembered by the pair of nodes compared."""

    old: Schemas
    new: Schemas
    side: Side
    probe: bool = False  # asking "does new refuse anything old took?" (see implies)
    lifecycle: Lifecycle | None = None  # deprecation and stability of properties

    def __post_init__(self) -> None:
        self._done: dict[tuple[str, str, Context, bool], list[Found]] = {}
        self._active: set[tuple[str, str, Context, bool]] = set()
        self._prober: SchemaDiff | None = None
        self._hidden = "readOnly" if self.side is Side.REQUEST else "writeOnly"
        # Keywords diff does not rank are compared whole, $refs followed.
        self.same = Same(self.old.document, self.new.document)

    def compare(
        self,
        old_node: Any,
        old_where: str,
        new_node: Any,
        new_where: str,
        context: Context = _PLAIN,
        *,
        outer: bool = True,
    ) -> list[Found]:
        """Every change from old to new at and below this node. ``outer`` is False for anyOf
        branches, whose nullability and documentation the enclosing schema already compared."""
        key = (old_where, new_where, context, outer)
        found = self._done.get(key)
        if found is not None:
            return found
        if key in self._active:
            return []  # a recursive schema: its changes are being collected further up
        if not self._active and self.same(old_node, new_node):
            # Equal once $refs are followed: nothing to find. Checked where a comparison starts
            # (one linear walk), it spares a schema-by-schema comparison of a spec whose
            # components were inlined, which can be a hundred times its size.
            self._done[key] = []
            return []
        self._active.add(key)
        try:
            out: list[Found] = []
            _Pair(self, out, context).run(
                self.old.view(old_node, old_where), self.new.view(new_node, new_where), outer
            )
        finally:
            self._active.discard(key)
        self._done[key] = out
        return out

    def emit(
        self, out: list[Found], name: str, where: str, detail: str, *, old: bool = False
    ) -> None:
        out.append((f"{self.side.value}-{name}", where, detail, old))

    def hidden(self, schemas: Schemas, node: Any, where: str) -> bool:
        """Not part of this side's messages: readOnly in requests, writeOnly in responses."""
        return schemas.view(node, where).schema.get(self._hidden) is True

    def implies(self, old: Branch, new: Branch, context: Context) -> bool:
        """Every value ``old`` accepts, ``new`` accepts too, as far as diff can tell (a change it
        cannot rank counts as refusing something)."""
        if self._prober is None:
            self._prober = SchemaDiff(self.old, self.new, Side.REQUEST, probe=True)
        found = self._prober.compare(*old, *new, context)
        return not any(
            RULES[rule].level > Level.NOT_BREAKING and rule != "request-default-changed"
            for rule, *_ in found
        )


@dataclass
class _Pair:
    """One comparison of an old and a new view."""

    diff: SchemaDiff
    out: list[Found]
    context: Context

    def emit(self, name: str, where: str, detail: str, *, old: bool = False) -> None:
        self.diff.emit(self.out, name, where, detail, old=old)

    def child(self, old: Branch, new: Branch, role: str = "optional") -> None:
        self.out += self.diff.compare(*old, *new, self.context._replace(role=role))

    @property
    def request(self) -> bool:
        return self.diff.side is Side.REQUEST

    def run(self, old: View, new: View, outer: bool) -> None:
        if outer:
            self._documentation(old, new)
            self._nullable(old, new)
        if old.alternatives or new.alternatives:
            if not self._wrapped(old, new):
                self._alternatives(old, new)
            return
        self._all_of(old, new)
        self._conditions(old, new)
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
        if self.diff.probe:
            return
        extensions = {k for k in (*old.schema, *new.schema) if k.startswith("x-")}
        keys = sorted(
            k
            for k in DOCUMENTATION | extensions
            if (k in old.schema or k in new.schema)
            and canonical(old.schema.get(k)) != canonical(new.schema.get(k))
        )
        if keys:
            self.out.append(
                ("documentation-changed", new.where, f"{', '.join(keys)} changed", False)
            )

    def _nullable(self, old: View, new: View) -> None:
        if new.nullable and not old.nullable:
            self.emit("became-nullable", new.where, "null is now valid")
        elif old.nullable and not new.nullable:
            self.emit("no-longer-nullable", new.where, "null is no longer valid")

    def _wrapped(self, old: View, new: View) -> bool:
        """A schema turned into a oneOf whose branches each take every old value: old values now
        match several branches, and oneOf refuses them all."""
        if old.alternatives or not new.alternatives or not new.one_of or not self.request:
            return False
        taking = [
            b for b in new.alternatives if self.diff.implies((old.raw, old.where), b, self.context)
        ]
        if len(taking) < 2:
            return False
        self.emit(
            "wrapped-in-one-of",
            new.where,
            f"wrapped in a oneOf whose branches {', '.join(w for _, w in taking)} all match it",
        )
        return True

    def _alternatives(self, old: View, new: View) -> None:
        olds = old.alternatives or [(old.raw, old.where)]
        news = new.alternatives or [(new.raw, new.where)]
        # Branches naming the same component pair first (reordering is no change), then the
        # rest by their types.
        pairs, olds, news = _pair(olds, news, _ref_name, _ref_name)
        more, olds, news = _pair(
            olds,
            news,
            lambda b: self.diff.old.signature(*b),
            lambda b: self.diff.new.signature(*b),
        )
        for before, after in pairs + more:
            self.out += self.diff.compare(*before, *after, self.context, outer=False)
        for branch, where in olds:
            kind = self.diff.old.signature(branch, where)
            self.emit("alternative-removed", where, f"the {kind} alternative was removed", old=True)
        added = "one-of-added" if new.one_of or not new.alternatives else "any-of-added"
        for branch, where in news:
            kind = self.diff.new.signature(branch, where)
            self.emit(added, where, f"a {kind} alternative was added")

    def _all_of(self, old: View, new: View) -> None:
        """A new allOf member is a constraint of its own: it refuses values unless an old member
        or the old schema as a whole already implied it. Members are judged by what they
        require, not by how they are written: one spelled inline where it was a $ref (or the
        other way round) is the same member, whatever else the old schema says (a
        discriminator, say, that diff cannot rank)."""
        if not new.all_of or not self.request or self.diff.probe:
            return
        known = {_member_key(member) for member, _ in old.all_of}
        for index, (member, where) in enumerate(new.all_of):
            if _member_key(member) in known:
                continue
            # The member at the same place first: a refactor keeps the order.
            olds = sorted(old.all_of, key=lambda b: b[1] != join(old.where, "allOf", index))
            if any(self.diff.implies(before, (member, where), self.context) for before in olds):
                continue
            if not self.diff.implies((old.raw, old.where), (member, where), self.context):
                self.emit("all-of-added", where, "an allOf member was added")

    def _conditions(self, old: View, new: View) -> None:
        """anyOf/oneOf branches that add conditions (``anyOf: [{required: [a]}, {required:
        [b]}]``) to a shape both versions share: dropping them all relaxes, adding them
        tightens; otherwise each branch kept or gone is one alternative more or less."""
        for keyword in ("anyOf", "oneOf"):
            before, after = old.conditions.get(keyword), new.conditions.get(keyword)
            if not before and not after:
                continue
            where = join(new.where if after else old.where, keyword)
            if not after:
                self.emit("constraint-relaxed", where, f"{keyword} conditions removed", old=True)
            elif not before:
                self.emit("constraint-tightened", where, f"{keyword} conditions added")
            else:
                known = {canonical(node) for node, _ in before}
                kept = {canonical(node) for node, _ in after}
                for node, at in before:
                    if canonical(node) not in kept:
                        self.emit(
                            "alternative-removed", at, f"{keyword} condition removed", old=True
                        )
                added = "one-of-added" if keyword == "oneOf" else "any-of-added"
                for node, at in after:
                    if canonical(node) not in known:
                        self.emit(added, at, f"{keyword} condition added")

    def _types(self, old: View, new: View) -> bool:
        """Compare types; False when they no longer overlap (nothing else is worth comparing)."""
        if old.types == new.types:
            return True
        where = new.at("type") if "type" in new.schema else old.at("type")
        change = f"type {_types(old.types)} → {_types(new.types)}"
        if old.types is None or new.types is None:
            if self.context.text and self.request and new.types and "string" in new.types:
                self.emit("type-compatible", where, change)  # in text, anything is a string
            else:
                self.emit("type-narrowed" if old.types is None else "type-widened", where, change)
            return True
        old_set, new_set = _with_integers(old.types), _with_integers(new.types)
        widened = old_set <= new_set
        # In text every value reads as a string: a request taking strings takes whatever was
        # sent before, and a response that was a string was read as one.
        as_text = self.context.text and "string" in (new.types if self.request else old.types)
        if as_text and not (widened if self.request else new_set <= old_set):
            self.emit("type-compatible", where, change)
            return bool(old_set & new_set)
        if new_set <= old_set:
            self.emit("type-narrowed", where, change)
        elif widened:
            self.emit("type-widened", where, change)
        else:
            self.emit("type-changed", where, change)
        return bool(old_set & new_set)

    def _enum(self, old: View, new: View) -> None:
        def at(v: View) -> str:
            return v.at("enum" if "enum" in v.schema else "const")

        if old.enum is None and new.enum is not None:
            self.emit("enum-added", at(new), f"values limited to {listed(new.enum.values())}")
        elif old.enum is not None and new.enum is None:
            self.emit(
                "enum-removed",
                at(old),
                f"values no longer limited to {listed(old.enum.values())}",
                old=True,
            )
        elif "const" in old.schema and "const" in new.schema and old.enum != new.enum:
            # One value for another: what was sent is refused, what is received is new.
            before, after = old.schema["const"], new.schema["const"]
            self.emit("const-changed", at(new), f"const {shown(before)} → {shown(after)}")
        elif old.enum is not None and new.enum is not None:
            added = [v for k, v in new.enum.items() if k not in old.enum]
            removed = [v for k, v in old.enum.items() if k not in new.enum]
            if added:
                self.emit("enum-value-added", at(new), f"enum value(s) {listed(added)} added")
            if removed:
                self.emit("enum-value-removed", at(new), f"enum value(s) {listed(removed)} removed")

    def _format(self, old: View, new: View) -> None:
        before, after = old.schema.get("format"), new.schema.get("format")
        if before == after:
            return
        text = transition("format", old.schema, new.schema)
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
            name = "constraint-tightened" if keyword in _SET_IS_TIGHTENING else "constraint-added"
            self.emit(name, new.at(keyword), text)
            return
        if after[0] == before[0]:
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
        text = transition("pattern", old.schema, new.schema)
        if after is None or patterns.universal(str(after)):
            if before is not None and not patterns.universal(str(before)):
                name = "pattern-removed" if after is None else "pattern-generalized"
                where = old.at("pattern") if after is None else new.at("pattern")
                self.emit(name, where, text, old=after is None)
        elif before is None or patterns.universal(str(before)):
            self.emit("pattern-added", new.at("pattern"), text)
        elif patterns.generalizes(str(before), str(after)):
            self.emit("pattern-generalized", new.at("pattern"), text)
        elif patterns.specializes(str(before), str(after)):
            self.emit("pattern-specialized", new.at("pattern"), text)
        else:
            self.emit("pattern-changed", new.at("pattern"), f"{text}, undecided")

    def _multiple_of(self, old: View, new: View) -> None:
        before, after = old.schema.get("multipleOf"), new.schema.get("multipleOf")
        if before == after:
            return
        text = transition("multipleOf", old.schema, new.schema)
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
            text = transition("uniqueItems", old.schema, new.schema)
            self.emit(name, new.at("uniqueItems"), text)

    def _properties(self, old: View, new: View) -> None:
        old_required = set(old.schema.get("required") or [])
        new_required = set(new.schema.get("required") or [])
        old_extra, new_extra = _extras(old), _extras(new)
        diff, flag = self.diff, self.diff._hidden
        seen: set[str] = set()  # properties judged here, whose `required` is judged with them
        for name in dict.fromkeys([*old.properties, *new.properties]):
            before, after = old.properties.get(name), new.properties.get(name)
            was = before is not None and not diff.hidden(diff.old, *before)
            now = after is not None and not diff.hidden(diff.new, *after)
            if before is not None and after is not None:
                seen.add(name)
                if was and now:
                    self._other_flag(name, before, after)
                    self._lifecycle(name, before, after)
                    role = "required" if name in new_required else "optional"
                    self.child(before, after, role)
                elif was:
                    # Gone from this side: for a response, as if removed (a required one
                    # breaks readers); for a request the server now ignores it.
                    required = "required-" if name in old_required and not self.request else ""
                    rule = f"{required}property-became-{flag_name(flag)}"
                    self.emit(rule, after[1], f"property {shown(name)} became {flag}")
                elif now:
                    required = "required-" if name in new_required else ""
                    rule = f"{required}property-became-not-{flag_name(flag)}"
                    self.emit(rule, after[1], f"property {shown(name)} is no longer {flag}")
            elif before is not None:
                seen.add(name)
                if was and not self._lifecycle(name, before, None):
                    self._removed(name, before[1], name in old_required, new_extra)
            elif after is not None:
                seen.add(name)
                if now:
                    self._added(name, after, name in new_required, old_extra)
        where = new.at("required")
        for name in sorted(new_required - old_required):
            hidden = name in new.properties and diff.hidden(diff.new, *new.properties[name])
            if not hidden and (name not in seen or name in old.properties):
                text = f"property {shown(name)} became required"
                self.emit("property-became-required", where, text)
        for name in sorted(old_required - new_required):
            hidden = name in old.properties and diff.hidden(diff.old, *old.properties[name])
            if not hidden and (name not in seen or name in new.properties):
                text = f"property {shown(name)} became optional"
                self.emit("property-became-optional", where, text)

    def _other_flag(self, name: str, before: Branch, after: Branch) -> None:
        """readOnly in responses, writeOnly in requests: the property is still part of them."""
        other = "writeOnly" if self.request else "readOnly"
        was = self.diff.old.view(*before).schema.get(other) is True
        now = self.diff.new.view(*after).schema.get(other) is True
        if was != now and not self.diff.probe:
            rule = f"property-became-{'' if now else 'not-'}{flag_name(other)}"
            text = f"property {shown(name)} {'became' if now else 'is no longer'} {other}"
            self.emit(rule, after[1], text)

    def _lifecycle(self, name: str, before: Branch, after: Branch | None) -> bool:
        """Deprecation, sunset and stability of a property (lifecycle.py); True when it was
        removed deprecated, which the lifecycle rules judge instead of the removal rules."""
        lifecycle = self.diff.lifecycle
        if lifecycle is None or self.diff.probe:
            return False
        old = self.diff.old.view(*before).schema
        new = None if after is None else self.diff.new.view(*after).schema
        found = lifecycle.property(self.diff.side.value, name, old, new, self.context.stability)
        for rule, detail, at_old in found:
            self.out.append(
                (rule, before[1] if at_old or after is None else after[1], detail, at_old)
            )
        return after is None and bool(found)

    def _removed(self, name: str, where: str, required: bool, new_extra: Any) -> None:
        if self.diff.probe and new_extra is not False:
            return  # a value carrying it still passes
        if self.request and new_extra is False:
            rule = "property-now-refused"
        else:
            rule = "required-property-removed" if required else "property-removed"
        suffix = " (required)" if required else ""
        self.emit(rule, where, f"property {shown(name)}{suffix} removed", old=True)

    def _added(self, name: str, after: Branch, required: bool, old_extra: Any) -> None:
        node, where = after
        if required:
            self.emit("required-property-added", where, f"required property {shown(name)} added")
        elif self.diff.probe and old_extra is not False and node not in ({}, True):
            # Probing: a property old left open that new constrains refuses some old values.
            self.emit("property-now-refused", where, f"property {shown(name)} now constrained")
        elif old_extra is False:
            self.emit(
                "property-now-allowed",
                where,
                f"property {shown(name)} added where no undeclared property was valid",
            )
        else:
            self.emit("property-added", where, f"optional property {shown(name)} added")

    def _additional_properties(self, old: View, new: View) -> None:
        before, after = _extras(old), _extras(new)
        if isinstance(before, dict) and isinstance(after, dict):
            self.child(
                (before, old.at("additionalProperties")), (after, new.at("additionalProperties"))
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
            self.child((before, old.at("items")), (after, new.at("items")))

    def _default(self, old: View, new: View) -> None:
        before, after = old.schema.get("default"), new.schema.get("default")
        if canonical(before) == canonical(after) or self.diff.probe:
            return
        where = new.at("default") if "default" in new.schema else old.at("default")
        text = transition("default", old.schema, new.schema)
        role = self.context.role
        if self.request and role == "parameter-optional":
            self.diff.emit(
                self.out, "parameter-default-changed", where, text, old="default" not in new.schema
            )
        elif self.request and role.endswith("required"):
            # A value that must be sent never falls back to its default.
            self.out.append(
                (
                    "documentation-changed",
                    where,
                    f"{text} (the value is required)",
                    "default" not in new.schema,
                )
            )
        else:
            self.emit("default-changed", where, text, old="default" not in new.schema)

    def _other_keywords(self, old: View, new: View) -> None:
        for key in sorted({*old.schema, *new.schema}):
            if key in _HANDLED or key in DOCUMENTATION or key in ORGANISATION:
                continue
            if key.startswith("x-"):
                continue
            if not self.diff.same(old.schema.get(key), new.schema.get(key)):
                where = new.at(key) if key in new.schema else old.at(key)
                self.emit(
                    "schema-changed",
                    where,
                    f"{key} changed, which diff cannot rank",
                    old=key not in new.schema,
                )


def flag_name(keyword: str) -> str:
    return "read-only" if keyword == "readOnly" else "write-only"


def _ref_name(branch: Branch) -> str | None:
    ref = branch[0].get("$ref") if isinstance(branch[0], dict) else None
    return ref if isinstance(ref, str) else None


def _member_key(member: Any) -> bytes:
    ref = member.get("$ref") if isinstance(member, dict) else None
    return ref.encode() if isinstance(ref, str) else canonical(member)


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


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bound_of(schema: dict[str, Any], keyword: str, upper: bool) -> Bound | None:
    if keyword in ("maximum", "minimum"):
        return _numeric(schema, upper=upper)
    value = schema.get(keyword)
    return (value, False) if _number(value) else None


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
        return ABSENT
    return f"{shown(bound[0])} (exclusive)" if bound[1] else shown(bound[0])


def _divides(small: Any, large: Any) -> bool:
    """Every multiple of ``large`` is a multiple of ``small``."""
    try:
        return (Fraction(str(large)) / Fraction(str(small))).denominator == 1
    except (ValueError, ZeroDivisionError):
        return False


def _extras(schema_view: View) -> Any:
    """additionalProperties: True (any), False (none) or a schema."""
    value = schema_view.schema.get("additionalProperties", True)
    return True if value in (True, {}) else value


def _extra_text(value: Any) -> str:
    if value is True:
        return "allowed"
    return "forbidden" if value is False else "a schema"
