"""The prefiltered reader finds exactly the crashes the full reader finds, at exact positions.

Compared: every field of every incident (joins and loop folds included), except that the
prefiltered reader's breadcrumbs may be fewer: the most recent of the full reader's ones
(those within LOOKBACK_LINES of the crash).
"""

from __future__ import annotations

import fcntl
import io
import os
import random
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crash_reporter.detect.incidents import LogCrashes
from crash_reporter.models import Crash, LogLine
from crash_reporter.scan import find_crashes
from crash_reporter.sources import prefilter
from crash_reporter.sources.log_format import read_log_lines
from crash_reporter.sources.prefilter import Gap, PrefilteredLines, has_trigger
from tests.helpers import SAMPLES, TRUTH

FIXTURES = Path(__file__).parent / "fixtures"
LOGS = sorted(p.name for p in SAMPLES.glob("*.log"))
CRASH_LOGS = [n for n in LOGS if n != "noise_only.log"]
FIXTURE_FILES = sorted(
    [p for p in (FIXTURES / "python" / "out").glob("*.log")]
    + [p for p in (FIXTURES / "go").glob("*.txt")])
NOISE = [line for line in (SAMPLES / "noise_only.log").read_bytes().splitlines(keepends=True)
         if line[:4].isdigit()]
_PREFIX = re.compile(rb"^.*?\S+(?:\[\d+\])?: ")


def fixture_name(path: Path) -> str:
    """A fixture's path under tests/fixtures."""
    return path.relative_to(FIXTURES).as_posix()


def message(line: bytes) -> bytes:
    """A verbose line's message (its plain form)."""
    return _PREFIX.sub(b"", line, count=1)


