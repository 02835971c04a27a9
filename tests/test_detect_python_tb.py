"""PythonTracebackDetector against the samples' ground truth, real crashes of our own, decoys.

Our own crashes (tests/fixtures/python) are real output of CPython 3.10-3.13; their truth was
recorded by each crashing program from its exception objects (truthlib.py), not typed here.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sentry_relay.processing import StoreNormalizer

from crash_reporter.detect import BREADCRUMB_LINES, MAX_CRASH_LINES
from crash_reporter.detect.python_tb import (
    HEAD_FRAMES,
    MAX_LINE_CHARS,
    MAX_VALUE_CHARS,
    TAIL_FRAMES,
    PythonTracebackDetector,
    module_of,
)
from crash_reporter.models import Crash, CrashKind, HostFacts, LogLine
from crash_reporter.report import build_event
from crash_reporter.sources.log_format import read_log_lines
from tests.helpers import SAMPLES, TRUTH, run_per_process, run_sample

OWN_DIR = Path(__file__).parent / "fixtures" / "python"
OWN: dict[str, Any] = json.loads((OWN_DIR / "truth.json").read_text())
PY_KIND = "python_traceback"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def new() -> PythonTracebackDetector:
    return PythonTracebackDetector(default_component="supervisor")


def run_bytes(data: bytes) -> list[Crash]:
    """Read a log like `scan` does and run one detector per process over it."""
    return run_per_process(new, read_log_lines(io.BytesIO(data)))


def run_text(text: str, **fields: Any) -> list[Crash]:
    """Feed plain lines to one detector."""
    det = new()
    out: list[Crash] = []
    for n, part in enumerate(text.split("\n"), 1):
        out += det.feed(LogLine(text=part, position=str(n), **fields))
    return out + det.flush()


def verbose(text: str, identifier: str = "hassio_supervisor", pid: int = 287,
            start: float = 1_795_000_000.0) -> bytes:
    """The same lines as the logs API's verbose form prints them."""
    out = []
    for n, line in enumerate(text.split("\n")):
        when = datetime.fromtimestamp(start + n * 0.001, tz=UTC)
        stamp = when.strftime("%Y-%m-%d %H:%M:%S.") + f"{when.microsecond // 1000:03d}"
        out.append(f"{stamp} homeassistant-kitchen {identifier}[{pid}]: {line}")
    return "\n".join(out).encode()


# -- comparing with the truth's nested form -----------------------------------------------

