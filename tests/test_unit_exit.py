"""The unit crash detector, fed the signal sequence a real systemd 252 emits (dbus.md)."""

from dataclasses import replace

from crash_reporter.detect import is_unit_crash
from crash_reporter.detect.unit_exit import UnitCrashDetector, describe_failure
from crash_reporter.models import BusNameChange, Crash, CrashKind, UnitState

AGENT = "haos-agent.service"


def _running(t: float, exit_us: int = 0, restarts: int = 0) -> UnitState:
    return UnitState(unit=AGENT, active_state="active", sub_state="running", result="success",
                     exec_main_pid=100 + restarts, n_restarts=restarts,
                     invocation_id=f"inv{restarts}", exec_main_exit_us=exit_us, timestamp=t)


def _crash_burst(prev: UnitState, t: float, exit_us: int, *, result: str = "signal",
                 code: int = 2, status: int = 11) -> list[UnitState]:
    """The states of one crash: Service result, Unit failed, auto-restart, running again."""
    service = replace(prev, result=result, exec_main_code=code, exec_main_status=status,
                      exec_main_exit_us=exit_us, timestamp=t)
    failed = replace(service, active_state="failed", sub_state="failed")
    restart = replace(failed, active_state="activating", sub_state="auto-restart",
                      n_restarts=prev.n_restarts + 1)
    dead = replace(restart, active_state="inactive", sub_state="dead")
    running = replace(dead, active_state="active", sub_state="running", result="success",
                      invocation_id=f"inv{prev.n_restarts + 1}")
    return [service, failed, restart, dead, running]


def test_one_crash_one_report_with_the_failure_named() -> None:
    det = UnitCrashDetector()
    assert det.observe(_running(1.0)) == []
    crashes = [c for s in _crash_burst(_running(1.0), 2.0, 2_000_000) for c in det.observe(s)]
    assert len(crashes) == 1
    crash = crashes[0]
    assert crash.kind is CrashKind.UNIT
    assert crash.title == "haos-agent.service crashed: SIGSEGV"
    assert crash.component == "os-agent"
    assert (crash.unit, crash.result, crash.signal) == (AGENT, "signal", "SIGSEGV")
    assert crash.signature == (AGENT, "signal", "SIGSEGV")
    assert "2000000" in crash.occurrence


def test_stale_failed_state_at_start_is_not_a_crash() -> None:
    det = UnitCrashDetector()
    stale = UnitState(unit=AGENT, active_state="failed", sub_state="failed", result="signal",
                      exec_main_code=2, exec_main_status=11, exec_main_exit_us=5, timestamp=1.0)
    assert det.observe(stale) == []
    # a later stop / reset-failed of that unit is not a crash either
    assert det.observe(replace(stale, active_state="inactive", sub_state="dead")) == []
    assert det.observe(replace(stale, result="success", active_state="inactive")) == []


def test_clean_stop_is_not_a_crash() -> None:
    det = UnitCrashDetector()
    det.observe(_running(1.0))
    stopped = replace(_running(1.0), active_state="inactive", sub_state="dead",
                      exec_main_code=2, exec_main_status=15, exec_main_exit_us=9, timestamp=2.0)
    assert det.observe(stopped) == []


def test_each_crash_of_a_loop_is_a_distinct_occurrence_and_start_limit_is_not_extra() -> None:
    det = UnitCrashDetector()
    state = _running(1.0)
    det.observe(state)
    found = []
    for i in range(3):
        burst = _crash_burst(state, 2.0 + i, 1_000_000 * (i + 2))
        found += [c for s in burst for c in det.observe(s)]
        state = burst[-1]
    assert len(found) == 3
    assert len({c.occurrence for c in found}) == 3
    assert len({c.signature for c in found}) == 1
    limit = replace(state, active_state="failed", sub_state="failed", result="start-limit-hit",
                    timestamp=6.0)
    assert det.observe(limit) == []


def test_start_limit_without_recent_crash_is_reported() -> None:
    det = UnitCrashDetector()
    det.observe(_running(1.0))
    limit = replace(_running(1.0), active_state="failed", result="start-limit-hit", timestamp=2.0)
    [crash] = det.observe(limit)
    assert crash.title == "haos-agent.service crashed: start limit hit (crash loop)"


def test_exit_code_is_a_crash_for_our_units_but_not_for_a_host_oneshot() -> None:
    assert is_unit_crash(AGENT, "exit-code")
    assert is_unit_crash("haos-supervisor.service", "start-limit-hit")
    assert not is_unit_crash("rauc-mark-good.service", "exit-code")
    assert is_unit_crash("NetworkManager.service", "signal")
    det = UnitCrashDetector({AGENT: "os-agent", "rauc-mark-good.service": "host"})
    for unit in (AGENT, "rauc-mark-good.service"):
        det.observe(replace(_running(1.0), unit=unit))
    agent = [c for s in _crash_burst(_running(1.0), 2.0, 7, result="exit-code", code=1, status=3)
             for c in det.observe(s)]
    oneshot = [c for s in _crash_burst(replace(_running(1.0), unit="rauc-mark-good.service"), 2.0,
                                       7, result="exit-code", code=1, status=1)
               for c in det.observe(s)]
    assert [c.title for c in agent] == ["haos-agent.service crashed: exit status 3"]
    assert agent[0].signature == (AGENT, "exit-code", "exit 3")
    assert oneshot == []