def as_verbose(text: bytes, identifier: bytes, pid: int, rng: random.Random) -> bytes:
    """Plain program output as the verbose logs API prints it (one entry per line)."""
    ms = rng.randrange(3_600_000)
    out = []
    for line in text.splitlines():
        ms += rng.randrange(3)
        out.append(b"2026-11-24 03:%02d:%02d.%03d homeassistant-kitchen %s[%d]: %s\n" % (
            ms // 60_000 % 60, ms // 1000 % 60, ms % 1000, identifier, pid, line))
    return b"".join(out)


def piece(name: str, fmt: str, rng: random.Random) -> bytes:
    """A sample or fixture in the log format `fmt` (a plain sample in a verbose log becomes
    continuation lines of the entry before it)."""
    path = SAMPLES / name if name in LOGS else FIXTURES / name
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        data += b"\n"
    verbose = name in LOGS and TRUTH["files"].get(name, {}).get("format", "verbose") == "verbose"
    if name.startswith(("python/", "go/")):  # a fixture: the program's own output
        if fmt == "verbose":
            ident = b"os-agent" if name.startswith("go/") else b"hassio_supervisor"
            return as_verbose(data, ident, rng.randrange(100, 5000), rng)
        return data
    if verbose and fmt == "plain":
        return b"".join(message(line) for line in data.splitlines(keepends=True))
    return data


def noise(count: int, fmt: str, rng: random.Random) -> bytes:
    """Ordinary lines (decoys that mention "Traceback" or `File "` included)."""
    lines = (rng.choice(NOISE) for _ in range(count))
    return b"".join(lines if fmt == "verbose" else (message(line) for line in lines))


def both(data: bytes) -> tuple[list[Crash], list[Crash]]:
    """The incidents of the full reader and of the prefiltered one."""
    full = find_crashes(read_log_lines(io.BytesIO(data)))
    pre = find_crashes(PrefilteredLines(io.BytesIO(data)))
    return full, pre


def assert_same(data: bytes, *, exact: bool = False) -> list[Crash]:
    """The prefiltered reader finds what the full reader finds; return the full reader's."""
    full, pre = both(data)
    assert [replace(c, breadcrumbs=()) for c in pre] == [replace(c, breadcrumbs=()) for c in full]
    for a, b in zip(full, pre, strict=True):
        if exact:
            assert b.breadcrumbs == a.breadcrumbs
        else:  # the most recent ones
            assert b.breadcrumbs == a.breadcrumbs[len(a.breadcrumbs) - len(b.breadcrumbs):]
    return full


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 KB, so the samples span many blocks and most of the noise is skipped."""
    monkeypatch.setattr(prefilter, "BLOCK_BYTES", 4096)


def embed(sample: bytes, rng: random.Random, noise_lines: int = 3000) -> bytes:
    """`sample` in the middle of a lot of ordinary lines."""
    return noise(noise_lines, "verbose", rng) + sample + noise(noise_lines, "verbose", rng)


@pytest.mark.parametrize("name", LOGS)
def test_same_crashes_as_the_full_reader(name: str, small_blocks: None) -> None:
    data = embed((SAMPLES / name).read_bytes(), random.Random(name))
    # A plain sample here continues a sparse process's entry: its breadcrumbs lie far back.
    full = assert_same(data, exact=TRUTH["files"].get(name, {}).get("format") != "plain")
    if name != "noise_only.log":
        assert full  # positive control: the sample's crashes are there to be found


@pytest.mark.parametrize("block", [200, 1000, 4096])
@pytest.mark.parametrize("name", CRASH_LOGS)
def test_crashes_straddling_block_boundaries(name: str, block: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks shorter than some lines: every crash spans block ends, lookbacks cross them."""
    monkeypatch.setattr(prefilter, "BLOCK_BYTES", block)
    rng = random.Random(block)
    data = noise(300, "verbose", rng) + (SAMPLES / name).read_bytes() + noise(5, "verbose", rng)
    assert assert_same(data, exact=True)


@pytest.mark.parametrize("fmt", ["verbose", "plain"])
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_name)
def test_every_fixture_crash_is_found(path: Path, fmt: str, small_blocks: None) -> None:
    """Real program output (every CPython 3.10-3.13 and Go form we have) in ordinary lines."""
    name = fixture_name(path)
    rng = random.Random(name + fmt)
    data = noise(500, fmt, rng) + piece(name, fmt, rng) + noise(500, fmt, rng)
    full = assert_same(data)
    if not path.name.startswith("decoy"):
        assert full, name  # positive control


def test_every_sample_crash_has_a_trigger_line() -> None:
    """Each crash of the ground truth has a trigger on one of its own lines."""
    for name, info in TRUTH["files"].items():
        lines = (SAMPLES / name).read_bytes().splitlines(keepends=True)
        for crash in info["crashes"]:
            numbers = crash.get("lines") or range(crash["first_line"], crash["last_line"] + 1)
            assert any(has_trigger(lines[n - 1]) for n in numbers), (name, crash["crash_id"])


def test_decoys_are_not_triggers() -> None:
    assert not any(has_trigger(line) for line in NOISE)
    for decoy in (
        b"2026-11-21 12:01:34.323 h hassio_supervisor[1]: Core log contains "
        b"'Traceback (most recent call last):'\n",
        b"2026-11-21 12:01:34.323 h hassio_supervisor[1]: Invalid config: "
        b'File "/config/x.yaml", line 3\n',
        b"Found 'panic: runtime error' in the journal of haos-agent.service\n",
        b"a line that says goroutine and Traceback and dumped core in passing\n",
    ):
        assert not has_trigger(decoy), decoy
    for trigger in (
        b"2026-11-21 12:01:34.323 h hassio_supervisor[1]: Traceback (most recent call last):\n",
        b"Traceback (most recent call last):\n",
        b'  File "/usr/src/supervisor/supervisor/x.py", line 3\n',
        b"2026-11-21 12:01:34.323 h systemd[1]: a.service: Failed with result 'signal'.\n",
        b"2026-11-21 12:01:34.323 h kernel: Out of memory: Killed process 5 (x)\n",
        b"goroutine 1 [running]:\n",
    ):
        assert has_trigger(trigger), trigger


def test_ordinary_lines_are_skipped(small_blocks: None) -> None:
    rng = random.Random(1)
    noise_block = noise(20_000, "verbose", rng)
    data = noise_block + (SAMPLES / "os_agent.log").read_bytes() + noise_block
    reader = PrefilteredLines(io.BytesIO(data))
    full = find_crashes(read_log_lines(io.BytesIO(data)))
    lines: list[LogLine | Gap] = []

    class Recording:
        def watch(self, detectors: LogCrashes) -> None:
            reader.watch(detectors)

        def __iter__(self) -> Iterator[LogLine | Gap]:
            for item in reader:
                lines.append(item)
                yield item

    assert find_crashes(Recording()) == full
    fed = [line for line in lines if isinstance(line, LogLine)]
    assert any(isinstance(line, Gap) for line in lines)
    assert len(fed) < data.count(b"\n") / 50
    # Positions stay exact line numbers of the input.
    numbered = data.split(b"\n")
    for line in fed:
        raw = numbered[int(line.position) - 1].decode("utf-8", "replace")
        assert raw.endswith(line.text)
    gaps = [item.last for item in lines if isinstance(item, Gap)]
    assert gaps[-1].position == str(data.count(b"\n"))  # the end is reported


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), fmt=st.sampled_from(["verbose", "plain"]),
       block=st.sampled_from([300, 1500, 4096, 1 << 16]),
       names=st.lists(st.sampled_from(
           CRASH_LOGS + [fixture_name(p) for p in FIXTURE_FILES]), max_size=5))
