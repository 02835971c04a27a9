"""Flood control: crash loops fold into a few reports carrying the count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crash_reporter.flood import FloodControl
from crash_reporter.outbox import Outbox


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def crash(at: float, n: int = 0) -> dict[str, Any]:
    return {"event_id": uuid.uuid4().hex,
            "timestamp": datetime.fromtimestamp(at, tz=UTC).isoformat(),
            "exception": {"values": [{"type": "Panic", "value": f"nil map {n}"}]},
            "tags": {"reporter": "crash_reporter"}}


def count_of(event: dict[str, Any]) -> int:
    loop = event.get("contexts", {}).get("crash_loop")
    return int(loop["count"]) if loop else 1


def test_crash_loop_of_1000_becomes_a_handful_of_reports(tmp_path: Path) -> None:
    clock = Clock()
    flood = FloodControl(tmp_path / "flood.json", clock=clock)
    reports: list[dict[str, Any]] = []
    for n in range(1000):  # OS-Agent restarted every 5 s: 1000 crashes in ~83 min
        clock.now += 5
        admitted = flood.admit("os-agent|go|nil map", crash(clock.now, n))
        if admitted is not None:
            reports.append(admitted)
        reports.extend(flood.due_summaries(clock.now))
    assert len(reports) == 1  # the first occurrence, at once
    last_crash = clock.now
    for _hour in range(48):
        clock.now += 3600
        reports.extend(flood.due_summaries(clock.now))
    assert len(reports) == 2  # one summary carrying the other 999
    assert sum(count_of(r) for r in reports) == 1000
    summary = reports[1]
    loop = summary["contexts"]["crash_loop"]
    assert loop["count"] == 999
    assert loop["last_seen"] == datetime.fromtimestamp(last_crash, tz=UTC).isoformat()
    assert summary["tags"]["crash_loop"] == "yes"
    assert summary["tags"]["reporter"] == "crash_reporter"
    assert len({r["event_id"] for r in reports}) == len(reports)


def test_per_signature_daily_cap(tmp_path: Path) -> None:
    clock = Clock()
    flood = FloodControl(tmp_path / "flood.json", per_signature_per_day=3,
                         min_interval_s=600, clock=clock)
    reports = []
    for n in range(24 * 6):  # one crash every 10 min for a day
        clock.now += 600
        admitted = flood.admit("sig", crash(clock.now, n))
        if admitted:
            reports.append(admitted)
    assert len(reports) == 3
    # Every later report carries what was folded before it.
    clock.now += 86400
    reports.extend(flood.due_summaries(clock.now))
    assert len(reports) == 4
    assert sum(count_of(r) for r in reports) == 24 * 6


def test_later_report_carries_the_folded_count(tmp_path: Path) -> None:
    clock = Clock()
    flood = FloodControl(tmp_path / "flood.json", min_interval_s=3600, clock=clock)
    assert flood.admit("sig", crash(clock.now)) is not None
    for _ in range(4):
        clock.now += 60
        assert flood.admit("sig", crash(clock.now)) is None
    clock.now += 3600
    event = flood.admit("sig", crash(clock.now))
    assert event is not None
    assert event["contexts"]["crash_loop"]["count"] == 5
    assert flood.due_summaries(clock.now) == []  # the count went with the report


def test_global_hourly_budget(tmp_path: Path) -> None:
    clock = Clock()
    flood = FloodControl(tmp_path / "flood.json", global_per_hour=20, clock=clock)
    admitted = 0
    for n in range(50):  # 50 different crashes within an hour
        clock.now += 10
        if flood.admit(f"sig{n}", crash(clock.now, n)) is not None:
            admitted += 1
    assert admitted == 20
    assert flood.stats()["folded"] == 30
    assert flood.due_summaries(clock.now) == []
    due = flood.next_due()
    assert due is not None and due > clock.now
    clock.now = due
    summaries = flood.due_summaries(clock.now)
    assert len(summaries) == 1  # one slot of the budget became free
    hours = 0
    while len(summaries) < 30:
        clock.now += 3600
        hours += 1
        batch = flood.due_summaries(clock.now)
        assert len(batch) <= 20
        summaries += batch
    assert hours == 2
    assert all(count_of(s) == 1 for s in summaries)


def test_counters_survive_restart(tmp_path: Path) -> None:
    clock = Clock()
    state = tmp_path / "flood.json"
    flood = FloodControl(state, clock=clock)
    assert flood.admit("sig", crash(clock.now)) is not None
    for _ in range(10):
        clock.now += 5
        assert flood.admit("sig", crash(clock.now)) is None
    restarted = FloodControl(state, clock=clock)
    clock.now += 5
    assert restarted.admit("sig", crash(clock.now)) is None  # still folding after restart
    assert restarted.stats()["folded"] == 11
    clock.now += 7 * 3600
    summaries = [s for s in restarted.due_summaries(clock.now) if "crash_loop" in
                 s.get("contexts", {})]
    assert [count_of(s) for s in summaries] == [11]


def test_same_occurrence_again_gets_the_same_answer(tmp_path: Path) -> None:
    clock = Clock()
    flood = FloodControl(tmp_path / "flood.json", clock=clock)
    first = crash(clock.now)
    assert flood.admit("sig", first) == first
    clock.now += 5
    second = crash(clock.now)
    assert flood.admit("sig", second) is None
    restarted = FloodControl(tmp_path / "flood.json", clock=clock)
    assert restarted.admit("sig", first) == first  # not folded, not counted twice
    assert restarted.admit("sig", second) is None
    assert restarted.stats()["folded"] == 1


def test_handed_out_events_are_repaired_after_a_kill(tmp_path: Path) -> None:
    """Killed between admit() and hold(): the next start hands the event out again."""
    clock = Clock()
    outbox = Outbox(tmp_path / "outbox", max_reports=10, max_bytes=10**6, clock=clock)
    flood = FloodControl(tmp_path / "flood.json", clock=clock)
    sent = crash(clock.now, 1)
    assert flood.admit("a", sent) is not None
    outbox.hold(sent)
    outbox.put_envelope(sent["event_id"], b"{}\n", ["error"])
    outbox.remove(sent["event_id"], "sent")
    lost = crash(clock.now, 2)
    assert flood.admit("b", lost) is not None  # ... and the process dies here
    restarted = FloodControl(tmp_path / "flood.json", clock=clock)
    again = restarted.due_summaries(clock.now)
    assert {e["event_id"] for e in again} == {sent["event_id"], lost["event_id"]}
    held = [outbox.hold(e) for e in again]
    assert sorted(held) == [False, True]  # the sent one is not held again
    assert [r.event_id for r in outbox.held()] == [lost["event_id"]]
    assert restarted.due_summaries(clock.now) == []  # only once per start


def test_signatures_tracked_are_bounded(tmp_path: Path) -> None:
    clock = Clock()
    flood = FloodControl(tmp_path / "flood.json", max_signatures=10, global_per_hour=10**6,
                         clock=clock)
    for n in range(200):
        clock.now += 1
        flood.admit(f"sig{n}", crash(clock.now, n))
    assert flood.stats()["signatures"] == 10
    assert len(list(flood.bodies.iterdir())) <= 60


def test_purge_forgets_folded_counts(tmp_path: Path) -> None:
    clock = Clock()
    flood = FloodControl(tmp_path / "flood.json", clock=clock)
    flood.admit("sig", crash(clock.now))
    for _ in range(5):
        clock.now += 5
        flood.admit("sig", crash(clock.now))
    assert flood.purge() == 5
    clock.now += 86400
    assert FloodControl(tmp_path / "flood.json", clock=clock).due_summaries(clock.now) == []
