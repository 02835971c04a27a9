"""BusSession: one WARNING per episode and a growing back-off; records always in bus order.

A plain `dbus-daemon` (Debian's) stands for a system bus that systemd has not joined yet
(early boot, or systemd re-executing): the connection works, but attaching the units'
watcher fails. Before, that was a WARNING and a new connection every 0.5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbus_fast import Message, MessageType

from crash_reporter.sources.bus import BusSession, Record
from crash_reporter.sources.records import RecordQueue
from crash_reporter.sources.systemd_unit import SystemdUnits


@contextlib.contextmanager
def bare_bus(tmp_path: Path) -> Iterator[str]:
    """A private dbus-daemon (no systemd on it); yields its address."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.fail("dbus-daemon is missing (Debian package dbus-daemon)")
    address = f"unix:path={tmp_path}/bus"
    proc = subprocess.Popen([daemon, "--session", "--nofork", "--nopidfile",
                             f"--address={address}"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if (tmp_path / "bus").exists():
                break
            time.sleep(0.05)
        yield address
    finally:
        proc.terminate()
        proc.wait(10)


async def test_systemd_missing_is_one_warning_and_backs_off(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="crash_reporter.sources.bus")
    with bare_bus(tmp_path) as address:
        session = BusSession(address, [SystemdUnits(["haos-agent.service"])])
        out: asyncio.Queue[Record] = asyncio.Queue()
        task = asyncio.create_task(session.run(out))
        await asyncio.sleep(4.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    attempts = [r for r in caplog.records if "cannot attach" in r.getMessage()]
    assert len(attempts) >= 2, "the session must keep retrying"
    assert [r.levelno for r in attempts] == [logging.WARNING] + [logging.DEBUG] * (
        len(attempts) - 1)
    delays = [float(re.search(r"retry in ([\d.]+) s", r.getMessage())[1])  # type: ignore[index]
              for r in attempts]
    assert delays == sorted(delays) and delays[-1] > delays[0]
    # 0.5, 1, 2 s (each 0.5-1.5x for jitter): at most 5 connections in 4 s, not 8
    assert session.connections <= 5
    assert not session.connected.is_set()


# --- handled at once or in turn: the order of records never changes --------------------


class _Slow:
    """A watcher whose messages with body "call" need a (slow) call; others are handled now."""

    name = "order probe"
    peer = "org.example.Peer"

    def wants(self, msg: Message) -> bool:
        return msg.member == "Tick"

    async def attach(self, bus: Any) -> list[Record]:
        return []

    def handle_now(self, msg: Message) -> list[Record] | None:
        return None if msg.body[0].startswith("call") else [msg.body[0]]

    async def handle(self, bus: Any, msg: Message) -> list[Record]:
        await asyncio.sleep(0.05)  # a GetAll's round trip
        return [msg.body[0]]


def _tick(text: str) -> Message:
    return Message(message_type=MessageType.SIGNAL, path="/", interface="org.example.Peer",
                   member="Tick", signature="s", body=[text], sender=":1.7")


async def test_messages_handled_at_once_never_overtake_one_waiting_for_a_call() -> None:
    session = BusSession(None, [_Slow()])
    session._owners = {"org.example.Peer": ":1.7"}
    out = RecordQueue(max_lines=3)  # small: records also wait for room
    dispatcher = asyncio.create_task(session._dispatch(None, out))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    names = ["a", "b", "call-c", "d", "e", "f", "g", "call-h", "i"]
    got: list[object] = []
    for name in names:
        session._on_message(_tick(name))
        await asyncio.sleep(0.01)  # the dispatcher takes what waits (a call takes 0.05 s)
        if name == "f":  # the records queue has been full: drain it as messages keep coming
            got += [out.get_nowait() for _ in range(out.qsize())]
    while len(got) < len(names):
        got.append(await asyncio.wait_for(out.get(), 5))
    dispatcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await dispatcher
    assert got == names
    assert session.dropped_messages == 0
