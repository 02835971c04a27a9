"""The daemon's hot path for log lines gives exactly what the plain per-line path gives.

A followed stream's chunks go through LineSplitter, VerboseStream.parse (one decode per
chunk, LogLines built by `make_line`) and LogCrashes.feed_many (the same-process shortcut
inlined): all tuned for speed (bench/replay.py). Here the same bytes also go through the
plainest path there is: each line decoded and parsed on its own into a LogLine built by the
dataclass itself, positioned as sources/logs.py documents, and fed one at a time with
LogCrashes.feed. Both must give equal crashes: the same identity (occurrence, hence event
id), frames, breadcrumbs (LogLines, positions included) and everything else a Crash holds.
Inputs: every sample (the .log files, and each crash capture as the Supervisor's container
writes it, one journal entry per line) and the replay bench's journal, stream by stream,
cut into chunks of many sizes as HTTP delivers them.
"""

from __future__ import annotations

import importlib.util
import random
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crash_reporter.detect.incidents import LogCrashes
from crash_reporter.models import Crash, LogLine
from crash_reporter.sources.log_format import LineSplitter, VerboseStream, parse_verbose
from crash_reporter.sources.logs import default_streams
from sandbox.supervisor_api import SupervisorStandIn
from tests.helpers import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = "s=0123abcd;i=42;b=77;m=9;t=5;x=1"


Seen = tuple[list[LogLine], list[Crash]]  # the lines fed, the crashes found


def plain_path(data: bytes, anchor: str) -> Seen:
    """Every line on its own: decode, parse, build with LogLine(...), feed one at a time."""
    detect = LogCrashes()
    lines: list[LogLine] = []
    crashes: list[Crash] = []
    entry: LogLine | None = None
    n = further = 0
    for raw in data.split(b"\n")[:-1]:  # (a line without its end is not complete)
        text = raw.decode("utf-8", "replace").rstrip("\r")
        parsed = parse_verbose(text)
        if parsed is not None:
            line = LogLine(parsed.text, parsed.identifier, parsed.pid, parsed.timestamp,
                           parsed.hostname, f"{anchor}:{n}")
            entry, further, n = line, 0, n + 1
        elif entry is not None:
            further += 1
            line = LogLine(text, entry.identifier, entry.pid, entry.timestamp,
                           entry.hostname, f"{entry.position}+{further}")
        else:
            continue  # (the reply began inside a MESSAGE: dropped, as the follower does)
        lines.append(line)
        crashes += detect.feed(line)
    return lines, crashes + detect.flush()


def hot_path(data: bytes, anchor: str, seed: int) -> Seen:
    """As the follower and the intake do it, over chunks of random sizes."""
    rng = random.Random(seed)
    splitter = LineSplitter()
    stream = VerboseStream()
    detect = LogCrashes()
    lines: list[LogLine] = []
    crashes: list[Crash] = []
    consumed = 0
    at = 0
    while at < len(data):
        size = rng.choice((1, 7, 100, 4096, 65536, 1 << 20))
        raws = splitter.feed(data[at:at + size])
        at += size
        if raws:
            batch, entries = stream.parse(raws, anchor, consumed)
            consumed += entries
            lines += batch
            crashes += detect.feed_many(tuple(batch))
    return lines, crashes + detect.flush()


def assert_same(hot: Seen, plain: Seen) -> int:
    """Equal lines and equal crashes, field by field; the number of crashes."""
    assert hot[0] == plain[0]
    assert len(hot[1]) == len(plain[1])
    for a, b in zip(hot[1], plain[1], strict=True):
        for f in fields(Crash):
            assert getattr(a, f.name) == getattr(b, f.name), f.name
    return len(plain[1])


def as_entries(text: str, identifier: str = "hassio_supervisor[287]") -> bytes:
    """A capture as the Supervisor's container logs it: every line its own journal entry."""
    out = [f"2026-11-20 07:58:{12 + i // 1000:02d}.{i % 1000:03d} homeassistant {identifier}: "
           f"{line}" for i, line in enumerate(text.splitlines())]
    return ("\n".join(out) + "\n").encode()


SAMPLE_LOGS = sorted(SAMPLES.glob("*.log"))
CAPTURES = sorted([*SAMPLES.glob("crashes/*.raw"), *SAMPLES.glob("crashes/*.txt")])


