"""An object's members: ``properties`` with ``required`` and the ``readOnly``/``writeOnly`` flags
that take a property out of one side, ``additionalProperties``, ``patternProperties``,
``dependentSchemas``, ``dependentRequired``, ``unevaluatedProperties``.

A ``readOnly`` property is not part of requests and a ``writeOnly`` one not part of responses:
changes inside them do not bind that side, and toggling the flag is reported as the property
appearing or disappearing there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from token_api.spectools.diff import rules
from token_api.spectools.diff.normalize import Branch, Schemas, View, canonical
from token_api.spectools.diff.values import shown
from token_api.spectools.pointers import RefError, join

if TYPE_CHECKING:
    from token_api.spectools.diff.schemas import Pair

# Compared only where one of the two schemas has one (few schemas do).
_RARE = frozenset(
    {"patternProperties", "dependentSchemas", "dependentRequired", "unevaluatedProperties"}
)
KEYWORDS = frozenset({"required", "additionalProperties", "readOnly", "writeOnly", *_RARE})
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


def compare(pair: Pair, old: View, new: View) -> None:
    _properties(pair, old, new)
    _additional_properties(pair, old, new)
    if _RARE & pair.keys:
        for keyword in ("dependentSchemas", "patternProperties"):
            _schema_map(pair, keyword, old, new)
        _dependent_required(pair, old, new)
        unevaluated(pair, "unevaluatedProperties", old, new)


def open_value(view: View, keyword: str, schemas: Schemas) -> Any:
    """additionalProperties and the like: True (any value), False (none) or the schema; absent,
    ``{}`` and a ``$ref`` to an empty schema are any."""
    value = view.schema.get(keyword, True)
    if isinstance(value, dict) and "$ref" in value:
        try:
            target, _ = schemas.follow(value, view.at(keyword))
        except RefError:  # compared as written
            target = value
        value = value if target else {}
    return True if value in (True, {}) else value


def unevaluated(pair: Pair, keyword: str, old: View, new: View) -> None:
    """unevaluatedProperties or unevaluatedItems, judged like additionalProperties."""
    before = open_value(old, keyword, pair.diff.old)
    after = open_value(new, keyword, pair.diff.new)
    if isinstance(before, dict) and isinstance(after, dict):
        pair.child((before, old.at(keyword)), (after, new.at(keyword)))
        return
    if canonical(before) == canonical(after):
        return
    text = f"{keyword} {_extra_text(before)} → {_extra_text(after)}"
    gone = keyword not in new.schema
    where = old.at(keyword) if gone else new.at(keyword)
    if after is False or before is True:
        pair.emit(rules.CONSTRAINT_TIGHTENED, where, text, old=gone)
    else:
        pair.emit(rules.CONSTRAINT_RELAXED, where, text, old=gone)


def _properties(pair: Pair, old: View, new: View) -> None:
    old_required = set(old.schema.get("required") or [])
    new_required = set(new.schema.get("required") or [])
    old_extra = open_value(old, "additionalProperties", pair.diff.old)
    new_extra = open_value(new, "additionalProperties", pair.diff.new)
    diff, flag = pair.diff, pair.diff.hidden_by
    seen: set[str] = set()  # properties judged here, whose `required` is judged with them
    for name in dict.fromkeys([*old.properties, *new.properties]):
        before, after = old.properties.get(name), new.properties.get(name)
        was = before is not None and not diff.hidden(diff.old, *before)
        now = after is not None and not diff.hidden(diff.new, *after)
        if before is not None and after is not None:
            seen.add(name)
            if was and now:
                _other_flag(pair, name, before, after)
                _lifecycle(pair, name, before, after)
                pair.child(before, after, "required" if name in new_required else "optional")
            elif was:
                # Gone from this side: for a response, as if removed (a required one breaks
                # readers); for a request the server now ignores it.
                rule = _FLAGGED[(flag, True, name in old_required and not pair.request)]
                pair.emit(rule, after[1], f"property {shown(name)} became {flag}")
            elif now:
                rule = _FLAGGED[(flag, False, name in new_required)]
                pair.emit(rule, after[1], f"property {shown(name)} is no longer {flag}")
        elif before is not None:
            seen.add(name)
            if was and not _lifecycle(pair, name, before, None):
                _removed(pair, name, before[1], name in old_required, new_extra)
        elif after is not None:
            seen.add(name)
            if now:
                _added(pair, name, after, name in new_required, old_extra)
    where = new.at("required")
    for name in sorted(new_required - old_required):
        hidden = name in new.properties and diff.hidden(diff.new, *new.properties[name])
        if not hidden and (name not in seen or name in old.properties):
            text = f"property {shown(name)} became required"
            pair.emit(rules.PROPERTY_BECAME_REQUIRED, where, text)
    for name in sorted(old_required - new_required):
        hidden = name in old.properties and diff.hidden(diff.old, *old.properties[name])
        if not hidden and (name not in seen or name in new.properties):
            text = f"property {shown(name)} became optional"
            pair.emit(rules.PROPERTY_BECAME_OPTIONAL, where, text)


def _other_flag(pair: Pair, name: str, before: Branch, after: Branch) -> None:
    """readOnly in responses, writeOnly in requests: the property is still part of them."""
    other = "writeOnly" if pair.request else "readOnly"
    was = pair.diff.old.view(*before).schema.get(other) is True
    now = pair.diff.new.view(*after).schema.get(other) is True
    if was != now and not pair.diff.probe:
        text = f"property {shown(name)} {'became' if now else 'is no longer'} {other}"
        pair.emit(_FLAGGED[(other, now, False)], after[1], text)


def _lifecycle(pair: Pair, name: str, before: Branch, after: Branch | None) -> bool:
    """Deprecation, sunset and stability of a property (lifecycle.py); True when it was removed
    deprecated, which the lifecycle rules judge instead of the removal rules."""
    lifecycle = pair.diff.lifecycle
    if lifecycle is None or pair.diff.probe:
        return False
    old = pair.diff.old.view(*before).schema
    new = None if after is None else pair.diff.new.view(*after).schema
    found = lifecycle.property(name, old, new, pair.context.stability)
    for rule, detail, at_old in found:
        pair.emit(rule, before[1] if at_old or after is None else after[1], detail, old=at_old)
    return after is None and bool(found)


def _removed(pair: Pair, name: str, where: str, required: bool, new_extra: Any) -> None:
    if pair.diff.probe and new_extra is not False:
        return  # a value carrying it still passes
    if pair.request and new_extra is False:
        rule = rules.PROPERTY_NOW_REFUSED
    else:
        rule = rules.REQUIRED_PROPERTY_REMOVED if required else rules.PROPERTY_REMOVED
    suffix = " (required)" if required else ""
    pair.emit(rule, where, f"property {shown(name)}{suffix} removed", old=True)


def _added(pair: Pair, name: str, after: Branch, required: bool, old_extra: Any) -> None:
    node, where = after
    probing = pair.diff.probe and not pair.diff.lenient
    if required:
        pair.emit(rules.REQUIRED_PROPERTY_ADDED, where, f"required property {shown(name)} added")
    elif probing and old_extra is not False and node not in ({}, True):
        # Probing: a property old left open that new constrains refuses some old values.
        pair.emit(rules.PROPERTY_NOW_REFUSED, where, f"property {shown(name)} now constrained")
    elif old_extra is False:
        text = f"property {shown(name)} added where no undeclared property was valid"
        pair.emit(rules.PROPERTY_NOW_ALLOWED, where, text)
    else:
        pair.emit(rules.PROPERTY_ADDED, where, f"optional property {shown(name)} added")


def _additional_properties(pair: Pair, old: View, new: View) -> None:
    before = open_value(old, "additionalProperties", pair.diff.old)
    after = open_value(new, "additionalProperties", pair.diff.new)
    where = new.at("additionalProperties")
    if isinstance(before, dict) and isinstance(after, dict):
        pair.child((before, old.at("additionalProperties")), (after, where))
        return
    if canonical(before) == canonical(after):
        return
    text = f"additionalProperties {_extra_text(before)} → {_extra_text(after)}"
    if after is False or before is True:
        pair.emit(rules.ADDITIONAL_PROPERTIES_NARROWED, where, text)
    else:
        pair.emit(rules.ADDITIONAL_PROPERTIES_WIDENED, where, text)


def _schema_map(pair: Pair, keyword: str, old: View, new: View) -> None:
    """dependentSchemas (by property) and patternProperties (by pattern): each entry a subschema.
    A pattern added or removed where undeclared properties are constrained moves the names it
    matches between that constraint and its own schema."""
    before, after = _mapping_of(old.schema, keyword), _mapping_of(new.schema, keyword)
    patterns_ = keyword == "patternProperties"
    old_extra = open_value(old, "additionalProperties", pair.diff.old) if patterns_ else True
    new_extra = open_value(new, "additionalProperties", pair.diff.new) if patterns_ else True
    for key in dict.fromkeys([*before, *after]):
        old_at, new_at = join(old.at(keyword), key), join(new.at(keyword), key)
        if key in before and key in after:
            pair.child((before[key], old_at), (after[key], new_at))
        elif key in after:
            if isinstance(old_extra, dict):
                pair.child((old_extra, old.at("additionalProperties")), (after[key], new_at))
            elif old_extra is False:
                text = f"{keyword} {shown(key)} added where undeclared properties were refused"
                pair.emit(rules.CONSTRAINT_RELAXED, new_at, text)
            else:
                pair.emit(rules.CONSTRAINT_TIGHTENED, new_at, f"{keyword} {shown(key)} added")
        elif isinstance(new_extra, dict):
            pair.child((before[key], old_at), (new_extra, new.at("additionalProperties")))
        elif new_extra is False:
            text = f"{keyword} {shown(key)} removed where undeclared properties are refused"
            pair.emit(rules.CONSTRAINT_TIGHTENED, old_at, text, old=True)
        else:
            pair.emit(rules.CONSTRAINT_RELAXED, old_at, f"{keyword} {shown(key)} removed", old=True)


def _dependent_required(pair: Pair, old: View, new: View) -> None:
    before = _mapping_of(old.schema, "dependentRequired")
    after = _mapping_of(new.schema, "dependentRequired")
    for key in dict.fromkeys([*before, *after]):
        then, now = _names(before.get(key)), _names(after.get(key))
        if then == now:
            continue
        gone = key not in after
        where = join((old if gone else new).at("dependentRequired"), key)
        text = (
            f"properties required with {shown(key)}: {shown(sorted(then))} → {shown(sorted(now))}"
        )
        if then <= now:
            pair.emit(rules.CONSTRAINT_TIGHTENED, where, text, old=gone)
        elif now <= then:
            pair.emit(rules.CONSTRAINT_RELAXED, where, text, old=gone)
        else:
            pair.emit(rules.CONSTRAINT_CHANGED, where, text)


def _mapping_of(schema: dict[str, Any], keyword: str) -> dict[str, Any]:
    value = schema.get(keyword)
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(name for name in value if isinstance(name, str))


def _extra_text(value: Any) -> str:
    if value is True:
        return "allowed"
    return "forbidden" if value is False else "a schema"
