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

from token_api.spectools.diff import discriminator, patterns, rules
from token_api.spectools.diff.normalize import (
    DOCUMENTATION,
    ORGANISATION,
    Branch,
    Schemas,
    View,
    canonical,
)
from token_api.spectools.diff.rules import RULES, Level, SchemaRule, Side
from token_api.spectools.diff.same import Same
from token_api.spectools.diff.values import ABSENT, listed, shown, transition
from token_api.spectools.pointers import RefError, join, locate

_UPPER = ("maxLength", "maxItems", "maxProperties")
_LOWER = ("minLength", "minItems", "minProperties")
# Each bound keyword and whether it is an upper bound, in the order changes are reported.
_BOUNDS = (
    *((keyword, True) for keyword in _UPPER),
    *((keyword, False) for keyword in _LOWER),
    ("maximum", True),
    ("minimum", False),
    ("maxContains", True),
    ("minContains", False),
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
# How a string's content is encoded: a change is one both ends feel.
_ENCODING = ("contentEncoding", "contentMediaType")
# Subschemas that only ever add conditions (a value must also match them): adding one tightens,
# removing one relaxes, and a change inside is judged like any schema.
_APPLIED = ("contains", "propertyNames", "contentSchema")
# Where the properties or items no other keyword evaluated go: like additionalProperties.
_UNEVALUATED = ("unevaluatedProperties", "unevaluatedItems")
# Keywords few schemas have: their comparisons run only where one of the two schemas has one.
_RARE = frozenset(
    {
        *_ENCODING,
        *_APPLIED,
        *_UNEVALUATED,
        "dependentSchemas",
        "patternProperties",
        "dependentRequired",
        "not",
        "if",
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
        "maxContains",
        "minContains",
        "discriminator",
        "prefixItems",
        "not",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "patternProperties",
        *_ENCODING,
        *_APPLIED,
        *_UNEVALUATED,
    }
)

Bound = tuple[Any, bool]  # (value, exclusive)
Found = tuple[str, str, str, bool]  # (rule id, location, detail, location in the old spec)


class Context(NamedTuple):
    """What the same schema pair means depends on where it is used."""

    text: bool = False  # a text location (parameter, non-JSON media type): 1 reads as "1"
    role: str = "optional"  # optional | required | parameter-optional | parameter-required


_PLAIN = Context()


@dataclass
class SchemaDiff:
    """Schema comparisons on one side of the API, remembered by the pair of nodes compared."""

    old: Schemas
    new: Schemas
    side: Side
    probe: bool = False  # asking "does new refuse anything old took?" (see implies)
    # Probing an allOf member: a property it introduces counts as request-property-added does
    # (not breaking), not as refusing the values the old schema let through under that name.
    lenient: bool = False

    def __post_init__(self) -> None:
        self._done: dict[tuple[str, str, Context, bool], list[Found]] = {}
        self._active: set[tuple[str, str, Context, bool]] = set()
        self._probers: dict[tuple[bool, bool], SchemaDiff] = {}
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
        self,
        out: list[Found],
        rule: SchemaRule | str,
        where: str,
        detail: str,
        *,
        old: bool = False,
    ) -> None:
        """A change found: a schema rule on this side, or a rule of no side (documentation)."""
        out.append((rule if isinstance(rule, str) else rule.on(self.side), where, detail, old))

    def hidden(self, schemas: Schemas, node: Any, where: str) -> bool:
        """Not part of this side's messages: readOnly in requests, writeOnly in responses."""
        return schemas.view(node, where).schema.get(self._hidden) is True

    def implies(self, old: Branch, new: Branch, context: Context, *, lenient: bool = False) -> bool:
        """Every value ``old`` accepts, ``new`` accepts too, as far as diff can tell (a change it
        cannot rank counts as refusing something)."""
        return self.refusal(old, new, context, lenient=lenient) is Level.NOT_BREAKING

    def refusal(
        self,
        old: Branch,
        new: Branch,
        context: Context,
        *,
        lenient: bool = False,
        reverse: bool = False,
    ) -> Level:
        """Whether ``new`` refuses values ``old`` accepts: breaking (it does), possibly (diff
        cannot tell), not breaking (it does not). ``reverse``: ``old`` is a node of the new
        document and ``new`` one of the old."""
        prober = self._probers.get((lenient, reverse))
        if prober is None:
            old_schemas, new_schemas = (self.new, self.old) if reverse else (self.old, self.new)
            prober = SchemaDiff(old_schemas, new_schemas, Side.REQUEST, probe=True, lenient=lenient)
            self._probers[(lenient, reverse)] = prober
        found = prober.compare(*old, *new, context)
        return max(
            (RULES[rule].level for rule, *_ in found if rule != rules.DEFAULT_CHANGED.request),
            default=Level.NOT_BREAKING,
        )


