r"""Python tracebacks in one process's log -> Crash.

Grammar (CPython 3.10 .. 3.13, as `traceback` prints it; one journal entry per line):

    <log header> <message>                 the Supervisor's logging format (optional):
    [<message continues>...]               `[ESC[31m]YYYY-MM-DD HH:MM:SS.mmm LEVEL (Thread)
                                           [logger] message`; colour reset ends the record
    Traceback (most recent call last):     (absent for an exception without a traceback)
      File "<path>", line <n>, in <func>
        <source line>                      (optional)
        <caret line ~~~^^^>                (3.11+, optional; 3.13 may print several source
                                            lines of one statement)
      [Previous line repeated <N> more times]
      File "<path>", line <n>              a SyntaxError's location, then source and caret
    <qualified type>[: <value>]
    [<value continues / notes>...]
    <blank>
    The above exception was the direct cause of the following exception:   (or "During
    <blank>                                handling of the above exception, another ...")
    Traceback (most recent call last): ... the next exception of the chain

Exception groups (3.11+) print inside a margin: `  + Exception Group Traceback ...`, then
`  | ` before every line of the group, `  +-+---------------- 1 ----------------` before
each sub-exception (whose lines get a deeper `    | ` margin) and `+------...` at the end.

A record starts at a log header whose message may continue (no colour reset yet), at a bare
`Traceback` line (an uncaught exception on stderr: level "fatal"; asyncio's and threading's
"Task exception was never retrieved" / "Exception in thread" lines just before it become its
message, level "error"), or at a `Type: value` / SyntaxError location line that a chain
marker or SyntaxError confirms; those last three never start with a colour code (colorlog
colours a record's first line, its header). A traceback right after a log line that already
ended with the reset is that record's only if the traceback ends with a reset too (colorlog
without a queue handler); else it is bare. A record ends at the colour reset, at the next
log header, at a line that does not fit the grammar (outside a coloured record: another
writer's line, a blank line not followed by a chain marker, a new frame block), at a gap of
RECORD_TIMEOUT_S, on `expire` or on `flush`. Only a record with an exception line or a frame
is a crash; a line that merely mentions "Traceback" is not. Tracebacks logged below ERROR
are not crashes (contracts.md). Exceptions are OLDEST FIRST (Sentry's order); a group
precedes its sub-exceptions, which carry its index in `parent`.

Frames are in-app when their module (derived from the path, see `module_of`) is in
APP_PACKAGES. The signature is the exception types and in-app functions (`module:function`,
each once), or the innermost frame when none is in-app: never values, line numbers, paths.

Python prints an exception's notes right after its value, so a multi-line value and notes
look alike: the lines after the value line continue the VALUE when the value's first line
ends with ":" or the next line is indented, else they are NOTES (the event shows both the
same way: value then notes).

Memory is fixed whatever the input: lines are cut to MAX_LINE_CHARS, each exception keeps its
HEAD_FRAMES outermost and TAIL_FRAMES innermost frames (the number cut is reported in
`extra`), at most MAX_EXCEPTIONS exceptions and MAX_VALUE_LINES value/note lines each.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field, replace
from typing import TypeGuard

from crash_reporter.const import COMPONENT_SUPERVISOR
from crash_reporter.detect import (
    BREADCRUMB_LINES,
    MAX_CRASH_LINES,
    RECORD_BURST_S,
    RECORD_TIMEOUT_S,
    RecordDetector,
    component_for,
    number,
    occurrence_of,
)
from crash_reporter.models import Crash, CrashKind, ExceptionInfo, Frame, LogLine, strip_ansi

_LOGGER = logging.getLogger(__name__)

APP_PACKAGES: tuple[str, ...] = ("supervisor",)  # top-level packages that are in-app code
MAX_LINE_CHARS = 8192  # a longer line is cut (a 10 MB line costs no more than this)
MAX_VALUE_CHARS = 4096  # an exception value / message is cut here
MAX_VALUE_LINES = 40  # value + note lines kept per exception
MAX_MESSAGE_LINES = 20  # lines of a log message waited through for its traceback
MAX_LOOKAHEAD = 8  # lines held while a `Type: value` line waits for a chain marker
MAX_GROUP_DEPTH = 32  # margins deeper than this are not Python's (it stops at depth 10)
HEAD_FRAMES = 50  # outermost frames kept per exception
TAIL_FRAMES = 100  # innermost frames kept per exception
MAX_EXCEPTIONS = 25  # exceptions kept per record (chain members + group members)
VALUE_GAP_S = 1.0  # an uncoloured value line this much later than the last is not its part
SAME_RECORD_S = 0.05  # a traceback this close to an uncoloured INFO/WARNING header is its own
MAX_EPOCH = 253_402_300_800.0  # 10000-01-01: later (or NaN) is no time at all
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})
TRUNCATED = " [... truncated by crash_reporter]"
assert (HEAD_FRAMES + TAIL_FRAMES + MAX_VALUE_LINES) * MAX_EXCEPTIONS + MAX_MESSAGE_LINES \
    + MAX_LOOKAHEAD <= MAX_CRASH_LINES  # the held lines of one record stay within the limit

_TRACEBACK = "Traceback (most recent call last):"
_GROUP_TRACEBACK = "Exception Group Traceback (most recent call last):"
_TOP_GROUP = "  + " + _GROUP_TRACEBACK
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"
_RESET = ("\x1b[0m", "\x1b[m")

_HEADER = re.compile(
    r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?) +"
    r"(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG|NOTSET) +\((.*?)\) +\[([^\]\s]+)\] ?(.*)"
)
_BASIC_HEADER = re.compile(r"(CRITICAL|ERROR|WARNING|INFO|DEBUG):([A-Za-z_][\w.\-]*):(.*)")
_FILE = re.compile(r'  File "(.*)", line (\d+), in (.+?)\s*$')
_SYNTAX_FILE = re.compile(r'  File "(.*)", line (\d+)\s*$')
_REPEATED = re.compile(r"  \[Previous line repeated (\d+) more times?\]\s*$")
_NAME = r"[^\W\d]\w*"
_TYPE = re.compile(rf"({_NAME}(?:\.(?:<locals>|{_NAME}))*)(?:: (.*)|:)?$")
_STRICT_TYPE = re.compile(rf"(?:{_NAME}\.)*[A-Z]\w*(?:: .*|:)?$")  # a class-like name
_CARET = re.compile(r"\s*[\^~][\^~ ]*$")
_MARGIN = re.compile(r"((?:  )+)([|+])(?: |$)")
_SEPARATOR = re.compile(r"( *)(\+-)?\+-{10,} (?:\d+|\.\.\.) -{10,}\s*$")
_CLOSE = re.compile(r"( *)\+-{20,}\s*$")
_GROUP_NOTE = re.compile(r"(?:and (\d+) more exceptions?|\.\.\. \(max_group_depth is \d+\))\s*$")
_FOREIGN = re.compile(  # lines of other writers in the same stream (s6-overlay, bashio, Go)
    r"(?:\[\d\d:\d\d:\d\d\] [A-Z]+:|s6-[\w-]+:|cont-init:|cont-finish:|services-up:"
    r"|\[(?:cont-init|cont-finish|services)\.d\]|panic: |fatal error: |goroutine \d+ \["
    r"|(?:INFO|WARNING|ERROR|DEBUG|CRITICAL): )"
)
_MARKERS = ("Task exception was never retrieved", "Exception in callback ",
            "Exception in thread ", "Exception ignored in: ")
_MARKER_CONT = ("future: <", "handle: <", "protocol: <", "transport: <")

_SITE = re.compile(r"/(?:site|dist)-packages/(.+?)\.py[cw]?$")
_APP_TREE = re.compile(r"^(?:.*/)?supervisor/(supervisor/.+?)\.py[cw]?$")  # a checkout
_STDLIB = re.compile(r"/lib/python\d+(?:\.\d+)?t?/(.+?)\.py[cw]?$")
_FROZEN = re.compile(r"<frozen ([\w.]+)>$")
_IDENT = re.compile(r"[^\W\d]\w*$")

# how a line may continue an exception value at the top level (outside a group's margin)
_LOOSE = 2  # inside a coloured record before its reset: every line is the record's
_PLAUSIBLE = 1  # an uncoloured line that may continue the value
_NO = 0  # a line of another writer


def module_of(path: str) -> tuple[str | None, str]:
    """The dotted module of a source path and the path to show (relative when known).

    ``/usr/src/supervisor/supervisor/host/network.py`` -> ``supervisor.host.network``;
    ``.../site-packages/aiohttp/web_app.py`` -> ``aiohttp.web_app``;
    ``/usr/local/lib/python3.13/asyncio/tasks.py`` -> ``asyncio.tasks``;
    ``<frozen runpy>`` -> ``runpy``; anything else -> the file's stem (never a directory, so
    no user name gets in), or None for ``<string>`` and the like.
    """
    frozen = _FROZEN.match(path)
    if frozen:
        return frozen.group(1), path
    if path.startswith("<"):
        return None, path
    for pattern in (_SITE, _APP_TREE, _STDLIB):
        m = pattern.search(path)
        if m is None:
            continue
        parts = m.group(1).split("/")
        if all(_IDENT.match(p) for p in parts):
            relative = m.group(1) + path[m.end(1):]
            if parts[-1] == "__init__" and len(parts) > 1:
                parts.pop()
            return ".".join(parts), relative
        if pattern is _APP_TREE:
            break
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    return (stem if _IDENT.match(stem) else None), path


def is_in_app(module: str | None, app_packages: tuple[str, ...] = APP_PACKAGES) -> bool:
    """Is a frame's module the application's own code (the Supervisor)?"""
    if not module:
        return False
    top = module.split(".", 1)[0]
    return top in app_packages


def _finite(value: float | None) -> TypeGuard[float]:
    """Is `value` a usable time (epoch seconds that a datetime can hold)?"""
    return value is not None and 0.0 <= value < MAX_EPOCH


def _clean(text: str) -> str:
    """Cut an over-long line and replace what is not valid Unicode (lone surrogates)."""
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + TRUNCATED
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    return text


@dataclass(slots=True)
class _Frame:
    """A frame as read (mutable until its source line arrives)."""

    filename: str
    lineno: int | None  # None: more digits than a line number has (the line keeps them)
    function: str
    context: str | None = None
    repeated: int = 0


@dataclass(slots=True)
class _Exc:
    """One exception as read."""

    relation: str | None = None
    parent: int | None = None
    is_group: bool = False
    has_traceback: bool = True
    type: str = ""
    value: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    to_notes: bool | None = None  # where continuation lines go (decided at the first one)
    cut_value: bool = False
    chars: int = 0
    head: list[_Frame] = field(default_factory=list)
    tail: deque[_Frame] = field(default_factory=lambda: deque(maxlen=TAIL_FRAMES))
    cut: int = 0  # frames dropped between head and tail
    last: _Frame | None = None
    syntax: tuple[str, str] | None = None  # a SyntaxError's file and line (as printed)

    def add_frame(self, frame: _Frame) -> None:
        """Keep the outermost HEAD_FRAMES and the innermost TAIL_FRAMES frames."""
        if len(self.head) < HEAD_FRAMES:
            self.head.append(frame)
        else:
            if len(self.tail) == TAIL_FRAMES:
                self.cut += 1
            self.tail.append(frame)
        self.last = frame

    def add_text(self, text: str) -> None:
        """A line after the value line: more value, or a note."""
        if self.to_notes is None:
            first = self.value[0] if self.value else ""
            self.to_notes = not (first.rstrip().endswith(":") or text[:1].isspace()
                                 or not text)
        target = self.notes if self.to_notes else self.value
        if len(self.value) + len(self.notes) >= MAX_VALUE_LINES or \
                self.chars + len(text) > MAX_VALUE_CHARS:
            self.cut_value = True
            return
        self.chars += len(text)
        target.append(text)

    def held(self) -> int:
        """Lines and frames this exception holds."""
        return len(self.head) + len(self.tail) + len(self.value) + len(self.notes)


_IDLE, _FRAMES, _VALUE = 0, 1, 2


@dataclass(slots=True)
class _Chain:
    """The chain being read at one margin depth (the top level, or one group member)."""

    exc: _Exc | None = None
    phase: int = _IDLE
    relation: str | None = None  # for the next exception of this chain
    blanks: int = 0  # blank lines after a value, not yet known to be part of it
    expect_source: bool = False  # the next indented line is the last frame's source
    in_syntax: bool = False  # inside a SyntaxError's location block


class _Traceback:
    """Incremental parser of one printed exception (chain, groups) in fixed memory."""

    def __init__(self) -> None:
        self.excs: list[_Exc] = []
        self.chains: dict[int, _Chain] = {1: _Chain()}
        self.groups: dict[int, int | None] = {}  # margin -> index of the group (None: dropped)
        self.group_mode = False
        self.dropped = 0  # exceptions not kept (over MAX_EXCEPTIONS)
        self.unprinted = 0  # group members Python did not print ("and N more exceptions")

    def held(self) -> int:
        """Lines and frames held."""
        return sum(e.held() for e in self.excs)

    def in_frames(self) -> bool:
        """Is a top-level traceback between its `Traceback` line and its exception line?"""
        return not self.group_mode and self.chains[1].phase == _FRAMES

    def complete(self) -> bool:
        """Has an exception line or a frame been read?"""
        return any(e.type or e.head for e in self.excs)

    def feed(self, content: str, cont: int) -> bool:
        """Take one line (ANSI codes removed); False if it does not belong to the traceback."""
        margin = 0
        body = content
        if self.group_mode or content.startswith((_TOP_GROUP, "  +-+")):
            sep = _SEPARATOR.match(content)
            if sep:
                offset = 2 if sep.group(2) else 0
                return self._separator((len(sep.group(1)) + offset) // 2)
            close = _CLOSE.match(content)
            if close:
                return self.group_mode
            mm = _MARGIN.match(content)
            if mm:
                margin = len(mm.group(1)) // 2
                if margin > MAX_GROUP_DEPTH:
                    return False
                body = content[mm.end():]
                if mm.group(2) == "+" and body.rstrip() != _GROUP_TRACEBACK:
                    return False
                self.group_mode = True
        key = max(margin, 1)
        chain = self.chains.get(key)
        if chain is None:
            chain = self.chains[key] = _Chain()
        return self._line(chain, key, body, _LOOSE if margin else cont)

    def _separator(self, child_margin: int) -> bool:
        """`+-+---- N ----`: the next member of the group one margin up."""
        if not 2 <= child_margin <= MAX_GROUP_DEPTH:
            return False
        group = self.chains.get(max(child_margin - 1, 1))
        if group is None or group.exc is None:
            return False
        group.exc.is_group = True
        index: int | None = None
        for i in range(len(self.excs) - 1, -1, -1):
            if self.excs[i] is group.exc:
                index = i
                break
        self.groups[child_margin] = index
        self.group_mode = True
        for deeper in [k for k in self.chains if k >= child_margin]:
            del self.chains[deeper]
        self.chains[child_margin] = _Chain()
        return True

    def _new(self, chain: _Chain, key: int, *, has_traceback: bool) -> _Exc:
        """Start the next exception of `chain`."""
        parent: int | None = None
        keep = True
        if key >= 2:
            parent = self.groups.get(key)
            keep = parent is not None
        exc = _Exc(relation=chain.relation, parent=parent, has_traceback=has_traceback)
        chain.exc = exc
        chain.relation = None
        chain.blanks = 0
        chain.expect_source = chain.in_syntax = False
        if keep and len(self.excs) >= MAX_EXCEPTIONS:
            if key == 1:  # the newest top-level exception matters most: drop the last kept
                dropped = len(self.excs) - 1
                self.excs.pop()
                for margin, index in self.groups.items():
                    if index == dropped:
                        self.groups[margin] = None
            else:
                keep = False
            self.dropped += 1
        elif not keep:
            self.dropped += 1
        if keep:
            self.excs.append(exc)
        return exc

    def _line(self, chain: _Chain, key: int, body: str, cont: int) -> bool:
        """One line of the chain at `key`."""
        stripped = body.rstrip()
        phase = chain.phase
        exc = chain.exc
        if not stripped:
            if phase == _VALUE:
                chain.blanks += 1
                return True
            return phase == _IDLE and (key > 1 or bool(self.excs) or chain.relation is not None)
        if stripped in (_CAUSE, _CONTEXT):
            if phase != _VALUE:
                return False
            chain.relation = "cause" if stripped == _CAUSE else "context"
            chain.phase = _IDLE
            chain.blanks = 0
            return True
        if stripped in (_TRACEBACK, _GROUP_TRACEBACK):
            if phase != _IDLE:
                return False
            exc = self._new(chain, key, has_traceback=True)
            exc.is_group = stripped == _GROUP_TRACEBACK
            chain.phase = _FRAMES
            return True
        if phase == _FRAMES and exc is not None:
            return self._frames_line(chain, exc, body, stripped)
        if phase == _IDLE:
            syntax = _SYNTAX_FILE.match(body)
            if syntax:  # a SyntaxError printed without a traceback
                exc = self._new(chain, key, has_traceback=False)
                exc.syntax = (syntax.group(1), syntax.group(2))
                chain.phase = _FRAMES
                chain.in_syntax = True
                return True
            if (key > 1 or chain.relation is not None or not self.excs) \
                    and _STRICT_TYPE.match(stripped):
                exc = self._new(chain, key, has_traceback=False)
                return self._type_line(chain, exc, stripped)
            note = _GROUP_NOTE.match(stripped) if key > 1 else None
            if note and note.group(1):
                self.unprinted += number(note.group(1)) or 0
            return note is not None
        if exc is None:
            return False
        # phase == _VALUE: the value continues, or notes follow
        if cont != _LOOSE and (cont == _NO or chain.blanks or body.startswith("  File ")):
            return False  # outside a coloured record, a new frame block is a new record
        for _ in range(chain.blanks):
            exc.add_text("")
        chain.blanks = 0
        exc.add_text(body.rstrip("\r"))
        return True

    def _frames_line(self, chain: _Chain, exc: _Exc, body: str, stripped: str) -> bool:
        """A line between `Traceback ...` and the exception line."""
        if body.startswith("  File "):
            fm = _FILE.match(body)
            if fm:
                exc.add_frame(_Frame(fm.group(1), number(fm.group(2)), fm.group(3)))
                chain.expect_source = True
                chain.in_syntax = False
                return True
            syntax = _SYNTAX_FILE.match(body)
            if syntax:
                exc.syntax = (syntax.group(1), syntax.group(2))
                chain.in_syntax = True
                chain.expect_source = False
                return True
            return False
        if body.startswith("    "):
            if chain.expect_source and not chain.in_syntax and exc.last is not None \
                    and not _CARET.match(body):
                exc.last.context = stripped.strip() or None
            chain.expect_source = False
            return True
        repeated = _REPEATED.match(body)
        if repeated:
            if exc.last is not None:
                exc.last.repeated = number(repeated.group(1)) or 0
            chain.expect_source = False
            return True
        if not exc.head and exc.syntax is None and not _STRICT_TYPE.match(stripped):
            return False  # "Traceback" then no frame and no class-like name: not Python's
        return self._type_line(chain, exc, stripped)

    @staticmethod
    def _type_line(chain: _Chain, exc: _Exc, stripped: str) -> bool:
        """`<type>: <value>`: the exception's last line (its value may continue)."""
        tm = _TYPE.match(stripped)
        if tm is None:
            return False
        exc.type = tm.group(1)
        value = tm.group(2) or ""
        if len(value) > MAX_VALUE_CHARS:
            value = value[:MAX_VALUE_CHARS]
            exc.cut_value = True
        exc.value = [value]
        exc.chars = len(value)
        chain.phase = _VALUE
        chain.blanks = 0
        return True


