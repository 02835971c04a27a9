"""The daemon's log clock: crash records close by LOG time, and a replay is never cut short."""

from crash_reporter.app import STREAM_IDLE_S, LogClock


def test_without_streams_it_is_wall_time() -> None:
    assert LogClock().now(1000.0) == 1000.0


def test_a_replay_of_old_lines_runs_on_log_time() -> None:
    clock = LogClock()
    clock.saw("hassio_supervisor", 100.0, 5000.0)  # a line from an hour ago arrives now
    assert clock.now(5000.0) == 100.0  # not 5000: its traceback would be closed at once
    assert clock.now(5003.0) == 103.0  # silence still counts, in log time


def test_the_slowest_sending_stream_holds_the_clock_back() -> None:
    clock = LogClock()
    clock.saw("os-agent", 4999.0, 5000.0)  # live
    clock.saw("hassio_supervisor", 100.0, 5000.0)  # replaying
    assert clock.now(5001.0) == 101.0


def test_a_stream_gone_quiet_no_longer_counts() -> None:
    clock = LogClock()
    clock.saw("kernel", 100.0, 5000.0)  # the last kernel line was old, then nothing
    clock.saw("os-agent", 5000.0, 5000.0)
    later = 5000.0 + STREAM_IDLE_S + 1
    clock.saw("os-agent", later, later)
    assert clock.now(later) == later
