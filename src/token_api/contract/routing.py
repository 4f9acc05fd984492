"""Routing without Starlette's trailing-slash redirects, and without encoded slashes.

Starlette's Router answers a path that matches a route only once a trailing slash is added or
removed with a ``307`` whose ``Location`` it builds from the request's ``Host`` header
(``POST /api/v1/token/`` with ``Host: evil.example`` → ``http://evil.example/api/v1/token``), with
an empty, non-JSON body. The contract has no such redirects: such a path is unknown, ``404``
``{"detail"}`` like every other. Connexion routes twice (its RoutingMiddleware picks the operation,
the app's router calls it), so both routers are built with this.

Starlette routes on the percent-decoded path, so ``/api/v1%2Ftoken`` was Create Token. An encoded
slash is not a slash (RFC 3986 §6.2.2.2: only unreserved characters decode alike), and a proxy or
WAF rule written for ``/api/v1/token`` does not see it: such a path is ``404`` (rule
``path.exact``), before any routing.
"""

from __future__ import annotations

from typing import Any

from connexion.middleware.routing import RoutingMiddleware as ConnexionRoutingMiddleware
from starlette.exceptions import HTTPException
from starlette.routing import Router
from starlette.types import ASGIApp, Receive, Scope, Send


def without_slash_redirects(router: Router) -> None:
    """Turn the redirects off in ``router`` and every router mounted in it or chained to it."""
    router.redirect_slashes = False
    inner = [getattr(route, "app", None) for route in router.routes] + [router.default]
    for app in inner:
        if isinstance(app, Router) and app.redirect_slashes:
            without_slash_redirects(app)


class RoutingMiddleware(ConnexionRoutingMiddleware):  # type: ignore[misc]
    """Connexion's RoutingMiddleware, whose routers never redirect (see the module)."""

    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        without_slash_redirects(self.router)


class EncodedSlashesNotFound:
    """``404`` for a path holding ``%2F`` or ``%2f`` (see the module); everything else passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path")  # the path as sent, before percent-decoding
        if raw is not None and b"%2" in raw and b"%2f" in raw.lower():
            raise HTTPException(404)
        await self.app(scope, receive, send)
