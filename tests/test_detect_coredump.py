"""CoredumpDetector: samples' ground truth, HA OS's stackless form, spoofing, privacy."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crash_reporter.detect.coredump import CoredumpDetector, component_of
from crash_reporter.models import Crash, LogLine
from crash_reporter.sources.log_format import read_log_lines
from tests.helpers import TRUTH, run_per_process, run_sample


def run_lines(lines: Iterable[LogLine]) -> list[Crash]:
    return run_per_process(CoredumpDetector, lines)


def run_file(name: str) -> list[Crash]:
    return run_sample(CoredumpDetector, name)


CASES = [
    pytest.param(crash, id=crash["crash_id"])
    for crash in TRUTH["files"]["coredump.log"]["crashes"]
    if crash["kind"] == "coredump"
]


@pytest.mark.parametrize("truth", CASES)
def test_coredump_ground_truth(truth: dict[str, object]) -> None:
    crashes = run_file("coredump.log")
    found = [c for c in crashes if c.occurrence.endswith(f":{truth['first_line']}")]
    assert len(found) == 1, [c.occurrence for c in crashes]
    crash = found[0]
    detail = truth["detail"]
    assert isinstance(detail, dict)
    process = detail["process"]
    assert crash.platform == "native"
    assert crash.signal == process["signal_name"]
    assert dict(crash.extra)["coredump.comm"] == process["comm"]
    assert crash.component == ("os-agent" if process["comm"] == "os-agent" else "host")
    assert [t.id for t in crash.threads] == [str(t["tid"]) for t in detail["threads"]]
    for thread, expected in zip(crash.threads, detail["threads"], strict=True):
        assert thread.crashed is expected["crashed"]
        frames = expected["frames"]
        assert [f.function for f in thread.frames] == [f["function"] for f in frames]
        assert [f.instruction_addr for f in thread.frames] == [f["pc"] for f in frames]
        modules = [f.package.rsplit("/", 1)[-1] if f.package else None for f in thread.frames]
        assert modules == [f["module"].rsplit("/", 1)[-1] for f in frames]
    assert str(process["pid"]) in (crash.message or "")


def test_only_coredump_log_has_coredumps() -> None:
    for name in ("noise_only.log", "systemd_units.log", "os_agent.log", "os_agent_plain.log",
                 "mixed_interleaved.log", "supervisor_verbose.log"):
        assert run_file(name) == [], name


def test_ha_os_stackless_message_and_signal_from_text() -> None:
    det = CoredumpDetector()
    ident = {"identifier": "systemd-coredump", "pid": 77, "timestamp": 10.0}
    assert det.feed(LogLine(text="Process 5 (os-agent) of user 0 terminated abnormally with "
                                 "signal 11/SEGV, processing...", **ident)) == []  # type: ignore[arg-type]
    assert det.feed(LogLine(text="Process 5 (os-agent) of user 0 dumped core.",
                            position="2", **ident)) == []  # type: ignore[arg-type]
    (crash,) = det.flush()
    assert crash.threads == ()
    assert crash.signal == "SIGSEGV"
    assert crash.component == "os-agent"
    assert crash.title == "os-agent crashed: SIGSEGV (core dumped)"


def test_signature_independent_of_pids_and_addresses() -> None:
    def one(pid: int, base: int) -> Crash:
        det = CoredumpDetector()
        lines = [f"Process {pid} (udisksd) of user 0 dumped core.", "",
                 f"Stack trace of thread {pid}:",
                 f"#0  0x{base + 0x10:016x} __strlen_evex (libc.so.6 + 0x167ad8)",
                 f"#1  0x{base + 0x99:016x} n/a (udisksd + 0x125b)"]
        out: list[Crash] = []
        for n, text in enumerate(lines):
            out += det.feed(LogLine(text=text, identifier="systemd-coredump", pid=pid + 1,
                                    position=str(n)))
        return (out + det.flush())[0]

    a, b = one(100, 0x7F0000000000), one(2222, 0x7F1234000000)
    assert a.signature == b.signature
    assert a.occurrence != b.occurrence
    assert "n/a" not in a.signature


def test_text_spoofing_from_another_identifier_is_ignored() -> None:
    det = CoredumpDetector()
    assert det.feed(LogLine(text="Process 1 (os-agent) of user 0 dumped core.",
                            identifier="hassio_supervisor", pid=3)) == []
    assert det.flush() == []


def _export_entry(fields: dict[str, bytes]) -> bytes:
    out = b""
    for key, value in fields.items():
        if b"\n" in value:
            out += key.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
        else:
            out += key.encode() + b"=" + value + b"\n"
    return out + b"\n"


def _coredump_fields(comm: bytes, exe: bytes) -> dict[str, bytes]:
    return {
        "__CURSOR": b"s=abc;i=1",
        "__REALTIME_TIMESTAMP": b"1795401656084000",
        "_HOSTNAME": b"homeassistant-kitchen",
        "_PID": b"2466",
        "_COMM": comm,
        "_EXE": exe,
        "SYSLOG_IDENTIFIER": b"systemd-coredump",
        "MESSAGE_ID": b"fc2e22bc6ee647b6b90729ab34a250b1",
        "MESSAGE": b"Process 22220 (udisksd) of user 0 dumped core.\n\nStack trace of thread "
                   b"22220:\n#0  0x00007f4cd185fad8 __strlen_evex (libc.so.6 + 0x167ad8)\n"
                   b"ELF object binary architecture: AMD x86-64",
        "COREDUMP_PID": b"22220",
        "COREDUMP_COMM": b"udisksd",
        "COREDUMP_EXE": b"/usr/libexec/udisks2/udisksd",
        "COREDUMP_UNIT": b"udisks2.service",
        "COREDUMP_SIGNAL": b"11",
        "COREDUMP_SIGNAL_NAME": b"SIGSEGV",
        "COREDUMP_ENVIRON": b"SUPERVISOR_TOKEN=9f3c2b7a1e5d\nHOME=/home/alice",
        "COREDUMP_CMDLINE": b"udisksd --secret-arg",
        "COREDUMP_HOSTNAME": b"homeassistant-kitchen",
        "COREDUMP_OPEN_FDS": b"0:/dev/null",
    }


def test_export_input_trusted_entry_uses_fields_and_drops_secrets() -> None:
    data = _export_entry(_coredump_fields(b"systemd-coredum", b"/usr/lib/systemd/systemd-coredump"))
    lines = list(read_log_lines(io.BytesIO(data)))
    (crash,) = run_lines(lines)
    assert crash.unit == "udisks2.service"
    assert crash.signal == "SIGSEGV"
    assert dict(crash.extra)["coredump.exe"] == "/usr/libexec/udisks2/udisksd"
    assert [f.function for f in crash.threads[0].frames] == ["__strlen_evex"]
    dump = repr(crash) + repr(lines)
    for secret in ("SUPERVISOR_TOKEN", "/home/alice", "--secret-arg", "0:/dev/null",
                   "COREDUMP_ENVIRON", "COREDUMP_HOSTNAME"):
        assert secret not in dump


def test_export_input_spoofed_entry_is_ignored() -> None:
    data = _export_entry(_coredump_fields(b"bash", b"/bin/bash"))
    assert run_lines(read_log_lines(io.BytesIO(data))) == []


@pytest.mark.parametrize(("comm", "exe", "unit", "component"), [
    ("os-agent", None, None, "os-agent"),
    ("x", "/usr/bin/os-agent", None, "os-agent"),
    ("python3", None, None, "host"),
    ("python3", None, "hassos-supervisor.service", "supervisor"),
    ("udisksd", "/usr/libexec/udisks2/udisksd", "udisks2.service", "host"),
])
def test_component_of(comm: str, exe: str | None, unit: str | None, component: str) -> None:
    assert component_of(comm, exe, unit) == component


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(["Process 1 (a) of user 0 dumped core.", "Stack trace of thread 9:",
                     "#0  0x1 f (m + 0x1)", "#x", "", "ELF object", " Module x",
                     "Process 1 (a) of user 0 terminated abnormally with signal 99/X, "
                     "processing..."]),
    st.text(max_size=30)), max_size=40))
def test_fuzz_never_raises(lines: list[str]) -> None:
    det = CoredumpDetector()
    for text in lines:
        det.feed(LogLine(text=text, identifier="systemd-coredump", timestamp=1.0))
    det.expire(100.0)
    det.flush()


def test_only_a_message_that_starts_with_process_is_a_core_dump() -> None:
    """systemd-coredump's message starts with "Process"; the detector is busy until it ends."""
    det = CoredumpDetector()
    quoted = LogLine(text="saw: Process 1 (a) of user 0 dumped core.", identifier=None,
                     timestamp=1.0)
    assert det.feed(quoted) == [] and not det.busy()
    assert det.flush() == []
    det.feed(LogLine(text="Process 1 (a) of user 0 dumped core.", identifier=None,
                     timestamp=1.0))
    assert det.busy()
    (crash,) = det.expire(10.0)
    assert crash.title == "a crashed: dumped core"