@dataclass
class _Pair:
    """One comparison of an old and a new view."""

    diff: SchemaDiff
    out: list[Found]
    context: Context

    def emit(self, rule: SchemaRule | str, where: str, detail: str, *, old: bool = False) -> None:
        self.diff.emit(self.out, rule, where, detail, old=old)

    def child(self, old: Branch, new: Branch, role: str = "optional") -> None:
        self.out += self.diff.compare(*old, *new, self.context._replace(role=role))

    @property
    def request(self) -> bool:
        return self.diff.side is Side.REQUEST

    def run(self, old: View, new: View, outer: bool) -> None:
        if outer:
            self._documentation(old, new)
            self._nullable(old, new)
            self._discriminator(old, new)
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
        if _RARE & (old.schema.keys() | new.schema.keys()):
            self._encoding(old, new)
            for keyword in _APPLIED:
                self._applied(keyword, old, new)
            for keyword in ("dependentSchemas", "patternProperties"):
                self._schema_map(keyword, old, new)
            self._dependent_required(old, new)
            for keyword in _UNEVALUATED:
                self._unevaluated(keyword, old, new)
            self._not(old, new)
            self._conditional(old, new)
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
            self.emit(rules.DOCUMENTATION_CHANGED, new.where, f"{', '.join(keys)} changed")

    def _nullable(self, old: View, new: View) -> None:
        if new.nullable and not old.nullable:
            self.emit(rules.BECAME_NULLABLE, new.where, "null is now valid")
        elif old.nullable and not new.nullable:
            self.emit(rules.NO_LONGER_NULLABLE, new.where, "null is no longer valid")

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
            rules.WRAPPED_IN_ONE_OF,
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
            self.emit(
                rules.ALTERNATIVE_REMOVED, where, f"the {kind} alternative was removed", old=True
            )
        added = rules.ONE_OF_ADDED if new.one_of or not new.alternatives else rules.ANY_OF_ADDED
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
            # An optional property the member introduces is judged where the merged schemas
            # are compared (request-property-added), as if it had been added directly.
            if any(
                self.diff.implies(before, (member, where), self.context, lenient=True)
                for before in olds
            ):
                continue
            whole = (old.raw, old.where)
            if not self.diff.implies(whole, (member, where), self.context, lenient=True):
                self.emit(rules.ALL_OF_ADDED, where, "an allOf member was added")

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
                self.emit(
                    rules.CONSTRAINT_RELAXED, where, f"{keyword} conditions removed", old=True
                )
            elif not before:
                self.emit(rules.CONSTRAINT_TIGHTENED, where, f"{keyword} conditions added")
            else:
                known = {canonical(node) for node, _ in before}
                kept = {canonical(node) for node, _ in after}
                for node, at in before:
                    if canonical(node) not in kept:
                        self.emit(
                            rules.ALTERNATIVE_REMOVED, at, f"{keyword} condition removed", old=True
                        )
                added = rules.ONE_OF_ADDED if keyword == "oneOf" else rules.ANY_OF_ADDED
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
                self.emit(rules.TYPE_COMPATIBLE, where, change)  # in text, anything is a string
            else:
                self.emit(
                    rules.TYPE_NARROWED if old.types is None else rules.TYPE_WIDENED, where, change
                )
            return True
        old_set, new_set = _with_integers(old.types), _with_integers(new.types)
        widened = old_set <= new_set
        # In text every value reads as a string: a request taking strings takes whatever was
        # sent before, and a response that was a string was read as one.
        as_text = self.context.text and "string" in (new.types if self.request else old.types)
        if as_text and not (widened if self.request else new_set <= old_set):
            self.emit(rules.TYPE_COMPATIBLE, where, change)
            return bool(old_set & new_set)
        if new_set <= old_set:
            self.emit(rules.TYPE_NARROWED, where, change)
        elif widened:
            self.emit(rules.TYPE_WIDENED, where, change)
        else:
            self.emit(rules.TYPE_CHANGED, where, change)
        return bool(old_set & new_set)

    def _enum(self, old: View, new: View) -> None:
        def at(v: View) -> str:
            return v.at("enum" if "enum" in v.schema else "const")

        if old.enum is None and new.enum is not None:
            self.emit(rules.ENUM_ADDED, at(new), f"values limited to {listed(new.enum.values())}")
        elif old.enum is not None and new.enum is None:
            self.emit(
                rules.ENUM_REMOVED,
                at(old),
                f"values no longer limited to {listed(old.enum.values())}",
                old=True,
            )
        elif "const" in old.schema and "const" in new.schema and old.enum != new.enum:
            # One value for another: what was sent is refused, what is received is new.
            before, after = old.schema["const"], new.schema["const"]
            self.emit(rules.CONST_CHANGED, at(new), f"const {shown(before)} → {shown(after)}")
        elif old.enum is not None and new.enum is not None:
            added = [v for k, v in new.enum.items() if k not in old.enum]
            removed = [v for k, v in old.enum.items() if k not in new.enum]
            if added:
                self.emit(rules.ENUM_VALUE_ADDED, at(new), f"enum value(s) {listed(added)} added")
            if removed:
                self.emit(
                    rules.ENUM_VALUE_REMOVED, at(new), f"enum value(s) {listed(removed)} removed"
                )

    def _format(self, old: View, new: View) -> None:
        before, after = old.schema.get("format"), new.schema.get("format")
        if before == after:
            return
        text = transition("format", old.schema, new.schema)
        if before is None:
            self.emit(rules.FORMAT_ADDED, new.at("format"), text)
        elif after is None:
            self.emit(rules.FORMAT_REMOVED, old.at("format"), text, old=True)
        elif (before, after) in _WIDER_FORMAT:
            self.emit(rules.FORMAT_WIDENED, new.at("format"), text)
        elif (after, before) in _WIDER_FORMAT:
            self.emit(rules.FORMAT_NARROWED, new.at("format"), text)
        else:
            self.emit(rules.FORMAT_CHANGED, new.at("format"), text)

    def _bound(self, keyword: str, old: View, new: View, *, upper: bool) -> None:
        if keyword.endswith("Contains") and not (
            "contains" in old.schema and "contains" in new.schema
        ):
            return  # counts of matches for contains: judged with it when it comes or goes
        before, after = _bound_of(old.schema, keyword, upper), _bound_of(new.schema, keyword, upper)
        if before == after:
            return
        text = f"{keyword} {_bound_text(before)} → {_bound_text(after)}"
        if after is None:
            self.emit(rules.CONSTRAINT_RELAXED, old.at(keyword), text, old=True)
            return
        if before is None:
            name = (
                rules.CONSTRAINT_TIGHTENED
                if keyword in _SET_IS_TIGHTENING
                else rules.CONSTRAINT_ADDED
            )
            self.emit(name, new.at(keyword), text)
            return
        if after[0] == before[0]:
            tighter = after[1] and not before[1]
        else:
            tighter = after[0] < before[0] if upper else after[0] > before[0]
        self.emit(
            rules.CONSTRAINT_TIGHTENED if tighter else rules.CONSTRAINT_RELAXED,
            new.at(keyword),
            text,
        )

    def _pattern(self, old: View, new: View) -> None:
        before, after = old.schema.get("pattern"), new.schema.get("pattern")
        if before == after:
            return
        text = transition("pattern", old.schema, new.schema)
        if after is None or patterns.universal(str(after)):
            if before is not None and not patterns.universal(str(before)):
                name = rules.PATTERN_REMOVED if after is None else rules.PATTERN_GENERALIZED
                where = old.at("pattern") if after is None else new.at("pattern")
                self.emit(name, where, text, old=after is None)
        elif before is None or patterns.universal(str(before)):
            self.emit(rules.PATTERN_ADDED, new.at("pattern"), text)
        elif patterns.generalizes(str(before), str(after)):
            self.emit(rules.PATTERN_GENERALIZED, new.at("pattern"), text)
        elif patterns.specializes(str(before), str(after)):
            self.emit(rules.PATTERN_SPECIALIZED, new.at("pattern"), text)
        else:
            self.emit(rules.PATTERN_CHANGED, new.at("pattern"), f"{text}, undecided")

    def _multiple_of(self, old: View, new: View) -> None:
        before, after = old.schema.get("multipleOf"), new.schema.get("multipleOf")
        if before == after:
            return
        text = transition("multipleOf", old.schema, new.schema)
        if after is None:
            self.emit(rules.CONSTRAINT_RELAXED, old.at("multipleOf"), text, old=True)
        elif before is None or _divides(before, after):
            self.emit(rules.CONSTRAINT_TIGHTENED, new.at("multipleOf"), text)
        elif _divides(after, before):
            self.emit(rules.CONSTRAINT_RELAXED, new.at("multipleOf"), text)
        else:
            self.emit(rules.CONSTRAINT_CHANGED, new.at("multipleOf"), text)

    def _unique_items(self, old: View, new: View) -> None:
        before, after = bool(old.schema.get("uniqueItems")), bool(new.schema.get("uniqueItems"))
        if before != after:
            name = rules.CONSTRAINT_TIGHTENED if after else rules.CONSTRAINT_RELAXED
            text = transition("uniqueItems", old.schema, new.schema)
            self.emit(name, new.at("uniqueItems"), text)

    def _properties(self, old: View, new: View) -> None:
        old_required = set(old.schema.get("required") or [])
        new_required = set(new.schema.get("required") or [])
        old_extra = self._open(old, "additionalProperties", self.diff.old)
        new_extra = self._open(new, "additionalProperties", self.diff.new)
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
                    role = "required" if name in new_required else "optional"
                    self.child(before, after, role)
                elif was:
                    # Gone from this side: for a response, as if removed (a required one
                    # breaks readers); for a request the server now ignores it.
                    required = name in old_required and not self.request
                    rule = _FLAGGED[(flag, True, required)]
                    self.emit(rule, after[1], f"property {shown(name)} became {flag}")
                elif now:
                    rule = _FLAGGED[(flag, False, name in new_required)]
                    self.emit(rule, after[1], f"property {shown(name)} is no longer {flag}")
            elif before is not None:
                seen.add(name)
                if was:
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
                self.emit(rules.PROPERTY_BECAME_REQUIRED, where, text)
        for name in sorted(old_required - new_required):
            hidden = name in old.properties and diff.hidden(diff.old, *old.properties[name])
            if not hidden and (name not in seen or name in new.properties):
                text = f"property {shown(name)} became optional"
                self.emit(rules.PROPERTY_BECAME_OPTIONAL, where, text)

    def _other_flag(self, name: str, before: Branch, after: Branch) -> None:
        """readOnly in responses, writeOnly in requests: the property is still part of them."""
        other = "writeOnly" if self.request else "readOnly"
        was = self.diff.old.view(*before).schema.get(other) is True
        now = self.diff.new.view(*after).schema.get(other) is True
        if was != now and not self.diff.probe:
            rule = _FLAGGED[(other, now, False)]
            text = f"property {shown(name)} {'became' if now else 'is no longer'} {other}"
            self.emit(rule, after[1], text)

    def _removed(self, name: str, where: str, required: bool, new_extra: Any) -> None:
        if self.diff.probe and new_extra is not False:
            return  # a value carrying it still passes
        if self.request and new_extra is False:
            rule = rules.PROPERTY_NOW_REFUSED
        else:
            rule = rules.REQUIRED_PROPERTY_REMOVED if required else rules.PROPERTY_REMOVED
        suffix = " (required)" if required else ""
        self.emit(rule, where, f"property {shown(name)}{suffix} removed", old=True)

    def _added(self, name: str, after: Branch, required: bool, old_extra: Any) -> None:
        node, where = after
        if required:
            self.emit(
                rules.REQUIRED_PROPERTY_ADDED, where, f"required property {shown(name)} added"
            )
        elif (
            self.diff.probe
            and not self.diff.lenient
            and old_extra is not False
            and node not in ({}, True)
        ):
            # Probing: a property old left open that new constrains refuses some old values.
            self.emit(rules.PROPERTY_NOW_REFUSED, where, f"property {shown(name)} now constrained")
        elif old_extra is False:
            self.emit(
                rules.PROPERTY_NOW_ALLOWED,
                where,
                f"property {shown(name)} added where no undeclared property was valid",
            )
        else:
            self.emit(rules.PROPERTY_ADDED, where, f"optional property {shown(name)} added")

    def _additional_properties(self, old: View, new: View) -> None:
        before = self._open(old, "additionalProperties", self.diff.old)
        after = self._open(new, "additionalProperties", self.diff.new)
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
            self.emit(rules.ADDITIONAL_PROPERTIES_NARROWED, where, text)
        else:
            self.emit(rules.ADDITIONAL_PROPERTIES_WIDENED, where, text)

    def _items(self, old: View, new: View) -> None:
        """Each position's schema (prefixItems, else items), then items past every prefix."""
        before, after = old.schema.get("items"), new.schema.get("items")
        old_prefix, new_prefix = _prefix(old), _prefix(new)
        for index in range(max(len(old_prefix), len(new_prefix))):
            then = _position(old, old_prefix, index)
            now = _position(new, new_prefix, index)
            if then is None and now is not None:
                text = f"array item {index} now constrained"
                self.emit(rules.CONSTRAINT_TIGHTENED, now[1], text)
            elif then is not None and now is None:
                text = f"array item {index} no longer constrained"
                self.emit(rules.CONSTRAINT_RELAXED, then[1], text, old=True)
            elif then is not None and now is not None:
                self.child(then, now)
        if before is None and after is None:
            return
        if before is None:
            self.emit(rules.CONSTRAINT_TIGHTENED, new.at("items"), "array items now constrained")
        elif after is None:
            self.emit(
                rules.CONSTRAINT_RELAXED,
                old.at("items"),
                "array items no longer constrained",
                old=True,
            )
        else:
            self.child((before, old.at("items")), (after, new.at("items")))

    def _discriminator(self, old: View, new: View) -> None:
        """The property a body's schema is picked by, and which schema each value picks (the
        mapping's values are references: compared by what they point to)."""
        before, after = old.schema.get("discriminator"), new.schema.get("discriminator")
        before = before if isinstance(before, dict) else None
        after = after if isinstance(after, dict) else None
        if before is None and after is None:
            return
        if before is None or after is None:
            name = rules.DISCRIMINATOR_REMOVED if after is None else rules.DISCRIMINATOR_ADDED
            on = shown((after or before or {}).get("propertyName"))
            where = old.at("discriminator") if after is None else new.at("discriminator")
            verb = "removed" if after is None else "added"
            self.emit(name, where, f"discriminator on {on} {verb}", old=after is None)
            return
        where, old_where = new.at("discriminator"), old.at("discriminator")
        if before.get("propertyName") != after.get("propertyName"):
            text = transition("propertyName", before, after)
            self.emit(rules.DISCRIMINATOR_PROPERTY_CHANGED, join(where, "propertyName"), text)
        old_map = discriminator.mapping(self.diff.old.document, before, _members(old))
        new_map = discriminator.mapping(self.diff.new.document, after, _members(new))
        explicit = (before.get("mapping") or {}, after.get("mapping") or {})
        for value in dict.fromkeys([*old_map, *new_map]):
            then, now = old_map.get(value), new_map.get(value)
            at = join(where, "mapping", value) if value in explicit[1] else where
            if then is None:
                text = f"discriminator value {shown(value)} now selects {now}"
                self.emit(rules.DISCRIMINATOR_MAPPING_ADDED, at, text)
            elif now is None:
                at = join(old_where, "mapping", value) if value in explicit[0] else old_where
                text = f"discriminator value {shown(value)} no longer selects {then}"
                self.emit(rules.DISCRIMINATOR_MAPPING_REMOVED, at, text, old=True)
            elif then == now:
                # The same schema: what changed in it is what clients of that value feel.
                before_target = _selected(self.diff.old, then)
                after_target = _selected(self.diff.new, now)
                if before_target is not None and after_target is not None:
                    self.child(before_target, after_target)
            elif not self.diff.same({"$ref": then}, {"$ref": now}):
                text = f"discriminator value {shown(value)} selects {now} instead of {then}"
                self.emit(rules.DISCRIMINATOR_MAPPING_CHANGED, at, text)

    def _encoding(self, old: View, new: View) -> None:
        for keyword in _ENCODING:
            if old.schema.get(keyword) != new.schema.get(keyword):
                gone = keyword not in new.schema
                where = old.at(keyword) if gone else new.at(keyword)
                text = transition(keyword, old.schema, new.schema)
                self.emit(rules.CONTENT_ENCODING_CHANGED, where, text, old=gone)

    def _applied(self, keyword: str, old: View, new: View) -> None:
        """A subschema values must also match: added tightens, removed relaxes."""
        before, after = old.schema.get(keyword), new.schema.get(keyword)
        if before is None and after is None:
            return
        if before is None:
            self.emit(rules.CONSTRAINT_TIGHTENED, new.at(keyword), f"{keyword} added")
        elif after is None:
            self.emit(rules.CONSTRAINT_RELAXED, old.at(keyword), f"{keyword} removed", old=True)
        else:
            self.child((before, old.at(keyword)), (after, new.at(keyword)))

    def _schema_map(self, keyword: str, old: View, new: View) -> None:
        """dependentSchemas (by property) and patternProperties (by pattern): each entry a
        subschema. A pattern added or removed where undeclared properties are constrained moves
        the names it matches between that constraint and its own schema."""
        before, after = _mapping_of(old.schema, keyword), _mapping_of(new.schema, keyword)
        patterns_ = keyword == "patternProperties"
        old_extra = self._open(old, "additionalProperties", self.diff.old) if patterns_ else True
        new_extra = self._open(new, "additionalProperties", self.diff.new) if patterns_ else True
        for key in dict.fromkeys([*before, *after]):
            old_at, new_at = join(old.at(keyword), key), join(new.at(keyword), key)
            if key in before and key in after:
                self.child((before[key], old_at), (after[key], new_at))
            elif key in after:
                if isinstance(old_extra, dict):
                    self.child((old_extra, old.at("additionalProperties")), (after[key], new_at))
                elif old_extra is False:
                    text = f"{keyword} {shown(key)} added where undeclared properties were refused"
                    self.emit(rules.CONSTRAINT_RELAXED, new_at, text)
                else:
                    self.emit(rules.CONSTRAINT_TIGHTENED, new_at, f"{keyword} {shown(key)} added")
            elif isinstance(new_extra, dict):
                self.child((before[key], old_at), (new_extra, new.at("additionalProperties")))
            elif new_extra is False:
                text = f"{keyword} {shown(key)} removed where undeclared properties are refused"
                self.emit(rules.CONSTRAINT_TIGHTENED, old_at, text, old=True)
            else:
                text = f"{keyword} {shown(key)} removed"
                self.emit(rules.CONSTRAINT_RELAXED, old_at, text, old=True)

    def _dependent_required(self, old: View, new: View) -> None:
        before = _mapping_of(old.schema, "dependentRequired")
        after = _mapping_of(new.schema, "dependentRequired")
        for key in dict.fromkeys([*before, *after]):
            then, now = _names(before.get(key)), _names(after.get(key))
            if then == now:
                continue
            gone = key not in after
            where = join((old if gone else new).at("dependentRequired"), key)
            text = (
                f"properties required with {shown(key)}: "
                f"{shown(sorted(then))} → {shown(sorted(now))}"
            )
            if then <= now:
                self.emit(rules.CONSTRAINT_TIGHTENED, where, text, old=gone)
            elif now <= then:
                self.emit(rules.CONSTRAINT_RELAXED, where, text, old=gone)
            else:
                self.emit(rules.CONSTRAINT_CHANGED, where, text)

    def _unevaluated(self, keyword: str, old: View, new: View) -> None:
        """Like additionalProperties: any (absent, true, {}), none (false), or a schema."""
        before = self._open(old, keyword, self.diff.old)
        after = self._open(new, keyword, self.diff.new)
        if isinstance(before, dict) and isinstance(after, dict):
            self.child((before, old.at(keyword)), (after, new.at(keyword)))
            return
        if canonical(before) == canonical(after):
            return
        text = f"{keyword} {_extra_text(before)} → {_extra_text(after)}"
        gone = keyword not in new.schema
        where = old.at(keyword) if gone else new.at(keyword)
        if after is False or before is True:
            self.emit(rules.CONSTRAINT_TIGHTENED, where, text, old=gone)
        else:
            self.emit(rules.CONSTRAINT_RELAXED, where, text, old=gone)

    def _not(self, old: View, new: View) -> None:
        """Values ``not`` takes are refused: the outer schema refuses more when the new ``not``
        takes values the old one did not, and takes more in the other case."""
        before, after = old.schema.get("not"), new.schema.get("not")
        if before is None and after is None:
            return
        if before is None:
            self.emit(rules.CONSTRAINT_TIGHTENED, new.at("not"), "not added")
            return
        if after is None:
            self.emit(rules.CONSTRAINT_RELAXED, old.at("not"), "not removed", old=True)
            return
        then, now = (before, old.at("not")), (after, new.at("not"))
        if self.diff.same(before, after):
            return
        refuses = self.diff.refusal(now, then, self.context, reverse=True)  # new not takes more
        takes = self.diff.refusal(then, now, self.context)  # old not took what new not refuses
        if refuses is Level.BREAKING and takes is Level.BREAKING:
            self.emit(rules.CONSTRAINT_CHANGED, new.at("not"), "not changed both ways")
        elif refuses is Level.BREAKING:
            self.emit(rules.CONSTRAINT_TIGHTENED, new.at("not"), "not now takes more values")
        elif takes is Level.BREAKING:
            self.emit(rules.CONSTRAINT_RELAXED, new.at("not"), "not now takes fewer values")
        elif Level.POSSIBLY_BREAKING in (refuses, takes):
            text = "not changed, which diff cannot rank"
            self.emit(rules.SCHEMA_CHANGED, new.at("not"), text)

    def _conditional(self, old: View, new: View) -> None:
        """if/then/else: then and else add conditions; a changed ``if`` moves values between
        them, which diff cannot rank."""
        before, after = _conditional(old.schema), _conditional(new.schema)
        if not before and not after:
            return
        if not before:
            self.emit(rules.CONSTRAINT_TIGHTENED, new.at("if"), "if/then/else added")
            return
        if not after:
            self.emit(rules.CONSTRAINT_RELAXED, old.at("if"), "if/then/else removed", old=True)
            return
        if not self.diff.same(old.schema["if"], new.schema["if"]):
            text = "if changed (which values then and else apply to), which diff cannot rank"
            self.emit(rules.SCHEMA_CHANGED, new.at("if"), text)
        for keyword in ("then", "else"):
            self._applied(keyword, old, new)

    def _open(self, view: View, keyword: str, schemas: Schemas) -> Any:
        """True (any value), False (none) or the schema; a $ref to an empty schema is any."""
        value = view.schema.get(keyword, True)
        if isinstance(value, dict) and "$ref" in value:
            try:
                target, _ = schemas.follow(value, view.at(keyword))
            except RefError:  # compared as written
                target = value
            value = value if target else {}
        return True if value in (True, {}) else value

    def _default(self, old: View, new: View) -> None:
        before, after = old.schema.get("default"), new.schema.get("default")
        if canonical(before) == canonical(after) or self.diff.probe:
            return
        where = new.at("default") if "default" in new.schema else old.at("default")
        text = transition("default", old.schema, new.schema)
        role = self.context.role
        if self.request and role == "parameter-optional":
            gone = "default" not in new.schema
            self.emit(rules.REQUEST_PARAMETER_DEFAULT_CHANGED, where, text, old=gone)
        elif self.request and role.endswith("required"):
            # A value that must be sent never falls back to its default.
            text = f"{text} (the value is required)"
            self.emit(rules.DOCUMENTATION_CHANGED, where, text, old="default" not in new.schema)
        else:
            self.emit(rules.DEFAULT_CHANGED, where, text, old="default" not in new.schema)

    def _other_keywords(self, old: View, new: View) -> None:
        for key in sorted({*old.schema, *new.schema}):
            if key in _HANDLED or key in DOCUMENTATION or key in ORGANISATION:
                continue
            if key.startswith("x-"):
                continue
            if not self.diff.same(old.schema.get(key), new.schema.get(key)):
                where = new.at(key) if key in new.schema else old.at(key)
                self.emit(
                    rules.SCHEMA_CHANGED,
                    where,
                    f"{key} changed, which diff cannot rank",
                    old=key not in new.schema,
                )


