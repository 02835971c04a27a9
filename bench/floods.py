"""Benchmark: memory and intake of the real daemon under floods (logs and D-Bus signals).

Run: python bench/floods.py [--gb G] [--signals N] (root: the real systemd, like the tests).

- Log flood: --gb (default 1) of Supervisor log lines through the daemon's follower, with a
  Python traceback every 10 MB (each its own signature). A Supervisor API stand-in in a child
  process streams them as one follow reply, generated as they are sent (10 MB blocks, each
  with its own time); the daemon (`python -m crash_reporter run`, consent ON, no DSN) reads
  it as it would a long catch-up. Its RSS is sampled every second: at idle, at 10 %, 50 %
  and 100 % of the flood and the highest seen. Goal: flat (the queue is bounded in lines).
- Signal flood: --signals (default 100,000) PropertiesChanged signals sent by the REAL
  systemd user manager for a unit the daemon does not watch (Manager.SetUnitProperties on a
  running unit: two signals per call). Beside the daemon, a bare dbus-fast process with the
  broad rule (`path_namespace='/org/freedesktop/systemd1/unit'`, what the daemon used before)
  counts them with a no-op handler. Then the same for a unit the daemon watches (a tenth as
  many): both receive them; the daemon turns each into a unit state and runs its detector.
  CPU seconds of both over each phase, the daemon's RSS, and signals dropped for lack of
  time (its inbox is bounded). "Drain capacity" is signals per CPU second; goal: the daemon
  at least 0.8 of the bare handler's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from dbus_fast import Message, Variant  # noqa: E402
from dbus_fast.aio import MessageBus  # noqa: E402

from sandbox import load, proc  # noqa: E402
from sandbox.daemon import Daemon, daemon_env  # noqa: E402
from sandbox.os_agent import OsAgentStandIn  # noqa: E402
from sandbox.supervisor_api import SupervisorStandIn  # noqa: E402
from sandbox.systemd import SystemdUserManager  # noqa: E402

BLOCK_BYTES = 10_000_000
NOISE_UNIT = "bench-noise.service"
AGENT = "haos-agent.service"
CALLS_IN_FLIGHT = 32

BARE = r"""
import asyncio, sys
from dbus_fast import Message
from dbus_fast.aio import MessageBus

