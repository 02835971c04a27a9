"""Joins views of one crash into one incident, and folds crash loops.

`LogCrashes` routes each log line to the detectors of its process (one set per identifier
and PID, so interleaved processes are reassembled). `Joiner` merges the crashes that are
views of one incident and releases an incident as soon as it holds every view it can still
expect (at most a short window later): a Go panic or Python traceback with
the unit failure and/or core dump it caused, and the D-Bus and log views of the same unit
failure. The richest view is the primary (traceback/panic > core dump > unit failure), so the
merged incident's identity does not depend on which view arrived first. `join_views` does the
same for a whole log at once (`scan`: nothing is released early, each view joins the nearest
incident it fits), and `fold_loops` folds repeated incidents of one signature (used by
`scan`; the daemon folds with flood control).
"""

from __future__ import annotations

import logging
import math
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


StreamKey = tuple[str | None, int | None]


def _exited(crashes: list[Crash]) -> bool:
    """Did the process that logged these crashes exit?

    A Go program that prints a panic or fatal error dump has exited (the runtime prints the
    dump, then exits with status 2): nothing more comes from that PID, so its detectors and
    their breadcrumbs are forgotten at once instead of when MAX_STREAMS newer processes
    pushed them out (a Go crash loop is a new PID every restart). A Python traceback is
    logged by a process that usually runs on.
    """
    return any(c.kind is CrashKind.GO for c in crashes)


def _order(key: StreamKey) -> tuple[str, int]:
    """A fixed order of streams (so crashes closed together come out in the same order)."""
    return key[0] or "", key[1] if key[1] is not None else -1


class LogCrashes:
    """Demultiplex log lines per process and run that process's detectors.

    Streams that got a line since the last `expire` / `busy`, or held something then, are
    remembered, so those calls look at a handful of detectors, not at every stream.
    """

    def __init__(self, default_component: str | None = None) -> None:
        """`default_component` applies to lines without an identifier (plain text)."""
        self._default = default_component
        self._streams: OrderedDict[StreamKey, list[Detector]] = OrderedDict()
        self._live: set[StreamKey] = set()  # fed since the last expire, or holding then
        self._unsure: set[StreamKey] = set()  # fed since the last busy(), or busy then
        self._last: StreamKey | None = None  # the stream of the last line (in both sets)
        self._last_detectors: list[Detector] = []

    def feed(self, line: LogLine) -> list[Crash]:
        """Take one line; return the crashes it completed."""
        key = (line.identifier, line.pid)
        if key == self._last:  # the same process as the line before (a common case)
            detectors = self._last_detectors
            crashes: list[Crash] = []
        else:
            detectors_or_none = self._streams.get(key)
            crashes = []
            if detectors_or_none is None:
                if len(self._streams) >= MAX_STREAMS:
                    _key, oldest = self._streams.popitem(last=False)
                    for det in oldest:
                        crashes += det.flush()
                detectors = detectors_for(line.identifier, self._default)
                self._streams[key] = detectors
            else:
                detectors = detectors_or_none
                self._streams.move_to_end(key)
            self._live.add(key)
            self._unsure.add(key)
            self._last, self._last_detectors = key, detectors
        gone = False
        for det in detectors:
            got = det.feed(line)
            if got:
                crashes += got
                gone = gone or _exited(got)
        if gone:
            crashes += self._retire(key)
        return crashes

    def feed_many(self, lines: Iterable[LogLine]) -> list[Crash]:
        """Take lines in order (a LogBatch); return the crashes they completed.

        `feed`, with its same-process shortcut inlined (most lines of a batch come from the
        process of the line before): this is the hot path of a replay.
        """
        feed = self.feed
        crashes: list[Crash] = []
        last, detectors = self._last, self._last_detectors
        for line in lines:
            if (line.identifier, line.pid) == last:
                gone = False
                for det in detectors:
                    got = det.feed(line)
                    if got:
                        crashes += got
                        gone = gone or _exited(got)
                if gone:
                    crashes += self._retire(last)
                    last, detectors = self._last, self._last_detectors
                continue
            got = feed(line)
            if got:
                crashes += got
            last, detectors = self._last, self._last_detectors
        return crashes

    def holding(self) -> bool:
        """Does some process hold a record in progress (that `expire` may close)?"""
        streams = self._streams
        for key in self._live:
            dets = streams.get(key)
            if dets is not None and any(det.holding() for det in dets):
                return True
        return False

    def expire(self, now: float) -> list[Crash]:
        """Close records that stopped getting lines (time-out)."""
        crashes: list[Crash] = []
        live = self._live
        self._live = still = set()
        if self._last is not None:
            still.add(self._last)  # (the same-process shortcut in `feed` skips the adding)
        for key in sorted(live, key=_order) if len(live) > 1 else live:
            dets = self._streams.get(key)
            if dets is None:
                continue
            done: list[Crash] = []
            for det in dets:
                if det.holding():
                    done += det.expire(now)
                    if det.holding():
                        still.add(key)
            if done:
                crashes += done
                if _exited(done) and key[1] is not None:
                    crashes += self._retire(key)
                    still.discard(key)
        return crashes

    def busy(self) -> bool:
        """Does some process hold a record that can still become a crash by itself?"""
        unsure = self._unsure
        if not unsure:
            return False
        busy: set[StreamKey] = set()
        streams = self._streams
        for key in unsure:
            dets = streams.get(key)
            if dets is not None:
                for det in dets:
                    if det.busy():
                        busy.add(key)
                        break
        self._unsure = busy | {self._last} if self._last is not None else busy
        return bool(busy)

    def settle(self) -> list[Crash]:
        """Lines are skipped here: every detector closes what is not busy (sources/prefilter.py)."""
        crashes: list[Crash] = []
        for key in sorted(self._streams, key=_order):
            for det in self._streams[key]:
                crashes += det.settle()
        return crashes

    def _retire(self, key: StreamKey) -> list[Crash]:
        """Forget a process that exited: close what its other detectors still held.

        Only a stream of one PID is one process: lines without a PID (plain text) mix
        processes, and stay.
        """
        if key[1] is None:
            return []
        dets = self._streams.pop(key, None) or []
        self._live.discard(key)
        self._unsure.discard(key)
        if self._last == key:
            self._last, self._last_detectors = None, []
        return [c for det in dets for c in det.flush()]

    def flush(self) -> list[Crash]:
        """End of input: close everything."""
        crashes = [c for key in sorted(self._streams, key=_order)
                   for d in self._streams[key] for c in d.flush()]
        self._streams.clear()
        self._live.clear()
        self._unsure.clear()
        self._last = None
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
    return _fits(a, b)


