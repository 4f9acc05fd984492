"""The application under Connexion's middleware: AsyncApp's, with each handler bound once.

Connexion 3.3's AsyncApp rebuilds its handler pipeline on every request: ``AsyncOperation.fn``
makes a new StarletteDecorator, whose wrapper decorates the handler again (inspecting its
signature again) before calling it. Profiled under load, that was the largest single cost
Connexion added to a request. ``ContractApp`` is AsyncApp (both subclass Connexion's AbstractApp,
its base for framework applications) whose operations decorate their handler once, with that same
StarletteDecorator: handlers receive exactly what Connexion passes them (parameters by name, the
body, ``token_info``) and what they return becomes a response through the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.decorators import StarletteDecorator
from connexion.frameworks.starlette import Starlette
from starlette.types import Receive, Scope, Send

from token_api.contract.routing import without_slash_redirects


class _Operation(AsyncOperation):  # type: ignore[misc]
    def __init__(self, fn: Callable[..., Any], *, uri_parser: Any, **kwargs: Any) -> None:
        super().__init__(fn, **kwargs)
        self._uri_parser = uri_parser
        decorator = StarletteDecorator(
            pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )
        self._handler = decorator.decorate(fn)

    @classmethod
    def from_operation(cls, operation: Any, *, pythonic_params: bool, jsonifier: Any) -> _Operation:
        return cls(
            operation.function,
            jsonifier=jsonifier,
            operation_id=operation.operation_id,
            pythonic_params=pythonic_params,
            uri_parser=operation.uri_parser_class(
                operation.parameters, operation.body_definition()
            ),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Starlette.get_request(scope=scope, receive=receive, uri_parser=self._uri_parser)
        response = await self._handler(request)
        await response(scope, receive, send)


class _Api(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: Any) -> _Operation:
        return _Operation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class _ASGIApp(AsyncASGIApp):  # type: ignore[misc]
    api_cls = _Api

    def add_api(self, *args: Any, **kwargs: Any) -> Any:
        api = super().add_api(*args, **kwargs)
        without_slash_redirects(self.router)  # unknown paths are 404, never a redirect
        return api


class ContractApp(AbstractApp):  # type: ignore[misc]
    """``connexion.AsyncApp`` whose operations bind their handler once (see the module)."""

    def __init__(self, import_name: str, **kwargs: Any) -> None:
        self._middleware_app = _ASGIApp()
        super().__init__(import_name, **kwargs)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        self._middleware_app.add_url_rule(rule, endpoint=endpoint, view_func=view_func, **options)

    def add_error_handler(self, code_or_exception: Any, function: Callable[..., Any]) -> None:
        self.middleware.add_error_handler(code_or_exception, function)
