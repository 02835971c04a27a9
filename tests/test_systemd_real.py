"""The D-Bus watchers against a REAL systemd 252 user manager (sandbox/systemd.py).

Real units really crash (`kill -SEGV $$`, `exit 3`, crash loops up to the start limit); the
app's `BusSession` with `SystemdUnits` and `OsAgent` turns the manager's signals into records,
and `UnitCrashDetector` turns those into crashes. What systemd 252 sends, seen here:

- one crash (SIGSEGV): Service `Result=signal, ExecMainCode=2, ExecMainStatus=11` with a new
  `ExecMainExitTimestamp`, then Unit `failed/failed`; with Restart=, Unit
  `activating/auto-restart` and `NRestarts+1` after RestartSec, then the restart
  (`Result=success`, `ExecMainExitTimestamp=0`, new InvocationID) and `JobRemoved(done)`.
- a crash loop that reaches StartLimitBurst: the refused restart ends in `failed/failed`
  with `JobRemoved(failed)`, and Result STAYS `signal` (or `exit-code`): systemd keeps the
  first failure's result. `Result=start-limit-hit` only appears when the runs before ended
  with success (a Restart=always unit that keeps exiting 0).
- every PropertiesChanged carries all of the interface's emitting properties AND invalidates
  some (Service: the Exec* command lists; Unit: Conditions, Asserts), never one a UnitState
  uses; LoadState is never sent (neither changed nor invalidated).
- a stop or restart: Unit `deactivating/stop-sigterm`, then the exit: killed by 15 with
  `Result=success`; a process that answers SIGTERM with `exit 1` gets `Result=exit-code`
  and the unit ends `failed` (the stop job is still `done`).
- timeouts and the watchdog set Result BEFORE the kill: `Result=timeout` with
  `deactivating/stop-sigterm` (start timeout, SIGTERM) or `stop-sigkill` (stop timeout,
  SIGKILL), `Result=watchdog` with `deactivating/stop-watchdog` (SIGABRT); then the exit.
- no `oom-kill` here: MemoryMax= has no effect (the memory controller is cgroup v1, not
  delegated to the user manager).

Every test that expects nothing has a positive control in the same session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from crash_reporter.app import App
from crash_reporter.config import Config
from crash_reporter.const import (
    DBUS_IFACE_OS_AGENT,
    DBUS_IFACE_SYSTEMD_MANAGER,
    DBUS_IFACE_SYSTEMD_UNIT,
    DBUS_NAME_OS_AGENT,
    DBUS_NAME_SYSTEMD,
    DBUS_OBJECT_OS_AGENT,
    DBUS_OBJECT_SYSTEMD,
    UNIT_OS_AGENT,
    UNIT_SUPERVISOR,
)
from crash_reporter.detect.incidents import fold_loops
from crash_reporter.detect.unit_exit import UnitCrashDetector
from crash_reporter.flood import FloodControl
from crash_reporter.models import (
    BusNameChange,
    Consent,
    ConsentTrigger,
    Crash,
    CrashKind,
    HostFacts,
    UnitJobEnded,
    UnitState,
)
from crash_reporter.report import build_event
from crash_reporter.sources.bus import BusClient, BusSession, Record
from crash_reporter.sources.os_agent import OsAgent
from crash_reporter.sources.systemd_unit import SystemdUnits
from sandbox.supervisor_api import SupervisorStandIn
from sandbox.systemd import SystemdUserManager

pytestmark = [pytest.mark.systemd, pytest.mark.timeout(60)]

AGENT = UNIT_OS_AGENT
SUPERVISOR = UNIT_SUPERVISOR
SEGV = "kill -SEGV $$"  # the shell kills itself: Result=signal, ExecMainCode=2, Status=11
WAIT_S = 10.0


async def wait_for(predicate: Callable[[], bool], what: str, *,
                   tasks: Sequence[asyncio.Task[None]] = (), timeout_s: float = WAIT_S,
                   seen: Callable[[], str] = str) -> None:
    """Wait until `predicate()` holds; fail if not in time or if one of `tasks` ended."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        for task in tasks:
            if task.done():
                task.result()  # raises what ended it
                pytest.fail(f"{task.get_name()} ended while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout_s} s; saw {seen()}")
        await asyncio.sleep(0.01)


class ClientProbe:
    """A BusWatcher that only remembers each connection it is attached to (to drop it)."""

    name = "test probe"
    peer = "org.freedesktop.systemd1"

    def __init__(self) -> None:
        self.clients: list[BusClient] = []

    async def attach(self, bus: BusClient) -> list[Record]:
        self.clients.append(bus)
        return []

    def wants(self, msg: Message) -> bool:
        return False

    def handle_now(self, msg: Message) -> list[Record] | None:
        return []

    async def handle(self, bus: BusClient, msg: Message) -> list[Record]:
        return []


