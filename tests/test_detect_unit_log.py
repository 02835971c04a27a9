"""UnitLogDetector and is_crash: signal deaths found, host oneshot exit-code failures not."""

from __future__ import annotations

import io
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crash_reporter.const import CLD_DUMPED, CLD_EXITED, CLD_KILLED
from crash_reporter.detect import is_unit_crash as is_crash
from crash_reporter.detect.unit_log import UnitLogDetector
from crash_reporter.models import Crash, LogLine
from crash_reporter.sources.log_format import read_log_lines
from tests.helpers import SAMPLES, TRUTH, run_per_process, run_sample


def run_lines(lines: Iterable[LogLine]) -> list[Crash]:
    return run_per_process(UnitLogDetector, lines)


def run_file(name: str) -> list[Crash]:
    return run_sample(UnitLogDetector, name)


def feed_texts(texts: list[str], ident: str | None = "systemd", t0: float = 100.0) -> list[Crash]:
    det = UnitLogDetector()
    out: list[Crash] = []
    for n, text in enumerate(texts):
        out += det.feed(LogLine(text=text, identifier=ident, pid=1, timestamp=t0 + n,
                                position=str(n + 1)))
    return out + det.flush()


SYS = TRUTH["files"]["systemd_units.log"]
CASES = [pytest.param(c, id=c["crash_id"]) for c in SYS["crashes"]]


@pytest.mark.parametrize("truth", CASES)
def test_systemd_units_ground_truth(truth: dict[str, object]) -> None:
    crashes = run_file("systemd_units.log")
    found = [c for c in crashes if c.occurrence.endswith(f":{truth['first_line']}")]
    assert len(found) == 1
    crash = found[0]
    detail = truth["detail"]
    assert isinstance(detail, dict)
    assert crash.unit == detail["unit"]
    assert crash.signal == detail["signal"]
    assert crash.result == "signal"
    assert crash.title == f"{detail['unit']} crashed: {detail['signal']}"
    assert crash.signature == (detail["unit"], "signal", detail["signal"])
    assert crash.component == ("os-agent" if detail["unit"] == "haos-agent.service" else "host")
    assert crash.platform == "other"


def test_systemd_units_only_the_signal_deaths() -> None:
    crashes = run_file("systemd_units.log")
    assert len(crashes) == SYS["crash_count"]
    lines = (SAMPLES / "systemd_units.log").read_bytes().split(b"\n")
    for number in SYS["non_crash_error_lines"]:  # oneshot exit-code failures
        assert not any(c.occurrence.endswith(f":{number}") for c in crashes)
        assert b"exit-code" in lines[number - 1] or b"FAILURE" in lines[number - 1] or (
            b"Failed to start" in lines[number - 1])
    units = {c.unit for c in crashes}
    assert "rauc-mark-good.service" not in units
    assert "systemd-time-wait-sync.service" not in units


def test_restart_counter_of_a_crash_loop() -> None:
    crashes = [c for c in run_file("systemd_units.log") if c.unit == "haos-agent.service"]
    assert [c.restarts for c in crashes] == [None, 1, 2]
    assert len({c.signature for c in crashes}) == 1
    assert len({c.occurrence for c in crashes}) == 3


def test_exit_code_is_a_crash_for_os_agent_unit() -> None:
    crashes = run_file("os_agent.log")
    assert [(c.unit, c.result, c.exit_status) for c in crashes] == [
        ("haos-agent.service", "exit-code", 2)] * 3
    assert crashes[0].title == "haos-agent.service crashed: exit status 2"
    plain = run_file("os_agent_plain.log")
    assert len(plain) == 3


def test_core_dump_result() -> None:
    crashes = run_file("coredump.log")
    assert [(c.unit, c.result, c.signal) for c in crashes] == [
        ("haos-agent.service", "core-dump", "SIGABRT"), ("udisks2.service", "core-dump", "SIGSEGV")]
    assert crashes[0].title == "haos-agent.service crashed: SIGABRT (core dumped)"


def test_noise_gives_nothing() -> None:
    assert run_file("noise_only.log") == []
    assert run_file("supervisor_verbose.log") == []


@pytest.mark.parametrize(("unit", "result", "code", "expected"), [
    ("haos-agent.service", "exit-code", "exited", True),
    ("haos-supervisor.service", "exit-code", CLD_EXITED, True),
    ("hassos-supervisor.service", "timeout", None, True),
    ("haos-agent.service", "start-limit-hit", None, True),
    ("haos-agent.service", "success", CLD_EXITED, False),
    ("rauc-mark-good.service", "exit-code", "exited", False),
    ("systemd-time-wait-sync.service", "exit-code", CLD_EXITED, False),
    ("NetworkManager.service", "signal", "killed", True),
    ("udisks2.service", "core-dump", CLD_DUMPED, True),
    ("docker.service", "watchdog", None, True),
    ("docker.service", "oom-kill", None, True),
    ("docker.service", "timeout", None, False),
    ("docker.service", "start-limit-hit", None, False),
    ("docker.service", "", CLD_KILLED, True),
    ("docker.service", None, "exited", False),
    ("haos-agent.service", None, "exited", True),
])
def test_is_crash(unit: str, result: str | None, code: int | str | None, expected: bool) -> None:
    assert is_crash(unit, result, code) is expected


