"""The persistent outbox: atomic files, caps with counted drops, restart safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from crash_reporter.errors import StorageError
from crash_reporter.outbox import (
    DROP_CONSENT_OFF,
    DROP_EXPIRED,
    DROP_FULL,
    DROP_TOO_LARGE,
    HELD_DIR,
    READY_DIR,
    TMP_DIR,
    Outbox,
)


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_event(n: int = 0, pad: int = 0) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "level": "fatal",
        "exception": {"values": [{"type": "RuntimeError", "value": f"boom {n}" + "x" * pad}]},
    }


def box(root: Path, clock: Clock, **kw: Any) -> Outbox:
    kw.setdefault("max_reports", 100)
    kw.setdefault("max_bytes", 10_000_000)
    return Outbox(root, clock=clock, **kw)


def test_hold_is_idempotent_and_survives_restart(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    event = make_event()
    assert outbox.hold(event)
    assert outbox.hold(event)  # same id: nothing new
    assert [r.event_id for r in outbox.held()] == [event["event_id"]]
    assert outbox.held()[0].title == "RuntimeError: boom 0"
    again = box(tmp_path, clock)
    assert [r.event_id for r in again.held()] == [event["event_id"]]
    assert again.load_held(event["event_id"]) == event
    assert again.stats()["held_total"] == 1


def test_held_to_ready_to_sent(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    event = make_event()
    eid = event["event_id"]
    outbox.hold(event)
    assert not outbox.put_envelope(uuid.uuid4().hex, b"x", ["error"])  # never held: refused
    clock.now += 1
    assert outbox.put_envelope(eid, b'{"event_id":"%s"}\n' % eid.encode(), ["error"])
    assert outbox.held() == []
    [ready] = outbox.ready()
    assert ready.categories == ("error",)
    assert outbox.read_envelope(eid) == b'{"event_id":"%s"}\n' % eid.encode()
    assert outbox.remove(eid, "sent")
    assert outbox.ready() == []
    assert outbox.stats()["sent"] == 1
    # A settled id is never held again (the app re-detecting the same occurrence).
    assert not outbox.hold(event)
    assert not box(tmp_path, clock).hold(event)
    assert list((tmp_path / HELD_DIR).iterdir()) == []


def test_kill_between_ready_write_and_held_unlink(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    event = make_event()
    eid = event["event_id"]
    outbox.hold(event)
    held_file = tmp_path / HELD_DIR / f"{eid}.json"
    saved = held_file.read_bytes()
    outbox.put_envelope(eid, b"{}\n", ["error"])
    held_file.write_bytes(saved)  # as if killed before the held copy was removed
    again = box(tmp_path, clock)
    assert again.held() == []
    assert [r.event_id for r in again.ready()] == [eid]
    assert not held_file.exists()


def test_kill_after_sent_recorded_before_unlink(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    event = make_event()
    eid = event["event_id"]
    outbox.hold(event)
    outbox.put_envelope(eid, b"{}\n", ["error"])
    ready_file = tmp_path / READY_DIR / f"{eid}.env"
    saved = ready_file.read_bytes()
    outbox.remove(eid, "sent")
    ready_file.write_bytes(saved)  # the outcome was recorded, the file not yet removed
    again = box(tmp_path, clock)
    assert again.ready() == []
    assert not ready_file.exists()
    assert again.stats()["sent"] == 1


def test_writes_go_through_temp_file_and_rename(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    outbox.held()

    def fail(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(StorageError):
        outbox.hold(make_event())
    assert list((tmp_path / HELD_DIR).iterdir()) == []
    assert list((tmp_path / TMP_DIR).iterdir()) == []


WRITER = r"""
import sys, uuid
from pathlib import Path
from crash_reporter.outbox import Outbox
outbox = Outbox(Path(sys.argv[1]), max_reports=100000, max_bytes=10**10)
i = 0
while True:
    outbox.hold({"event_id": uuid.uuid4().hex, "message": "m" * 200000 + str(i)})
    i += 1
