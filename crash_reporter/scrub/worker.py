"""Scrubbing off the event loop: a child process, one event at a time, a time budget each.

Python threads cannot be interrupted, so a thread could only give up WAITING for a scrub that
runs away; the CPU would stay busy and the GIL shared with the event loop. A child process can
be killed: an event over its budget is dropped and counted (never sent unscrubbed), the child
is killed and a fresh one started for the next event, and the daemon keeps serving. The rules
are linear-time (tests/test_scrub_linear.py), so the budget is a last line of defence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Iterable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Final

from crash_reporter.scrub.event import ScrubStats, scrub_event
from crash_reporter.scrub.hosts import Identifier

_LOGGER = logging.getLogger(__name__)

BUDGET_S: Final = 10.0  # per event; a big event takes well under a second on a Raspberry Pi
_START_METHOD: Final = "spawn"  # never fork a process that runs threads and an event loop


def _serve(conn: Connection) -> None:
    """The child: scrub each (event, identifiers) received; answer the result (or None)."""
    with contextlib.suppress(EOFError, KeyboardInterrupt):
        while True:
            event, identifiers = conn.recv()
            conn.send(scrub_event(event, identifiers))


class ScrubWorker:
    """Scrubs events in a child process within a time budget per event."""

    def __init__(self, stats: ScrubStats, *, budget_s: float = BUDGET_S) -> None:
        """Count into `stats`; the child is started on first use."""
        self.stats = stats
        self.budget_s = budget_s
        self.timeouts = 0
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()

    def _start(self) -> Connection:
        ctx = multiprocessing.get_context(_START_METHOD)
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(child,), name="crash_reporter-scrub",
                              daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def _stop(self) -> None:
        """Kill the child (if any) and forget it."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join(5)
            with contextlib.suppress(ValueError):
                process.close()

    def _run(self, event: dict[str, Any], identifiers: tuple[Identifier, ...]
             ) -> tuple[str, dict[str, Any] | None]:
        """Blocking: send one event to the child and wait up to the budget for its answer."""
        conn = self._conn
        if conn is None or self._process is None or not self._process.is_alive():
            self._stop()
            conn = self._start()
        conn.send((event, identifiers))
        if not conn.poll(self.budget_s):
            self._stop()
            return "timeout", None
        result = conn.recv()
        if result is not None and not isinstance(result, dict):
            return "bad answer", None
        return ("ok" if result is not None else "failed"), result

    async def scrub(self, event: dict[str, Any], identifiers: Iterable[Identifier] | None
                    ) -> dict[str, Any] | None:
        """The scrubbed event, or None (failed or over budget: dropped and counted)."""
        ids = tuple(identifiers or ())
        async with self._lock:
            try:
                outcome, result = await asyncio.to_thread(self._run, event, ids)
            except (OSError, EOFError, ValueError) as err:  # the child died or never started
                await asyncio.to_thread(self._stop)
                outcome, result = f"worker {type(err).__name__}", None
        if result is not None:
            self.stats.scrubbed += 1
            return result
        self.stats.dropped += 1
        self.stats.last_error = outcome
        if outcome == "timeout":
            self.timeouts += 1
            _LOGGER.error("Scrubbing a report took longer than %.0f s: it is dropped, never "
                          "sent (%d so far); the scrubber is restarted", self.budget_s,
                          self.timeouts)
        return None

    async def close(self) -> None:
        """Stop the child."""
        async with self._lock:
            await asyncio.to_thread(self._stop)