def test_random_mixes_give_the_same_crashes(seed: int, fmt: str, block: int,
                                            names: list[str]) -> None:
    """Real crashes of every kind, in both text formats, between stretches of ordinary lines
    (none, a few, or enough to skip whole blocks), crossing block ends at random."""
    rng = random.Random(seed)
    blob = b"".join(noise(rng.choice((0, 3, 40, 400)), fmt, rng) + piece(name, fmt, rng)
                    for name in names) + noise(rng.choice((0, 50)), fmt, rng)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prefilter, "BLOCK_BYTES", block)
        assert_same(blob)


def test_huge_line_without_line_end_is_bounded(small_blocks: None) -> None:
    sample = (SAMPLES / "os_agent.log").read_bytes()
    data = sample.replace(b"\n", b"\n" + b"x" * 200_000 + b"\n", 1)  # after the first line
    assert assert_same(data, exact=True)
    crashed = b"2026-11-23 02:37:57.757 h os-agent[1]: " + b"y" * 100_000 + b"\n"
    data = (SAMPLES / "os_agent.log").read_bytes().replace(b"\n", b"\n" + crashed, 25)
    assert assert_same(data + b"z" * 90_000, exact=True)  # and a last line without line end


def test_without_detectors_to_ask_a_fixed_lookahead_is_read(small_blocks: None) -> None:
    """Used on its own (no `watch`), the reader still yields every trigger line, exactly."""
    rng = random.Random(3)
    data = noise(3000, "verbose", rng) + (SAMPLES / "os_agent.log").read_bytes() + noise(
        3000, "verbose", rng)
    numbered = data.split(b"\n")
    fed = {int(item.position): item for item in PrefilteredLines(io.BytesIO(data))
           if isinstance(item, LogLine)}
    triggers = [n for n, raw in enumerate(numbered, 1) if has_trigger(raw + b"\n")]
    assert triggers and all(n in fed for n in triggers)
    for n, line in fed.items():
        assert numbered[n - 1].decode("utf-8", "replace").endswith(line.text)
    assert len(fed) < len(numbered) / 10


def _read_file(path: Path, parallel_bytes: int | None) -> tuple[list[LogLine | Gap], list[Crash]]:
    """What the reader yields (on its own) and the crashes found, reading the file `path`."""
    with path.open("rb") as f:
        items = list(PrefilteredLines(f, parallel_bytes=parallel_bytes))
    with path.open("rb") as f:
        crashes = find_crashes(PrefilteredLines(f, parallel_bytes=parallel_bytes))
    return items, crashes


def _slow_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper (a forked copy of this process) takes 20 ms per chunk."""
    search = prefilter._Chunking.search
    parent = os.getpid()

    def slow(chunks: prefilter._Chunking, k: int,
             buf: bytearray) -> tuple[list[int], list[int]]:
        if os.getpid() != parent:
            time.sleep(0.02)
        return search(chunks, k, buf)

    monkeypatch.setattr(prefilter._Chunking, "search", slow)


def _helper_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper dies at the first chunk with a trigger line it took (never answering it),
    before the reader starts."""
    search = prefilter._Chunking.search
    parent = os.getpid()

    def dying(chunks: prefilter._Chunking, k: int,
              buf: bytearray) -> tuple[list[int], list[int]]:
        starts, counts = search(chunks, k, buf)
        if starts and os.getpid() != parent:
            os._exit(1)
        return starts, counts

    monkeypatch.setattr(prefilter._Chunking, "search", dying)
    _helper_first(monkeypatch, every=False)


def _helper_first(monkeypatch: pytest.MonkeyPatch, *, every: bool = True) -> None:
    """The reader starts only once the helper has ended (having searched every chunk)."""
    start = prefilter._Helper.start

    def wait(fd: int, begin: int, size: int) -> prefilter._Helper | None:
        helper = start(fd, begin, size)
        assert helper is not None
        while not helper.ended:
            helper.receive(wait=True)
        assert (len(helper.found) == helper.chunks.count) is every
        return helper

    monkeypatch.setattr(prefilter._Helper, "start", wait)


def _helpers_started(monkeypatch: pytest.MonkeyPatch) -> list[prefilter._Helper | None]:
    """Every helper the reader starts from now on (None where starting one failed)."""
    started: list[prefilter._Helper | None] = []
    start = prefilter._Helper.start

    def counted(fd: int, begin: int, size: int) -> prefilter._Helper | None:
        started.append(start(fd, begin, size))
        return started[-1]

    monkeypatch.setattr(prefilter._Helper, "start", counted)
    return started