async def main():
    bus = await MessageBus(bus_address=sys.argv[1]).connect()
    count = 0
    def handler(msg):
        nonlocal count
        if msg.member == "PropertiesChanged":
            count += 1
    bus.add_message_handler(handler)
    for member, body in (("AddMatch", ["type='signal',sender='org.freedesktop.systemd1',"
                          "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                          "path_namespace='/org/freedesktop/systemd1/unit'"]),):
        await bus.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                               interface="org.freedesktop.DBus", member=member,
                               signature="s", body=body))
    await bus.call(Message(destination="org.freedesktop.systemd1",
                           path="/org/freedesktop/systemd1",
                           interface="org.freedesktop.systemd1.Manager", member="Subscribe"))
    loop = asyncio.get_running_loop()
    print("ready", flush=True)
    while await loop.run_in_executor(None, sys.stdin.readline):
        print(count, flush=True)

asyncio.run(main())
"""


# --- the log flood ---------------------------------------------------------------------------


class FloodStandIn(SupervisorStandIn):
    """The stand-in, whose /supervisor/logs/follow streams `total` bytes made on the fly."""

    def __init__(self, total: int, sent: Any, blocks: Any) -> None:
        super().__init__(diagnostics=True)
        self.total = total
        self.sent = sent  # a shared counter of bytes written
        self.blocks = blocks  # and one of blocks (a traceback each)

    async def _supervisor_logs(self, request: web.Request) -> web.StreamResponse:
        if not request.path.endswith("/follow") or self.sent.value:
            return await super()._supervisor_logs(request)  # a reconnect: nothing more
        response = web.StreamResponse(headers={"X-First-Cursor": "s=flood;i=1;t=1"})
        response.content_type = "text/plain"
        await response.prepare(request)
        noise = "\n".join(load.noise(BLOCK_BYTES // 150, seed=3))
        start = time.time() - 86400
        block_no = 0
        while self.sent.value < self.total:
            at = start + block_no
            block = noise + "\n" + "\n".join(load.python_traceback(block_no, at=at)) + "\n"
            data = block.encode()
            for at_byte in range(0, len(data), 1 << 18):
                await response.write(data[at_byte:at_byte + (1 << 18)])
            self.sent.value += len(data)
            block_no += 1
            self.blocks.value = block_no
        await asyncio.Event().wait()  # the reply stays open, as a follow does
        return response


def _serve_flood(total: int, sent: Any, blocks: Any, conn: Connection) -> None:
    async def main() -> None:
        async with FloodStandIn(total, sent, blocks) as sup:
            conn.send((sup.url, sup.token))
            await asyncio.to_thread(conn.recv)

    asyncio.run(main())


async def log_flood(gigabytes: float) -> list[tuple[str, str]]:
    total = int(gigabytes * 1e9)
    ctx = multiprocessing.get_context("fork")
    sent, blocks = ctx.Value("q", 0), ctx.Value("q", 0)
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve_flood, args=(total, sent, blocks, child), daemon=True)
    server.start()
    url, token = parent.recv()
    rss: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)

        class _Sup:  # what daemon_env needs of a stand-in
            pass

        sup: Any = _Sup()
        sup.url, sup.token = url, token
        env = daemon_env(sup, data, f"unix:path={data}/no-bus", None)
        daemon = Daemon(env)
        await daemon.start()
        try:
            assert daemon.proc is not None
            pid = daemon.proc.pid
            await daemon.wait_for("Following logs", 60)
            rss["idle"] = proc.rss_mb(pid)
            started = time.monotonic()
            peak = 0.0
            marks = {0.1: "10 %", 0.5: "50 %"}
            while sent.value < total:
                await asyncio.sleep(1.0)
                now = proc.rss_mb(pid)
                peak = max(peak, now)
                for frac, name in list(marks.items()):
                    if sent.value >= frac * total:
                        rss[name] = now
                        del marks[frac]
            took = time.monotonic() - started
            await asyncio.sleep(5.0)  # the last buffers read, the last crash closed
            rss["100 %"] = proc.rss_mb(pid)
            rss["peak"] = max(peak, rss["100 %"])
            built = sum("built:" in line for line in daemon.lines)
        finally:
            await daemon.stop()
    parent.send("stop")
    server.join(10)
    crashes = blocks.value
    rows = [(f"log flood: RSS {name} (MB)", f"{value:.1f}") for name, value in rss.items()]
    rows += [("log flood: growth 10 % -> 100 % (MB)", f"{rss['100 %'] - rss['10 %']:+.1f}"),
             ("log flood: MB/s through the follower", f"{total / 1e6 / took:.0f}"),
             ("log flood: crashes in it / reports built", f"{crashes} / {built}")]
    return rows


# --- the signal flood ----------------------------------------------------------------------


async def set_properties(bus: MessageBus, unit: str, calls: int) -> None:
    """`calls` SetUnitProperties on `unit` (Description), CALLS_IN_FLIGHT at a time."""
    gate = asyncio.Semaphore(CALLS_IN_FLIGHT)

    async def one(i: int) -> None:
        async with gate:
            await bus.call(Message(
                destination="org.freedesktop.systemd1", path="/org/freedesktop/systemd1",
                interface="org.freedesktop.systemd1.Manager", member="SetUnitProperties",
                signature="sba(sv)", body=[unit, True, [["Description", Variant("s", f"d{i}")]]]))

    await asyncio.gather(*(one(i) for i in range(calls)))


class Bare:
    """The bare dbus-fast handler process."""

    def __init__(self, address: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", BARE, address],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def until_counted(bare: Bare, count: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if int(await asyncio.to_thread(bare.ask)) >= count or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.2)


async def signal_flood(signals: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "options.json").write_text(json.dumps({}))
        async with SystemdUserManager() as systemd, OsAgentStandIn(
                systemd.address, initial_diagnostics=True) as agent:
            sup = SupervisorStandIn(diagnostics=True, on_diagnostics=agent.set_diagnostics)
            async with sup:
                for unit in (NOISE_UNIT, AGENT):
                    await asyncio.to_thread(systemd.run_unit, unit, "sleep infinity",
                                            restart="no")
                daemon = Daemon(daemon_env(sup, data, systemd.address, None))
                await daemon.start()
                assert daemon.proc is not None
                pid = daemon.proc.pid
                await daemon.wait_for("Watching over D-Bus", 60)
                bare = Bare(systemd.address)
                try:
                    assert bare.proc.stdout is not None
                    await asyncio.to_thread(bare.proc.stdout.readline)
                    driver = await MessageBus(bus_address=systemd.address).connect()
                    await asyncio.sleep(2.0)
                    for label, unit, calls in (("not watched", NOISE_UNIT, signals // 2),
                                               ("watched", AGENT, signals // 20)):
                        before = int(await asyncio.to_thread(bare.ask))
                        rss0 = proc.rss_mb(pid)
                        ours0, theirs0 = proc.cpu_s(pid), proc.cpu_s(bare.proc.pid)
                        started = time.monotonic()
                        await set_properties(driver, unit, calls)
                        await until_counted(bare, before + 2 * calls)
                        await asyncio.sleep(1.0)  # the daemon's inbox drained
                        took = time.monotonic() - started
                        got = int(await asyncio.to_thread(bare.ask)) - before
                        ours = proc.cpu_s(pid) - ours0
                        theirs = proc.cpu_s(bare.proc.pid) - theirs0
                        rows += [
                            (f"{label}: signals sent by systemd (counted by bare)",
                             f"{got:,} in {took:.0f} s"),
                            (f"{label}: CPU s daemon / bare", f"{ours:.2f} / {theirs:.2f}"),
                            (f"{label}: daemon RSS before -> after (MB)",
                             f"{rss0:.1f} -> {proc.rss_mb(pid):.1f}"),
                        ]
                        if label == "watched":
                            ratio = theirs / ours if ours else float("inf")
                            rows.append(("watched: drain capacity daemon / bare "
                                         "(signals per CPU s)",
                                         f"{got / max(ours, 1e-9):,.0f} / "
                                         f"{got / max(theirs, 1e-9):,.0f} = {ratio:.2f}"))
                    dropped = sum("faster than handled" in line for line in daemon.lines)
                    rows.append(("signals dropped by the daemon (warnings)", str(dropped)))
                    driver.disconnect()
                finally:
                    bare.close()
                    await daemon.stop()
    return rows


async def run(gigabytes: float, signals: int) -> None:
    rows = await log_flood(gigabytes) if gigabytes > 0 else []
    rows += await signal_flood(signals) if signals > 0 else []
    print(f"machine: {os.cpu_count()} cores, shared with other jobs while measured; "
          f"log flood {gigabytes:g} GB (a traceback every 10 MB), signal flood "
          f"{signals:,} PropertiesChanged of an unwatched unit + {signals // 10:,} of a "
          "watched one; bare = dbus-fast, no-op handler, broad path_namespace rule")
    width = max(len(name) for name, _ in rows) + 2
    for name, value in rows:
        print(f"{name:<{width}}{value:>28}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.0, help="size of the log flood")
    parser.add_argument("--signals", type=int, default=100_000, help="signals of the flood")
    args = parser.parse_args()
    asyncio.run(run(args.gb, args.signals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
