"""How an operationId names its handler: a rule of the contract (the operationIds are the
spec's; Connexion resolves each to a function by this rule), shared by the server that binds
them and by the tools that read the spec (``token-api lint``, ``stubs``) without importing the
server's stack."""

from __future__ import annotations

import re


def handler_name(operation_id: str) -> str:
    """The function Connexion resolves an operationId to: ``createToken`` → ``create_token``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", operation_id).lower()
