"""Running the proxy: uvicorn serving ``forward.Proxy`` until Ctrl-C, SIGTERM or ``--duration``,
then the summary, the reports and the end of the HAR file."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from token_api.conformance.redaction import Redactor
from token_api.contract.document import load_document, spec_path
from token_api.proxy import report
from token_api.proxy.findings import Findings, Summary, rules_of
from token_api.proxy.forward import Proxy, UpstreamDropped
from token_api.proxy.har import HarRecorder
from token_api.proxy.judge import Judge


@dataclass(frozen=True, slots=True)
class Options:
    upstream: str
    host: str = "127.0.0.1"
    port: int = 8080
    spec: Path | None = None
    report: Path | None = None
    junit_xml: Path | None = None
    errors: bool = False
    record: Path | None = None
    duration: float | None = None
    timeout: float = 30.0


class _QuietDrops(logging.Filter):
    """uvicorn logs an application's exception with its traceback; an upstream that dropped its
    answer half-way was already reported in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], UpstreamDropped))


def _version() -> str:
    try:
        return version("token-api")
    except PackageNotFoundError:
        return "unknown"


def build(options: Options, emit: Callable[[str], None]) -> tuple[Proxy, Findings]:
    """The proxy and its findings; raises SpecError for a spec it cannot read, OSError for a
    --record file it cannot write."""
    document = load_document(options.spec)
    redact = Redactor()
    summary = Summary(
        upstream=options.upstream,
        spec=str(options.spec or spec_path()),
        listen=f"http://{options.host}:{options.port}",
        errors=options.errors,
        record=str(options.record) if options.record else None,
    )
    findings = Findings(rules_of(document), summary, emit, redact)
    recorder = HarRecorder(options.record, _version(), redact) if options.record else None
    proxy = Proxy(
        options.upstream,
        Judge(document),
        findings,
        errors=options.errors,
        timeout=options.timeout,
        recorder=recorder,
    )
    return proxy, findings


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _line(text: str) -> None:
    print(f"token-api proxy: {text}", file=sys.stderr, flush=True)


def serve(options: Options) -> int:
    import uvicorn

    proxy, findings = build(options, _line)
    config = uvicorn.Config(
        proxy,
        host=options.host,
        port=options.port,
        # server/http.py: uvicorn's httptools protocol with bounds on head size, deadlines and
        # connections, answering malformed requests with {"detail": ...} JSON. Content codings
        # pass through to the upstream.
        http="token_api.proxy.protocol:ProxyHttpProtocol",
        ws="none",
        lifespan="on",
        access_log=False,
        log_level="warning",
        # The upstream's Date and Server go back unchanged, not uvicorn's.
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())

    async def main() -> None:
        timer = None
        if options.duration is not None:

            async def stop() -> None:
                await asyncio.sleep(options.duration or 0)
                server.should_exit = True

            timer = asyncio.create_task(stop())
        _line(
            f"{findings.summary.listen} → {options.upstream} (contract: "
            f"{findings.summary.spec}); one line per violation, a summary at exit (Ctrl-C)."
        )
        try:
            await server.serve()
        finally:
            if timer is not None:
                timer.cancel()
            await proxy.aclose()

    # uvicorn handles SIGINT and SIGTERM while it serves, then raises them again once it has
    # stopped: SIGINT as KeyboardInterrupt, SIGTERM to this handler (not the default, which
    # would end the process before the summary).
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        # uvloop, as uvicorn itself would pick: the stock loop costs the proxy a third more CPU.
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proxy.recorder is not None:
            proxy.recorder.close()
    findings.summary.ended = time.time()
    print(report.console(findings), flush=True)
    if options.junit_xml is not None:
        options.junit_xml.write_bytes(report.junit(findings))
    if options.report is not None:
        report.write(findings, options.report)
    if not server.started:
        return 2
    return findings.exit_code
