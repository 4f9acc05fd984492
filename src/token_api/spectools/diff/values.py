"""Spec values in ``token-api diff`` reasons as their author wrote them: JSON (``"^[a-z]+$"``,
``null``, ``true``, ``["a", "b"]``), never Python's reprs, in every output format."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from token_api.spectools.loading import string_keys

ABSENT = "(none)"  # a keyword the schema does not have, which `null` is not
_LIMIT = 100  # a whole schema as a default would drown the reason; a long pattern fits


def shown(value: Any) -> str:
    """One value as compact JSON, cut to a readable length with an ellipsis."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except TypeError:  # a mapping key JSON has not (YAML reads `2020-01-01:` as a date)
        text = json.dumps(string_keys(value), ensure_ascii=False, default=str)
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"


def written(holder: Mapping[str, Any], key: str) -> str:
    """``holder[key]`` shown, or ``(none)`` when it is absent: an absent ``default`` and
    ``default: null`` differ, and the reason must say which."""
    return shown(holder[key]) if key in holder else ABSENT


def transition(key: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """``pattern (none) → "^[a-z]+$"``: a keyword's value in the old and the new holder."""
    return f"{key} {written(old, key)} → {written(new, key)}"


def listed(values: Any) -> str:
    """Several values, each shown: ``"a", true, 3``."""
    return ", ".join(shown(v) for v in values)
