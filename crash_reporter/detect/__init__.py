"""Stage 2: records turned into Crash incidents (pure, synchronous, never raises).

Every log detector follows one protocol: it is fed the lines of ONE process stream (one
identifier + pid, or one plain-text stream) in order and returns the crashes it completed.
It holds at most a fixed number of lines for a crash in progress, closes a record that never
ends on `expire(now)` or on the next record, and never raises on bad input.

For the prefiltered reader (sources/prefilter.py) a detector also tells whether it is `busy`
(it holds a record that can still become a crash without any further trigger line: the
reader must keep feeding lines until it is not) and can `settle` where lines were skipped:
close what cannot become a crash without a trigger line and forget its breadcrumbs.
"""

from __future__ import annotations

import logging
import signal as _signal
from typing import Any, Protocol

from crash_reporter.const import (
    CLD_DUMPED,
    CLD_EXITED,
    CLD_KILLED,
    COMPONENT_HOST,
    COMPONENT_OS_AGENT,
    COMPONENT_SUPERVISOR,
    CRASH_RESULTS,
    HOST_CRASH_RESULTS,
    UNIT_COMPONENTS,
)
from crash_reporter.models import Crash, LogLine

_LOGGER = logging.getLogger(__name__)

MAX_NUMBER_DIGITS = 18  # a longer run of digits is no line number, PID or count (u64 in Sentry)


def number(digits: str) -> int | None:
    """The value of a run of decimal digits, or None when it is too long to be one.

    `int()` refuses more than sys.int_info.default_max_str_digits (4300) digits, and Sentry
    refuses numbers over 64 bits: a crash line carrying such a number keeps it only as text
    (in the line itself) and is still reported, with the numeric field left empty.
    """
    if len(digits) > MAX_NUMBER_DIGITS:
        return None
    try:
        return int(digits)
    except ValueError:
        return None

# Log identifiers (SYSLOG_IDENTIFIER) of the components whose crashes are always in scope.
IDENTIFIER_COMPONENTS: dict[str, str] = {
    "hassio_supervisor": COMPONENT_SUPERVISOR,
    "haos-supervisor": COMPONENT_SUPERVISOR,
    "hassos-supervisor": COMPONENT_SUPERVISOR,
    "supervisor": COMPONENT_SUPERVISOR,
    "os-agent": COMPONENT_OS_AGENT,
    "haos-agent": COMPONENT_OS_AGENT,
}

BREADCRUMB_LINES = 20  # lines of the same process kept before a crash, as breadcrumbs
MAX_CRASH_LINES = 5000  # a crash in progress never holds more lines than this
RECORD_TIMEOUT_S = 5.0  # a crash record with no new line for this long is closed
# A record its dying writer prints in one burst (a Go panic's goroutine dump, an uncaught
# Python exception's traceback) is closed after this much quiet: nothing follows it.
RECORD_BURST_S = 1.0

# systemd's ExecMainCode as the service manager prints it in its log lines
CLD_CODES = {"exited": CLD_EXITED, "killed": CLD_KILLED, "dumped": CLD_DUMPED}


class Detector(Protocol):
    """A streaming detector for one crash format over one process's lines."""

    def feed(self, line: LogLine) -> list[Crash]:
        """Take the next line; return the crashes it completed (usually none)."""

    def expire(self, now: float) -> list[Crash]:
        """Close a crash in progress whose last line is older than RECORD_TIMEOUT_S."""

    def flush(self) -> list[Crash]:
        """End of input: close whatever is in progress."""

    def holding(self) -> bool:
        """Is anything in progress (a record that `expire` may close)?"""

    def busy(self) -> bool:
        """Can what is in progress still become a crash without a further trigger line?"""

    def settle(self) -> list[Crash]:
        """Lines are skipped here: close what is not busy, forget the breadcrumbs."""


