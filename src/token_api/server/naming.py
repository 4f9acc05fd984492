"""How an operationId names its handler; apart from ``handlers`` so that tools reading the spec
(``token-api lint``, ``stubs``) can use it without importing the server's stack."""

from __future__ import annotations

import re


def handler_name(operation_id: str) -> str:
    """The function Connexion resolves an operationId to: ``createToken`` → ``create_token``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", operation_id).lower()
