"""`scan` on logs without times (plain text): views are joined and loops folded by line distance.

A plain log has no times (every crash's `occurred_at` is 0.0); the line number stands in,
UNTIMED_LINE_S per line, so the whole log is not one instant: a panic joins the unit failure
printed right after it, not one printed thousands of lines later, and a loop is folded only
while its crashes come within LOOP_WINDOW_S worth of lines of each other.
"""

from __future__ import annotations

import io

from crash_reporter.const import LOOP_WINDOW_S
from crash_reporter.detect.incidents import JOIN_WINDOW_S
from crash_reporter.models import Crash, CrashKind
from crash_reporter.scan import UNTIMED_LINE_S, find_crashes
from crash_reporter.sources.log_format import read_log_lines
from crash_reporter.sources.prefilter import PrefilteredLines
from tests.helpers import SAMPLES

PANIC = b"""panic: assignment to entry in nil map

goroutine 1 [running]:
main.main()
\t/usr/src/os-agent/main.go:70 +0x31f
"""
EXIT = b"""haos-agent.service: Main process exited, code=exited, status=2/INVALIDARGUMENT
haos-agent.service: Failed with result 'exit-code'.
"""
JOIN_LINES = int(JOIN_WINDOW_S / UNTIMED_LINE_S)
LOOP_LINES = int(LOOP_WINDOW_S / UNTIMED_LINE_S)


def filler(count: int) -> bytes:
    return b"".join(b"INFO: 2026/11/23 02:30:30 cgroup.go:35: all fine %d\n" % i
                    for i in range(count))


def scan(data: bytes) -> list[Crash]:
    """Both readers must agree; return the incidents."""
    full = find_crashes(read_log_lines(io.BytesIO(data), "plain"))
    assert find_crashes(PrefilteredLines(io.BytesIO(data), "plain")) == full
    return full


def test_a_panic_joins_the_unit_failure_right_after_it() -> None:
    [incident] = scan(filler(10) + PANIC + EXIT + filler(10))
    assert incident.kind is CrashKind.GO
    assert incident.views == (CrashKind.UNIT,)
    assert incident.unit == "haos-agent.service"


def test_a_unit_failure_far_away_is_another_incident() -> None:
    incidents = scan(PANIC + filler(2 * JOIN_LINES) + EXIT)
    assert [(c.kind, c.views) for c in incidents] == [(CrashKind.GO, ()), (CrashKind.UNIT, ())]


def test_a_crash_loop_folds_while_its_crashes_are_near() -> None:
    near = (PANIC + EXIT + filler(20)) * 3
    [loop] = scan(near)
    assert loop.loop_count == 3
    assert loop.views == (CrashKind.UNIT,)
    far = scan(near + filler(2 * LOOP_LINES) + PANIC + EXIT)
    assert [c.loop_count for c in far] == [3, 1]


def test_plain_samples_join_each_panic_with_its_own_exit() -> None:
    incidents = scan((SAMPLES / "os_agent_plain.log").read_bytes())
    assert [(c.kind, c.views, c.loop_count) for c in incidents] == [
        (CrashKind.GO, (CrashKind.UNIT,), 1)] * 3
    assert len({c.occurrence for c in incidents}) == 3
