"""Real journalctl output of the shared samples, in every output mode.

The samples are what the Supervisor's logs API returns. Each is turned into journal export
format (its entries with their times, hostnames, identifiers and PIDs; a plain sample's
entries get the identifier of its writer and times 100 ms apart), Debian's
systemd-journal-remote writes that into a real journal file, and the real `journalctl
--file=F -o MODE` prints it (TZ=UTC; with and without `-a`, which keeps ANSI colour codes).

Run `python -m tests.journal_forms` for the table of crashes found per input form.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from crash_reporter.scan import find_crashes
from crash_reporter.sources.prefilter import PrefilteredLines
from tests.helpers import SAMPLES, TRUTH

JOURNAL_REMOTE = Path("/lib/systemd/systemd-journal-remote")
MODES = ("short", "short-precise", "short-iso", "short-iso-precise", "short-full",
         "short-unix", "cat", "json", "export")
BOOT_ID = "0123456789abcdef0123456789abcdef"
_VERBOSE = re.compile(
    rb"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (\S+) ([^\s\[]+?)(?:\[(\d+)\])?:(?: |$)")
PLAIN_WRITERS = {"supervisor": "hassio_supervisor", "os_agent": "os-agent"}
PLAIN_START_US = 1_795_000_000_000_000


def _field(key: str, value: bytes) -> bytes:
    if b"\n" in value:
        return key.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return key.encode() + b"=" + value + b"\n"


def _entries(name: str) -> Iterator[tuple[int, str, str, int | None, bytes]]:
    """(time in us, hostname, identifier, pid, MESSAGE) of each journal entry of a sample."""
    data = (SAMPLES / name).read_bytes()
    if TRUTH["files"][name]["format"] == "verbose":
        entry: list[object] | None = None
        for raw in data.split(b"\n")[:-1]:
            m = _VERBOSE.match(raw)
            if m is None:
                assert entry is not None
                entry[4] = entry[4] + b"\n" + raw  # type: ignore[operator]
                continue
            if entry is not None:
                yield tuple(entry)  # type: ignore[misc]
            stamp, host, ident, pid = m.groups()
            date, clock = stamp.decode().split(" ")
            import calendar  # noqa: PLC0415

            y, mo, d = map(int, date.split("-"))
            h, mi, s = clock.split(":")
            us = (calendar.timegm((y, mo, d, int(h), int(mi), 0, 0, 0, 0)) * 1_000_000
                  + round(float(s) * 1_000_000))
            entry = [us, host.decode(), ident.decode(), int(pid) if pid else None,
                     raw[m.end():]]
        if entry is not None:
            yield tuple(entry)  # type: ignore[misc]
        return
    writer = next(w for k, w in PLAIN_WRITERS.items() if name.startswith(k))
    for n, raw in enumerate(data.split(b"\n")[:-1]):
        yield PLAIN_START_US + n * 100_000, "homeassistant-kitchen", writer, 287, raw


def export_of(name: str) -> bytes:
    """The sample as journal export format."""
    out = bytearray()
    for n, (us, host, ident, pid, message) in enumerate(_entries(name), 1):
        out += f"__REALTIME_TIMESTAMP={us}\n__MONOTONIC_TIMESTAMP={n * 1000}\n".encode()
        out += f"_BOOT_ID={BOOT_ID}\n_HOSTNAME={host}\nSYSLOG_IDENTIFIER={ident}\n".encode()
        if pid is not None:
            out += f"_PID={pid}\n".encode()
        out += _field("MESSAGE", message) + b"\n"
    return bytes(out)


def require_tools() -> None:
    """Fail (never skip) when the real tools are missing: ./run setup installs them."""
    missing = [str(p) for p in (JOURNAL_REMOTE,) if not p.exists()]
    if shutil.which("journalctl") is None:
        missing.append("journalctl")
    if missing:
        raise RuntimeError(f"missing {', '.join(missing)}: install systemd-journal-remote "
                           "(sandbox/install-system-packages.sh, run by ./run setup)")


@cache
def _folder() -> Path:
    """This process's folder for journal files, removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="crash-reporter-journal-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def journal_file(name: str) -> Path:
    """A real journal file holding the sample (written once per process)."""
    require_tools()
    path = _folder() / f"{name.replace('.', '_')}.journal"
    subprocess.run([str(JOURNAL_REMOTE), f"--output={path}", "-"], input=export_of(name),
                   check=True, capture_output=True, timeout=60)
    return path


@cache
def journalctl(name: str, mode: str, all_fields: bool = True) -> bytes:
    """`journalctl --file=F -o MODE [-a]` of the sample, as the real journalctl prints it."""
    args = ["journalctl", f"--file={journal_file(name)}", "-o", mode, "--no-pager"]
    if all_fields:
        args.append("-a")
    env = {**os.environ, "TZ": "UTC", "SYSTEMD_COLORS": "0", "LC_ALL": "C.UTF-8"}
    return subprocess.run(args, check=True, capture_output=True, timeout=60, env=env).stdout


def crashes_in(data: bytes, fmt: str | None = None) -> int:
    """How many crash incidents `crash-reporter scan` finds in `data`."""
    return len(find_crashes(PrefilteredLines(io.BytesIO(data), fmt)))  # type: ignore[arg-type]


def samples() -> list[str]:
    """The shared samples (every log file)."""
    return sorted(TRUTH["files"])


def table() -> str:
    """Crashes found per sample and input form (Markdown)."""
    head = ["sample", "API form", *MODES, "short-precise (no -a)", "short (no -a)"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in samples():
        fmt = TRUTH["files"][name]["format"]
        cells = [name, f"{crashes_in((SAMPLES / name).read_bytes())} ({fmt})"]
        cells += [str(crashes_in(journalctl(name, mode))) for mode in MODES]
        cells.append(str(crashes_in(journalctl(name, "short-precise", all_fields=False))))
        cells.append(str(crashes_in(journalctl(name, "short", all_fields=False))))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