def truth_exceptions(chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A truth chain in the shape `nested` gives (defaults filled in)."""
    return [{
        "type": e["type"],
        "value": e["value"],
        "relation": e["relation_to_previous"],
        "has_traceback": e["has_traceback_header"],
        "notes": list(e["notes"]),
        "is_group": bool(e.get("is_group")),
        "frames": [(f["filename"], f["lineno"], f["function"], f["context_line"],
                    f.get("repeated_more", 0)) for f in e["frames"]],
        "children": [truth_exceptions(c) for c in e.get("children", [])],
    } for e in chain]


def nested(crash: Crash) -> list[dict[str, Any]]:
    """Crash.exceptions (flat, oldest first, groups before members) as chains of chains."""
    top: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for exc in crash.exceptions:
        node = {
            "type": exc.type,
            "value": exc.value,
            "relation": exc.relation,
            "has_traceback": exc.has_traceback,
            "notes": list(exc.notes),
            "is_group": exc.is_group,
            "frames": [(f.abs_path, f.lineno, f.function, f.context_line, f.repeated)
                       for f in exc.frames],
            "children": [],
        }
        if exc.parent is None:
            top.append(node)
        else:
            assert exc.parent < len(nodes) and nodes[exc.parent]["is_group"]
            kids = nodes[exc.parent]["children"]
            if exc.relation is None or not kids:
                kids.append([node])
            else:
                kids[-1].append(node)
        nodes.append(node)
    return top


def normalized_errors(event: dict[str, Any]) -> list[Any]:
    """What Relay's StoreNormalizer complains about (empty = Sentry accepts it as is)."""
    result = StoreNormalizer().normalize_event(event)
    return list(result.get("errors") or [])


# -- the shared samples ---------------------------------------------------------------------

SAMPLE_CASES = [
    pytest.param(name, crash, id=crash["crash_id"])
    for name, info in TRUTH["files"].items()
    for crash in info["crashes"]
    if crash["kind"] == PY_KIND
]


@pytest.mark.parametrize(("filename", "truth"), SAMPLE_CASES)
def test_samples_ground_truth(filename: str, truth: dict[str, Any]) -> None:
    crashes = run_sample(new, filename)
    first = truth["first_line"]
    found = [c for c in crashes if c.occurrence.endswith(f":{first}")]
    assert len(found) == 1, [c.occurrence for c in crashes]
    crash = found[0]
    detail = truth["detail"]
    assert nested(crash) == truth_exceptions(detail["exceptions"])
    assert crash.kind is CrashKind.PYTHON
    assert crash.platform == "python"
    assert crash.component == "supervisor"
    record = detail.get("log_record")
    if record:
        assert (crash.level, crash.logger, crash.message) == (
            "error", record["logger"], record["message"])
    else:
        assert (crash.level, crash.logger, crash.message) == ("fatal", None, None)
    last = detail["exceptions"][-1]
    first_value = last["value"].split("\n")[0]
    assert crash.title == (f"{last['type']}: {first_value}" if first_value else last["type"])
    info = TRUTH["files"][filename]
    if info["format"] == "verbose":
        when = datetime.strptime(truth["journal_timestamp"], "%Y-%m-%d %H:%M:%S.%f")
        assert crash.occurred_at == pytest.approx(when.replace(tzinfo=UTC).timestamp())
        assert f":{truth['identifier']}:" in crash.occurrence
    else:
        assert crash.occurred_at == 0.0
    # the related lines before the crash (the program's last words) are its breadcrumbs
    crumbs = {int(b.position) for b in crash.breadcrumbs}
    before = {n for n in truth["related_lines"] if n < first}
    assert before <= crumbs
    assert all(int(b.position) < first for b in crash.breadcrumbs)
    assert len(crash.breadcrumbs) <= BREADCRUMB_LINES


@pytest.mark.parametrize("filename", list(TRUTH["files"]))
def test_sample_files_have_exactly_their_python_crashes(filename: str) -> None:
    """Nothing else: no decoy, Go panic, core dump or unit line is taken for a traceback."""
    expected = sorted(c["first_line"] for c in TRUTH["files"][filename]["crashes"]
                      if c["kind"] == PY_KIND)
    crashes = run_sample(new, filename)
    assert sorted(int(c.occurrence.rsplit(":", 1)[1]) for c in crashes) == expected


@pytest.mark.parametrize("filename", [n for n, i in TRUTH["files"].items()
                                      if i["format"] == "plain"])
def test_plain_samples_in_verbose_form(filename: str) -> None:
    """The same log with the verbose prefix (one identifier) gives the same exceptions."""
    text = (SAMPLES / filename).read_text()
    plain = run_sample(new, filename)
    again = run_bytes(verbose(text))
    assert [nested(c) for c in again] == [nested(c) for c in plain]
    assert [c.signature for c in again] == [c.signature for c in plain]


# -- our own real crashes -------------------------------------------------------------------

OWN_CASES = [pytest.param(path, run, id=Path(path).stem) for path, run in OWN["files"].items()]


def _own_text(path: str) -> str:
    return (OWN_DIR / path).read_text()


def check_against_truth(crashes: list[Crash], run: dict[str, Any]) -> None:
    """Every crash the program recorded, in order, and nothing else."""
    expected = run["crashes"]
    assert len(crashes) == len(expected), [c.title for c in crashes]
    for crash, truth in zip(crashes, expected, strict=True):
        assert nested(crash) == truth_exceptions(truth["exceptions"])
        assert (crash.level, crash.logger, crash.message) == (
            truth["level"], truth["logger"], truth["message"])
        unprinted = sum(e.get("members_not_printed", 0) for e in _walk(truth["exceptions"]))
        assert int(dict(crash.extra).get("python.group_members_not_printed", 0)) == unprinted
        for exc in crash.exceptions:
            for frame in exc.frames:
                path = frame.abs_path or ""
                assert frame.in_app is ("/supervisor/supervisor/" in path), path
                if "/lib/python3." in path:
                    assert frame.module == path.split("/lib/python3.")[1].split("/", 1)[1][
                        :-3].replace("/", ".")
                    assert not frame.in_app


@pytest.mark.parametrize(("path", "run"), OWN_CASES)
def test_own_crashes_plain(path: str, run: dict[str, Any]) -> None:
    check_against_truth(run_bytes((OWN_DIR / path).read_bytes()), run)


@pytest.mark.parametrize(("path", "run"), OWN_CASES)
def test_own_crashes_verbose(path: str, run: dict[str, Any]) -> None:
    crashes = run_bytes(verbose(_own_text(path)))
    check_against_truth(crashes, run)
    assert all(c.occurred_at > 1.7e9 for c in crashes)


def test_own_fixtures_cover_every_python_and_feature() -> None:
    versions = {run["python"].rsplit(".", 1)[0] for run in OWN["files"].values()}
    assert versions == {"3.10", "3.11", "3.12", "3.13"}
    excs = [e for run in OWN["files"].values() for c in run["crashes"]
            for e in _walk(c["exceptions"])]
    assert {e["relation_to_previous"] for e in excs} >= {"cause", "context", None}
    assert any(e.get("is_group") and any(c.get("is_group") for ch in e["children"]
                                         for c in ch) for e in excs)  # nested groups
    assert any(e["notes"] for e in excs)
    assert any("\n" in e["value"] for e in excs)
    assert any(f.get("repeated_more") for e in excs for f in e["frames"])
    assert any(e["type"] == "SyntaxError" and not e["has_traceback_header"] for e in excs)
    assert any(e["type"] == "KeyboardInterrupt" for e in excs)
    assert any(not e["has_traceback_header"] and e["type"] != "SyntaxError" for e in excs)
    assert any(e.get("is_group") and not e["has_traceback_header"] for e in excs)
    assert any(e.get("members_not_printed") for e in excs)


def _walk(chain: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for exc in chain:
        yield exc
        for child in exc.get("children", []):
            yield from _walk(child)


# -- signatures -----------------------------------------------------------------------------

def _mutate(text: str, seed: int) -> str:
    """The same crash on another home, another day: other times, numbers, addresses,
    line numbers, values and user paths."""
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", f"2027-0{seed}-1{seed} 0{seed}:"
                  f"1{seed}:2{seed}.{seed}00", text)
    text = re.sub(r"0x[0-9a-f]+", lambda m: hex(int(m.group(0), 16) + seed * 4096), text)
    text = re.sub(r", line (\d+)", lambda m: f", line {int(m.group(1)) + seed}", text)
    text = re.sub(r"(?m)^((?:\s*\| )?(?:[a-z_]\w*\.)*[A-Z]\w*): (.+?)(\x1b\[0m)?$",
                  lambda m: f"{m.group(1)}: {m.group(2)[::-1]} {seed * 977}{m.group(3) or ''}",
                  text)
    text = re.sub(r"\d+(?:\.\d+)+", lambda m: m.group(0) + str(seed), text)  # versions, IPs
    return text.replace("/usr/src/supervisor/", f"/home/user{seed}/src/supervisor/").replace(
        "/work/main/", f"/home/user{seed}/work/")


ALL_LOGS = [pytest.param(SAMPLES / n, id=n) for n, i in TRUTH["files"].items()
            if any(c["kind"] == PY_KIND for c in i["crashes"])] + [
    pytest.param(OWN_DIR / p, id=Path(p).stem) for p in OWN["files"]]


@pytest.mark.parametrize("path", ALL_LOGS)
def test_signature_ignores_times_numbers_values_pids_and_user_paths(path: Path) -> None:
    text = path.read_text()
    verbose_form = not text[:1].isdigit() and bool(re.match(r"\d{4}-", text))
    a = run_bytes(text.encode()) if verbose_form else run_bytes(verbose(text, pid=100))
    b_text = _mutate(text, 3)
    b = run_bytes(b_text.encode()) if verbose_form else run_bytes(
        verbose(b_text, pid=4242, start=1_800_000_000.0))
    assert len(a) == len(b)
    assert [c.signature for c in a] == [c.signature for c in b]
    assert not a or [c.title for c in a] != [c.title for c in b]  # the values did change
    for crash in b:
        assert not any("user3" in part or re.search(r"\d{3,}", part)
                       for part in crash.signature), crash.signature
    assert not set(c.occurrence for c in a) & set(c.occurrence for c in b)


def test_signatures_differ_between_different_crashes() -> None:
    sample = [c for n in TRUTH["files"] for c in run_sample(new, n)]
    assert len(sample) == len(SAMPLE_CASES)
    assert len({c.signature for c in sample}) == len(SAMPLE_CASES)
    own: dict[str, tuple[str, ...]] = {}
    for path in OWN["files"]:
        if path.endswith("-3.12.log"):
            for i, crash in enumerate(run_bytes((OWN_DIR / path).read_bytes())):
                own[f"{Path(path).stem.rsplit('-', 1)[0]}:{i}"] = crash.signature
    # the same crash printed in other ways (formats, asyncio's handlers) groups together...
    same = [{"logged_formats:0", "logged_formats:1", "logged_formats:2", "logged_formats:3"},
            {"asyncio_bare:0", "asyncio_logged:0", "thread_crash:0"},  # on_event's ValueError
            {"asyncio_bare:1", "asyncio_logged:1"},
            {"multiline_value:0", "multiline_value:2"},  # other interface, same failure
            {"no_traceback_chain:0", "no_traceback_chain:1"}]  # other stage, same failure
    for group in same:
        assert len({own[k] for k in group}) == 1, group
    # ... and everything else is told apart
    representatives = {own[k] for k in own if not any(k in g for g in same)}
    assert len(representatives) == len(own) - sum(len(g) for g in same)
    assert not representatives & {own[next(iter(g))] for g in same}
    assert len({own[next(iter(g))] for g in same}) == len(same)


def test_signature_is_the_same_on_every_python() -> None:
    """The in-app part is; the rest too, unless the stdlib itself fails differently."""
    by_case: dict[str, set[tuple[tuple[str, ...], ...]]] = {}
    in_app: dict[str, set[tuple[tuple[str, ...], ...]]] = {}
    for path in OWN["files"]:
        case = Path(path).stem.rsplit("-", 1)[0]
        crashes = run_bytes((OWN_DIR / path).read_bytes())
        by_case.setdefault(case, set()).add(tuple(c.signature for c in crashes))
        in_app.setdefault(case, set()).add(tuple(
            tuple(p for p in c.signature if p.startswith("supervisor.")) for c in crashes))
    assert all(len(sigs) == 1 for sigs in in_app.values())
    different = {case for case, sigs in by_case.items() if len(sigs) != 1}
    # 3.12's pathlib raises an AttributeError first in the recursion (a real chain there);
    # the frozen importlib frames of a failed import differ between versions
    assert different <= {"recursion", "syntax_import"}


def test_module_of() -> None:
    assert module_of("/usr/src/supervisor/supervisor/host/network.py") == (
        "supervisor.host.network", "supervisor/host/network.py")
    assert module_of("/usr/src/supervisor/supervisor/__init__.py")[0] == "supervisor"
    assert module_of("/usr/local/lib/python3.13/site-packages/aiohttp/web_app.py") == (
        "aiohttp.web_app", "aiohttp/web_app.py")
    assert module_of("/usr/lib/python3/dist-packages/dbus_fast/aio/bus.py")[0] == (
        "dbus_fast.aio.bus")
    assert module_of("/usr/local/lib/python3.13/asyncio/tasks.py") == (
        "asyncio.tasks", "asyncio/tasks.py")
    assert module_of("/usr/local/lib/python3.13t/json/__init__.py")[0] == "json"
    assert module_of("<frozen runpy>") == ("runpy", "<frozen runpy>")
    assert module_of("<frozen importlib._bootstrap>")[0] == "importlib._bootstrap"
    assert module_of("<string>") == (None, "<string>")
    assert module_of("/home/alice/projects/tool.py")[0] == "tool"
    assert module_of("/home/alice/my-project/2fa.py")[0] is None


# -- grammar corner cases (hand-written, each shaped like CPython's output) ----------------

TB = "Traceback (most recent call last):"
SUP = '  File "/usr/src/supervisor/supervisor/core.py", line {n}, in {f}'


def test_a_line_mentioning_traceback_is_not_a_crash() -> None:
    for text in (
        TB,
        f"{TB}\nsee the add-on's log",
        f"\x1b[31m2026-11-20 07:58:12.255 ERROR (MainThread) [x] {TB}\x1b[0m",
        f"2026-11-20 07:58:12.255 ERROR (MainThread) [x] Core said:\n{TB}\n(cut)",
        'Invalid config: File "/config/configuration.yaml", line 42, in automations',
        f"{TB}\n\nKeyError: 'x'",
        "KeyError: 'x'\nThe above exception was the direct cause of nothing",
    ):
        assert run_text(text) == [], text


def test_bare_traceback_after_a_complete_log_line_is_fatal() -> None:
    text = "\n".join([
        "\x1b[32m2026-11-20 11:02:55.055 INFO (MainThread) [supervisor.host.info] Updating\x1b[0m",
        TB, SUP.format(n=75, f="start"), "    await self._stage()",
        "KeyError: 'x'",
        "\x1b[33m[11:02:55] WARNING: Halt Supervisor\x1b[0m",
        "s6-rc: info: service legacy-services: stopping",
    ])
    (crash,) = run_text(text)
    assert (crash.level, crash.logger, crash.message) == ("fatal", None, None)
    assert crash.occurrence.endswith(":2")
    assert [b.position for b in crash.breadcrumbs] == ["1"]
    assert crash.exceptions[0].value == "'x'"


def test_colorlog_style_reset_after_header_is_still_the_log_record() -> None:
    text = "\n".join([
        "\x1b[31m2026-11-20 11:02:55.055 ERROR (MainThread) [supervisor.core] Boom\x1b[0m",
        TB, SUP.format(n=75, f="start"), "KeyError: 'x'\x1b[0m",
        "s6-rc: info: service legacy-services: stopping",
    ])
    (crash,) = run_text(text)
    assert (crash.level, crash.logger, crash.message) == ("error", "supervisor.core", "Boom")
    assert crash.occurrence.endswith(":1")


def test_warning_with_traceback_is_not_a_crash() -> None:
    for colour, reset in (("\x1b[33m", "\x1b[0m"), ("", "")):
        text = "\n".join([
            f"{colour}2026-11-20 11:02:55.055 WARNING (MainThread) [supervisor.core] Retry",
            TB, SUP.format(n=75, f="start"), f"KeyError: 'x'{reset}",
        ])
        assert run_text(text) == []


def test_chain_without_blank_lines_and_basic_logging_format() -> None:
    """journald may drop empty lines; logging.basicConfig's format is a log header too."""
    text = "\n".join([
        "ERROR:supervisor.core:Setup failed",
        TB, SUP.format(n=1, f="a"), "ValueError: one",
        "During handling of the above exception, another exception occurred:",
        TB, SUP.format(n=2, f="b"), "TypeError: two",
    ])
    (crash,) = run_text(text)
    assert [(e.type, e.relation) for e in crash.exceptions] == [
        ("ValueError", None), ("TypeError", "context")]
    assert (crash.logger, crash.message, crash.level) == ("supervisor.core", "Setup failed",
                                                          "error")


def test_two_bare_tracebacks_back_to_back_are_two_crashes() -> None:
    one = "\n".join([TB, SUP.format(n=1, f="a"), "ValueError: one"])
    crashes = run_text(one + "\n" + one.replace("one", "two"))
    assert [c.exceptions[0].value for c in crashes] == ["one", "two"]
    assert [c.occurrence.rsplit(":", 1)[1] for c in crashes] == ["1", "4"]


def test_syntax_error_location_is_not_a_frame() -> None:
    text = "\n".join([
        TB, SUP.format(n=12, f="load"), "    from .generate import x",
        '  File "/usr/src/supervisor/supervisor/dbus/generate.py", line 26',
        "    conn = {", "           ^", "SyntaxError: '{' was never closed",
    ])
    (crash,) = run_text(text)
    (exc,) = crash.exceptions
    assert [f.function for f in exc.frames] == ["load"]
    assert ("python.syntax_error_at",
            "/usr/src/supervisor/supervisor/dbus/generate.py:26") in crash.extra
    assert crash.signature[-1] == "syntax:supervisor.dbus.generate"


@pytest.mark.parametrize("before", ["INFO: starting", "Note: done", "Error: retrying",
                                    "starting up", ""])
def test_bare_syntax_error_after_any_line(before: str, tmp_path: Path) -> None:
    """Python's own report of a SyntaxError in a script (no traceback), right after another
    line; a line shaped like `Type: value` before it once swallowed it as its value."""
    script = tmp_path / "broken.py"
    script.write_text("def f(:\n    pass\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60,
                            check=False)
    assert result.returncode == 1
    report = result.stderr.decode().rstrip("\n")
    assert report.startswith('  File "') and report.endswith("SyntaxError: invalid syntax")
    lines = [before, report, "INFO: next", report] if before else [report, report]
    crashes = run_text("\n".join(lines))
    assert [(c.exceptions[-1].type, c.level) for c in crashes] == [("SyntaxError", "fatal")] * 2
    assert all(("python.syntax_error_at", f"{script}:1") in c.extra for c in crashes)


def test_python_313_multi_line_statement_and_frozen_frames() -> None:
    text = "\n".join([
        TB, '  File "<frozen runpy>", line 198, in _run_module_as_main',
        SUP.format(n=40, f="run"), "    await self.call(", "          ~~~~~~~~~^",
        "        1,", "        ^^", "    )", "    ^",
        "OSError: [Errno 5] I/O error",
    ])
    (crash,) = run_text(text)
    frames = crash.exceptions[0].frames
    assert [(f.module, f.context_line, f.in_app) for f in frames] == [
        ("runpy", None, False), ("supervisor.core", "await self.call(", True)]


def test_expire_closes_a_record_and_flush_after() -> None:
    det = new()
    lines = [TB, SUP.format(n=1, f="a"), "    x()", "ValueError: one", "more value"]
    for n, text in enumerate(lines, 1):
        assert det.feed(LogLine(text=text, timestamp=1000.0, position=str(n))) == []
    assert det.expire(1001.0) == []
    (crash,) = det.expire(1002.0)  # an uncaught exception is printed at once: a short quiet
    assert crash.occurred_at == 1000.0
    assert crash.exceptions[0].value == "one"
    assert crash.exceptions[0].notes == ("more value",)
    assert det.flush() == []


def test_a_gap_in_time_ends_a_record() -> None:
    det = new()
    out: list[Crash] = []
    for n, (text, ts) in enumerate([(TB, 10.0), (SUP.format(n=1, f="a"), 10.0),
                                    ("ValueError: one", 10.0), ("still the value?", 30.0)]):
        out += det.feed(LogLine(text=text, timestamp=ts, position=str(n)))
    assert len(out) == 1
    assert out[0].exceptions[0].notes == ()
    assert det.flush() == []


def test_multi_line_journal_entry_is_split() -> None:
    entry = "\n".join([
        "\x1b[31m2026-11-20 07:58:12.255 ERROR (MainThread) [supervisor.api] Failed",
        TB, SUP.format(n=3, f="info"), "KeyError: 'x'\x1b[0m"])
    det = new()
    out = det.feed(LogLine(text=entry, identifier="hassio_supervisor", pid=1, position="c1"))
    (crash,) = out + det.flush()
    assert crash.logger == "supervisor.api"
    assert crash.signature == ("python", "KeyError", "supervisor.core:info")


# -- bounds and bad input -------------------------------------------------------------------

def test_ten_megabyte_line_and_value() -> None:
    det = new()
    huge = "v" * 10_000_000
    out = det.feed(LogLine(text=huge))
    for text in (TB, SUP.format(n=1, f="a"), f"ValueError: {huge}", huge, "\x1b[31m" + huge):
        out += det.feed(LogLine(text=text))
        assert det.held() <= MAX_CRASH_LINES
    out += det.flush()
    (crash,) = out
    exc = crash.exceptions[0]
    assert len(exc.value) + sum(map(len, exc.notes)) <= MAX_VALUE_CHARS + 64
    assert all(len(b.text) <= MAX_LINE_CHARS + 64 for b in crash.breadcrumbs)
    assert normalized_errors(build_event(crash, HostFacts())) == []


def test_invalid_utf8_and_surrogates() -> None:
    raw = b"\n".join([
        b"\x1b[31m2026-11-20 07:58:12.255 ERROR (MainThread) [supervisor.api] Bad \xff\xfe",
        TB.encode(), SUP.format(n=3, f="info").encode() + b"\xc3",
        b"    name = b'\xe2\x28\xa1'.decode()", b"UnicodeDecodeError: '\xed\xa0\x80' x\x1b[0m"])
    (crash,) = run_bytes(raw)
    assert "\ufffd" in crash.exceptions[0].value
    surrogates = "\n".join([
        "2026-11-20 07:58:12.255 ERROR (MainThread) [supervisor.api] Bad \udcff",
        TB, '  File "/usr/src/supervisor/supervisor/\udcc3.py", line 3, in info',
        "    x = '\udc80'", "UnicodeDecodeError: '\udced\udca0' x"])
    (crash2,) = run_text(surrogates)
    for crash_ in (crash, crash2):
        event = build_event(crash_, HostFacts())
        json.dumps(event).encode("utf-8")  # no lone surrogate is left
        assert "\udcff" not in (crash_.message or "")
        assert normalized_errors(event) == []


def test_hundred_thousand_frames_in_fixed_memory(tmp_path: Path) -> None:
    """A real traceback of 100,002 frames (mutual recursion, so none is folded)."""
    program = (
        "import sys, traceback\n"
        "sys.setrecursionlimit(250_000)\n"
        "def a(n):\n"
        "    if n == 0:\n"
        "        raise ValueError('deep')\n"
        "    return b(n - 1)\n"
        "def b(n):\n"
        "    return a(n - 1)\n"
        "try:\n"
        "    a(100_000)\n"
        "except ValueError:\n"
        "    traceback.print_exc()\n"
    )
    script = tmp_path / "deep.py"
    script.write_text(program)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, check=True,
                            timeout=60)
    lines = result.stderr.decode().split("\n")
    total = sum(1 for line in lines if line.startswith("  File "))
    assert total > 100_000
    det = new()
    out: list[Crash] = []
    peak = 0
    for n, text in enumerate(lines):
        out += det.feed(LogLine(text=text))
        if n % 997 == 0:
            peak = max(peak, det.held())
    out += det.flush()
    assert peak <= HEAD_FRAMES + TAIL_FRAMES + 10
    (crash,) = out
    (exc,) = crash.exceptions
    assert (exc.type, exc.value) == ("ValueError", "deep")
    assert len(exc.frames) == HEAD_FRAMES + TAIL_FRAMES
    assert exc.frames[0].function == "<module>"
    assert exc.frames[-1].function == "a"
    assert exc.frames[-1].context_line == "raise ValueError('deep')"
    assert ("python.frames_omitted", str(total - HEAD_FRAMES - TAIL_FRAMES)) in crash.extra
    assert crash.signature == ("python", "ValueError", "deep:a")
    assert normalized_errors(build_event(crash, HostFacts())) == []


