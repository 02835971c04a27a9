"""Storage faults and corrupt state never stop the daemon, and never lose a report silently.

- State files of the right JSON but the wrong shape are set aside (renamed `.bad`, counted,
  logged) and the store starts afresh; bad reports are removed and counted as corrupt.
- A REAL full file system (a 256 KiB tmpfs mounted here) and a REAL read-only one (the same
  tmpfs remounted ro): writes are counted by reason (ENOSPC, EROFS), logged once per
  episode, and retried; a report the disk refused is held once it has room.
- EIO and EACCES on reading a report cannot be produced for real here (root ignores mode
  bits; no faulty block device), so they are injected at the OS boundary (`os.open` for
  that one file): the report stays on disk and is read once the fault is gone.
- A symlink in the data dir never leads a read or a delete out of it.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crash_reporter.app import App
from crash_reporter.config import Config
from crash_reporter.consent import ConsentGate
from crash_reporter.errors import StorageError
from crash_reporter.files import SET_ASIDE_SUFFIX, Faults
from crash_reporter.flood import FloodControl
from crash_reporter.models import Consent, Crash, CrashKind
from crash_reporter.outbox import DROP_CORRUPT, HELD_DIR, READY_DIR, TMP_DIR, Outbox
from crash_reporter.sources.logs import CursorStore
from crash_reporter.status import read_status, render_status
from tests.test_outbox import Clock, box, make_event


def _id() -> str:
    return uuid.uuid4().hex


# ----------------------------------------------------------------------------------------
# State files of the wrong shape
# ----------------------------------------------------------------------------------------


def test_bad_reports_are_removed_and_counted_good_ones_kept(tmp_path: Path) -> None:
    root = tmp_path / "outbox"
    first = box(root, Clock())
    good = make_event()
    assert first.hold(good)
    held, ready = root / HELD_DIR, root / READY_DIR
    bad_ids = [_id() for _ in range(4)]
    (held / f"{bad_ids[0]}.json").write_text('{"event":{},"held_at":"x"}')
    (held / f"{bad_ids[1]}.json").write_text("null")
    (held / f"{bad_ids[2]}.json").write_text('{"held_at": 1, "event": [1]}')
    meta = {"v": 1, "held_at": 1.0, "queued_at": 1.0, "title": "t", "categories": 5}
    (ready / f"{bad_ids[3]}.env").write_text(json.dumps(meta) + "\n{}\n")
    for status in (read_status(tmp_path), read_status(tmp_path)):  # read-only, twice
        assert status["outbox"]["pending"] == 1 and status["outbox"]["unusable"] == 4
        render_status(status)
    outbox = box(root, Clock())
    assert [r.event_id for r in outbox.held()] == [good["event_id"]]
    assert outbox.stats()["dropped"] == {DROP_CORRUPT: 4}
    assert sorted(p.name for p in held.iterdir()) == [f"{good['event_id']}.json"]
    assert list(ready.iterdir()) == []


@pytest.mark.parametrize(("name", "doc"), [
    ("outbox/state.json", {"counters": {"held": "many"}}),
    ("outbox/state.json", {"settled": {"x": "y"}, "recent": [{"event_id": 1}]}),
    ("outbox/state.json", [1, 2]),
    ("state/flood.json", {"signatures": {"x": 5}}),
    ("state/flood.json", {"signatures": {"x": {"sent": [1], "folded": 1, "first": None,
                                               "last": None, "body": None}}}),
    ("state/flood.json", {"counters": {"admitted": True}}),
    ("state/consent.json", {"state": 5}),
    ("state/cursors.json", ["not", "an", "object"]),
])
def test_state_files_of_the_wrong_shape_are_set_aside(tmp_path: Path, name: str,
                                                      doc: object) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    render_status(read_status(tmp_path))  # status reads it without raising or renaming
    assert path.exists()
    faults = Faults()
    outbox = Outbox(tmp_path / "outbox", max_reports=10, max_bytes=10**6, faults=faults)
    flood = FloodControl(tmp_path / "state" / "flood.json", faults=faults)
    ConsentGate(_Reader(), tmp_path / "state", faults=faults)
    CursorStore(tmp_path / "state", faults)
    event = make_event()
    assert flood.admit("sig", event) is not None
    assert outbox.hold(event)  # (the counts reach status.json with the outbox's next write)
    assert faults.counts == {"set_aside": 1}
    assert path.with_name(path.name + SET_ASIDE_SUFFIX).read_text() == json.dumps(doc)
    assert outbox.stats()["faults"] == {"set_aside": 1}  # (kept in the outbox state)
    assert read_status(tmp_path)["faults"] == {"set_aside": 1}


def test_missing_keys_are_filled_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"counters": {}}')
    outbox = box(tmp_path, Clock())
    assert outbox.hold(make_event())
    assert outbox.stats()["held_total"] == 1
    assert not (tmp_path / f"state.json{SET_ASIDE_SUFFIX}").exists()


def test_status_command_on_bad_state(tmp_path: Path) -> None:
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / "state.json").write_text('{"counters": {}}')
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "flood.json").write_text('{"signatures": {"x": 5}}')
    out = subprocess.run([sys.executable, "-m", "crash_reporter", "status",
                          "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert f"Data dir:     {tmp_path}" in out.stdout


def test_status_names_a_missing_data_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    out = subprocess.run([sys.executable, "-m", "crash_reporter", "status",
                          "--data-dir", str(missing)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1
    assert f"{missing} (does not exist" in out.stdout
    assert f"the data dir {missing} does not exist" in out.stderr


class _Reader:
    state = Consent.ON

    async def read_consent(self) -> tuple[Consent, str]:
        return self.state, "test"


# ----------------------------------------------------------------------------------------
# A real full and a real read-only file system
# ----------------------------------------------------------------------------------------


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (real ENOSPC); the suite runs as root (it also needs unshare)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(mnt)],
                   check=True, capture_output=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True)


def _fill(fs: Path) -> Path:
    filler = fs / "filler"
    with filler.open("wb") as fh, pytest.raises(OSError) as err:
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    assert err.value.errno == errno.ENOSPC
    return filler


def _crash(n: int) -> Crash:
    return Crash(kind=CrashKind.PYTHON, component="supervisor", title=f"KeyError {n}",
                 platform="python", occurred_at=1_800_000_000.0 + n,
                 occurrence=f"occ-{n}", signature=("KeyError", f"f{n}"))


def _app(data_dir: Path) -> App:
    config = Config(data_dir=data_dir, supervisor_url="http://127.0.0.1:9",
                    supervisor_token=None, dbus_address=None, dsn=None)
    app = App(config)
    app.consent = ConsentGate(_Reader(), config.state_dir, faults=app.faults)
    return app


async def test_disk_full_then_room_again(small_fs: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    app = _app(small_fs)
    await app.take(_crash(0))  # the stores work, then the disk fills
    assert app.outbox.stats()["held"] == 1
    filler = _fill(small_fs)
    for n in range(1, 6):
        await app.take(_crash(n))  # never raises: kept in memory, counted
    assert len(app._unheld) == 5
    counts = app.faults.snapshot()
    assert counts.get("io:ENOSPC", 0) >= 5, counts
    warnings = [r for r in caplog.records if "Storage fault in the outbox" in r.getMessage()]
    assert len(warnings) == 1  # once per episode
    filler.unlink()
    await app._deliver_once()  # what the disk refused is held now
    assert not app._unheld
    assert app.outbox.stats()["held"] == 6
    assert any("Storage in the outbox works again" in r.getMessage() for r in caplog.records)
    assert read_status(small_fs)["faults"]["io:ENOSPC"] >= 5


def _remount(fs: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(fs)], check=True)


async def test_read_only_file_system(small_fs: Path) -> None:
    app = _app(small_fs)
    await app.take(_crash(0))
    _remount(small_fs, "ro")
    try:
        await app.take(_crash(1))
        assert len(app._unheld) == 1
        assert app.faults.snapshot().get("io:EROFS", 0) >= 1
        assert app.outbox.remove(next(iter(app.outbox._held)), "sent")  # no raise
        await app._deliver_once()
    finally:
        _remount(small_fs, "rw")
    await app._deliver_once()
    assert not app._unheld


def test_full_disk_at_start(small_fs: Path) -> None:
    _fill(small_fs)
    faults = Faults()
    outbox = Outbox(small_fs / "outbox", max_reports=10, max_bytes=10**6, faults=faults)
    with pytest.raises(StorageError):
        outbox.hold(make_event())
    flood = FloodControl(small_fs / "state" / "flood.json", faults=faults)
    assert flood.admit("sig", make_event()) is not None  # decided in memory
    assert faults.snapshot()["io:ENOSPC"] >= 2


# ----------------------------------------------------------------------------------------
# A report that cannot be read now is kept (EIO / EACCES injected at the OS boundary)
# ----------------------------------------------------------------------------------------


def _failing_open(monkeypatch: pytest.MonkeyPatch, name: str, code: int) -> None:
    real = os.open

    def fake(path: Any, flags: int, *args: Any, **kw: Any) -> int:
        if str(path).endswith(name):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", fake)


@pytest.mark.parametrize("code", [errno.EIO, errno.EACCES])
def test_report_unreadable_now_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       code: int) -> None:
    clock = Clock()
    event = make_event()
    assert box(tmp_path, clock).hold(event)
    name = f"{event['event_id']}.json"
    with monkeypatch.context() as patch:  # the fault, at start-up
        _failing_open(patch, name, code)
        outbox = box(tmp_path, clock)
        assert outbox.held() == []
        assert outbox.stats()["unreadable"] == 1
    assert (tmp_path / HELD_DIR / name).exists()
    clock.now += 61  # tried again a minute later
    assert [r.event_id for r in outbox.held()] == [event["event_id"]]
    with monkeypatch.context() as patch:  # the fault, when it is loaded to be sent
        _failing_open(patch, name, code)
        assert outbox.load_held(event["event_id"]) is None
    assert outbox.load_held(event["event_id"]) == event
    assert outbox.stats()["dropped"] == {}
    assert outbox.stats()["faults"][f"io:{errno.errorcode[code]}"] >= 1


# ----------------------------------------------------------------------------------------
# Symlinks never lead out of the data dir
# ----------------------------------------------------------------------------------------


def test_symlinked_tmp_dir_does_not_delete_its_target(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("keep me")
    root = tmp_path / "outbox"
    root.mkdir()
    (root / TMP_DIR).symlink_to(elsewhere)
    outbox = box(root, Clock())
    assert outbox.hold(make_event())
    assert outbox.purge() == 1
    assert (elsewhere / "precious.txt").read_text() == "keep me"
    assert (root / TMP_DIR).is_dir() and not (root / TMP_DIR).is_symlink()


def test_symlinked_reports_are_never_read_or_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    doc = {"v": 1, "held_at": 1.0, "title": "t", "event": {"message": "SECRET"}}
    secret.write_text(json.dumps(doc))
    root = tmp_path / "outbox"
    box(root, Clock()).held()
    link = root / HELD_DIR / f"{_id()}.json"
    link.symlink_to(secret)
    (root / HELD_DIR / f"{_id()}.json").symlink_to(tmp_path)  # a dir, through a link
    outbox = box(root, Clock(2.0))
    assert outbox.held() == []
    assert not link.is_symlink()  # the link itself is removed ...
    assert secret.read_text() == json.dumps(doc)  # ... never what it points to
    assert outbox.stats()["dropped"] == {DROP_CORRUPT: 2}


def test_purge_removes_regular_files_only(tmp_path: Path) -> None:
    target = tmp_path / "target.json"
    target.write_text("{}")
    root = tmp_path / "outbox"
    outbox = box(root, Clock())
    assert outbox.hold(make_event())
    (root / HELD_DIR / "x.json").symlink_to(target)
    outbox.purge()
    assert target.exists()


def test_symlinked_state_file_is_set_aside(tmp_path: Path) -> None:
    target = tmp_path / "target.json"
    target.write_text('{"v": 1}')
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "flood.json").symlink_to(target)
    faults = Faults()
    flood = FloodControl(tmp_path / "state" / "flood.json", faults=faults)
    flood.admit("sig", make_event())
    assert target.read_text() == '{"v": 1}'
    assert faults.counts["set_aside"] == 1
    assert not (tmp_path / "state" / "flood.json").is_symlink()


def test_flood_body_names_cannot_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(make_event()))
    state = {"v": 1, "signatures": {"s": {"sent": [], "folded": 3, "first": 1.0,
                                          "last": 2.0, "body": "../../outside", "seen": 1.0}},
             "global": [], "decided": {}, "handed": ["../../outside"],
             "counters": {"admitted": 0, "folded": 3, "summaries": 0, "evicted_counts": 0}}
    (tmp_path / "state" / "x").mkdir(parents=True)
    path = tmp_path / "state" / "x" / "flood.json"
    path.write_text(json.dumps(state))
    assert FloodControl(path).due_summaries() == []
    assert outside.exists()


def test_daemon_task_group_survives_a_full_disk(small_fs: Path) -> None:
    """App.take under ENOSPC returns (it used to raise OSError out of the TaskGroup)."""
    app = _app(small_fs)
    _fill(small_fs)
    asyncio.run(app.take(_crash(9)))
    assert len(app._unheld) == 1


async def test_a_failing_stage_is_restarted_not_fatal(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crash_reporter.app.TASK_RESTART_MIN_S", 0.01)
    app = _app(tmp_path)
    runs: list[int] = []

    async def stage() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise KeyError("a bug met by one input")

    await asyncio.wait_for(app._keep_running("test", stage), 5)
    assert len(runs) == 3


async def test_log_positions_are_written_late_and_not_while_a_report_waits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kill soon after lines were read re-reads them (the crash in them is not lost)."""
    now = [1000.0]
    monkeypatch.setattr("crash_reporter.sources.logs.time.monotonic", lambda: now[0])
    waiting = [False]
    store = CursorStore(tmp_path, lag_s=15.0, hold=lambda: waiting[0])
    path = tmp_path / "cursors.json"
    store.set("s", "c1", 5)
    await store.save()
    assert not path.exists()  # read 0 s ago: not yet
    now[0] += 10
    store.set("s", "c1", 9)
    await store.save()
    assert not path.exists()
    now[0] += 6  # the first position is 16 s old now
    await store.save()
    assert json.loads(path.read_text()) == {"s": {"cursor": "c1", "consumed": 5}}
    waiting[0] = True  # a report waits in memory: nothing newer is written
    now[0] += 30
    await store.save()
    assert json.loads(path.read_text())["s"]["consumed"] == 5
    waiting[0] = False
    await store.save()
    assert json.loads(path.read_text())["s"]["consumed"] == 9


def test_panel_records_never_follow_a_symlink(tmp_path: Path) -> None:
    from crash_reporter.payloads import EventDir  # noqa: PLC0415

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    event_id = _id()
    (elsewhere / f"{event_id}.json").write_text('{"event": {"message": "SECRET"}}')
    (tmp_path / "review").symlink_to(elsewhere)
    records = EventDir(tmp_path / "review", 10)
    assert records.ids() == [] and records.clear() == 0
    assert (elsewhere / f"{event_id}.json").exists()
    assert records.write(_id(), {"event": {}})  # the link is set aside, a real dir made
    assert not (tmp_path / "review").is_symlink()
    (tmp_path / "review" / f"{event_id}.json").symlink_to(elsewhere / f"{event_id}.json")
    assert records.read(event_id) is None
    assert event_id not in records.ids()
