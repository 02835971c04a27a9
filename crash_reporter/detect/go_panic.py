r"""Go runtime crash output (panics, fatal errors, signals) in one process's log -> Crash.

Grammar (Go 1.19 .. 1.23, as the runtime prints it on stderr, one journal entry per line):

    panic: <value>[ [recovered]]          or  fatal error: <msg>   (or runtime:/SIGxxx: lines)
    \tpanic: <value of a re-panic>         (after a recovered panic)
    [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4d9fab]
    <blank>
    goroutine 1 [running]:                 (state may add ", N minutes", ", locked to thread")
    <pkg path>.<func or (*T).M>(<args>)    (args `...` when inlined)
    \t<file>:<line>[ +0x<offset>][ fp=.. sp=.. pc=..]
    ...N frames elided...
    created by <func>[ in goroutine N]
    \t<file>:<line> +0x<offset>
    <blank> goroutine 2 [...]: ...         (GOTRACEBACK=all/crash print every goroutine)

Frames print innermost first; Crash threads and exception frames are OLDEST FIRST. A record
ends at the first line that does not fit the grammar (after at least one goroutine), at the
next `panic:`, after MAX_CRASH_LINES, on `expire`, or on `flush`. A `panic:` line that is not
followed by a goroutine (a decoy in an ordinary message) gives nothing.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass, field

from crash_reporter.const import COMPONENT_OS_AGENT
from crash_reporter.detect import (
    BREADCRUMB_LINES,
    RECORD_BURST_S,
    RECORD_TIMEOUT_S,
    RecordDetector,
    component_for,
    number,
    occurrence_of,
)
from crash_reporter.models import (
    Crash,
    CrashKind,
    ExceptionInfo,
    Frame,
    LogLine,
    ThreadInfo,
    strip_ansi,
)

_LOGGER = logging.getLogger(__name__)

APP_MODULES: tuple[str, ...] = ("github.com/home-assistant/os-agent",)
MAX_HEADER_LINES = 60  # lines of a (multi-line) panic value waited through for a goroutine
MAX_VALUE_CHARS = 4096

_STARTS = ("panic: ", "fatal error: ", "runtime: ", "unexpected fault address ", "SIG")
_GOROUTINE = re.compile(
    r"goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:\s*$"
)
_FILE = re.compile(
    r"\t(.+?):(\d+)(?: \+0x([0-9a-fA-F]+))?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?\s*$"
)
_CREATED = re.compile(r"created by (\S+?)(?: in goroutine (\d+))?\s*$")
_ELIDED = re.compile(r"\.\.\.\s*(?:(\d+)|additional)\s+frames elided\.\.\.\s*$")
_SIGNAL = re.compile(r"\[signal (SIG[A-Z0-9]+)[^\]]*\]\s*$")
_BARE_SIGNAL = re.compile(r"(SIG[A-Z0-9]+): [a-z ]+$")
_RECOVERED = re.compile(r"\s*\[recovered(?:, [a-z]+)?\]\s*$")
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\d+")


def split_function(qualified: str) -> tuple[str | None, str]:
    """Split ``pkg/path.Func`` into (package path, function incl. receiver).

    The package ends at the first dot after the last slash (Go escapes dots of the last
    path element as %2e); a name without a package (``panic``) gives (None, name).
    """
    slash = qualified.rfind("/", 0, qualified.find("(") if "(" in qualified else len(qualified))
    dot = qualified.find(".", slash + 1)
    if dot <= 0:
        return None, qualified
    return qualified[:dot].replace("%2e", "."), qualified[dot + 1:]


def _function_of(line: str) -> str | None:
    """The function name of a frame line ``name(args)`` (None if it is not one)."""
    if not line.endswith(")") or line.startswith(("\t", " ")):
        return None
    depth = 0
    for i in range(len(line) - 1, -1, -1):
        ch = line[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                name = line[:i]
                if not name or " " in name:
                    return None
                return name
    return None


@dataclass(slots=True)
class _Goroutine:
    """One goroutine as printed (frames innermost first, as read)."""

    id: str
    state: str
    frames: list[Frame] = field(default_factory=list)
    created_by: str | None = None
    elided: bool = False
    pending: str | None = None  # a function line waiting for its file line
    in_created_by: bool = False


@dataclass(slots=True)
class _Record:
    """A crash in progress."""

    first: LogLine
    lines: int = 0
    last_ts: float | None = None
    panics: list[str] = field(default_factory=list)  # values, print order
    recovered: list[bool] = field(default_factory=list)
    fatal: str | None = None
    signal: str | None = None
    header: list[str] = field(default_factory=list)
    header_lines: list[LogLine] = field(default_factory=list)  # kept as breadcrumbs if a decoy
    goroutines: list[_Goroutine] = field(default_factory=list)
    runtime_stack: bool = False
    value_open: bool = False  # the last header line may continue on the next line
    continued: bool = False  # a value took a continuation line (so it may be a decoy)


class GoPanicDetector(RecordDetector):
    """Streaming detector of Go crashes over ONE process stream (see module docstring)."""

    label = "Go panic detector"

    def __init__(self, default_component: str = COMPONENT_OS_AGENT,
                 app_modules: tuple[str, ...] = APP_MODULES) -> None:
        """`default_component` applies to lines without an identifier (plain text)."""
        self._default = default_component
        self._app = app_modules
        self._rec: _Record | None = None
        self._crumbs: deque[LogLine] = deque(maxlen=BREADCRUMB_LINES)
        self._overflow = False

    # -- protocol -----------------------------------------------------------------------

    def feed(self, line: LogLine) -> list[Crash]:
        """Take the next line; return the crashes it completed (most lines: a breadcrumb)."""
        text = line.text
        if self._rec is None and not self._overflow and not text.startswith(_STARTS) \
                and "\n" not in text:
            self._crumbs.append(line)
            return []
        return super().feed(line)

    def busy(self) -> bool:
        """A goroutine was printed: the record will be a crash (a lone header may be a decoy)."""
        rec = self._rec
        return rec is not None and bool(rec.goroutines)

    def _quiet_s(self) -> float:
        """A goroutine dump is written at once by the dying runtime: a short quiet ends it."""
        return RECORD_BURST_S if self.busy() else RECORD_TIMEOUT_S

    def _forget(self) -> None:
        """Forget the breadcrumbs and the end of an over-long crash."""
        self._crumbs.clear()
        self._overflow = False

    # -- state machine ------------------------------------------------------------------

    def _line(self, line: LogLine, text: str) -> list[Crash]:
        """Process one physical line."""
        rec = self._rec
        if rec is None:
            if self._overflow:
                if self._in_grammar(text):
                    return []
                self._overflow = False
            if text.startswith(_STARTS) and self._is_start(text):
                self._start(line, text)
            else:
                self._crumbs.append(line)
            return []
        if self._count_line(line):
            self._overflow = True
            return self._close()
        if not rec.goroutines:
            return self._header_line(line, rec, text)
        if text.startswith(("panic: ", "fatal error: ")) and self._is_start(text):
            out = self._close()
            self._start(line, text)
            return out
        if self._body_line(rec, text):
            return []
        out = self._close()
        return out + self._line(line, text)

    def _is_start(self, text: str) -> bool:
        """Does this line open a Go crash record?"""
        if text.startswith(("panic: ", "fatal error: ", "unexpected fault address ")):
            return True
        if text.startswith("runtime: "):
            return "goroutine stack exceeds" in text or text.startswith("runtime: sp=")
        return _BARE_SIGNAL.match(text) is not None

    def _start(self, line: LogLine, text: str) -> None:
        """Open a record at its first line."""
        self._rec = _Record(first=line, lines=1, last_ts=line.timestamp)
        self._header(self._rec, text)
        self._rec.header_lines.append(line)

    def _header(self, rec: _Record, text: str) -> None:
        """Take one line of the header part (before the first goroutine)."""
        rec.header.append(text)
        stripped = text.lstrip("\t ")
        if stripped.startswith("panic: "):
            value = stripped[7:]
            recovered = _RECOVERED.search(value)
            if recovered:
                value = value[:recovered.start()]
            rec.panics.append(value[:MAX_VALUE_CHARS])
            rec.recovered.append(bool(recovered))
            rec.value_open = True
        elif stripped.startswith("fatal error: "):
            if rec.fatal is None:
                rec.fatal = stripped[13:][:MAX_VALUE_CHARS]
            rec.value_open = True
        elif (m := _SIGNAL.match(stripped)) or (m := _BARE_SIGNAL.match(stripped)):
            rec.signal = rec.signal or m.group(1)
            rec.value_open = False
        else:
            rec.value_open = rec.value_open and not stripped.startswith(("runtime: ", "PC="))

    def _header_line(self, line: LogLine, rec: _Record, text: str) -> list[Crash]:
        """A line while no goroutine has been seen yet."""
        gm = _GOROUTINE.match(text)
        if gm:
            rec.goroutines.append(_Goroutine(id=gm.group(1), state=gm.group(2)))
            return []
        if text == "runtime stack:":
            rec.runtime_stack = True
            rec.goroutines.append(_Goroutine(id="runtime", state="runtime stack"))
            return []
        stripped = text.lstrip("\t ")
        if (stripped.startswith(("panic: ", "fatal error: ", "[signal ", "runtime: ",
                                 "unexpected fault address ", "PC=", "[recovered"))
                or _BARE_SIGNAL.match(stripped) or not text.strip()):
            if text.startswith(("panic: ", "fatal error: ")) and (rec.continued or (
                    rec.panics and text.startswith("panic: ") and not any(rec.recovered))):
                # a second top-level panic before any goroutine: the first was a decoy
                self._crumbs.extend(rec.header_lines)
                self._start(line, text)
                return []
            self._header(rec, text)
            if len(rec.header_lines) < BREADCRUMB_LINES:
                rec.header_lines.append(line)
            return []
        if rec.value_open and len(rec.header) < MAX_HEADER_LINES:
            # the value of a panic / fatal error spans several lines
            if rec.fatal is not None and not rec.panics:
                rec.fatal = (rec.fatal + "\n" + text)[:MAX_VALUE_CHARS]
            elif rec.panics:
                rec.panics[-1] = (rec.panics[-1] + "\n" + text)[:MAX_VALUE_CHARS]
            rec.header.append(text)
            rec.continued = True
            if len(rec.header_lines) < BREADCRUMB_LINES:
                rec.header_lines.append(line)
            return []
        # not a Go crash after all (a decoy): forget it, treat the lines as ordinary
        self._crumbs.extend(rec.header_lines)
        self._rec = None
        return self._line(line, text)

    def _in_grammar(self, text: str) -> bool:
        """Could this line belong to a crash body? (used to skip an over-long crash)."""
        return (not text.strip() or text.startswith(("\t", "goroutine ", "created by ", "..."))
                or _function_of(text) is not None)

    def _body_line(self, rec: _Record, text: str) -> bool:
        """Take a line after the first goroutine header; False if it is not Go output."""
        g = rec.goroutines[-1]
        if text.startswith("\t"):
            fm = _FILE.match(text)
            if fm is None:
                # "\tgoroutine running on other thread; stack unavailable", morebuf=..., etc.
                return text.startswith(("\tgoroutine ", "\tmorebuf=", "\tsched=", "\tpanic: "))
            if g.in_created_by:
                g.in_created_by = False
                return True
            if g.pending is None:
                return True
            package, function = split_function(g.pending)
            filename = fm.group(1)
            g.frames.append(Frame(
                function=function,
                filename=filename,
                abs_path=filename,
                module=package,
                package=package,
                lineno=number(fm.group(2)),
                in_app=self._in_app(package, filename),
                instruction_addr=f"0x{fm.group(3)}" if fm.group(3) else None,
            ))
            g.pending = None
            return True
        if not text.strip():
            return True
        gm = _GOROUTINE.match(text)
        if gm:
            rec.goroutines.append(_Goroutine(id=gm.group(1), state=gm.group(2)))
            return True
        if text.startswith("created by "):
            cm = _CREATED.match(text)
            if cm:
                g.created_by = cm.group(1)
                g.in_created_by = True
                g.pending = None
                return True
            return False
        if _ELIDED.match(text):
            g.elided = True
            return True
        if text.startswith(("exit status ", "[originating from goroutine ")):
            return True
        name = _function_of(text)
        if name is not None:
            g.pending = name
            return True
        return False

    def _in_app(self, package: str | None, filename: str) -> bool:
        """Is a frame the application's own code?"""
        if package is None:
            return False
        if package == "main" or package.startswith("main."):
            return True
        for mod in self._app:
            if package == mod or package.startswith(mod + "/"):
                return True
            if filename.startswith(mod + "/"):
                return True
        return False

    # -- building the Crash -------------------------------------------------------------

    def _close(self) -> list[Crash]:
        """Finish the record in progress (nothing if it never reached a goroutine)."""
        rec, self._rec = self._rec, None
        if rec is None:
            return []
        real = [g for g in rec.goroutines if g.id != "runtime"]
        if not real:
            self._crumbs.extend(rec.header_lines)
            return []
        crash = self._build(rec, real)
        self._crumbs.clear()
        return [crash]

    def _build(self, rec: _Record, goroutines: list[_Goroutine]) -> Crash:
        """Turn a finished record into a Crash."""
        first = rec.first
        component = component_for(first.identifier, self._default)
        deadlock = rec.fatal is not None and "deadlock" in rec.fatal and not rec.panics
        crashed_id = None if deadlock else goroutines[0].id
        threads = tuple(
            ThreadInfo(
                id=g.id,
                name=f"goroutine {g.id}",
                state=g.state.split(",")[0].strip() or None,
                crashed=g.id == crashed_id,
                frames=tuple(reversed(g.frames)),
                created_by=g.created_by,
            )
            for g in goroutines
        )
        crashing = threads[0]
        exc_type, value, kind = self._classify(rec)
        notes: list[str] = []
        if len(rec.panics) > 1:
            notes += [f"{'recovered' if rec_ else 'panic'}: {v}"
                      for v, rec_ in zip(rec.panics[:-1], rec.recovered[:-1], strict=True)]
        if any(g.elided for g in goroutines):
            notes.append("some frames were elided by the Go runtime")
        frames = crashing.frames
        in_app_funcs = tuple(
            f"{f.package}.{f.function}" if f.package else f.function
            for f in frames if f.in_app
        )
        signature = ("go", exc_type, kind, *in_app_funcs)
        first_value = value.split("\n", 1)[0]
        title = f"{exc_type}: {first_value}" if first_value else exc_type
        extra: list[tuple[str, str]] = [("go.goroutines", str(len(goroutines)))]
        if any(g.elided for g in goroutines):
            extra.append(("go.frames_elided", "true"))
        return Crash(
            kind=CrashKind.GO,
            component=component,
            title=title[:512],
            platform="go",
            occurred_at=first.timestamp or 0.0,
            occurrence=occurrence_of(component, first),
            signature=signature,
            signal=rec.signal,
            exceptions=(ExceptionInfo(
                type=exc_type, value=value, module=None, frames=frames,
                notes=tuple(notes), has_traceback=True,
            ),),
            threads=threads,
            message=first.text[:MAX_VALUE_CHARS],
            breadcrumbs=tuple(self._crumbs),
            extra=tuple(extra),
        )

    @staticmethod
    def _classify(rec: _Record) -> tuple[str, str, str]:
        """(exception type, value, signature kind) of a record."""
        if rec.panics:
            value = rec.panics[-1]
            if value.startswith("runtime error: "):
                rest = value[len("runtime error: "):]
                return "runtime error", rest, _NUMBERS.sub("N", strip_ansi(rest))[:200]
            return "panic", value, ""
        if rec.fatal is not None:
            return "fatal error", rec.fatal, _NUMBERS.sub("N", rec.fatal.split("\n")[0])[:200]
        if rec.signal:
            return "signal", rec.signal, rec.signal
        return "fatal error", rec.header[0] if rec.header else "", ""