@dataclass(slots=True)
class _Record:
    """A record in progress.

    A log record awaiting its traceback, a traceback, or a `Type: value` line waiting for
    the chain marker that makes it an exception.
    """

    first: LogLine
    last_ts: float | None
    coloured: bool = False  # ends at the colour reset
    level: str | None = None  # "fatal" (uncaught), "error", None (below ERROR: not a crash)
    logger: str | None = None
    message: list[str] = field(default_factory=list)
    lines: list[LogLine] = field(default_factory=list)  # given back as breadcrumbs if no crash
    tb: _Traceback | None = None
    closed: bool = False  # the header line ended with the colour reset
    after_closed: bool = False  # the traceback followed a closed header: whose is it?
    tb_first: LogLine | None = None  # the traceback's first line (if after a closed header)
    last_reset: bool = False  # the last line taken ended with the colour reset
    pending: list[str] | None = None  # the lookahead of a `Type: value` candidate
    header_ts: float | None = None

    def held(self) -> int:
        """Lines and frames held."""
        return (len(self.message) + len(self.lines) + len(self.pending or ())
                + (self.tb.held() if self.tb else 0))


class PythonTracebackDetector(RecordDetector):
    """Streaming detector of Python tracebacks over ONE process stream (module docstring)."""

    label = "Python traceback detector"

    def __init__(self, default_component: str = COMPONENT_SUPERVISOR,
                 app_packages: tuple[str, ...] = APP_PACKAGES) -> None:
        """`default_component` applies to lines without an identifier (plain text)."""
        self._default = default_component
        self._app = app_packages
        self._rec: _Record | None = None
        self._lazy: LogLine | None = None  # a coloured line not read yet (see `_line`)
        self._crumbs: deque[LogLine] = deque(maxlen=BREADCRUMB_LINES)
        self._header: tuple[str, re.Match[str] | None] = ("", None)  # the last header match

    def held(self) -> int:
        """How many lines and frames the detector holds now (bounded; for tests)."""
        return len(self._crumbs) + (self._rec.held() if self._rec else 0) + (
            self._lazy is not None)

    def flush(self) -> list[Crash]:
        """End of input: close whatever is in progress."""
        if self._lazy is not None:
            self._crumbs.append(self._lazy)
            self._lazy = None
        return self._close()

    def busy(self) -> bool:
        """A traceback, or a SyntaxError's location line, is in progress.

        A log message waiting for its traceback, or a `Type: value` line waiting for a chain
        marker, only becomes a crash at a later `Traceback` / chain marker line.
        """
        rec = self._rec
        return rec is not None and (rec.tb is not None or (
            rec.pending is not None and rec.pending[0].startswith("  File ")))

    def _quiet_s(self) -> float:
        """An uncaught exception's traceback is printed at once: a short quiet ends it."""
        rec = self._rec
        if rec is not None and rec.tb is not None and rec.level == "fatal":
            return RECORD_BURST_S
        return RECORD_TIMEOUT_S

    def _forget(self) -> None:
        """Forget the breadcrumbs."""
        self._crumbs.clear()
        self._lazy = None

    # -- state machine ------------------------------------------------------------------

    def _line(self, line: LogLine, text: str) -> list[Crash]:
        """Process one physical line.

        A coloured line (colorlog: the first line of a log record) while nothing is in
        progress is only held, unread: the next line of the process shows whether anything
        continues it. Another coloured line closes it unread (it becomes a breadcrumb, as a
        closed record's lines do); any other line has it read first. Most log lines are
        thus never parsed.
        """
        if len(text) > MAX_LINE_CHARS or not text.isascii():  # (most lines: neither)
            text = _clean(text)
        if text is not line.text:
            line = replace(line, text=text)
        ts = line.timestamp
        if ts is not None and not 0.0 <= ts < MAX_EPOCH:  # (NaN too)
            line = replace(line, timestamp=None)
        lazy = self._lazy
        if text.startswith("\x1b[") and self._rec is None:
            if lazy is not None:
                self._crumbs.append(lazy)
            self._lazy = line
            return []
        if lazy is not None:
            self._lazy = None
            return self._read(lazy, lazy.text) + self._read(line, text)
        return self._read(line, text)

    def _read(self, line: LogLine, text: str) -> list[Crash]:
        """Process one physical line (cleaned)."""
        colour_start = colour_end = False
        plain = text
        if "\x1b" in text:
            colour_start = text.startswith("\x1b[")
            colour_end = text.endswith(_RESET) or text.rstrip().endswith(_RESET)
            plain = strip_ansi(text)
        rec = self._rec
        out: list[Crash] = []
        if rec is not None:
            consumed, out = self._continue(rec, line, plain, colour_start, colour_end)
            if consumed:
                return out
        return out + self._idle(line, plain, colour_start, colour_end)

    def _idle(self, line: LogLine, plain: str, colour_start: bool,
              colour_end: bool) -> list[Crash]:
        """A line while no record is in progress."""
        head = plain[:1]
        if head.isdigit():
            seen, header = self._header
            if seen is not plain:
                header = _HEADER.match(plain)
            if header:
                # colorlog without a queue handler resets after the header line and again
                # after the traceback: a closed coloured header may still get one
                self._rec = _Record(
                    first=line, last_ts=line.timestamp, coloured=colour_start,
                    closed=colour_end, level="error" if header.group(2) in ERROR_LEVELS
                    else None, logger=header.group(4), message=[header.group(5)],
                    lines=[line], header_ts=line.timestamp)
                return []
        elif head in {"T", " "} and not colour_start:  # a coloured line is a log line
            stripped = plain.rstrip()
            if stripped in (_TRACEBACK, _TOP_GROUP):
                self._start_bare(line, plain)
                return []
            if _SYNTAX_FILE.match(plain):
                self._rec = _Record(first=line, last_ts=line.timestamp, lines=[line],
                                    pending=[plain])
                return []
        if head.isalpha() or head == "_":
            basic = _BASIC_HEADER.match(plain)
            if basic:
                self._rec = _Record(
                    first=line, last_ts=line.timestamp,
                    level="error" if basic.group(1) in ERROR_LEVELS else None,
                    logger=basic.group(2), message=[basic.group(3)], lines=[line],
                    header_ts=line.timestamp)
                return []
            if not colour_start and _STRICT_TYPE.match(plain.rstrip()):
                self._rec = _Record(first=line, last_ts=line.timestamp, lines=[line],
                                    pending=[plain])
                return []
        self._crumbs.append(line)
        return []

    def _start_bare(self, line: LogLine, plain: str) -> None:
        """A `Traceback` line outside a log record: an uncaught exception.

        asyncio's and threading's reports of one ("Task exception was never retrieved", ...)
        print their introducing lines just before it: those become its message.
        """
        first = line
        message: list[str] = []
        level = "fatal"
        logger = None
        crumbs = list(self._crumbs)[-3:]
        for i, crumb in enumerate(crumbs):
            text = strip_ansi(crumb.text)
            if text.startswith(_MARKERS) and all(
                    c.text.startswith(_MARKER_CONT) for c in crumbs[i + 1:]):
                first = crumb
                message = [strip_ansi(c.text) for c in crumbs[i:]]
                level = "error"
                logger = "asyncio" if not text.startswith(("Exception in thread",
                                                            "Exception ignored")) else None
                for _ in crumbs[i:]:
                    self._crumbs.pop()
                break
        tb = _Traceback()
        tb.feed(plain, _PLAUSIBLE)
        self._rec = _Record(first=first, last_ts=line.timestamp, level=level, logger=logger,
                            message=message, tb=tb)

    def _continue(self, rec: _Record, line: LogLine, plain: str, colour_start: bool,
                  colour_end: bool) -> tuple[bool, list[Crash]]:
        """A line while a record is in progress: (consumed?, crashes completed)."""
        ts = line.timestamp
        if (ts is not None and rec.last_ts is not None and abs(ts - rec.last_ts)
                > RECORD_TIMEOUT_S) or (colour_start and (rec.coloured or rec.tb is None)):
            return False, self._close()
        head = plain[:1]
        if head.isdigit() and (header := _HEADER.match(plain)):
            self._header = (plain, header)
            if colour_start and colour_end and rec.tb is not None and not rec.coloured \
                    and rec.tb.in_frames():
                return True, []  # another thread's whole log line inside a bare traceback
            return False, self._close()
        if rec.pending is not None:
            return self._lookahead(rec, line, plain, colour_start)
        cont = _LOOSE if rec.coloured else (
            _PLAUSIBLE if self._plausible(rec, line, plain, colour_start) else _NO)
        if rec.tb is None:
            consumed = self._message_line(rec, line, plain, cont)
        else:
            consumed = rec.tb.feed(plain, cont)
        if not consumed:
            return False, self._close()
        if ts is not None:
            rec.last_ts = ts
        rec.last_reset = colour_end
        if rec.coloured and colour_end:
            return True, self._close()
        return True, []

    def _plausible(self, rec: _Record, line: LogLine, plain: str, colour_start: bool) -> bool:
        """May an uncoloured line continue the record (not another writer's line)?"""
        if colour_start or _FOREIGN.match(plain) or plain.startswith(_MARKERS):
            return False
        if rec.tb is None:
            return not _BASIC_HEADER.match(plain)
        ts = line.timestamp
        return ts is None or rec.last_ts is None or ts - rec.last_ts <= VALUE_GAP_S

    def _message_line(self, rec: _Record, line: LogLine, plain: str, cont: int) -> bool:
        """A line after a log header, before any traceback."""
        stripped = plain.rstrip()
        if rec.closed:
            # colorlog without a queue handler ends the header line with the reset and the
            # traceback's last line with another; a bare traceback after a complete log line
            # has no reset: which one it is shows at the end (`_close`)
            if stripped not in (_TRACEBACK, _TOP_GROUP) or cont == _NO:
                return False
            rec.closed = False
            rec.coloured = False
            rec.after_closed = True
            rec.tb_first = line
            rec.tb = _Traceback()
            return rec.tb.feed(plain, cont)
        if stripped in (_TRACEBACK, _TOP_GROUP):
            if not rec.coloured and (cont == _NO or (
                    rec.level is None and line.timestamp is not None
                    and rec.header_ts is not None
                    and abs(line.timestamp - rec.header_ts) > SAME_RECORD_S)):
                return False  # e.g. a bare traceback printed after an INFO line
            rec.tb = _Traceback()
            return rec.tb.feed(plain, cont)
        if stripped.startswith("  +-+") and len(rec.message) > 1 and _SEPARATOR.match(plain):
            # a group that was never raised: no traceback, its lines were taken as message
            start = len(rec.message)
            while start > 1 and rec.message[start - 1].startswith("  |"):
                start -= 1
            tb = _Traceback()
            tb.group_mode = True
            if start < len(rec.message) and all(tb.feed(text, _LOOSE)
                                                for text in rec.message[start:]) \
                    and tb.feed(plain, _LOOSE):
                del rec.message[start:]
                rec.tb = tb
                return True
        if stripped in (_CAUSE, _CONTEXT) and len(rec.message) > 1:
            # a chain whose first exception has no traceback: its lines are in the message
            for i in range(1, len(rec.message)):
                if _STRICT_TYPE.match(rec.message[i].rstrip()):
                    tb = _Traceback()
                    lines = rec.message[i:]
                    if all(tb.feed(text, _LOOSE) for text in lines) and tb.feed(plain, _LOOSE):
                        del rec.message[i:]
                        rec.tb = tb
                        return True
                    break
        if cont == _NO or len(rec.message) >= MAX_MESSAGE_LINES:
            return False
        rec.message.append(plain)
        if len(rec.lines) < BREADCRUMB_LINES:
            rec.lines.append(line)
        return True

    def _lookahead(self, rec: _Record, line: LogLine, plain: str,
                   colour_start: bool) -> tuple[bool, list[Crash]]:
        """A `Type: value` or SyntaxError location line waits to be confirmed."""
        pending = rec.pending
        assert pending is not None
        stripped = plain.rstrip()
        syntax = pending[0].startswith("  File ")
        confirm = not colour_start and (
            (not syntax and stripped in (_CAUSE, _CONTEXT)) or (
                syntax and not plain.startswith(" ") and _STRICT_TYPE.match(stripped) is not None))
        if confirm:
            tb = _Traceback()
            if all(tb.feed(text, _LOOSE) for text in pending) and tb.feed(plain, _LOOSE):
                rec.pending = None
                rec.tb = tb
                rec.level = "fatal"
                if line.timestamp is not None:
                    rec.last_ts = line.timestamp
                return True, []
            return False, self._close()
        fits = len(pending) < MAX_LOOKAHEAD and not colour_start and (
            plain.startswith("    ") if syntax
            else not stripped or not (_STRICT_TYPE.match(stripped) or _FOREIGN.match(plain)
                                      or stripped in (_TRACEBACK, _TOP_GROUP)
                                      or _SYNTAX_FILE.match(plain)))  # a SyntaxError's
        if not fits:
            return False, self._close()
        pending.append(plain)
        rec.lines.append(line)
        if line.timestamp is not None:
            rec.last_ts = line.timestamp
        return True, []

    # -- building the Crash -------------------------------------------------------------

    def _close(self) -> list[Crash]:
        """Finish the record in progress (nothing if it holds no traceback)."""
        rec, self._rec = self._rec, None
        if rec is None:
            return []
        tb = rec.tb
        if tb is None or not tb.complete():
            self._crumbs.extend(rec.lines)
            return []
        if rec.after_closed and not rec.last_reset and rec.tb_first is not None:
            self._crumbs.extend(rec.lines)  # the log line before a bare traceback
            rec = _Record(first=rec.tb_first, last_ts=rec.last_ts, level="fatal", tb=tb)
        if rec.level is None:  # logged below ERROR: not a crash (contracts.md)
            self._crumbs.extend(rec.lines[:1])
            return []
        crash = self._build(rec, tb)
        self._crumbs.clear()
        return [crash]

    def _frame(self, f: _Frame) -> Frame:
        """A Sentry frame from a frame as read."""
        module, shown = module_of(f.filename)
        return Frame(
            function=f.function,
            filename=shown,
            abs_path=f.filename,
            module=module,
            lineno=f.lineno,
            context_line=f.context,
            in_app=is_in_app(module, self._app),
            repeated=f.repeated,
        )

    def _build(self, rec: _Record, tb: _Traceback) -> Crash:
        """Turn a finished record into a Crash."""
        first = rec.first
        component = component_for(first.identifier, self._default)
        infos: list[ExceptionInfo] = []
        cut = 0
        syntax_at: list[str] = []
        for exc in tb.excs:
            frames = tuple(self._frame(f) for f in (*exc.head, *exc.tail))
            cut += exc.cut
            value = "\n".join(exc.value)
            notes = list(exc.notes)
            if exc.cut_value:
                if notes:
                    notes[-1] += TRUNCATED
                else:
                    value += TRUNCATED
            if exc.syntax is not None:
                syntax_at.append(f"{exc.syntax[0]}:{exc.syntax[1]}")
            exc_type = exc.type or "UnknownError"
            if not exc.type:
                value = "the traceback ended before its exception line"
            module, _dot, _name = exc_type.rpartition(".")
            infos.append(ExceptionInfo(
                type=exc_type,
                value=value,
                module=module if module and "<" not in module else None,
                frames=frames,
                notes=tuple(notes),
                relation=exc.relation if infos else None,
                is_group=exc.is_group,
                parent=exc.parent,
                has_traceback=exc.has_traceback,
            ))
        main = next((e for e in reversed(infos) if e.parent is None), infos[-1])
        first_value = main.value.split("\n", 1)[0]
        title = f"{main.type}: {first_value}" if first_value else main.type
        extra: list[tuple[str, str]] = []
        if cut:
            extra.append(("python.frames_omitted", str(cut)))
        if tb.dropped:
            extra.append(("python.exceptions_omitted", str(tb.dropped)))
        if tb.unprinted:
            extra.append(("python.group_members_not_printed", str(tb.unprinted)))
        if syntax_at:
            extra.append(("python.syntax_error_at", syntax_at[-1]))
        message = "\n".join(rec.message)[:MAX_VALUE_CHARS] if rec.message else None
        return Crash(
            kind=CrashKind.PYTHON,
            component=component,
            title=title[:512],
            platform="python",
            occurred_at=first.timestamp if _finite(first.timestamp) else 0.0,
            occurrence=occurrence_of(component, first),
            signature=self._signature(infos, tb),
            level="fatal" if rec.level == "fatal" else "error",
            exceptions=tuple(infos),
            logger=rec.logger,
            message=message,
            breadcrumbs=tuple(self._crumbs),
            extra=tuple(extra),
        )

    @staticmethod
    def _signature(infos: list[ExceptionInfo], tb: _Traceback) -> tuple[str, ...]:
        """Exception types and in-app functions (the innermost frame when none is in-app).

        Never values, line numbers or paths; repeats (recursion, a group's many alike
        members) count once, so the depth of a recursion or a group's size does not matter.
        """
        types = dict.fromkeys(e.type for e in infos)
        functions = dict.fromkeys(
            f"{f.module or '?'}:{f.function}" for e in infos for f in e.frames if f.in_app)
        if not functions:
            innermost = next((e.frames[-1] for e in reversed(infos) if e.frames), None)
            if innermost is not None:
                functions[f"{innermost.module or '?'}:{innermost.function}"] = None
        syntax = [e for e in tb.excs if e.syntax is not None]
        if syntax:
            module, _shown = module_of(syntax[-1].syntax[0])  # type: ignore[index]
            functions[f"syntax:{module or '?'}"] = None
        return ("python", *types, *functions)
