"""GoPanicDetector against the samples' ground truth, real Go 1.19 output of our own, decoys."""

from __future__ import annotations

import json
import re
import tracemalloc
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crash_reporter.detect import MAX_CRASH_LINES
from crash_reporter.detect.go_panic import GoPanicDetector, split_function
from crash_reporter.models import Crash, LogLine, ThreadInfo
from crash_reporter.sources.log_format import read_log_lines

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
GO = Path(__file__).parent / "fixtures" / "go"
TRUTH = json.loads((SAMPLES / "ground_truth.json").read_text())
OWN = json.loads((GO / "truth.json").read_text())


def run_file(path: Path) -> list[Crash]:
    """Run one detector per process stream over a log file, like incidents.LogCrashes."""
    dets: dict[tuple[str | None, int | None], GoPanicDetector] = defaultdict(GoPanicDetector)
    out: list[Crash] = []
    with path.open("rb") as stream:
        for line in read_log_lines(stream):
            out += dets[(line.identifier, line.pid)].feed(line)
    for det in dets.values():
        out += det.flush()
    return out


def run_text(text: str, **line_fields: object) -> list[Crash]:
    """Feed plain lines to one detector."""
    det = GoPanicDetector()
    out: list[Crash] = []
    for n, part in enumerate(text.split("\n"), 1):
        out += det.feed(LogLine(text=part, position=str(n), **line_fields))  # type: ignore[arg-type]
    return out + det.flush()


def qualified(frame: object) -> str:
    """package.function of a Frame."""
    package = getattr(frame, "package", None)
    function = getattr(frame, "function", "")
    return f"{package}.{function}" if package else str(function)


GO_CASES = [
    pytest.param(name, crash, id=crash["crash_id"])
    for name, info in TRUTH["files"].items()
    for crash in info["crashes"]
    if crash["kind"].startswith("go")
]


def check_goroutines(threads: tuple[ThreadInfo, ...], expected: list[dict[str, object]]) -> None:
    """Compare goroutines with the ground truth (frames innermost last on both sides)."""
    assert [t.id for t in threads] == [str(g["id"]) for g in expected]
    for thread, g in zip(threads, expected, strict=True):
        assert thread.state == g["state"]
        assert thread.crashed is g["crashed"]
        frames = g["frames"]
        assert isinstance(frames, list)
        assert [qualified(f) for f in thread.frames] == [f["function"] for f in frames]
        assert [f.filename for f in thread.frames] == [f["filename"] for f in frames]
        assert [f.lineno for f in thread.frames] == [f["lineno"] for f in frames]
        assert [f.instruction_addr for f in thread.frames] == [f["pc_offset"] for f in frames]
        assert [f.in_app for f in thread.frames] == [f["in_app"] for f in frames]
        created = g["created_by"]
        assert thread.created_by == (created["function"] if created else None)  # type: ignore[index]


@pytest.mark.parametrize(("filename", "truth"), GO_CASES)
def test_samples_ground_truth(filename: str, truth: dict[str, object]) -> None:
    crashes = run_file(SAMPLES / filename)
    first = (truth["lines"] or [truth["first_line"]])[0]  # type: ignore[index]
    found = [c for c in crashes if c.occurrence.endswith(f":{first}")]
    assert len(found) == 1, [c.occurrence for c in crashes]
    crash = found[0]
    detail = truth["detail"]
    assert isinstance(detail, dict)
    check_goroutines(crash.threads, detail["goroutines"])
    assert crash.platform == "go"
    assert crash.component == "os-agent"
    exc = crash.exceptions[0]
    assert exc.frames == crash.threads[0].frames
    if detail["kind"] == "fatal_error":
        assert (exc.type, exc.value) == ("fatal error", detail["fatal_error"])
    else:
        value = detail["panic_value"]
        assert f"{exc.type}: {exc.value}" == value or exc.value == value
    signal = detail.get("signal")
    assert crash.signal == (signal["signal"] if signal else None)
    if TRUTH["files"][filename]["format"] == "verbose":
        assert crash.occurred_at > 1.7e9


@pytest.mark.parametrize("crash_id", [f"dev-go-0{i}" for i in range(1, 8)])
def test_raw_program_output(crash_id: str) -> None:
    """The bare program output (plain text, stdin of `scan`) parses to the same truth."""
    truth = json.loads((SAMPLES / "crashes" / f"{crash_id}.json").read_text())
    crashes = run_text((SAMPLES / "crashes" / f"{crash_id}.raw").read_text())
    assert len(crashes) == 1
    check_goroutines(crashes[0].threads, truth["goroutines"])


OWN_CASES = [pytest.param(name, facts, id=name) for name, facts in OWN["fixtures"].items()]


