"""Follow the Supervisor's log endpoints from a saved position; reconnect with backoff.

Each stream is one `/follow` endpoint read in verbose form (`Accept: text/x-log`, no colours)
so every entry carries its time, identifier and PID. Where a stream stands is kept in
`state/cursors.json` as the `X-First-Cursor` of the last reply plus the number of entries
consumed since, and a restart resumes with `Range: entries=<cursor>:<consumed>:`: nothing is
read twice and what was logged while the app was down is still read (within the journal's
limits). Streams are followed whatever the consent: positions advance while it is OFF, so an
opt-in never replays the OFF period (the intake drops what it sees while OFF).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from crash_reporter.const import DBUS_RECONNECT_MAX_S
from crash_reporter.files import write_json
from crash_reporter.models import LogLine
from crash_reporter.sources.log_format import parse_verbose

_LOGGER = logging.getLogger(__name__)

CURSORS_FILE = "cursors.json"
SAVE_EVERY_S = 2.0  # a position is written at most this often (and on stop)
MAX_LINE_BYTES = 64 * 1024  # longer journal lines are cut (the tail is dropped)
RECONNECT_MIN_S = 1.0
FIRST_START_BACKLOG = 200  # entries read back on the very first start (no saved position)


@dataclass(frozen=True, slots=True)
class LogStream:
    """One followed endpoint."""

    name: str  # key in cursors.json, e.g. "os-agent"
    path: str  # e.g. /host/logs/identifiers/os-agent/follow


def default_streams() -> list[LogStream]:
    """The streams issue #3 names: Supervisor, OS-Agent, systemd, systemd-coredump, kernel."""
    streams = [LogStream("hassio_supervisor", "/supervisor/logs/follow")]
    for ident in ("os-agent", "systemd", "systemd-coredump", "kernel"):
        streams.append(LogStream(ident, f"/host/logs/identifiers/{ident}/follow"))
    return streams


class CursorStore:
    """Positions of every stream, in one small JSON file written atomically."""

    def __init__(self, state_dir: Path) -> None:
        """Load saved positions (a broken file is logged and ignored)."""
        self._file = state_dir / CURSORS_FILE
        self._positions: dict[str, tuple[str, int]] = {}
        try:
            raw = json.loads(self._file.read_bytes())
            for name, pos in raw.items():
                if isinstance(pos, dict) and isinstance(pos.get("cursor"), str):
                    self._positions[name] = (pos["cursor"], int(pos.get("consumed", 0)))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError) as err:
            _LOGGER.warning("Ignoring unreadable %s (%s): streams restart at the end",
                            self._file, err)

    def get(self, name: str) -> tuple[str, int] | None:
        """The saved (first cursor, entries consumed) of a stream."""
        return self._positions.get(name)

    def set(self, name: str, cursor: str, consumed: int) -> None:
        """Remember a position (in memory; `save` writes it)."""
        self._positions[name] = (cursor, consumed)

    def save(self) -> None:
        """Write every position atomically (errors only logged: the stream goes on)."""
        doc = {n: {"cursor": c, "consumed": k} for n, (c, k) in self._positions.items()}
        try:
            write_json(self._file, doc)
        except OSError as err:
            _LOGGER.warning("Cannot write %s: %s", self._file, err)


class LogFollower:
    """Follow one stream forever, putting every entry on the records queue as a LogLine."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        token: str | None,
        stream: LogStream,
        cursors: CursorStore,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Follow `stream` of the Supervisor at `url`."""
        self._session = session
        self._url = url.rstrip("/")
        self._token = token
        self.stream = stream
        self._cursors = cursors
        self._clock = clock
        self.entries = 0
        self.reconnects = 0

    @property
    def name(self) -> str:
        """The stream's name."""
        return self.stream.name

    async def run(self, out: asyncio.Queue[object]) -> None:
        """Read, and on every end or failure back off and resume from the saved position."""
        delay = RECONNECT_MIN_S
        while True:
            try:
                got = await self._follow_once(out)
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                got = 0
                _LOGGER.debug("Log stream %s failed: %r", self.name, err)
            finally:
                await asyncio.to_thread(self._cursors.save)
            self.reconnects += 1
            delay = RECONNECT_MIN_S if got else min(delay * 2, DBUS_RECONNECT_MAX_S)
            if self.reconnects in (1, 10) or self.reconnects % 100 == 0:
                _LOGGER.info("Log stream %s ended; following again in %.0f s", self.name, delay)
            await asyncio.sleep(delay * (0.5 + random.random()))

    async def _follow_once(self, out: asyncio.Queue[object]) -> int:
        """One request: resume, read entries until the stream ends; return entries read."""
        if not self._token:
            raise aiohttp.ClientError("no SUPERVISOR_TOKEN")
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "text/x-log"}
        saved = self._cursors.get(self.name)
        if saved:
            headers["Range"] = f"entries={saved[0]}:{saved[1]}:"
        else:
            headers["Range"] = f"entries=:-{FIRST_START_BACKLOG}:"
        url = f"{self._url}{self.stream.path}?no_colors"
        async with self._session.get(url, headers=headers) as resp:
            if resp.status != 200:
                _LOGGER.warning("Log stream %s: HTTP %d", self.name, resp.status)
                return 0
            # Positions count entries from the first entry of THIS reply.
            first = resp.headers.get("X-First-Cursor")
            _LOGGER.debug("Following %s from %s", self.name, first or "the end")
            consumed = 0
            last_save = self._clock()
            previous: LogLine | None = None
            async for raw in _lines(resp.content):
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                line = parse_verbose(text)
                if line is None:
                    # A continuation of a multi-line MESSAGE: a line of the same process.
                    if previous is None:
                        continue
                    line = LogLine(text=text, identifier=previous.identifier,
                                   pid=previous.pid, timestamp=previous.timestamp,
                                   hostname=previous.hostname)
                else:
                    consumed += 1
                    self.entries += 1
                    if first:
                        self._cursors.set(self.name, first, consumed)
                previous = line
                await out.put(line)
                now = self._clock()
                if now - last_save >= SAVE_EVERY_S:
                    await asyncio.to_thread(self._cursors.save)
                    last_save = now
            return consumed


async def _lines(content: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """Lines of a streamed body, each cut to MAX_LINE_BYTES (the rest of a long line dropped)."""
    while True:
        try:
            line = await content.readuntil(b"\n")
        except asyncio.IncompleteReadError as err:
            if err.partial:
                yield err.partial[:MAX_LINE_BYTES]
            return
        except asyncio.LimitOverrunError:
            chunk = await content.read(MAX_LINE_BYTES)
            yield chunk
            await _discard_rest_of_line(content)
            continue
        yield line[:MAX_LINE_BYTES]


async def _discard_rest_of_line(content: aiohttp.StreamReader) -> None:
    """Skip bytes up to and including the next newline."""
    while True:
        chunk = await content.read(MAX_LINE_BYTES)
        if not chunk:
            return
        if b"\n" in chunk:
            content.unread_data(chunk[chunk.index(b"\n") + 1:])
            return
