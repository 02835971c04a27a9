"""systemd-coredump's journal message -> Crash (a native crash, with stacks when printed).

The message (MESSAGE_ID fc2e22bc6ee647b6b90729ab34a250b1) starts with
``Process <pid> (<comm>) of user <uid> dumped core.`` (or ``... terminated abnormally without
generating a coredump.``), optionally followed by module notes and ``Stack trace of thread
<tid>:`` blocks of ``#<n>  0x<pc> <function|n/a> (<module> + 0x<offset>)`` frames, and
``ELF object binary architecture: ...``. HA OS sets Storage=none and ProcessSizeMax=0, so it
prints no stack at all. Newer systemd first logs ``... terminated abnormally with signal
6/ABRT, processing...``: the signal is taken from there when no COREDUMP_SIGNAL_NAME field
says it.

Trust (the ABRT "journal entry spoofing" lesson): anyone can log a line that looks like
this. In journal input (export/json) an entry counts only if its trusted `_COMM`/`_EXE` name
systemd-coredump (when those fields are present); in text input only lines whose identifier is
``systemd-coredump`` (or plain text, where nothing is known and `scan` reports what it finds).

Component: ``os-agent`` when the crashed comm/exe is OS-Agent or its unit is
haos-agent.service; ``supervisor`` only when the unit (COREDUMP_UNIT) is one of the
Supervisor's units. A ``python3`` comm alone is NOT attributed to the Supervisor: Home
Assistant Core and apps run python3 too and are out of scope. Everything else is ``host``.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field

from crash_reporter.const import COMPONENT_HOST, COMPONENT_OS_AGENT, UNIT_COMPONENTS
from crash_reporter.detect import (
    BREADCRUMB_LINES,
    RecordDetector,
    number,
    occurrence_of,
    signal_name,
)
from crash_reporter.models import Crash, CrashKind, Frame, LogLine, ThreadInfo
from crash_reporter.sources.log_format import journal_field

_LOGGER = logging.getLogger(__name__)

COREDUMP_IDENTIFIER = "systemd-coredump"
_COREDUMP_COMMS = frozenset({COREDUMP_IDENTIFIER, COREDUMP_IDENTIFIER[:15]})  # comm is cut at 15
MESSAGE_ID_COREDUMP = "fc2e22bc6ee647b6b90729ab34a250b1"
OS_AGENT_COMMS = frozenset({"os-agent"})
MAX_SIGNATURE_FRAMES = 8

_PROCESS = re.compile(
    r"Process (\d+) \((.{1,64}?)\) of user (\d+) "
    r"(dumped core\.|terminated abnormally without generating a coredump\.|"
    r"terminated abnormally with signal (\d+)/([A-Z0-9+-]+), processing\.\.\.)"
)
_THREAD = re.compile(r"Stack trace of thread (\d+):")
_FRAME = re.compile(r"#(\d+)\s+(0x[0-9a-fA-F]+)\s+(.+?)\s+\((.+?)(?: \+ (0x[0-9a-fA-F]+))?\)\s*$")
_BODY_PREFIXES = ("Stack trace of thread ", "#", "Module ", "ELF object", "Found module",
                  "Metadata for module", "Package ", " ", "\t")


def trusted(line: LogLine) -> bool:
    """May this line be systemd-coredump's own? (see the module docstring)."""
    comm = journal_field(line, "_COMM")
    exe = journal_field(line, "_EXE")
    if comm is not None or exe is not None:
        return comm in _COREDUMP_COMMS or (
            exe is not None and exe.rsplit("/", 1)[-1] == COREDUMP_IDENTIFIER
        )
    return line.identifier in (None, COREDUMP_IDENTIFIER)


def component_of(comm: str, exe: str | None, unit: str | None) -> str:
    """Which component a crashed process belongs to (see the module docstring)."""
    if unit and unit in UNIT_COMPONENTS:
        return UNIT_COMPONENTS[unit]
    if comm in OS_AGENT_COMMS or (exe and exe.rsplit("/", 1)[-1] in OS_AGENT_COMMS):
        return COMPONENT_OS_AGENT
    return COMPONENT_HOST


@dataclass(slots=True)
class _Record:
    """A core dump message in progress."""

    first: LogLine
    pid: int | None  # None: more digits than a PID has
    comm: str
    uid: str  # as printed (only shown)
    dumped: bool
    lines: int = 1
    last_ts: float | None = None
    threads: list[tuple[str, list[Frame]]] = field(default_factory=list)