@dataclass
class Watch:
    """A running BusSession whose records go through a UnitCrashDetector."""

    session: BusSession
    probe: ClientProbe
    detector: UnitCrashDetector = field(default_factory=UnitCrashDetector)
    records: list[Record] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def consume(self, queue: asyncio.Queue[Record]) -> None:
        while True:
            record = await queue.get()
            self.records.append(record)
            if isinstance(record, UnitState):
                self.crashes += self.detector.observe(record)
            elif isinstance(record, BusNameChange):
                self.detector.name_change(record)

    def states(self, unit: str) -> list[UnitState]:
        return [r for r in self.records if isinstance(r, UnitState) and r.unit == unit]

    def jobs(self, unit: str) -> list[str]:
        return [r.result for r in self.records if isinstance(r, UnitJobEnded) and r.unit == unit]

    def exits(self, unit: str) -> list[int]:
        """Distinct main-process exit timestamps seen, in order."""
        return list(dict.fromkeys(s.exec_main_exit_us for s in self.states(unit)
                                  if s.exec_main_exit_us))

    def saw(self, unit: str, active_state: str, *, exited: bool = True) -> bool:
        """A state of `unit` in `active_state` (after a main-process exit if `exited`)."""
        return any(s.active_state == active_state and (s.exec_main_exit_us or not exited)
                   for s in self.states(unit))

    async def until_given_up(self, unit: str) -> None:
        """Wait until systemd gave up on `unit`: a start job failed and the unit is failed."""
        await self.wait_for(lambda: "failed" in self.jobs(unit), "JobRemoved(failed)")
        await self.wait_for(lambda: self.states(unit)[-1].active_state == "failed",
                            "final failed state")

    def crashes_of(self, unit: str) -> list[Crash]:
        return [c for c in self.crashes if c.unit == unit]

    async def wait_for(self, predicate: Callable[[], bool], what: str,
                       timeout_s: float = WAIT_S) -> None:
        """Wait until `predicate()` holds; fail with `what` (and what was seen) if not."""
        await wait_for(predicate, what, tasks=self.tasks, timeout_s=timeout_s,
                       seen=self.summary)

    def summary(self) -> str:
        states = [(s.unit, s.active_state, s.sub_state, s.result, s.exec_main_exit_us % 10**6)
                  for s in self.records if isinstance(s, UnitState)]
        return (f"{self.session.connections} connection(s), states {states[-12:]}, "
                f"crashes {[c.title for c in self.crashes]}")


async def _call(bus: MessageBus, path: str, interface: str, member: str,
                signature: str = "", body: Sequence[object] = ()) -> list[Any]:
    """A method call on systemd that must succeed; its reply body."""
    async with asyncio.timeout(WAIT_S):
        reply = await bus.call(Message(destination=DBUS_NAME_SYSTEMD, path=path,
                                       interface=interface, member=member,
                                       signature=signature, body=list(body)))
    assert reply is not None and reply.message_type is MessageType.METHOD_RETURN, reply
    return list(reply.body)


@contextlib.asynccontextmanager
async def pinned(address: str, units: Sequence[str]) -> AsyncIterator[None]:
    """Keep `units` loaded while inside, as on a real host where targets want them.

    systemd unloads an inactive transient unit at once, and the unit object then reads as a
    fresh not-found stub (Result=success, ExecMainExitTimestamp=0). `Unit.Ref()` from a
    connection of our own keeps it loaded until that connection closes. (A pinned unit
    cannot be created again under the same name while pinned.)
    """
    bus = await MessageBus(bus_address=address).connect()
    try:
        for unit in units:
            [path] = await _call(bus, DBUS_OBJECT_SYSTEMD, DBUS_IFACE_SYSTEMD_MANAGER,
                                 "LoadUnit", "s", [unit])
            await _call(bus, path, DBUS_IFACE_SYSTEMD_UNIT, "Ref")
        yield
    finally:
        bus.disconnect()
        # When the bus daemon restarted inside, the EOF that closed this connection waits in
        # its disconnect future: take it, or Python prints it as "never retrieved" at exit.
        with contextlib.suppress(Exception):
            await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]


@contextlib.asynccontextmanager
async def watching(address: str, *units: str, pin: bool = True) -> AsyncIterator[Watch]:
    """The app's BusSession on `address` watching `units` (and OS-Agent), attached.

    With `pin`, the units are kept loaded while watched. A pinned unit's signals are sent
    even to clients that did not Subscribe (systemd sends them to the unit's referrers), so
    tests of re-subscribing after a reconnect do not pin.
    """
    probe = ClientProbe()
    session = BusSession(address, [SystemdUnits(units), OsAgent(), probe])
    watch = Watch(session, probe)
    queue: asyncio.Queue[Record] = asyncio.Queue()
    async with pinned(address, units if pin else ()):
        watch.tasks = [asyncio.create_task(session.run(queue), name="bus session"),
                       asyncio.create_task(watch.consume(queue), name="detector")]
        try:
            await watch.wait_for(session.connected.is_set, "attached session")
            # the snapshot of every unit is queued before `connected` is set
            await watch.wait_for(lambda: all(watch.states(u) for u in units), "snapshots")
            yield watch
        finally:
            for task in watch.tasks:
                task.cancel()
            for task in watch.tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def run_unit(systemd: SystemdUserManager, name: str, command: list[str] | str,
                   **kwargs: object) -> None:
    """`systemd.run_unit` without blocking the event loop."""
    await asyncio.to_thread(systemd.run_unit, name, command, **kwargs)  # type: ignore[arg-type]


