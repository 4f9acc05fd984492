"""``python -m tests.conformance.independent --port P --identities FILE``: the independent
implementation (app.py), its demo organization's identities written to FILE."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import uvicorn

from tests.conformance.independent.app import build

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--identities", type=Path, required=True)
args = parser.parse_args()
app, identities = build()
args.identities.write_text(json.dumps(identities), encoding="utf-8")
# httptools: no 16 KB cap of its own on the headers, so the app answers the contract's 431.
uvicorn.run(app, host="127.0.0.1", port=args.port, http="httptools", log_level="warning")