def test_os_agent_leaving_the_bus_is_linked_to_its_unit_crash() -> None:
    det = UnitCrashDetector()
    det.observe(_running(1.0))
    det.name_change(BusNameChange("io.hass.os", present=False, timestamp=1.9))
    [crash] = [c for s in _crash_burst(_running(1.0), 2.0, 3) for c in det.observe(s)]
    assert [b.text for b in crash.breadcrumbs] == ["io.hass.os left the system bus"]


def test_describe_failure() -> None:
    assert describe_failure("core-dump", 3, 6) == ("SIGABRT (core dumped)", "SIGABRT")
    assert describe_failure("watchdog", 2, 6) == ("watchdog timeout (SIGABRT)", "SIGABRT")
    assert describe_failure("oom-kill", 2, 9) == ("killed by the OOM killer", "SIGKILL")
    assert describe_failure("timeout", 2, 15) == ("timed out", "SIGTERM")
    assert describe_failure("signal", 2, 99)[0] == "SIG99"


def test_start_limit_hit_is_one_report_per_burst_and_claims_no_exit_status() -> None:
    det = UnitCrashDetector()
    running = _running(1.0)
    det.observe(running)
    # a Restart=always unit that keeps exiting 0: clean exits, then the refused restart
    exited = replace(running, active_state="activating", sub_state="auto-restart",
                     exec_main_code=1, exec_main_status=0, exec_main_exit_us=9, timestamp=2.0)
    assert det.observe(exited) == []
    limit = replace(exited, result="start-limit-hit", timestamp=2.1)  # Service signal
    failed = replace(limit, active_state="failed", sub_state="failed")  # Unit signal
    crashes = [c for s in (limit, failed, failed) for c in det.observe(s)]
    assert [c.title for c in crashes] == [
        "haos-agent.service crashed: start limit hit (crash loop)"]
    [crash] = crashes
    assert crash.signature == (AGENT, "start-limit-hit", "")
    assert (crash.exit_status, crash.signal, crash.extra) == (None, None, ())


def _stopped_with(det: UnitCrashDetector, *, result: str, code: int,
                  status: int) -> list[Crash]:
    """Run the unit, ask it to stop, and have its main process end with `result`; the
    crashes `det` reports for the stop's states."""
    running = _running(1.0)
    det.observe(running)
    stopping = replace(running, active_state="deactivating", sub_state="stop-sigterm")
    ended = replace(stopping, result=result, exec_main_code=code, exec_main_status=status,
                    exec_main_exit_us=9, timestamp=2.0)
    failed = replace(ended, active_state="failed", sub_state="failed")
    return [c for s in (stopping, ended, failed) for c in det.observe(s)]


def test_stop_answered_with_a_non_zero_exit_is_not_a_crash() -> None:
    det = UnitCrashDetector()
    # Service signal with the exit, Unit still stopping; then failed
    assert _stopped_with(det, result="exit-code", code=1, status=1) == []
    # the same exit code while nobody asked it to stop is a crash
    again = _running(3.0, restarts=0)
    det.observe(again)
    crashes = [c for s in _crash_burst(again, 4.0, 10, result="exit-code", code=1, status=1)
               for c in det.observe(s)]
    assert [c.title for c in crashes] == ["haos-agent.service crashed: exit status 1"]


def test_a_signal_while_stopping_is_a_crash() -> None:
    det = UnitCrashDetector()
    crashes = _stopped_with(det, result="signal", code=2, status=11)
    assert [c.title for c in crashes] == ["haos-agent.service crashed: SIGSEGV"]


def test_timeout_and_watchdog_set_their_result_before_the_kill_and_are_one_crash() -> None:
    for result, sub_state, status, title in (
            ("timeout", "stop-sigterm", 15, "timed out"),
            ("watchdog", "stop-watchdog", 6, "watchdog timeout (SIGABRT)")):
        det = UnitCrashDetector()
        running = _running(1.0)
        det.observe(running)
        # systemd 252: Result first (no exit yet), then the kill's exit, then failed
        deciding = replace(running, result=result, active_state="deactivating",
                           sub_state=sub_state, timestamp=2.0)
        killed = replace(deciding, exec_main_code=2, exec_main_status=status,
                         exec_main_exit_us=9)
        failed = replace(killed, active_state="failed", sub_state="failed")
        crashes = [c for s in (deciding, killed, failed) for c in det.observe(s)]
        assert [c.title for c in crashes] == [f"haos-agent.service crashed: {title}"]
        assert crashes[0].exit_status is None
        assert crashes[0].signature[:2] == (AGENT, result)
