"""Rule violations, each mapped to one documented status by the contract layer."""

from __future__ import annotations


class RuleViolation(Exception):
    """Base class: a request that the contract's schema accepts but a rule refuses."""


class NotAuthenticated(RuleViolation):
    """401: missing, malformed, unknown, expired or revoked credentials."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Forbidden(RuleViolation):
    """403: the caller may not grant what it asked for."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidField(RuleViolation):
    """422: a field is well-formed but its value is refused (past date, unknown role id, ...)."""

    def __init__(self, field: str, msg: str, value: object = None) -> None:
        super().__init__(msg)
        self.field = field
        self.msg = msg
        self.value = value


class Unavailable(Exception):
    """503: the database does not answer."""

    def __init__(self, detail: str = "The database is unavailable.") -> None:
        super().__init__(detail)
        self.detail = detail
