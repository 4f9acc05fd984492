"""The application under Connexion's middleware: AsyncApp's, with each handler bound once.

Connexion 3.3's AsyncApp decorates its handler again on every request (a new StarletteDecorator,
the signature inspected again); ``ContractApp`` is AsyncApp whose operations decorate theirs once,
with that same decorator, so handlers receive what Connexion passes them and their answers become
responses through the same code. A handler of an operation without parameters that takes only
its context values (``token_info``, ``user``) is called with them directly, past Connexion's
parameter decorator, and its answer's one media type is learnt once. What each buys:
docs/decisions/connexion-trimming.md.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import context
from connexion.decorators import StarletteDecorator
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette
from connexion.utils import inspect_function_arguments
from starlette.types import Receive, Scope, Send

from token_api.contract.routing import without_slash_redirects

# What Connexion's SecurityMiddleware puts in the request context for the handler.
CONTEXT_ARGUMENTS = frozenset({"token_info", "user"})


def _context_only(fn: Callable[..., Any], has_parameters: bool) -> Callable[..., Any] | None:
    """``fn`` called with its context values, when that is all Connexion would pass it."""
    arguments, has_kwargs = inspect_function_arguments(fn)
    if has_parameters or has_kwargs or not CONTEXT_ARGUMENTS.issuperset(arguments):
        return None
    if not inspect.iscoroutinefunction(fn):
        return None  # Connexion runs a sync handler in its thread pool: keep its path

    async def call(_: Any) -> Any:
        values = context._get_current_object()
        return await fn(**{name: values[name] for name in arguments if name in values})

    return call


class _ResponseDecorator(AsyncResponseDecorator):  # type: ignore[misc]
    def __init__(self, *, produces: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        types = set(produces)
        self._only_type = types.pop() if len(types) == 1 else None

    def _infer_content_type(self, data: Any, headers: dict[str, str]) -> str | None:
        # Connexion's answer when the handler set no Content-Type and the operation produces one.
        if self._only_type is not None and not any(k.lower() == "content-type" for k in headers):
            return self._only_type
        return super()._infer_content_type(data, headers)  # type: ignore[no-any-return]


class _Operation(AsyncOperation):  # type: ignore[misc]
    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        uri_parser: Any,
        has_parameters: bool,
        produces: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(fn, **kwargs)
        self._uri_parser = uri_parser
        direct = _context_only(fn, has_parameters)
        if direct is None:
            decorator = StarletteDecorator(
                pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
            )
            self._handler = decorator.decorate(fn)
        else:
            self._handler = _ResponseDecorator(
                framework=Starlette, jsonifier=self.jsonifier, produces=produces
            )(direct)

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
            has_parameters=bool(operation.parameters),
            produces=list(operation.produces),
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
