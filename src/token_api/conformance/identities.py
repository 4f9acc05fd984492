"""The identities file (``--identities FILE``): the deployment's users and their sessions.

Its shape is what ``token-api init --demo --json`` prints, so that output tests the reference
server as it is; a team testing another deployment writes the same by hand::

    {"workspaces": ["default", "staging"],
     "roles": {"ADMIN": "<uuid>", "MEMBER": "<uuid>", "EXTERNAL": "<uuid>"},
     "users": [{"email": "admin@example.com", "organization_role": "ADMIN",
                "workspaces": null, "session": "..."}, ...]}

``workspaces`` of a user is what the user reaches (null: every workspace); ``roles`` (optional)
are the organization's role ids, for the checks of ``role_id``. Sessions sit in a file
so that they stay out of ``ps`` and shell history; no message about the file ever quotes a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

ROLES = ("ADMIN", "MEMBER", "EXTERNAL")

_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["users"],
    "properties": {
        "workspaces": _NAMES,
        "roles": {
            "type": "object",
            "propertyNames": {"enum": list(ROLES)},
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "users": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["email", "organization_role", "workspaces", "session"],
                "properties": {
                    "email": {"type": "string", "minLength": 1},
                    "organization_role": {"enum": list(ROLES)},
                    "workspaces": {"anyOf": [{"type": "null"}, _NAMES]},
                    "session": {"type": "string", "minLength": 1},
                    "token": {"type": ["string", "null"]},
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)
_KINDS = {"object": "an object", "array": "a list", "string": "a string", "null": "null"}


class IdentitiesError(Exception):
    """The file cannot be used; one sentence that quotes no value from it."""


@dataclass(frozen=True, slots=True)
class Identity:
    email: str
    role: str
    reach: tuple[str, ...] | None  # None: every workspace
    session: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Identities:
    name: str  # the file's name, for messages
    workspaces: tuple[str, ...]
    users: tuple[Identity, ...]
    roles: dict[str, str]  # role name -> the organization's id of it
    # Every credential the file holds (sessions, and the personal keys `init --json` adds).
    secrets: tuple[str, ...] = field(repr=False)

    def first(self, role: str) -> Identity | None:
        return next((user for user in self.users if user.role == role), None)


def _where(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.path)
    return path.lstrip(".") or "the top level"


def _problem(error: ValidationError) -> str:
    """What is wrong, without the offending value (it may be a secret)."""
    keyword = error.validator
    if keyword == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return f"{_where(error)} has no {', '.join(missing)}"
    if "propertyNames" in error.schema_path:
        return f"{_where(error)} may name only the roles {', '.join(ROLES)}"
    if keyword == "enum":
        return f"{_where(error)} must be one of {', '.join(map(str, error.validator_value))}"
    if keyword == "minLength":
        return f"{_where(error)} must not be empty"
    if keyword == "type":
        expected = error.validator_value
        kinds = expected if isinstance(expected, list) else [expected]
        return f"{_where(error)} must be {' or '.join(_KINDS.get(k, str(k)) for k in kinds)}"
    if keyword == "anyOf" and error.path and error.path[-1] == "workspaces":
        return f"{_where(error)} must be null (every workspace) or a list of names"
    return f"{_where(error)} is not valid"


def load(path: Path) -> Identities:
    label = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IdentitiesError(f"--identities: {str(path)!r} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "it is not UTF-8 text"
        raise IdentitiesError(f"--identities: cannot read {str(path)!r} ({reason}).") from None
    except ValueError as error:
        raise IdentitiesError(
            f"--identities: {label} is not JSON (line {getattr(error, 'lineno', '?')})."
        ) from None
    errors = sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise IdentitiesError(
            f"--identities: {label} is not the shape `token-api init --demo --json` prints: "
            f"{_problem(errors[0])}."
        )
    users = tuple(
        Identity(
            email=user["email"],
            role=user["organization_role"],
            reach=None if user["workspaces"] is None else tuple(user["workspaces"]),
            session=user["session"],
        )
        for user in document["users"]
    )
    secrets = tuple(
        value
        for user in document["users"]
        for value in (user["session"], user.get("token"))
        if isinstance(value, str)
    )
    return Identities(
        label,
        tuple(document.get("workspaces", ())),
        users,
        dict(document.get("roles", {})),
        secrets,
    )
