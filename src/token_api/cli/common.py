"""What every subcommand shares: its parser, the --database option and turning failures into
sentences."""

from __future__ import annotations

import argparse
import errno
import os
import re
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from token_api.domain.errors import Unavailable
from token_api.server.layout import HANDLERS_MODULE
from token_api.server.settings import DEFAULT_DATABASE_URL, ENV_DATABASE
from token_api.spectools import DEFAULT_SPEC

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


class _ShowsDefaults(argparse.HelpFormatter):
    """--help gives each option's default, unless its help already speaks of it or it has none
    worth saying (unset, off)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        quiet = action.default in (None, False, [], argparse.SUPPRESS) or action.required
        if quiet or "default" in text.lower() or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


class Parser(argparse.ArgumentParser):
    """token-api's parsers: --help shows defaults, and an argument a subcommand does not know is
    refused with that subcommand's usage (argparse hands it up to the top-level parser, whose
    usage says nothing about the subcommand)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _ShowsDefaults)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def refuse_outside(value: float, low: float, high: float, option: str, unit: str) -> None:
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


def add_spec_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec",
        nargs="?",
        default=DEFAULT_SPEC,
        help=f"a file, or git:REF[:PATH] (default: {DEFAULT_SPEC})",
    )


def add_handlers_module_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--handlers-module",
        metavar="MODULE",
        default=None,
        help=f"the module Connexion resolves operationIds in (default: {HANDLERS_MODULE})",
    )


def database_url(args: argparse.Namespace) -> str:
    return str(args.database or os.environ.get(ENV_DATABASE) or DEFAULT_DATABASE_URL)


def without_password(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@contextmanager
def failures_as_sentences() -> Iterator[None]:
    """Known failures of the database and the organization become one sentence (exit 1)
    instead of a traceback."""
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


def _missing_sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, when there is none (None: there is, or it is not a file)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return None  # Store.connect says what is wrong with it
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):  # a URI filename: SQLite reads it, mode and all
        return None
    path = Path(name).absolute()
    # A missing folder: Store.connect names it (nothing can be created there either).
    return None if path.exists() or not path.parent.is_dir() else path


@contextmanager
def open_store(args: argparse.Namespace, *, create: bool = False) -> Iterator[Store]:
    """The database of --database, its schema brought up to date first. Only ``create`` (init,
    serve) may create a SQLite file: any other command run in the wrong folder would leave an
    empty database there and then report it empty."""
    from token_api.storage import Store
    from token_api.storage.migrate import migrate

    url = database_url(args)
    missing = None if create else _missing_sqlite_file(url)
    if missing is not None:
        raise CommandError(
            f"There is no database at {missing}: run 'token-api init' to create one, "
            "or name another with --database."
        )
    with failures_as_sentences():
        store = Store.connect(url)
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
