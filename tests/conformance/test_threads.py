"""Conformance runs in threads of one process (test_broken runs three at a time, as a library
user may): a run reads the environment while others change it."""

from __future__ import annotations

import os
import threading
import time

from token_api.conformance.schemathesis_run import ENV_SPEC, SchemathesisArgs, environment
from token_api.contract.document import spec_path


def test_the_environment_is_read_while_another_thread_changes_it() -> None:
    """pytest sets and unsets PYTEST_CURRENT_TEST around every test; a run starting meanwhile
    failed with KeyError (os.environ.items() reads each name it listed)."""
    settings = SchemathesisArgs(
        spec=spec_path(), base_url="http://127.0.0.1:9", token="ses_x", seed=1, max_examples=1,
        phases=(), rate_limit=None, long_lived_tokens=False, timeout=1,
    )  # fmt: skip
    done = threading.Event()

    def toggle() -> None:
        while not done.is_set():
            os.environ["TOKEN_API_TEST_TOGGLED"] = "1"
            os.environ.pop("TOKEN_API_TEST_TOGGLED", None)

    toggler = threading.Thread(target=toggle)
    toggler.start()
    try:
        deadline, copies = time.monotonic() + 0.5, 0
        while time.monotonic() < deadline:
            copied = environment(settings)
            assert copied["SCHEMATHESIS_HOOKS"] and "PATH" in copied
            copies += 1
    finally:
        done.set()
        toggler.join()
    assert copies > 1000
    assert copied[ENV_SPEC] == str(spec_path())
