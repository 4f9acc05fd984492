"""What the server relies on inside uvicorn and Connexion, beyond their public interfaces.

server/http.py subclasses uvicorn's HttpToolsProtocol; server/framework.py, contract/middlewares.py,
contract/routing.py and contract/security.py subclass Connexion's app, operations and middleware.
Both frameworks are pinned exactly (pyproject.toml). An upgrade that removes, renames or reshapes
one of the internals below would switch a guard off silently (an override never called, a header
cap or deadline gone), so each is checked here, and a failure says in one sentence which one moved
and what relies on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


@dataclass(frozen=True)
class Internal:
    framework: str  # the distribution: uvicorn, connexion
    owner: str  # module:Class (or module alone)
    name: str  # the attribute relied on
    user: str  # who relies on it, and for what
    shape: str | None = None  # a method's parameters: names, "*" and "=" for a default (_shape)
    source: str | None = None  # the method's source hash: a method replaced, not extended
    instance: bool = False  # set on instances (checked on one built as the framework builds it)
    assigned_in: str | None = None  # set by this method of the owner (checked in its source)
    holds: tuple[str, ...] = ()  # what its source must still contain
    answers: Callable[[Any], bool] | None = None  # a function's behaviour relied on

    @property
    def id(self) -> str:
        return f"{self.owner.rpartition(':')[2] or self.owner}.{self.name}"


def _shape(function: Any) -> str:
    """``(self, next_app, *, operation, strict_validation=)``: what a caller or an override
    depends on (annotations are not: they change with typing styles)."""
    parts, star = [], False
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        default = "" if parameter.default is parameter.empty else "="
        parts.append(f"{parameter.name}{default}")
    return f"({', '.join(parts)})"


def _resolve(owner: str) -> Any:
    module, _, attribute = owner.partition(":")
    found: Any = importlib.import_module(module)
    for part in filter(None, attribute.split(".")):
        found = getattr(found, part)
    return found


def _protocol() -> Any:
    """An HttpToolsProtocol as uvicorn builds one for a connection."""
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    loop = asyncio.new_event_loop()
    try:
        return HttpToolsProtocol(Config(app=app), ServerState(), {}, _loop=loop)
    finally:
        loop.close()


def _cycle() -> Any:
    """A RequestResponseCycle as HttpToolsProtocol.on_headers_complete builds one."""
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    return RequestResponseCycle(
        scope={},  # type: ignore[typeddict-item]
        transport=None,  # type: ignore[arg-type]
        flow=None,  # type: ignore[arg-type]
        logger=None,  # type: ignore[arg-type]
        access_logger=None,  # type: ignore[arg-type]
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )


INSTANCES: dict[str, Callable[[], Any]] = {
    "uvicorn.protocols.http.httptools_impl:HttpToolsProtocol": _protocol,
    "uvicorn.protocols.http.httptools_impl:RequestResponseCycle": _cycle,
}

HTTP = "uvicorn.protocols.http.httptools_impl"
PROTOCOL = f"{HTTP}:HttpToolsProtocol"
GUARD = "server/http.py (the head cap, the deadlines, the connection cap, the trailer rule)"
UVICORN = [
    Internal(
        "uvicorn",
        PROTOCOL,
        "__init__",
        f"{GUARD} builds on it",
        shape="(self, config, server_state, app_state, _loop=)",
    ),
    *(
        Internal("uvicorn", PROTOCOL, name, f"{GUARD} extends it and calls it", shape=shape)
        for name, shape in [
            ("connection_made", "(self, transport)"),
            ("connection_lost", "(self, exc)"),
            ("on_message_begin", "(self)"),
            ("on_headers_complete", "(self)"),
            ("on_body", "(self, body)"),
            ("on_message_complete", "(self)"),
            ("on_response_complete", "(self)"),
        ]
    ),
    # Replaced whole: the override repeats what uvicorn's did, so any change to it must be carried.
    Internal("uvicorn", PROTOCOL, "data_received", f"{GUARD} replaces it", source="010a7ae59a5d"),
    Internal("uvicorn", PROTOCOL, "on_header", f"{GUARD} replaces it", source="1e86ebb6cea0"),
    Internal(
        "uvicorn",
        PROTOCOL,
        "_unset_keepalive_if_required",
        f"{GUARD} calls it in data_received, as uvicorn's own does",
        shape="(self)",
    ),
    *(
        Internal("uvicorn", PROTOCOL, name, f"{GUARD} reads it", instance=True)
        for name in (
            "cycle",
            "pipeline",
            "parser",
            "headers",
            "expect_100_continue",
            "transport",
            "flow",
            "loop",
            "server_state",
            "connections",
        )
    ),
    Internal("uvicorn", PROTOCOL, "url", f"{GUARD} counts it", assigned_in="on_message_begin"),
    *(
        Internal(
            "uvicorn", f"{HTTP}:RequestResponseCycle", name, f"{GUARD} reads it", instance=True
        )
        for name in ("response_started", "response_complete", "disconnected", "message_event")
    ),
    Internal(
        "uvicorn",
        f"{HTTP}:RequestResponseCycle",
        "keep_alive",
        f"{GUARD} clears it to close after a pipelined answer",
        instance=True,
    ),
    Internal("uvicorn", HTTP, "STATUS_LINE", "server/http.py writes its refusals' status lines"),
    Internal(
        "uvicorn",
        "uvicorn.server:ServerState",
        "default_headers",
        "server/http.py sends them with its refusals",
        assigned_in="__init__",
    ),
]

LEAN = "the leaner request path"
CONNEXION = [
    Internal(
        "connexion",
        "connexion.security:BearerSecurityHandler",
        "_get_verify_func",
        f"contract/security.py overrides it ({LEAN}: the bearer check reads ASGI headers)",
        shape="(self, token_info_func)",
    ),
    Internal(
        "connexion",
        "connexion.security:AbstractSecurityHandler",
        "_resolve_func",
        "contract/security.py overrides it to hand Connexion the token-info function",
        shape="(self, security_scheme)",
    ),
    Internal(
        "connexion",
        "connexion.security:AbstractSecurityHandler",
        "get_auth_header_value",
        f"contract/security.py answers as it does ({LEAN})",
    ),
    Internal(
        "connexion",
        "connexion.security",
        "NO_VALUE",
        "contract/security.py returns it for another scheme",
    ),
    Internal(
        "connexion",
        "connexion.decorators.response:BaseResponseDecorator",
        "_infer_content_type",
        f"server/framework.py overrides it ({LEAN}: the response type learnt once)",
        shape="(data, headers)",
    ),
    Internal(
        "connexion",
        "connexion.decorators.response:BaseResponseDecorator",
        "build_framework_response",
        f"server/framework.py relies on it ({LEAN})",
    ),
    Internal(
        "connexion",
        "connexion.decorators.response:AsyncResponseDecorator",
        "__call__",
        f"server/framework.py decorates context-only handlers with it ({LEAN})",
    ),
    Internal(
        "connexion",
        "connexion.apps.asynchronous:AsyncOperation",
        "__init__",
        f"server/framework.py subclasses it ({LEAN}: handlers bound once)",
        shape="(self, fn, jsonifier, operation_id, pythonic_params)",
    ),
    Internal(
        "connexion",
        "connexion.apps.asynchronous:AsyncApi",
        "make_operation",
        f"server/framework.py overrides it ({LEAN})",
        shape="(self, operation)",
    ),
    Internal(
        "connexion",
        "connexion.apps.asynchronous:AsyncASGIApp",
        "api_cls",
        f"server/framework.py replaces it ({LEAN})",
    ),
    Internal(
        "connexion",
        "connexion.middleware.request_validation:RequestValidationOperation",
        "__init__",
        f"contract/middlewares.py subclasses it ({LEAN}: validation planned once per operation)",
        shape="(self, next_app, *, operation, strict_validation=, validator_map=)",
    ),
    *(
        Internal(
            "connexion",
            "connexion.middleware.request_validation:RequestValidationOperation",
            name,
            f"contract/middlewares.py reads it ({LEAN})",
            assigned_in="__init__",
        )
        for name in ("_validator_map", "strict_validation", "_operation", "next_app")
    ),
    Internal(
        "connexion",
        "connexion.middleware.response_validation:ResponseValidationOperation",
        "__init__",
        f"contract/middlewares.py subclasses it ({LEAN})",
        shape="(self, next_app, *, operation, validator_map=)",
    ),
    Internal(
        "connexion",
        "connexion.middleware.routing:RoutingMiddleware",
        "router",
        "contract/routing.py turns its redirects off",
        assigned_in="__init__",
    ),
    Internal(
        "starlette",
        "starlette.routing:Router",
        "redirect_slashes",
        "contract/routing.py turns it off in both of Connexion's routers (no 307 to the Host "
        "header)",
        assigned_in="__init__",
    ),
    Internal(
        "connexion",
        "connexion.utils",
        "inspect_function_arguments",
        "server/framework.py tells context-only handlers by what it answers",
        answers=(
            lambda inspect_arguments: (
                inspect_arguments(lambda token_info, user: None) == (["token_info", "user"], False)
            )
        ),
    ),
    Internal(
        "connexion",
        "connexion.context:_context",
        "name",
        "server/framework.py reads the security layer's context values",
        answers=lambda value: value == "CONTEXT",
    ),
]


def _sentence(internal: Internal, problem: str) -> str:
    installed = version(internal.framework)
    return (
        f"{internal.framework} {installed}: {internal.id} {problem}; {internal.user}. "
        f"Re-read it against the override before moving the pin in pyproject.toml."
    )


def _problem(internal: Internal) -> str | None:
    """What is wrong with ``internal`` in the installed framework, or None."""
    try:
        owner = _resolve(internal.owner)
    except (ImportError, AttributeError):
        return f"cannot be reached: {internal.owner} is gone"
    if internal.instance:
        made = INSTANCES[internal.owner]()
        return None if hasattr(made, internal.name) else "is no longer set on its instances"
    if internal.assigned_in is not None:
        method = getattr(owner, internal.assigned_in, None)
        source = inspect.getsource(method) if method is not None else ""
        assigned = re.search(rf"self\.{re.escape(internal.name)}\s*(:[^=]*)?=", source)
        return None if assigned else f"is no longer set by {internal.assigned_in}"
    # A class's own attribute: one it only inherits would mean the override now replaces
    # something else.
    if not (
        internal.name in vars(owner) if inspect.isclass(owner) else hasattr(owner, internal.name)
    ):
        return "is gone"
    found = getattr(owner, internal.name)
    if internal.shape is not None and _shape(found) != internal.shape:
        return f"takes {_shape(found)} instead of {internal.shape}"
    if any(fragment not in inspect.getsource(found) for fragment in internal.holds):
        return f"no longer holds {' and '.join(internal.holds)} in its source"
    if internal.answers is not None and not internal.answers(found):
        return "answers differently"
    if internal.source is not None:
        digest = hashlib.sha256(inspect.getsource(found).encode()).hexdigest()[:12]
        if digest != internal.source:
            return "changed (its source is not the one the override repeats)"
    return None


@pytest.mark.parametrize("internal", UVICORN + CONNEXION, ids=lambda internal: internal.id)
def test_what_the_server_relies_on_in_its_frameworks_is_where_it_was(internal: Internal) -> None:
    problem = _problem(internal)
    assert problem is None, _sentence(internal, problem or "")


def test_the_frameworks_are_the_pinned_versions() -> None:
    """Exact pins: an upgrade is a decision taken with this file, not a side effect of pip."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = dict(
        re.match(r"([a-z]+)(?:\[[a-z]+\])?==([\w.]+)", spec).groups()  # type: ignore[union-attr]
        for spec in dependencies
        if re.match(r"(uvicorn|connexion)\b", spec)
    )
    assert pins.keys() == {"uvicorn", "connexion"}, dependencies
    for framework, pinned in pins.items():
        assert version(framework) == pinned, (
            f"{framework} {version(framework)} is installed; pyproject.toml pins {pinned}."
        )
