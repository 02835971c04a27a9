"""Follow the Supervisor's log endpoints from a saved position; reconnect with backoff.

Each stream is one `/follow` endpoint read in verbose form (`Accept: text/x-log`, colours
kept) so every entry carries its time, identifier and PID. Where a stream stands is kept in
`state/cursors.json` as an anchor cursor plus the number of entries consumed after it, and a
request resumes with `Range: entries=<cursor>:<consumed>:`: after a clean stop nothing is
read twice, and what was logged while the app was down is still read (within the journal's
limits). Streams are followed whatever the consent: positions advance while it is OFF, so an
opt-in never replays the OFF period (the intake drops what it sees while OFF).

Positions. The API tells only the cursor of the first entry of a reply (`X-First-Cursor`),
so an entry is located as ``<anchor>:<n>``: the n-th entry (from 0) after the anchor, the
entry `Range: entries=<anchor>:<n>:1` returns; the further lines of a multi-line MESSAGE are
``<anchor>:<n>+<i>`` (as in log_format). That is `LogLine.position`, and the detectors build
a crash's occurrence (hence its event id) from it, so it must not change when an entry is read
again after an unclean stop: within a reply the anchor is the one of the request (the saved
one), and the saved position moves to the reply's own first cursor only when the reply ends,
before the next request. Entries read after the last save are then read again at the same
positions after a kill -9, and an unread entry is never skipped: an entry counts as consumed
once it is on the records queue (in the LogBatch of its chunk: one record per chunk, not
per line, on a queue bounded in lines, sources/records.py).

A reply that sends nothing for LOG_IDLE_S is given up and requested again from its position:
a connection that went half-open (the peer vanished without closing it) would otherwise be
waited on forever, and a quiet stream costs one request per LOG_IDLE_S.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import aiohttp

from crash_reporter.const import DBUS_RECONNECT_MAX_S
from crash_reporter.files import Faults, load_state, write_json
from crash_reporter.models import LogBatch
from crash_reporter.sources.log_format import MAX_LINE_BYTES, LineSplitter, VerboseStream

_LOGGER = logging.getLogger(__name__)

CURSORS_FILE = "cursors.json"
SAVE_EVERY_S = 2.0  # an advanced position is written within this long (and on every end)
RECONNECT_MIN_S = 1.0
LOG_IDLE_S = 900.0  # a reply silent this long is dropped and requested again
FIRST_START_BACKLOG = 200  # entries read back on the very first start (no saved position)
LOG_CONTENT_TYPES = frozenset({"text/plain", "text/x-log"})
# A journal cursor as it may travel in a Range header: printable, no space, no ':'.
_CURSOR = re.compile(r"[!-9;-~]{1,1024}")

__all__ = [
    "FIRST_START_BACKLOG",
    "MAX_LINE_BYTES",
    "CursorStore",
    "LogFollower",
    "LogStream",
    "default_streams",
]


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


def _valid_cursor(cursor: object) -> TypeGuard[str]:
    """Can `cursor` be sent back in a Range header (a cursor with ':' or a newline cannot)?"""
    return isinstance(cursor, str) and _CURSOR.fullmatch(cursor) is not None


class CursorStore:
    """Positions of every stream, in one small JSON file written atomically.

    Shared by the followers. `set` changes the positions in memory (on the event loop);
    `save` takes a snapshot there and writes it in a thread. Writes are serialised and a
    snapshot older than the one already written is never written, so concurrent saves, or
    a save whose caller was cancelled while its thread still runs, never put an older
    position back on disk.
    """

    def __init__(self, state_dir: Path, faults: Faults | None = None, *,
                 lag_s: float = 0.0, hold: Callable[[], bool] | None = None) -> None:
        """Load saved positions (a broken file is set aside, a broken entry ignored).

        `lag_s`: a position is written only once it is that old, so that what was read
        after it (a crash whose record is still open, or joined, or not yet on disk) is read
        again after a kill; the daemon's event ids are the same then, and what is already
        held or settled is not held again. `hold()`: while it says True, nothing newer is
        written (the daemon keeps a report in memory because the disk refused it).
        """
        self._file = state_dir / CURSORS_FILE
        self._faults = faults
        self._lag_s = lag_s
        self._hold = hold
        self._snapshots: deque[tuple[float, int, dict[str, dict[str, object]]]] = deque()
        self._snapshotted = 0  # the `_changes` of the newest snapshot taken
        self._positions: dict[str, tuple[str, int]] = {}
        self._changes = 0  # bumped by every change of a position
        self._written = 0  # the `_changes` of the snapshot on disk (under `_write_lock`)
        self._write_lock = threading.Lock()
        self._failing = False
        raw = load_state(self._file, {}, {}, faults=faults, area="log positions")
        for name, pos in raw.items():
            cursor = pos.get("cursor") if isinstance(pos, dict) else None
            consumed = pos.get("consumed", 0) if isinstance(pos, dict) else None
            if (_valid_cursor(cursor) and isinstance(consumed, int)
                    and not isinstance(consumed, bool) and consumed >= 0):
                self._positions[str(name)] = (cursor, consumed)
            else:
                _LOGGER.warning("Ignoring the unusable saved position of %s in %s: %r",
                                name, self._file, pos)

    def get(self, name: str) -> tuple[str, int] | None:
        """The saved (anchor cursor, entries consumed after it) of a stream."""
        return self._positions.get(name)

    def set(self, name: str, cursor: str, consumed: int) -> None:
        """Remember a position (in memory; `save` writes it)."""
        if self._positions.get(name) != (cursor, consumed):
            self._positions[name] = (cursor, consumed)
            self._changes += 1

    @property
    def dirty(self) -> bool:
        """Whether a position changed since the last successful write."""
        return self._changes != self._written

    async def save(self) -> None:
        """Write every position as it is now, atomically (errors are only logged).

        The document is built here, on the event loop, so it is one consistent snapshot;
        only the file I/O runs in a thread. Cancelling the caller does not stop that write.
        """
        if not self.dirty:
            return
        now = time.monotonic()
        if self._changes != self._snapshotted:
            doc = {n: {"cursor": c, "consumed": k} for n, (c, k) in self._positions.items()}
            self._snapshots.append((now, self._changes, doc))
            self._snapshotted = self._changes
        if self._hold is not None and self._hold():
            return
        chosen = None
        while self._snapshots and now - self._snapshots[0][0] >= self._lag_s:
            chosen = self._snapshots.popleft()
        if chosen is None:
            return
        _at, version, doc = chosen
        await asyncio.to_thread(self._write, version, doc)

    def _write(self, version: int, doc: dict[str, dict[str, object]]) -> None:
        """Write snapshot `version` unless a newer one is already written (in a thread)."""
        with self._write_lock:
            if version <= self._written:
                return  # a newer snapshot is on disk already: latest wins
            try:
                write_json(self._file, doc)
            except OSError as err:
                if self._faults is not None:
                    self._faults.io_error("log positions", f"writing {self._file.name}", err)
                elif not self._failing:
                    _LOGGER.warning("Cannot write %s: %s", self._file, err)
                self._failing = True
                return
            if self._faults is not None:
                self._faults.io_ok("log positions")
            elif self._failing:
                _LOGGER.info("%s is written again", self._file)
            self._failing = False
            self._written = version


class LogFollower:
    """Follow one stream forever, putting the entries of each chunk on the queue as a LogBatch."""

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
        """Follow `stream` of the Supervisor at `url` (`clock` is kept for callers; unused)."""
        self._session = session
        self._url = url.rstrip("/")
        self._token = token
        self.stream = stream
        self._cursors = cursors
        self._clock = clock
        self.entries = 0
        self.reconnects = 0
        self.idle_ends = 0  # replies given up after LOG_IDLE_S of silence
        self._problem: str | None = None  # the last failure reported at WARNING
        self._progress = asyncio.Event()  # a position advanced since the last save

    @property
    def name(self) -> str:
        """The stream's name."""
        return self.stream.name

    async def run(self, out: asyncio.Queue[object]) -> None:
        """Read, and on every end or failure back off and resume from the saved position.

        Never returns and raises nothing but CancelledError: a failure of one stream must not
        take the app down. After a request that delivered entries the next one is made after
        RECONNECT_MIN_S; after one that delivered nothing the delay doubles (up to the cap).
        A reply silent for LOG_IDLE_S is requested again after RECONNECT_MIN_S (not counted
        in `reconnects`: it is no failure).
        """
        delay = RECONNECT_MIN_S
        saver = asyncio.create_task(self._save_periodically(), name=f"save {self.name}")
        try:
            while True:
                before = self.entries
                try:
                    await self._follow_once(out)
                except aiohttp.ServerTimeoutError:
                    _LOGGER.debug("Log stream %s silent for %.0f s: following it again",
                                  self.name, LOG_IDLE_S)
                    self.idle_ends += 1
                    delay = RECONNECT_MIN_S
                    await asyncio.sleep(delay * (0.5 + random.random()))
                    continue
                except (aiohttp.ClientError, TimeoutError, OSError) as err:
                    _LOGGER.debug("Log stream %s failed: %r", self.name, err)
                except Exception as err:  # a bug must not end the follower (or the app)
                    self._report(type(err).__name__, exc_info=True)
                finally:
                    await self._cursors.save()
                if self.entries > before:
                    delay = RECONNECT_MIN_S
                    self._problem = None
                self.reconnects += 1
                if self.reconnects in (1, 10) or self.reconnects % 100 == 0:
                    _LOGGER.info("Log stream %s ended; following again in %.1f s",
                                 self.name, delay)
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, DBUS_RECONNECT_MAX_S)
        finally:
            saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await saver

    async def _save_periodically(self) -> None:
        """Write an advanced position within SAVE_EVERY_S, also when the stream went quiet.

        Woken only by progress, and ticking only until every position is written (positions
        may be written late, see CursorStore): a quiet stream costs no timer.
        """
        while True:
            await self._progress.wait()
            self._progress.clear()
            while True:
                await asyncio.sleep(SAVE_EVERY_S)
                await self._cursors.save()
                if not self._cursors.dirty and not self._progress.is_set():
                    break

    def _report(self, problem: str, *, exc_info: bool = False) -> None:
        """Log a failed request: at WARNING when it differs from the last one, else DEBUG."""
        level = logging.DEBUG if problem == self._problem else logging.WARNING
        self._problem = problem
        _LOGGER.log(level, "Log stream %s: %s; retrying with backoff", self.name, problem,
                    exc_info=exc_info)

    async def _follow_once(self, out: asyncio.Queue[object]) -> None:
        """One request: resume from the saved position and read entries until the end."""
        if not self._token:
            raise aiohttp.ClientError("no SUPERVISOR_TOKEN")
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "text/x-log"}
        saved = self._cursors.get(self.name)
        if saved:
            headers["Range"] = f"entries={saved[0]}:{saved[1]}:"
        else:
            headers["Range"] = f"entries=:-{FIRST_START_BACKLOG}:"
        # Colours kept: colorlog wraps a whole record (header and traceback) in one colour
        # with its reset at the end, and the Supervisor's container writes every line as its
        # own journal entry, so the colours are what tell a logged traceback from a bare one.
        url = f"{self._url}{self.stream.path}"
        timeout = aiohttp.ClientTimeout(total=None, connect=10, sock_read=LOG_IDLE_S)
        async with self._session.get(url, headers=headers, timeout=timeout,
                                     allow_redirects=False) as resp:  # (never elsewhere)
            if resp.status != 200:
                self._report(f"HTTP {resp.status}")
                return
            if resp.content_type not in LOG_CONTENT_TYPES:
                self._report(f"not a log (Content-Type {resp.content_type})")
                return
            first = resp.headers.get("X-First-Cursor")
            if not _valid_cursor(first):
                first = None
            _LOGGER.debug("Following %s from %s", self.name, first or "the end")
            # Positions in this reply count from the requested anchor (see the docstring).
            anchor, base = saved if saved else (first, 0)
            consumed = 0
            parser = VerboseStream()
            try:
                async for raws in _chunk_lines(resp.content):
                    batch, entries = parser.parse(raws, anchor, base + consumed)
                    del raws  # (nothing of a chunk stays referenced while the stream idles)
                    if not batch:
                        continue
                    record = LogBatch(self.name, tuple(batch))
                    del batch
                    await out.put(record)
                    del record
                    # Counted once they are on the queue: a cancelled put loses nothing.
                    consumed += entries
                    self.entries += entries
                    if anchor:
                        self._cursors.set(self.name, anchor, base + consumed)
                        self._progress.set()
            finally:
                if first is not None and consumed:
                    # The reply is over: re-anchor on its first entry (the same position,
                    # written before the next request), so the skip stays bounded.
                    self._cursors.set(self.name, first, consumed)


async def _chunk_lines(content: aiohttp.StreamReader) -> AsyncIterator[list[bytes]]:
    r"""The complete lines (without ``\n``) of each chunk of a streamed body, as they arrive.

    Chunks are read with `readany` (never aiohttp's line reader, which raises on a line over
    its buffer limit) and cut by log_format's LineSplitter: a line over MAX_LINE_BYTES is cut
    (marker appended) and the rest of it dropped as it arrives, so at most MAX_LINE_BYTES
    plus one chunk is held. An unfinished line at the end of the body is dropped: it was cut
    short and is not counted, so the next request reads it whole.
    """
    splitter = LineSplitter()
    async for chunk in content.iter_any():
        lines = splitter.feed(chunk)
        del chunk  # not held while waiting for the next one: an idle stream holds nothing
        if lines:
            yield lines
        del lines
    tail = splitter.tail
    if tail:
        _LOGGER.debug("Dropping an unfinished last line (%d bytes)", len(tail))