@pytest.mark.parametrize("path", SAMPLE_LOGS, ids=lambda p: p.name)
def test_samples_give_the_same_crashes(path: Path) -> None:
    data = path.read_bytes()
    if parse_verbose(data.split(b"\n", 1)[0].decode()) is None:  # a plain capture
        writer = "os-agent[412]" if path.name.startswith("os_agent") else "hassio_supervisor[287]"
        data = as_entries(data.decode(errors="replace"), writer)
    elif not data.endswith(b"\n"):
        data += b"\n"
    plain = plain_path(data, ANCHOR)
    for seed in range(3):
        found = assert_same(hot_path(data, ANCHOR, seed), plain)
        assert found or path.name == "noise_only.log"  # (crashes compared, not just none)


def test_crash_captures_as_journal_entries_give_the_same_crashes() -> None:
    found = 0
    for path in CAPTURES:
        data = as_entries(path.read_text(errors="replace"))
        found += assert_same(hot_path(data, ANCHOR, found), plain_path(data, ANCHOR))
    assert found >= len(CAPTURES) // 2


def test_replay_journal_gives_the_same_crashes() -> None:
    spec = importlib.util.spec_from_file_location("replay_bench", ROOT / "bench" / "replay.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    supervisor = SupervisorStandIn(diagnostics=False)
    supervisor.append(None, bench.build_journal(8.0))
    found = 0
    for stream in default_streams():
        entries = supervisor.entries(stream.name)
        data = "".join(e.render(verbose=True, no_colors=False) + "\n" for e in entries).encode()
        found += assert_same(hot_path(data, ANCHOR, 7), plain_path(data, ANCHOR))
    assert found >= 2  # the journal's planted crash samples


_MINUTES = ["2026-11-20 07:58", "2026-11-20 07:59", "0000-01-01 00:00", "٢٠٢٦-11-20 07:58"]
_SECONDS = ["12.254", "12.2", "59.123456", "01.1234567", "1.5", "12,254", "12.254x"]
_HOSTS = ["homeassistant", "h:x", "a[1]", "", "ho st", "h\tx"]
_WRITERS = ["hassio_supervisor[287]", "hassio_supervisor[2870]", "hassio_supervisor",
            "kernel", "a:b[1]", "x[12345678901]", "sd[1][2]", "id[]", "thread[9", "[3]"]
_SEPARATORS = [": ", ":", ":x", " : ", ": : "]
_MESSAGES = ["", "msg", " lead", "Traceback (most recent call last):", ": more: colons"]


@st.composite
def verbose_lines(draw: st.DrawFn) -> list[bytes]:
    """Lines in (or near) the verbose form, and continuation lines, from a few pieces each.

    Every piece comes from a pool of two drawn per example, so that lines share a writer's
    prefix, or all of it but one piece, as often as in a real stream.
    """
    pools = [draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=2))
             for pieces in (_MINUTES, _SECONDS, _HOSTS, _WRITERS, _SEPARATORS, _MESSAGES)]
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 30))):
        minute, seconds, host, writer, separator, message = (
            draw(st.sampled_from(pool)) for pool in pools)
        if draw(st.integers(0, 9)) == 0:
            lines.append(message.encode())  # a continuation line
        else:
            lines.append(f"{minute}:{seconds} {host} {writer}{separator}{message}".encode())
    return lines


_EDGES = [  # a prefix ending the line (the form's `$`), then the same text going on
    b"2026-11-20 07:58:12.254 h w[1]:", b"2026-11-20 07:58:12.255 h w[1]:x",
    b"2026-11-20 07:58:12.256 h w[1]: ", b"2026-11-20 07:58:13.1234567 h w[1]: m",
    b"2026-11-20 07:58:14.1 h a:b[1]: m", b"2026-11-20 07:58:14.2 h a:b[1]: m",  # (slow form)
    b"2026-11-20 07:58:15.3 h w[12]: m", b"2026-11-20 07:58:15.4 h w[123]: m",
]


@settings(max_examples=300, deadline=None)
@given(verbose_lines(), st.integers(1, 8))
@example(_EDGES, 8)
def test_parse_equals_the_plain_path_on_lines_near_the_form(raws: list[bytes],
                                                            chunk: int) -> None:
    """Lines that share a writer's prefix or nearly do, parsed as one stream, in chunks."""
    plain = plain_path(b"".join(raw + b"\n" for raw in raws), ANCHOR)[0]
    stream = VerboseStream()
    lines: list[LogLine] = []
    consumed = 0
    for at in range(0, len(raws), chunk):
        batch, entries = stream.parse(raws[at:at + chunk], ANCHOR, consumed)
        consumed += entries
        lines += batch
    assert lines == plain
