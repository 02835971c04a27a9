"""log_format: verbose/plain text, journal export and json, format detection, limits."""

from __future__ import annotations

import calendar
import dataclasses
import io
import json
import struct
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crash_reporter.models import LogLine
from crash_reporter.sources.log_format import (
    MAX_LINE_BYTES,
    NEVER_KEPT,
    TRUNCATION_MARKER,
    JournalLine,
    decode_lines,
    detect_format,
    journal_field,
    make_line,
    parse_verbose,
    read_log_lines,
)

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
TRUTH = json.loads((SAMPLES / "ground_truth.json").read_text())
FILES = [pytest.param(name, info, id=name) for name, info in TRUTH["files"].items()]


def read(data: bytes) -> list[LogLine]:
    return list(read_log_lines(io.BytesIO(data)))


def epoch(text: str) -> float:
    date, time = text.split(" ")
    y, mo, d = map(int, date.split("-"))
    h, mi, s = time.split(":")
    return calendar.timegm((y, mo, d, int(h), int(mi), 0, 0, 0, 0)) + float(s)


@pytest.mark.parametrize(("name", "info"), FILES)
def test_samples_format_lines_and_positions(name: str, info: dict[str, object]) -> None:
    data = (SAMPLES / name).read_bytes()
    assert detect_format(data[:65536]) == info["format"]
    lines = read(data)
    assert len(lines) == info["line_count"]
    assert [line.position for line in lines] == [str(i) for i in range(1, len(lines) + 1)]
    raw = data.split(b"\n")
    for line, original in zip(lines, raw, strict=False):
        assert original.decode("utf-8", "replace").endswith(line.text)
    if info["format"] == "verbose":
        assert all(line.hostname == info["hostname"] for line in lines)
    else:
        assert all(line.identifier is None and line.timestamp is None for line in lines)


@pytest.mark.parametrize(("name", "crash"), [
    pytest.param(name, crash, id=crash["crash_id"])
    for name, info in TRUTH["files"].items() if info["format"] == "verbose"
    for crash in info["crashes"]
])
def test_crash_lines_carry_identifier_pid_and_time(name: str, crash: dict[str, Any]) -> None:
    lines = read((SAMPLES / name).read_bytes())
    numbers: list[int] = crash["lines"] or list(range(crash["first_line"],
                                                      crash["last_line"] + 1))
    for number in numbers:
        line = lines[number - 1]
        assert line.identifier == crash["identifier"]
        assert line.pid == crash["pid"]
    first = lines[numbers[0] - 1]
    assert first.timestamp == pytest.approx(epoch(str(crash["journal_timestamp"])), abs=1e-6)


def test_parse_verbose_forms() -> None:
    line = parse_verbose("2026-11-23 02:37:57.757 homeassistant-kitchen os-agent[1873]: panic: x",
                         "7")
    assert line == LogLine(text="panic: x", identifier="os-agent", pid=1873,
                           timestamp=epoch("2026-11-23 02:37:57.757"),
                           hostname="homeassistant-kitchen", position="7")
    kernel = parse_verbose("2026-11-21 01:01:13.442 host kernel: Kernel command line: a=b")
    assert kernel is not None
    assert (kernel.identifier, kernel.pid) == ("kernel", None)
    assert kernel.text == "Kernel command line: a=b"
    empty = parse_verbose("2026-11-21 01:01:13.442 host os-agent[1]:")
    assert empty is not None and empty.text == ""
    colon = parse_verbose("2026-11-21 01:01:13.442 host foo:bar[12]: hi")
    assert colon is not None and (colon.identifier, colon.pid, colon.text) == ("foo:bar", 12, "hi")
    assert parse_verbose("\tgithub.com/x/y.go:47") is None
    assert parse_verbose("Stack trace of thread 1:") is None
    assert parse_verbose("2026-11-20 07:58:12.254 INFO (MainThread) [supervisor.api] Up") is None


def test_continuation_lines_inherit_their_entry() -> None:
    lines = read((SAMPLES / "coredump.log").read_bytes())
    head = lines[150]
    assert head.text.endswith("dumped core.")
    for cont in lines[151:175]:
        assert (cont.identifier, cont.pid, cont.timestamp) == (head.identifier, head.pid,
                                                               head.timestamp)