def test_endless_record_stays_bounded() -> None:
    det = new()
    det.feed(LogLine(text="\x1b[31m2026-11-20 07:58:12.255 ERROR (MainThread) [x] y"))
    det.feed(LogLine(text=TB))
    for i in range(3 * MAX_CRASH_LINES):
        det.feed(LogLine(text=f'  File "/usr/src/supervisor/supervisor/m{i}.py", line 1, in f'))
        det.feed(LogLine(text="    f()"))
        assert det.held() <= MAX_CRASH_LINES
    det.feed(LogLine(text="ValueError: x"))
    for i in range(3 * MAX_CRASH_LINES):  # a value that never ends (no reset ever comes)
        det.feed(LogLine(text=f"value line {i}"))
        assert det.held() <= MAX_CRASH_LINES
    (crash,) = det.flush()
    assert len(crash.exceptions[0].frames) == HEAD_FRAMES + TAIL_FRAMES
    # a chain that never ends
    det.feed(LogLine(text="\x1b[31m2026-11-20 07:58:12.255 ERROR (MainThread) [x] y"))
    for i in range(1000):
        for text in (TB, SUP.format(n=i, f=f"f{i}"), f"E{i}: v", "", "During handling of the"
                     " above exception, another exception occurred:", ""):
            det.feed(LogLine(text=text))
        assert det.held() <= MAX_CRASH_LINES
    (crash,) = det.flush()
    assert ("python.exceptions_omitted", str(1000 - len(crash.exceptions))) in crash.extra
    assert crash.exceptions[-1].type == "E999"


