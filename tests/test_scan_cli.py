"""`crash-reporter scan PATH|-` as a user runs it (contracts.md): a real child process.

Over the shared samples: every input form gives the same incidents as the pipeline
(`find_crashes`), `--json` prints one scrubbed event per line and the same bytes on every run,
the hostname of the verbose prefixes never appears, `-` reads stdin, an unreadable path is a
clear message and exit status 2, and a reader that stops early (`| head`) is not an error.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from crash_reporter.scan import find_crashes
from crash_reporter.sources.log_format import read_log_lines
from tests.helpers import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.log"))
_VERBOSE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (\S+) ([^\s\[]+)\[(\d+)\]: (.*)$")


def scan(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `crash-reporter scan ARGS` (this checkout, this Python)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "crash_reporter", "scan", *args],
                          input=stdin, capture_output=True, timeout=120, env=env, check=False)


def events_of(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    """The events a `--json` run printed (every line must be one)."""
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def expected_count(name: str) -> int:
    """How many incidents the pipeline finds in a sample."""
    with (SAMPLES / name).open("rb") as f:
        return len(find_crashes(read_log_lines(f)))


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_json_prints_one_event_per_incident_the_same_every_time(name: str) -> None:
    first = scan(str(SAMPLES / name), "--json")
    events = events_of(first)
    assert len(events) == expected_count(name)
    for event in events:
        assert re.fullmatch(r"[0-9a-f]{32}", event["event_id"])
        assert event.get("exception") or event.get("logentry")  # what Sentry titles it by
        assert event["fingerprint"] and event["level"] in {"fatal", "error"}
        assert "server_name" not in event and "user" not in event
    assert scan(str(SAMPLES / name), "--json").stdout == first.stdout  # same ids and all
    assert name == "noise_only.log" or events  # positive control: the crash samples


def test_verbose_hostnames_are_learned_and_never_printed() -> None:
    hosts: set[str] = set()
    for name in SAMPLE_FILES:
        for line in (SAMPLES / name).read_text(errors="replace").splitlines():
            if m := _VERBOSE.match(line):
                hosts.add(m.group(2))
    assert hosts  # positive control: the verbose samples name their hosts
    for name in SAMPLE_FILES:
        result = scan(str(SAMPLES / name), "--json")
        out = result.stdout.decode()
        assert events_of(result) or name == "noise_only.log"
        assert not [h for h in hosts if h in out], name


def test_stdin_gives_what_the_file_gives(tmp_path: Path) -> None:
    data = b"".join((SAMPLES / n).read_bytes() for n in ("supervisor_plain.log",
                                                        "os_agent_plain.log"))
    path = tmp_path / "pasted.log"
    path.write_bytes(data)
    from_file = scan(str(path), "--json")
    from_stdin = scan("-", "--json", stdin=data)
    assert events_of(from_stdin) == events_of(from_file) != []


def _as_journal_json(verbose: str) -> bytes:
    """The verbose sample as `journalctl -o json` prints it (continuation lines joined)."""
    out: list[dict[str, str]] = []
    for line in verbose.splitlines():
        m = _VERBOSE.match(line)
        if m is None:
            out[-1]["MESSAGE"] += "\n" + line
            continue
        stamp, host, ident, pid, message = m.groups()
        micros = int(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp() * 1e6)
        out.append({"__REALTIME_TIMESTAMP": str(micros), "_HOSTNAME": host,
                    "SYSLOG_IDENTIFIER": ident, "_PID": pid, "MESSAGE": message})
    return b"".join(json.dumps(entry).encode() + b"\n" for entry in out)


@pytest.mark.parametrize("name", ["os_agent.log", "supervisor_verbose.log", "coredump.log"])
def test_journal_json_gives_the_crashes_of_the_verbose_text(name: str, tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_bytes(_as_journal_json((SAMPLES / name).read_text()))
    from_text = events_of(scan(str(SAMPLES / name), "--json"))
    from_json = events_of(scan(str(path), "--json"))
    assert [e["fingerprint"] for e in from_json] == [e["fingerprint"] for e in from_text]
    assert [e.get("logentry") for e in from_json] == [e.get("logentry") for e in from_text]
    assert from_json


def test_human_summary_and_count() -> None:
    result = scan(str(SAMPLES / "os_agent.log"))
    assert result.returncode == 0
    out = result.stdout.decode()
    count = expected_count("os_agent.log")
    assert out.count("  fingerprint: ") == count == out.count("  event id: ") > 0
    assert "kind: go" in out and "frames: " in out
    assert f"{count} crash report(s)" in result.stderr.decode()


def test_scope_default_keeps_only_what_the_daemon_would_send() -> None:
    everything = events_of(scan(str(SAMPLES / "systemd_units.log"), "--json"))
    default = events_of(scan(str(SAMPLES / "systemd_units.log"), "--json", "--scope",
                             "default"))
    assert len(default) < len(everything)
    assert {e["tags"]["component"] for e in default} <= {"supervisor", "os-agent"}


def test_unreadable_input_is_a_clear_message(tmp_path: Path) -> None:
    result = scan(str(tmp_path / "missing.log"))
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "cannot read" in err and "missing.log" in err and "Traceback" not in err
    result = scan(str(tmp_path))  # a directory
    assert result.returncode == 2 and "Traceback" not in result.stderr.decode()


def test_a_reader_that_stops_early_is_not_an_error() -> None:
    """`crash-reporter scan big.log | head -1`: no BrokenPipeError traceback."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-m", "crash_reporter", "scan",
                           str(SAMPLES / "supervisor_plain.log")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader has gone before the first line
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert "crash report(s)" in err