# --- one crash ---------------------------------------------------------------------------


async def test_sigsegv_is_one_crash_with_the_signal_named(systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT) as watch:
        await run_unit(systemd, AGENT, SEGV, restart="no")
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "failed state")

    [crash] = watch.crashes
    assert crash.kind is CrashKind.UNIT
    assert (crash.unit, crash.component) == (AGENT, "os-agent")
    assert (crash.result, crash.signal, crash.exit_status) == ("signal", "SIGSEGV", None)
    assert crash.title == "haos-agent.service crashed: SIGSEGV"
    assert crash.signature == (AGENT, "signal", "SIGSEGV")
    assert dict(crash.extra) == {"exec_main_code": "2", "exec_main_status": "11"}
    [exit_us] = watch.exits(AGENT)
    assert f"exit@{exit_us}" in crash.occurrence
    # what systemd itself says about it
    assert systemd.unit_property(AGENT, "Result") == "signal"
    assert systemd.unit_property(AGENT, "ExecMainStatus") == "11"


async def test_exit_3_is_one_crash_with_the_exit_status(systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT) as watch:
        await run_unit(systemd, AGENT, "exit 3", restart="no")
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "failed state")

    [crash] = watch.crashes
    assert (crash.result, crash.signal, crash.exit_status) == ("exit-code", None, 3)
    assert crash.title == "haos-agent.service crashed: exit status 3"
    assert crash.signature == (AGENT, "exit-code", "exit 3")
    assert dict(crash.extra) == {"exec_main_code": "1", "exec_main_status": "3"}


async def test_exit_0_is_nothing_but_a_crash_after_it_is_reported(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT, SUPERVISOR) as watch:
        await run_unit(systemd, AGENT, "exit 0", restart="no")
        await watch.wait_for(lambda: watch.saw(AGENT, "inactive"), "exit 0 seen")
        last = watch.states(AGENT)[-1]
        assert (last.result, last.exec_main_code, last.exec_main_status) == ("success", 1, 0)
        assert watch.crashes == []

        await run_unit(systemd, SUPERVISOR, "exit 3", restart="no")  # positive control
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "failed"), "failed state")
    assert [c.title for c in watch.crashes] == [
        "haos-supervisor.service crashed: exit status 3"]


async def test_host_unit_signal_is_a_crash_but_its_exit_code_is_not(
        systemd: SystemdUserManager, unit_name: str) -> None:
    oneshot, daemon = unit_name, unit_name.replace(".service", "-2.service")
    async with watching(systemd.address, oneshot, daemon) as watch:
        await run_unit(systemd, oneshot, "exit 1", restart="no")
        await watch.wait_for(lambda: watch.saw(oneshot, "failed"), "exit 1 seen")
        assert watch.crashes == []  # a host unit's non-zero exit is not a crash

        await run_unit(systemd, daemon, "kill -ABRT $$", restart="no")  # positive control
        await watch.wait_for(lambda: watch.saw(daemon, "failed"), "SIGABRT seen")
    [crash] = watch.crashes
    assert (crash.unit, crash.component, crash.signal) == (daemon, "host", "SIGABRT")


# --- loops and start limits --------------------------------------------------------------


async def test_crash_loop_to_the_start_limit_is_one_report_at_once(
        systemd: SystemdUserManager, tmp_path: Path) -> None:
    async with watching(systemd.address, AGENT) as watch:
        await run_unit(systemd, AGENT, SEGV, restart="on-failure", restart_sec=0.3,
                       start_limit_burst=3, start_limit_interval_s=30)
        await watch.until_given_up(AGENT)

    # what the real systemd did: 3 starts, 3 crashes, the 4th start refused
    assert watch.jobs(AGENT) == ["done", "done", "done", "failed"]
    assert len(watch.exits(AGENT)) == 3
    final = watch.states(AGENT)[-1]
    assert (final.active_state, final.result, final.n_restarts) == ("failed", "signal", 3)
    assert systemd.unit_property(AGENT, "Result") == "signal"  # not start-limit-hit

    # the detector: one Crash per crash, one signature, and nothing more for the limit
    crashes = watch.crashes
    assert [c.restarts for c in crashes] == [0, 1, 2]
    assert {c.signature for c in crashes} == {(AGENT, "signal", "SIGSEGV")}
    assert len({c.occurrence for c in crashes}) == 3

    # downstream they are one report, at once, that counts the loop
    [loop] = fold_loops(crashes)
    assert loop.loop_count == 3
    flood = FloodControl(tmp_path / "flood.json")
    events = [build_event(c, HostFacts()) for c in crashes]
    admitted = [flood.admit("|".join(e["fingerprint"]), e) for e in events]
    assert [a is not None for a in admitted] == [True, False, False]
    assert admitted[0] is not None
    assert admitted[0]["event_id"] == events[0]["event_id"]


