"""Exit 2, with one sentence saying why: a usage error, a deployment that does not answer, a
credential that is not an ADMIN user's session, a workspace or identities file it cannot use.
Nothing is tested then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conformance.conftest import (
    Deployment,
    Run,
    assert_no_secret,
    assert_not_echoed,
    conformance,
)
from tests.support.server import free_port

HOW_TO_GET_A_SESSION = "`token-api users login EMAIL`"


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
    run = conformance("--base-url", url, "--token", "ses_x" * 10, folder=tmp_path)
    _refused(run, "Cannot reach the deployment")


def test_a_session_the_deployment_does_not_accept(reference: Deployment, tmp_path: Path) -> None:
    run = conformance("--base-url", reference.url, "--token", "ses_" + "a" * 40, folder=tmp_path)
    _refused(run, "did not accept the ADMIN session", "401", HOW_TO_GET_A_SESSION)


def test_an_api_key_is_refused_before_any_request(reference: Deployment, tmp_path: Path) -> None:
    """Even the ADMIN user's own key: keys never mint. Nothing is sent (the port is closed)."""
    url = f"http://127.0.0.1:{free_port()}"
    run = conformance("--base-url", url, "--token", reference.tokens["ADMIN"], folder=tmp_path)
    sentence = _refused(run, "--token is an API key", "session", HOW_TO_GET_A_SESSION)
    assert "Cannot reach" not in sentence
    assert_no_secret(run, reference)


def test_a_credential_answered_403_needs_an_admin_session(
    reference: Deployment, broken: str, tmp_path: Path
) -> None:
    """A narrower user's session, and a key that does not look like one (the wrong-prefix proxy
    turns key_… back into the api_… key): the deployment answers 403 to both."""
    for name, credential, base in [
        ("member", reference.sessions["MEMBER"], reference.url),
        ("key", "key_" + reference.tokens["ADMIN"][4:], f"{broken}/wrong_prefix"),
    ]:
        run = conformance("--base-url", base, "--token", credential, folder=tmp_path / name)
        _refused(run, "403", "an ADMIN user's session", HOW_TO_GET_A_SESSION)
        assert_no_secret(run, reference)


def test_a_workspace_the_admin_cannot_mint_for(reference: Deployment, tmp_path: Path) -> None:
    run = conformance(
        "--base-url", reference.url, "--token", reference.admin,
        "--workspace", reference.workspaces[0], "--workspace", "nosuch",
        folder=tmp_path,
    )  # fmt: skip
    _refused(run, "--workspace 'nosuch'", "403", "does the workspace exist?")


def _identities(reference: Deployment, folder: Path, **changes: object) -> Path:
    """The deployment's identities file, its users changed by email (None: left out)."""
    document = json.loads(reference.identities.read_text())
    users = []
    for user in document["users"]:
        change = changes.get(user["email"].partition("@")[0], {})
        if change is not None:
            users.append({**user, **change})  # type: ignore[dict-item]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ids.json"
    path.write_text(json.dumps({**document, "users": users}))
    return path


def test_identities_whose_sessions_are_refused(reference: Deployment, tmp_path: Path) -> None:
    cases = [
        ("ended", {"member": {"session": "ses_" + "b" * 40}}, ["member@example.com", "401"]),
        ("key", {"external": {"session": reference.tokens["EXTERNAL"]}}, ["external@", "API key"]),
        ("no-admin", {"admin": None}, ["has no ADMIN user", HOW_TO_GET_A_SESSION]),
    ]
    for name, changes, words in cases:
        path = _identities(reference, tmp_path / f"{name}-input", **changes)
        run = conformance(
            "--base-url", reference.url, "--identities", str(path), folder=tmp_path / name
        )
        _refused(run, *words)
        assert_no_secret(run, reference)


def _user(**fields: object) -> str:
    user = {"email": "a@b", "organization_role": "ADMIN", "workspaces": None, "session": "s"}
    return json.dumps({"users": [{**user, **fields}]})


