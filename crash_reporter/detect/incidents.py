"""Joins views of one crash into one incident, and folds crash loops.

`LogCrashes` routes each log line to the detectors of its process (one set per identifier
and PID, so interleaved processes are reassembled). `Joiner` holds every crash for a short
window and merges those that are views of one incident: a Go panic or Python traceback with
the unit failure and/or core dump it caused, and the D-Bus and log views of the same unit
failure. The richest view is the primary (traceback/panic > core dump > unit failure), so the
merged incident's identity does not depend on which view arrived first. `fold_loops` folds
repeated incidents of one signature (used by `scan`; the daemon folds with flood control).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace

from crash_reporter.const import LOOP_WINDOW_S
from crash_reporter.detect import Detector
from crash_reporter.detect.coredump import CoredumpDetector
from crash_reporter.detect.go_panic import GoPanicDetector
from crash_reporter.detect.python_tb import PythonTracebackDetector
from crash_reporter.detect.unit_log import UnitLogDetector
from crash_reporter.models import Crash, CrashKind, LogLine

_LOGGER = logging.getLogger(__name__)

JOIN_WINDOW_S = 10.0  # views of one incident are at most this far apart (log time)
MAX_STREAMS = 256  # processes tracked at once; the least recently seen is closed first

_RANK = {CrashKind.PYTHON: 0, CrashKind.GO: 0, CrashKind.COREDUMP: 1, CrashKind.UNIT: 2}

_PRIMARY = frozenset({CrashKind.PYTHON, CrashKind.GO})
_UNIT_IDENTIFIERS = frozenset({"systemd", "kernel"})
_COREDUMP_IDENTIFIERS = frozenset({"systemd-coredump"})


def detectors_for(identifier: str | None, default_component: str | None) -> list[Detector]:
    """The detectors that make sense for one process's lines."""
    if identifier in _UNIT_IDENTIFIERS:
        return [UnitLogDetector()]
    if identifier in _COREDUMP_IDENTIFIERS:
        return [CoredumpDetector()]
    if identifier is None:  # plain text: anything may be in it
        return [
            PythonTracebackDetector(default_component=default_component or "supervisor"),
            GoPanicDetector(default_component=default_component or "os-agent"),
            UnitLogDetector(),
            CoredumpDetector(),
        ]
    return [
        PythonTracebackDetector(default_component=default_component or "supervisor"),
        GoPanicDetector(default_component=default_component or "os-agent"),
    ]


class LogCrashes:
    """Demultiplex log lines per process and run that process's detectors."""

    def __init__(self, default_component: str | None = None) -> None:
        """`default_component` applies to lines without an identifier (plain text)."""
        self._default = default_component
        self._streams: OrderedDict[tuple[str | None, int | None], list[Detector]] = OrderedDict()

    def feed(self, line: LogLine) -> list[Crash]:
        """Take one line; return the crashes it completed."""
        key = (line.identifier, line.pid)
        detectors = self._streams.get(key)
        crashes: list[Crash] = []
        if detectors is None:
            if len(self._streams) >= MAX_STREAMS:
                _key, oldest = self._streams.popitem(last=False)
                for det in oldest:
                    crashes += det.flush()
            detectors = detectors_for(line.identifier, self._default)
            self._streams[key] = detectors
        else:
            self._streams.move_to_end(key)
        for det in detectors:
            crashes += det.feed(line)
        return crashes

    def expire(self, now: float) -> list[Crash]:
        """Close records that stopped getting lines (time-out)."""
        return [c for dets in self._streams.values() for d in dets for c in d.expire(now)]

    def flush(self) -> list[Crash]:
        """End of input: close everything."""
        crashes = [c for dets in self._streams.values() for d in dets for c in d.flush()]
        self._streams.clear()
        return crashes


def merge(primary: Crash, other: Crash) -> Crash:
    """Add `other`'s view to `primary` (the richer view keeps its identity)."""
    views = tuple(dict.fromkeys((*primary.views, other.kind, *other.views)))
    return replace(
        primary,
        views=tuple(v for v in views if v is not primary.kind),
        unit=primary.unit or other.unit,
        result=primary.result or other.result,
        signal=primary.signal or other.signal,
        exit_status=primary.exit_status if primary.exit_status is not None else other.exit_status,
        restarts=primary.restarts if primary.restarts is not None else other.restarts,
        threads=primary.threads or other.threads,
        breadcrumbs=primary.breadcrumbs or other.breadcrumbs,
    )


def _kinds(crash: Crash) -> set[CrashKind]:
    """Every kind of view an incident already holds."""
    return {crash.kind, *crash.views}


def _joinable(a: Crash, b: Crash) -> bool:
    """Are `a` and `b` two views of one incident?

    An incident holds at most one view of each kind, and at most one traceback or panic:
    two crashes of one unit in a loop, or two tracebacks, stay two incidents.
    """
    if abs(a.occurred_at - b.occurred_at) > JOIN_WINDOW_S:
        return False
    kinds_a, kinds_b = _kinds(a), _kinds(b)
    if kinds_a & kinds_b:
        return False
    if _PRIMARY & kinds_a and _PRIMARY & kinds_b:
        return False
    if a.unit and b.unit and a.unit != b.unit:
        return False
    return a.component == b.component


class Joiner:
    """Hold crashes for a join window, merge views of one incident, release them in order."""

    def __init__(self, *, window_s: float = JOIN_WINDOW_S,
                 clock: Callable[[], float] | None = None) -> None:
        """`clock` gives the arrival time used for the window (default: log time)."""
        self._window = window_s
        self._clock = clock
        self._held: list[tuple[float, Crash]] = []  # (arrival, crash)

    def add(self, crash: Crash) -> list[Crash]:
        """Take a crash; return the incidents whose window has closed."""
        arrival = self._clock() if self._clock else crash.occurred_at
        for i, (held_at, held) in enumerate(self._held):
            if _joinable(held, crash):
                first, second = sorted((held, crash), key=lambda c: _RANK[c.kind])
                self._held[i] = (held_at, merge(first, second))
                break
        else:
            self._held.append((arrival, crash))
        return self.due(arrival)

    def due(self, now: float) -> list[Crash]:
        """Release incidents held longer than the window."""
        ready = [c for t, c in self._held if now - t > self._window]
        self._held = [(t, c) for t, c in self._held if now - t <= self._window]
        return ready

    def flush(self) -> list[Crash]:
        """Release everything."""
        ready = [c for _t, c in self._held]
        self._held = []
        return ready


def fold_loops(crashes: Iterable[Crash], window_s: float = LOOP_WINDOW_S) -> list[Crash]:
    """Fold repeats of one signature (each within `window_s` of the previous) into one."""
    folded: list[Crash] = []
    open_loops: dict[tuple[str, tuple[str, ...]], int] = {}
    for crash in sorted(crashes, key=lambda c: c.occurred_at):
        key = (crash.component, crash.signature)
        index = open_loops.get(key)
        if index is not None:
            head = folded[index]
            last = head.loop_last_at or head.occurred_at
            if crash.occurred_at - last <= window_s:
                folded[index] = replace(head, loop_count=head.loop_count + 1,
                                        loop_first_at=head.loop_first_at or head.occurred_at,
                                        loop_last_at=crash.occurred_at)
                continue
        open_loops[key] = len(folded)
        folded.append(crash)
    return folded