FRAGMENTS = st.sampled_from([
    TB, "  + Exception Group Traceback (most recent call last):",
    "Exception Group Traceback (most recent call last):",
    SUP.format(n=1, f="f"), '  File "<frozen runpy>", line 88, in _run_code',
    '  File "/x/y.py", line 3', "    x = 1", "    ~~~^^^", "           ^",
    "  [Previous line repeated 996 more times]", "KeyError: 'x'", "ValueError", "KeyError:",
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:", "",
    "  +-+---------------- 1 ----------------", "    +---------------- 2 ----------------",
    "    +------------------------------------", "    | Traceback (most recent call last):",
    '    |   File "/a.py", line 1, in f', "    | ValueError: v", "    | ", "    |",
    "    +---------------- ... ----------------", "    | and 3 more exceptions",
    "\x1b[31m2026-11-20 07:58:12.255 ERROR (MainThread) [supervisor.x] failed",
    "\x1b[32m2026-11-20 07:58:12.255 INFO (MainThread) [supervisor.x] ok\x1b[0m",
    "2026-11-20 07:58:12.255 WARNING (Thread-1 (run)) [supervisor.x] hm", "y\x1b[0m",
    "ERROR:root:boom", "Task exception was never retrieved", "future: <Task finished>",
    "Exception in thread Thread-1:", "s6-rc: info: service legacy-services: stopping",
    "\udcff\ufffd\x00", "(" * 60, "  File " + '"' * 40,
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=80),
       st.lists(st.floats(allow_nan=True) | st.none(), max_size=4))
