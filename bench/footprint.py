"""Benchmark: what the daemon costs a small board at idle and after load, against its floors.

Run: python bench/footprint.py [--idle-s S] (needs root for the real systemd, like the tests).
The real daemon (`python -m crash_reporter run`, a child process) runs among the real parts:
a real systemd user manager on its private bus (sandbox/systemd.py), the OS-Agent stand-in
on that bus, the Supervisor API stand-in (diagnostics ON) and a Sentry receiver. Figures:

- start-up: from spawning the daemon until it watches (D-Bus attached, its five log streams
  open), against the import floor: `python -c 'import sentry_sdk, aiohttp, dbus_fast'`;
- RSS at idle, after a load of 10,000 log lines and 100 crashes (90 in the logs: Python
  tracebacks and Go panics, 10 real unit crashes under systemd; all distinct, so all are
  reported and sent), and after a second such load (flat: the second adds nothing), against
  the import floor's RSS;
- wake-ups per minute (voluntary context switches of every thread, /proc) and CPU seconds
  per hour at idle, measured over --idle-s (default 120 s) and extrapolated, against a bare
  asyncio process holding the same open connections (a dbus-fast bus connection and an
  aiohttp follow stream of the same stand-in), measured over the same window;
- threads at idle (sentry-sdk's client starts none), and the RSS of the daemon's child
  processes (the scrub worker, started with the first report) apart.

Medians of 3 for the import floor; the idle window is measured once, daemon and peer side
by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crash_reporter.app import CURSOR_LAG_S  # noqa: E402
from sandbox import load, proc  # noqa: E402
from sandbox.daemon import Daemon, daemon_env  # noqa: E402
from sandbox.os_agent import OsAgentStandIn  # noqa: E402
from sandbox.receiver import Receiver  # noqa: E402
from sandbox.supervisor_api import SupervisorStandIn  # noqa: E402
from sandbox.systemd import SystemdUserManager  # noqa: E402

LOG_LINES = 10_000
LOG_CRASHES = 90
UNIT_CRASHES = 10
UNITS = [f"bench-unit-{i}.service" for i in range(UNIT_CRASHES)]
FLOOR_IMPORT = "import sentry_sdk, aiohttp, dbus_fast"

PEER = r"""
import asyncio, sys
import aiohttp
from dbus_fast.aio import MessageBus

