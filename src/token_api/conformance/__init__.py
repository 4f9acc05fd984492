"""``token-api conformance``: Schemathesis and the API's own rules against any deployment.

The Python entry point is ``token_api.conformance.runner.run(Options(...)) -> Report``; this
package imports nothing itself, so the ``token-api`` command starts without it.
"""
