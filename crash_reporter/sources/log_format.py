r"""Raw log input -> LogLine records: the Supervisor's plain and verbose text, and journalctl.

Four input formats are understood (`detect_format` tells them apart from the first bytes):

- ``verbose``: what the logs API returns with ``?verbose`` / ``Accept: text/x-log``:
  ``YYYY-MM-DD HH:MM:SS.mmm <hostname> <identifier>[<pid>]: <message>`` (UTC; the ``[pid]``
  is missing for e.g. ``kernel:``). A line without that prefix continues the MESSAGE of the
  entry before it (systemd-coredump's stack traces are one multi-line MESSAGE) and is given
  that entry's identifier, PID, time and hostname.
- ``plain``: the MESSAGE only; nothing is known about the writer.
- ``export``: ``journalctl -o export``: ``KEY=value`` lines, binary-safe fields written as
  ``KEY\\n<uint64 LE length><bytes>\\n``, entries separated by an empty line.
- ``json``: ``journalctl -o json``: one object per line; a value may be a string, a byte
  array (list of ints), null (too large) or a list of those (a repeated field).

Every physical line of a MESSAGE becomes one LogLine, so detectors see the same shape from
every format. `position` is the 1-based line number for text input, and the entry's
``__CURSOR`` (``<cursor>+<n>`` for the n-th further line of a multi-line MESSAGE) for journal
input. Bytes are decoded with ``errors="replace"`` and every line is cut to MAX_LINE_BYTES
(with TRUNCATION_MARKER appended): a 10 MB line costs at most that much memory.

Journal entries keep the few trusted fields the detectors need (``_COMM``, ``_EXE``,
``MESSAGE_ID``, non-identifying ``COREDUMP_*``, ...; never ``COREDUMP_ENVIRON``,
``COREDUMP_CMDLINE``, ``COREDUMP_HOSTNAME`` or ``COREDUMP_OPEN_FDS``) in
`JournalLine.fields`; read them with `journal_field`.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, BinaryIO, Final, Literal

from crash_reporter.models import LogLine
from crash_reporter.sources.text_forms import (
    MINUTE_CACHE,
    SHORT_PREFIX_BYTES,
    is_fence,
    is_marker,
    minute_epoch,
    parse_short,
    unquote,
    untab,
)

Format = Literal["text", "verbose", "plain", "cat", "short", "short-precise", "short-iso",
                 "short-iso-precise", "short-full", "short-unix", "export", "json"]
# The forms `--format` can force ("text": every line's form recognised on its own).
FORMATS: Final[tuple[Format, ...]] = (
    "text", "verbose", "plain", "cat", "short", "short-precise", "short-iso",
    "short-iso-precise", "short-full", "short-unix", "json", "export")
TEXT_FORMATS: Final = frozenset(FORMATS) - {"json", "export"}

MAX_LINE_BYTES: Final = 64 * 1024  # a longer line is cut here (the rest is dropped)
MAX_FIELD_BYTES: Final = 64 * 1024  # the same for one journal field's value
MAX_KEPT_FIELD_CHARS: Final = 1024  # a kept trusted field is cut to this many characters
TRUNCATION_MARKER: Final = " [... truncated by crash_reporter]"
CHUNK_BYTES: Final = 1 << 20
SNIFF_BYTES: Final = 64 * 1024
MAX_JSON_ENTRY_BYTES: Final = 1 << 20  # a longer json entry is unreadable and skipped

# Journal fields kept for the detectors (an allowlist: everything else is dropped unread).
KEPT_FIELDS: Final = frozenset({
    "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_PID", "_PID", "_UID", "_COMM",
    "_EXE", "_TRANSPORT", "_SYSTEMD_UNIT", "_SYSTEMD_INVOCATION_ID", "UNIT", "USER_UNIT",
    "INVOCATION_ID", "UNIT_RESULT", "EXIT_CODE", "EXIT_STATUS", "N_RESTARTS",
    "CONTAINER_NAME", "CONTAINER_TAG",
    "COREDUMP_PID", "COREDUMP_UID", "COREDUMP_GID", "COREDUMP_SIGNAL", "COREDUMP_SIGNAL_NAME",
    "COREDUMP_EXE", "COREDUMP_COMM", "COREDUMP_UNIT", "COREDUMP_USER_UNIT", "COREDUMP_SLICE",
    "COREDUMP_TIMESTAMP", "COREDUMP_RLIMIT", "COREDUMP_PACKAGE_NAME",
    "COREDUMP_PACKAGE_VERSION",
})
NEVER_KEPT: Final = frozenset({
    "COREDUMP_ENVIRON", "COREDUMP_CMDLINE", "COREDUMP_HOSTNAME", "COREDUMP_OPEN_FDS",
})
assert not KEPT_FIELDS & NEVER_KEPT  # a guard on the constants above


@dataclass(frozen=True, slots=True)
class JournalLine(LogLine):
    """A LogLine read from journal export/json input, with the trusted fields kept.

    Module-local stand-in until `LogLine` itself gains `fields` (proposed upstream).
    """

    fields: tuple[tuple[str, str], ...] = ()


def journal_field(line: LogLine, key: str) -> str | None:
    """The value of a kept journal field of `line` (None when absent or text input)."""
    for name, value in getattr(line, "fields", ()):
        if name == key:
            return str(value)
    return None


# --------------------------------------------------------------------------------------
# verbose / plain text
# --------------------------------------------------------------------------------------


class _Unfrozen:
    """LogLine's slots, without the frozen dataclass's `__setattr__` (see `_line_factory`)."""

    __slots__ = ("hostname", "identifier", "pid", "position", "text", "timestamp")
    text: str
    identifier: str | None
    pid: int | None
    timestamp: float | None
    hostname: str | None
    position: str


def _line_factory() -> Callable[[str, str | None, int | None, float | None, str | None, str],
                                LogLine]:
    """A constructor of LogLine(text, identifier, pid, timestamp, hostname, position).

    The frozen dataclass's own __init__ sets each field through `object.__setattr__`, three
    times what a plain class's attribute stores cost, and this is the hot path of a replay.
    So the slots are filled on an `_Unfrozen` object (the same slots, the same layout) that
    then becomes a LogLine: the record is exactly what LogLine(...) builds, frozen from then
    on. Falls back to the class when LogLine's fields or layout ever differ (tests check both
    give equal records).
    """
    new, unfrozen, frozen = object.__new__, _Unfrozen, LogLine

    def make(  # noqa: PLR0917 - positional arguments: this is the hot path
        text: str, identifier: str | None, pid: int | None, timestamp: float | None,
        hostname: str | None, position: str,
    ) -> LogLine:
        """Build one LogLine by filling its slots."""
        line = new(unfrozen)
        line.text = text
        line.identifier = identifier
        line.pid = pid
        line.timestamp = timestamp
        line.hostname = hostname
        line.position = position
        line.__class__ = frozen  # type: ignore[assignment]
        return line  # type: ignore[return-value]  # (it is one now)

    values = ("t", "i", 1, 2.0, "h", "p")
    try:
        same = (sorted(f.name for f in dataclass_fields(LogLine)) == sorted(_Unfrozen.__slots__)
                and make(*values) == LogLine(*values))
    except TypeError:  # __class__ assignment: the layouts differ
        same = False
    return make if same else LogLine


make_line = _line_factory()

# The fast form (an identifier without ':' or '['), and the general one it falls back to.
_VERBOSE_FAST = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d):(\d\d\.\d{1,6}) ([^ ]+) ([^ \[:]+)(?:\[(\d{1,10})\])?:(?: |$)"
)
_VERBOSE = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d):(\d\d\.\d{1,6}) (\S+) ([^\s\[]+?)(?:\[(\d{1,10})\])?:(?: |$)"
)


# The fast form on raw bytes: does a line (probably) start a new entry? (prefilter.py)
VERBOSE_PREFIX_BYTES = re.compile(_VERBOSE_FAST.pattern.encode())


def _match_verbose(text: str) -> re.Match[str] | None:
    """Match the verbose prefix (fast path first)."""
    return _VERBOSE_FAST.match(text) or (
        _VERBOSE.match(text) if text[19:20] == "." else None
    )
def parse_verbose(text: str, position: str = "") -> LogLine | None:
    """Parse one verbose line; None when it has no verbose prefix (a continuation line).

    The message keeps everything after ``<identifier>[<pid>]: `` (ANSI codes included).
    """
    m = _match_verbose(text)
    if m is None:
        return None
    prefix, seconds, hostname, identifier, pid = m.groups()
    return make_line(
        text[m.end():],
        identifier,
        int(pid) if pid else None,
        minute_epoch(prefix) + float(seconds),
        hostname,
        position,
    )


def detect_format(first_chunk: bytes) -> Format:
    """Tell the input format from its first bytes (a few KB are plenty).

    "verbose" or "plain" describe text (which is read line by line, each line's form on its
    own); "json" is found after any lines that are not JSON (a pasted header, a fence).
    """
    data = first_chunk.lstrip(b"\xef\xbb\xbf").lstrip(b"\r\n\t ")
    if not data.startswith(b"{") and b"\n{" in data[:SNIFF_BYTES]:
        for line in data.split(b"\n", 200)[:200]:
            if line.startswith(b"{") and detect_format(line + b"\n") == "json":
                return "json"
    if data.startswith(b"{"):
        first = data.split(b"\n", 1)[0]
        try:
            obj = json.loads(first)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and (
            "MESSAGE" in obj or "__CURSOR" in obj or "__REALTIME_TIMESTAMP" in obj
        ):
            return "json"
        if len(first) >= SNIFF_BYTES - 16 and b'"__CURSOR"' in first[:4096]:
            return "json"  # a first entry longer than the sniffed chunk
    head = data.split(b"\n", 8)[:8]
    if head and _EXPORT_FIRST.match(head[0]):
        keyed = 0
        for line in head[1:]:
            if _EXPORT_KEY.match(line):
                keyed += 1
            else:
                break
        if keyed >= 1 or len(head) == 1:
            return "export"
    for raw in data.split(b"\n", 20)[:20]:
        if _match_verbose(raw[:200].decode("utf-8", "replace")):
            return "verbose"
    return "plain"


_EXPORT_FIRST = re.compile(rb"__(?:CURSOR|REALTIME_TIMESTAMP|MONOTONIC_TIMESTAMP|SEQNUM)=")
_EXPORT_KEY = re.compile(rb"[A-Z0-9_]+(?:=|$)")


def _chunks(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    """The input as an iterator of byte chunks."""
    read = getattr(stream, "read", None)
    if read is not None:
        return iter(lambda: read(CHUNK_BYTES), b"")
    return (bytes(c) for c in stream)


def _cut(raw: bytes, limit: int = MAX_LINE_BYTES) -> bytes:
    """Cut an over-long line, with the marker."""
    return raw[:limit] + TRUNCATION_MARKER.encode()


class LineSplitter:
    r"""Cut chunks of a byte stream into lines (without ``\n``), in bounded memory.

    A line over `limit` is cut (marker appended) and the rest of it is skipped as it
    arrives; `tail` is the unfinished last line so far (at most `limit` bytes).
    """

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        """Split lines of at most `limit` bytes."""
        self.limit = limit
        self.tail = b""
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines `chunk` completes."""
        limit = self.limit
        if self._skipping:
            nl = chunk.find(b"\n")
            if nl < 0:
                return []
            chunk = chunk[nl + 1:]
            self._skipping = False
        data = self.tail + chunk if self.tail else chunk
        parts = data.split(b"\n")
        self.tail = parts.pop()
        if len(data) <= limit or max(map(len, parts), default=0) <= limit:  # (C speed)
            lines = parts
        else:
            lines = [part if len(part) <= limit else _cut(part, limit) for part in parts]
        if len(self.tail) > limit:
            lines.append(_cut(self.tail, limit))
            self.tail = b""
            self._skipping = True
        return lines


