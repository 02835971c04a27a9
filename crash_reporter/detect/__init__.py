"""Stage 2: records turned into Crash incidents (pure, synchronous, never raises).

Every log detector follows one protocol: it is fed the lines of ONE process stream (one
identifier + pid, or one plain-text stream) in order and returns the crashes it completed.
It holds at most a fixed number of lines for a crash in progress, closes a record that never
ends on `expire(now)` or on the next record, and never raises on bad input.
"""

from __future__ import annotations

import signal as _signal
from typing import Protocol

from crash_reporter.const import COMPONENT_HOST, COMPONENT_OS_AGENT, COMPONENT_SUPERVISOR
from crash_reporter.models import Crash, LogLine

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


class Detector(Protocol):
    """A streaming detector for one crash format over one process's lines."""

    def feed(self, line: LogLine) -> list[Crash]:
        """Take the next line; return the crashes it completed (usually none)."""

    def expire(self, now: float) -> list[Crash]:
        """Close a crash in progress whose last line is older than RECORD_TIMEOUT_S."""

    def flush(self) -> list[Crash]:
        """End of input: close whatever is in progress."""


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
