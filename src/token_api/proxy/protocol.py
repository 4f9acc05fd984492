"""The proxy's HTTP/1.1 protocol: the reference server's (bounds on head size, deadlines and
connections; malformed requests answered ``400`` with ``{"detail": ...}``), except that a body
with a content coding is passed on: whether it is refused is the upstream's to say."""

from __future__ import annotations

from typing import ClassVar

from token_api.server.http import GuardedHttpToolsProtocol


class ProxyHttpProtocol(GuardedHttpToolsProtocol):
    refuses_content_codings: ClassVar[bool] = False
