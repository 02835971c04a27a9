"""Benchmark: the daemon catching up on a large journal after downtime.

Run: python bench/replay.py [--mb N] [--rounds N]. A journal is built from the shared samples
(tests/fixtures/samples): their ordinary lines with a clock that moves forward, and every
4 MB one of the verbose crash samples, shifted to that clock. The Supervisor API stand-in
(sandbox/supervisor_api.py) serves it from a CHILD process, so its own work (rendering
entries, HTTP) runs beside the daemon's, as the real Supervisor does. Each round times, side
by side:

- stream only: one aiohttp reader per followed stream reading its /follow reply from the
  first entry and counting lines: what the stand-in can serve (the ceiling of any client);
- daemon: the real `App` (its five log followers, the intake, the detectors), started with
  saved positions at the first entry of each stream (as after downtime) and consent OFF
  (the streams are followed and every line goes through the detectors; nothing is kept),
  timed until its detectors have been fed every line;
- full reader (file): the same lines from a file through `read_log_lines` and the
  detectors (`find_crashes`), no HTTP: what the daemon's own work costs;
- floor (text): reading and splitting the same lines from a file in Python.

The table shows the median lines per second over rounds and the ratio to the stream-only
ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from crash_reporter.app import App  # noqa: E402
from crash_reporter.config import load_config  # noqa: E402
from crash_reporter.const import ENV_DATA_DIR, ENV_DBUS_ADDRESS  # noqa: E402
from crash_reporter.scan import find_crashes  # noqa: E402
from crash_reporter.sources.log_format import read_log_lines  # noqa: E402
from crash_reporter.sources.logs import CursorStore, default_streams  # noqa: E402
from sandbox.supervisor_api import SupervisorStandIn  # noqa: E402

SAMPLES = ROOT / "tests" / "fixtures" / "samples"
CRASH_SAMPLES = ["supervisor_verbose.log", "os_agent.log", "coredump.log",
                 "systemd_units.log", "mixed_interleaved.log"]
STAMP = "%Y-%m-%d %H:%M:%S.%f"
LINE_STEP_S = 0.005  # the clock between two ordinary lines


def _stamp(line: str) -> float | None:
    """The time of a verbose line, None for a continuation line."""
    if len(line) < 23 or not line[:4].isdigit():
        return None
    try:
        return datetime.strptime(line[:23], STAMP).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _restamp(line: str, when: float) -> str:
    """The line with its time replaced."""
    return datetime.fromtimestamp(when, UTC).strftime(STAMP)[:23] + line[23:]


def build_journal(megabytes: float, seed: int = 7) -> list[str]:
    """Verbose lines with times moving forward; crash samples every 4 MB."""
    rng = random.Random(seed)
    noise = [line for line in (SAMPLES / "noise_only.log").read_text().splitlines()
             if _stamp(line) is not None]
    crashes = [(SAMPLES / name).read_text().splitlines() for name in CRASH_SAMPLES]
    clock = datetime(2026, 11, 20, tzinfo=UTC).timestamp()
    out: list[str] = []
    size = 0
    target = int(megabytes * 1_000_000)
    next_crash = 2_000_000
    planted = 0
    while size < target:
        if size >= next_crash:
            block = crashes[planted % len(crashes)]
            planted += 1
            next_crash += 4_000_000
            first = next(t for t in map(_stamp, block) if t is not None)
            for line in block:
                t = _stamp(line)
                out.append(line if t is None else _restamp(line, clock + t - first))
                size += len(line) + 1
                if t is not None:
                    last = clock + t - first
            clock = max(clock, last) + LINE_STEP_S
            continue
        line = _restamp(rng.choice(noise), clock)
        clock += LINE_STEP_S
        out.append(line)
        size += len(line) + 1
    return out


def _serve(journal: list[str], conn: Connection) -> None:
    """The child process: the stand-in serving the journal until told to stop."""

    async def main() -> None:
        supervisor = SupervisorStandIn(diagnostics=False)
        async with supervisor:
            supervisor.append(None, journal)
            firsts: dict[str, str] = {}
            lines: dict[str, int] = {}
            for stream in default_streams():
                entries = supervisor.entries(stream.name)
                if entries:
                    firsts[stream.name] = entries[0].cursor
                lines[stream.name] = sum(e.message.count("\n") + 1 for e in entries)
            conn.send((supervisor.url, supervisor.token, firsts, lines))
            await asyncio.to_thread(conn.recv)

    asyncio.run(main())


async def stream_only(url: str, token: str, firsts: dict[str, str], total: int) -> int:
    """Read every followed stream from its first entry; count lines until `total`."""
    counted = 0
    done = asyncio.Event()

    async def one(session: aiohttp.ClientSession, path: str, first: str) -> None:
        nonlocal counted
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/x-log",
                   "Range": f"entries={first}:0:"}
        async with session.get(url + path, headers=headers) as resp:
            async for chunk in resp.content.iter_any():
                counted += chunk.count(b"\n")
                if counted >= total:
                    done.set()

    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(one(session, s.path, firsts[s.name]))
                 for s in default_streams() if s.name in firsts]
        await asyncio.wait_for(done.wait(), 600)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return counted


async def daemon(url: str, token: str, firsts: dict[str, str], total: int) -> int:
    """The real App from saved positions at the first entries, until `total` lines are fed."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        config = load_config({"SUPERVISOR_URL": url, "SUPERVISOR_TOKEN": token,
                              ENV_DATA_DIR: str(data),
                              ENV_DBUS_ADDRESS: f"unix:path={data}/no-bus"})
        state = config.state_dir
        state.mkdir(parents=True, exist_ok=True)
        cursors = CursorStore(state)
        for name, first in firsts.items():
            cursors.set(name, first, 0)
        await cursors.save()
        app = App(config)
        fed = 0
        done = asyncio.Event()
        detect = app._log_crashes  # (counting what reaches the detectors, batch by batch)
        feed_many = detect.feed_many

        def counting(lines: Any) -> Any:
            nonlocal fed
            fed += len(lines)
            if fed >= total:
                done.set()
            return feed_many(lines)

        detect.feed_many = counting  # type: ignore[method-assign]
        task = asyncio.create_task(app.run())
        try:
            await asyncio.wait_for(done.wait(), 600)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return fed


