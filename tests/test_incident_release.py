"""An incident leaves as soon as it is complete, and never in two parts (the real daemon).

OS-Agent's unit really exits with status 2 under the real systemd (the D-Bus view) and its
panic reaches the os-agent log stream (the log view), in either order and a second apart:
the receiver gets ONE event carrying both views. A unit killed by a signal, with no other
view to wait for, is one event too. Timing is measured by bench/latency.py, not here.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from crash_reporter.app import App
from sandbox.systemd import SystemdUserManager
from tests.plugin_daemon import AGENT, LogWatch, daemon, event_of, parts

pytestmark = [pytest.mark.systemd, pytest.mark.timeout(60)]

PANIC = [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4b7c3a]",
    "",
    "goroutine 1 [running]:",
    "github.com/home-assistant/os-agent/datadisk.(*datadisk).{name}(0x0)",
    "\tgithub.com/home-assistant/os-agent/datadisk/datadisk.go:88 +0x1a",
    "main.main()",
    "\tgithub.com/home-assistant/os-agent/main.go:70 +0x31f",
]


def panic_lines(name: str, pid: int) -> list[str]:
    """A Go panic as OS-Agent's stdout lines in the verbose log (each line its own entry)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
    return [f"{stamp} homeassistant-kitchen os-agent[{pid}]: {line.format(name=name)}"
            for line in PANIC]


async def exit_2(systemd: SystemdUserManager) -> None:
    """haos-agent.service's main process exits with status 2 (as Go does after a panic)."""
    with contextlib.suppress(Exception):
        await asyncio.to_thread(systemd.reset_failed, AGENT)
    await asyncio.to_thread(systemd.run_unit, AGENT, "sleep 0.1; exit 2", restart="no")
    await asyncio.to_thread(systemd.wait_unit_property, AGENT, "ActiveState", "failed")


async def settled(app: App) -> None:
    """Wait until the daemon holds nothing (no view pending, no record open), then a little."""
    for _ in range(300):
        if not app.holding():
            break
        await asyncio.sleep(0.05)
    assert not app.holding()
    await asyncio.sleep(0.5)  # what it released has reached the receiver


@pytest.mark.parametrize("unit_first", [True, False], ids=["unit-first", "panic-first"])
async def test_a_panic_and_its_unit_exit_are_one_event_in_either_order(
        systemd: SystemdUserManager, tmp_path: pytest.TempPathFactory, log: LogWatch,
        unit_first: bool) -> None:
    async with parts(systemd, tmp_path, diagnostics=True) as p, daemon(p, log) as app:
        await p.supervisor.wait_streams(5)
        if unit_first:
            await exit_2(systemd)
            await log.wait_for("Crash seen: haos-agent.service")
            await asyncio.sleep(0.5)  # the panic's lines come half a second later
            p.supervisor.append("os-agent", panic_lines("Mount", 4242), pid=4242)
        else:
            p.supervisor.append("os-agent", panic_lines("Mount", 4242), pid=4242)
            await log.wait_for("Crash seen: runtime error")
            await asyncio.sleep(0.5)
            await exit_2(systemd)
        await p.sentry.wait_for(1, 15)
        await settled(app)  # a second part would be on its way now
    assert len(p.sentry.envelopes) == 1
    event = event_of(p.sentry)
    assert event["platform"] == "go"
    assert event["contexts"]["crash"]["views"] == ["unit"]
    assert event["contexts"]["crash"]["exit_status"] == 2


async def test_a_unit_killed_by_a_signal_is_one_event(
        systemd: SystemdUserManager, tmp_path: pytest.TempPathFactory, log: LogWatch) -> None:
    async with parts(systemd, tmp_path, diagnostics=True) as p, daemon(p, log) as app:
        await asyncio.to_thread(systemd.run_unit, AGENT, "sleep 0.1; kill -SEGV $$",
                                restart="no")
        await p.sentry.wait_for(1, 15)
        await settled(app)
    assert len(p.sentry.envelopes) == 1
    assert event_of(p.sentry)["contexts"]["crash"]["signal"] == "SIGSEGV"
