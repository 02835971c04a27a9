"""Benchmark: scanning a large mixed log for crashes, against the floor of reading its lines.

Run: python bench/scan.py [--mb N] [--rounds N] [--decoy-every N]. The log is built from the
shared samples (tests/fixtures/samples): their ordinary lines repeated with changing times,
every 4 MB one of the sample files (real crash records among their own ordinary lines), in
the Supervisor's verbose form, and one decoy line per DECOY_EVERY lines (a log line that
merely mentions "Traceback (most recent call last)", `File "...`, or "panic: runtime error";
noise_only.log has them at ~7 %, far more than a real log, so they are taken out of the
ordinary lines and put back at this rate). Each round times, side by side on the same file:

- floor (text): ``for line in open(path, encoding="utf-8", errors="replace")``: reading and
  splitting the lines in Python, the least any Python reader of this log does;
- floor (bytes): the same in binary mode (no decoding);
- full reader: `read_log_lines` + the detectors on every line (what the daemon's followers
  and journal input go through);
- scan: `crash_reporter.scan.find_crashes` over `PrefilteredLines` (what `crash-reporter
  scan` uses for text input; for a file this big a forked helper process shares the trigger
  search with the reading process, chunk by chunk);
- scan (1 process): the same with the helper turned off (as for stdin or a small file).

The table shows the median lines per second over rounds and the ratio to each floor. The
crashes found must be the same for the full reader and scan (every field, breadcrumbs up to
the prefilter's lookback), and the same with and without the helper process (else MISMATCH
and exit status 1).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crash_reporter.models import Crash  # noqa: E402
from crash_reporter.scan import find_crashes  # noqa: E402
from crash_reporter.sources.log_format import read_log_lines  # noqa: E402
from crash_reporter.sources.prefilter import PrefilteredLines  # noqa: E402

SAMPLES = ROOT / "tests" / "fixtures" / "samples"
DECOY = re.compile(rb'Traceback|File "|panic|goroutine|dumped core|Killed process')
DECOY_EVERY = 20_000  # lines; a busy HA host logs ~100k lines a day


def build_log(path: Path, megabytes: float, seed: int = 7,
              decoy_every: int = DECOY_EVERY) -> tuple[int, int, int]:
    """Write the mixed log; return (lines, crash records planted, decoys planted)."""
    rng = random.Random(seed)
    noise = [line for line in (SAMPLES / "noise_only.log").read_bytes().splitlines()
             if line[:4].isdigit()]
    ordinary = [line for line in noise if not DECOY.search(line)]
    decoys = [line for line in noise if DECOY.search(line)]
    crash_files = ["supervisor_verbose.log", "os_agent.log", "coredump.log",
                   "systemd_units.log", "supervisor_crashloop.log"]
    crash_blocks = [(SAMPLES / name).read_bytes() for name in crash_files]
    target = int(megabytes * 1_000_000)
    written = lines = planted = decoyed = 0
    every = 4_000_000
    next_crash = every // 2
    next_decoy = decoy_every // 2
    with path.open("wb") as out:
        while written < target:
            batch = bytearray()
            for _ in range(2000):
                lines += 1
                if lines >= next_decoy:
                    line = rng.choice(decoys)
                    next_decoy += decoy_every
                    decoyed += 1
                else:
                    line = rng.choice(ordinary)
                # vary the seconds so nothing repeats byte for byte (PIDs stay: a host
                # runs a handful of processes, not one per line)
                batch += line[:17] + b"%02d" % rng.randrange(60) + line[19:] + b"\n"
            if written + len(batch) >= next_crash:
                block = crash_blocks[planted % len(crash_blocks)]
                block = block if block.endswith(b"\n") else block + b"\n"
                batch += block
                lines += block.count(b"\n")
                planted += 1
                next_crash += every
            out.write(batch)
            written += len(batch)
    return lines, planted, decoyed


def floor_text(path: Path) -> int:
    """Read and split the lines as text."""
    n = 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for _line in f:
            n += 1
    return n


def floor_bytes(path: Path) -> int:
    """Read and split the lines as bytes."""
    n = 0
    with path.open("rb") as f:
        for _line in f:
            n += 1
    return n


def full(path: Path) -> list[Crash]:
    """Every line through the reader and the detectors."""
    with path.open("rb") as f:
        return find_crashes(read_log_lines(f))


def scan(path: Path) -> list[Crash]:
    """The prefiltered reader and the detectors."""
    with path.open("rb") as f:
        return find_crashes(PrefilteredLines(f))


def scan_serial(path: Path) -> list[Crash]:
    """The prefiltered reader without its helper process, and the detectors."""
    with path.open("rb") as f:
        return find_crashes(PrefilteredLines(f, parallel_bytes=None))


def same(full_found: list[Crash], scan_found: list[Crash]) -> bool:
    """The same incidents (the prefilter's breadcrumbs may be the most recent ones only)."""
    if [replace(c, breadcrumbs=()) for c in full_found] != \
            [replace(c, breadcrumbs=()) for c in scan_found]:
        return False
    return all(b.breadcrumbs == a.breadcrumbs[len(a.breadcrumbs) - len(b.breadcrumbs):]
               for a, b in zip(full_found, scan_found, strict=True))


def main() -> int:
    """Build the log, time every reader, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="size of the log (MB)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--decoy-every", type=int, default=DECOY_EVERY,
                        help="one decoy line per this many lines")
    parser.add_argument("--no-full", action="store_true",
                        help="skip the (slow) full reader, and the equality check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mixed.log"
        lines, planted, decoys = build_log(path, args.mb, decoy_every=args.decoy_every)
        size = path.stat().st_size
        runners: dict[str, Callable[[Path], object]] = {
            "floor (text)": floor_text, "floor (bytes)": floor_bytes,
            "full reader": full, "scan": scan, "scan (1 process)": scan_serial,
        }
        if args.no_full:
            del runners["full reader"]
        times: dict[str, list[float]] = {name: [] for name in runners}
        results: dict[str, object] = {}
        for _ in range(args.rounds):
            for name, run in runners.items():
                start = time.perf_counter()
                results[name] = run(path)
                times[name].append(time.perf_counter() - start)
    found = results["scan"]
    assert isinstance(found, list)
    if results["scan (1 process)"] != found:
        print("MISMATCH: scan with and without its helper process differ", file=sys.stderr)
        return 1
    if not args.no_full:
        reference = results["full reader"]
        assert isinstance(reference, list)
        if not same(reference, found):
            print("MISMATCH: scan and the full reader found different crashes", file=sys.stderr)
            return 1
    print(f"log: {size / 1e6:.0f} MB, {lines:,} lines, {planted} crash records and {decoys} "
          f"decoys planted ({len(found)} incidents found); median of {args.rounds} rounds")
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"{'reader':<16}{'seconds':>9}{'lines/s':>14}{'MB/s':>8}{'vs text floor':>15}"
          f"{'vs bytes floor':>16}")
    for name, seconds in med.items():
        print(f"{name:<16}{seconds:>9.3f}{lines / seconds:>14,.0f}{size / seconds / 1e6:>8.0f}"
              f"{med['floor (text)'] / seconds:>14.0%}{med['floor (bytes)'] / seconds:>16.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