def test_make_line_equals_the_dataclass() -> None:
    args = ("t", "id", 3, 1.5, "h", "9")
    assert make_line is not LogLine  # (the fast constructor is in use)
    assert make_line(*args) == LogLine(*args)
    assert type(make_line(*args)) is LogLine
    assert hash(make_line(*args)) == hash(LogLine(*args))
    line = make_line(*args)
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.text = "changed"  # type: ignore[misc]
    assert dataclasses.replace(line, text="u") == LogLine("u", *args[1:])


@pytest.mark.parametrize("raws", [
    [], [b""], [b"plain", b"caf\xc3\xa9 \xe2\x9c\x93", b""],  # valid UTF-8: one decode
    [b"caf\xe9", b"\xff\xfe ok", b"cut \xe2\x9c", b"\x9c next"],  # invalid, split sequences
    [b"crlf\r", b"two\r\r", b"mid\rdle", b"\r"],
])
def test_decode_lines_equals_decoding_each_line(raws: list[bytes]) -> None:
    assert decode_lines(raws) == [raw.decode("utf-8", "replace").rstrip("\r") for raw in raws]


def test_invalid_utf8_and_crlf() -> None:
    lines = read(b"caf\xe9 \xff\xfe ok\r\nnext\n")
    assert [line.text for line in lines] == ["caf\ufffd \ufffd\ufffd ok", "next"]


def test_ten_megabyte_line_is_cut_with_bounded_memory() -> None:
    def chunks() -> Iterator[bytes]:
        yield b"before\n"
        for _ in range(10):
            yield b"x" * 1_000_000
        yield b"\nafter\n"

    tracemalloc.start()
    lines = list(read_log_lines(chunks()))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [len(line.text) for line in lines] == [6, MAX_LINE_BYTES + len(TRUNCATION_MARKER), 5]
    assert lines[1].text.endswith(TRUNCATION_MARKER)
    assert [line.position for line in lines] == ["1", "2", "3"]
    assert peak < 8_000_000


def test_ten_megabyte_single_line_from_a_file() -> None:
    lines = read(b"2026-11-21 01:01:13.442 h os-agent[1]: " + b"y" * 10_000_000)
    assert len(lines) == 1
    assert lines[0].identifier == "os-agent"
    assert lines[0].text.endswith(TRUNCATION_MARKER)


def test_tiny_chunks_give_the_same_lines() -> None:
    data = (SAMPLES / "coredump.log").read_bytes()[:6000]
    whole = read(data)
    pieces = list(read_log_lines(data[i:i + 7] for i in range(0, len(data), 7)))
    assert pieces == whole


def _field(key: str, value: bytes, binary: bool = False) -> bytes:
    if binary or b"\n" in value:
        return key.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return key.encode() + b"=" + value + b"\n"


def _entry(cursor: str, message: bytes, **extra: bytes) -> bytes:
    out = _field("__CURSOR", cursor.encode()) + _field("__REALTIME_TIMESTAMP", b"1795401614379000")
    out += _field("_HOSTNAME", b"homeassistant-kitchen") + _field("_PID", b"22337")
    out += _field("SYSLOG_IDENTIFIER", b"os-agent") + _field("MESSAGE", message)
    for key, value in extra.items():
        out += _field(key, value)
    return out + b"\n"


def test_export_format() -> None:
    data = (_entry("s=1;i=1", b"panic: boom", _COMM=b"os-agent")
            + _entry("s=1;i=2", b"line one\nline \xff two\n", COREDUMP_ENVIRON=b"A=1\nB=2",
                     COREDUMP_SIGNAL_NAME=b"SIGSEGV", SOMETHING_ELSE=b"dropped")
            + _entry("s=1;i=3", b"binary=" + bytes([0]) + bytes(range(11, 256))))
    assert detect_format(data) == "export"
    lines = read(data)
    assert [line.text for line in lines[:3]] == ["panic: boom", "line one", "line \ufffd two"]
    assert [line.position for line in lines] == ["s=1;i=1", "s=1;i=2", "s=1;i=2+1", "s=1;i=3"]
    first = lines[0]
    assert isinstance(first, JournalLine)
    assert (first.identifier, first.pid, first.hostname) == ("os-agent", 22337,
                                                             "homeassistant-kitchen")
    assert first.timestamp == pytest.approx(1795401614.379)
    assert journal_field(first, "_COMM") == "os-agent"
    assert journal_field(lines[1], "COREDUMP_SIGNAL_NAME") == "SIGSEGV"
    assert journal_field(lines[1], "COREDUMP_ENVIRON") is None
    assert journal_field(lines[1], "SOMETHING_ELSE") is None
    assert "\x00" in lines[3].text
    for line in lines:
        assert not {k for k, _v in line.fields} & NEVER_KEPT  # type: ignore[attr-defined]


