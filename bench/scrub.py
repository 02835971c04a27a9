"""Benchmark: crash_reporter's scrubber against Relay (configured fairly), sentry-sdk's
EventScrubber and sentry-scrubber, on two corpus shapes.

Run: python bench/scrub.py [--rounds N] [--events N]

Shapes (deterministic, tests/fixtures/pii/corpus.py for the planted values):
- "large": few large strings: 6 exception values / messages of ~8 KB each (~50 KB per event);
- "small": many small strings: 100 breadcrumbs, 2 stacks of 100 frames with context lines
  (~1500 strings of ~40-150 characters, ~60 KB per event).
Both stay within crash_reporter's caps (strings of 8 KB, 100 breadcrumbs, 100 frames), so every
scrubber sees the same text. Every class of PII is planted in each event (32 pattern items),
plus this home's own identifiers as the Supervisor API serves them (SSID, LAN IP, MAC, share
server, mount, HA location, a person's name): crash_reporter learns those on the device, no
server-side scrubber can. Leaks are counted separately for the two.

crash_reporter is timed twice: in-process (`scrub_event`, the scrubber's own work) and as the
app runs it, in its scrub worker (a child process, the event sent and answered as JSON over
a pipe; the wall time the daemon waits).

Peers, each configured the way its users run it (printed below the table):
- "relay default": Sentry's default server-side scrubbing (Relay's conversion of the project
  settings dataScrubber + dataScrubberDefaults + scrubIPAddresses);
- "relay all rules": every Relay built-in rule applied ONCE per string, one selector (the
  union of `$string` and the fields `$string` does not select: frame paths, context lines,
  logentry, exception values). The old bench listed 17 overlapping selectors and applied
  each rule up to 17 times per string;
- sentry-sdk's EventScrubber (key names only) and sentry-scrubber (told the hostnames).
Each round runs every scrubber on every event, interleaved; the figure is the median over
rounds of the mean time per event.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "pii"))

from corpus import IDENTIFIERS, _load_frames, _log_lines, leaks, planted_values  # noqa: E402

from crash_reporter.scrub import ScrubStats, scrub_event  # noqa: E402
from crash_reporter.scrub.words import engine, use_hyperscan  # noqa: E402
from crash_reporter.scrub.worker import ScrubWorker  # noqa: E402
from crash_reporter.sources.host_ids import PEOPLE_PATH, identifiers_from  # noqa: E402
from sandbox import supervisor_api as home  # noqa: E402

RELAY_RULES = ["@ip", "@mac", "@email", "@bearer", "@urlauth", "@creditcard", "@iban",
               "@pemkey", "@userpath", "@password", "@uuid", "@imei", "@usssn"]
RELAY_SELECTOR = ("$string || $frame.abs_path || $frame.filename || $frame.context_line || "
                  "$frame.pre_context.* || $frame.post_context.* || $frame.module || "
                  "$frame.function || $frame.package || $logentry.formatted || "
                  "$exception.value || $breadcrumb.message")
RELAY_ALL = {"applications": {RELAY_SELECTOR: RELAY_RULES}}
SENTRY_PROJECT_DEFAULTS = {"scrubData": True, "scrubDefaults": True, "scrubIpAddresses": True,
                           "sensitiveFields": [], "excludeFields": []}

# What crash_reporter learned from the Supervisor API stand-in (sources/host_ids.py).
HOME_IDS: list[Any] = [
    *IDENTIFIERS, (home.HOME_SSID, "ssid"), (home.HOME_IP, "ip"), (home.HOME_MAC, "mac"),
    (home.HOME_SHARE_SERVER, "hostname"), (home.HOME_MOUNT, "mount"),
    (home.HOME_LOCATION, "location"), (home.HOME_EXTERNAL_HOST, "hostname"),
    *identifiers_from({PEOPLE_PATH: {"people": list(home.HOME_PEOPLE)}}),
]
HOME_PLANTS = [
    (f"Connecting to '{home.HOME_SSID}'", home.HOME_SSID),
    (f"Cannot connect to host {home.HOME_SHARE_SERVER}:445 ssl:default", "nas-smith"),
    (f"bind {home.HOME_IP}:8123 failed", home.HOME_IP),
    (f"dev_{home.HOME_MAC.replace(':', '_')} disconnected", home.HOME_MAC.replace(":", "_")),
    (f"mnt-data-supervisor-mounts-{home.HOME_MOUNT}.mount failed", home.HOME_MOUNT),
    (f"Weather for {home.HOME_LOCATION} unavailable", home.HOME_LOCATION),
    (f"light.{home.HOME_PEOPLE[1].lower()}_reading_lamp unavailable",
     home.HOME_PEOPLE[1].lower()),
]

Scrubber = Callable[[dict[str, Any]], Any]


def _base(rng: random.Random) -> dict[str, Any]:
    return {"event_id": f"{rng.getrandbits(128):032x}", "level": "error",
            "platform": "python", "timestamp": "2026-11-21T12:20:41.292000+00:00",
            "release": "supervisor@2026.11.2", "environment": "stable",
            "tags": {"component": "supervisor", "reporter": "crash_reporter"},
            "contexts": {"os": {"name": "Home Assistant OS", "version": "16.3"}}}


def _plant(rng: random.Random, places: list[tuple[Any, Any]]) -> tuple[list[str], list[str]]:
    """Plant every PII class and this home's identifiers at random places."""
    pattern: list[str] = []
    for _kind, text, secret in planted_values(rng):
        container, key = rng.choice(places)
        container[key] = f"{container[key]} {text}"
        pattern.append(secret)
    own: list[str] = []
    for text, secret in HOME_PLANTS:
        container, key = rng.choice(places)
        container[key] = f"{container[key]} {text}"
        own.append(secret)
    return pattern, own