async def main():
    bus = await MessageBus(bus_address=sys.argv[1]).connect()
    headers = {"Authorization": f"Bearer {sys.argv[3]}", "Accept": "text/x-log"}
    timeout = aiohttp.ClientTimeout(total=None, connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(sys.argv[2], headers=headers) as resp:
            print("ready", flush=True)
            async for _chunk in resp.content.iter_any():
                pass
    bus.disconnect()

asyncio.run(main())
"""


def import_floor() -> tuple[float, float]:
    """(seconds, RSS MB) of a Python that imports the run-time dependencies; medians of 3."""
    took: list[float] = []
    rss: list[float] = []
    probe = (f"{FLOOR_IMPORT}\nprint([l for l in open('/proc/self/status') "
             "if l.startswith('VmRSS')][0].split()[1])")
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             check=True, cwd=ROOT)
        took.append(time.perf_counter() - start)
        rss.append(int(out.stdout.strip()) * 1024 / 1e6)
    return statistics.median(took), statistics.median(rss)


class Idle:
    """Wake-ups and CPU time of a process over a window."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.wakeups = proc.wakeups(pid)
        self.cpu = proc.cpu_s(pid)
        self.at = time.monotonic()

    def rates(self) -> tuple[float, float]:
        """(wake-ups per minute, CPU seconds per hour) since construction."""
        span = time.monotonic() - self.at
        return ((proc.wakeups(self.pid) - self.wakeups) * 60 / span,
                (proc.cpu_s(self.pid) - self.cpu) * 3600 / span)


async def crash_units(systemd: SystemdUserManager, names: list[str]) -> None:
    """Each unit really crashes once (SIGSEGV), one after the other."""
    for name in names:
        await asyncio.to_thread(systemd.run_unit, name, "sleep 0.05; kill -SEGV $$",
                                restart="no")
    for name in names:
        await asyncio.to_thread(systemd.wait_unit_property, name, "ActiveState", "failed")
    for name in names:
        await asyncio.to_thread(systemd.reset_failed, name)


async def one_load(sup: SupervisorStandIn, systemd: SystemdUserManager, round_no: int) -> None:
    """10,000 ordinary lines with 90 log crashes among them, and 10 unit crashes."""
    lines = list(load.noise(LOG_LINES, seed=round_no))
    every = LOG_LINES // LOG_CRASHES
    for k in range(LOG_CRASHES):
        i = round_no * 1000 + k
        chunk = lines[k * every:(k + 1) * every]
        sup.append("hassio_supervisor", chunk)
        if k % 2:
            sup.append("os-agent", load.go_panic(i, pid=5000 + i), pid=5000 + i)
        else:
            sup.append("hassio_supervisor", load.python_traceback(i))
        await asyncio.sleep(0.01)
    sup.append("hassio_supervisor", lines[LOG_CRASHES * every:])
    await crash_units(systemd, UNITS)


async def settled(daemon: Daemon, reports: int, timeout_s: float = 180.0) -> None:
    """Wait until the daemon built `reports` reports and then logged nothing for 3 s."""
    deadline = time.monotonic() + timeout_s
    while sum("built:" in line for line in daemon.lines) < reports:
        if time.monotonic() > deadline:
            raise SystemExit("the daemon did not report every crash:\n"
                             + "\n".join(line[:200] for line in daemon.lines[-20:]))
        await asyncio.sleep(0.2)
    seen = -1
    while seen != len(daemon.lines):
        seen = len(daemon.lines)
        await asyncio.sleep(3.0)


async def measure(daemon: Daemon, supervisor: SupervisorStandIn,
                  systemd: SystemdUserManager, sentry: Receiver, started: float,
                  idle_s: float) -> dict[str, Any]:
    """Every figure of the running daemon and the peer beside it."""
    assert daemon.proc is not None
    pid = daemon.proc.pid
    if await daemon.wait_for("Watching over D-Bus", 60) is None:
        raise SystemExit("the daemon never attached to D-Bus:\n"
                         + "\n".join(daemon.lines[-20:]))
    await supervisor.wait_streams(5, timeout_s=60)
    startup = time.perf_counter() - started
    # (the stand-in sends a follow reply's headers with its first entry)
    supervisor.append("os-agent", ["INFO: main.go:63: Start OS-Agent 1.7.2"])
    peer = subprocess.Popen(  # noqa: ASYNC220 - started once, not waited on
        [sys.executable, "-c", PEER, systemd.address,
         f"{supervisor.url}/host/logs/identifiers/os-agent/follow",
         supervisor.token], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert peer.stdout is not None
        await asyncio.to_thread(peer.stdout.readline)
        # Both settle: the daemon writes a log position CURSOR_LAG_S after reading it.
        await asyncio.sleep(CURSOR_LAG_S + 5.0)
        rss_idle, peer_rss = proc.rss_mb(pid), proc.rss_mb(peer.pid)
        idle_children = proc.tree_rss_mb(pid)
        ours, theirs = Idle(pid), Idle(peer.pid)
        await asyncio.sleep(idle_s)
        (wake, cpu), (peer_wake, peer_cpu) = ours.rates(), theirs.rates()
        threads, peer_threads = proc.threads(pid), proc.threads(peer.pid)
        after: list[float] = []
        for round_no in (1, 2):
            await one_load(supervisor, systemd, round_no)
            await settled(daemon, round_no * (LOG_CRASHES + UNIT_CRASHES))
            after.append(proc.rss_mb(pid))
        sent = len(sentry.envelopes)
        child_rss = proc.tree_rss_mb(pid)
    finally:
        peer.terminate()
        peer.wait(10)
    return {"startup": startup, "rss_idle": rss_idle, "peer_rss": peer_rss, "wake": wake,
            "cpu": cpu, "peer_wake": peer_wake, "peer_cpu": peer_cpu, "threads": threads,
            "peer_threads": peer_threads, "after": after, "sent": sent,
            "child_rss": child_rss, "idle_children": idle_children}


async def run(idle_s: float) -> None:
    floor_s, floor_mb = import_floor()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "options.json").write_text(json.dumps({"watch_units": UNITS}))
        async with SystemdUserManager() as systemd, Receiver() as sentry, OsAgentStandIn(
                systemd.address, initial_diagnostics=True) as agent:
            supervisor = SupervisorStandIn(diagnostics=True, on_diagnostics=agent.set_diagnostics)
            async with supervisor:
                daemon = Daemon(daemon_env(supervisor, data, systemd.address, sentry.dsn))
                started = time.perf_counter()
                await daemon.start()
                try:
                    figures = await measure(daemon, supervisor, systemd, sentry, started,
                                            idle_s)
                finally:
                    await daemon.stop()
    startup, rss_idle, peer_rss = figures["startup"], figures["rss_idle"], figures["peer_rss"]
    wake, cpu, peer_wake, peer_cpu = (figures[k] for k in ("wake", "cpu", "peer_wake",
                                                           "peer_cpu"))
    threads, peer_threads, after, sent = (figures[k] for k in ("threads", "peer_threads",
                                                               "after", "sent"))
    budget = floor_mb + 8.0
    print(f"machine: {os.cpu_count()} cores, shared with other jobs while measured; idle window "
          f"{idle_s:.0f} s; daemon: consent ON, DSN = a local receiver, {len(UNITS) + 3} "
          f"units watched, 5 log streams followed; {2 * (LOG_CRASHES + UNIT_CRASHES)} crashes "
          f"made into reports, {sent} sent (flood control's global budget folds the rest)")
    print(f"peer: bare asyncio (python -c) holding one dbus-fast connection and one aiohttp "
          f"follow stream; import floor: python -c '{FLOOR_IMPORT}' (median of 3)")
    rows = [
        ("start-up until watching (s)", f"{startup:.2f}", f"{floor_s:.2f}",
         f"{startup / floor_s:.1f}x import", ""),
        ("RSS at idle (MB)", f"{rss_idle:.1f}", f"{floor_mb:.1f}",
         f"{rss_idle - floor_mb:+.1f} MB", f"<= {budget:.1f}"),
        ("RSS after load 1 (MB)", f"{after[0]:.1f}", f"{floor_mb:.1f}",
         f"{after[0] - floor_mb:+.1f} MB", f"<= {budget:.1f}"),
        ("RSS after load 2 (MB)", f"{after[1]:.1f}", f"{after[0]:.1f} (load 1)",
         f"{after[1] - after[0]:+.1f} MB", "flat"),
        ("wake-ups per minute, idle", f"{wake:.1f}", f"{peer_wake:.1f} (peer)",
         f"{wake - peer_wake:+.1f}/min", "no timer < 300 s"),
        ("CPU s per idle hour", f"{cpu:.2f}", f"{peer_cpu:.2f} (peer)",
         f"{cpu - peer_cpu:+.2f} s", ""),
        ("threads, idle", f"{threads}", f"{peer_threads} (peer)", "", ""),
        ("RSS of the peer, idle (MB)", f"{peer_rss:.1f}", "", "", ""),
        ("child processes' RSS, idle (MB)", f"{figures['idle_children']:.1f}", "", "", ""),
        ("child processes' RSS, after load", f"{figures['child_rss']:.1f}", "",
         "(the scrub worker)", ""),
    ]
    print(f"{'figure':<30}{'daemon':>10}{'floor':>18}{'vs floor':>16}{'goal':>18}")
    for name, value, floor, diff, goal in rows:
        print(f"{name:<30}{value:>10}{floor:>18}{diff:>16}{goal:>18}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-s", type=float, default=120.0,
                        help="length of the idle window (s)")
    args = parser.parse_args()
    asyncio.run(run(args.idle_s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
