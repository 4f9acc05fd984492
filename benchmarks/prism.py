"""``token-api proxy`` beside Prism's proxy (``prism proxy``, @stoplight/prism-cli from the npm
registry) on the same traffic.

    python -m benchmarks.prism            # installs Prism into the cache on first use

The reference server on a fresh SQLite demo database and the conformance tests' broken proxy in
front of it (tests/conformance/broken: each path breaks one rule); in front of the reference and
of each broken path, both proxies in turn, each given the same replay of
benchmarks/proxy_traffic.py. What Prism found is read from its ``sl-violations`` answer header;
what token-api found, from the HAR it records (each entry's ``_violations``). Prism's findings are
mapped to the contract's rule ids (``prism_rule``), and every one must be among token-api's on
the same exchange; the rest of token-api's findings are what Prism cannot know.

Writes benchmarks/results/prism.json and prism.md; exits 1 when Prism found something on an
exchange where token-api did not report the same rule.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import proxy_traffic
from benchmarks.harness import HERE, ROOT, Server, database, demo_users, free_port

RESULTS = HERE / "results"
PRISM_PACKAGE = "@stoplight/prism-cli@5"
SPEC = ROOT / "openapi.yaml"
UPSTREAMS = (
    "reference", "wrong_prefix", "non_uuid_id", "missing_field", "status_201", "text_plain",
    "status_400", "problem_json", "server_error", "enum_accepted", "date_accepted",
    "type_accepted", "auth_ignored", "token_not_authenticating", "key_can_mint",
    "hangs_up_on_nan", "repeated_tokens", "no_www_authenticate", "cached_key",
)  # fmt: skip


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "token-api" / "prism"


def install_prism() -> tuple[Path, str]:
    """Prism's command, installed into the cache by npm on first use, and its version."""
    folder = cache_dir()
    command = folder / "node_modules" / ".bin" / "prism"
    if not command.exists():
        folder.mkdir(parents=True, exist_ok=True)
        log(f"installing {PRISM_PACKAGE} into {folder}")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder), PRISM_PACKAGE],
            check=True,
            capture_output=True,
        )
    version = subprocess.run(
        [str(command), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return command, version


def _listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.args!r} did not listen in time")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def through_prism(prism: Path, upstream: str, credentials: dict[str, str]) -> list[list[Any]]:
    port = free_port()
    process = subprocess.Popen(
        [str(prism), "proxy", str(SPEC), upstream, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _listening(port, process)
        answers = proxy_traffic.replay(f"http://127.0.0.1:{port}", credentials)
    finally:
        _stop(process)
    return [json.loads(a.headers.get("sl-violations", "[]")) for a in answers]


def through_token_api(upstream: str, credentials: dict[str, str], folder: Path) -> list[Any]:
    port = free_port()
    har = folder / f"{upstream.rsplit('/', 1)[1]}.har"
    process = subprocess.Popen(
        [sys.executable, "-m", "token_api", "proxy", "--upstream", upstream,
         "--port", str(port), "--record", str(har)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _listening(port, process)
        proxy_traffic.replay(f"http://127.0.0.1:{port}", credentials)
    finally:
        _stop(process)
    entries = json.loads(har.read_text())["log"]["entries"]
    return [[(v["side"], v["rule"]) for v in entry["_violations"]] for entry in entries]


def prism_rule(violation: dict[str, Any]) -> tuple[str, str]:
    """(side, rule id of the contract) for one of Prism's violations."""
    location = [str(part) for part in violation.get("location", [])]
    side = "request" if location[:1] == ["request"] else "response"
    message = str(violation.get("message", "")).lower()
    code = str(violation.get("code", ""))
    if side == "request":
        if code == "401" or "security" in message:
            return side, "auth.credential-required"
        if code == "415" or "content type" in message:
            return side, "body.media-type"
        return side, "body.schema"
    if "status code" in message or code == "404":
        return side, "response.status-documented"
    if "media type" in message or "content type" in message:
        return side, "response.json"
    return side, "response.schema"


def compare(prism: list[list[Any]], ours: list[Any]) -> dict[str, Any]:
    rows, missed = [], []
    only_ours: Counter[str] = Counter()
    for index, step in enumerate(proxy_traffic.STEPS):
        theirs = prism[index] if index < len(prism) else []
        mapped = {prism_rule(v) for v in theirs}
        if ("response", "response.json") in mapped:
            # Given an answer in another media type, Prism validates its text as a string
            # against the JSON schema ("Response body must be object"): a consequence of the
            # media type, which is the rule broken.
            mapped.discard(("response", "response.schema"))
        found = {tuple(x) for x in (ours[index] if index < len(ours) else [])}
        for item in mapped - found:
            missed.append({"step": step.name, "prism": item})
        for side, rule in found - mapped:
            only_ours[f"{rule} ({side})"] += 1
        rows.append({
            "step": step.name,
            "prism": sorted({f"{v.get('code')}: {v.get('message')}" for v in theirs}),
            "prism_rules": sorted(f"{r} ({s})" for s, r in mapped),
            "token_api": sorted(f"{r} ({s})" for s, r in found),
        })  # fmt: skip
    return {"rows": rows, "missed": missed, "only_token_api": dict(only_ours)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prism")
    parser.add_argument("--upstreams", default=",".join(UPSTREAMS))
    args = parser.parse_args(argv)
    prism, version = install_prism()
    log(f"Prism {version}")
    results: dict[str, Any] = {
        "when": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "prism": version,
        "upstreams": {},
    }
    import tempfile

    with (
        tempfile.TemporaryDirectory(prefix="bench-prism-") as folder,
        database("sqlite", Path(folder)) as url,
    ):
        users = {u["organization_role"]: u for u in demo_users(url)}
        credentials = {
            "admin": users["ADMIN"]["session"],
            "member": users["MEMBER"]["session"],
            "demo_key": users["ADMIN"]["token"],
        }
        server = Server("reference", url, pin=False).start()
        port = free_port()
        env = {**os.environ, "BROKEN_UPSTREAM": server.url,
               "BROKEN_ADMIN_TOKEN": credentials["admin"]}  # fmt: skip
        broken = subprocess.Popen(
            [sys.executable, "-m", "tests.conformance.broken", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _listening(port, broken)
            for name in args.upstreams.split(","):
                upstream = server.url if name == "reference" else f"http://127.0.0.1:{port}/{name}"
                theirs = through_prism(prism, upstream, credentials)
                ours = through_token_api(upstream, credentials, Path(folder))
                results["upstreams"][name] = compare(theirs, ours)
                found = results["upstreams"][name]
                log(f"{name}: Prism missed by token-api: {len(found['missed'])}; "
                    f"only token-api: {found['only_token_api']}")  # fmt: skip
        finally:
            _stop(broken)
            server.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "prism.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "prism.md").write_text(markdown(results))
    print(markdown(results))
    return 1 if any(r["missed"] for r in results["upstreams"].values()) else 0


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# `token-api proxy` beside Prism's proxy",
        "",
        f"{results['when']}, Prism {results['prism']} (`prism proxy openapi.yaml UPSTREAM`), the "
        "same replay of benchmarks/proxy_traffic.py through each, in front of the reference "
        "server and each of the conformance tests' broken servers (tests/conformance/broken). "
        "Prism's findings are its `sl-violations` header, mapped to the contract's rule ids "
        "(`prism_rule`); token-api's, the `_violations` of its HAR. The broken servers pass on "
        "one of two `Authorization` headers, so behind each of them the reference mints where it "
        "would answer 401: `auth.single-header (response)`.",
        "",
        "| upstream | Prism's findings | all also found by token-api | found only by token-api |",
        "|---|---|---|---|",
    ]
    for name, found in results["upstreams"].items():
        theirs = Counter(rule for row in found["rows"] for rule in row["prism_rules"])
        shown = ", ".join(f"{rule} ×{n}" for rule, n in sorted(theirs.items())) or "none"
        only = ", ".join(f"{r} ×{n}" for r, n in sorted(found["only_token_api"].items()))
        ok = "yes" if not found["missed"] else f"NO: {found['missed']}"
        lines.append(f"| `{name}` | {shown} | {ok} | {only or 'none'} |")
    first = next(iter(results["upstreams"].values()), None)
    if first is not None:
        lines += ["", "Per exchange, in front of the reference server:", "",
                  "| step | Prism | token-api |", "|---|---|---|"]  # fmt: skip
        for row in first["rows"]:
            prism = "; ".join(row["prism"]) or "—"
            ours = ", ".join(row["token_api"]) or "—"
            lines.append(f"| {row['step']} | {prism.replace('|', '/')} | {ours} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