@pytest.mark.parametrize(("name", "facts"), OWN_CASES)
def test_own_go_programs(name: str, facts: dict[str, object]) -> None:
    """Real Go 1.19 crashes (tests/fixtures/go/generate.sh) against hand-written facts."""
    crashes = run_text((GO / f"{name}.txt").read_text())
    assert len(crashes) == 1
    crash = crashes[0]
    prefix = OWN["prefix"]
    exc = crash.exceptions[0]
    assert exc.type == facts["type"]
    assert exc.value == facts["value"]
    assert crash.signal == facts["signal"]
    assert len(crash.threads) == facts["goroutines"]
    crashing = crash.threads[0]
    assert crashing.crashed is facts["crashed_is_first"]
    assert sum(t.crashed for t in crash.threads) == (1 if facts["crashed_is_first"] else 0)
    in_app = [qualified(f) for f in crashing.frames if f.in_app]
    if "in_app" in facts:
        expected = [str(f).replace("P.", prefix, 1) for f in facts["in_app"]]  # type: ignore[attr-defined]
        assert in_app == expected
    else:
        assert len(in_app) == facts["in_app_count"]
        assert in_app[-1] == str(facts["in_app_innermost"]).replace("P.", prefix, 1)
    innermost_app = [f for f in crashing.frames if f.in_app][-1]
    assert f"{innermost_app.filename}:{innermost_app.lineno}" == facts["innermost"]
    if "created_by" in facts:
        assert crashing.created_by == str(facts["created_by"]).replace("P.", prefix, 1)
    # runtime / stdlib frames are never in-app; the signature holds only in-app functions
    for thread in crash.threads:
        for frame in thread.frames:
            if frame.package and not frame.package.startswith(("github.com/home-assistant",
                                                               "main")):
                assert not frame.in_app
    assert crash.signature[:2] == ("go", facts["type"])
    assert all("0x" not in part for part in crash.signature)
    if facts.get("recovered_first"):
        assert any("recovered" in note for note in exc.notes)


def test_trimpath_and_full_path_builds_group_together() -> None:
    for name in ("nilptr", "goroutine", "many_goroutines"):
        trim = run_text((GO / f"{name}.txt").read_text())[0]
        full = run_text((GO / f"{name}_fullpath.txt").read_text())[0]
        assert trim.signature == full.signature
        assert all(f.filename and f.filename.startswith("/") for f in full.threads[0].frames)


def _mutate(text: str, seed: int) -> str:
    """The same crash in another run: other goroutine ids, addresses, offsets, pointers."""
    text = re.sub(r"goroutine \d+", f"goroutine {seed + 17}", text)
    text = re.sub(r"0x[0-9a-f]+", lambda m: hex(int(m.group(0), 16) + seed * 4096), text)
    return text


@pytest.mark.parametrize("name", ["nilmap", "nilptr", "index", "goroutine", "concurrent_map",
                                  "custom_error", "many_goroutines"])
def test_signature_ignores_ids_addresses_pids(name: str) -> None:
    text = (GO / f"{name}.txt").read_text()
    a = run_text(text, identifier="os-agent", pid=100)[0]
    b = run_text(_mutate(text, 3), identifier="os-agent", pid=4242)[0]
    assert a.signature == b.signature
    assert a.occurrence != b.occurrence


def test_signatures_differ_between_crashes() -> None:
    names = [n for n in OWN["fixtures"] if not n.endswith("_fullpath")]
    signatures = {run_text((GO / f"{n}.txt").read_text())[0].signature for n in names}
    # repanic and nilmap share the panic value but not the functions
    assert len(signatures) == len(names)


def test_index_out_of_range_values_do_not_split_groups() -> None:
    text = (GO / "index.txt").read_text()
    other = text.replace("[3] with length 3", "[7] with length 2")
    assert run_text(text)[0].signature == run_text(other)[0].signature


def test_noise_and_other_logs_give_nothing() -> None:
    for name in ("noise_only.log", "systemd_units.log", "supervisor_plain.log",
                 "supervisor_verbose.log", "supervisor_crashloop.log"):
        assert run_file(SAMPLES / name) == [], name


def test_decoy_panic_line_then_real_crash() -> None:
    text = ("panic: runtime error seen in a log message\nINFO: all fine\n"
            + (GO / "nilmap.txt").read_text())
    crashes = run_text(text)
    assert len(crashes) == 1
    assert crashes[0].exceptions[0].value == "assignment to entry in nil map"
    assert crashes[0].occurrence.endswith(":3")
    assert [b.text for b in crashes[0].breadcrumbs][-2:] == [
        "panic: runtime error seen in a log message", "INFO: all fine"]


def test_elided_frames_and_minutes_go121_format() -> None:
    """Go >= 1.21 prints `...N frames elided...` and `in goroutine N` (hand-written)."""
    text = "\n".join([
        "panic: boom",
        "",
        "goroutine 7 [running, 3 minutes]:",
        "github.com/home-assistant/os-agent/system.deep(0x1)",
        "\t/src/system/deep.go:10 +0x1d",
        "...120 frames elided...",
        "github.com/home-assistant/os-agent/system.start()",
        "\t/src/system/deep.go:3 +0x12",
        "created by github.com/home-assistant/os-agent/system.Run in goroutine 1",
        "\t/src/system/run.go:9 +0x3a",
        "exit status 2",
    ])
    (crash,) = run_text(text)
    (thread,) = crash.threads
    assert thread.state == "running"
    assert [f.function for f in thread.frames] == ["start", "deep"]
    assert thread.created_by == "github.com/home-assistant/os-agent/system.Run"
    assert ("go.frames_elided", "true") in crash.extra


