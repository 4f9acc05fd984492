"""Exit 2, with one sentence saying why: a usage error, a deployment that does not answer, a
token it does not accept or that is not ADMIN. Nothing is tested then."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.conftest import Deployment, Run, assert_no_secret, conformance
from tests.support.server import free_port


def _refused(run: Run, *words: str) -> str:
    assert run.exit_code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    sentence = lines[-1]
    assert sentence.startswith("token-api conformance: "), run.stderr
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in sentence
    assert "junit.xml" not in run.files  # no verdict was written
    return sentence


def test_an_unreachable_deployment(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = conformance("--base-url", url, "--token", "api_x" * 10, folder=tmp_path)
    _refused(run, "Cannot reach the deployment")


def test_a_token_the_deployment_does_not_accept(reference: Deployment, tmp_path: Path) -> None:
    run = conformance("--base-url", reference.url, "--token", "api_" + "a" * 49, folder=tmp_path)
    _refused(run, "did not accept the token", "401")


def test_a_token_that_is_not_admin(reference: Deployment, tmp_path: Path) -> None:
    member = reference.tokens["MEMBER"]
    run = conformance("--base-url", reference.url, "--token", member, folder=tmp_path)
    _refused(run, "not an ADMIN token", "403")
    assert_no_secret(run, member)


def test_a_base_url_without_the_api(reference: Deployment, tmp_path: Path) -> None:
    run = conformance(
        "--base-url", reference.url + "/v9", "--token", reference.admin, folder=tmp_path
    )
    _refused(run, "answered 404", "--base-url")


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--base-url", "ftp://example.com"], ["--base-url must be an http(s) URL"]),
        (["--base-url", "http://127.0.0.1:1", "--rate-limit", "fast"], ["--rate-limit"]),
        (["--base-url", "http://127.0.0.1:1", "--max-examples", "0"], ["--max-examples"]),
        (["--base-url", "http://127.0.0.1:1", "--report", "out.pdf"], ["--report must end in"]),
        (["--base-url", "http://127.0.0.1:1", "--spec", "missing.yaml"], ["Cannot read"]),
    ],
    ids=["scheme", "rate", "examples", "report", "spec"],
)
def test_usage_errors(arguments: list[str], words: list[str], tmp_path: Path) -> None:
    run = conformance(*arguments, "--token", "api_" + "a" * 49, folder=tmp_path, report=None)
    _refused(run, *words)


def test_no_token(tmp_path: Path) -> None:
    run = conformance("--base-url", "http://127.0.0.1:1", folder=tmp_path, report=None)
    _refused(run, "--token")


def test_argparse_errors_exit_2(tmp_path: Path) -> None:
    run = conformance("--token", "x", folder=tmp_path, report=None)
    assert run.exit_code == 2
    assert "--base-url" in run.stderr
