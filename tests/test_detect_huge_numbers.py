"""A number longer than int() takes (4300 digits) in a crash line keeps the crash.

`int()` raises on more than sys.int_info.default_max_str_digits digits; a traceback, a Go
frame or a core dump message carrying such a number used to drop the whole record. Each
case here is the real crash output with one number blown up: the crash must still be found,
with its frames, and the number left out of the numeric field (it stays in the line text).
"""

from __future__ import annotations

import io
import sys

from crash_reporter.models import Crash, CrashKind
from crash_reporter.scan import find_crashes
from crash_reporter.sources.log_format import read_log_lines
from tests.helpers import SAMPLES

HUGE = "9" * (sys.int_info.default_max_str_digits + 700)


def _crashes(text: str, component: str | None = None) -> list[Crash]:
    return find_crashes(read_log_lines(io.BytesIO(text.encode())), component)


def test_python_frame_line_number_too_long_for_int() -> None:
    raw = (SAMPLES / "crashes" / "dev-py-07.raw").read_text()
    assert ', line 57, in reload' in raw
    crashes = _crashes(raw.replace(", line 57, in reload", f", line {HUGE}, in reload"))
    assert len(crashes) == 1
    [crash] = crashes
    assert crash.kind is CrashKind.PYTHON
    frames = crash.exceptions[-1].frames
    assert [f.function for f in frames] == ["reload", "_get_os_version"]
    assert frames[0].lineno is None and frames[1].lineno == 50


def test_python_repeat_count_and_syntax_line_too_long() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/usr/src/supervisor/supervisor/a.py", line 3, in f\n'
        "    f()\n"
        f"  [Previous line repeated {HUGE} more times]\n"
        "RecursionError: maximum recursion depth exceeded\n"
        "\n"
        f'  File "/usr/src/supervisor/supervisor/b.py", line {HUGE}\n'
        "    def (:\n"
        "        ^\n"
        "SyntaxError: invalid syntax\n"
    )
    crashes = _crashes(text, "supervisor")
    assert [c.exceptions[-1].type for c in crashes] == ["RecursionError", "SyntaxError"]
    assert crashes[0].exceptions[-1].frames[0].repeated == 0


def test_go_frame_line_number_too_long_for_int() -> None:
    raw = (SAMPLES / "crashes" / "dev-go-01.raw").read_text()
    assert "drive.go:57 +0x5d" in raw
    crashes = _crashes(raw.replace("drive.go:57 +0x5d", f"drive.go:{HUGE} +0x5d"))
    assert len(crashes) == 1
    [crash] = crashes
    assert crash.kind is CrashKind.GO
    frames = crash.threads[0].frames
    assert [f.lineno for f in frames] == [70, None, 47]
    assert frames[1].function.endswith("Format")


def test_core_dump_pid_uid_signal_too_long_for_int() -> None:
    text = (SAMPLES / "coredump.log").read_text()
    line = next(x for x in text.splitlines()
                if "Process 22220 (udisksd) of user 0 dumped core." in x)
    huge = line.replace("Process 22220 (udisksd) of user 0",
                        f"Process {HUGE} (udisksd) of user {HUGE}")
    crashes = [c for c in _crashes(text.replace(line, huge))
               if c.kind is CrashKind.COREDUMP and "udisksd" in c.title]
    assert len(crashes) == 1
    assert crashes[0].threads and crashes[0].threads[0].frames
