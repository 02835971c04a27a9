"""`crash-reporter scan`: the daemon's detect -> report -> scrub pipeline over a saved log.

A developer pastes a user's log and sees the crashes; a user sees exactly what would be
shared. Nothing is sent unless `--dsn` is given. Same input, same output (event ids too).

Verbose and plain text are read with the prefiltered reader (sources/prefilter.py: only the
stretches around crash trigger lines are parsed; it finds exactly what the full reader
finds), journal export/JSON in full. `find_crashes` runs the detectors on LOG time: a record
whose process fell silent is closed RECORD_TIMEOUT_S after its last line, when the log's
time passes that (not at the end of the input), so each view reaches `join_views` while its
incident is still near. Plain text has no times: there the position stands in for the time,
UNTIMED_LINE_S per line, so views are joined and loops folded by line distance (a plain log
is not one instant).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from crash_reporter.const import COMPONENT_OS_AGENT, COMPONENT_SUPERVISOR
from crash_reporter.detect.incidents import LogCrashes, fold_loops, join_views
from crash_reporter.models import Crash, HostFacts, LogLine
from crash_reporter.report import build_event
from crash_reporter.scrub import scrub_event
from crash_reporter.sources.log_format import Format
from crash_reporter.sources.prefilter import Gap, PrefilteredLines

_LOGGER = logging.getLogger(__name__)

DEFAULT_SCOPE = frozenset({COMPONENT_SUPERVISOR, COMPONENT_OS_AGENT})
EXIT_UNRECOGNISED = 3  # no crash, and no line in a form scan knows
KNOWN_FORMS = ("the Supervisor API's plain and verbose forms; journalctl -o short, "
               "short-precise, short-iso, short-iso-precise, short-full, short-unix, cat, "
               "json, export; also inside a GitHub ``` fence or > quote")
UNTIMED_LINE_S = 0.05  # the log time one line stands for where the log has no times


class _HostnameLearner:
    """Pass lines through, remembering every hostname of a verbose prefix."""

    def __init__(self, lines: Iterable[LogLine | Gap]) -> None:
        """Wrap `lines` (a Gap marks skipped lines and is passed on)."""
        self._lines = lines
        self.hostnames: dict[str, None] = {}

    def watch(self, detectors: LogCrashes) -> None:
        """Pass the detectors on to a prefiltered reader (see `find_crashes`)."""
        watch = getattr(self._lines, "watch", None)
        if watch is not None:
            watch(detectors)

    def __iter__(self) -> Iterator[LogLine | Gap]:
        """Yield the lines unchanged."""
        hostnames = self.hostnames
        for line in self._lines:
            host = line.hostname if isinstance(line, LogLine) else None
            if host and host not in hostnames:
                hostnames[host] = None
            yield line


def _untimed(line: LogLine) -> float:
    """The stand-in time of a line without one: its line number * UNTIMED_LINE_S.

    (Journal input always has times; a journal line without one stands at 0.)
    """
    try:
        return int(line.position) * UNTIMED_LINE_S
    except ValueError:
        return 0.0


def find_crashes(lines: Iterable[LogLine | Gap], component: str | None = None) -> list[Crash]:
    """Every crash incident in `lines`: detected, views joined, loops folded, in log order.

    The detectors are expired on log time: whenever a line's whole second differs from the
    line before's. A `Gap` (sources/prefilter.py) stands for skipped lines: the detectors
    settle there, and its line (the last one skipped) moves the clock as that line would.
    A reader with a `watch` method (the prefiltered one) is given the detectors, to ask them
    whether they are busy before it skips lines.
    """
    detect = LogCrashes(default_component=component)
    watch = getattr(lines, "watch", None)
    if watch is not None:
        watch(detect)
    found: list[tuple[float, Crash]] = []

    def keep(crashes: list[Crash], at: LogLine) -> None:
        for crash in crashes:
            # no log time: where it was found stands in
            found.append((crash.occurred_at or _untimed(at), crash))

    feed, expire = detect.feed, detect.expire
    second: int | None = None
    line = LogLine("")
    for item in lines:
        if isinstance(item, Gap):
            line = item.last
            crashes = detect.settle()
            if crashes:
                keep(crashes, line)
        else:
            line = item
        ts = line.timestamp
        if ts is not None:
            try:
                now = int(ts)
            except (ValueError, OverflowError):  # NaN, infinite
                now = 0
            if now != second:
                second = now
                crashes = expire(ts)
                if crashes:
                    keep(crashes, line)
        if line is item:
            crashes = feed(line)
            if crashes:
                keep(crashes, line)
    crashes = detect.flush()
    if crashes:
        keep(crashes, line)
    incidents = join_views(found)
    times = {id(crash): when for when, crash in incidents}
    return fold_loops([crash for _when, crash in incidents], when=lambda c: times[id(c)])


def scan_events(
    stream: BinaryIO, *, component: str | None = None, scope: str = "all",
    fmt: Format | None = None,
) -> list[dict[str, Any]]:
    """Read a log and return the scrubbed event of every crash incident in it."""
    return scan_reader(PrefilteredLines(stream, fmt), component=component, scope=scope)


def scan_reader(reader: PrefilteredLines, *, component: str | None = None,
                scope: str = "all") -> list[dict[str, Any]]:
    """`scan_events` over a reader (which then tells whether it met a known form)."""
    learner = _HostnameLearner(reader)
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
    """The `scan` command: exit 0 when the input was read, 2 when it cannot be.

    EXIT_UNRECOGNISED when no crash was found and no line looked like a form scan knows (it
    says so on stderr and names the forms).
    """
    fmt = None if args.format in (None, "auto") else args.format
    try:
        if args.path == "-":
            reader = PrefilteredLines(sys.stdin.buffer, fmt)
            events = scan_reader(reader, component=args.component, scope=args.scope)
        else:
            path = Path(args.path)
            with path.open("rb") as stream:
                reader = PrefilteredLines(stream, fmt)
                events = scan_reader(reader, component=args.component, scope=args.scope)
    except OSError as err:
        print(f"crash-reporter scan: cannot read {args.path}: {err.strerror or err}",
              file=sys.stderr)
        return 2
    if not events and not reader.recognised:
        print(f"crash-reporter scan: no line of {args.path} looked like a log form I know "
              f"({KNOWN_FORMS}); nothing was found. If it is one of them, force it with "
              "--format", file=sys.stderr)
        return EXIT_UNRECOGNISED
    try:
        for event in events:
            if args.json:
                print(json.dumps(event, sort_keys=True, ensure_ascii=False))
            else:
                print(summarize(event))
        sys.stdout.flush()
    except BrokenPipeError:  # `scan ... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (no error at exit)
    if not args.json:
        print(f"{len(events)} crash report(s)", file=sys.stderr)
    if args.dsn:
        from crash_reporter.send import send_now  # noqa: PLC0415 - only with --dsn

        sent = send_now(args.dsn, events)
        print(f"sent {sent} of {len(events)} report(s)", file=sys.stderr)
        return 0 if sent == len(events) else 1
    return 0
