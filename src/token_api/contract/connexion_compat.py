"""The one patch of Connexion internals, and why.

Connexion 3.3.0 validates every document against its bundled OpenAPI 3.0 JSON schema (with a
Draft 4 validator) in ``Specification._validate_spec``, so it refuses any ``openapi: 3.1.x``
document, and relabelling the document 3.0 fails on ``type: "null"``. Nothing else in its loading
path depends on the version: routing, security and the operation model read keys that 3.0 and 3.1
share. So we replace that one classmethod with openapi-spec-validator, which knows both versions.
Request and response bodies are validated by our own Draft 2020-12 validators (validator_map).

Connexion is pinned exactly (pyproject.toml); tests/contract/test_connexion_compat.py fails loudly
if an upgrade moves what this patches.

Importing this module imports Connexion, without loading three client libraries it imports for
features this server never uses (see ``_clients_loaded_on_first_use``). Modules that build the
server import it before anything else from Connexion.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

from token_api.contract.document import SpecError, validate_document

PINNED_CONNEXION = "3.3.0"

# What Connexion 3.3 imports at start-up only for features the reference server does not use:
# httpx to fetch OAuth token info from an x-tokenInfoUrl (connexion.security), requests to fetch
# remote $refs (connexion.json_schema), Starlette's TestClient for app.test_client()
# (connexion.apps.abstract). Together they were a quarter of the server's import time, and import
# time is most of its cold start (#5).
DEFERRED_MODULES = ("httpx", "requests", "starlette.testclient")


class _LoadedOnFirstUse(types.ModuleType):
    """Stands in for a module while Connexion is imported; the first attribute read imports the
    real module (and returns its attribute), so Connexion behaves as if it had imported it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probing __path__, __spec__, ...
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _test_client(*args: Any, **kwargs: Any) -> Any:
    from starlette.testclient import TestClient

    return TestClient(*args, **kwargs)


@contextmanager
def _clients_loaded_on_first_use() -> Iterator[None]:
    """Within the block, DEFERRED_MODULES not yet imported are stand-ins. Afterwards they leave
    sys.modules again, so any other importer gets the real module."""
    stand_ins = {name: _LoadedOnFirstUse(name) for name in DEFERRED_MODULES}
    # ``from starlette.testclient import TestClient`` reads the name during the import itself.
    vars(stand_ins["starlette.testclient"])["TestClient"] = _test_client
    added = {name: module for name, module in stand_ins.items() if name not in sys.modules}
    sys.modules.update(added)
    try:
        yield
    finally:
        for name, module in added.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


if "connexion" not in sys.modules:
    with _clients_loaded_on_first_use():
        import connexion  # noqa: F401

from connexion.exceptions import InvalidSpecification  # noqa: E402
from connexion.spec import OpenAPISpecification, Specification  # noqa: E402


def _validate_spec(cls: type, spec: dict[str, Any]) -> None:
    try:
        validate_document(spec)
    except SpecError as error:
        raise InvalidSpecification(str(error)) from None


def install() -> None:
    """Idempotent. Refuses to patch a Connexion it was not written for."""
    installed = version("connexion")
    if installed != PINNED_CONNEXION:
        raise RuntimeError(
            f"token-api patches Connexion {PINNED_CONNEXION}; {installed} is installed. "
            "Re-check contract/connexion_compat.py before upgrading."
        )
    if not isinstance(Specification.__dict__.get("_validate_spec"), classmethod):
        # The method moved: patching nothing would leave 3.1 documents refused.
        raise RuntimeError("connexion.spec.Specification._validate_spec is not where it was.")
    OpenAPISpecification._validate_spec = classmethod(_validate_spec)
