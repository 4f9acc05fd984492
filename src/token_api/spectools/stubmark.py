"""The mark ``token-api stubs --write`` puts on the handlers it generates.

A marked handler answers ``501 {"detail": "Not implemented"}``; ``token-api stubs --check`` and
``token-api lint`` report it until someone implements the operation and removes the mark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

MARK = "generated_stub"


def generated_stub(handler: Handler) -> Handler:
    handler.__token_api_generated_stub__ = True  # type: ignore[attr-defined]
    return handler
