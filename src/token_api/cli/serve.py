"""``token-api serve``: the reference server under uvicorn."""

from __future__ import annotations

import argparse
import ipaddress
import os
import resource
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from token_api.cli.admin import DEMO_ADMIN
from token_api.cli.common import (
    CommandError,
    add_database_option,
    check_port,
    database_url,
    open_store,
    refuse_outside,
    without_password,
)
from token_api.domain import sessions
from token_api.domain.minting import DEFAULT_LIFETIME, MAX_LIFETIME
from token_api.server.settings import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_DATABASE_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    ENV_DATABASE,
    Settings,
)

# Open files a process needs beside its connections (the database, logs, the event loop).
SPARE_FILES = 64

if TYPE_CHECKING:
    from token_api.storage import Store


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = commands.add_parser("serve", help="run the reference server")
    add_database_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--token-lifetime",
        type=int,
        default=int(DEFAULT_LIFETIME.total_seconds()),
        metavar="SECONDS",
        help="lifetime of tokens created without expires_at "
        f"(default {DEFAULT_LIFETIME.days} days)",
    )
    _seconds(
        serve,
        "--database-timeout",
        DEFAULT_DATABASE_TIMEOUT,
        "answer 503 when the database has not answered a request's queries by then",
    )
    _seconds(
        serve,
        "--header-timeout",
        DEFAULT_HEADER_TIMEOUT,
        "answer 408 when a request's line and headers have not arrived by then, counted from "
        "the connection's start or the previous answer",
    )
    _seconds(
        serve,
        "--body-timeout",
        DEFAULT_BODY_TIMEOUT,
        "answer 408 when a request's body has not arrived by then, counted from its headers",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="open connections per process; past it the one waiting longest on its client is "
        f"closed, or 503 when all are being answered (default {DEFAULT_MAX_CONNECTIONS})",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (paths without the query)"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        default=None,
        help="believe X-Forwarded-For and X-Forwarded-Proto (the client's address and scheme, "
        "as in the access log) only from these proxies: comma-separated addresses or networks, "
        "or * for any (default: from none, whatever FORWARDED_ALLOW_IPS says)",
    )
    serve.set_defaults(run=run)


def _seconds(
    parser: argparse.ArgumentParser, option: str, default: timedelta, meaning: str
) -> None:
    seconds = default.total_seconds()
    parser.add_argument(
        option,
        type=float,
        default=seconds,
        metavar="SECONDS",
        help=f"{meaning} (default {seconds:g})",
    )


def _proxies(value: str | None) -> str | None:
    """--forwarded-allow-ips checked: each entry an IP address or network, or *."""
    if value is None:
        return None
    entries = [entry.strip() for entry in value.split(",")]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise CommandError(
                f"--forwarded-allow-ips takes IP addresses or networks, or *, not {entry[:60]!r}.",
                exit_code=2,
            ) from None
    return ",".join(entries)


def _allow_open_files(connections: int) -> None:
    """Raise this process's open-file limit (workers inherit it) to fit ``connections``.

    Past the limit, accept() fails and new clients wait in the listen queue, which is how 1,100
    slow connections once locked every other client out; ``--max-connections`` must be reached
    first. The soft limit is raised as far as the hard one allows, never lowered.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        if ceiling < wanted:
            raise CommandError(
                f"--max-connections {connections} needs {wanted} open files; this system "
                f"allows {hard} (ulimit -Hn)."
            )


def _first_start(store: Store, url: str, is_default: bool) -> None:
    """An empty default database gets the demo organization and, on a terminal, its ADMIN
    user's session; another empty database gets the hint (the server still starts: users may be
    added while it runs). A secret never goes to a log: where stdout is a file, a pipe or a
    journal, the session is not made, and the message says how to get one."""
    from token_api.storage.organization import NO_ORGANIZATION, Organization, seed_demo

    organization = Organization(store)
    if organization.exists():
        return
    if not is_default:
        print(
            f"token-api serve: the database {without_password(url)} {NO_ORGANIZATION}.",
            file=sys.stderr,
        )
        return
    seed_demo(organization)
    fresh = f"token-api users login {DEMO_ADMIN}"
    if not sys.stdout.isatty():
        print(
            f"Created the demo organization in token-api.db; its ADMIN user is {DEMO_ADMIN}. "
            f"A session to mint API keys with (Authorization: Bearer <session>): {fresh}",
            flush=True,
        )
        return
    session = organization.login(DEMO_ADMIN)
    hours = int(sessions.DEFAULT_LIFETIME.total_seconds() // 3600)
    print(
        "Created the demo organization in token-api.db. A session of "
        f"{DEMO_ADMIN} (ADMIN), shown once, valid {hours} hours:\n{session}\n"
        f"Mint API keys with it (Authorization: Bearer <session>). A fresh session: {fresh}",
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from token_api.server.logs import log_config

    # Every argument is checked, and the port tried, before anything is created.
    if args.workers < 1:
        raise CommandError("--workers must be at least 1.", exit_code=2)
    for option in ("database_timeout", "header_timeout", "body_timeout"):
        if not getattr(args, option) > 0:
            name = "--" + option.replace("_", "-")
            raise CommandError(f"{name} must be more than 0 seconds.", exit_code=2)
    if args.max_connections < 1:
        raise CommandError("--max-connections must be at least 1.", exit_code=2)
    refuse_outside(args.port, 1, 65535, "--port", "(a TCP port)")
    proxies = _proxies(args.forwarded_allow_ips)
    refuse_outside(
        args.token_lifetime, 1, MAX_LIFETIME.total_seconds(), "--token-lifetime", "seconds"
    )
    _allow_open_files(args.max_connections)
    check_port(args.host, args.port)
    url = database_url(args)
    is_default = args.database is None and ENV_DATABASE not in os.environ
    with open_store(args, create=True) as store:
        _first_start(store, url, is_default)
    settings = Settings(
        database_url=url,
        token_lifetime=timedelta(seconds=args.token_lifetime),
        database_timeout=timedelta(seconds=args.database_timeout),
        header_timeout=timedelta(seconds=args.header_timeout),
        body_timeout=timedelta(seconds=args.body_timeout),
        max_connections=args.max_connections,
    )
    os.environ.update(settings.to_environment())
    uvicorn.run(
        "token_api.server.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # server/http.py: uvicorn's httptools protocol with bounds on sizes, time, connections.
        http="token_api.server.http:GuardedHttpToolsProtocol",
        ws="none",
        access_log=args.access_log,
        # uvicorn believes proxy headers from 127.0.0.1 unless told otherwise, so any local
        # client could put any address in the access log: none is believed unless named.
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
        log_config=log_config(),
        log_level="info",
    )
    return 0