def _fits(a: Crash, b: Crash) -> bool:
    """Could `a` and `b` be two views of one incident (whatever their times)?"""
    kinds_a, kinds_b = _kinds(a), _kinds(b)
    if kinds_a & kinds_b:
        return False
    if _PRIMARY & kinds_a and _PRIMARY & kinds_b:
        return False
    if a.unit and b.unit and a.unit != b.unit:
        return False
    return a.component == b.component


GO_PANIC_EXIT_STATUS = 2  # a Go program that panicked (or hit a fatal error) exits with 2
RESULT_CORE_DUMP = "core-dump"


def expected_views(crash: Crash) -> frozenset[CrashKind]:
    """The views an incident can still expect, judged from the views it holds.

    - a Go panic ends its process: the unit failure follows;
    - a bare Python traceback (not logged: an uncaught exception) usually ends its process;
    - a core dump is written for a process that died: its unit failure follows;
    - a unit whose main process exited with status 2 (Go's exit after a panic) waits for the
      panic's lines; one that dumped core (Result=core-dump) waits for the core dump.

    Anything else (a unit killed by a signal without a core dump, a unit exiting otherwise,
    a logged traceback) expects nothing and is released at once.
    """
    kinds = _kinds(crash)
    want: set[CrashKind] = set()
    if CrashKind.GO in kinds or CrashKind.COREDUMP in kinds:
        want.add(CrashKind.UNIT)
    if crash.kind is CrashKind.PYTHON and crash.logger is None:
        want.add(CrashKind.UNIT)
    if CrashKind.UNIT in kinds:
        if crash.exit_status == GO_PANIC_EXIT_STATUS:
            want.add(CrashKind.GO)
        if crash.result == RESULT_CORE_DUMP:
            want.add(CrashKind.COREDUMP)
    return frozenset(want - kinds)