class RecordDetector:
    """Base of the detectors that build one record at a time from physical lines.

    `feed` splits a multi-line journal entry into its lines and never raises (a bug drops
    the record in progress, logged); `expire` and `flush` close the record. Subclasses
    keep the record in progress in `_rec` (with `lines` and `last_ts`) and implement `_line`
    and `_close`.
    """

    label = "detector"  # for the log line when a bug drops a record
    _rec: Any = None

    def feed(self, line: LogLine) -> list[Crash]:
        """Take the next line; return the crashes it completed."""
        try:
            text = line.text
            if "\n" not in text:
                return self._line(line, text)
            out: list[Crash] = []
            for part in text.split("\n"):
                out += self._line(line, part)
            return out
        except Exception:  # never raise: a bug here must not stop the pipeline
            _LOGGER.exception("%s failed on a line; record dropped", self.label)
            self._rec = None
            return []

    def expire(self, now: float) -> list[Crash]:
        """Close a record whose last line is older than RECORD_TIMEOUT_S (or RECORD_BURST_S)."""
        rec = self._rec
        if rec is None or rec.last_ts is None or now - rec.last_ts <= self._quiet_s():
            return []
        return self._close()

    def _quiet_s(self) -> float:
        """How long the record in progress may go without a line before it is closed."""
        return RECORD_TIMEOUT_S

    def flush(self) -> list[Crash]:
        """End of input: close whatever is in progress."""
        return self._close()

    def holding(self) -> bool:
        """Is a record in progress?"""
        return self._rec is not None

    def busy(self) -> bool:
        """Can the record in progress still become a crash without a further trigger line?

        By default every record can; detectors whose records only become crashes at a
        later trigger line (a log message waiting for its traceback) say so.
        """
        return self._rec is not None

    def settle(self) -> list[Crash]:
        """Lines are skipped here (sources/prefilter.py): close a record that is not busy.

        The breadcrumbs are forgotten too: lines of this process may have been skipped, so
        the ones kept would not be the last before the next crash.
        """
        out = self._close() if self._rec is not None and not self.busy() else []
        self._forget()
        return out

    def _forget(self) -> None:
        """Drop what was kept from lines before a skipped stretch (breadcrumbs)."""

    def _count_line(self, line: LogLine) -> bool:
        """Count one more line of the record in progress; True once it exceeds MAX_CRASH_LINES."""
        rec = self._rec
        rec.lines += 1
        if line.timestamp is not None:
            rec.last_ts = line.timestamp
        return bool(rec.lines > MAX_CRASH_LINES)

    def _line(self, line: LogLine, text: str) -> list[Crash]:
        """Process one physical line of `line`."""
        raise NotImplementedError

    def _close(self) -> list[Crash]:
        """Close the record in progress (if any) and return its crash."""
        raise NotImplementedError


def component_for(identifier: str | None, default: str) -> str:
    """Map a log identifier to the component it belongs to (`default` when unknown)."""
    if identifier is None:
        return default
    return IDENTIFIER_COMPONENTS.get(identifier, COMPONENT_HOST)


def signal_name(number: int) -> str:
    """Render a signal number as its name, e.g. 11 -> "SIGSEGV" ("SIG42" if unknown)."""
    try:
        return _signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


def occurrence_of(component: str, first: LogLine) -> str:
    """What identifies one crash seen in a log: its component and where its first line sits."""
    where = first.position or (f"t={first.timestamp:.3f}" if first.timestamp else "")
    return f"{component}:{first.identifier or '-'}:{first.pid or '-'}:{where}"


def is_unit_crash(unit: str, result: str | None, code: int | str | None = None) -> bool:
    """Is a unit's failure a crash (contracts.md: what counts as a crash)?

    `result` is the Service Result (``signal``, ``exit-code``, ...; empty or None when not
    known), `code` the main process's exit code (``exited``/``killed``/``dumped`` or the
    CLD_* number). For the Supervisor's and OS-Agent's units any unexpected failure is a
    crash (a non-zero exit, timeout, start-limit-hit, ...); for every other unit only a
    death by signal, core dump, watchdog or OOM kill is (a oneshot that exits non-zero is
    not). Without a result the code decides: killed/dumped is a crash for every unit, a
    plain exit only for the Supervisor's and OS-Agent's units.
    """
    ours = unit in UNIT_COMPONENTS
    if result:
        if result == "success":
            return False
        return result in (CRASH_RESULTS if ours else HOST_CRASH_RESULTS)
    number = CLD_CODES.get(code, 0) if isinstance(code, str) else (code or 0)
    if number in (CLD_KILLED, CLD_DUMPED):
        return True
    return ours and number == CLD_EXITED