"""


def test_sigkill_mid_write_leaves_no_half_file(tmp_path: Path) -> None:
    root = tmp_path / "outbox"
    for _round in range(4):
        before = len(list((root / HELD_DIR).glob("*.json"))) if root.exists() else 0
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if len(list((root / HELD_DIR).glob("*.json"))) >= before + 3:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for path in (root / HELD_DIR).iterdir():
            doc = json.loads(path.read_bytes())  # every visible file is whole
            assert doc["event"]["event_id"] == path.stem
        outbox = Outbox(root, max_reports=100000, max_bytes=10**10)
        assert len(outbox.held()) >= before + 3
        assert list((root / TMP_DIR).iterdir()) == []  # half-written temp files removed
        assert outbox.stats()["dropped"] == {}


def test_cap_by_count_drops_oldest_and_counts(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock, max_reports=3)
    events = []
    for n in range(5):
        clock.now += 1
        events.append(make_event(n))
        assert outbox.hold(events[-1])
    assert [r.event_id for r in outbox.held()] == [e["event_id"] for e in events[2:]]
    assert outbox.stats()["dropped"] == {DROP_FULL: 2}
    assert box(tmp_path, clock, max_reports=3).stats()["dropped"] == {DROP_FULL: 2}


def test_cap_by_bytes_and_too_large(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock, max_bytes=5000)
    kept = []
    for n in range(5):
        clock.now += 1
        kept.append(make_event(n, pad=1500))
        outbox.hold(kept[-1])
    stats = outbox.stats()
    assert stats["bytes"] <= 5000
    assert stats["pending"] == 2
    assert [r.event_id for r in outbox.held()] == [e["event_id"] for e in kept[-2:]]
    assert stats["dropped"] == {DROP_FULL: 3}
    assert not outbox.hold(make_event(pad=6000))
    assert outbox.stats()["dropped"] == {DROP_FULL: 3, DROP_TOO_LARGE: 1}


def test_age_cap_drops_reports_older_than_30_days(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    old, new = make_event(1), make_event(2)
    outbox.hold(old)
    outbox.put_envelope(old["event_id"], b"{}\n", ["error"])
    clock.now += 29 * 86400
    outbox.hold(new)
    clock.now += 2 * 86400
    restarted = box(tmp_path, clock)
    assert restarted.ready() == []
    assert [r.event_id for r in restarted.held()] == [new["event_id"]]
    assert restarted.stats()["dropped"] == {DROP_EXPIRED: 1}


def test_purge_deletes_everything(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    events = [make_event(n) for n in range(3)]
    for event in events:
        outbox.hold(event)
    outbox.put_envelope(events[0]["event_id"], b"{}\n", ["error"])
    assert outbox.purge(DROP_CONSENT_OFF) == 3
    assert list((tmp_path / HELD_DIR).iterdir()) == []
    assert list((tmp_path / READY_DIR).iterdir()) == []
    assert outbox.stats()["dropped"] == {DROP_CONSENT_OFF: 3}
    # A late envelope from a capture still running when consent went off is refused.
    assert not outbox.put_envelope(events[1]["event_id"], b"{}\n", ["error"])
    assert not outbox.hold(events[2])  # what was deleted at OFF never comes back


def test_corrupt_files_are_removed_and_counted(tmp_path: Path) -> None:
    clock = Clock()
    outbox = box(tmp_path, clock)
    outbox.hold(make_event())
    (tmp_path / HELD_DIR / f"{uuid.uuid4().hex}.json").write_bytes(b'{"v": 1, "ev')
    (tmp_path / READY_DIR / f"{uuid.uuid4().hex}.env").write_bytes(b"no newline")
    again = box(tmp_path, clock)
    assert len(again.held()) == 1
    assert again.stats()["dropped"] == {"corrupt": 2}


def test_invalid_event_id_is_refused(tmp_path: Path) -> None:
    outbox = box(tmp_path, Clock())
    assert not outbox.hold({"event_id": "../../etc/passwd"})
    assert not outbox.hold({"message": "no id"})
    assert outbox.held() == []
