"""Who a run calls Create Token as: the ADMIN user's session (``--token``), the narrower users'
sessions (``--identities``), and the API keys those sessions mint.

On the platform only a signed-in user's session may create keys; a key never does. So every
caller that mints is a session, and a credential that is an API key is refused before the run
starts, with how to get a session instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from token_api.conformance.identities import Identities

API_KEY_PREFIX = "api_"
GET_A_SESSION = "on the reference server, `token-api users login EMAIL` prints one"
NARROWER_ROLES = ("MEMBER", "EXTERNAL")
_PROBE_METHODS = ("GET", "HEAD")
# RFC 6750's b64token, what a bearer credential is made of. Anything else (a line break, a space,
# a non-ASCII letter) cannot go into a header: the HTTP library would refuse it with an error
# quoting the header, secret and all.
_BEARER = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class CallerError(Exception):
    """A credential the run cannot call as; one sentence that never quotes it."""


@dataclass(frozen=True, slots=True)
class Caller:
    """A credential to call with, and the steps that made it (for replaying a failure)."""

    token: str = field(repr=False)  # a secret: never in a repr, a traceback or a log
    who: str  # for messages: "the ADMIN session", "a service key the ADMIN session minted"
    role: str | None = None  # the user's organization role, for sessions
    reach: tuple[str, ...] | None = None  # the user's workspaces; None: every workspace
    steps: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeyProbe:
    """``--key-probe 'METHOD PATH'``: an endpoint of the deployment that takes API keys."""

    method: str
    path: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @classmethod
    def parse(cls, value: str) -> KeyProbe:
        method, _, path = value.strip().partition(" ")
        method, path = method.upper(), path.strip()
        if method not in _PROBE_METHODS or not path.startswith("/") or " " in path:
            raise CallerError(
                f"--key-probe takes 'GET PATH' or 'HEAD PATH' (a path of the deployment that "
                f"reads with an API key, e.g. 'GET /api/v1/workspaces'), not {value!r}."
            )
        return cls(method, path)


def _session(credential: str, whose: str) -> str:
    """The credential if it can be a session; else CallerError naming where it came from
    (``whose``) and never quoting it, not even in part."""
    if not _BEARER.fullmatch(credential):
        raise CallerError(
            f"{whose} is not a session: a bearer credential is ASCII letters, digits and "
            f"-._~+/ only, without spaces or line breaks ({GET_A_SESSION})."
        )
    if credential.startswith(API_KEY_PREFIX):
        raise CallerError(
            f"{whose} is an API key (api_…), and API keys cannot create keys: give the user's "
            f"session ({GET_A_SESSION})."
        )
    return credential


def admin(token: str | None, identities: Identities | None, source: str = "--token") -> Caller:
    """The ADMIN caller: ``token``, given by ``source`` (``--token`` or its environment variable,
    named in every message about it), else the identities file's first ADMIN user."""
    if token is not None:
        return Caller(_session(token, source), f"the ADMIN session from {source}", "ADMIN")
    user = identities.first("ADMIN") if identities else None
    if identities is None or user is None:
        where = f"({identities.name} has no ADMIN user)" if identities else "or --identities FILE"
        raise CallerError(
            f"Give an ADMIN user's session with --token or $TOKEN_API_TOKEN {where}; "
            f"{GET_A_SESSION}."
        )
    whose = f"The session of {user.email} in {identities.name}"
    return Caller(_session(user.session, whose), f"{user.email}'s session (ADMIN)", "ADMIN")


def narrower(identities: Identities | None) -> list[Caller]:
    """One session per narrower role the identities file has a user for (the first one)."""
    callers: list[Caller] = []
    if identities is None:
        return callers
    for role in NARROWER_ROLES:
        user = identities.first(role)
        if user is not None:
            whose = f"The session of {user.email} in {identities.name}"
            callers.append(
                Caller(
                    _session(user.session, whose),
                    f"{user.email}'s session ({role})",
                    role,
                    user.reach,
                )
            )
    return callers