async def test_start_limit_of_a_unit_that_keeps_exiting_0_is_one_report(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT) as watch:
        await run_unit(systemd, AGENT, "exit 0", restart="always", restart_sec=0.1,
                       start_limit_burst=3, start_limit_interval_s=30)
        await watch.until_given_up(AGENT)

    final = watch.states(AGENT)[-1]
    assert (final.result, final.exec_main_code, final.exec_main_status) == (
        "start-limit-hit", 1, 0)  # ExecMain* still describe the last (clean) run
    # the refusal is repeated by more than one signal: reported once all the same
    assert sum(s.result == "start-limit-hit" for s in watch.states(AGENT)) > 1
    assert watch.jobs(AGENT) == ["done", "done", "done", "failed"]
    [crash] = watch.crashes
    assert crash.title == "haos-agent.service crashed: start limit hit (crash loop)"
    # no process exited with a status here: the crash claims none
    assert crash.signature == (AGENT, "start-limit-hit", "")
    assert (crash.result, crash.signal, crash.exit_status) == ("start-limit-hit", None, None)
    assert crash.extra == ()


@pytest.mark.parametrize(("command", "signature"), [
    (SEGV, (AGENT, "signal", "SIGSEGV")),
    ("exit 3", (AGENT, "exit-code", "exit 3")),
], ids=["sigsegv", "exit-3"])
async def test_fast_crash_loop_reports_every_crash(
        systemd: SystemdUserManager, command: str, signature: tuple[str, ...]) -> None:
    async with watching(systemd.address, AGENT) as watch:
        await run_unit(systemd, AGENT, command, restart="on-failure", restart_sec=0,
                       start_limit_burst=5, start_limit_interval_s=30)
        await watch.until_given_up(AGENT)
    assert systemd.unit_property(AGENT, "NRestarts") == "5"
    assert len(watch.exits(AGENT)) == 5
    crashes = watch.crashes
    # every crash seen, each with the restart counter of its own run
    assert [c.restarts for c in crashes] == [0, 1, 2, 3, 4]
    assert [c.occurrence.rsplit("@", 1)[1] for c in crashes] == [
        str(us) for us in watch.exits(AGENT)]
    # one signature, so that they fold into one report downstream
    assert {c.signature for c in crashes} == {signature}
    [loop] = fold_loops(crashes)
    assert loop.loop_count == 5


# --- stale state and clean stops ---------------------------------------------------------


async def test_unit_failed_before_the_watcher_started_is_not_reported(
        systemd: SystemdUserManager) -> None:
    await run_unit(systemd, AGENT, SEGV, restart="no")
    await asyncio.to_thread(systemd.wait_unit_property, AGENT, "ActiveState", "failed")

    async with watching(systemd.address, AGENT, SUPERVISOR) as watch:
        [first] = watch.states(AGENT)
        assert (first.active_state, first.result, first.exec_main_status) == (
            "failed", "signal", 11)
        await asyncio.to_thread(systemd.stop_unit, AGENT)
        await asyncio.to_thread(systemd.reset_failed, AGENT)
        await watch.wait_for(lambda: watch.saw(AGENT, "inactive"), "reset-failed seen")
        last = watch.states(AGENT)[-1]
        assert (last.result, last.exec_main_exit_us) == ("success", first.exec_main_exit_us)
        assert watch.crashes == []

        await run_unit(systemd, SUPERVISOR, SEGV, restart="no")  # positive control
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "failed"), "failed state")
    assert [c.unit for c in watch.crashes] == [SUPERVISOR]


async def test_clean_stop_is_not_reported(systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT, SUPERVISOR) as watch:
        await run_unit(systemd, SUPERVISOR, ["sleep", "60"], restart="on-failure")
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "active", exited=False), "running")
        await asyncio.to_thread(systemd.stop_unit, SUPERVISOR)
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "inactive"), "stopped")
        stopped = watch.states(SUPERVISOR)[-1]
        # SIGTERM from the stop job: killed (2) by 15, but Result=success
        assert (stopped.result, stopped.exec_main_code, stopped.exec_main_status) == (
            "success", 2, 15)
        assert watch.crashes == []

        await run_unit(systemd, AGENT, SEGV, restart="no")  # positive control
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "failed state")
    assert [c.unit for c in watch.crashes] == [AGENT]


STOP_WITH_EXIT_1 = "trap 'exit 1' TERM"  # answers SIGTERM with exit 1
STOP_WITH_SEGV = "trap 'kill -SEGV $$' TERM"  # crashes in its shutdown path


