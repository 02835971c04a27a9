"""`crash-reporter status`: read-only view of the data dir, daemon running or not."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from crash_reporter.flood import FloodControl
from crash_reporter.outbox import Outbox
from crash_reporter.status import read_status, render_status

NOW = 1_760_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def event(value: str) -> dict[str, Any]:
    return {"event_id": uuid.uuid4().hex,
            "exception": {"values": [{"type": "ValueError", "value": value}]}}


def populate(data_dir: Path) -> list[dict[str, Any]]:
    clock = Clock(NOW - 3600)
    outbox = Outbox(data_dir / "outbox", max_reports=2, max_bytes=10**6, clock=clock)
    events = [event(f"bad {n}") for n in range(4)]
    for e in events:
        clock.now += 60
        outbox.hold(e)  # max 2: the first two are dropped (outbox_full)
    outbox.put_envelope(events[2]["event_id"], b"{}\n", ["error"])
    clock.now += 60
    outbox.hold(sent := event("sent one"))
    outbox.put_envelope(sent["event_id"], b"{}\n", ["error"])
    outbox.remove(sent["event_id"], "sent")
    outbox.set_rate_limits({"error": NOW + 600, "transaction": NOW - 5})
    state = data_dir / "state"
    state.mkdir()
    (state / "consent.json").write_text(json.dumps(
        {"state": "on", "read_at": NOW - 30, "reason": "diagnostics enabled"}))
    flood = FloodControl(state / "flood.json", clock=clock)
    flood.admit("sig", event("loop"))
    flood.admit("sig", event("loop"))
    return [*events, sent]


def test_read_status(tmp_path: Path) -> None:
    events = populate(tmp_path)
    status = read_status(tmp_path, now=NOW)
    assert status["consent"] == {"state": "on", "read_at": NOW - 30,
                                 "reason": "diagnostics enabled"}
    # The third was dropped to make room for the sent one (max 2 reports).
    assert status["outbox"]["pending"] == 1
    assert status["outbox"]["held"] == 1 and status["outbox"]["ready"] == 0
    assert status["outbox"]["oldest"] == NOW - 3600 + 240
    assert status["sent"] == 1
    assert status["dropped"] == {"outbox_full": 3}
    assert status["rate_limits"] == {"error": NOW + 600}  # expired ones are not shown
    assert status["flood"]["folded_pending"] == 1
    recent = {r["event_id"]: r for r in status["recent"]}
    assert recent[events[-1]["event_id"]]["outcome"] == "sent"
    assert recent[events[-1]["event_id"]]["title"] == "ValueError: sent one"
    assert recent[events[0]["event_id"]]["outcome"] == "dropped: outbox_full"
    text = render_status(status)
    assert "Consent:      ON (diagnostics enabled)" in text
    assert events[-1]["event_id"] in text and "ValueError: sent one" in text
    assert "error until" in text
    assert "outbox_full: 3" in text
    json.dumps(status)


def test_status_of_an_empty_data_dir(tmp_path: Path) -> None:
    status = read_status(tmp_path / "nothing", now=NOW)
    assert status["consent"] is None
    assert status["outbox"]["pending"] == 0
    text = render_status(status)
    assert "not read yet" in text
    assert "Last reports: none" in text
    assert not (tmp_path / "nothing").exists()  # read-only


def test_status_command(tmp_path: Path) -> None:
    populate(tmp_path)
    out = subprocess.run([sys.executable, "-m", "crash_reporter", "status", "--json",
                          "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, check=True, timeout=60)
    doc = json.loads(out.stdout)
    assert doc["sent"] == 1
    text = subprocess.run([sys.executable, "-m", "crash_reporter", "status",
                           "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    assert "Last reports:" in text
