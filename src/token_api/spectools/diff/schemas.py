"""Comparing two resolved schemas on one side of the API: what a client sends (request side) or
receives (response side).

Each pair of schema nodes is compared once per side and context, however many operations reach
it; the operations are attached by the caller. The keywords are compared by family, one module
each under ``keywords/``; :meth:`Pair.run` calls them in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from token_api.spectools.diff import rules
from token_api.spectools.diff.keywords import (
    arrays,
    bounds,
    combinations,
    defaults,
    discriminator,
    documentation,
    objects,
    strings,
    subschemas,
    types,
    unranked,
)
from token_api.spectools.diff.lifecycle import Lifecycle
from token_api.spectools.diff.normalize import Branch, Schemas, View
from token_api.spectools.diff.rules import RULES, Level, SchemaRule, Side
from token_api.spectools.diff.same import Same

Found = tuple[str, str, str, bool]  # (rule id, location, detail, location in the old spec)

# The families compared once both schemas share a type, in order.
_SHARED_TYPE = (
    types.values,
    bounds.compare,
    strings.compare,
    objects.compare,
    arrays.compare,
    subschemas.compare,
    defaults.compare,
    unranked.compare,
)


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
    # Probing an allOf member: a property it introduces counts as request-property-added does
    # (not breaking), not as refusing the values the old schema let through under that name.
    lenient: bool = False
    lifecycle: Lifecycle | None = None  # deprecation, sunset and stability of properties

    def __post_init__(self) -> None:
        self._done: dict[tuple[str, str, Context, bool], list[Found]] = {}
        self._active: set[tuple[str, str, Context, bool]] = set()
        self._probers: dict[tuple[bool, bool], SchemaDiff] = {}
        # The flag that takes a property out of this side's messages.
        self.hidden_by = "readOnly" if self.side is Side.REQUEST else "writeOnly"
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
            Pair(self, out, context).run(
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
        return schemas.view(node, where).schema.get(self.hidden_by) is True

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
class Pair:
    """One comparison of an old and a new view: what the keyword families report through."""

    diff: SchemaDiff
    out: list[Found]
    context: Context
    keys: set[str] = field(default_factory=set)  # the keywords either schema has

    def emit(self, rule: SchemaRule | str, where: str, detail: str, *, old: bool = False) -> None:
        self.diff.emit(self.out, rule, where, detail, old=old)

    def child(self, old: Branch, new: Branch, role: str = "optional") -> None:
        """A subschema pair (a property, the items...), compared in this context."""
        self.out += self.diff.compare(*old, *new, self.context._replace(role=role))

    @property
    def request(self) -> bool:
        return self.diff.side is Side.REQUEST

    def run(self, old: View, new: View, outer: bool) -> None:
        self.keys = old.schema.keys() | new.schema.keys()
        if outer:
            documentation.compare(self, old, new)
            types.nullability(self, old, new)
            discriminator.compare(self, old, new)
        if old.alternatives or new.alternatives:
            combinations.alternatives(self, old, new)
            return
        combinations.all_of(self, old, new)
        combinations.conditions(self, old, new)
        if not types.compare(self, old, new):
            return  # no value is of both types: nothing else is worth comparing
        for family in _SHARED_TYPE:
            family(self, old, new)
