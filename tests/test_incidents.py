"""Joining views of one incident, and folding crash loops."""

import time
from dataclasses import replace

from crash_reporter.detect.incidents import (
    Joiner,
    LogCrashes,
    expected_views,
    fold_loops,
    join_views,
    merge,
)
from crash_reporter.models import Crash, CrashKind, ExceptionInfo, LogLine
from crash_reporter.sources.log_format import parse_verbose
from sandbox import load

GO = Crash(kind=CrashKind.GO, component="os-agent", title="panic: boom", platform="go",
           occurred_at=100.0, occurrence="os-agent:os-agent:77:line 3",
           signature=("panic", "main.main"),
           exceptions=(ExceptionInfo(type="panic", value="boom"),))
UNIT = Crash(kind=CrashKind.UNIT, component="os-agent",
             title="haos-agent.service crashed: exit status 2", platform="other",
             occurred_at=100.4, occurrence="haos-agent.service:-:exit@1",
             signature=("haos-agent.service", "exit-code", "exit 2"), unit="haos-agent.service",
             result="exit-code", exit_status=2, restarts=1)
CORE = Crash(kind=CrashKind.COREDUMP, component="os-agent", title="os-agent dumped core",
             platform="native", occurred_at=100.2, occurrence="core:1",
             signature=("os-agent", "SIGABRT"), signal="SIGABRT")
PY = Crash(kind=CrashKind.PYTHON, component="supervisor", title="KeyError: 'x'",
           platform="python", occurred_at=100.1, occurrence="sup:1", signature=("KeyError",))


def test_panic_core_dump_and_unit_exit_are_one_incident_in_any_order() -> None:
    for order in ([GO, CORE, UNIT], [UNIT, CORE, GO], [CORE, UNIT, GO]):
        joiner = Joiner()
        out = [c for crash in order for c in joiner.add(crash)] + joiner.flush()
        assert len(out) == 1, order
        [incident] = out
        assert incident.kind is CrashKind.GO
        assert incident.occurrence == GO.occurrence  # identity independent of arrival order
        assert set(incident.views) == {CrashKind.COREDUMP, CrashKind.UNIT}
        assert (incident.unit, incident.exit_status, incident.signal) == (
            "haos-agent.service", 2, "SIGABRT")


def test_other_components_and_far_apart_crashes_stay_apart() -> None:
    joiner = Joiner()
    late_unit = replace(UNIT, occurred_at=500.0)
    out = [c for crash in (GO, PY, late_unit) for c in joiner.add(crash)] + joiner.flush()
    assert [c.kind for c in out] == [CrashKind.GO, CrashKind.PYTHON, CrashKind.UNIT]


def test_two_tracebacks_are_two_crashes() -> None:
    joiner = Joiner()
    other = replace(PY, occurrence="sup:2", occurred_at=100.2)
    out = [c for crash in (PY, other) for c in joiner.add(crash)] + joiner.flush()
    assert len(out) == 2


def test_crashes_of_a_fast_loop_stay_separate_and_each_takes_one_unit_view() -> None:
    joiner = Joiner()
    second_unit = replace(UNIT, occurrence="haos-agent.service:-:exit@2", occurred_at=100.6)
    second_go = replace(GO, occurrence="os-agent:os-agent:78:line 90", occurred_at=100.5)
    out = [c for crash in (GO, UNIT, second_go, second_unit) for c in joiner.add(crash)]
    out += joiner.flush()
    assert [(c.occurrence, c.views) for c in out] == [
        (GO.occurrence, (CrashKind.UNIT,)),
        (second_go.occurrence, (CrashKind.UNIT,)),
    ]


def test_two_unit_failures_are_two_crashes() -> None:
    joiner = Joiner()
    again = replace(UNIT, occurrence="haos-agent.service:-:exit@2", occurred_at=100.9)
    out = [c for crash in (UNIT, again) for c in joiner.add(crash)] + joiner.flush()
    assert [c.occurrence for c in out] == [UNIT.occurrence, again.occurrence]


def test_joiner_releases_after_the_window() -> None:
    now = [0.0]
    joiner = Joiner(window_s=5.0, clock=lambda: now[0])
    assert joiner.add(GO) == []
    now[0] = 5.1
    assert joiner.due(now[0]) == [GO]


def test_fold_loops_counts_and_spans() -> None:
    loop = [replace(UNIT, occurred_at=100.0 + 5 * i, occurrence=f"u:{i}") for i in range(4)]
    later = replace(UNIT, occurred_at=100.0 + 5 * 3 + 10_000, occurrence="u:late")
    folded = fold_loops([*loop, PY, later])
    assert [(c.occurrence, c.loop_count) for c in folded] == [
        ("u:0", 4), ("sup:1", 1), ("u:late", 1)]
    assert (folded[0].loop_first_at, folded[0].loop_last_at) == (100.0, 115.0)


def test_merge_keeps_primary_identity() -> None:
    merged = merge(GO, UNIT)
    assert merged.occurrence == GO.occurrence
    assert merged.views == (CrashKind.UNIT,)


