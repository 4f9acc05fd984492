"""The server's logging: repeated lines rate-limited, query strings kept out of the access log.

Passed to uvicorn as its ``log_config`` (a dictConfig), so that every worker process sets it up.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

from uvicorn.config import LOGGING_CONFIG

# One line per message (its format string, not its arguments) per this many seconds.
REPEAT_SECONDS = 10.0


class RepeatLimit(logging.Filter):
    """Passes a message once per ``seconds``; the next one to pass says how many were dropped.

    A failing database fails every request: on a full disk, one warning per 503 wrote 30,000
    lines in 40 s, which filled what little space was left. The count keeps the rate visible.
    """

    def __init__(self, seconds: float = REPEAT_SECONDS) -> None:
        super().__init__()
        self.seconds = seconds
        self._seen: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = time.monotonic()
        last, dropped = self._seen.get(key, (-self.seconds, 0))
        if now - last < self.seconds:
            self._seen[key] = (last, dropped + 1)
            return False
        self._seen[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} more like it in the last {self.seconds:g} s)"
        return True


class PathWithoutQuery(logging.Filter):
    """uvicorn's access line without the query string, which may hold a secret (``?token=``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].partition("?")[0]
            record.args = (*args[:2], path, *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging, with the two filters above."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "repeat_limit": {"()": f"{__name__}.RepeatLimit"},
        "path_without_query": {"()": f"{__name__}.PathWithoutQuery"},
    }
    config["handlers"]["default"]["filters"] = ["repeat_limit"]
    config["handlers"]["access"]["filters"] = ["path_without_query"]
    config["loggers"]["token_api"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
