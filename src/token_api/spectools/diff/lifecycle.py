"""Deprecation, sunset and stability: when removing something stops breaking clients.

oasdiff's model: an operation, parameter or property marked ``deprecated: true`` may be removed
without breaking clients once its sunset date (``x-sunset``) has passed; a sunset must leave a
minimum notice, which depends on the operation's stability (``x-stability-level``: draft and
alpha promise nothing, beta and stable the days the policy sets). token-api differs in one
place, on purpose: an element deprecated without a sunset cannot be removed without breaking
while a notice period applies (clients were told it would go, never when), and deprecating it
so is possibly breaking rather than breaking (nothing fails until it is removed).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from token_api.spectools.diff import rules
from token_api.spectools.diff.rules import SchemaRule
from token_api.spectools.diff.values import shown

SUNSET = "x-sunset"
STABILITY = "x-stability-level"
STABILITY_LEVELS = ("draft", "alpha", "beta", "stable")  # least to most stable
# Keys these rules judge, so that documentation-changed does not list them again.
LIFECYCLE_KEYS = frozenset({"deprecated", SUNSET, STABILITY})


@dataclass(frozen=True)
class Policy:
    """What ``diff`` is told about the team's deprecation policy; the defaults are its options'."""

    today: dt.date
    deprecation_days: int = 180  # stable operations (and those that say nothing)
    deprecation_days_beta: int = 0
    stability_level: str = "beta"  # operations below it are not held to compatibility
    require_major_bump: bool = False

    def notice(self, stability: str) -> int:
        """Days a sunset must leave, for an operation of this stability."""
        if stability == "beta":
            return self.deprecation_days_beta
        if stability == "stable":
            return self.deprecation_days
        return 0  # draft, alpha

    def held(self, stability: str) -> bool:
        """Whether changes to an operation of this stability are judged at all."""
        return STABILITY_LEVELS.index(stability) >= STABILITY_LEVELS.index(self.stability_level)


def utc_today() -> dt.date:
    """The date sunsets and waivers are judged on: UTC, as on CI runners."""
    return dt.datetime.now(dt.UTC).date()


class Unreadable(ValueError):
    """An extension's value is not one diff can read; the message says what it holds."""


def stability_of(node: Any) -> str:
    """An operation's ``x-stability-level``, ``stable`` when absent; raises Unreadable."""
    value = node.get(STABILITY) if isinstance(node, dict) else None
    if value is None:
        return "stable"
    if value not in STABILITY_LEVELS:
        raise Unreadable(
            f"x-stability-level {shown(value)} is not one of {', '.join(STABILITY_LEVELS)}"
        )
    return str(value)


def sunset_of(node: Any) -> dt.date | None:
    """``x-sunset`` as a date: ``YYYY-MM-DD``, an RFC 3339 date-time or an HTTP-date (RFC 8594's
    Sunset header); None when absent; raises Unreadable."""
    value = node.get(SUNSET) if isinstance(node, dict) else None
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            pass
        try:
            return email.utils.parsedate_to_datetime(text).date()
        except (TypeError, ValueError, IndexError):
            pass
    raise Unreadable(
        f"x-sunset {shown(value)} is not a date (YYYY-MM-DD, RFC 3339 or an HTTP-date)"
    )


def deprecated(node: Any) -> bool:
    return isinstance(node, dict) and node.get("deprecated") is True


# (rule, detail): the rule is the element's kind's (R), or one of no kind (sunset-unreadable)
Finding = tuple["R | str", str]


R = TypeVar("R", str, SchemaRule)


@dataclass(frozen=True)
class Ids(Generic[R]):
    """The rules one kind of element is judged by (a schema rule for properties: one per side)."""

    deprecated: R
    without_sunset: R
    too_soon: R
    sunset_removed: R
    reactivated: R
    after_sunset: R
    before_sunset: R


OPERATION = Ids(
    rules.OPERATION_DEPRECATED,
    rules.OPERATION_DEPRECATED_WITHOUT_SUNSET,
    rules.OPERATION_SUNSET_TOO_SOON,
    rules.OPERATION_SUNSET_REMOVED,
    rules.OPERATION_REACTIVATED,
    rules.OPERATION_REMOVED_AFTER_SUNSET,
    rules.OPERATION_REMOVED_BEFORE_SUNSET,
)
PARAMETER = Ids(
    rules.REQUEST_PARAMETER_DEPRECATED,
    rules.REQUEST_PARAMETER_DEPRECATED_WITHOUT_SUNSET,
    rules.REQUEST_PARAMETER_SUNSET_TOO_SOON,
    rules.REQUEST_PARAMETER_SUNSET_REMOVED,
    rules.REQUEST_PARAMETER_REACTIVATED,
    rules.REQUEST_PARAMETER_REMOVED_AFTER_SUNSET,
    rules.REQUEST_PARAMETER_REMOVED_BEFORE_SUNSET,
)
PROPERTY = Ids(
    rules.PROPERTY_DEPRECATED,
    rules.PROPERTY_DEPRECATED_WITHOUT_SUNSET,
    rules.PROPERTY_SUNSET_TOO_SOON,
    rules.PROPERTY_SUNSET_REMOVED,
    rules.PROPERTY_REACTIVATED,
    rules.PROPERTY_REMOVED_AFTER_SUNSET,
    rules.PROPERTY_REMOVED_BEFORE_SUNSET,
)