def large_event(seed: int) -> tuple[dict[str, Any], list[str], list[str]]:
    """Few large strings: 4 exception values, a message and a logentry of ~8 KB each."""
    rng = random.Random(seed)
    lines = _log_lines()

    def blob() -> str:
        out: list[str] = []
        while sum(len(x) + 1 for x in out) < 7_600:
            out.append(rng.choice(lines))
        return "\n".join(out)

    event = _base(rng)
    py, _go = _load_frames()
    event["exception"] = {"values": [
        {"type": rng.choice(["KeyError", "OSError"]), "value": blob(),
         "stacktrace": {"frames": [dict(f) for f in rng.choice(py)]}} for _ in range(4)]}
    event["message"] = blob()
    event["logentry"] = {"formatted": blob()}
    places = [(e, "value") for e in event["exception"]["values"]]
    places += [(event, "message"), (event["logentry"], "formatted")]
    pattern, own = _plant(rng, places)
    return event, pattern, own


def small_event(seed: int) -> tuple[dict[str, Any], list[str], list[str]]:
    """Many small strings: 100 breadcrumbs, 2 stacks of 100 frames with context lines."""
    rng = random.Random(seed)
    lines = _log_lines()
    py, _go = _load_frames()
    event = _base(rng)
    event["breadcrumbs"] = {"values": [
        {"timestamp": 1795652412.5 + i, "category": "hassio_supervisor", "level": "info",
         "message": rng.choice(lines)[:150]} for i in range(100)]}
    values = []
    for _ in range(2):
        frames: list[dict[str, Any]] = []
        while len(frames) < 100:
            for f in rng.choice(py):
                frame = dict(f)
                frame["pre_context"] = [rng.choice(lines)[:60] for _ in range(3)]
                frame["post_context"] = [rng.choice(lines)[:60] for _ in range(2)]
                frames.append(frame)
        values.append({"type": "RuntimeError", "value": rng.choice(lines)[:200],
                       "stacktrace": {"frames": frames[:100]}})
    event["exception"] = {"values": values}
    places: list[tuple[Any, Any]] = [(c, "message") for c in event["breadcrumbs"]["values"]]
    for exc in values:
        places.append((exc, "value"))
        for frame in exc["stacktrace"]["frames"]:
            places.append((frame, "context_line"))
            places.append((frame["pre_context"], 0))
    pattern, own = _plant(rng, places)
    return event, pattern, own


def peers(loop: asyncio.AbstractEventLoop, worker: ScrubWorker
          ) -> tuple[dict[str, Scrubber], list[str]]:
    """The scrubbers to compare (name -> function taking a fresh event)."""
    out: dict[str, Scrubber] = {
        "crash_reporter": lambda ev: scrub_event(ev, HOME_IDS),
        "crash_reporter (worker)": lambda ev: loop.run_until_complete(
            worker.scrub(ev, HOME_IDS)),
    }
    missing: list[str] = []
    try:
        from sentry_relay.processing import (  # noqa: PLC0415 - optional
            convert_datascrubbing_config,
            pii_strip_event,
        )

        default = convert_datascrubbing_config(SENTRY_PROJECT_DEFAULTS)
        out["relay default"] = lambda ev: pii_strip_event(default, ev)
        out["relay all rules"] = lambda ev: pii_strip_event(RELAY_ALL, ev)
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
        out["sentry-scrubber"] = lambda ev: ss.scrub_event(
            ev, sensitive_strings=set(IDENTIFIERS))
    except ImportError:
        missing.append("sentry-scrubber")
    return out, missing