class CoredumpDetector(RecordDetector):
    """Streaming detector of systemd-coredump messages over ONE process stream."""

    label = "Core dump detector"

    def __init__(self) -> None:
        """Start idle."""
        self._rec: _Record | None = None
        self._signals: dict[int, str] = {}  # pid -> signal from "terminated abnormally"
        self._crumbs: deque[LogLine] = deque(maxlen=BREADCRUMB_LINES)

    def _line(self, line: LogLine, text: str) -> list[Crash]:
        """Process one physical line."""
        rec = self._rec
        m = _PROCESS.match(text) if text.startswith("Process ") else None
        if m is not None and trusted(line):
            out = self._close()
            pid, comm, uid = number(m.group(1)), m.group(2), m.group(3)
            if m.group(5):  # "terminated abnormally with signal N/NAME, processing..."
                if len(self._signals) > 64:
                    self._signals.clear()
                signo = number(m.group(5))
                if pid is not None and signo is not None:
                    self._signals[pid] = signal_name(signo)
                return out
            self._rec = _Record(first=line, pid=pid, comm=comm, uid=uid,
                                dumped=m.group(4).startswith("dumped"),
                                last_ts=line.timestamp)
            return out
        if rec is None:
            self._crumbs.append(line)
            return []
        if self._count_line(line):
            return self._close()
        if not text.strip():
            return []
        if not text.startswith(_BODY_PREFIXES):
            return self._close() + self._line(line, text)
        if tm := _THREAD.match(text):
            rec.threads.append((tm.group(1), []))
            return []
        if text.startswith("#") and rec.threads:
            fm = _FRAME.match(text)
            if fm:
                function = fm.group(3)
                module = fm.group(4)
                rec.threads[-1][1].append(Frame(
                    function=function,
                    package=module,
                    instruction_addr=fm.group(2),
                    in_app=False,
                ))
            return []
        if text.startswith("ELF object"):
            return self._close()
        return []

    def _forget(self) -> None:
        """Forget the breadcrumbs."""
        self._crumbs.clear()

    def _close(self) -> list[Crash]:
        """Finish the record in progress."""
        rec, self._rec = self._rec, None
        if rec is None:
            return []
        crash = self._build(rec)
        self._crumbs.clear()
        return [crash]

    def _build(self, rec: _Record) -> Crash:
        """Turn a finished record into a Crash."""
        first = rec.first
        unit = journal_field(first, "COREDUMP_UNIT")
        exe = journal_field(first, "COREDUMP_EXE")
        comm = journal_field(first, "COREDUMP_COMM") or rec.comm
        sig = journal_field(first, "COREDUMP_SIGNAL_NAME")
        if not sig:
            value = journal_field(first, "COREDUMP_SIGNAL")
            signo = number(value) if value and value.isdigit() else None
            sig = signal_name(signo) if signo is not None else None
        sig = sig or (self._signals.pop(rec.pid, None) if rec.pid is not None else None)
        component = component_of(comm, exe, unit)
        threads = tuple(
            ThreadInfo(id=tid, name=f"thread {tid}", crashed=i == 0,
                       frames=tuple(reversed(frames)))
            for i, (tid, frames) in enumerate(rec.threads)
        )
        named = [f.function for f in reversed(threads[0].frames)
                 if f.function != "n/a"][:MAX_SIGNATURE_FRAMES] if threads else []
        what = f"{sig} (core dumped)" if sig and rec.dumped else (sig or "dumped core")
        if not rec.dumped and not sig:
            what = "terminated abnormally"
        extra = [("coredump.comm", comm), ("coredump.uid", rec.uid)]
        if exe:
            extra.append(("coredump.exe", exe))
        return Crash(
            kind=CrashKind.COREDUMP,
            component=component,
            title=f"{comm} crashed: {what}",
            platform="native",
            occurred_at=first.timestamp or 0.0,
            occurrence=occurrence_of(component, first),
            signature=("coredump", comm, sig or "", *named),
            unit=unit,
            signal=sig,
            threads=threads,
            message=first.text[:1024],
            breadcrumbs=tuple(self._crumbs),
            extra=tuple(extra),
        )
