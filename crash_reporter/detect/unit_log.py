"""The service manager's log lines about units (and the kernel's OOM kills) -> Crash.

systemd (identifier ``systemd``) logs, for a unit's main process that died:

    <unit>: Main process exited, code=killed, status=11/SEGV        (code=exited|killed|dumped)
    <unit>: A process of this unit has been killed by the OOM killer.
    <unit>: Failed with result 'signal'.                              (exit-code, core-dump, ...)
    <unit>: Scheduled restart job, restart counter is at N.
    <unit>: Start request repeated too quickly.

A crash is reported when its ``Failed with result`` line arrives (or, without one, when the
next exit of the unit, `expire` or `flush` closes it), if `is_unit_crash` says the result is a
crash for that unit. A unit's OOM note marks its main process's exit within RECORD_TIMEOUT_S
as an OOM kill; later (`expire`) it is dropped: the OOM killer took another of its processes.
The kernel's ``Out of memory: Killed process <pid> (<comm>)`` is a crash of its own (its unit
is not named there; the incident joiner links it to the unit's failure).

Trust: in journal input an entry counts only if it comes from systemd itself (`_COMM`
systemd or `_PID` 1) or, for OOM lines, from the kernel transport; in text input only the
identifiers ``systemd`` / ``kernel`` (or plain text).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from crash_reporter.const import (
    CLD_DUMPED,
    CLD_EXITED,
    CLD_KILLED,
    COMPONENT_HOST,
    COMPONENT_OS_AGENT,
    LOOP_WINDOW_S,
    UNIT_COMPONENTS,
)
from crash_reporter.detect import (
    CLD_CODES,
    RECORD_TIMEOUT_S,
    is_unit_crash,
    occurrence_of,
    signal_name,
)
from crash_reporter.models import Crash, CrashKind, LogLine
from crash_reporter.sources.log_format import journal_field

_LOGGER = logging.getLogger(__name__)

# "<unit>: <what>": the unit is split off at the first ": ", then <what> is matched anchored
# (a search with a leading unit pattern backtracks quadratically on long kernel lines).
_UNIT = re.compile(r"[A-Za-z0-9:_.\\@-]+\.(?:service|scope|socket|mount|timer|slice)")
_EXITED = re.compile(r"Main process exited, code=(?P<code>[a-z]+), "
                     r"status=(?P<status>\d{1,10})(?:/(?P<name>[A-Za-z0-9_+-]+))?")
_FAILED = re.compile(r"Failed with result '(?P<result>[a-z-]+)'")
_RESTART = re.compile(r"Scheduled restart job, restart counter is at (?P<n>\d{1,10})")
_UNIT_OOM = "A process of this unit has been killed by the OOM killer"
_CLEAN = ("Deactivated successfully", "Succeeded.")
_KERNEL_OOM = re.compile(r"[Oo]ut of memory: Killed process (?P<pid>\d+) \((?P<comm>[^)]{1,64})\)")
_WHAT_PREFIXES = ("Main process exited", "Failed with result", "Scheduled restart job",
                  "Start request repeated", "A process of this unit", "Deactivated", "Succeeded")
_COMM_COMPONENTS = {"os-agent": COMPONENT_OS_AGENT}


def result_for_code(code: int) -> str:
    """The Service Result systemd gives a main-process death of this code."""
    return {CLD_KILLED: "signal", CLD_DUMPED: "core-dump"}.get(code, "exit-code")


@dataclass(slots=True)
class _Exit:
    """A unit's main-process exit waiting for its result line."""

    first: LogLine
    unit: str
    code: int
    status: int
    oom: bool = False


