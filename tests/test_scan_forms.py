"""`crash-reporter scan` takes what users paste: every form, every wrapper, each line on its own.

The journalctl forms are the REAL journalctl's output of each shared sample
(tests/journal_forms.py: the sample as journal export format, written into a journal file by
Debian's systemd-journal-remote, printed by `journalctl --file=F -o MODE`). Each must give
the crashes the Supervisor API form of the same sample gives. Without `-a` journalctl drops
colour codes: the forms with sub-second times still give every crash but one of
supervisor_verbose.log (a bare traceback 3 ms after an INFO line cannot be told from that
line's own without colours, as with the API's `?no_colors`); whole-second `short` loses the
bare tracebacks of supervisor_crashloop.log too. Those two figures are pinned below so a
change shows.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crash_reporter.scan import EXIT_UNRECOGNISED, find_crashes
from crash_reporter.sources.prefilter import PrefilteredLines
from tests.helpers import SAMPLES
from tests.journal_forms import MODES, crashes_in, journalctl, samples

API_COUNTS = {name: crashes_in((SAMPLES / name).read_bytes()) for name in samples()}
NO_COLOURS_LOST = {("supervisor_verbose.log", mode): 1
                   for mode in ("short-precise", "short-iso-precise", "short-unix", "short")}
NO_COLOURS_LOST["supervisor_crashloop.log", "short"] = 2


def test_the_samples_have_crashes() -> None:  # (the positive control of everything below)
    assert sum(API_COUNTS.values()) == 24
    assert API_COUNTS["noise_only.log"] == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", samples())
def test_every_journalctl_mode(name: str, mode: str) -> None:
    data = journalctl(name, mode)
    assert crashes_in(data) == API_COUNTS[name]


@pytest.mark.parametrize("mode", ["short-precise", "short-iso-precise", "short-unix", "short"])
@pytest.mark.parametrize("name", samples())
def test_without_all_fields(name: str, mode: str) -> None:
    lost = NO_COLOURS_LOST.get((name, mode), 0)
    assert crashes_in(journalctl(name, mode, all_fields=False)) == API_COUNTS[name] - lost


def test_short_forms_keep_identity_and_time() -> None:
    """The parsed lines of each short form equal the API form's (text, writer, time)."""
    name = "coredump.log"
    api = find_crashes(PrefilteredLines(io.BytesIO((SAMPLES / name).read_bytes())))
    for mode in ("short-precise", "short-iso-precise", "short-unix"):
        got = find_crashes(PrefilteredLines(io.BytesIO(journalctl(name, mode))))
        assert [(c.title, c.component, c.occurred_at) for c in got] == \
            [(c.title, c.component, c.occurred_at) for c in api]
        assert [len(t.frames) for c in got for t in c.threads] == \
            [len(t.frames) for c in api for t in c.threads]


def _wrappers(data: bytes) -> dict[str, bytes]:
    lines = data.split(b"\n")
    return {
        "crlf": data.replace(b"\n", b"\r\n"),
        "bom": b"\xef\xbb\xbf" + data,
        "fenced": b"Seen after the update:\n\n```text\n" + data + b"```\n\nThanks!\n",
        "quoted": b"\n".join(b"> " + x if x else b">" for x in lines),
        "quoted crlf fenced": b"> ```\r\n" + b"\r\n".join(b"> " + x for x in lines)
                              + b"> ```\r\n",
        "21 header lines": b"".join(b"header line %d of the issue\n" % i for i in range(21))
                           + data,
        "a first line over 64 KiB": b"x" * 70_000 + b"\n" + data,
        "boot markers": b"-- Logs begin at Mon 2026-11-16 09:00:00 UTC, end at Tue 2026-11-"
                        b"24 10:00:00 UTC. --\n-- Boot 0123456789abcdef0123456789abcdef --\n"
                        + data + b"-- Boot fedcba9876543210fedcba9876543210 --\n",
    }


@pytest.mark.parametrize("source", ["api", "short-iso-precise", "cat"])
@pytest.mark.parametrize("name", ["supervisor_verbose.log", "os_agent_plain.log",
                                  "coredump.log", "systemd_units.log"])
def test_pasted_wrappers(name: str, source: str) -> None:
    data = (SAMPLES / name).read_bytes() if source == "api" else journalctl(name, source)
    for wrapper, wrapped in _wrappers(data).items():
        assert crashes_in(wrapped) == API_COUNTS[name], wrapper


def test_mixed_forms_each_line_on_its_own() -> None:
    """Half a log in one form, the rest in another: every crash of both halves."""
    a, b, c = "os_agent.log", "supervisor_plain.log", "systemd_units.log"
    mixed = journalctl(a, "short-iso") + journalctl(b, "cat") + journalctl(c, "short-unix")
    assert crashes_in(mixed) == API_COUNTS[a] + API_COUNTS[b] + API_COUNTS[c]


def test_json_after_a_header() -> None:
    data = b"journalctl -o json output:\n```\n" + journalctl("os_agent.log", "json") + b"```\n"
    assert crashes_in(data) == API_COUNTS["os_agent.log"]


def _scan(data: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crash_reporter", "scan", "-", *args],
                          input=data.decode("utf-8", "replace"), capture_output=True,
                          text=True, timeout=120, check=False)


def test_format_forces_a_form(tmp_path: Path) -> None:
    data = journalctl("os_agent.log", "short-precise")
    auto = _scan(data, "--json")
    assert auto.returncode == 0 and len(auto.stdout.splitlines()) == 3
    forced = _scan(data, "--json", "--format", "short-precise")
    assert forced.stdout == auto.stdout
    plain = _scan(data, "--json", "--format", "plain")  # prefixes stay in the messages
    events = [json.loads(x) for x in plain.stdout.splitlines()]
    assert plain.returncode == 0
    assert all(e["tags"]["component"] != "os-agent" or "identifier" not in e for e in events)
    assert _scan(data, "--format", "nope").returncode == 2  # argparse: not a form


def test_nothing_recognised_says_so() -> None:
    prose = b"I updated yesterday and now nothing works.\nAny idea?\n" * 40
    out = _scan(prose)
    assert out.returncode == EXIT_UNRECOGNISED
    assert "looked like a log form I know" in out.stderr
    for form in ("verbose", "short-iso-precise", "cat", "json", "export", "--format"):
        assert form in out.stderr
    # a known form without crashes is not that
    quiet = _scan((SAMPLES / "noise_only.log").read_bytes())
    assert quiet.returncode == 0 and "0 crash report(s)" in quiet.stderr
    quiet_short = _scan(journalctl("noise_only.log", "short"))
    assert quiet_short.returncode == 0