def test_join_views_joins_the_nearest_incident_and_keeps_late_views() -> None:
    """Offline (scan): a view found late (closed at its time-out) still joins its incident, and
    each view joins the nearest incident it fits, whatever the order they were found in."""
    second_go = replace(GO, occurrence="os-agent:os-agent:78:line 90", occurred_at=105.0)
    second_unit = replace(UNIT, occurrence="haos-agent.service:-:exit@2", occurred_at=105.3)
    found = [(c.occurred_at, c) for c in (UNIT, second_unit, second_go, GO)]
    incidents = join_views(found)
    assert [(c.occurrence, c.views) for _t, c in incidents] == [
        (GO.occurrence, (CrashKind.UNIT,)), (second_go.occurrence, (CrashKind.UNIT,))]
    assert [t for t, _c in incidents] == [GO.occurred_at, second_go.occurred_at]
    far = replace(UNIT, occurred_at=200.0)
    assert len(join_views([(GO.occurred_at, GO), (far.occurred_at, far)])) == 2


def test_fold_loops_on_stand_in_times() -> None:
    """Without log times (occurred_at 0), the times given by `when` decide."""
    loop = [replace(UNIT, occurred_at=0.0, occurrence=f"u:{i}") for i in range(3)]
    at = {"u:0": 10.0, "u:1": 20.0, "u:2": 10_000.0}
    folded = fold_loops(loop, when=lambda c: at[c.occurrence])
    assert [(c.occurrence, c.loop_count) for c in folded] == [("u:0", 2), ("u:2", 1)]


# --- release: at once when complete, never split -------------------------------------------

SEGV = replace(UNIT, title="haos-agent.service crashed: SIGSEGV", result="signal",
               exit_status=None, signal="SIGSEGV", signature=("haos-agent.service", "signal"))
DUMPED = replace(SEGV, result="core-dump", signal="SIGABRT", occurrence="u:dumped")
LOGGED = replace(PY, logger="supervisor.core")


def test_complete_incidents_are_released_at_once_and_the_rest_wait() -> None:
    assert expected_views(SEGV) == set()  # killed, no core dump: nothing else will come
    assert expected_views(LOGGED) == set()  # a logged traceback: the process lives on
    assert expected_views(UNIT) == {CrashKind.GO}  # exit status 2: Go's panic exit
    assert expected_views(DUMPED) == {CrashKind.COREDUMP}
    assert expected_views(GO) == {CrashKind.UNIT}  # a panic ends the process
    assert expected_views(CORE) == {CrashKind.UNIT}
    assert expected_views(PY) == {CrashKind.UNIT}  # bare: an uncaught exception
    now = [0.0]
    joiner = Joiner(window_s=3.0, clock=lambda: now[0])
    assert joiner.add(SEGV) == [SEGV]
    assert joiner.add(LOGGED) == [LOGGED]
    assert joiner.add(GO) == [] and joiner.next_due() == 3.0


def test_a_unit_exit_2_waits_for_its_panic_and_leaves_with_it_as_one() -> None:
    now = [0.0]
    joiner = Joiner(window_s=3.0, clock=lambda: now[0])
    assert joiner.add(UNIT) == []
    now[0] = 1.5
    assert joiner.due(now[0]) == []
    [incident] = joiner.add(GO)  # the last view expected: released at once, joined
    assert incident.occurrence == GO.occurrence and incident.views == (CrashKind.UNIT,)
    assert joiner.next_due() is None and joiner.flush() == []


def test_a_core_dump_expected_by_its_unit_joins_it_and_a_missing_view_waits_the_window() -> None:
    now = [0.0]
    joiner = Joiner(window_s=3.0, clock=lambda: now[0])
    assert joiner.add(DUMPED) == []
    [incident] = joiner.add(replace(CORE, occurred_at=100.5))
    assert incident.kind is CrashKind.COREDUMP and incident.views == (CrashKind.UNIT,)
    assert joiner.add(GO) == []  # its unit failure never comes
    now[0] = 2.9
    assert joiner.due(now[0]) == []
    now[0] = 3.0
    assert joiner.due(now[0]) == [GO]


def _lines(raw: list[str], first: int = 0) -> list[LogLine]:
    out = [parse_verbose(text, f"c:{first + n}") for n, text in enumerate(raw)]
    return [line for line in out if line is not None]


def test_a_go_crash_loop_leaves_no_process_behind_and_a_python_process_stays() -> None:
    """A panicked Go process exited: its detectors go; a Python process runs on."""
    crashes = LogCrashes()
    found: list[Crash] = []
    for i in range(30):  # a crash loop: every restart is a new PID
        found += crashes.feed_many(_lines(load.go_panic(i, pid=5000 + i), 100 * i))
        found += crashes.expire(time.time() + 60)
    assert [c.kind for c in found] == [CrashKind.GO] * 30
    assert not crashes._streams and not crashes._live and crashes._last is None
    # one line at a time (feed) as well as in batches (feed_many)
    for line in _lines(load.go_panic(99, pid=6000), 5000):
        found += crashes.feed(line)
    found += crashes.expire(time.time() + 60)
    assert len(found) == 31 and not crashes._streams

    before = _lines(["2026-01-01 10:00:00.000 host hassio_supervisor[287]: INFO loaded"], 9000)
    first = crashes.feed_many(before + _lines(load.python_traceback(1), 9001))
    first += crashes.expire(time.time() + 60)
    second = crashes.feed_many(_lines(load.python_traceback(2), 9100))
    second += crashes.expire(time.time() + 60)
    assert [c.kind for c in first + second] == [CrashKind.PYTHON] * 2
    assert list(crashes._streams) == [("hassio_supervisor", 287)]
    assert any("loaded" in crumb.text for crumb in first[0].breadcrumbs)