@pytest.mark.parametrize("who", ["race", "helper first", "helper slow", "helper dies"])
@pytest.mark.parametrize("fmt", ["verbose", "plain"])
@pytest.mark.parametrize(("block", "chunk"), [(300, 1000), (4096, 1000), (4096, 50_000)])
def test_parallel_search_gives_what_the_serial_one_gives(
        who: str, fmt: str, block: int, chunk: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file searched partly or wholly by the forked helper: the same lines, gaps, crashes."""
    if not hasattr(prefilter.os, "fork"):
        pytest.skip("no fork")
    monkeypatch.setattr(prefilter, "BLOCK_BYTES", block)
    monkeypatch.setattr(prefilter, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(prefilter, "COUNT_STEP", 97)
    if who == "helper slow":
        _slow_helper(monkeypatch)
    elif who == "helper first":
        _helper_first(monkeypatch)
    elif who == "helper dies":
        _helper_dies(monkeypatch)
    started = _helpers_started(monkeypatch)
    rng = random.Random(f"{who}{fmt}{block}{chunk}")
    names = CRASH_LOGS + [fixture_name(p) for p in FIXTURE_FILES]
    blob = b"".join(noise(rng.choice((0, 3, 40, 400)), fmt, rng) + piece(name, fmt, rng)
                    for name in rng.sample(names, 8))
    for tail in (b"", b"2026-11-24 03:00:00.000 h x[1]: Traceback (most recent call last)"):
        path = tmp_path / "log"
        path.write_bytes(blob + noise(50, fmt, rng) + tail)
        serial = _read_file(path, None)
        assert serial[1]  # positive control
        assert _read_file(path, 1) == serial
        assert len(started) == 2 and None not in started, threading.enumerate()  # it forked
        assert _read_file(path, 10 * len(blob)) == serial  # too small: serial
        assert len(started) == 2
        started.clear()


@pytest.mark.parametrize("seed", range(16))
def test_a_file_that_grows_while_it_is_read(seed: int, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines appended after the helper started (its chunks end at the size it saw, maybe
    within a chunk or a line): the reader searches them itself, and finds what a read of the
    whole file finds, the crash in the appended lines included."""
    monkeypatch.setattr(prefilter, "BLOCK_BYTES", 300)
    monkeypatch.setattr(prefilter, "CHUNK_BYTES", 4000)
    rng = random.Random(seed)
    early = piece("supervisor_verbose.log", "verbose", rng)  # the reader stops in it
    first = noise(3, "verbose", rng) + early + noise(rng.randrange(20, 60), "verbose", rng)
    later = noise(2, "verbose", rng) + piece("os_agent.log", "verbose", rng)
    cut = rng.randrange(0, 150)  # the file may end within a line when the reader starts
    path = tmp_path / "log"
    path.write_bytes(first + later[:cut])
    with path.open("rb") as f:
        it = iter(PrefilteredLines(f, parallel_bytes=1))
        head = [next(it)]  # the helper has started on the file as it was
        with path.open("ab") as grow:
            grow.write(later[cut:])
        grown = head + list(it)
    whole, _ = _read_file(path, None)
    assert any(isinstance(i, LogLine) and i.text.startswith("goroutine ")
               for i in whole)  # positive control: the appended crash is read
    assert grown == whole


def test_a_small_pipe_gets_fewer_bigger_chunks(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe of one page (Linux gives that to a user over its pipe-buffer quota) holds 512
    chunk numbers: a file of more chunks gets bigger ones (else filling the queue blocks
    for good, before the helper that would empty it exists)."""
    monkeypatch.setattr(prefilter, "CHUNK_BYTES", 100)
    pipe = os.pipe

    def small_pipe() -> tuple[int, int]:
        r, w = pipe()
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
        return r, w

    monkeypatch.setattr(prefilter.os, "pipe", small_pipe)
    started = _helpers_started(monkeypatch)
    rng = random.Random(9)
    path = tmp_path / "log"
    path.write_bytes(noise(1500, "verbose", rng) + piece("os_agent.log", "verbose", rng))
    assert path.stat().st_size > 512 * 100  # more chunks of CHUNK_BYTES than the pipe holds
    old = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("filling the queue hung"))
    signal.alarm(20)
    try:
        parallel = _read_file(path, 1)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert [h is not None and h.chunks.count <= 512 for h in started] == [True, True]
    monkeypatch.setattr(prefilter.os, "pipe", pipe)
    assert parallel == _read_file(path, None)


def test_parallel_search_with_over_long_lines(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A line cut while the helper searches: the reader searches itself from there on."""
    monkeypatch.setattr(prefilter, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(prefilter, "CHUNK_BYTES", 20_000)
    crashed = b"2026-11-23 02:37:57.757 h os-agent[1]: " + b"y" * 100_000 + b"\n"
    data = (SAMPLES / "os_agent.log").read_bytes().replace(b"\n", b"\n" + crashed, 25)
    path = tmp_path / "log"
    path.write_bytes(noise(3000, "verbose", random.Random(5)) + data + b"z" * 90_000)
    serial = _read_file(path, None)
    assert serial[1]
    assert _read_file(path, 1) == serial
