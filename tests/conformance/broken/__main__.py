"""``python -m tests.conformance.broken --port P``: the broken proxy (upstream and ADMIN token
from the environment, see app.py)."""

from __future__ import annotations

import argparse

import uvicorn

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
args = parser.parse_args()
uvicorn.run(
    "tests.conformance.broken.app:app_from_environment",
    factory=True,
    host="127.0.0.1",
    port=args.port,
    log_level="warning",
)
