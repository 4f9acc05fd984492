"""Spec tooling for CI: ``lint`` (is the spec sound?), ``diff`` (does a change break clients?)
and ``stubs`` (does every operation have a handler?). Nothing here imports the server's stack.
"""

# The spec the commands read when none is named (in the current folder), and the path in a
# git:REF revision when only the revision is named.
DEFAULT_SPEC = "openapi.yaml"
