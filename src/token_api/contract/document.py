"""The OpenAPI document: where it is, loading it, and checking it is a valid 3.1 document."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
from functools import lru_cache
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson
import yaml

SPEC_NAME = "openapi.yaml"
ENV_CACHE_DIR = "TOKEN_API_CACHE_DIR"
# libyaml's parser when PyYAML was built with it (its wheels are): the same safe constructors,
# several times faster, which counts at server start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SpecError(f"Cannot read {path}: {error}.") from None


def _parse(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError(f"Cannot read {path}: {error}.") from None
    try:
        document = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        raise SpecError(f"{path} is not YAML or JSON: {error}".replace("\n", " ")) from None
    if not isinstance(document, dict):
        raise SpecError(f"{path} does not hold an OpenAPI document (a mapping).")
    return document


def read_document(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON document (no validation)."""
    return _parse(_read_bytes(path), path)


def _fingerprint(document: dict[str, Any]) -> bytes | None:
    try:
        canonical = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # YAML can hold what JSON cannot (sets, bytes): no shortcut then
        return None
    return hashlib.sha256(canonical).digest()


# A verdict depends only on the content: the server validates its document when loading it and
# Connexion asks again when building the app; the second answer need not cost a second run.
_valid: set[bytes] = set()


def validate_document(document: dict[str, Any], source: str = "the document") -> None:
    """Raise SpecError unless the document is a valid OpenAPI 3.0/3.1 document."""
    fingerprint = _fingerprint(document)
    if fingerprint is not None and fingerprint in _valid:
        return
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
    if fingerprint is not None:
        _valid.add(fingerprint)


def _verdict_file(raw: bytes) -> Path | None:
    """Where the finding that a document with exactly this content is valid is kept (for this
    version of openapi-spec-validator), or None without a cache directory.

    Validating the document on each start cost the server about half a second (most of it
    importing the validator); any change to the document, or to the validator, validates anew.
    """
    try:
        validator = version("openapi-spec-validator")
        folder = os.environ.get(ENV_CACHE_DIR) or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "token-api"
        )
    except (PackageNotFoundError, RuntimeError):  # RuntimeError: no home directory
        return None
    name = f"{hashlib.sha256(raw).hexdigest()}-openapi-spec-validator-{validator}"
    return Path(folder) / "valid-documents" / name


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    raw = _read_bytes(path)
    document = _parse(raw, path)
    verdict = _verdict_file(raw)
    if verdict is not None and verdict.is_file():
        fingerprint = _fingerprint(document)
        if fingerprint is not None:  # Connexion will ask about this content again
            _valid.add(fingerprint)
        return document
    validate_document(document, str(path))
    if verdict is not None:
        with contextlib.suppress(OSError):  # a read-only home only costs the next start
            verdict.parent.mkdir(parents=True, exist_ok=True)
            verdict.touch()
    return document


def load_document(path: Path | None = None) -> dict[str, Any]:
    """The validated document, as a fresh copy the caller may change."""
    return copy.deepcopy(_load((path or spec_path()).resolve()))