def test_fuzz_never_raises_and_stays_bounded(lines: list[str], times: list[float | None]) -> None:
    det = new()
    out: list[Crash] = []
    for i, text in enumerate(lines):
        ts = times[i % len(times)] if times else None
        out += det.feed(LogLine(text=text, timestamp=ts, position=str(i)))
        assert det.held() <= MAX_CRASH_LINES
        if i % 7 == 0:
            out += det.expire(1e9)
    out += det.flush()
    assert det.held() <= BREADCRUMB_LINES
    for crash in out:
        assert crash.exceptions
        assert all(e.parent is None or e.parent < i for i, e in enumerate(crash.exceptions))
        build_event(crash, HostFacts())


TRUNCATABLE = [(SAMPLES / n).read_text() for n in ("supervisor_plain.log",
                                                    "supervisor_crashloop.log")] + [
    _own_text(p) for p in ("out/group_notes-3.13.log", "out/syntax_logged-3.12.log",
                           "out/no_traceback_chain-3.11.log")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(TRUNCATABLE))), st.integers(0, 10**6), st.integers(0, 10**6),
       st.integers(1, 40))
def test_truncated_and_damaged_input(which: int, cut: int, drop: int, every: int) -> None:
    text = TRUNCATABLE[which]
    text = text[: cut % (len(text) + 1)]  # cut anywhere, even inside a line
    lines = text.split("\n")
    if drop % 2:
        lines = [line for i, line in enumerate(lines) if (i + drop) % every]  # lose lines
    det = new()
    out: list[Crash] = []
    for n, line in enumerate(lines):
        out += det.feed(LogLine(text=line, position=str(n)))
        assert det.held() <= MAX_CRASH_LINES
    out += det.flush()
    for crash in out:  # a crash starts only where a record can start
        start = ANSI.sub("", lines[int(crash.occurrence.rsplit(":", 1)[1])])
        assert start[:1].isdigit() or start.startswith(
            (TB, "  + Exception", '  File "', "Task exception", "Exception in")) or re.match(
            r"(?:[a-z_]\w*\.)*[A-Z]\w*(?::|$)", start), start
        assert crash.exceptions