async def run_trapping(systemd: SystemdUserManager, name: str, trap: str, marker: Path,
                       **kwargs: object) -> None:
    """Run `trap` then sleep in unit `name`, and wait until the trap is set.

    systemd calls a simple service running as soon as it forked: a stop sent before the shell
    has read its `trap` kills it with a plain SIGTERM (Result=success), as a loaded machine
    showed. The script touches `marker` once the trap is in place.
    """
    await run_unit(systemd, name, f"{trap}; : > '{marker}'; sleep 60 & wait", **kwargs)
    await wait_for(marker.exists, f"{name}'s trap set")


async def test_restart_by_the_user_is_not_reported(systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT, SUPERVISOR) as watch:
        await run_unit(systemd, SUPERVISOR, ["sleep", "60"], restart="on-failure")
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "active", exited=False), "running")
        first = watch.states(SUPERVISOR)[-1]
        await asyncio.to_thread(systemd.systemctl, "restart", SUPERVISOR)
        await watch.wait_for(lambda: watch.jobs(SUPERVISOR) == ["done", "done"]
                             and watch.states(SUPERVISOR)[-1].active_state == "active",
                             "running again")
        again = watch.states(SUPERVISOR)[-1]
        assert again.invocation_id != first.invocation_id
        assert again.n_restarts == 0  # a restart asked for is not counted by systemd
        [stop] = {(s.result, s.exec_main_code, s.exec_main_status)
                  for s in watch.states(SUPERVISOR) if s.exec_main_exit_us}
        assert stop == ("success", 2, 15)  # SIGTERM from the stop job: Result=success
        assert watch.crashes == []

        await run_unit(systemd, AGENT, SEGV, restart="no")  # positive control
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "failed state")
    assert [c.unit for c in watch.crashes] == [AGENT]


@pytest.mark.parametrize("verb", ["stop", "restart"])
async def test_stop_answered_with_exit_1_is_not_a_crash_but_a_signal_then_is(
        systemd: SystemdUserManager, verb: str, tmp_path: Path) -> None:
    async with watching(systemd.address, AGENT, SUPERVISOR) as watch:
        await run_trapping(systemd, SUPERVISOR, STOP_WITH_EXIT_1, tmp_path / "exit1",
                           restart="on-failure")
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "active", exited=False), "running")
        await asyncio.to_thread(systemd.systemctl, verb, SUPERVISOR)
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "failed"), "exit 1 seen")
        if verb == "restart":
            await watch.wait_for(lambda: watch.states(SUPERVISOR)[-1].active_state == "active",
                                 "running again")
        # systemd itself calls it a failure: Result=exit-code, the unit failed
        [stopped] = {(s.result, s.exec_main_code, s.exec_main_status)
                     for s in watch.states(SUPERVISOR) if s.exec_main_exit_us}
        assert stopped == ("exit-code", 1, 1)
        assert watch.crashes == []

        # positive control: the same path, but the process dies of SIGSEGV
        await run_trapping(systemd, AGENT, STOP_WITH_SEGV, tmp_path / "segv", restart="no")
        await watch.wait_for(lambda: watch.saw(AGENT, "active", exited=False), "running")
        await asyncio.to_thread(systemd.systemctl, verb, AGENT)
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "SIGSEGV seen")
    [crash] = watch.crashes
    assert (crash.unit, crash.result, crash.signal) == (AGENT, "signal", "SIGSEGV")


async def test_stop_that_times_out_is_a_crash_of_ours(systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, SUPERVISOR) as watch:
        await run_unit(systemd, SUPERVISOR, "trap '' TERM; sleep 60 & wait", restart="no",
                       extra_properties={"TimeoutStopUSec": ("t", 300_000)})
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "active", exited=False), "running")
        await asyncio.to_thread(systemd.stop_unit, SUPERVISOR)
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "failed"), "failed state")
    assert any(s.sub_state == "stop-sigkill" for s in watch.states(SUPERVISOR))
    assert watch.jobs(SUPERVISOR) == ["done", "done"]  # the stop job itself succeeds
    [crash] = watch.crashes
    assert (crash.result, crash.signal, crash.exit_status) == ("timeout", "SIGKILL", None)
    assert crash.title == "haos-supervisor.service crashed: timed out"
    assert crash.signature == (SUPERVISOR, "timeout", "SIGKILL")


# --- watchdog and timeouts ---------------------------------------------------------------


async def test_watchdog_timeout_is_one_crash_with_sigabrt(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT) as watch:
        # never sends WATCHDOG=1: systemd sends WatchdogSignal (SIGABRT) after 0.3 s
        await run_unit(systemd, AGENT, ["sleep", "60"], restart="no",
                       extra_properties={"WatchdogUSec": ("t", 300_000)})
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "failed state")
    assert any(s.sub_state == "stop-watchdog" for s in watch.states(AGENT))
    [crash] = watch.crashes
    assert (crash.result, crash.signal, crash.exit_status) == ("watchdog", "SIGABRT", None)
    assert crash.title == "haos-agent.service crashed: watchdog timeout (SIGABRT)"
    assert crash.signature == (AGENT, "watchdog", "SIGABRT")
    assert dict(crash.extra) == {"exec_main_code": "2", "exec_main_status": "6"}


