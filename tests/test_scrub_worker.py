"""Scrubbing off the event loop: a child process, a time budget per event; over budget the
event is dropped and counted (never sent unscrubbed) and the next event is served."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from crash_reporter.scrub import ScrubStats, scrub_event
from crash_reporter.scrub.worker import ScrubWorker

IDS = [("Smith Family WiFi", "ssid"), "homeassistant-kitchen"]


def _event(value: str) -> dict[str, Any]:
    return {"event_id": "0123456789abcdef0123456789abcdef", "level": "error",
            "exception": {"values": [{"type": "OSError", "value": value}]}}


def _big_event() -> dict[str, Any]:
    line = "Connecting to 'Smith Family WiFi' from 10.0.0.7 on homeassistant-kitchen: " * 50
    return {"event_id": "0123456789abcdef0123456789abcdef",
            "exception": {"values": [{"type": f"E{i}", "value": line * 2} for i in range(25)]},
            "breadcrumbs": {"values": [{"message": f"{i} {line}"} for i in range(100)]}}


async def test_the_worker_gives_what_scrub_event_gives() -> None:
    stats = ScrubStats()
    worker = ScrubWorker(stats)
    try:
        event = _event("Connecting to 'Smith Family WiFi' at 10.0.0.7")
        assert await worker.scrub(event, IDS) == scrub_event(event, IDS)
        assert stats.scrubbed == 1 and stats.dropped == 0
    finally:
        await worker.close()


async def test_over_budget_is_dropped_counted_and_the_next_event_is_served() -> None:
    stats = ScrubStats()
    worker = ScrubWorker(stats, budget_s=0.0005)  # far less than a big event needs
    try:
        assert await worker.scrub(_big_event(), IDS) is None
        assert (stats.dropped, stats.last_error, worker.timeouts) == (1, "timeout", 1)
        worker.budget_s = 30.0
        out = await worker.scrub(_event("from 10.0.0.7"), IDS)  # a fresh child serves it
        assert out is not None and out["exception"]["values"][0]["value"] == "from [ip]"
        assert stats.scrubbed == 1
    finally:
        await worker.close()


async def test_the_event_loop_keeps_serving_while_an_event_is_scrubbed() -> None:
    worker = ScrubWorker(ScrubStats())
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    try:
        await worker.scrub(_event("warm up"), IDS)  # the child is started
        event = _big_event()
        task = asyncio.create_task(ticker())
        t0 = time.monotonic()
        out = await worker.scrub(event, IDS)
        took = time.monotonic() - t0
        task.cancel()
        assert out is not None and "Smith Family WiFi" not in json.dumps(out)
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        # The loop ran all along: no gap near the time the scrub took.
        assert len(ticks) > 3 and max(gaps) < max(0.05, took / 2), (took, max(gaps))
    finally:
        await worker.close()


async def test_a_fast_engine_that_kills_the_child_costs_no_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hyperscan dying with SIGILL on a CPU it does not know: the report in hand is scrubbed
    by a fresh child with the plain engine (pyahocorasick), and so are the next ones."""
    (tmp_path / "hyperscan.py").write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGILL)\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    stats = ScrubStats()
    worker = ScrubWorker(stats)
    try:
        event = _event("Connecting to 'Smith Family WiFi' at 10.0.0.7")
        assert await worker.scrub(event, IDS) == scrub_event(event, IDS)
        assert worker.plain is True and (stats.scrubbed, stats.dropped) == (1, 0)
        assert worker._proc is not None
        cmdline = await asyncio.to_thread(
            Path(f"/proc/{worker._proc.pid}/cmdline").read_bytes)
        assert b"--plain" in cmdline.split(b"\0")
        assert await worker.scrub(event, IDS) == scrub_event(event, IDS)
    finally:
        await worker.close()


async def test_an_event_that_cannot_be_encoded_is_dropped_and_counted() -> None:
    stats = ScrubStats()
    worker = ScrubWorker(stats)
    try:
        event: dict[str, Any] = _event("x")
        event["extra"] = event  # a cycle: json.dumps raises ValueError
        assert await worker.scrub(event, IDS) is None
        assert stats.dropped == 1 and stats.last_error == "worker ValueError"
        assert await worker.scrub(_event("from 10.0.0.7"), IDS) is not None
    finally:
        await worker.close()