# -- every crash is an event Sentry accepts ------------------------------------------------

def _all_crashes() -> list[Crash]:
    crashes = [c for n in TRUTH["files"] for c in run_sample(new, n)]
    for path in OWN["files"]:
        crashes += run_bytes((OWN_DIR / path).read_bytes())
    return crashes


def test_every_crash_passes_sentrys_normalizer() -> None:
    crashes = _all_crashes()
    assert len(crashes) > 100
    for crash in crashes:
        event = build_event(crash, HostFacts(supervisor_version="2026.11.1"))
        assert normalized_errors(event) == [], crash.title
        values = event["exception"]["values"]
        assert len(values) == len(crash.exceptions)
        root = [e for e in crash.exceptions if e.parent is None][-1]  # raised last
        assert values[-1]["type"] == root.type
        assert event["level"] == crash.level


def test_another_threads_log_line_inside_a_bare_traceback_is_skipped() -> None:
    text = "\n".join([
        TB, SUP.format(n=1, f="a"), "    a()",
        "\x1b[32m2026-11-20 11:02:55.055 INFO (SyncWorker_1) [supervisor.auth] Login\x1b[0m",
        SUP.format(n=2, f="b"), "    b()", "KeyError: 'x'",
    ])
    (crash,) = run_text(text)
    assert [f.function for f in crash.exceptions[0].frames] == ["a", "b"]
    assert crash.level == "fatal"


