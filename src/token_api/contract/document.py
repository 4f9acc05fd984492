"""The OpenAPI document: where it is, loading it, and checking it is a valid 3.1 document."""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

SPEC_NAME = "openapi.yaml"


class SpecError(Exception):
    """The document cannot be read or is not a valid OpenAPI document; one sentence."""


def spec_path() -> Path:
    """The package's ``openapi.yaml``: inside an installed wheel, or the repository root's."""
    packaged = resources.files("token_api").joinpath(SPEC_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    source_tree = Path(__file__).resolve().parents[3] / SPEC_NAME
    if source_tree.is_file():
        return source_tree
    raise SpecError(f"{SPEC_NAME} is neither in the installed package nor at {source_tree}.")


def read_document(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON document (no validation)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"Cannot read {path}: {error}.") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SpecError(f"{path} is not YAML or JSON: {error}".replace("\n", " ")) from None
    if not isinstance(document, dict):
        raise SpecError(f"{path} does not hold an OpenAPI document (a mapping).")
    return document


def validate_document(document: dict[str, Any], source: str = "the document") -> None:
    """Raise SpecError unless the document is a valid OpenAPI 3.0/3.1 document."""
    # Imported here: it takes a third of a second, which commands like --help should not pay.
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(document)
    except OpenAPIValidationError as error:
        where = "/".join(str(part) for part in error.path) or "(root)"
        raise SpecError(
            f"{source} is not a valid OpenAPI document at {where}: {error.message}"
        ) from None


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    document = read_document(path)
    validate_document(document, str(path))
    return document


def load_document(path: Path | None = None) -> dict[str, Any]:
    """The validated document, as a fresh copy the caller may change."""
    return copy.deepcopy(_load((path or spec_path()).resolve()))
