"""Organization roles and their order."""

from __future__ import annotations

import enum


class Role(enum.IntEnum):
    """EXTERNAL < MEMBER < ADMIN: a higher value grants more."""

    EXTERNAL = 1
    MEMBER = 2
    ADMIN = 3
