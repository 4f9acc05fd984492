"""Defaults shared by the command, the pytest plugin and the run; light enough for start-up."""

# Schemathesis's test phases, in the order it runs them.
PHASES = ("examples", "coverage", "fuzzing", "stateful")
ENV_TOKEN = "TOKEN_API_TOKEN"
DEFAULT_TIMEOUT = 600.0
