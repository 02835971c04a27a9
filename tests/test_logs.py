"""LogFollower and CursorStore (crash_reporter/sources/logs.py) against the Supervisor stand-in.

Every follower test runs the real client against the real aiohttp stand-in
(sandbox/supervisor_api.py); nothing is mocked. Time bounds are generous: they only tell a
working follower from one that spins, stalls or doubles its back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

import crash_reporter.sources.logs as logs_mod
from crash_reporter.models import LogLine
from crash_reporter.sources.log_format import TRUNCATION_MARKER
from crash_reporter.sources.logs import (
    CURSORS_FILE,
    FIRST_START_BACKLOG,
    MAX_LINE_BYTES,
    CursorStore,
    LogFollower,
    LogStream,
    default_streams,
)
from crash_reporter.sources.records import RecordQueue
from sandbox.supervisor_api import FaultKind, SupervisorStandIn
from tests.helpers import SAMPLES, STREAMS, quiet, running, take

OS_AGENT = STREAMS["os-agent"]


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after 50 ms (cap 0.4 s) without jitter; save positions every 50 ms."""
    monkeypatch.setattr(logs_mod, "RECONNECT_MIN_S", 0.05)
    monkeypatch.setattr(logs_mod, "DBUS_RECONNECT_MAX_S", 0.4)
    monkeypatch.setattr(logs_mod, "SAVE_EVERY_S", 0.05)
    monkeypatch.setattr(logs_mod, "random", SimpleNamespace(random=lambda: 0.5))


def follower(session: aiohttp.ClientSession, sup: SupervisorStandIn, state: Path,
             stream: LogStream = OS_AGENT, token: str | None = None,
             cursors: CursorStore | None = None) -> LogFollower:
    return LogFollower(session, sup.url, token or sup.token, stream,
                       cursors or CursorStore(state))


def saved(state: Path) -> dict[str, Any]:
    """cursors.json as it is on disk ({} while it does not exist)."""
    try:
        doc: dict[str, Any] = json.loads((state / CURSORS_FILE).read_bytes())
    except FileNotFoundError:
        return {}
    return doc


async def until_saved(state: Path, name: str, cursor: str, consumed: int) -> None:
    """Wait until cursors.json holds this position for `name`."""
    want = {"cursor": cursor, "consumed": consumed}
    for _ in range(500):  # 10 s: a file has no event to wait for
        if saved(state).get(name) == want:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"{name} never saved as {want}: {saved(state).get(name)}")


async def fetch(session: aiohttp.ClientSession, sup: SupervisorStandIn, path: str,
                range_header: str) -> list[str]:
    """The verbose lines of a one-shot (not follow) request."""
    headers = {"Authorization": f"Bearer {sup.token}", "Accept": "text/x-log",
               "Range": range_header}
    async with session.get(f"{sup.url}{path}?no_colors", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.text()).splitlines()


# ----------------------------------------------------------------------------------------
# bounded line splitting
# ----------------------------------------------------------------------------------------


async def test_long_lines_are_cut_at_max_line_bytes_and_the_rest_dropped(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    sup.append("os-agent", ["probe"])
    prefix = len(sup.entries("os-agent")[0].render(verbose=True, no_colors=True)) - len("probe")
    room = MAX_LINE_BYTES - prefix  # a MESSAGE this long makes a line of MAX_LINE_BYTES
    messages = ["a" * room, "b" * (room + 1), "c" * (3 << 20), "d" * (room - 1), "short"]
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path)
    async with running(logs.run(out)) as task:
        assert [x.text for x in await take(out, 1)] == ["probe"]
        for message in messages:  # one by one: lines arrive in chunks of every size
            sup.append("os-agent", [message])
        got = await take(out, len(messages))
        assert await quiet(out) == []
        assert not task.done()
    texts = [x.text for x in got]
    assert texts[0] == messages[0]  # exactly MAX_LINE_BYTES: kept whole
    assert texts[1] == "b" * room + TRUNCATION_MARKER
    assert texts[2] == "c" * room + TRUNCATION_MARKER
    assert texts[3:] == messages[3:]
    assert logs.entries == 6 and logs.reconnects == 0
    assert [x.identifier for x in got] == ["os-agent"] * len(messages)


# ----------------------------------------------------------------------------------------
# positions
# ----------------------------------------------------------------------------------------