def test_oom_kill_by_systemd_and_kernel() -> None:
    crashes = feed_texts([
        "haos-agent.service: A process of this unit has been killed by the OOM killer.",
        "haos-agent.service: Main process exited, code=killed, status=9/KILL",
        "haos-agent.service: Failed with result 'oom-kill'.",
    ])
    assert [(c.result, c.signal, c.title) for c in crashes] == [
        ("oom-kill", "SIGKILL", "haos-agent.service crashed: killed by the OOM killer")]
    (kernel,) = feed_texts(["Out of memory: Killed process 1207 (os-agent) total-vm:1234kB, "
                            "anon-rss:100kB"], ident="kernel")
    assert (kernel.component, kernel.result, kernel.signal) == ("os-agent", "oom-kill", "SIGKILL")


def test_start_limit_after_crash_loop_is_not_a_second_report() -> None:
    crashes = feed_texts([
        "haos-agent.service: Main process exited, code=killed, status=11/SEGV",
        "haos-agent.service: Failed with result 'signal'.",
        "haos-agent.service: Start request repeated too quickly.",
        "haos-agent.service: Failed with result 'start-limit-hit'.",
    ])
    assert [c.result for c in crashes] == ["signal"]
    alone = feed_texts(["haos-agent.service: Failed with result 'start-limit-hit'."])
    assert [c.title for c in alone] == ["haos-agent.service crashed: start limit hit (crash loop)"]


def test_exit_without_result_line_is_closed_by_expire() -> None:
    det = UnitLogDetector()
    line = LogLine(text="NetworkManager.service: Main process exited, code=dumped, status=6/ABRT",
                   identifier="systemd", pid=1, timestamp=50.0)
    assert det.feed(line) == []
    assert det.expire(52.0) == []
    (crash,) = det.expire(60.0)
    assert (crash.result, crash.signal) == ("core-dump", "SIGABRT")
    clean = feed_texts(["x.service: Main process exited, code=exited, status=0/SUCCESS",
                        "x.service: Deactivated successfully."])
    assert clean == []


def test_spoofed_lines_are_ignored() -> None:
    assert feed_texts(["haos-agent.service: Main process exited, code=killed, status=11/SEGV",
                       "haos-agent.service: Failed with result 'signal'."],
                      ident="hassio_supervisor") == []
    entry = (b"__CURSOR=c1\n_PID=4242\n_COMM=bash\nSYSLOG_IDENTIFIER=systemd\n"
             b"MESSAGE=haos-agent.service: Main process exited, code=killed, status=11/SEGV\n\n")
    assert run_lines(read_log_lines(io.BytesIO(entry))) == []
    trusted = entry.replace(b"_PID=4242", b"_PID=1").replace(b"_COMM=bash", b"_COMM=systemd")
    (crash,) = run_lines(read_log_lines(io.BytesIO(trusted)))
    assert crash.occurrence.endswith(":c1")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([
    "a.service: Main process exited, code=killed, status=11/SEGV",
    "a.service: Main process exited, code=exited, status=99999999999999999999/X",
    "a.service: Failed with result 'signal'.", "a.service: Failed with result 'weird'.",
    "a.service: Scheduled restart job, restart counter is at 3.",
    "a.service: A process of this unit has been killed by the OOM killer.",
    "Out of memory: Killed process 1 (x)", "a.service: Deactivated successfully."]),
    st.text(max_size=30)), max_size=30))
def test_fuzz_never_raises(texts: list[str]) -> None:
    feed_texts(texts)
    feed_texts(texts, ident=None)


def test_an_oom_note_belongs_to_an_exit_within_the_record_timeout() -> None:
    """The OOM killer took another process of the unit, which ran on: a much later death of
    its main process is not an OOM kill. (Also what lets the prefilter stop reading.)"""
    det = UnitLogDetector()
    note = LogLine(text="haos-agent.service: A process of this unit has been killed by the "
                   "OOM killer.", identifier="systemd", pid=1, timestamp=50.0)
    assert det.feed(note) == []
    assert det.busy()
    assert det.expire(52.0) == []
    assert det.busy()
    assert det.expire(60.0) == []
    assert not det.busy()
    later = LogLine(text="haos-agent.service: Main process exited, code=killed, status=9/KILL",
                    identifier="systemd", pid=1, timestamp=70.0)
    assert det.feed(later) == []
    assert det.busy()  # waits for its result line
    (crash,) = det.flush()
    assert (crash.result, crash.signal) == ("signal", "SIGKILL")
