"""Benchmark: crash_reporter's scrubber against Relay, sentry-sdk's EventScrubber, sentry-scrubber.

Run: python bench/scrub.py [--rounds N]. One corpus of realistic crash events (2 KB to 500 KB:
real frames and log lines from tests/fixtures/samples, PII of every class planted at random
places, see tests/fixtures/pii/corpus.py). Each round runs every scrubber on every event,
interleaved, so the figures come from the same run; the table shows the median over rounds
of the time per event, per size class, and the planted items that survived (leaks).
Peers: sentry-relay (bench-only, FSL; Relay's built-in rules applied to every string it can
select) and sentry-scrubber are optional; a missing peer is reported, not faked.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "pii"))

from corpus import IDENTIFIERS, corpus, leaks  # noqa: E402

from crash_reporter.scrub import scrub_event  # noqa: E402

# Relay's built-in rules on every selectable string (contracts.md).
RELAY_RULES = ["@common", "@ip", "@mac", "@email", "@bearer", "@urlauth", "@creditcard",
               "@iban", "@pemkey", "@userpath", "@password", "@uuid", "@imei", "@usssn"]
RELAY_SELECTORS = [
    "$string", "$frame.abs_path", "$frame.filename", "$frame.context_line",
    "$frame.pre_context.**", "$frame.post_context.**", "$frame.function", "$frame.module",
    "$frame.package", "tags.**", "contexts.**", "$breadcrumb.message", "$message",
    "$logentry.formatted", "$exception.value", "fingerprint.**", "**",
]
RELAY_CONFIG = {"applications": {sel: RELAY_RULES for sel in RELAY_SELECTORS}}

Scrubber = Callable[[dict[str, Any]], Any]


def peers() -> tuple[dict[str, Scrubber], list[str]]:
    """The scrubbers to compare (name -> function taking a fresh event)."""
    out: dict[str, Scrubber] = {
        "crash_reporter": lambda ev: scrub_event(ev, IDENTIFIERS),
    }
    missing: list[str] = []
    try:
        from sentry_relay.processing import pii_strip_event  # noqa: PLC0415 - optional

        out["relay (Rust)"] = lambda ev: pii_strip_event(RELAY_CONFIG, ev)
    except ImportError:
        missing.append("sentry-relay")
    from sentry_sdk.scrubber import EventScrubber  # noqa: PLC0415

    sdk = EventScrubber(recursive=True)

    def sdk_scrub(ev: dict[str, Any]) -> dict[str, Any]:
        sdk.scrub_event(ev)  # mutates in place
        return ev

    out["sentry-sdk EventScrubber"] = sdk_scrub
    try:
        from sentry_scrubber.scrubber import SentryScrubber  # noqa: PLC0415 - optional

        ss = SentryScrubber()

        def ss_scrub(ev: dict[str, Any]) -> Any:
            return ss.scrub_event(ev, sensitive_strings=set(IDENTIFIERS))

        out["sentry-scrubber"] = ss_scrub
    except ImportError:
        missing.append("sentry-scrubber")
    return out, missing


def size_class(n: int) -> str:
    """A label for an event's serialized size."""
    for limit, label in ((4_000, "~2-6 KB"), (20_000, "~10 KB"), (80_000, "~50 KB"),
                         (250_000, "~150 KB")):
        if n < limit:
            return label
    return "~500 KB"


def main() -> int:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    events = corpus()
    scrubbers, missing = peers()
    classes = [size_class(len(json.dumps(ev))) for ev, _ in events]
    labels = list(dict.fromkeys(classes))
    times: dict[str, dict[str, list[float]]] = {n: {c: [] for c in labels} for n in scrubbers}
    leaked: dict[str, int] = dict.fromkeys(scrubbers, 0)
    planted = sum(len(s) for _, s in events)
    for rnd in range(args.rounds):
        per: dict[str, dict[str, list[float]]] = {n: {c: [] for c in labels} for n in scrubbers}
        for (event, secrets), cls in zip(events, classes, strict=True):
            for name, fn in scrubbers.items():
                fresh = copy.deepcopy(event)  # peers mutate their input
                t0 = time.perf_counter()
                out = fn(fresh)
                per[name][cls].append(time.perf_counter() - t0)
                if rnd == 0:
                    leaked[name] += len(leaks(out, secrets))
        for name in scrubbers:
            for cls in labels:
                times[name][cls].append(statistics.mean(per[name][cls]))
    print(f"scrub bench: {len(events)} events x {args.rounds} rounds, "
          f"{planted} planted PII items; ms per event (median of rounds)")
    header = f"{'scrubber':<26}" + "".join(f"{c:>10}" for c in labels) \
        + f"{'all':>9}{'vs relay':>10}{'leaked':>12}"
    print(header)
    print("-" * len(header))
    overall = {n: statistics.median([statistics.mean([times[n][c][r] for c in labels])
                                     for r in range(args.rounds)]) for n in scrubbers}
    relay = overall.get("relay (Rust)")
    for name in scrubbers:
        row = f"{name:<26}" + "".join(
            f"{statistics.median(times[name][c]) * 1000:>10.2f}" for c in labels)
        ratio = f"{overall[name] / relay:>9.2f}x" if relay else f"{'n/a':>10}"
        row += f"{overall[name] * 1000:>9.2f}{ratio}{leaked[name]:>6}/{planted}"
        print(row)
    if missing:
        print("not installed (peer skipped): " + ", ".join(missing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
