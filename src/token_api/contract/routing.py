"""Routing without Starlette's trailing-slash redirects.

Starlette's Router answers a path that matches a route only once a trailing slash is added or
removed with a ``307`` whose ``Location`` it builds from the request's ``Host`` header
(``POST /api/v1/token/`` with ``Host: evil.example`` → ``http://evil.example/api/v1/token``), with
an empty, non-JSON body. The contract has no such redirects: such a path is unknown, ``404``
``{"detail"}`` like every other. Connexion routes twice (its RoutingMiddleware picks the operation,
the app's router calls it), so both routers are built with this.
"""

from __future__ import annotations

from typing import Any

from connexion.middleware.routing import RoutingMiddleware as ConnexionRoutingMiddleware
from starlette.routing import Router


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
