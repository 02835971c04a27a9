"""Scrubbing off the event loop: a child process, one event at a time, a time budget each.

Python threads cannot be interrupted, so a thread could only give up WAITING for a scrub that
runs away; the CPU would stay busy and the GIL shared with the event loop. A child process can
be killed: an event over its budget is dropped and counted (never sent unscrubbed), the child
is killed and a fresh one started for the next event, and the daemon keeps serving. The rules
are linear-time (tests/test_scrub_linear.py), so the budget is a last line of defence.

The child is ``python -m crash_reporter.scrub.worker``, spoken to over its stdin/stdout with
length-prefixed JSON (events are JSON by nature): asyncio all the way, no thread, and nothing
of the parent (its main module, its threads, its event loop) is copied into the child. The
child finds keywords with Hyperscan (scrub/words.py); once a child has died, the next ones
are started with ``--plain`` (pyahocorasick): the same result, whatever killed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
import sys
from collections.abc import Iterable
from typing import IO, Any, Final

from crash_reporter.scrub.event import ScrubStats, scrub_event
from crash_reporter.scrub.hosts import Identifier
from crash_reporter.scrub.words import use_hyperscan

_LOGGER = logging.getLogger(__name__)

BUDGET_S: Final = 10.0  # per event; a big event takes well under a second on a Raspberry Pi
MAX_MESSAGE: Final = 64 * 1024 * 1024  # a frame longer than this is garbage
_LENGTH: Final = struct.Struct(">I")


def _encode(doc: Any) -> bytes:
    body = json.dumps(doc, separators=(",", ":"), default=str).encode()
    return _LENGTH.pack(len(body)) + body


def _read_frame(stream: IO[bytes]) -> Any:
    """The child's side: one length-prefixed JSON document, or EOFError."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    if size > MAX_MESSAGE:
        raise EOFError
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    return json.loads(body)


def serve(stdin: IO[bytes], stdout: IO[bytes], *, plain: bool = False) -> None:
    """The child: scrub each [event, identifiers] received; answer the result (or null).

    Unless `plain`, keywords are found with Hyperscan: its memory is the child's.
    """
    if not plain:
        use_hyperscan()
    with contextlib.suppress(EOFError, KeyboardInterrupt, BrokenPipeError):
        while True:
            request = _read_frame(stdin)
            result = None
            if isinstance(request, list) and len(request) == 2:
                event, raw_ids = request
                ids = [tuple(i) if isinstance(i, list) else i for i in raw_ids or ()]
                result = scrub_event(event, ids)
            stdout.write(_encode(result))
            stdout.flush()


class ScrubWorker:
    """Scrubs events in a child process within a time budget per event."""

    def __init__(self, stats: ScrubStats, *, budget_s: float = BUDGET_S) -> None:
        """Count into `stats`; the child is started on first use."""
        self.stats = stats
        self.budget_s = budget_s
        self.timeouts = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self.plain = False  # True once a child died: the next ones use the plain engine

    async def _child(self) -> asyncio.subprocess.Process:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            proc = self._proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "crash_reporter.scrub.worker",
                *(["--plain"] if self.plain else []),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return proc

    async def _stop(self) -> None:
        """Kill the child (if any) and forget it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        if proc.stdin is not None:
            proc.stdin.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await proc.wait()

    async def _ask(self, request: bytes) -> Any:
        """Send one request to the child and read its answer."""
        proc = await self._child()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(request)
        await proc.stdin.drain()
        (size,) = _LENGTH.unpack(await proc.stdout.readexactly(_LENGTH.size))
        if size > MAX_MESSAGE:
            raise ValueError("answer too long")
        return json.loads(await proc.stdout.readexactly(size))

    async def scrub(self, event: dict[str, Any], identifiers: Iterable[Identifier] | None
                    ) -> dict[str, Any] | None:
        """The scrubbed event, or None (failed or over budget: dropped and counted)."""
        result: Any = None
        async with self._lock:
            try:
                request = _encode([event, list(identifiers or ())])
                async with asyncio.timeout(self.budget_s):
                    for attempt in (1, 2):
                        try:
                            result = await self._ask(request)
                            break
                        except (OSError, EOFError, ValueError,
                                asyncio.IncompleteReadError) as err:
                            # The child died or never started: once more with a fresh one,
                            # and from now on with the plain engine.
                            await self._stop()
                            if not self.plain:
                                self.plain = True
                                _LOGGER.warning("The scrubber's process ended (%s); it is "
                                                "restarted with its plain keyword engine",
                                                type(err).__name__)
                            if attempt == 2:
                                raise
                outcome = "ok" if isinstance(result, dict) else "failed"
            except TimeoutError:
                outcome = "timeout"
                await self._stop()
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError) as err:
                outcome = f"worker {type(err).__name__}"
        if outcome == "ok":
            self.stats.scrubbed += 1
            return result  # type: ignore[no-any-return]
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
            await self._stop()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer, plain="--plain" in sys.argv[1:])
