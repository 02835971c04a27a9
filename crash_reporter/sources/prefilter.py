"""Bulk reading: hand the detectors only the parts of a large log that can hold a crash.

A replay after a restart, or `crash-reporter scan` of a big journal, is mostly ordinary
lines, and any per-line work in Python costs several times what reading the bytes does. So
text input (verbose or plain) is read in blocks of complete lines and searched at C speed
for TRIGGERS: the text a crash line starts with, at the start of a line's message (after
the verbose prefix ``...]: ``, or at the start of the line) or right after a ``: `` (systemd's
``<unit>: Main process exited``, the kernel's ``Out of memory: Killed process``). Every
crash the detectors (detect/) can report contains such a line (tests/test_prefilter.py
checks every sample and fixture): a Python ``Traceback`` line, a chain marker, a
SyntaxError's bare ``File`` line or a group's ``+`` margin; a Go ``goroutine N [...]:``
header; systemd-coredump's ``Process N (comm) ...``; the service manager's exit, result,
restart and OOM lines; the kernel's OOM kill. A line that only MENTIONS one of them
elsewhere (a log message quoting "Traceback" or ``File "...``) is not a trigger.

Only the lines around triggers are parsed and yielded: from LOOKBACK_LINES before a trigger
line (the log message that announced the crash, the process's breadcrumbs) through the
trigger line, and after it for as long as the detectors are busy (`find_crashes` lets the
reader ask them, see `watch`: a record that can still become a crash without a further
trigger is fed until it is closed, by its own lines or its time-out). Where lines are
skipped a `Gap` is yielded with the last skipped line (its time and position), and the
detectors settle there. Positions stay exact line numbers, continuation lines of a verbose
entry keep their entry's identity, and over-long lines are cut exactly as the full reader
cuts them, so the crashes found are those of the full reader (read_log_lines): the same
events, except that the breadcrumbs are only the most recent of the full reader's ones (those
within LOOKBACK_LINES, and since the last skipped stretch). Where the two could still differ:
a trigger text split by colour codes (the Python detector reads lines without them), a log
message more than LOOKBACK_LINES lines before its traceback, more than 256 processes writing
at once (LogCrashes closes the least recently seen one).

Cost: the newline count and the two trigger searches run over every byte at C speed, together
about 1.7 times what splitting the same text into lines in Python takes; each line around a
trigger costs about 10 us, as in the full reader. A regular file of PARALLEL_BYTES or more
(not stdin) is searched by two processes: the file is cut into chunks, and a forked helper
(_Helper) and this process take chunk after chunk from a shared work queue, run the trigger
searches and newline counts over it and keep only the trigger line starts and line counts
(file offsets). This process reads, parses and feeds exactly as it would have, taking those
answers instead of searching; when the next answer is not there yet it searches a chunk
itself instead of waiting. On two cores that is about twice as fast. Where it cannot (no
fork, a line was cut for being over-long, the file grew), it searches the block itself, and
a chunk the helper took and never answered (it died) is searched here: the result is the
same either way.

Journal export/JSON input is read in full.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import stat
import struct
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final, Protocol

from crash_reporter.models import LogLine
from crash_reporter.sources.log_format import (
    ENTRY_PREFIX_BYTES,
    MAX_LINE_BYTES,
    TEXT_FORMATS,
    TRUNCATION_MARKER,
    VERBOSE_PREFIX_BYTES,
    Format,
    read_log_lines,
    sniff,
    text_lines,
)
from crash_reporter.sources.text_forms import SHORT_PREFIX_BYTES

# The text a trigger line's message starts with (or that follows a ": " in it).
TRIGGERS: Final = (
    b"Traceback (most recent call last)",  # Python: a traceback
    b"The above exception was the direct cause",  # Python: a chain (maybe with no traceback)
    b"During handling of the above exception",
    b'  File "',  # Python: a frame, or a SyntaxError's bare location line
    b"  +",  # Python: an exception group ("  + Exception Group Traceback", "  +-+---- 1 ---")
    b"goroutine <N>",  # Go: every panic, fatal error or fatal signal prints its goroutines
    b"panic: ",  # Go: the header before them
    b"fatal error: ",
    b"Process <N> (",  # systemd-coredump: "Process N (comm) of user U dumped core." & co
    b"Main process exited",  # the service manager: a unit's main process died ...
    b"Failed with result",  # ... and the unit failed (also start-limit-hit, timeouts)
    b"Scheduled restart job",  # ... its restart counter
    b"A process of this unit",  # ... "has been killed by the OOM killer"
    b"Killed process",  # the kernel's OOM killer ("Out of memory: Killed process N (comm)")
)
_ALTERNATIVES: Final = (  # TRIGGERS as one regex, grouped by first byte (sre tries them in turn)
    rb"(?:T(?:raceback \(most recent call last\)|he above exception was the direct cause)"
    rb"|D(?:uring handling of the above exception)"
    rb"|  (?:File \"|\+)"
    rb"|goroutine \d|panic: |fatal error: "
    rb"|P(?:rocess \d+ \()"
    rb"|M(?:ain process exited)|F(?:ailed with result)|S(?:cheduled restart job)"
    rb"|A(?: process of this unit)|K(?:illed process))"
)
_FIRST: Final = rb"(?=[TDgpfPMFSAK ])"  # their first bytes: most places fail this one test
_AFTER_COLON: Final = re.compile(rb": " + _FIRST + _ALTERNATIVES)
# (at a line start: maybe after a GitHub quote "> ", or indented as journalctl indents the
# further lines of an entry)
_AT_LINE_START: Final = re.compile(
    rb"\n(?=[TDgpfPMFSAK >])(?:> ?)? *" + _FIRST + _ALTERNATIVES)  # (most lines: one test)
_AT_START: Final = re.compile(rb"(?:\xef\xbb\xbf)?(?:> ?)? *" + _ALTERNATIVES)
# A line in a form scan knows (any prefix, the Supervisor's and Go's own log lines, a
# journalctl marker): searched until one is found, for scan's "nothing recognised" answer.
_KNOWN: Final = (
    rb"(?:\xef\xbb\xbf)?(?:> ?)?(?:" + VERBOSE_PREFIX_BYTES.pattern + rb"|"
    + SHORT_PREFIX_BYTES.pattern
    + rb"|(?:\x1b\[[0-9;]*m)?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.,]\d{3} "
      rb"(?:DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    + rb"|(?:[A-Z]{3,7}: )?\d{4}/\d\d/\d\d \d\d:\d\d:\d\d "
    + rb"|-- (?:Boot [0-9a-f]{32}|Logs begin at|Journal begins at|No entries)"
    + rb"|\{\s*\"(?:__CURSOR|MESSAGE|__REALTIME_TIMESTAMP)\"|__CURSOR=|__REALTIME_TIMESTAMP="
    + rb")")
_KNOWN_AT_START: Final = re.compile(_KNOWN)
_KNOWN_AT_LINE: Final = re.compile(rb"\n" + _KNOWN)

BLOCK_BYTES: Final = 1 << 20  # read at a time
LOOKBACK_LINES: Final = 64  # lines parsed before a trigger line
TAIL_BYTES: Final = 1 << 16  # kept of a block without trigger (for a lookback from the next)
ALIGN_LINES: Final = 64  # at most this many more, to start at the first line of an entry
MAX_ENTRY_BYTES: Final = 1 << 16  # how far back a skipped entry's first line is looked for
_MARKER: Final = TRUNCATION_MARKER.encode()
_NOT_SEARCHED: Final = (1 << 62, -1, 1 << 62, -1)
PARALLEL_BYTES: Final = 16 << 20  # a regular file this big is searched by two processes
CHUNK_BYTES: Final = 2 << 20  # the reader and the helper take the file in chunks this big
COUNT_STEP: Final = 1 << 16  # the helper's line counts: at most this many bytes apart
_HEADER: Final = struct.Struct("=qqq")  # a helper's message: (chunk, triggers, line counts)
_INDEX: Final = struct.Struct("=q")  # a chunk number in the work queue
_PAGE: Final = 4096  # the least a pipe holds (Linux, for a user over its pipe-buffer quota)


@dataclass(frozen=True, slots=True)
class Gap:
    """Lines were skipped before the next line; `last` is the last of them, parsed."""

    last: LogLine


class Busy(Protocol):
    """What the reader asks before it skips lines (incidents.LogCrashes)."""

    def busy(self) -> bool:
        """Does some record still need lines to be closed?"""


class _Lookahead:
    """Without detectors to ask (no `watch`): busy for LOOKBACK_LINES lines."""

    def __init__(self) -> None:
        self.left = LOOKBACK_LINES + 1

    def __call__(self) -> bool:
        self.left -= 1
        return self.left > 0


def has_trigger(data: bytes) -> bool:
    """Does `data` (complete lines) contain a trigger line?"""
    return bool(_AT_START.match(data) or _AT_LINE_START.search(data)
                or _AFTER_COLON.search(data))


def _line_back(buf: bytearray, lo: int, pos: int) -> int:
    """The start of the line before the line starting at `pos` (not before `lo`)."""
    return max(buf.rfind(b"\n", lo, pos - 1) + 1, lo)


class PrefilteredLines:
    """The LogLines of the parts of a log that can hold a crash; a Gap where lines are skipped.

    `watch(detectors)` (find_crashes does it) lets the reader ask the detectors whether they
    are busy; without it, LOOKBACK_LINES lines after a trigger line are read.
    """

    def __init__(self, stream: BinaryIO | Iterable[bytes], fmt: Format | None = None, *,
                 parallel_bytes: int | None = PARALLEL_BYTES) -> None:
        """Read `stream` (its format detected unless `fmt` is given).

        A regular file of at least `parallel_bytes` (None: never) has the trigger search
        shared with a forked helper process (see _Helper).
        """
        self._stream = stream
        self._fmt = fmt
        self.recognised = False  # did a line in a known form go by? (see _KNOWN)
        self._busy: Callable[[], bool] | None = None
        self._parallel_bytes = parallel_bytes

    def watch(self, detectors: Busy) -> None:
        """Keep reading after a trigger line while `detectors.busy()`."""
        self._busy = detectors.busy

    def __iter__(self) -> Iterator[LogLine | Gap]:
        """The lines (and gaps) in order."""
        start = _regular_file_start(self._stream, self._parallel_bytes)
        fmt, chunks = sniff(self._stream, self._fmt)
        if fmt not in TEXT_FORMATS:
            for line in read_log_lines(chunks, fmt):
                self.recognised = True
                yield line
            return
        readinto = getattr(self._stream, "readinto", None)
        if readinto is not None:  # the head sniff read, then the rest straight into the buffer
            chunks = iter((next(chunks, b""),))
        reader = _TextReader(fmt, chunks, readinto, self._busy, self)
        if start is not None and readinto is not None:
            fd, pos, size = start
            reader.base = pos
            reader.helper = _Helper.start(fd, pos, size)
        try:
            yield from reader.lines()
        finally:
            if reader.helper is not None:
                reader.helper.close()


def _regular_file_start(stream: object, least: int | None) -> tuple[int, int, int] | None:
    """(fd, position, size) of a regular file with at least `least` bytes left, else None."""
    if least is None or not hasattr(os, "fork") or threading.active_count() > 1:
        return None  # (forking a process with threads is not safe)
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
        pos = stream.tell()  # type: ignore[attr-defined]
        info = os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return None
    if not isinstance(fd, int) or not isinstance(pos, int) or not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size - pos < max(least, 1):
        return None
    return fd, pos, info.st_size


def _trigger_line_starts(data: bytes | bytearray, at: int, start: int = 0,
                         end: int | None = None) -> list[int]:
    """The starts of the trigger lines in data[start:end] (complete lines), plus `at`."""
    end = len(data) if end is None else end
    found = {at + m.start() + 1 for m in _AT_LINE_START.finditer(data, start, end)}
    if _AT_START.match(data, start, end):
        found.add(at + start)
    rfind = data.rfind
    found.update(at + max(rfind(b"\n", start, m.start()) + 1, start)
                 for m in _AFTER_COLON.finditer(data, start, end))
    return sorted(found)


def _pread_into(fd: int, buf: bytearray, start: int, size: int, offset: int) -> int:
    """Read up to `size` bytes of the file at `offset` into buf[start:]; how many were read."""
    if len(buf) < start + size:
        buf.extend(bytes(start + size - len(buf)))
    got = 0
    with memoryview(buf) as view:
        while got < size:
            n = os.preadv(fd, [view[start + got:start + size]], offset + got)
            if not n:
                break
            got += n
    return got


@dataclass(frozen=True, slots=True)
class _Chunking:
    """A regular file's bytes from `begin` to `size`, cut into chunks of `chunk` bytes."""

    fd: int
    begin: int
    size: int
    chunk: int

    @property
    def count(self) -> int:
        """How many chunks there are (0 .. count - 1)."""
        return -(-(self.size - self.begin) // self.chunk)

    def of(self, offset: int) -> int:
        """The chunk of a file offset."""
        return (offset - self.begin) // self.chunk

    def search(self, k: int, buf: bytearray) -> tuple[list[int], list[int]]:
        """Chunk `k`: (the starts of its trigger lines, its line counts).

        Chunk k is the bytes [lo, hi) = begin + [k, k + 1) * chunk (cut at `size`); its
        trigger lines are those that START in it (a line is searched whole, to its end in a
        later chunk, or for MAX_LINE_BYTES: the reader cuts a longer line and then searches
        itself); its line counts are pairs (offset, line ends from lo to it), at most
        COUNT_STEP bytes apart, the last at hi. `buf` is reused from chunk to chunk (fresh
        memory for every chunk costs more in page faults than the search).
        """
        fd = self.fd
        lo = self.begin + k * self.chunk
        hi = min(lo + self.chunk, self.size)
        behind = 1 if lo > self.begin else 0  # the byte before lo: is lo a line start?
        got = _pread_into(fd, buf, 0, hi - lo + behind, lo - behind)
        counts: list[int] = []
        lines = 0
        prev = behind
        for at in [*range(behind + COUNT_STEP, got, COUNT_STEP), got]:
            lines += buf.count(b"\n", prev, at)
            counts += (lo - behind + at, lines)
            prev = at
        first = buf.find(b"\n", 0, got) + 1 if behind else 0  # the chunk's first line start
        if not first and behind:
            return [], counts
        end = got
        if buf[end - 1:end] != b"\n":  # the last line, to its end
            more = _pread_into(fd, buf, end, MAX_LINE_BYTES + 2, lo - behind + end)
            nl = buf.find(b"\n", end, end + more)
            end = nl + 1 if nl >= 0 else end + more
            if nl < 0:
                buf[end:end + 1] = b"\n"  # the file's last line (or one the reader will cut)
                end += 1
        return _trigger_line_starts(buf, lo - behind, first, end), counts


def _take(queue: int) -> int | None:
    """The next chunk from the work queue (a pipe of chunk numbers); None if it is empty."""
    try:
        raw = os.read(queue, 8)
    except (BlockingIOError, OSError):
        return None
    return _INDEX.unpack(raw)[0] if len(raw) == 8 else None


def _helper_main(chunks: _Chunking, queue: int, out: int) -> None:
    """The helper's work: take chunks from the queue, search them, send the answers."""
    buf = bytearray(chunks.chunk + (chunks.chunk >> 2))
    while (k := _take(queue)) is not None:
        starts, counts = chunks.search(k, buf)
        message = (_HEADER.pack(k, len(starts), len(counts) // 2)
                   + struct.pack(f"={len(starts) + len(counts)}q", *starts, *counts))
        view = memoryview(message)
        while view:
            view = view[os.write(out, view):]
    os.write(out, _HEADER.pack(-1, 0, 0))


Answer = tuple[list[int], list[int], list[int]]  # trigger line starts; offsets; line counts


class _Helper:
    """A forked process that searches a regular file for trigger lines beside the reader.

    The file (from `begin`) is cut into chunks (CHUNK_BYTES, more for a huge file) whose
    numbers wait in a work queue: a pipe both processes read 8 bytes at a time from (the
    kernel hands each number to one of them). The helper takes chunk after chunk and sends
    back for each the starts of its trigger lines and its line counts. The reader needs the
    answers in file order: when the next is not there yet it takes a chunk from the queue and
    searches it itself instead of waiting, and waits only when the queue is empty. So the two
    share the searching whatever their speeds, and the reader still parses and feeds in
    order. If the helper dies, the reader searches what it had taken.
    """

    def __init__(self, pid: int, queue: int, results: int, chunks: _Chunking) -> None:
        self.pid = pid
        self.queue = queue
        self.results = results
        self.chunks = chunks
        self.found: dict[int, Answer] = {}
        self.raw = bytearray()  # received, not yet taken apart
        self.ended = False  # the helper sent its last message (or failed)
        self.buf = bytearray()  # for the chunks the reader searches itself

    @classmethod
    def start(cls, fd: int, begin: int, size: int) -> _Helper | None:
        """Fill the work queue and fork the helper; None if that fails.

        The queue is filled before the fork, so every chunk number must fit in the pipe at
        once: a huge file (or a small pipe) gets bigger chunks.
        """
        try:
            queue_out, queue_in = os.pipe()
        except OSError:
            return None
        try:
            room = fcntl.fcntl(queue_in, fcntl.F_GETPIPE_SZ)
        except (OSError, AttributeError):
            room = _PAGE
        most = max(room, _PAGE) // _INDEX.size
        chunks = _Chunking(fd, begin, size, max(CHUNK_BYTES, -(-(size - begin) // most)))
        try:
            results, results_in = os.pipe()
        except OSError:
            os.close(queue_out)
            os.close(queue_in)
            return None
        with contextlib.suppress(OSError, AttributeError):  # room for every answer (Linux)
            fcntl.fcntl(results_in, fcntl.F_SETPIPE_SZ, 1 << 20)
        os.write(queue_in, struct.pack(f"={chunks.count}q", *range(chunks.count)))  # (fits)
        os.close(queue_in)
        os.set_blocking(queue_out, False)  # (shared with the child: taking never waits)
        try:
            pid = os.fork()
        except OSError:
            for end in (queue_out, results, results_in):
                os.close(end)
            return None
        if pid == 0:  # the helper
            status = 1
            try:
                os.close(results)
                _helper_main(chunks, queue_out, results_in)
                status = 0
            finally:
                os._exit(status)  # never return into the parent's code
        os.close(results_in)
        os.set_blocking(results, False)
        return cls(pid, queue_out, results, chunks)

    def receive(self, *, wait: bool) -> None:
        """Take what the helper sent (if `wait`, wait for at least some of it)."""
        if self.ended:
            return
        if wait:
            select.select([self.results], [], [])
        try:
            while data := os.read(self.results, 1 << 16):
                self.raw += data
            self.ended = True  # the end of the pipe: the helper is gone
        except BlockingIOError:
            pass
        except OSError:
            self.ended = True
        raw, used = self.raw, 0
        while len(raw) - used >= _HEADER.size:
            k, count, marks = _HEADER.unpack_from(raw, used)
            size = _HEADER.size + 8 * (count + 2 * marks)
            if len(raw) - used < size:
                break
            values = struct.unpack_from(f"={count + 2 * marks}q", raw, used + _HEADER.size)
            used += size
            if k < 0:
                self.ended = True
                break
            self.found.setdefault(k, (list(values[:count]), list(values[count::2]),
                                      list(values[count + 1::2])))
        del raw[:used]

    def search(self, k: int) -> None:
        """Search chunk k here."""
        if not self.buf:
            self.buf = bytearray(self.chunks.chunk + (self.chunks.chunk >> 2))
        starts, counts = self.chunks.search(k, self.buf)
        self.found[k] = (starts, counts[::2], counts[1::2])

    def answer(self, k: int) -> Answer:
        """The answer for chunk k: the helper's, or searched here (others on the way)."""
        while k not in self.found:
            self.receive(wait=False)
            if k in self.found:
                break
            taken = _take(self.queue)
            if taken is not None:
                self.search(taken)
            elif self.ended:  # the helper took it and failed
                self.search(k)
            else:
                self.receive(wait=True)
        return self.found[k]

    def next_trigger(self, scan: int, end: int) -> int | None:
        """The first trigger line start in [scan, end) (file offsets, `scan` a line start).

        -1 if there is none; None if [scan, end) reaches past the size the file had when
        the chunks were cut (it grew, or its last line has no line end): the reader searches.
        """
        if scan >= end:
            return -1
        if end > self.chunks.size:
            return None
        first, last = self.chunks.of(scan), self.chunks.of(end - 1)
        for k in range(first, last + 1):
            starts = self.answer(k)[0]
            i = bisect_left(starts, scan)
            if i < len(starts) and starts[i] < end:
                return starts[i]
        for k in [k for k in self.found if k < first]:  # (done with)
            del self.found[k]
        return -1

    def count_lines(self, buf: bytearray, base: int, start: int, end: int) -> int:
        """The line ends in buf[start:end] (buf[0] at file offset `base`).

        The chunks' counts are taken where they are known.
        """
        total = 0
        pos, stop_at = base + start, base + end
        while pos < stop_at:
            k = self.chunks.of(pos)
            stop = min(stop_at, self.chunks.begin + (k + 1) * self.chunks.chunk)
            got = self.found.get(k)
            if got is not None:
                marks, lines = got[1], got[2]
                i = bisect_left(marks, pos)
                j = bisect_right(marks, stop) - 1
                if i < j:
                    total += (buf.count(b"\n", pos - base, marks[i] - base)
                              + lines[j] - lines[i]
                              + buf.count(b"\n", marks[j] - base, stop - base))
                    pos = stop
                    continue
            total += buf.count(b"\n", pos - base, stop - base)
            pos = stop
        return total

    def close(self) -> None:
        """Empty the queue (the helper ends after its chunk), wait for it to end."""
        while _take(self.queue) is not None:
            pass
        os.close(self.queue)
        os.close(self.results)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


class _TextReader:
    """The prefilter over verbose or plain text.

    The input is read into one reusable buffer (no copy of the bulk of it is made):
    `buf[:end]` holds complete lines, cut like split_lines cuts them (an over-long line to
    MAX_LINE_BYTES + marker, its tail dropped as it arrives; a last line without a line end
    gets one), `buf[end:fill]` the start of the next line.
    """

    def __init__(self, fmt: Format, chunks: Iterator[bytes],
                 readinto: Callable[[memoryview], int | None] | None,
                 busy: Callable[[], bool] | None, owner: PrefilteredLines) -> None:
        self.fmt = fmt
        self.entries = fmt not in ("plain", "cat")  # lines continue the entry before them
        self.owner = owner  # told when a line in a known form goes by
        self.chunks: Iterator[bytes] | None = chunks
        self.pending = memoryview(b"")  # what is left of the last chunk taken
        self.readinto = readinto
        self.busy = busy
        self.buf = bytearray(BLOCK_BYTES + (BLOCK_BYTES >> 2))
        self.end = self.fill = 0
        self.skipping = False  # dropping the tail of an over-long line
        self.done = 0  # offset in buf: the lines before it were fed or skipped
        self.line = 1  # the line number at `done`
        self.prev: LogLine | None = None  # the line before `done` (verbose continuation lines)
        self.columns = [0]  # the message column of `prev`'s entry (journalctl's short forms)
        self.gap: LogLine | None = None  # the last skipped line, not yet reported
        self.found = _NOT_SEARCHED  # trigger searches: (from, line start or -1) x 2
        self.base = 0  # the file offset of buf[0] (while the buffer holds the file's bytes)
        self.helper: _Helper | None = None  # a helper sharing the search of the file

    # -- the buffer -----------------------------------------------------------------------

    def read(self, start: int, size: int) -> int:
        """Read up to `size` bytes into buf[start:]; 0 at the end of the input."""
        buf = self.buf
        if len(buf) < start + size:
            buf.extend(bytes(start + size - len(buf)))
        while True:
            if self.pending:
                n = min(size, len(self.pending))
                buf[start:start + n] = self.pending[:n]
                self.pending = self.pending[n:]
                return n
            if self.chunks is not None:
                chunk = next(self.chunks, None)
                if chunk is not None:
                    self.pending = memoryview(chunk)
                    continue
                self.chunks = None
            if self.readinto is None:
                return 0
            with memoryview(buf) as whole, whole[start:start + size] as into:
                return self.readinto(into) or 0

    def more(self) -> bool:
        """Drop what is before `done`, read at least one more line; False at the end."""
        start = self.end - self.done
        got = self.read_more()
        if not self.owner.recognised and self.end > start:  # (C speed, until one is found)
            buf = self.buf
            self.owner.recognised = bool(
                (start == 0 and _KNOWN_AT_START.match(buf, 0, self.end))
                or _KNOWN_AT_LINE.search(buf, max(start - 1, 0), self.end))
        return got

    def read_more(self) -> bool:
        """more() without the look for known forms."""
        buf, keep = self.buf, self.done
        if keep:
            rest = self.fill - keep
            buf[:rest] = buf[keep:self.fill]
            self.end -= keep
            self.fill = rest
            self.done = 0
            self.base += keep
        self.found = _NOT_SEARCHED
        old_end = self.end
        while self.end == old_end:
            start = self.fill
            n = self.read(start, BLOCK_BYTES)
            if not n:
                if self.fill > self.end:  # the input ends within a line: give it a line end
                    buf[self.fill:self.fill + 1] = b"\n"
                    self.fill = self.end = self.fill + 1
                return self.end > old_end
            self.fill += n
            if self.skipping:
                nl = buf.find(b"\n", start, self.fill)
                if nl < 0:
                    self.fill = start
                    continue
                del buf[start:nl + 1]
                self.fill -= nl + 1 - start
                self.skipping = False
            nl = buf.rfind(b"\n", start, self.fill)
            if nl >= 0:
                self.end = self.cut_long_lines(self.end, nl + 1)
            if self.fill - self.end > MAX_LINE_BYTES:  # the line being read is over-long
                self.drop_helper()
                cut = self.end + MAX_LINE_BYTES
                buf[cut:self.fill] = _MARKER + b"\n"
                self.fill = self.end = cut + len(_MARKER) + 1
                self.skipping = True
        return True

    def cut_long_lines(self, start: int, end: int) -> int:
        """Cut the lines in buf[start:end] longer than MAX_LINE_BYTES; return the new end."""
        buf, limit = self.buf, MAX_LINE_BYTES
        p = start
        while end - p > limit:
            nl = buf.rfind(b"\n", p, p + limit + 1)
            if nl >= 0:
                p = nl + 1
                continue
            line_end = buf.find(b"\n", p + limit, end)
            self.drop_helper()
            buf[p + limit:line_end] = _MARKER
            shift = line_end - (p + limit) - len(_MARKER)
            end -= shift
            self.fill -= shift
            p += limit + len(_MARKER) + 1
        return end

    def drop_helper(self) -> None:
        """A line is cut: the buffer no longer holds the file's bytes as they are."""
        if self.helper is not None:
            self.helper.close()
            self.helper = None

    # -- the prefilter --------------------------------------------------------------------

    def find(self, scan: int) -> int:
        """The start of the first trigger line at or after the line start `scan`, or -1.

        Each search's result is kept while the buffer stays, so trigger lines close together
        do not make the searches run over the same bytes again. With a helper, the chunks'
        answers are taken (see _Helper.next_trigger).
        """
        buf, end = self.buf, self.end
        if self.helper is not None:
            base = self.base
            at = self.helper.next_trigger(base + scan, base + end)
            if at is not None:
                return at - base if at >= 0 else -1
        from2, at2, from1, at1 = self.found
        if scan == 0 and _AT_START.match(buf, 0, end):
            return 0
        if not (from2 <= scan and (at2 < 0 or at2 >= scan)):
            m = _AT_LINE_START.search(buf, scan - 1 if scan else 0, end)
            from2, at2 = scan, (m.start() + 1 if m is not None else -1)
        if not (from1 <= scan and (at1 < 0 or at1 >= scan)):
            m = _AFTER_COLON.search(buf, scan, end)
            from1, at1 = scan, (buf.rfind(b"\n", scan, m.start()) + 1 or scan
                                if m is not None else -1)
        self.found = (from2, at2, from1, at1)
        if at1 < 0:
            return at2
        return at1 if at2 < 0 else min(at1, at2)

    def lines(self) -> Iterator[LogLine | Gap]:
        """Feed the stretches around trigger lines, skip the rest."""
        scan = 0  # a line start from which the next trigger is looked for
        while True:
            hit = self.find(scan)
            if hit < 0:
                keep = self.tail()  # a trigger in the next block may need it
                if keep > self.done:
                    self.skip(keep)
                scan = self.end - self.done
                if not self.more():
                    break
                continue
            start = self.lookback(hit)
            if start > self.done:
                self.skip(start)
            yield from self.feed(hit)
            scan = self.done
        if self.done < self.end:
            self.skip(self.end)
        if self.gap is not None:
            yield Gap(self.gap)

    def tail(self) -> int:
        """Where the lines kept for a lookback from the next block start.

        At least LOOKBACK_LINES + ALIGN_LINES lines, or TAIL_BYTES if those are more.
        """
        buf, lo, end = self.buf, self.done, self.end
        start = buf.rfind(b"\n", lo, max(lo, end - TAIL_BYTES)) + 1
        if start <= lo:
            return lo
        if buf.count(b"\n", start, end) < LOOKBACK_LINES + ALIGN_LINES:  # long lines
            return self.lookback(end, LOOKBACK_LINES + ALIGN_LINES)
        return start

    def lookback(self, pos: int, lines: int = LOOKBACK_LINES) -> int:
        """Where to start reading for a trigger line at `pos`: LOOKBACK_LINES before it.

        Verbose: moved back to the first line of an entry if one is near (the lines are
        then fed whole); never before `done`.
        """
        buf, lo = self.buf, self.done
        start = pos
        rfind = buf.rfind
        for _ in range(lines):
            if start <= lo:
                return lo
            start = rfind(b"\n", lo, start - 1) + 1
        start = max(start, lo)
        if self.entries:
            for _ in range(ALIGN_LINES):
                if start <= lo or ENTRY_PREFIX_BYTES.match(buf, start):
                    break
                start = _line_back(buf, lo, start)
        return start

    def skip(self, end: int) -> None:
        """Skip the lines from `done` to `end`: count them, parse the last (for the Gap)."""
        buf, done = self.buf, self.done
        if self.helper is not None:
            count = self.helper.count_lines(buf, self.base, done, end)
        else:
            count = buf.count(b"\n", done, end)
        first = _line_back(buf, done, end)
        prev = None
        if self.entries:  # the last skipped line's entry: its time and identity
            floor = max(done, first - MAX_ENTRY_BYTES)
            while first > floor and not ENTRY_PREFIX_BYTES.match(buf, first):
                first = _line_back(buf, floor, first)
            if first == done:
                prev = self.prev
        tail = buf[first:end - 1].split(b"\n")
        if prev is None:
            self.columns[0] = 0
        parsed = deque(text_lines(self.fmt, tail, self.line + count - len(tail), prev,
                                  self.columns), maxlen=1)
        if parsed:  # (none: the skipped lines end in a marker or a fence)
            self.prev = self.gap = parsed[0]
        else:
            self.prev = None
        self.done = end
        self.line += count

    def feed(self, hit: int) -> Iterator[LogLine | Gap]:
        """Feed from `done` through the trigger line at `hit`, then while the detectors are busy."""
        if self.gap is not None:
            yield Gap(self.gap)
            self.gap = None
        buf, done = self.buf, self.done
        must = buf.find(b"\n", hit, self.end)  # the end of the trigger line
        raw = buf[done:must].split(b"\n")
        first = self.line
        self.done = must + 1
        self.line += len(raw)
        last = self.prev
        for last in text_lines(self.fmt, raw, first, last,  # noqa: B020 - `last` goes on
                               self.columns):
            yield last
        busy = self.busy or _Lookahead()
        if busy():
            rest = self.raw_lines()
            for last in text_lines(self.fmt, rest, self.line, last,  # noqa: B020
                                   self.columns):
                yield last
                if not busy():
                    break
            rest.close()
        self.prev = last

    def raw_lines(self) -> Generator[bytearray, None, None]:
        """The raw lines from `done` on, advancing `done` (and `line`) as each is handed out."""
        while True:
            buf, done = self.buf, self.done
            nl = buf.find(b"\n", done, self.end)
            if nl < 0:
                if not self.more():
                    return
                continue
            self.done = nl + 1
            self.line += 1
            yield buf[done:nl]