def split_lines(chunks: Iterable[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    r"""Lines (without ``\n``) of a chunked byte stream; each at most MAX_LINE_BYTES + marker.

    The tail of an over-long line is skipped as it arrives: memory stays bounded whatever
    the line length. An unfinished last line is a line too.
    """
    splitter = LineSplitter(limit)
    for chunk in chunks:
        if chunk:
            yield from splitter.feed(chunk)
    if splitter.tail:
        yield splitter.tail


def _verbose_lines(lines: Iterable[bytes | bytearray], first: int = 1,
                   prev: LogLine | None = None, fmt: Format = "verbose",
                   columns: list[int] | None = None) -> Iterator[LogLine]:
    """LogLines of text; continuation lines inherit the entry they continue.

    `fmt` "verbose": the Supervisor's verbose form only; "text": each line's form recognised
    on its own (text_forms.py: journalctl's short forms and markers, GitHub fences and
    quotes; the verbose form stays the fast path, the rest costs only where it is met);
    a short form: that family only. `first` is the line number of the first line
    (positions are line numbers); `prev` is a line of the entry the first lines continue
    (when reading from the middle of a log), and `columns[0]` its message column (kept up
    to date: a reader that calls again with the last line as `prev` passes it on).
    """
    box = [0] if columns is None else columns
    make = make_line
    match = _VERBOSE_FAST.match if fmt in ("verbose", "text") else _never
    slow = _VERBOSE.match
    minute = minute_epoch
    other = _other_line if fmt != "verbose" else None
    column = box[0]  # journalctl indents the further lines of an entry to its message column
    for n, raw in enumerate(lines, first):
        text = raw.decode("utf-8", "replace")
        if text and text[-1] == "\r":
            text = text[:-1]
        m = match(text)
        if m is None and other is not None:
            line, column = other(text, str(n), prev, column, fmt)
            if line is not None:
                yield line
            if line is not None or column < 0:
                prev, column = line, max(column, 0)
            box[0] = column
            continue
        if m is None and text[19:20] == ".":
            m = slow(text)
        if m is not None:
            prefix, seconds, hostname, identifier, pid = m.groups()
            if column:
                column = box[0] = 0
            prev = make(
                text[m.end():],
                identifier,
                int(pid) if pid else None,
                minute(prefix) + float(seconds),
                hostname,
                str(n),
            )
            yield prev
        elif prev is not None:
            yield make(text, prev.identifier, prev.pid, prev.timestamp, prev.hostname, str(n))
        else:
            yield make(text, None, None, None, None, str(n))


def decode_lines(raws: list[bytes]) -> list[str]:
    r"""Lines of bytes as text, without a trailing ``\r`` (invalid UTF-8 replaced).

    A chunk of valid UTF-8 (almost every chunk) is decoded in one call, which gives the
    same text as decoding its lines one by one, at a fraction of the cost.
    """
    if not raws:
        return []
    blob = b"\n".join(raws)
    try:
        texts = blob.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return [raw.decode("utf-8", "replace").rstrip("\r") for raw in raws]
    if b"\r" in blob:
        return [text.rstrip("\r") for text in texts]
    return texts


class VerboseStream:
    """Verbose lines of one followed stream -> LogLines positioned as ``<anchor>:<n>``.

    The n-th entry after `anchor` is at ``<anchor>:<n>``, the i-th further line of its
    MESSAGE at ``<anchor>:<n>+<i>`` (sources/logs.py). A continuation line before any entry
    (the reply began inside a MESSAGE) is dropped. The parse of `_verbose_lines`, inlined:
    this is the hot path of a replay.
    """

    def __init__(self) -> None:
        """Start outside any entry."""
        self._previous: LogLine | None = None
        self._further = 0

    def parse(self, raws: list[bytes], anchor: str | None,
              skip: int) -> tuple[list[LogLine], int]:
        """The LogLines of `raws` and how many entries began among them.

        `skip` is the number of entries after `anchor` before the first of `raws`; without
        an anchor positions are empty.

        The entries of one process within one minute share their prefix but for the
        seconds: once one is matched in full, the next ones are recognised by that minute,
        the seconds (`_SECONDS`) and the same ``<hostname> <identifier>[<pid>]: ``, at a
        fraction of the whole form's cost. That is exact: the fast form matches the minute
        and seconds in one way only, and its rest reads nothing beyond ``: ``, greedily and
        without going back (a host has no space; an identifier has no space, ``[`` or
        ``:``; a PID is all digits), so the same text there is matched the same way, into
        the same groups.
        """
        make = make_line
        match = _VERBOSE_FAST.match
        slow = _VERBOSE.match
        seconds_at = _SECONDS.match
        minute = minute_epoch
        minutes = MINUTE_CACHE
        previous, further = self._previous, self._further
        out: list[LogLine] = []
        n = skip
        # The entry matched last in full: its minute (``YYYY-MM-DD HH:MM``), what follows its
        # seconds (``<hostname> <identifier>[<pid>]: ``) and their values. "\n": no line yet
        # (no line holds one).
        same_minute = same_rest = "\n"
        same_at, same_end = 0, 0  # where that rest starts and ends in its line
        same_base, same_host, same_identifier, same_pid = 0.0, None, None, None
        for text in decode_lines(raws):
            if text.startswith(same_minute) and text.startswith(same_rest, same_at) \
                    and (s := seconds_at(text, 16)) is not None and s.end() == same_at:
                previous = make(
                    text[same_end:],
                    same_identifier,
                    same_pid,
                    same_base + float(s[1]),
                    same_host,
                    f"{anchor}:{n}" if anchor else "",
                )
                further = 0
                n += 1
                out.append(previous)
                continue
            m = fast = match(text)
            if m is None and text[19:20] == ".":
                m = slow(text)
            if m is not None:
                prefix, seconds, hostname, identifier, number = m.groups()
                base = minutes.get(prefix)
                if base is None:
                    base = minute(prefix)
                pid = int(number) if number else None
                previous = make(
                    text[m.end():],
                    identifier,
                    pid,
                    base + float(seconds),
                    hostname,
                    f"{anchor}:{n}" if anchor else "",
                )
                further = 0
                n += 1
                out.append(previous)
                if fast is not None and text.endswith(" ", 0, m.end()):  # (not at `$`)
                    same_at, same_end = m.start(3), m.end()
                    same_minute, same_rest = prefix, text[same_at:same_end]
                    same_base, same_host, same_identifier, same_pid = (base, hostname,
                                                                       identifier, pid)
            elif previous is not None:
                further += 1
                out.append(make(text, previous.identifier, previous.pid, previous.timestamp,
                                previous.hostname,
                                f"{previous.position}+{further}" if previous.position else ""))
        self._previous, self._further = previous, further
        return out, n - skip


_SECONDS: Final = re.compile(r":(\d\d\.\d{1,6}) ")  # the fast form's seconds, after the minute


def _never(_text: str) -> None:
    """A matcher that never matches."""


def _other_line(text: str, position: str, prev: LogLine | None, column: int,
                fmt: Format) -> tuple[LogLine | None, int]:
    """A line that is not in the verbose fast form: (its LogLine or None, message column).

    None with column -1: a marker or fence (skipped; it ends the entry before it). None
    with a column >= 0 cannot happen; a LogLine with column 0 continues nothing.
    """
    text = unquote(text)
    if fmt == "text":
        m = _match_verbose(text)
        if m is not None:
            prefix, seconds, hostname, identifier, pid = m.groups()
            return make_line(text[m.end():], identifier, int(pid) if pid else None,
                             minute_epoch(prefix) + float(seconds), hostname, position), 0
        if is_fence(text):
            return None, -1
    short = parse_short(text)
    if short is not None:
        message, identifier, pid, stamp, host, at = short
        return make_line(untab(message), identifier, pid, stamp, host, position), at
    if is_marker(text):
        return None, -1
    if prev is None:
        return make_line(text, None, None, None, None, position), 0
    if column and (text[:column].isspace() or not text.strip()):
        text = untab(text[column:])
    return make_line(text, prev.identifier, prev.pid, prev.timestamp, prev.hostname,
                     position), column


def _plain_lines(lines: Iterable[bytes | bytearray], first: int = 1) -> Iterator[LogLine]:
    """LogLines of plain text (MESSAGE only); `first` is the first line's number."""
    make = make_line
    for n, raw in enumerate(lines, first):
        text = raw.decode("utf-8", "replace")
        if text and text[-1] == "\r":
            text = text[:-1]
        yield make(text, None, None, None, None, str(n))


# --------------------------------------------------------------------------------------
# journal export / json
# --------------------------------------------------------------------------------------


class _ChunkRaw(io.RawIOBase):
    """A raw stream over an iterator of chunks (so io.BufferedReader can do the work)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill `buffer` from the pending chunk (0 at the end)."""
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        view = memoryview(buffer)
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _entry_lines(fields: dict[str, bytes], number: int) -> Iterator[LogLine]:
    """The LogLines of one journal entry (one per line of its MESSAGE)."""
    message = fields.get("MESSAGE")
    if message is None:
        return
    text = message.decode("utf-8", "replace")
    identifier = _text(fields.get("SYSLOG_IDENTIFIER")) or _text(fields.get("_COMM"))
    pid = _int(fields.get("_PID")) or _int(fields.get("SYSLOG_PID"))
    ts_us = _int(fields.get("__REALTIME_TIMESTAMP"))
    timestamp = ts_us / 1e6 if ts_us else None
    hostname = _text(fields.get("_HOSTNAME"))
    cursor = _text(fields.get("__CURSOR")) or str(number)
    kept = tuple(
        (key, value.decode("utf-8", "replace")[:MAX_KEPT_FIELD_CHARS])
        for key, value in sorted(fields.items()) if key in KEPT_FIELDS
    )
    parts = text.split("\n")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    for i, part in enumerate(parts):
        yield JournalLine(part[:-1] if part.endswith("\r") else part, identifier, pid,
                          timestamp, hostname, cursor if i == 0 else f"{cursor}+{i}", kept)


def _text(value: bytes | None) -> str | None:
    """A short field as text (None when absent or empty)."""
    if not value:
        return None
    return value.decode("utf-8", "replace")


def _int(value: bytes | None) -> int | None:
    """A numeric field (None when absent or not a number)."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _export_lines(reader: io.BufferedIOBase) -> Iterator[LogLine]:
    """LogLines of ``journalctl -o export`` input (binary-safe, bounded)."""
    readline = reader.readline
    read = reader.read
    fields: dict[str, bytes] = {}
    number = 0
    while True:
        raw = readline(MAX_LINE_BYTES + 1)
        if not raw:
            break
        if not raw.endswith(b"\n"):
            if len(raw) > MAX_LINE_BYTES:  # an over-long text field: cut, skip its tail
                raw = _cut(raw)
                while True:
                    rest = readline(CHUNK_BYTES)
                    if not rest or rest.endswith(b"\n"):
                        break
        else:
            raw = raw[:-1]
        if not raw:
            if fields:
                number += 1
                yield from _entry_lines(fields, number)
                fields = {}
            continue
        eq = raw.find(b"=")
        if eq > 0:
            key = raw[:eq].decode("ascii", "replace")
            if key in KEPT_FIELDS or key in _ENTRY_FIELDS:
                fields[key] = raw[eq + 1:]
            continue
        # A binary field: KEY\n<le64 size><data>\n
        key = raw.decode("ascii", "replace")
        size_raw = read(8)
        if len(size_raw) < 8:
            break
        (size,) = struct.unpack("<Q", size_raw)
        keep = key in KEPT_FIELDS or key in _ENTRY_FIELDS
        value = read(min(size, MAX_FIELD_BYTES)) if keep else b""
        if keep:
            if size > MAX_FIELD_BYTES:
                value += TRUNCATION_MARKER.encode()
            fields[key] = value
        remaining = size - (min(size, MAX_FIELD_BYTES) if keep else 0)
        while remaining > 0:
            got = read(min(remaining, CHUNK_BYTES))
            if not got:
                break
            remaining -= len(got)
        read(1)  # the newline after the data
    if fields:
        number += 1
        yield from _entry_lines(fields, number)


_ENTRY_FIELDS = frozenset({
    "MESSAGE", "SYSLOG_IDENTIFIER", "_PID", "SYSLOG_PID", "__REALTIME_TIMESTAMP",
    "_HOSTNAME", "__CURSOR", "_COMM",
})


def _json_value(value: object) -> bytes | None:
    """One JSON journal value as bytes (the first of a repeated field)."""
    if isinstance(value, list) and value and not isinstance(value[0], int):
        value = value[0]
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, list):
        try:
            return bytes(v & 0xFF for v in value[:MAX_FIELD_BYTES] if isinstance(v, int))
        except (TypeError, ValueError):
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value).encode()
    return None


def _json_lines(lines: Iterable[bytes]) -> Iterator[LogLine]:
    """LogLines of ``journalctl -o json`` input (an unreadable entry is skipped)."""
    number = 0
    for raw in lines:
        if not raw.strip():
            continue
        number += 1
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if not isinstance(obj, dict):
            continue
        fields: dict[str, bytes] = {}
        for key, value in obj.items():
            if key in KEPT_FIELDS or key in _ENTRY_FIELDS:
                got = _json_value(value)
                if got is not None:
                    fields[key] = got
        yield from _entry_lines(fields, number)


def sniff(stream: BinaryIO | Iterable[bytes],
          fmt: Format | None = None) -> tuple[Format, Iterator[bytes]]:
    """The input's format and all of its bytes as chunks.

    Detected unless `fmt` is given: "json", "export", or "text" (every line's form
    recognised on its own).
    """
    chunks = _chunks(stream)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    if fmt is None:
        found = detect_format(head[:SNIFF_BYTES])
        fmt = found if found in ("json", "export") else "text"
    return fmt, itertools.chain((head,), chunks)


# Any prefix of an entry's first line, on raw bytes (the prefilter aligns to entries).
ENTRY_PREFIX_BYTES = re.compile(
    rb"(?:> ?)?" + VERBOSE_PREFIX_BYTES.pattern + rb"|" + SHORT_PREFIX_BYTES.pattern)


def text_lines(fmt: Format, lines: Iterable[bytes | bytearray], first: int = 1,
               prev: LogLine | None = None,
               columns: list[int] | None = None) -> Iterator[LogLine]:
    """LogLines of text input from its raw lines (`fmt` "plain"/"cat": no prefixes at all).

    `first` is the first line's number, `prev` a line of the entry that the first lines
    may continue, `columns[0]` that entry's message column (updated as lines are read).
    """
    if fmt in ("plain", "cat"):
        return _plain_lines(lines, first)
    return _verbose_lines(lines, first, prev, fmt, columns)


def read_log_lines(stream: BinaryIO | Iterable[bytes],
                   fmt: Format | None = None) -> Iterator[LogLine]:
    """Every LogLine of a log in any supported format (detected unless `fmt` is given)."""
    fmt, everything = sniff(stream, fmt)
    if fmt in TEXT_FORMATS:
        return text_lines(fmt, split_lines(everything))
    if fmt == "json":
        return _json_lines(split_lines(everything, MAX_JSON_ENTRY_BYTES))
    reader = io.BufferedReader(_ChunkRaw(everything), buffer_size=CHUNK_BYTES)
    return _export_lines(reader)
