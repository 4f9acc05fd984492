"""The one patch of Connexion internals, and why.

Connexion 3.3.0 validates every document against its bundled OpenAPI 3.0 JSON schema (with a
Draft 4 validator) in ``Specification._validate_spec``, so it refuses any ``openapi: 3.1.x``
document, and relabelling the document 3.0 fails on ``type: "null"``. Nothing else in its loading
path depends on the version: routing, security and the operation model read keys that 3.0 and 3.1
share. So we replace that one classmethod with openapi-spec-validator, which knows both versions.
Request and response bodies are validated by our own Draft 2020-12 validators (validator_map).

Connexion is pinned exactly (pyproject.toml); tests/contract/test_connexion_compat.py fails loudly
if an upgrade moves what this patches.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from connexion.exceptions import InvalidSpecification
from connexion.spec import OpenAPISpecification, Specification

from token_api.contract.document import SpecError, validate_document

PINNED_CONNEXION = "3.3.0"


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