async def test_start_timeout_is_a_crash_of_ours_but_not_of_a_host_unit(
        systemd: SystemdUserManager, unit_name: str) -> None:
    never_ready = {"Type": ("s", "notify"), "TimeoutStartUSec": ("t", 300_000)}
    async with watching(systemd.address, AGENT, unit_name) as watch:
        await run_unit(systemd, unit_name, ["sleep", "60"], restart="no",
                       extra_properties=never_ready)
        await watch.wait_for(lambda: watch.saw(unit_name, "failed"), "host unit timed out")
        assert watch.states(unit_name)[-1].result == "timeout"
        assert watch.crashes == []  # contracts.md: timeouts count for our units only

        await run_unit(systemd, AGENT, ["sleep", "60"], restart="no",
                       extra_properties=never_ready)
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "failed state")
    assert watch.jobs(AGENT) == ["failed"]
    [crash] = watch.crashes
    assert (crash.unit, crash.result, crash.signal, crash.exit_status) == (
        AGENT, "timeout", "SIGTERM", None)
    assert crash.title == "haos-agent.service crashed: timed out"
    assert crash.signature == (AGENT, "timeout", "SIGTERM")


# --- the watcher's cache: the branch real systemd 252 never takes -------------------------

_AGENT_PATH = "/org/freedesktop/systemd1/unit/haos_2dagent_2eservice"
_EXEC_LISTS = ["ExecStart", "ExecStartEx", "ExecStop", "ExecStopEx"]  # invalidated every time


class FakeSystemd(BusClient):
    """Answers SystemdUnits' calls; GetAll says what it is told (the state "now")."""

    def __init__(self) -> None:  # no connection
        self.now: dict[str, Variant] = {}
        self.get_alls: list[str] = []

    async def call(self, destination: str, path: str, interface: str, member: str,
                   signature: str = "", body: Sequence[Any] = ()) -> list[Any]:
        if member == "LoadUnit":
            return [_AGENT_PATH]
        if member == "GetAll":
            self.get_alls.append(str(body[0]))
            return [self.now]
        return []


def _changed(path: str, changed: dict[str, Variant], invalidated: list[str]) -> Message:
    return Message(message_type=MessageType.SIGNAL, path=path,
                   interface="org.freedesktop.DBus.Properties", member="PropertiesChanged",
                   signature="sa{sv}as",
                   body=["org.freedesktop.systemd1.Service", changed, invalidated])


async def test_signal_values_win_and_getall_only_for_a_used_invalidated_property() -> None:
    bus, units = FakeSystemd(), SystemdUnits([AGENT], clock=lambda: 5.0)
    await units.attach(bus)
    bus.get_alls.clear()
    # already restarted "now": what a GetAll would say
    bus.now = {"Result": Variant("s", "success"), "ExecMainExitTimestamp": Variant("t", 0),
               "ExecMainStatus": Variant("i", 0), "NRestarts": Variant("u", 1)}
    crash = {"Result": Variant("s", "signal"), "ExecMainCode": Variant("i", 2),
             "ExecMainStatus": Variant("i", 11), "ExecMainExitTimestamp": Variant("t", 7)}

    [state] = await units.handle(bus, _changed(_AGENT_PATH, crash, _EXEC_LISTS))
    assert isinstance(state, UnitState)
    assert bus.get_alls == []  # only unused properties invalidated: no re-read
    assert (state.result, state.exec_main_status, state.exec_main_exit_us) == ("signal", 11, 7)

    # a used property invalidated: re-read it, but the signal's own values go on top
    del crash["Result"]
    [state] = await units.handle(bus, _changed(_AGENT_PATH, crash, ["Result", *_EXEC_LISTS]))
    assert isinstance(state, UnitState)
    assert bus.get_alls == ["org.freedesktop.systemd1.Service"]
    assert (state.result, state.n_restarts) == ("success", 1)  # from GetAll
    assert (state.exec_main_status, state.exec_main_exit_us) == (11, 7)  # from the signal


# --- reconnects --------------------------------------------------------------------------


async def test_reconnect_redoes_subscribe_and_reports_a_new_crash_once(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT, SUPERVISOR, pin=False) as watch:
        await run_unit(systemd, AGENT, "exit 3", restart="no")
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "first crash")
        assert len(watch.crashes) == 1

        watch.probe.clients[-1].bus.disconnect()  # the app's connection drops
        await watch.wait_for(
            lambda: watch.session.connections == 2 and watch.session.connected.is_set(),
            "second connection")
        # the failed unit's snapshot on the new connection is the same crash: not again
        assert len(watch.probe.clients) == 2
        assert len(watch.crashes) == 1

        await run_unit(systemd, SUPERVISOR, SEGV, restart="no")
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "failed"), "second crash")
    assert watch.session.connections == 2
    assert [(c.unit, c.signal or c.exit_status) for c in watch.crashes] == [
        (AGENT, 3), (SUPERVISOR, "SIGSEGV")]