def _days(count: int) -> str:
    if count < 0:
        return f"{-count} day{'s' if count != -1 else ''} past"
    return f"{count} day{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class Lifecycle:
    policy: Policy

    def removed(
        self, ids: Ids[R], node: Any, name: str, stability: str
    ) -> tuple[R | str, str] | None:
        """The rule for removing a deprecated element; None when it was not deprecated, for
        the caller's own removal rule."""
        if not deprecated(node):
            return None
        try:
            sunset = sunset_of(node)
        except Unreadable as error:
            return rules.SUNSET_UNREADABLE, f"{name} was removed; its {error}"
        notice = self.policy.notice(stability)
        if sunset is None:
            if notice:
                return (
                    ids.before_sunset,
                    f"{name} was removed; it was deprecated without a sunset date, and a "
                    f"{stability} operation owes {notice} days' notice",
                )
            return (
                ids.after_sunset,
                f"{name} was removed; it was deprecated, and a {stability} operation owes no "
                "notice",
            )
        if self.policy.today < sunset:
            return (
                ids.before_sunset,
                f"{name} was removed before its sunset {sunset}",
            )
        return ids.after_sunset, f"{name} was removed after its sunset {sunset}"

    def changed(
        self, ids: Ids[R], old: Any, new: Any, name: str, stability: str
    ) -> Iterator[tuple[R | str, str]]:
        """Deprecation and sunset changes of an element present in both versions."""
        was, now = deprecated(old), deprecated(new)
        if was and not now:
            yield ids.reactivated, f"{name} is no longer deprecated"
            return
        if not now:
            return
        try:
            sunset = sunset_of(new)
        except Unreadable as error:
            yield rules.SUNSET_UNREADABLE, f"{name} is deprecated; its {error}"
            return
        try:
            before = sunset_of(old) if was else None
        except Unreadable:
            before = None  # reported when it was set; judged now as if absent
        notice = self.policy.notice(stability)
        if sunset is None:
            if was and isinstance(old, dict) and SUNSET in old:
                yield ids.sunset_removed, f"{name} stays deprecated, its sunset removed"
            elif not was:
                rule = ids.without_sunset if notice else ids.deprecated
                owed = f"; a {stability} operation owes {notice} days' notice" if notice else ""
                yield rule, f"{name} deprecated without a sunset date{owed}"
            return
        if was and before == sunset:
            return
        left = (sunset - self.policy.today).days
        when = _days(left) + ("" if left < 0 else " away")
        moved = f"sunset {before} → {sunset}" if was and before else f"sunset {sunset}"
        if left < notice and (before is None or sunset < before):
            yield (
                ids.too_soon,
                f"{name} deprecated, {moved}: {when}, and a {stability} operation owes "
                f"{notice} days' notice",
            )
        elif not was:
            yield ids.deprecated, f"{name} deprecated, {moved}"
        else:
            yield rules.DOCUMENTATION_CHANGED, f"{name}: {moved}"

    def property(
        self, name: str, old: Any, new: Any, stability: str
    ) -> list[tuple[SchemaRule | str, str, bool]]:
        """A property's findings, as (rule, detail, located in the old spec); ``new`` None:
        removed. The schema lists a sunset moved as documentation itself."""
        label = f"property {shown(name)}"
        if new is None:
            found = self.removed(PROPERTY, old, label, stability)
            return [] if found is None else [(*found, True)]
        changed = [
            (rule, detail, False)
            for rule, detail in self.changed(PROPERTY, old, new, label, stability)
            if rule != rules.DOCUMENTATION_CHANGED
        ]
        return [*self._own_stability(old, new, label), *changed]

    def _own_stability(
        self, old: Any, new: Any, name: str
    ) -> list[tuple[SchemaRule | str, str, bool]]:
        """A property's own x-stability-level (oasdiff reads it there too): a decrease breaks,
        judged when the level it leaves is held."""
        levels = []
        for node, at_old in ((old, True), (new, False)):
            try:
                levels.append(stability_of(node))
            except Unreadable as error:
                return [(rules.STABILITY_UNREADABLE, f"{name}: {error}", at_old)]
        before, after = levels
        if before == after or not self.policy.held(before):
            return []
        lower = STABILITY_LEVELS.index(after) < STABILITY_LEVELS.index(before)
        rule = rules.PROPERTY_STABILITY_DECREASED if lower else rules.PROPERTY_STABILITY_INCREASED
        return [(rule, f"{name}: x-stability-level {before} → {after}", False)]
