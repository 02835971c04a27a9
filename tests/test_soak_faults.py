"""Fault soak: the real daemon among real parts for 2-3.5 minutes under seeded random faults.

The daemon runs as its own process (`python -m crash_reporter run`, sandbox/daemon.py) with
its data dir on a small REAL tmpfs, a REAL dbus-daemon as its bus (OS-Agent's stand-in on
it), the Supervisor API stand-in (consent, and the log stream the crashes are written to)
and the Sentry receiver. Meanwhile, at seeded random times:

- crashes: a Supervisor traceback written to its log (each with its own signature);
- disk full: the tmpfs filled up for a few seconds;
- the Supervisor API flapping: 401, 500, time-outs, garbage, redirects (consent UNKNOWN);
- the bus daemon restarted (OS-Agent's stand-in comes back after it);
- Sentry answering 429, 500, connection resets;
- SIGKILL of the daemon, started again at once (as s6 would).

Then every fault is lifted and the test waits for the daemon to settle. Checked: every crash
is delivered exactly once (one event id; a repeat of the same envelope only after a kill
between Sentry storing it and the daemon hearing so) or counted as dropped with a reason in
`crash-reporter status`; the daemon never exits on its own; its RSS stays flat. The figures
are printed (`-s`) for the closing note.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.daemon import ROOT, Daemon, daemon_env
from sandbox.os_agent import OsAgentStandIn
from sandbox.receiver import Fault, Receiver
from sandbox.supervisor_api import SupervisorStandIn

SEED = 20261204
SOAK_S = float(os.environ.get("CRASH_REPORTER_SOAK_S", "120"))  # the fault phase
SETTLE_S = 100.0  # at most this long for everything to arrive once the faults are lifted
CRASHES = 16  # within flood control's global budget (20 an hour), each its own signature
FS_BYTES = 8 << 20
API_FAULTS: list[Any] = [401, 500, "slow", "garbage", "redirect", "reset", "not_json"]
VALUE = re.compile(r"soak crash (\d+)")


def _crash_lines(i: int) -> list[str]:
    """A Supervisor ERROR record with a traceback (colorlog colours), unique per `i`."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    return [
        f"\x1b[31m{stamp}.000 ERROR (MainThread) [supervisor.core] Soak task {i} failed",
        "Traceback (most recent call last):",
        f'  File "/usr/src/supervisor/supervisor/core.py", line {100 + i}, in soak_step_{i}',
        f"    raise KeyError('soak crash {i}')",
        f"KeyError: 'soak crash {i}'\x1b[0m",
    ]


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Bus:
    """A real dbus-daemon on a unix socket that can be restarted at the same address."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "bus"
        self.address = f"unix:path={self.path}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile",
             f"--address={self.address}"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.path.exists():
            assert time.monotonic() < deadline, "dbus-daemon did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@dataclass
class Figures:
    crashes: int = 0
    delivered: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    sigkills: int = 0
    disk_full_windows: int = 0
    api_flaps: int = 0
    bus_restarts: int = 0
    sentry_faults: int = 0
    envelopes: int = 0
    duplicate_envelopes: int = 0
    peak_rss_kb: int = 0
    settled_rss_kb: list[int] = field(default_factory=list)
    storage_faults: dict[str, int] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def small_fs() -> AsyncIterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    mnt = folder / "data"
    mnt.mkdir()
    await asyncio.to_thread(
        subprocess.run, ["mount", "-t", "tmpfs", "-o", f"size={FS_BYTES},mode=0755", "tmpfs",
                         str(mnt)], check=True, capture_output=True)
    try:
        yield mnt
    finally:
        await asyncio.to_thread(subprocess.run, ["umount", "-l", str(mnt)], check=False,
                                capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _fill(fs: Path) -> Path:
    filler = fs / "filler"
    with filler.open("wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * (64 << 10))
    return filler


def _status(data_dir: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "crash_reporter", "status", "--json",
                          "--data-dir", str(data_dir)], capture_output=True, text=True,
                         timeout=60, check=False, cwd=ROOT)
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def _delivered(rx: Receiver) -> dict[int, set[str]]:
    """Crash number -> the event ids it arrived under."""
    found: dict[int, set[str]] = {}
    for envelope in rx.envelopes:
        event = envelope.event() or {}
        for value in (event.get("exception") or {}).get("values") or []:
            m = VALUE.search(str(value.get("value", "")))
            if m and envelope.event_id:
                found.setdefault(int(m.group(1)), set()).add(envelope.event_id)
    return found


@pytest.mark.timeout(420)
async def test_soak_under_faults(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    figures = Figures()
    bus = Bus(tmp_path)
    bus.start()
    agent = OsAgentStandIn(bus.address, initial_diagnostics=True)
    await agent.start()
    daemons: list[Daemon] = []
    async with small_fs() as data_dir, Receiver() as rx, \
            SupervisorStandIn(diagnostics=True) as sup:
        env = daemon_env(sup, data_dir, bus.address, rx.dsn)

        async def start() -> Daemon:
            daemon = Daemon(env)
            await daemon.start()
            daemons.append(daemon)
            return daemon

        daemon = await start()
        assert await daemon.wait_for("Diagnostics consent is ON", 30), daemon.lines[-20:]
        filler: Path | None = None
        api_until = fill_until = 0.0
        started = time.monotonic()
        # The plan: each kind of fault several times, at seeded random moments.
        plan = sorted((rng.uniform(5, SOAK_S - 10), kind) for kind, n in (
            ("disk", 4), ("api", 6), ("bus", 2), ("sentry", 6), ("kill", 4)) for _ in range(n))
        crash_at = sorted(rng.uniform(3, SOAK_S - 15) for _ in range(CRASHES))
        try:
            while time.monotonic() - started < SOAK_S:
                now = time.monotonic()
                at = now - started
                assert daemon.proc is not None
                assert daemon.proc.returncode is None, "the daemon exited on its own:\n" + \
                    "\n".join(daemon.lines[-30:])
                figures.peak_rss_kb = max(figures.peak_rss_kb, _rss_kb(daemon.proc.pid))
                while crash_at and crash_at[0] <= at:
                    crash_at.pop(0)
                    sup.append("hassio_supervisor", _crash_lines(figures.crashes))
                    figures.crashes += 1
                if filler is not None and now >= fill_until:
                    await asyncio.to_thread(filler.unlink)
                    filler = None
                if api_until and now >= api_until:
                    sup.set_fault(None)
                    api_until = 0.0
                fault = plan.pop(0)[1] if plan and plan[0][0] <= at else "none"
                if fault == "disk" and filler is None:
                    filler = await asyncio.to_thread(_fill, data_dir)
                    fill_until = now + rng.uniform(3, 9)
                    figures.disk_full_windows += 1
                elif fault == "api" and not api_until:
                    sup.slow_s = 12.0
                    sup.set_fault(rng.choice(API_FAULTS), paths=["/supervisor/info"])
                    api_until = now + rng.uniform(2, 8)
                    figures.api_flaps += 1
                elif fault == "bus":
                    await agent.stop()
                    await asyncio.to_thread(bus.stop)
                    await asyncio.sleep(rng.uniform(0.2, 2.0))
                    await asyncio.to_thread(bus.start)
                    await agent.start()
                    figures.bus_restarts += 1
                elif fault == "sentry":
                    kinds = [Fault.http(429, retry_after="2"), Fault.http(500),
                             Fault.reset_mid_body(), Fault.accept_then_reset()]
                    faults = [rng.choice(kinds) for _ in range(rng.randint(1, 2))]
                    rx.script(*faults)
                    figures.sentry_faults += len(faults)
                elif fault == "kill":
                    os.kill(daemon.proc.pid, signal.SIGKILL)
                    await daemon.proc.wait()
                    figures.sigkills += 1
                    daemon = await start()
                await asyncio.sleep(0.25)
            # Faults lifted: the daemon settles.
            if filler is not None:
                await asyncio.to_thread(filler.unlink)
            sup.set_fault(None)
            rx.unscript()
            deadline = time.monotonic() + SETTLE_S
            while time.monotonic() < deadline:
                assert daemon.proc is not None and daemon.proc.returncode is None
                figures.settled_rss_kb.append(_rss_kb(daemon.proc.pid))
                status = await asyncio.to_thread(_status, data_dir)
                accounted = len(_delivered(rx)) + sum(status["dropped"].values())
                if accounted >= figures.crashes and status["outbox"]["pending"] == 0:
                    break
                await asyncio.sleep(1.0)
            status = await asyncio.to_thread(_status, data_dir)
        finally:
            for d in daemons:
                await d.stop()
            await agent.stop()
            bus.stop()

    log = tmp_path / "daemon.log"
    log.write_text("\n".join(f"[life {n}] {line}" for n, d in enumerate(daemons)
                             for line in d.lines))
    print(f"\ndaemon log: {log}")
    delivered = _delivered(rx)
    figures.delivered = len(delivered)
    figures.dropped = status["dropped"]
    figures.storage_faults = status["faults"]
    figures.envelopes = len(rx.envelopes)
    figures.duplicate_envelopes = rx.duplicates()
    print("\nfault soak figures:", json.dumps(figures.__dict__, default=str))
    missing = sorted(set(range(figures.crashes)) - set(delivered))
    assert figures.crashes == CRASHES
    # every crash: delivered, or dropped with a reason (counted in status)
    assert len(missing) <= sum(status["dropped"].values()), (missing, status["dropped"])
    # exactly once: one event id per crash; the same envelope again only after a kill
    assert all(len(ids) == 1 for ids in delivered.values()), delivered
    assert figures.duplicate_envelopes <= figures.sigkills
    assert not Counter(rx.event_ids) - Counter(set(rx.event_ids)) or figures.sigkills
    # the faults really happened (a soak that injected nothing proves nothing)
    assert figures.sigkills and figures.disk_full_windows and figures.api_flaps
    assert figures.bus_restarts and figures.sentry_faults
    # RSS flat: the settled daemon is no bigger than the peak of all its lives (+10 %)
    assert figures.settled_rss_kb
    assert max(figures.settled_rss_kb) <= figures.peak_rss_kb * 1.1 + 4096
    assert figures.peak_rss_kb < 200_000
