"""Bulk reading: hand the detectors only the parts of a large log that can hold a crash.

A replay after a restart, or `crash-reporter scan` of a big journal, is mostly ordinary
lines, and any per-line work in Python costs several times what reading the bytes does. So
text input (verbose or plain) is cut into blocks of about BLOCK_BYTES on line ends, and a
block is decoded and turned into LogLines only when one of TRIGGERS occurs in it (a C-speed
substring search), or in the block before it (a crash may run on past a block's end).
Before such a hot block the last LOOKBACK_LINES lines of the skipped block before it are
read too: the log message that announced the crash and the breadcrumbs. Skipped blocks are
only counted, so positions (line numbers) stay exact, and `None` is yielded where lines
were skipped so the caller closes whatever is in progress.

Every crash format prints at least one trigger on some line of each crash. NOT YET
EQUIVALENT to the full reader: where a record or an incident spans a skipped stretch the
joins and loop folds differ (tests/test_prefilter.py marks those cases), so `scan` does not
use it yet; bench/scan.py measures it. Journal export/JSON input is read in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO, Final

from crash_reporter.models import LogLine
from crash_reporter.sources.log_format import (
    Format,
    read_log_lines,
    sniff,
    split_lines,
    text_lines,
)

TRIGGERS: Final = (
    b'File "',  # Python: every traceback frame, and a bare SyntaxError's location
    b"goroutine ",  # Go: every panic, fatal error or fatal signal prints its goroutines
    b" of user ",  # systemd-coredump: "Process N (comm) of user U dumped core." and the like
    b"Main process exited",  # the service manager: a unit's main process died ...
    b"Failed with result",  # ... and the unit failed (also start-limit-hit, timeouts)
    b"Killed process",  # the kernel's OOM killer
)
BLOCK_BYTES: Final = 1 << 20
LOOKBACK_LINES: Final = 200
MAX_CARRY_BYTES: Final = 4 * BLOCK_BYTES  # a longer line is cut into blocks mid-line


def has_trigger(block: bytes) -> bool:
    """Does `block` contain anything that can belong to a crash?"""
    return any(trigger in block for trigger in TRIGGERS)


def _blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Blocks of about BLOCK_BYTES that end on a line end (except a huge line's pieces)."""
    carry = b""
    for chunk in chunks:
        if not chunk:
            continue
        carry = carry + chunk if carry else chunk
        start = 0
        while len(carry) - start >= BLOCK_BYTES:
            cut = carry.rfind(b"\n", start, start + BLOCK_BYTES) + 1
            if cut == 0:  # a line longer than a block: cut after it
                cut = carry.find(b"\n", start + BLOCK_BYTES) + 1
                if cut == 0:
                    if len(carry) - start < MAX_CARRY_BYTES:
                        break
                    cut = len(carry)  # no line end in sight: bounded memory wins
            yield carry[start:cut]
            start = cut
        carry = carry[start:]
    if carry:
        yield carry


def _tail_lines(block: bytes, count: int) -> bytes:
    """The last `count` complete lines of `block` (bytes, ending with a line end)."""
    end = len(block) if block.endswith(b"\n") else block.rfind(b"\n") + 1
    start = end - 1
    for _ in range(count):
        start = block.rfind(b"\n", 0, start)
        if start < 0:
            break
    return block[start + 1:end]


def prefiltered_lines(stream: BinaryIO | Iterable[bytes],
                      fmt: Format | None = None) -> Iterator[LogLine | None]:
    """The LogLines of the parts of a log that can hold a crash; None where lines were skipped."""
    fmt, chunks = sniff(stream, fmt)
    if fmt not in ("verbose", "plain"):
        yield from read_log_lines(chunks, fmt)
        return
    done = 0  # complete lines before the current block
    history = b""  # the last lines of the skipped block before the current one
    fed = False  # lines were fed since the last gap
    previous_triggered = False
    for block in _blocks(chunks):
        triggered = has_trigger(block)
        lines = block.count(b"\n")
        if triggered or previous_triggered:
            first = done - history.count(b"\n") + 1
            yield from text_lines(fmt, split_lines((history, block)), first)
            history = b""
            fed = True
        else:
            if fed:
                yield None
                fed = False
            history = _tail_lines(block, LOOKBACK_LINES)
        done += lines
        previous_triggered = triggered