async def test_crash_while_disconnected_is_reported_once_after_reconnect(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT, pin=False) as watch:
        watch.probe.clients[-1].bus.disconnect()
        await watch.wait_for(lambda: not watch.session.connected.is_set(), "disconnect")
        # the session waits DBUS_RECONNECT_MIN_S (0.5 s) before it reconnects
        await run_unit(systemd, AGENT, "exit 3", restart="no")
        await asyncio.to_thread(systemd.wait_unit_property, AGENT, "ActiveState", "failed")
        assert (watch.session.connections, watch.session.connected.is_set()) == (1, False)
        # only the snapshot taken when the session attaches again can show it
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "the crash")
        assert watch.session.connections == 2
    [crash] = watch.crashes
    assert crash.exit_status == 3


async def test_bus_daemon_restart_reconnects_and_a_new_crash_is_reported_once(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT, SUPERVISOR, pin=False) as watch:
        await run_unit(systemd, AGENT, "exit 3", restart="no")
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "first crash")

        # every connection drops; systemd rejoins the new bus daemon within ~50 ms
        await asyncio.to_thread(systemd.systemctl, "restart", "dbus.service")
        await watch.wait_for(
            lambda: watch.session.connections >= 2 and watch.session.connected.is_set(),
            "reconnect after the bus daemon restarted")
        assert len(watch.crashes) == 1

        await run_unit(systemd, SUPERVISOR, SEGV, restart="no")
        await watch.wait_for(lambda: watch.saw(SUPERVISOR, "failed"), "second crash")
    assert [(c.unit, c.signal or c.exit_status) for c in watch.crashes] == [
        (AGENT, 3), (SUPERVISOR, "SIGSEGV")]


# --- OS-Agent on the bus -----------------------------------------------------------------

_AGENT_SCRIPT = """
import asyncio, os, signal, sys
from dbus_fast.aio import MessageBus
async def main() -> None:
    bus = await MessageBus(bus_address=sys.argv[1]).connect()
    await bus.request_name(sys.argv[2])
    await asyncio.sleep(0.3)
    os.kill(os.getpid(), signal.SIGSEGV)
asyncio.run(main())
"""


async def test_os_agent_leaving_the_bus_is_linked_to_its_unit_crash(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT) as watch:
        await run_unit(systemd, AGENT, [sys.executable, "-c", _AGENT_SCRIPT, systemd.address,
                                        DBUS_NAME_OS_AGENT], restart="no")
        await watch.wait_for(lambda: watch.saw(AGENT, "failed"), "failed state")
    presence = [r.present for r in watch.records if isinstance(r, BusNameChange)]
    assert presence == [False, True, False]  # absent at attach, joined, left
    [crash] = watch.crashes
    assert crash.signal == "SIGSEGV"
    assert [b.text for b in crash.breadcrumbs] == ["io.hass.os left the system bus"]


async def test_signals_of_units_not_watched_are_filtered_by_the_bus(
        systemd: SystemdUserManager, unit_name: str) -> None:
    """The match rules name the watched units' paths: other units' changes never arrive."""
    async with watching(systemd.address, AGENT) as watch:
        bus = watch.probe.clients[0].bus
        paths: list[str] = []

        def count(msg: Message) -> None:
            if msg.member == "PropertiesChanged" and msg.path:
                paths.append(msg.path)

        bus.add_message_handler(count)
        await run_unit(systemd, unit_name, SEGV, restart="no")  # a burst of signals, not ours
        await asyncio.to_thread(systemd.wait_unit_property, unit_name, "ActiveState", "failed")
        await run_unit(systemd, AGENT, SEGV, restart="no")
        await watch.wait_for(lambda: bool(watch.crashes_of(AGENT)), "the watched unit's crash")
        bus.remove_message_handler(count)
    assert paths and set(paths) == {"/org/freedesktop/systemd1/unit/haos_2dagent_2eservice"}


# --- the whole app -----------------------------------------------------------------------


