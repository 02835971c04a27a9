"""Frozen dataclasses passed between stages (records in, crashes out)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Consent(StrEnum):
    """The user's diagnostics opt-in as the app last read it (contracts.md)."""

    ON = "on"
    OFF = "off"
    UNKNOWN = "unknown"


class CrashKind(StrEnum):
    """Which view of a crash a detector saw."""

    PYTHON = "python"  # a Python traceback in a log
    GO = "go"  # a Go panic / fatal error in a log
    COREDUMP = "coredump"  # a systemd-coredump message
    UNIT = "unit"  # a unit's failure (D-Bus signal or the service manager's log lines)


# ---------------------------------------------------------------------------------------
# Records: what sources/ produce (outside world -> typed records)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitState:
    """A snapshot of one systemd service unit's state, as read over D-Bus."""

    unit: str
    active_state: str = ""
    sub_state: str = ""
    result: str = ""
    exec_main_code: int = 0
    exec_main_status: int = 0
    exec_main_pid: int = 0
    n_restarts: int = 0
    invocation_id: str = ""  # hex of the unit's InvocationID (new for every start)
    exec_main_exit_us: int = 0  # ExecMainExitTimestamp: advances with every main-process exit
    load_state: str = ""
    timestamp: float = 0.0  # wall clock (epoch seconds) when this was observed


@dataclass(frozen=True, slots=True)
class UnitJobEnded:
    """systemd's JobRemoved: a job for a unit ended with a result."""

    unit: str
    result: str  # done, canceled, timeout, failed, dependency, skipped
    timestamp: float


@dataclass(frozen=True, slots=True)
class BusNameChange:
    """NameOwnerChanged for a watched bus name (OS-Agent): appeared or vanished."""

    name: str
    present: bool
    timestamp: float


@dataclass(frozen=True, slots=True)
class ConsentTrigger:
    """Something suggests the opt-in changed (OS-Agent's Diagnostics property): re-read it."""

    source: str
    value: bool | None = None  # what the trigger claimed; never trusted as the answer


@dataclass(frozen=True, slots=True)
class LogLine:
    """One journal entry line as the logs API returned it (verbose prefix parsed if any)."""

    text: str  # the MESSAGE part (ANSI codes kept)
    identifier: str | None = None  # SYSLOG_IDENTIFIER, e.g. hassio_supervisor, os-agent
    pid: int | None = None
    timestamp: float | None = None  # epoch seconds (UTC) from the verbose prefix
    hostname: str | None = None  # from the verbose prefix (identifying: scrub it)
    position: str = ""  # where it sits in its stream (cursor + offset, or file line number)


@dataclass(frozen=True, slots=True)
class LogBatch:
    """The lines of one log stream that arrived together (one HTTP chunk): ONE queue record.

    A replay moves hundreds of thousands of lines; one record per chunk instead of one per
    line keeps the queue's own cost out of the way. The records queue counts a batch by its
    lines (sources/records.py), so memory stays bounded in lines, not in records.
    """

    stream: str  # the followed stream's name, e.g. "os-agent"
    lines: tuple[LogLine, ...]


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """`text` without terminal codes (fast for colorlog's `ESC[3Xm ... ESC[0m` lines)."""
    if "\x1b" not in text:
        return text
    if text.startswith("\x1b["):
        end = text.find("m", 2, 12)
        if end > 0:
            body = text[end + 1:]
            if body.endswith("\x1b[0m"):
                body = body[:-4]
            if "\x1b" not in body:
                return body
    return _ANSI.sub("", text)


# ---------------------------------------------------------------------------------------
# Crash: what detect/ produces (records -> Crash)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame, in Sentry's vocabulary."""

    function: str
    filename: str | None = None
    abs_path: str | None = None
    module: str | None = None
    lineno: int | None = None
    colno: int | None = None
    context_line: str | None = None
    in_app: bool = False
    package: str | None = None
    instruction_addr: str | None = None  # native address, or a Go "+0x.." offset
    repeated: int = 0  # Python's "[Previous line repeated N more times]"


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    """One exception of a chain or group; frames are OLDEST CALL FIRST."""

    type: str
    value: str
    module: str | None = None
    frames: tuple[Frame, ...] = ()
    notes: tuple[str, ...] = ()
    relation: str | None = None  # to the previous one in its chain: "cause", "context", None
    is_group: bool = False
    parent: int | None = None  # index (in Crash.exceptions) of the group this belongs to
    has_traceback: bool = True


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    """A thread or goroutine; frames are OLDEST CALL FIRST (crashing frame last)."""

    id: str
    name: str | None = None
    state: str | None = None
    crashed: bool = False
    frames: tuple[Frame, ...] = ()
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class Crash:
    """One crash incident, with every view of it that was joined in.

    `signature` holds the parts that identify the KIND of crash (exception types and in-app
    functions, panic kind, unit + result + signal): never ids, PIDs, addresses or times.
    `occurrence` holds what identifies THIS crash (unit invocation, journal position, time).
    """

    kind: CrashKind
    component: str  # supervisor, os-agent, or host
    title: str
    platform: str  # Sentry platform: python, go, native, other
    occurred_at: float  # epoch seconds
    occurrence: str
    signature: tuple[str, ...]
    level: str = "fatal"
    unit: str | None = None
    result: str | None = None  # systemd Service Result
    signal: str | None = None  # e.g. SIGSEGV
    exit_status: int | None = None
    restarts: int | None = None
    exceptions: tuple[ExceptionInfo, ...] = ()  # oldest first
    threads: tuple[ThreadInfo, ...] = ()
    logger: str | None = None
    message: str | None = None  # the log message that announced the crash
    breadcrumbs: tuple[LogLine, ...] = ()  # last lines of the process before the crash
    views: tuple[CrashKind, ...] = ()  # other views joined into this incident
    loop_count: int = 1  # crashes of a loop folded into this report
    loop_first_at: float | None = None
    loop_last_at: float | None = None
    tags: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=())


# ---------------------------------------------------------------------------------------
# Host facts used for event context and scrubbing
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HostFacts:
    """What the Supervisor API told us about this host.

    Only the non-identifying fields go into events; the identifying ones (hostnames, machine
    id) are kept only so the scrubber can remove them.
    """

    supervisor_version: str | None = None
    os_version: str | None = None
    agent_version: str | None = None
    core_version: str | None = None
    arch: str | None = None
    machine: str | None = None
    board: str | None = None
    installation_type: str | None = None  # e.g. "Home Assistant OS"
    channel: str | None = None
    identifiers: tuple[str, ...] = ()  # hostnames, machine id, ...: scrub these everywhere
