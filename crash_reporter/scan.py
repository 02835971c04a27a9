"""`crash-reporter scan`: the daemon's detect -> report -> scrub pipeline over a saved log.

A developer pastes a user's log and sees the crashes; a user sees exactly what would be
shared. Nothing is sent unless `--dsn` is given. Same input, same output (event ids too).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from crash_reporter.const import COMPONENT_OS_AGENT, COMPONENT_SUPERVISOR
from crash_reporter.detect.incidents import Joiner, LogCrashes, fold_loops
from crash_reporter.models import Crash, HostFacts, LogLine
from crash_reporter.report import build_event
from crash_reporter.scrub import scrub_event
from crash_reporter.sources.log_format import read_log_lines

_LOGGER = logging.getLogger(__name__)

DEFAULT_SCOPE = frozenset({COMPONENT_SUPERVISOR, COMPONENT_OS_AGENT})


class _HostnameLearner:
    """Pass lines through, remembering every hostname of a verbose prefix."""

    def __init__(self, lines: Iterable[LogLine | None]) -> None:
        """Wrap `lines` (None marks skipped lines and is passed on)."""
        self._lines = lines
        self.hostnames: dict[str, None] = {}

    def __iter__(self) -> Iterator[LogLine | None]:
        """Yield the lines unchanged."""
        for line in self._lines:
            if line is not None and line.hostname and line.hostname not in self.hostnames:
                self.hostnames[line.hostname] = None
            yield line


def find_crashes(lines: Iterable[LogLine | None], component: str | None = None) -> list[Crash]:
    """Every crash incident in `lines`: detected, views joined, loops folded, in log order.

    A None in `lines` marks lines that were skipped (see sources/prefilter.py): whatever is
    in progress is closed there.
    """
    detect = LogCrashes(default_component=component)
    joiner = Joiner()
    incidents: list[Crash] = []
    for line in lines:
        crashes = detect.flush() if line is None else detect.feed(line)
        for crash in crashes:
            incidents += joiner.add(crash)
    for crash in detect.flush():
        incidents += joiner.add(crash)
    incidents += joiner.flush()
    return fold_loops(incidents)


def scan_events(
    stream: BinaryIO, *, component: str | None = None, scope: str = "all"
) -> list[dict[str, Any]]:
    """Read a log and return the scrubbed event of every crash incident in it."""
    learner = _HostnameLearner(read_log_lines(stream))
    crashes = find_crashes(learner, component)
    if scope == "default":
        crashes = [c for c in crashes if c.component in DEFAULT_SCOPE]
    identifiers = list(learner.hostnames)
    events: list[dict[str, Any]] = []
    for crash in crashes:
        scrubbed = scrub_event(build_event(crash, HostFacts()), identifiers)
        if scrubbed is None:
            _LOGGER.error("A report was dropped: the scrubber failed on it")
            continue
        events.append(scrubbed)
    return events


def summarize(event: dict[str, Any]) -> str:
    """A short human summary of one event."""
    values = event.get("exception", {}).get("values", [])
    if values:
        last = values[-1]
        first_line = next(iter(str(last.get("value", "")).splitlines()), "")
        title = f"{last.get('type')}: {first_line}"
    else:
        title = event.get("logentry", {}).get("formatted", "?")
    frames = sum(len(v.get("stacktrace", {}).get("frames", [])) for v in values)
    threads = len(event.get("threads", {}).get("values", []))
    loop = event.get("contexts", {}).get("crash_loop")
    lines = [
        f"{title}",
        f"  component: {event.get('tags', {}).get('component')}  kind: "
        f"{event.get('tags', {}).get('crash_kind')}  frames: {frames}"
        + (f"  threads: {threads}" if threads else "")
        + (f"  crashes in loop: {loop['count']}" if loop else ""),
        f"  fingerprint: {' / '.join(map(str, event.get('fingerprint', [])))}",
        f"  event id: {event.get('event_id')}",
    ]
    return "\n".join(lines)


def run_scan(args: argparse.Namespace) -> int:
    """The `scan` command: exit 0 when the input was read, 2 when it cannot be."""
    try:
        if args.path == "-":
            events = scan_events(sys.stdin.buffer, component=args.component, scope=args.scope)
        else:
            path = Path(args.path)
            with path.open("rb") as stream:
                events = scan_events(stream, component=args.component, scope=args.scope)
    except OSError as err:
        print(f"crash-reporter scan: cannot read {args.path}: {err.strerror or err}",
              file=sys.stderr)
        return 2
    for event in events:
        if args.json:
            print(json.dumps(event, sort_keys=True, ensure_ascii=False))
        else:
            print(summarize(event))
    if not args.json:
        print(f"{len(events)} crash report(s)", file=sys.stderr)
    if args.dsn:
        from crash_reporter.send import send_now  # noqa: PLC0415 - only with --dsn

        sent = send_now(args.dsn, events)
        print(f"sent {sent} of {len(events)} report(s)", file=sys.stderr)
        return 0 if sent == len(events) else 1
    return 0
