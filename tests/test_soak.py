"""Soak: 1,000 crashes, Sentry down for the first half, several SIGKILLs of the sender.

A worker process plays the daemon: it "detects" crashes from a journal (deterministic event
ids per occurrence), holds them in the outbox, saves its cursor AFTER holding (so a kill
re-detects some), and drains to the receiver. The test kills it with SIGKILL at random
points of progress and starts it again. Every distinct crash must arrive, under its one id.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.receiver import Receiver

CRASHES = 1000
REPO = str(Path(__file__).resolve().parents[1])

WORKER = r"""
import asyncio, os, sys, uuid
from pathlib import Path
import aiohttp
from crash_reporter.files import atomic_write
from crash_reporter.outbox import Outbox
from crash_reporter.send import Delivery

root, dsn, total = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])

def crash(i):
    eid = uuid.uuid5(uuid.NAMESPACE_URL, f"soak-crash-{i}").hex
    return {"event_id": eid, "level": "fatal", "platform": "go",
            "exception": {"values": [{"type": "panic", "value": f"crash {i} " + "x" * 1500}]}}

async def yes():
    return True

async def main():
    outbox = Outbox(root / "outbox", max_reports=5000, max_bytes=10**9)
    cursor_file = root / "cursor"
    cursor = int(cursor_file.read_text()) if cursor_file.exists() else 0
    async with aiohttp.ClientSession() as http:
        delivery = Delivery(outbox, dsn, lambda e, h: e, http, backoff_base_s=0.02,
                            backoff_cap_s=0.2, pace_s=0.0, timeout_s=2.0)
        await delivery.open()
        while True:
            for i in range(cursor, min(cursor + 25, total)):
                await asyncio.to_thread(outbox.hold, crash(i))
            cursor = min(cursor + 25, total)
            await asyncio.to_thread(atomic_write, cursor_file, str(cursor).encode(), root)
            await delivery.drain(yes)
            await asyncio.sleep(0.005)

asyncio.run(main())
"""


def crash_id(i: int) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"soak-crash-{i}").hex


def rss_peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@pytest.mark.timeout(90)
async def test_soak_sigkill_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(1234)
    figures = {"kills": 0, "max_outbox": 0, "peak_rss_kb": 0}
    env = {**os.environ, "PYTHONPATH": REPO}

    def cursor() -> int:
        try:
            return int((tmp_path / "cursor").read_text())
        except (OSError, ValueError):
            return 0

    def outbox_size() -> int:
        return sum(len(list((tmp_path / "outbox" / d).glob("*")))
                   for d in ("held", "ready") if (tmp_path / "outbox" / d).exists())

    async with Receiver() as rx:
        await rx.refuse()  # Sentry is down for the first half
        proc: subprocess.Popen[bytes] | None = None

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), rx.dsn,
                                     str(CRASHES)], env=env)

        async def until(predicate: Callable[[], bool], deadline_s: float = 40.0) -> None:
            deadline = time.monotonic() + deadline_s
            while not predicate():
                assert proc is not None
                figures["max_outbox"] = max(figures["max_outbox"], outbox_size())
                figures["peak_rss_kb"] = max(figures["peak_rss_kb"], rss_peak_kb(proc.pid))
                assert proc.poll() is None, "worker died"
                assert time.monotonic() < deadline, "no progress"
                await asyncio.sleep(0.01)  # polling the worker's progress, not a fixed wait

        def kill() -> None:
            assert proc is not None
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            figures["kills"] += 1

        proc = start()
        for mark in sorted(rng.sample(range(50, CRASHES // 2), 2)):
            await until(lambda m=mark: cursor() >= m)  # type: ignore[misc]
            kill()
            proc = start()
        await until(lambda: cursor() >= CRASHES // 2)
        await rx.listen()  # Sentry is back
        for mark in sorted(rng.sample(range(100, CRASHES - 50), 3)):
            await until(lambda m=mark: len(rx.distinct_event_ids) >= m)  # type: ignore[misc]
            kill()
            proc = start()
        await until(lambda: len(rx.distinct_event_ids) >= CRASHES and outbox_size() == 0)
        kill()

    expected = {crash_id(i) for i in range(CRASHES)}
    assert rx.distinct_event_ids == expected  # every crash, under its one id, nothing else
    figures.update(crashes=CRASHES, deliveries=len(rx.event_ids), duplicates=rx.duplicates(),
                   connections=rx.connections)
    print("\nsoak figures:", figures)
    assert rx.duplicates() <= figures["kills"]  # only a kill between accept and record
