"""What every subcommand shares: the --database option and turning failures into sentences."""

from __future__ import annotations

import argparse
import errno
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from token_api.domain.errors import Unavailable
from token_api.server.settings import DEFAULT_DATABASE_URL, ENV_DATABASE

if TYPE_CHECKING:
    from token_api.storage import Store


# PostgreSQL's answer to a connection for a database it does not have (SQLSTATE 3D000, which
# psycopg does not report for connection failures, so the message is read).
_MISSING_DATABASE = re.compile(r'database "([^"]+)" does not exist')


class CommandError(Exception):
    """Ends the command with one sentence on stderr and the given exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def within(value: float, low: float, high: float, option: str, unit: str) -> None:
    """Refuse a number outside [low, high] with one sentence (exit 2, a usage error)."""
    if not low <= value <= high:  # also refuses NaN
        raise CommandError(f"{option} must be {low:,g} to {high:,g} {unit}.", exit_code=2)


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """Stored text for a terminal: control and other non-printable characters (escape
    sequences, a carriage return, a tab or newline that would forge a row, bidi overrides) as
    Python writes them in a string literal (``\\x1b``, ``\\n``, ``\\u202e``), and a backslash
    doubled, so that the escaped form cannot be mistaken for the text itself. JSON output
    needs none of this: ``json.dumps`` escapes the same characters."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        char if char.isprintable() and char != "\\" else _ESCAPES.get(char) or _escape(char)
        for char in text
    )


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help=f"SQLAlchemy URL (default: ${ENV_DATABASE}, else {DEFAULT_DATABASE_URL})",
    )


def database_url(args: argparse.Namespace) -> str:
    return str(args.database or os.environ.get(ENV_DATABASE) or DEFAULT_DATABASE_URL)


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@contextmanager
def clear_errors() -> Iterator[None]:
    """Known failures become one sentence (exit 1) instead of a traceback."""
    # SQLAlchemy is imported only by the commands that use a database.
    from token_api.storage import DatabaseError
    from token_api.storage.organization import AdminError

    try:
        yield
    except (DatabaseError, AdminError) as error:
        raise CommandError(str(error)) from None
    except Unavailable as error:
        cause = error.__cause__
        reason = str(getattr(cause, "orig", None) or cause or "").strip().splitlines()
        # The server answered, and said the database is not there: not an outage.
        missing = _MISSING_DATABASE.search(reason[0]) if reason else None
        if missing:
            raise CommandError(
                f"The server has no database {missing[1]!r}: create it first "
                f"(createdb {missing[1]}), then run 'token-api init'."
            ) from None
        raise CommandError(
            "Cannot reach the database" + (f" ({reason[0]})" if reason else "") + "."
        ) from None


@contextmanager
def open_store(args: argparse.Namespace) -> Iterator[Store]:
    """The database of --database, its schema brought up to date first."""
    from token_api.storage import Store
    from token_api.storage.migrate import migrate

    with clear_errors():
        store = Store.connect(database_url(args))
        try:
            migrate(store.engine)
            yield store
        finally:
            store.close()


def check_port(host: str, port: int) -> None:
    """Fail with a sentence before uvicorn would fail with a traceback."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise CommandError(f"Cannot resolve the host {host!r}.") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(f"Port {port} on {host} is already in use.") from None
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