def main() -> int:
    """Build the journal, serve it from a child, time every reader, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=30.0, help="size of the journal (MB)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    journal = build_journal(args.mb)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(journal, child), daemon=True)
    server.start()
    url, token, firsts, lines = parent.recv()
    total = sum(lines.values())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "journal.log"
        path.write_text("".join(line + "\n" for line in journal))

        def floor() -> int:
            with path.open(encoding="utf-8", errors="replace") as f:
                return sum(1 for _ in f)

        def full() -> int:
            with path.open("rb") as f:
                find_crashes(read_log_lines(f))
            return len(journal)

        runners: dict[str, Callable[[], int]] = {
            "stream only": lambda: asyncio.run(stream_only(url, token, firsts, total)),
            "daemon": lambda: asyncio.run(daemon(url, token, firsts, total)),
            "full reader": full,
            "floor (text)": floor,
        }
        times: dict[str, list[float]] = {name: [] for name in runners}
        counts: dict[str, int] = {}
        for _ in range(args.rounds):
            for name, run in runners.items():
                start = time.perf_counter()
                counts[name] = run()
                times[name].append(time.perf_counter() - start)
    parent.send("stop")
    server.join(10)
    size = sum(len(line) + 1 for line in journal)
    print(f"journal: {size / 1e6:.0f} MB, {len(journal):,} lines, of which {total:,} in the "
          f"five followed streams; median of {args.rounds} rounds")
    print(f"{'reader':<14}{'lines':>10}{'seconds':>9}{'lines/s':>12}{'vs stream only':>16}")
    ceiling = total / statistics.median(times["stream only"])
    for name, t in times.items():
        seconds = statistics.median(t)
        rate = counts[name] / seconds
        print(f"{name:<14}{counts[name]:>10,}{seconds:>9.2f}{rate:>12,.0f}"
              f"{rate / ceiling:>15.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