async def test_positions_locate_every_line(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    stream = LogStream("systemd-coredump", "/host/logs/identifiers/systemd-coredump/follow")
    sup.append(None, (SAMPLES / "coredump.log").read_text("utf-8").splitlines())
    entries = sup.entries("systemd-coredump")
    lines_per_entry = [e.message.count("\n") + 1 for e in entries]
    assert max(lines_per_entry) > 1
    out: asyncio.Queue[object] = asyncio.Queue()
    async with running(follower(session, sup, tmp_path, stream).run(out)):
        got: list[LogLine] = await take(out, sum(lines_per_entry))
        sup.cut_streams()  # the next reply has another first cursor: same kind of positions
        sup.append("systemd-coredump", ["after the cut"])
        got += await take(out, 1)
    first = entries[0].cursor
    expected = []
    for n, count in enumerate(lines_per_entry):
        expected += [f"{first}:{n}"] + [f"{first}:{n}+{i}" for i in range(1, count)]
    expected.append(f"{first}:{len(entries)}")  # still counted from the request's anchor
    assert [x.position for x in got] == expected
    # A position is where the API serves that entry again.
    for line in got:
        if "+" not in line.position:
            anchor, skip = line.position.rsplit(":", 1)
            again = await fetch(session, sup, stream.path, f"entries={anchor}:{skip}:1")
            assert again[0].endswith(f": {line.text}")


async def test_lines_read_again_after_a_kill_keep_their_positions(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    """A kill -9 after the last save: the lines read since come again, at the same positions.

    The detectors build the event id from a line's position, so this is what lets the
    outbox recognise a crash that is seen again after a restart.
    """
    state, killed = tmp_path / "state", tmp_path / "killed"
    out: asyncio.Queue[object] = asyncio.Queue()
    async with running(follower(session, sup, state).run(out)):
        sup.append("os-agent", ["e0", "e1", "e2"])
        await take(out, 3)
        assert sup.cut_streams() == 1  # a reconnect: the next reply starts at e3
        await sup.wait_requests(2, OS_AGENT.path)
        sup.append("os-agent", ["e3", "e4"])
        await take(out, 2)
        e0 = sup.entries("os-agent")[0].cursor
        await until_saved(state, "os-agent", e0, 5)  # saved while the stream is quiet
        shutil.copytree(state, killed)  # what a kill -9 now would leave on disk
        sup.append("os-agent", ["e5", "e6"])
        before: list[LogLine] = await take(out, 2)
    assert [x.position for x in before] == [f"{e0}:5", f"{e0}:6"]
    # A clean stop re-anchors on the reply's first entry (e3): the same place.
    e3 = sup.entries("os-agent")[3].cursor
    assert saved(state)["os-agent"] == {"cursor": e3, "consumed": 4}
    async with running(follower(session, sup, killed).run(out)):
        again: list[LogLine] = await take(out, 2)
        assert await quiet(out) == []
    assert [(x.text, x.position) for x in again] == [(x.text, x.position) for x in before]
    async with running(follower(session, sup, state).run(out)):
        await sup.wait_streams(1)
        assert await quiet(out) == []  # the cleanly stopped one reads nothing twice


async def test_an_entry_counts_only_once_it_is_on_the_queue(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    """A chunk's entries go on the queue as one batch; a batch still waiting is not counted."""
    out = RecordQueue(max_lines=1)  # full after one batch
    sup.append("os-agent", ["q0", "q1", "q2"])
    async with running(follower(session, sup, tmp_path).run(out)):
        await sup.wait_streams(1)
        for _ in range(500):
            if out.full():
                break
            await asyncio.sleep(0.02)
        assert out.full() and out.qsize() == 3  # one batch, counted as its lines
        sup.append("os-agent", ["q3", "q4"])
        await asyncio.sleep(0.2)  # the follower now waits to put the batch of q3 and q4
        assert out.qsize() == 3
    assert CursorStore(tmp_path).get("os-agent") == (sup.entries("os-agent")[0].cursor, 3)
    out = RecordQueue()
    async with running(follower(session, sup, tmp_path).run(out)):
        assert [x.text for x in await take(out, 2)] == ["q3", "q4"]
        assert await quiet(out) == []


# ----------------------------------------------------------------------------------------
# saving positions
# ----------------------------------------------------------------------------------------


async def test_concurrent_saves_never_lose_or_corrupt_a_position(tmp_path: Path) -> None:
    """Many saves in flight at once, some cancelled: the file only ever moves forward."""
    store = CursorStore(tmp_path)
    names = [f"stream-{i}" for i in range(5)]
    problems: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        seen: dict[str, int] = {}
        while not stop.is_set():
            try:
                doc = json.loads((tmp_path / CURSORS_FILE).read_bytes())
            except FileNotFoundError:
                continue
            except ValueError as err:
                problems.append(f"unreadable: {err}")
                continue
            for name, pos in doc.items():
                if pos["cursor"] != f"c-{name}" or pos["consumed"] < seen.get(name, 0):
                    problems.append(f"{name} went back: {pos} after {seen.get(name)}")
                seen[name] = pos["consumed"]

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(7)
    saves: list[asyncio.Task[None]] = []
    try:
        for step in range(1, 301):
            for name in rng.sample(names, rng.randint(1, len(names))):
                store.set(name, f"c-{name}", step)
            saves.append(asyncio.create_task(store.save()))
            if rng.random() < 0.3:
                await asyncio.sleep(0)
                saves[rng.randrange(len(saves))].cancel()  # like a follower cancelled mid-save
            if rng.random() < 0.5:
                await asyncio.sleep(0)
        await asyncio.gather(*saves, return_exceptions=True)
        await store.save()
    finally:
        stop.set()
        await asyncio.to_thread(watcher.join, 10)
    assert problems == []
    reloaded = CursorStore(tmp_path)
    for name in names:
        assert reloaded.get(name) == store.get(name)
    assert not store.dirty


async def test_followers_sharing_a_store_keep_every_position(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    store = CursorStore(tmp_path)
    streams = default_streams()
    out: asyncio.Queue[object] = asyncio.Queue()
    followers = [follower(session, sup, tmp_path, s, cursors=store) for s in streams]
    tasks = [asyncio.create_task(f.run(out)) for f in followers]
    try:
        for i in range(20):
            for s in streams:
                sup.append(s.name, [f"{s.name} {i}"])
            await asyncio.sleep(0.01 * (i % 3))
        await take(out, 20 * len(streams))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    reloaded = CursorStore(tmp_path)
    for s in streams:
        assert reloaded.get(s.name) == (sup.entries(s.name)[0].cursor, 20), s.name


async def test_position_is_written_while_the_stream_is_quiet(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    out: asyncio.Queue[object] = asyncio.Queue()
    async with running(follower(session, sup, tmp_path).run(out)):
        sup.append("os-agent", ["p0", "p1"])
        await take(out, 2)
        # No further line and no stop: the position reaches the disk anyway.
        await until_saved(tmp_path, "os-agent", sup.entries("os-agent")[0].cursor, 2)


async def test_cancelling_a_follower_during_its_save_keeps_the_position(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    out: asyncio.Queue[object] = asyncio.Queue()
    task = asyncio.create_task(follower(session, sup, tmp_path).run(out))
    sup.append("os-agent", [f"k{i}" for i in range(50)])
    await take(out, 50)
    task.cancel()
    await asyncio.sleep(0)  # now in the final save
    task.cancel()  # cancelled again, as a TaskGroup being torn down may do
    await asyncio.gather(task, return_exceptions=True)
    await until_saved(tmp_path, "os-agent", sup.entries("os-agent")[0].cursor, 50)
    sup.append("os-agent", ["k50"])
    async with running(follower(session, sup, tmp_path).run(out)):
        assert [x.text for x in await take(out, 1)] == ["k50"]
        assert await quiet(out) == []


def test_unusable_saved_positions_are_ignored(tmp_path: Path) -> None:
    (tmp_path / CURSORS_FILE).write_text(json.dumps({
        "good": {"cursor": "s=1;i=2", "consumed": 3},
        "colon": {"cursor": "s=1:i=2", "consumed": 3},
        "newline": {"cursor": "s=1\r\nX-Evil: 1", "consumed": 3},
        "empty": {"cursor": "", "consumed": 3},
        "negative": {"cursor": "s=1;i=2", "consumed": -4},
        "bool": {"cursor": "s=1;i=2", "consumed": True},
        "text": {"cursor": "s=1;i=2", "consumed": "3"},
        "not an object": ["s=1;i=2", 3],
    }))
    store = CursorStore(tmp_path)
    assert store.get("good") == ("s=1;i=2", 3)
    for name in ("colon", "newline", "empty", "negative", "bool", "text", "not an object"):
        assert store.get(name) is None, name
    for broken in ("[1, 2]", "{", "\x00\xff"):
        (tmp_path / CURSORS_FILE).write_text(broken)
        assert CursorStore(tmp_path).get("good") is None


async def test_a_follower_with_an_unusable_saved_position_starts_afresh(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    (tmp_path / CURSORS_FILE).write_text(json.dumps(
        {"os-agent": {"cursor": "s=1\nRange: x", "consumed": 1}}))
    sup.append("os-agent", ["u0"])
    out: asyncio.Queue[object] = asyncio.Queue()
    async with running(follower(session, sup, tmp_path).run(out)) as task:
        assert [x.text for x in await take(out, 1)] == ["u0"]
        assert not task.done()
    assert sup.requests[0].headers["Range"] == f"entries=:-{FIRST_START_BACKLOG}:"


# ----------------------------------------------------------------------------------------
# failures: never die, never spin
# ----------------------------------------------------------------------------------------


FAULTS: list[FaultKind] = [401, 403, 500, "garbage", "not_json"]


@pytest.mark.parametrize("fault", FAULTS, ids=str)
async def test_bad_answers_back_off_and_recover(
    fault: FaultKind, sup: SupervisorStandIn, session: aiohttp.ClientSession,
    tmp_path: Path, fast: None,
) -> None:
    sup.append("os-agent", ["f0"])
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path)
    async with running(logs.run(out)) as task:
        assert [x.text for x in await take(out, 1)] == ["f0"]  # positive control
        sup.set_fault(fault, paths=[OS_AGENT.path])
        assert sup.cut_streams() == 1
        sup.append("os-agent", ["f1"])
        start = len(sup.requests)
        await asyncio.sleep(1.5)
        during = len(sup.requests) - start
        # Backing off (0.05 s doubling to 0.4 s): about 6 requests; a spin makes hundreds.
        assert 2 <= during <= 25, during
        assert all(r.fault == fault for r in sup.requests[start:])
        assert await quiet(out, 0.1) == []  # nothing of a bad answer becomes a line
        assert not task.done()
        sup.set_fault(None)
        assert [x.text for x in await take(out, 1)] == ["f1"]  # where it stopped
        assert await quiet(out) == []


async def test_a_wrong_token_is_logged_once_not_on_every_retry(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=logs_mod.__name__)
    out: asyncio.Queue[object] = asyncio.Queue()
    async with running(follower(session, sup, tmp_path, token="0" * 64).run(out)) as task:
        await sup.wait_requests(4, OS_AGENT.path)
        assert not task.done()
    assert all(r.token_ok is False for r in sup.requests)
    warnings = [r for r in caplog.records
                if r.levelno >= logging.WARNING and "HTTP 401" in r.getMessage()]
    assert len(warnings) == 1
    assert sup.token not in caplog.text and "0" * 64 not in caplog.text


async def test_a_stream_ending_without_entries_backs_off(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path)
    async with running(logs.run(out)) as task:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # gatewayd keeps going away: empty replies
            with contextlib.suppress(TimeoutError):
                await sup.wait_streams(1, timeout_s=0.1)
            sup.end_streams()
            await asyncio.sleep(0.02)  # let the reply end
        assert 2 <= len(sup.requests) <= 25, len(sup.requests)
        assert await quiet(out, 0.1) == []
        assert not task.done()
        sup.append("os-agent", ["n0"])
        assert [x.text for x in await take(out, 1)] == ["n0"]


async def test_a_quiet_stream_stays_connected(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
) -> None:
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path)
    async with running(logs.run(out)):
        await sup.wait_streams(1)
        await asyncio.sleep(1.0)
        assert len(sup.requests) == 1 and logs.reconnects == 0
        assert sup.open_streams == 1
        sup.append("os-agent", ["late"])
        assert [x.text for x in await take(out, 1)] == ["late"]


async def test_a_half_open_stream_is_dropped_and_followed_again(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path, fast: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reply that stays open but never sends again (the Supervisor vanished without closing
    the connection) is given up after LOG_IDLE_S and followed again from its position."""
    monkeypatch.setattr(logs_mod, "LOG_IDLE_S", 0.5)
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path)
    async with running(logs.run(out)):
        await sup.wait_streams(1)
        sup.append("os-agent", ["before"])
        assert [x.text for x in await take(out, 1)] == ["before"]
        assert sup.freeze_streams() == 1
        sup.append("os-agent", ["while frozen", "after"])
        got = [x.text for x in await take(out, 2, timeout_s=5.0)]
        assert got == ["while frozen", "after"]  # each once, none lost
        assert logs.idle_ends >= 1 and logs.reconnects == 0  # not taken for a failure
        assert len(sup.requests) >= 2
        assert await quiet(out, 0.2) == []