def test_export_huge_binary_field_and_cut_stream() -> None:
    huge = _field("COREDUMP_PROC_MAPS", b"m" * 5_000_000, binary=True)
    data = _entry("c1", b"hello") .replace(b"\n\n", b"\n" + huge + b"\n") + _entry("c2", b"x")
    lines = read(data)
    assert [line.text for line in lines] == ["hello", "x"]
    cut = _entry("c1", b"hello")[:-1] + b"MESSAGE\n" + struct.pack("<Q", 10**12) + b"abc"
    (line,) = read(cut)  # the stream ends inside a field: what arrived is kept, cut
    assert line.text.startswith("abc")


def test_json_format() -> None:
    entries = [
        {"__CURSOR": "c1", "__REALTIME_TIMESTAMP": "1795401614379000", "_PID": "7",
         "SYSLOG_IDENTIFIER": "os-agent", "MESSAGE": "panic: boom", "_HOSTNAME": "h"},
        {"__CURSOR": "c2", "MESSAGE": list(b"bytes \xff\nsecond"), "SYSLOG_IDENTIFIER": "k",
         "COREDUMP_CMDLINE": "secret", "COREDUMP_COMM": "udisksd"},
        {"__CURSOR": "c3", "MESSAGE": None},
        {"__CURSOR": "c4", "MESSAGE": ["first value", "second value"]},
    ]
    data = b"\n".join(json.dumps(e).encode() for e in entries) + b"\nnot json\n[1]\n"
    assert detect_format(data) == "json"
    lines = read(data)
    assert [(line.text, line.position) for line in lines] == [
        ("panic: boom", "c1"), ("bytes \ufffd", "c2"), ("second", "c2+1"),
        ("first value", "c4")]
    assert lines[0].pid == 7 and lines[0].timestamp == pytest.approx(1795401614.379)
    assert journal_field(lines[1], "COREDUMP_COMM") == "udisksd"
    assert journal_field(lines[1], "COREDUMP_CMDLINE") is None


@pytest.mark.parametrize(("head", "fmt"), [
    (b"", "plain"), (b"hello\nworld\n", "plain"), (b"KEY=1\nOTHER=2\n", "plain"),
    (b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1\n", "export"), (b'{"MESSAGE": "x"}\n', "json"),
    (b'{"not": "journal"}\n', "plain"),
    (b"2026-11-21 01:01:13.442 h kernel: x\n", "verbose"),
    (b"\tcontinuation first\n2026-11-21 01:01:13.442 h kernel: x\n", "verbose"),
])
def test_detect_format(head: bytes, fmt: str) -> None:
    assert detect_format(head) == fmt


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["verbose", "plain", "export", "json", None]))
def test_fuzz_any_bytes_never_raise(data: bytes, fmt: str | None) -> None:
    for line in read_log_lines(io.BytesIO(data), fmt):  # type: ignore[arg-type]
        assert isinstance(line.text, str)
        assert len(line.text) <= MAX_LINE_BYTES + len(TRUNCATION_MARKER)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["MESSAGE", "_PID", "__CURSOR", "X", "COREDUMP_ENVIRON"]),
                          st.binary(max_size=50), st.booleans()), max_size=12))
def test_fuzz_export_entries(fields: list[tuple[str, bytes, bool]]) -> None:
    data = b"".join(_field(k, v, b) for k, v, b in fields) + b"\n"
    for line in read_log_lines(io.BytesIO(data), "export"):
        assert journal_field(line, "COREDUMP_ENVIRON") is None
