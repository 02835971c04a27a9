"""Unit states seen over D-Bus -> Crash: a NEW main-process crash, never a stale failed state.

A crash is a new main-process exit (ExecMainExitTimestamp advanced past what was seen
first) whose Service Result is a crash result for that unit. Each exit is judged once, when
it is first seen: every signal of one crash's burst carries the same exit timestamp, so one
crash gives one Crash. The first state seen of a unit (at start-up or after a reconnect of
a unit never seen before) is only a baseline, so a unit that was already failed is not
reported. A stop or restart asked of a healthy unit is not a crash: the main process dies
by SIGTERM (Result=success) or, if it answers SIGTERM with a non-zero exit, Result turns
exit-code while the unit is deactivating; a death by another signal then (e.g. SIGSEGV in
the shutdown path) and a stop that timed out (SIGKILL, Result=timeout) are still crashes.

Result=start-limit-hit (systemd refused a restart) only appears when the runs before it
ended with success (systemd 252 keeps the first failure's Result: a crash loop ends with
Result=signal or exit-code). It is one Crash per burst (however many signals repeat it),
none if crashes of the unit were reported just before, and it claims no exit status: the
ExecMain* values then describe the last run, not the refused start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from crash_reporter.const import (
    CLD_DUMPED,
    CLD_EXITED,
    CLD_KILLED,
    COMPONENT_HOST,
    COMPONENT_OS_AGENT,
    DBUS_NAME_OS_AGENT,
    LOOP_WINDOW_S,
    UNIT_COMPONENTS,
    UNIT_OS_AGENT,
)
from crash_reporter.detect import is_unit_crash, signal_name
from crash_reporter.models import BusNameChange, Crash, CrashKind, LogLine, UnitState

_LOGGER = logging.getLogger(__name__)

RESULT_START_LIMIT = "start-limit-hit"
RESULT_EXIT_CODE = "exit-code"
RESULT_SUCCESS = "success"
NAME_LOSS_LINK_S = 15.0  # OS-Agent leaving the bus this soon before its unit crash is one incident


def describe_failure(result: str, code: int, status: int) -> tuple[str, str | None]:
    """Render a failure as text for the title, plus the signal name if a signal was involved."""
    sig = signal_name(status) if code in (CLD_KILLED, CLD_DUMPED) and status > 0 else None
    if result == RESULT_START_LIMIT:
        return "start limit hit (crash loop)", None
    if result == "oom-kill":
        return "killed by the OOM killer", sig
    if result == "watchdog":
        return f"watchdog timeout{f' ({sig})' if sig else ''}", sig
    if result == "timeout":
        return "timed out", sig
    if sig:
        return f"{sig}{' (core dumped)' if code == CLD_DUMPED else ''}", sig
    if code == CLD_EXITED:
        return f"exit status {status}", None
    return result or "failed", None


@dataclass(slots=True)
class _UnitTrack:
    """What the detector remembers about one unit."""

    first_exit_us: int  # the exit already there when first seen (stale: never reported)
    last_exit_us: int = 0  # the last exit judged (reported or not): never judged again
    last_crash_at: float | None = None
    last_result: str = ""


class UnitCrashDetector:
    """Turns a stream of UnitState snapshots (and OS-Agent's presence) into Crash records."""

    def __init__(self, components: Mapping[str, str] | None = None) -> None:
        """`components` maps unit names to components (default: the HA units, else host)."""
        self._components = dict(UNIT_COMPONENTS if components is None else components)
        self._units: dict[str, _UnitTrack] = {}
        self._agent_lost_at: float | None = None

    def observe(self, state: UnitState) -> list[Crash]:
        """Take the unit's newest state; return the crash it reveals, if any."""
        track = self._units.get(state.unit)
        if track is None:
            self._units[state.unit] = _UnitTrack(
                first_exit_us=state.exec_main_exit_us, last_result=state.result
            )
            if state.active_state == "failed":
                _LOGGER.debug("%s was already failed (%s) when first seen: not a new crash",
                              state.unit, state.result)
            return []
        previous_result, track.last_result = track.last_result, state.result
        if state.result == RESULT_START_LIMIT:
            if previous_result == RESULT_START_LIMIT:
                return []  # the same refusal, repeated by the next signal of its burst
            return self._start_limit(state, track)
        exit_us = state.exec_main_exit_us
        if not exit_us or exit_us in (track.first_exit_us, track.last_exit_us):
            return []
        track.last_exit_us = exit_us
        if not is_unit_crash(state.unit, state.result):
            return []
        if (state.result == RESULT_EXIT_CODE and state.active_state == "deactivating"
                and previous_result == RESULT_SUCCESS):
            _LOGGER.info("%s exited with status %d when asked to stop: not a crash",
                         state.unit, state.exec_main_status)
            return []
        track.last_crash_at = state.timestamp
        return [self._crash(state, f"exit@{exit_us}")]

    def name_change(self, change: BusNameChange) -> None:
        """Remember when OS-Agent left the bus, to link it to its unit's crash."""
        if change.name == DBUS_NAME_OS_AGENT:
            self._agent_lost_at = None if change.present else change.timestamp

    def _start_limit(self, state: UnitState, track: _UnitTrack) -> list[Crash]:
        """A start-limit-hit: the end of a loop already reported, or a failure of its own."""
        recent = track.last_crash_at is not None and (
            state.timestamp - track.last_crash_at <= LOOP_WINDOW_S
        )
        if recent:
            _LOGGER.info("%s hit its start limit after crashing repeatedly; systemd gave up",
                         state.unit)
            return []
        if not is_unit_crash(state.unit, state.result):
            return []
        track.last_crash_at = state.timestamp
        return [self._crash(state, f"start-limit@{state.timestamp:.3f}")]

    def _crash(self, state: UnitState, when: str) -> Crash:
        """Build the Crash for a unit failure."""
        component = self._components.get(state.unit, COMPONENT_HOST)
        what, sig = describe_failure(state.result, state.exec_main_code, state.exec_main_status)
        breadcrumbs: tuple[LogLine, ...] = ()
        views: tuple[CrashKind, ...] = ()
        agent_lost = self._agent_lost_at
        if (
            (state.unit == UNIT_OS_AGENT or component == COMPONENT_OS_AGENT)
            and agent_lost is not None
            and 0 <= state.timestamp - agent_lost <= NAME_LOSS_LINK_S
        ):
            breadcrumbs = (LogLine(text=f"{DBUS_NAME_OS_AGENT} left the system bus",
                                   identifier="dbus", timestamp=agent_lost),)
            self._agent_lost_at = None
        start_limit = state.result == RESULT_START_LIMIT  # no process ran: no exit to claim
        exit_status = (state.exec_main_status
                       if state.exec_main_code == CLD_EXITED and not start_limit else None)
        extra = () if start_limit else (("exec_main_code", str(state.exec_main_code)),
                                        ("exec_main_status", str(state.exec_main_status)))
        return Crash(
            kind=CrashKind.UNIT,
            component=component,
            title=f"{state.unit} crashed: {what}",
            platform="other",
            occurred_at=state.timestamp,
            occurrence=f"{state.unit}:{state.invocation_id or '-'}:{when}",
            signature=(state.unit, state.result, sig or (f"exit {exit_status}"
                                                         if exit_status is not None else "")),
            level="fatal",
            unit=state.unit,
            result=state.result,
            signal=sig,
            exit_status=exit_status,
            restarts=state.n_restarts,
            breadcrumbs=breadcrumbs,
            views=views,
            extra=extra,
        )