# (readOnly or writeOnly, whether the property became it, whether it is required) → the rule.
_FLAGGED = {
    ("readOnly", True, False): rules.PROPERTY_BECAME_READ_ONLY,
    ("readOnly", False, False): rules.PROPERTY_BECAME_NOT_READ_ONLY,
    ("readOnly", False, True): rules.REQUIRED_PROPERTY_BECAME_NOT_READ_ONLY,
    ("writeOnly", True, False): rules.PROPERTY_BECAME_WRITE_ONLY,
    ("writeOnly", True, True): rules.REQUIRED_PROPERTY_BECAME_WRITE_ONLY,
    ("writeOnly", False, False): rules.PROPERTY_BECAME_NOT_WRITE_ONLY,
    ("writeOnly", False, True): rules.REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY,
}


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
    # A contains matches at least one item unless minContains says otherwise.
    value = schema.get(keyword, 1 if keyword == "minContains" else None)
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


def _members(view: View) -> list[Any]:
    return discriminator.members(view.raw)


def _selected(schemas: Schemas, ref: str) -> Branch | None:
    """The schema a discriminator value selects, where it is; None when not in the document."""
    try:
        return locate(schemas.document, ref)
    except (KeyError, RefError):
        return None


def _mapping_of(schema: dict[str, Any], keyword: str) -> dict[str, Any]:
    value = schema.get(keyword)
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> frozenset[str]:
    return (
        frozenset(n for n in value if isinstance(n, str))
        if isinstance(value, list)
        else frozenset()
    )


def _conditional(schema: dict[str, Any]) -> bool:
    """An ``if`` that decides something: without then or else it has no effect."""
    return "if" in schema and ("then" in schema or "else" in schema)


def _prefix(view: View) -> list[Any]:
    value = view.schema.get("prefixItems")
    return value if isinstance(value, list) else []


def _position(view: View, prefix: list[Any], index: int) -> Branch | None:
    """The schema of an array's item at ``index``: its prefixItems entry, else items."""
    if index < len(prefix):
        return prefix[index], join(view.at("prefixItems"), index)
    items = view.schema.get("items")
    return None if items is None else (items, view.at("items"))


def _extra_text(value: Any) -> str:
    if value is True:
        return "allowed"
    return "forbidden" if value is False else "a schema"