class UnitLogDetector:
    """Streaming detector of unit failures in the service manager's (or kernel's) lines."""

    def __init__(self) -> None:
        """Start with no unit known."""
        self._pending: dict[str, _Exit] = {}
        self._restarts: dict[str, int] = {}
        self._oom: dict[str, float | None] = {}  # unit -> time of its OOM note
        self._last_crash: dict[str, float] = {}

    def feed(self, line: LogLine) -> list[Crash]:
        """Take the next line; return the crashes it completed."""
        text = line.text
        sep = text.find(": ")
        if sep < 0:
            return []
        if not text.startswith(_WHAT_PREFIXES, sep + 2) and "Killed process " not in text:
            return []  # the fast path: most lines are not about failures
        try:
            return self._line(line, text, sep)
        except Exception:  # never raise
            _LOGGER.exception("Unit log detector failed on a line")
            return []

    def expire(self, now: float) -> list[Crash]:
        """Close exits whose result line did not come within RECORD_TIMEOUT_S.

        An OOM note of a unit whose main process did not exit within RECORD_TIMEOUT_S is
        dropped too: the OOM killer took another process of it, the unit ran on.
        """
        out: list[Crash] = []
        for unit, ex in list(self._pending.items()):
            ts = ex.first.timestamp
            if ts is not None and now - ts > RECORD_TIMEOUT_S:
                out += self._finish(unit, None)
        for unit, noted in list(self._oom.items()):
            if noted is not None and now - noted > RECORD_TIMEOUT_S:
                del self._oom[unit]
        return out

    def flush(self) -> list[Crash]:
        """End of input: close every exit still waiting."""
        out: list[Crash] = []
        for unit in list(self._pending):
            out += self._finish(unit, None)
        return out

    def holding(self) -> bool:
        """Does an exit wait for its result line, or an OOM note for the exit?"""
        return bool(self._pending or self._oom)

    def busy(self) -> bool:
        """An exit waits for its result line (or a timed OOM note for its exit)."""
        return bool(self._pending) or any(t is not None for t in self._oom.values())

    def settle(self) -> list[Crash]:
        """Nothing to settle: a waiting exit is busy, restart counters stay."""
        return []

    # -- lines --------------------------------------------------------------------------

    def _line(self, line: LogLine, text: str, sep: int) -> list[Crash]:
        """Dispatch one line (`sep`: where its first ": " is)."""
        if "Killed process " in text:
            km = _KERNEL_OOM.search(text)
            if km and _trusted_kernel(line):
                return [self._kernel_oom(line, km.group("comm"))]
            return []
        unit = text[:sep]
        if _UNIT.fullmatch(unit) is None or not _trusted_systemd(line):
            return []
        what = text[sep + 2:]
        if m := _EXITED.match(what):
            out = self._finish(unit, None) if unit in self._pending else []
            code = CLD_CODES.get(m.group("code"), 0)
            self._pending[unit] = _Exit(first=line, unit=unit, code=code,
                                        status=int(m.group("status")),
                                        oom=unit in self._oom)
            self._oom.pop(unit, None)
            return out
        if m := _FAILED.match(what):
            result = m.group("result")
            if unit not in self._pending:
                return self._result_only(line, unit, result)
            return self._finish(unit, result)
        if m := _RESTART.match(what):
            self._restarts[unit] = int(m.group("n"))
            return []
        if what.startswith(_UNIT_OOM):
            if unit in self._pending:
                self._pending[unit].oom = True
            else:
                if len(self._oom) > 256:
                    self._oom.clear()
                self._oom[unit] = line.timestamp
            return []
        if what.startswith(_CLEAN):
            self._pending.pop(unit, None)
            self._oom.pop(unit, None)
        return []

    def _result_only(self, line: LogLine, unit: str, result: str) -> list[Crash]:
        """A failure result without a main-process exit before it (timeout, start limit)."""
        if result == "start-limit-hit":
            last = self._last_crash.get(unit)
            if last is not None and line.timestamp is not None and (
                0 <= line.timestamp - last <= LOOP_WINDOW_S
            ):
                _LOGGER.debug("%s hit its start limit after crashing: the loop ends", unit)
                return []
        if not is_unit_crash(unit, result, None):
            return []
        return [self._crash(line, unit, result, 0, 0, oom=result == "oom-kill")]

    def _finish(self, unit: str, result: str | None) -> list[Crash]:
        """Close the pending exit of `unit` with its result (inferred when None)."""
        ex = self._pending.pop(unit, None)
        if ex is None:
            return []
        if result is None:
            if ex.code == CLD_EXITED and ex.status == 0:
                return []
            result = "oom-kill" if ex.oom else result_for_code(ex.code)
        if not is_unit_crash(unit, result, ex.code):
            return []
        return [self._crash(ex.first, unit, result, ex.code, ex.status, oom=ex.oom)]

    def _crash(self, first: LogLine, unit: str, result: str, code: int, status: int,
               *, oom: bool = False) -> Crash:
        """Build the Crash of one unit failure."""
        component = UNIT_COMPONENTS.get(unit, COMPONENT_HOST)
        sig = signal_name(status) if code in (CLD_KILLED, CLD_DUMPED) and status > 0 else None
        exit_status = status if code == CLD_EXITED else None
        if result == "oom-kill" or oom:
            what = "killed by the OOM killer"
        elif result == "start-limit-hit":
            what = "start limit hit (crash loop)"
        elif result in ("watchdog", "timeout"):
            what = f"{'watchdog timeout' if result == 'watchdog' else 'timed out'}" + (
                f" ({sig})" if sig else "")
        elif sig:
            what = f"{sig}{' (core dumped)' if code == CLD_DUMPED else ''}"
        elif exit_status is not None:
            what = f"exit status {exit_status}"
        else:
            what = result
        if first.timestamp is not None:
            self._last_crash[unit] = first.timestamp
            if len(self._last_crash) > 1024:
                self._last_crash.clear()
        signature_tail = sig or (f"exit {exit_status}" if exit_status is not None else "")
        return Crash(
            kind=CrashKind.UNIT,
            component=component,
            title=f"{unit} crashed: {what}",
            platform="other",
            occurred_at=first.timestamp or 0.0,
            occurrence=occurrence_of(component, first),
            signature=(unit, result, signature_tail),
            unit=unit,
            result=result,
            signal=sig,
            exit_status=exit_status,
            restarts=self._restarts.get(unit),
            message=first.text[:1024],
            extra=(("exec_main_code", str(code)), ("exec_main_status", str(status))),
        )

    def _kernel_oom(self, line: LogLine, comm: str) -> Crash:
        """The kernel's OOM killer killed a process (its unit is not named here)."""
        component = _COMM_COMPONENTS.get(comm, COMPONENT_HOST)
        return Crash(
            kind=CrashKind.UNIT,
            component=component,
            title=f"{comm} killed by the OOM killer",
            platform="other",
            occurred_at=line.timestamp or 0.0,
            occurrence=occurrence_of(component, line),
            signature=(comm, "oom-kill", "SIGKILL"),
            result="oom-kill",
            signal="SIGKILL",
            message=line.text[:1024],
        )


def _trusted_systemd(line: LogLine) -> bool:
    """May this line be the service manager's own?"""
    comm = journal_field(line, "_COMM")
    pid = journal_field(line, "_PID")
    if comm is not None or pid is not None:
        return comm == "systemd" or pid == "1"
    return line.identifier in (None, "systemd")


def _trusted_kernel(line: LogLine) -> bool:
    """May this line be the kernel's own?"""
    transport = journal_field(line, "_TRANSPORT")
    if transport is not None:
        return transport == "kernel"
    return line.identifier in (None, "kernel")