def main() -> int:
    """Run the rounds and print the configuration and the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--events", type=int, default=6, help="events per shape")
    args = parser.parse_args()
    use_hyperscan()  # as the scrub worker does
    shapes = {"large": [large_event(100 + i) for i in range(args.events)],
              "small": [small_event(200 + i) for i in range(args.events)]}
    loop = asyncio.new_event_loop()
    worker = ScrubWorker(ScrubStats())
    scrubbers, missing = peers(loop, worker)
    for event, _, _ in shapes["small"][:1]:  # the worker's child starts before the rounds
        scrubbers["crash_reporter (worker)"](copy.deepcopy(event))
    times = {s: {n: [] for n in scrubbers} for s in shapes}  # type: ignore[var-annotated]
    leaked = {s: {n: [0, 0] for n in scrubbers} for s in shapes}
    for rnd in range(args.rounds):
        for shape, events in shapes.items():
            per: dict[str, list[float]] = {n: [] for n in scrubbers}
            for event, pattern, own in events:
                for name, fn in scrubbers.items():
                    fresh = copy.deepcopy(event)  # peers mutate their input
                    t0 = time.perf_counter()
                    out = fn(fresh)
                    per[name].append(time.perf_counter() - t0)
                    if rnd == 0:
                        leaked[shape][name][0] += len(leaks(out, pattern))
                        leaked[shape][name][1] += len(leaks(out, own))
            for name in scrubbers:
                times[shape][name].append(statistics.mean(per[name]))

    loop.run_until_complete(worker.close())
    loop.close()
    print("configuration:")
    print(f"  crash_reporter: scrub_event(event, identifiers) with {len(HOME_IDS)} learned "
          "host identifiers (as sources/host_ids.py learns them), in-process, keywords found "
          f"with {engine()} (as in the scrub worker)")
    print("  crash_reporter (worker): ScrubWorker.scrub(event, identifiers), as the daemon "
          "calls it: JSON over a pipe to `python -m crash_reporter.scrub.worker` (Hyperscan)")
    print(f"  relay default: convert_datascrubbing_config({json.dumps(SENTRY_PROJECT_DEFAULTS)})")
    print(f"  relay all rules: {{{RELAY_SELECTOR!r}: {RELAY_RULES}}} (each rule once per string)")
    print("  sentry-sdk EventScrubber(recursive=True); sentry-scrubber told the hostnames")
    for shape, events in shapes.items():
        size = statistics.mean(len(json.dumps(e)) for e, _, _ in events) / 1000
        strings = statistics.mean(_count_strings(e) for e, _, _ in events)
        planted = sum(len(p) for _, p, _ in events)
        own = sum(len(o) for _, _, o in events)
        print(f"\nshape {shape!r}: {len(events)} events of ~{size:.0f} KB, ~{strings:.0f} strings "
              f"each; {args.rounds} rounds; planted {planted} pattern PII + {own} of this "
              "home's identifiers")
        relay = {n: statistics.median(times[shape][n]) for n in scrubbers if n.startswith("relay")}
        header = (f"{'scrubber':<26}{'ms/event':>10}" + "".join(f"{'vs ' + n:>20}" for n in relay)
                  + f"{'leaked PII':>12}{'leaked own':>12}")
        print(header)
        print("-" * len(header))
        for name in scrubbers:
            t = statistics.median(times[shape][name])
            row = f"{name:<26}{t * 1000:>10.2f}"
            row += "".join(f"{t / r:>19.2f}x" for r in relay.values())
            pat, mine = leaked[shape][name]
            row += f"{f'{pat}/{planted}':>12}{f'{mine}/{own}':>12}"
            print(row)
    if missing:
        print("not installed (peer skipped): " + ", ".join(missing))
    return 0


def _count_strings(value: Any) -> int:
    if isinstance(value, str):
        return 1
    if isinstance(value, dict):
        return sum(_count_strings(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_strings(v) for v in value)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