class Joiner:
    """Merge views of one incident; release it once it is complete, or after the window.

    An incident is released as soon as it holds every view it can still expect
    (`expected_views`); one still waiting is released when it has been held `window_s`.
    A report is never split to be faster: an incident waits for every view that can still
    come, only the ones that cannot come are not waited for.
    """

    def __init__(self, *, window_s: float = JOIN_WINDOW_S,
                 clock: Callable[[], float] | None = None) -> None:
        """`clock` gives the arrival time used for the window (default: log time)."""
        self._window = window_s
        self._clock = clock
        self._held: list[tuple[float, Crash]] = []  # (arrival, crash)

    def add(self, crash: Crash) -> list[Crash]:
        """Take a crash; return the incidents now complete or whose window has closed."""
        arrival = self._clock() if self._clock else crash.occurred_at
        ready: list[Crash] = []
        for i, (held_at, held) in enumerate(self._held):
            if _joinable(held, crash):
                first, second = sorted((held, crash), key=lambda c: _RANK[c.kind])
                incident = merge(first, second)
                if expected_views(incident):
                    self._held[i] = (held_at, incident)
                else:
                    del self._held[i]
                    ready.append(incident)
                break
        else:
            if expected_views(crash):
                self._held.append((arrival, crash))
            else:
                ready.append(crash)
        return self.due(arrival) + ready

    def due(self, now: float) -> list[Crash]:
        """Release incidents held longer than the window."""
        window = self._window
        ready = [c for t, c in self._held if t + window <= now]
        self._held = [(t, c) for t, c in self._held if t + window > now]
        return ready

    def next_due(self) -> float | None:
        """When the next held incident is due (None when nothing is held)."""
        return min(t for t, _c in self._held) + self._window if self._held else None

    def flush(self) -> list[Crash]:
        """Release everything."""
        ready = [c for _t, c in self._held]
        self._held = []
        return ready


def join_views(found: Iterable[tuple[float, Crash]],
               window_s: float = JOIN_WINDOW_S) -> list[tuple[float, Crash]]:
    """Join the views of one incident among all crashes of a log, as (time, crash) pairs.

    For a whole log at once (`scan`): nothing is released early, so a view found late (a
    record closed only at its time-out) still joins its incident. Each crash, in the order
    found, joins the NEAREST earlier incident it fits (`_fits`) at most `window_s` away (the
    earliest of equally near ones); the merged incident keeps the primary view's time. The
    time is the log time of the crash, or a stand-in where the log has none (scan.py).
    """
    incidents: list[tuple[float, Crash]] = []
    buckets: dict[int, list[int]] = {}

    def bucket(when: float) -> int:
        return math.floor(when / window_s) if math.isfinite(when) else 0

    for when, crash in found:
        home = bucket(when)
        best: tuple[float, int] | None = None
        for b in (home - 1, home, home + 1):
            for i in buckets.get(b, ()):
                held_when, held = incidents[i]
                distance = abs(held_when - when)
                if distance <= window_s and (best is None or (distance, i) < best) \
                        and _fits(held, crash):
                    best = (distance, i)
        if best is None:
            buckets.setdefault(home, []).append(len(incidents))
            incidents.append((when, crash))
            continue
        i = best[1]
        held_when, held = incidents[i]
        if _RANK[crash.kind] < _RANK[held.kind]:
            incidents[i] = (when, merge(crash, held))
            if bucket(when) != bucket(held_when):
                buckets[bucket(held_when)].remove(i)
                buckets.setdefault(bucket(when), []).append(i)
        else:
            incidents[i] = (held_when, merge(held, crash))
    return incidents


def fold_loops(crashes: Iterable[Crash], window_s: float = LOOP_WINDOW_S,
               when: Callable[[Crash], float] | None = None) -> list[Crash]:
    """Fold repeats of one signature (each within `window_s` of the previous) into one.

    `when` gives a crash's time for ordering and the window (default: `occurred_at`; scan
    passes a stand-in for logs without times); the loop's first/last times stay log times.
    """
    at = when or (lambda c: c.occurred_at)
    folded: list[Crash] = []
    last_at: list[float] = []
    open_loops: dict[tuple[str, tuple[str, ...]], int] = {}
    for crash in sorted(crashes, key=at):
        key = (crash.component, crash.signature)
        index = open_loops.get(key)
        now = at(crash)
        if index is not None:
            head = folded[index]
            if now - last_at[index] <= window_s:
                folded[index] = replace(head, loop_count=head.loop_count + 1,
                                        loop_first_at=head.loop_first_at or head.occurred_at,
                                        loop_last_at=crash.occurred_at)
                last_at[index] = now
                continue
        open_loops[key] = len(folded)
        folded.append(crash)
        last_at.append(now)
    return folded
