"""Spec tooling for CI: ``lint`` (is the spec sound?), ``diff`` (does a change break clients?)
and ``stubs`` (does every operation have a handler?). Nothing here imports the server's stack."""