def _fed(det: PythonTracebackDetector, texts: list[str], t0: float = 1000.0) -> list[Crash]:
    out: list[Crash] = []
    for n, text in enumerate(texts):
        out += det.feed(LogLine(text=text, identifier="hassio_supervisor", pid=1,
                                timestamp=t0 + n * 0.001, position=str(n + 1)))
    return out


def test_a_coloured_line_never_starts_a_bare_traceback() -> None:
    """colorlog colours a record's first line (its log header): a coloured "Traceback" line is a
    log line, not an uncaught exception (so every crash start is a trigger line, prefilter.py)."""
    det = PythonTracebackDetector()
    out = _fed(det, ["\x1b[31mTraceback (most recent call last):",
                     '  File "/usr/src/supervisor/supervisor/core.py", line 3, in start',
                     "ValueError: boom"])
    assert out + det.flush() == []
    det = PythonTracebackDetector()
    out = _fed(det, ["Traceback (most recent call last):",
                     '  File "/usr/src/supervisor/supervisor/core.py", line 3, in start',
                     "ValueError: boom"])
    assert [c.title for c in out + det.flush()] == ["ValueError: boom"]  # positive control


def test_coloured_lines_held_unread_give_the_same_breadcrumbs() -> None:
    """A coloured log line is only read when a line after it continues its record."""
    header = "\x1b[32m2026-11-20 10:00:0{} INFO (MainThread) [supervisor.core] step {}\x1b[0m"
    lines = [header.format(i, i) for i in range(5)]
    lines += ["\x1b[31m2026-11-20 10:00:06 ERROR (MainThread) [supervisor.core] failed",
              "Traceback (most recent call last):",
              '  File "/usr/src/supervisor/supervisor/core.py", line 3, in start',
              "ValueError: boom\x1b[0m"]
    det = PythonTracebackDetector()
    assert det.busy() is False
    (crash,) = _fed(det, lines) + det.flush()
    assert [b.text for b in crash.breadcrumbs] == lines[:5]
    assert (crash.level, crash.logger, crash.message) == ("error", "supervisor.core", "failed")


def test_settle_closes_a_waiting_log_message_but_not_a_traceback() -> None:
    det = PythonTracebackDetector()
    _fed(det, ["\x1b[31m2026-11-20 10:00:06 ERROR (MainThread) [supervisor.core] failed",
               "more of the message"])
    assert det.holding() and not det.busy()
    assert det.settle() == [] and not det.holding()
    _fed(det, ["Traceback (most recent call last):",
               '  File "/usr/src/supervisor/supervisor/core.py", line 3, in start'])
    assert det.busy()
    assert det.settle() == [] and det.busy()  # still in progress
    (crash,) = _fed(det, ["ValueError: boom"]) + det.flush()
    assert crash.breadcrumbs == ()  # settle forgot them
