"""Benchmark: from a crash to its envelope at the Sentry receiver, per kind, p50 and p99.

Run: python bench/latency.py [--samples N] (needs root for the real systemd, like the tests).
The real daemon (`python -m crash_reporter run`) runs among the real parts (real systemd
user manager, OS-Agent stand-in, Supervisor API stand-in with diagnostics ON, a Sentry
receiver that stamps each envelope on arrival). One crash at a time, each distinct (flood
control would fold repeats); a fresh daemon per kind (its global budget is 20 reports an
hour). Kinds, and when their last view is there:

- unit signal: a watched unit's process kills itself with SIGSEGV (no core dump): the D-Bus
  view is the only one. t0 = systemd's ExecMainExitTimestamp; nothing to wait for.
- Go panic: OS-Agent's panic lines reach its log stream, then haos-agent.service exits with
  status 2 (the D-Bus view, which waits for the panic). t0 = the lines written; the last
  view needs the panic record to end: its last line plus RECORD_BURST_S of quiet (the dying
  runtime writes the dump at once), or the unit exit if later.
- Python traceback: the Supervisor logs a traceback at ERROR (the colour reset ends it).
  t0 = the lines written; the last view is the traceback itself.
- core dump: a watched unit dumps core for real (LimitCORE=infinity; Result=core-dump over
  D-Bus, which waits for the core dump) and systemd-coredump's message (written by this
  bench: there is no systemd-coredump here) reaches the log CORE_DELAY_S later. t0 =
  ExecMainExitTimestamp; the last view is that message.

Latency = envelope arrival - t0 (same clock, one machine). Goal: p99 < 1.5 s for a unit
crash with no other view to wait for; the others at most their last view + 0.5 s.
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
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crash_reporter.detect import RECORD_BURST_S  # noqa: E402
from sandbox import load  # noqa: E402
from sandbox.daemon import Daemon, daemon_env  # noqa: E402
from sandbox.os_agent import OsAgentStandIn  # noqa: E402
from sandbox.receiver import Receiver  # noqa: E402
from sandbox.supervisor_api import SupervisorStandIn  # noqa: E402
from sandbox.systemd import SystemdUserManager  # noqa: E402

AGENT = "haos-agent.service"
CORE_DELAY_S = 0.3  # systemd-coredump's message after the death (it reads the core first)
SAMPLES = 15  # per kind (the daemon's flood budget is 20 reports an hour)


def unit_path(unit: str) -> str:
    """systemd's object path of a unit (every character outside [A-Za-z0-9] as _xx)."""
    escaped = "".join(c if c.isalnum() else f"_{ord(c):02x}" for c in unit)
    return f"/org/freedesktop/systemd1/unit/{escaped}"


def exit_time(systemd: SystemdUserManager, unit: str) -> float:
    """The unit's ExecMainExitTimestamp (epoch seconds, microsecond precision)."""
    out = subprocess.run(
        ["busctl", "--user", "get-property", "org.freedesktop.systemd1", unit_path(unit),
         "org.freedesktop.systemd1.Service", "ExecMainExitTimestamp"],
        env=systemd.env, capture_output=True, text=True, check=True).stdout
    return int(out.split()[1]) / 1e6


async def crashed(systemd: SystemdUserManager, unit: str, command: str,
                  **props: tuple[str, object]) -> float:
    """Run `unit` with `command` until it fails; its exit time."""
    await asyncio.to_thread(systemd.run_unit, unit, command, restart="no",
                            extra_properties=props)
    await asyncio.to_thread(systemd.wait_unit_property, unit, "ActiveState", "failed")
    return await asyncio.to_thread(exit_time, systemd, unit)


class Kind:
    """One kind of crash: how to cause sample `i`; returns (t0, last view's time)."""

    def __init__(self, name: str, units: list[str],
                 cause: Callable[[SupervisorStandIn, SystemdUserManager, int, Path],
                                 Awaitable[tuple[float, float]]]) -> None:
        self.name = name
        self.units = units
        self.cause = cause


async def unit_signal(sup: SupervisorStandIn, systemd: SystemdUserManager, i: int,
                      tmp: Path) -> tuple[float, float]:
    t0 = await crashed(systemd, f"bench-sig-{i}.service", "kill -SEGV $$")
    return t0, t0


async def go_panic(sup: SupervisorStandIn, systemd: SystemdUserManager, i: int,
                   tmp: Path) -> tuple[float, float]:
    t0 = time.time()
    sup.append("os-agent", load.go_panic(i, pid=6000 + i, at=t0), pid=6000 + i)
    with_exit = await crashed(systemd, AGENT, "exit 2")
    await asyncio.to_thread(systemd.reset_failed, AGENT)
    return t0, max(t0 + RECORD_BURST_S, with_exit)