def test_ends_at_next_non_go_line_and_continues() -> None:
    text = (GO / "nilptr.txt").read_text() + "haos-agent.service: Main process exited\n" + (
        GO / "index.txt").read_text()
    crashes = run_text(text)
    assert [c.exceptions[0].value for c in crashes] == [
        "invalid memory address or nil pointer dereference",
        "index out of range [3] with length 3"]


def test_expire_closes_a_record() -> None:
    det = GoPanicDetector()
    for n, part in enumerate((GO / "nilmap.txt").read_text().splitlines(), 1):
        assert det.feed(LogLine(text=part, timestamp=1000.0, position=str(n))) == []
    assert det.expire(1001.0) == []
    (crash,) = det.expire(1002.0)  # a goroutine dump is written at once: a short quiet ends it
    assert crash.occurred_at == 1000.0
    assert det.flush() == []


def test_a_lone_panic_line_waits_the_full_record_time_out() -> None:
    """Without a goroutine yet (maybe a decoy, maybe the dump is coming) it waits longer."""
    det = GoPanicDetector()
    assert det.feed(LogLine(text="panic: boom", timestamp=1000.0, position="1")) == []
    assert det.expire(1002.0) == []
    assert det.holding()
    det.expire(1010.0)
    assert not det.holding()


def test_split_function() -> None:
    assert split_function("github.com/a/b.(*T).M") == ("github.com/a/b", "(*T).M")
    assert split_function("os/signal.Notify.func1.1") == ("os/signal", "Notify.func1.1")
    assert split_function("gopkg.in/yaml%2ev3.(*d).u") == ("gopkg.in/yaml.v3", "(*d).u")
    assert split_function("main.main") == ("main", "main")
    assert split_function("panic") == (None, "panic")


def test_bounded_on_endless_goroutine_dump() -> None:
    det = GoPanicDetector()
    tracemalloc.start()
    out = det.feed(LogLine(text="fatal error: out of memory"))
    out += det.feed(LogLine(text="goroutine 1 [running]:"))
    for i in range(3 * MAX_CRASH_LINES):
        out += det.feed(LogLine(text=f"main.f{i}()" if i % 2 == 0 else "\t/x.go:1 +0x1"))
    out += det.flush()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(out) == 1
    assert len(out[0].threads[0].frames) <= MAX_CRASH_LINES
    assert peak < 20_000_000


FRAGMENTS = st.sampled_from([
    "panic: x", "fatal error: y", "\tpanic: z", "goroutine 1 [running]:", "goroutine x [", "",
    "main.main()", "\t/a.go:1 +0x1", "\t:", "created by main.f", "created by ",
    "...1 frames elided...",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1]", "runtime stack:",
    "panic: a [recovered]", "(((", ")", "SIGSEGV: segmentation violation", "runtime: sp=0x1",
    "\x00\ufffd", "f(" * 50 + ")" * 50,
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=60),
       st.lists(st.floats(allow_nan=True) | st.none(), max_size=3))
def test_fuzz_never_raises(lines: list[str], times: list[float | None]) -> None:
    det = GoPanicDetector()
    for i, text in enumerate(lines):
        ts = times[i % len(times)] if times else None
        det.feed(LogLine(text=text, timestamp=ts))
        if i % 7 == 0:
            det.expire(1e9)
    det.flush()


def test_stack_overflow_runtime_stack_and_go123_headers() -> None:
    """Hand-written from Go's printing code: runtime: lines, `runtime stack:`, gp=/m= headers."""
    text = "\n".join([
        "runtime: goroutine stack exceeds 1000000000-byte limit",
        "runtime: sp=0xc020160398 stack=[0xc020160000, 0xc040160000]",
        "fatal error: stack overflow",
        "",
        "runtime stack:",
        "runtime.throw({0x4a1b2c?, 0x0?})",
        "\t/usr/lib/go-1.19/src/runtime/panic.go:1047 +0x5d fp=0x7ffd sp=0x7ffc pc=0x434bfd",
        "",
        "goroutine 1 gp=0xc000002380 m=0 mp=0x5a1b20 [running]:",
        "github.com/home-assistant/os-agent/dbus.walk(0xc000010000)",
        "\t/src/dbus/walk.go:12 +0x4f fp=0xc020160fa8 sp=0xc020160fa0 pc=0x4a1b2c",
        "...additional frames elided...",
        "",
        "goroutine 5 gp=0xc000003500 m=nil [select, 12 minutes, locked to thread]:",
        "main.loop()",
        "\t/src/main.go:40 +0x20",
    ])
    (crash,) = run_text(text)
    assert (crash.exceptions[0].type, crash.exceptions[0].value) == ("fatal error",
                                                                     "stack overflow")
    assert [(t.id, t.state, t.crashed) for t in crash.threads] == [
        ("1", "running", True), ("5", "select", False)]
    assert crash.signature == ("go", "fatal error", "stack overflow",
                               "github.com/home-assistant/os-agent/dbus.walk")