async def test_app_keeps_a_report_for_a_real_unit_crash(
        systemd: SystemdUserManager, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crash_reporter.app")
    async with SupervisorStandIn(diagnostics=True) as supervisor:
        app = App(Config(data_dir=tmp_path, supervisor_url=supervisor.url,
                         supervisor_token=supervisor.token, dbus_address=systemd.address,
                         dsn=None, panel_port=0))
        task = asyncio.create_task(app.run(), name="app")
        try:
            await wait_for(
                lambda: app.bus is not None and app.bus.connected.is_set()
                and app.consent is not None and app.consent.state is Consent.ON,
                "app attached with consent ON", tasks=[task])
            await run_unit(systemd, AGENT, SEGV, restart="no")

            def said(text: str) -> bool:
                return any(text in r.getMessage() for r in caplog.records)

            await wait_for(lambda: said("Crash seen: haos-agent.service")
                           or said("Log view of haos-agent.service skipped"),
                           "the crash at the app's intake", tasks=[task])
            assert not said("Log view of haos-agent.service skipped")
            await wait_for(lambda: bool(app.outbox.held()), "a report held", tasks=[task])
            [held] = app.outbox.held()
            assert "SIGSEGV" in held.title
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# --- signals from someone else than the service they are about; garbage from the service -------


def _signal(path: str, interface: str, changed: dict[str, Variant], *,
            destination: str | None = None) -> Message:
    return Message(message_type=MessageType.SIGNAL, path=path, destination=destination,
                   interface="org.freedesktop.DBus.Properties", member="PropertiesChanged",
                   signature="sa{sv}as", body=[interface, changed, []])


async def test_signals_not_sent_by_the_service_they_are_about_are_ignored(
        systemd: SystemdUserManager) -> None:
    fake_crash = {"ActiveState": Variant("s", "failed"), "SubState": Variant("s", "failed"),
                  "Result": Variant("s", "signal"), "ExecMainCode": Variant("i", 2),
                  "ExecMainStatus": Variant("i", 11), "ExecMainPID": Variant("u", 4242),
                  "ExecMainExitTimestamp": Variant("t", 1_800_000_000_000_000)}
    async with watching(systemd.address, AGENT) as watch:
        ours = watch.probe.clients[-1].bus.unique_name
        rogue = await MessageBus(bus_address=systemd.address).connect()
        try:
            # straight to our connection (no match rule can keep a unicast signal out) ...
            await rogue.send(_signal(_AGENT_PATH, "org.freedesktop.systemd1.Service",
                                     fake_crash, destination=ours))
            # ... and broadcast where our OS-Agent match has no sender to restrict it
            await rogue.send(_signal(DBUS_OBJECT_OS_AGENT, DBUS_IFACE_OS_AGENT,
                                     {"Diagnostics": Variant("b", True)}))
            await watch.wait_for(lambda: watch.session.untrusted_messages == 2,
                                 "both spoofed signals counted as untrusted")
        finally:
            rogue.disconnect()
        assert watch.crashes == []
        assert not [r for r in watch.records if isinstance(r, ConsentTrigger)
                    and r.source == "OS-Agent Diagnostics changed"]
        # the positive control: the real service's signals still count
        await run_unit(systemd, AGENT, SEGV, restart="no")
        await watch.wait_for(lambda: len(watch.crashes) == 1, "the real crash")
    assert watch.session.connections == 1


async def test_garbage_from_the_service_itself_is_skipped_not_fatal(
        systemd: SystemdUserManager) -> None:
    async with watching(systemd.address, AGENT) as watch:
        agent = await MessageBus(bus_address=systemd.address).connect()
        try:
            # a broken OS-Agent takes the name: it is now the trusted sender
            await agent.request_name(DBUS_NAME_OS_AGENT)
            await watch.wait_for(lambda: any(isinstance(r, BusNameChange) and r.present
                                             for r in watch.records), "OS-Agent appeared")
            garbage = [
                _signal(DBUS_OBJECT_OS_AGENT, DBUS_IFACE_OS_AGENT,
                        {"Diagnostics": Variant("s", "yes please")}),
                Message(message_type=MessageType.SIGNAL, path=DBUS_OBJECT_OS_AGENT,
                        interface="org.freedesktop.DBus.Properties",
                        member="PropertiesChanged", signature="s", body=["io.hass.os"]),
                Message(message_type=MessageType.SIGNAL, path=DBUS_OBJECT_OS_AGENT,
                        interface="org.freedesktop.DBus.Properties",
                        member="PropertiesChanged", signature="sa{sv}as",
                        body=["io.hass.os", {"Diagnostics": Variant("ay", b"\xff\x00")}, []]),
            ]
            for msg in garbage:
                await agent.send(msg)
            await agent.send(_signal(DBUS_OBJECT_OS_AGENT, DBUS_IFACE_OS_AGENT,
                                     {"Diagnostics": Variant("b", False)}))
            await watch.wait_for(lambda: any(
                isinstance(r, ConsentTrigger) and r.value is False for r in watch.records),
                "the well-formed change after the garbage")
        finally:
            agent.disconnect()
        triggers = [r for r in watch.records if isinstance(r, ConsentTrigger)
                    and r.source == "OS-Agent Diagnostics changed"]
        assert [t.value for t in triggers] == [None, None, False]  # a re-read, never a value
        assert watch.session.untrusted_messages == 0
        # the positive control: the session is alive and still sees the real systemd
        await run_unit(systemd, AGENT, SEGV, restart="no")
        await watch.wait_for(lambda: len(watch.crashes) == 1, "the real crash")
    assert watch.session.connections == 1