async def python_traceback(sup: SupervisorStandIn, systemd: SystemdUserManager, i: int,
                           tmp: Path) -> tuple[float, float]:
    t0 = time.time()
    sup.append("hassio_supervisor", load.python_traceback(i, at=t0))
    return t0, t0


async def core_dump(sup: SupervisorStandIn, systemd: SystemdUserManager, i: int,
                    tmp: Path) -> tuple[float, float]:
    unit = f"bench-core-{i}.service"
    t0 = await crashed(systemd, unit, "kill -SEGV $$", LimitCORE=("t", 2**64 - 1),
                       WorkingDirectory=("s", str(tmp)))
    if (result := systemd.unit_property(unit, "Result")) != "core-dump":
        raise SystemExit(f"{unit}: Result={result}: no core was dumped (core_pattern?)")
    (tmp / "core").unlink(missing_ok=True)
    await asyncio.sleep(max(0.0, t0 + CORE_DELAY_S - time.time()))
    at = time.time()
    sup.append("systemd-coredump", load.coredump(f"benchd{i}", 7000 + i, at=at))
    return t0, at


async def measure(kind: Kind, samples: int) -> list[tuple[float, float]]:
    """(latency, last view - t0) of each sample of `kind`, with a fresh daemon."""
    out: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "options.json").write_text(json.dumps({"watch_units": kind.units}))
        async with SystemdUserManager() as systemd, Receiver() as sentry, OsAgentStandIn(
                systemd.address, initial_diagnostics=True) as agent:
            supervisor = SupervisorStandIn(diagnostics=True, on_diagnostics=agent.set_diagnostics)
            async with supervisor:
                daemon = Daemon(daemon_env(supervisor, data, systemd.address, sentry.dsn))
                await daemon.start()
                try:
                    if await daemon.wait_for("Watching over D-Bus", 60) is None:
                        raise SystemExit("the daemon never attached:\n" + "\n".join(
                            daemon.lines[-20:]))
                    await daemon.wait_for("consent is ON", 30)
                    await supervisor.wait_streams(5, timeout_s=60)
                    for i in range(samples):
                        t0, last = await kind.cause(supervisor, systemd, i, data)
                        await sentry.wait_for(i + 1, 30)
                        out.append((sentry.envelopes[i].received_at - t0, last - t0))
                        await asyncio.sleep(0.5)
                    await asyncio.sleep(6.0)  # longer than the join window: no second part
                    if len(sentry.envelopes) != samples:
                        raise SystemExit(f"{kind.name}: {len(sentry.envelopes)} envelopes for "
                                         f"{samples} crashes: a report was split")
                finally:
                    await daemon.stop()
    return out


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank; the maximum for fewer than 100 samples)."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, round(0.99 * len(ranked) + 0.5) - 1))]


async def run(samples: int) -> None:
    kinds = [
        Kind("unit signal", [f"bench-sig-{i}.service" for i in range(samples)], unit_signal),
        Kind("Go panic", [], go_panic),
        Kind("Python traceback", [], python_traceback),
        Kind("core dump", [f"bench-core-{i}.service" for i in range(samples)], core_dump),
    ]
    rows = []
    for kind in kinds:
        figures = await measure(kind, samples)
        latencies = [lat for lat, _ in figures]
        last = statistics.median(view for _, view in figures)
        goal = 1.5 if kind.name == "unit signal" else last + 0.5
        rows.append((kind.name, statistics.median(latencies), p99(latencies), last, goal))
    print(f"machine: {os.cpu_count()} cores, shared with other jobs while measured; {samples} "
          "crashes per kind, one at a time, each a separate report (all sent); a fresh "
          "daemon per kind; p99 = nearest rank (the maximum below 100 samples)")
    print(f"{'kind':<18}{'p50 (s)':>9}{'p99 (s)':>9}{'last view (s)':>15}{'goal p99 (s)':>14}"
          f"{'':>4}")
    for name, p50, high, last, goal in rows:
        verdict = "ok" if high <= goal else "over"
        print(f"{name:<18}{p50:>9.2f}{high:>9.2f}{last:>15.2f}{goal:>14.2f}{verdict:>6}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=SAMPLES, help="crashes per kind")
    args = parser.parse_args()
    asyncio.run(run(min(args.samples, 19)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