def test_identities_in_the_wrong_shape(reference: Deployment, tmp_path: Path) -> None:
    secret = reference.sessions["MEMBER"]
    cases = [
        ("missing", None, "does not exist"),
        ("not-json", "{users", "is not JSON"),
        ("no-users", json.dumps({"workspaces": []}), "the top level has no users"),
        (
            "role",
            _user(organization_role="OWNER", session=secret),
            "users[0].organization_role must be one of ADMIN, MEMBER, EXTERNAL",
        ),
        ("session", _user(email=secret, session=7), "users[0].session must be a string"),
        ("reach", _user(workspaces=secret), "users[0].workspaces must be null (every workspace)"),
        (
            "roles",
            json.dumps({"roles": {"OWNER": secret}, "users": []}),
            "roles may name only the roles ADMIN, MEMBER, EXTERNAL",
        ),
    ]
    for name, text, words in cases:
        path = tmp_path / f"{name}.json"
        if text is not None:
            path.write_text(text)
        run = conformance(
            "--base-url", reference.url, "--identities", str(path), folder=tmp_path / name,
            report=None,
        )  # fmt: skip
        _refused(run, "--identities", words)
        assert secret not in run.everything()  # a message never quotes the file's values


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
        (["--base-url", "http://127.0.0.1:1", "--key-probe", "DELETE /x"], ["--key-probe takes"]),
        (["--base-url", "http://127.0.0.1:1", "--key-probe", "GET x"], ["--key-probe takes"]),
    ],
    ids=["scheme", "rate", "examples", "report", "spec", "probe-method", "probe-path"],
)
def test_usage_errors(arguments: list[str], words: list[str], tmp_path: Path) -> None:
    run = conformance(*arguments, "--token", "ses_" + "a" * 40, folder=tmp_path, report=None)
    _refused(run, *words)


def test_no_session(tmp_path: Path) -> None:
    run = conformance("--base-url", "http://127.0.0.1:1", folder=tmp_path, report=None)
    _refused(run, "--token", "--identities", HOW_TO_GET_A_SESSION)


def test_argparse_errors_exit_2(tmp_path: Path) -> None:
    run = conformance("--token", "x", folder=tmp_path, report=None)
    assert run.exit_code == 2
    assert "--base-url" in run.stderr


def test_a_bad_credential_is_named_by_where_it_came_from_and_never_echoed(
    reference: Deployment, tmp_path: Path
) -> None:
    """--token or $TOKEN_API_TOKEN: the sentence names the one it came from (so the user knows
    where to look) and quotes no part of it: not an API key, not a session the deployment does
    not accept, not one that cannot go into a header (the HTTP library's own error would quote
    the header)."""
    unknown = "ses_" + "Zq7" * 14
    env = "$TOKEN_API_TOKEN"
    cases = [
        ("key-env", reference.tokens["ADMIN"], True, [f"{env} is an API key"]),
        ("key-option", reference.tokens["ADMIN"], False, ["--token is an API key"]),
        ("refused-env", unknown, True, [f"did not accept the ADMIN session from {env}", "401"]),
        ("newline-option", reference.admin + "\n", False, ["--token is not a session"]),
        ("newline-env", reference.admin + "\n", True, [f"{env} is not a session"]),
        ("space-env", unknown[:20] + " " + unknown[20:], True, [f"{env} is not a session"]),
        ("non-ascii", unknown + "\u00e9", False, ["--token is not a session"]),
    ]
    for name, secret, from_env, words in cases:
        arguments = ["--base-url", reference.url, *([] if from_env else ["--token", secret])]
        run = conformance(
            *arguments,
            folder=tmp_path / name,
            env={"TOKEN_API_TOKEN": secret} if from_env else None,
            report=None,
        )
        sentence = _refused(run, *words)
        assert (env in sentence) is from_env and ("--token" in sentence) is not from_env
        assert_not_echoed(run.everything(), secret)
        assert_no_secret(run, reference)


def test_identities_with_a_session_that_cannot_be_one(
    reference: Deployment, tmp_path: Path
) -> None:
    secret = reference.sessions["MEMBER"]
    path = _identities(reference, tmp_path / "input", member={"session": secret + "\r\n"})
    run = conformance("--base-url", reference.url, "--identities", str(path), folder=tmp_path)
    _refused(run, "The session of member@example.com in ids.json is not a session")
    assert_not_echoed(run.everything(), secret)
