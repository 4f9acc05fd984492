"""What the ``status-documented`` lint rule reads of the reference server, named by the server.

The rule (``spectools/server_statuses.py``) reads the server's source and never imports it:
importing would pull in Connexion, SQLAlchemy and uvicorn, and the rule must also judge a
handlers module that would not import. It depends on this module alone, and the server never
on the spec tools: moving a module or renaming a table below is one edit here, beside the code.
"""

from __future__ import annotations

from pathlib import Path

# The package every path below is relative to: token_api, installed or in the repository.
SOURCE_ROOT = Path(__file__).resolve().parent.parent
# The packages the server is made of (not the CLI, the spec tools, the conformance suite).
SERVER_PACKAGES = ("contract", "domain", "server", "storage")
NOT_THE_SERVER = ("storage/migrations",)
# Where Connexion resolves operationIds (contract.naming gives each function's name).
HANDLERS_MODULE = "token_api.server.handlers"
HANDLERS_FILE = "server/handlers.py"
# Exception class → status: the table the app registers its error handlers from.
ERRORS_FILE, ERRORS_TABLE = "contract/errors.py", "HANDLERS"
# The request-body validator Connexion calls: VALIDATOR_MAP["body"].
VALIDATORS_FILE, VALIDATOR_MAP = "contract/validators.py", "VALIDATOR_MAP"
# The token check: the function the app passes to bearer_security_map.
APP_FILE, SECURITY_FACTORY = "server/app.py", "bearer_security_map"
# What the HTTP layer answers before the API.
HTTP_FILE, HTTP_TABLE = "server/http.py", "HTTP_ANSWERS"
