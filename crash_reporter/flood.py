"""Flood control: crash loops and repeats become a few reports carrying a count.

Per scrubbed crash signature (contracts.md), the first occurrence is admitted at once. Later
ones are admitted only when at least `min_interval_s` passed since the signature's last report
and fewer than `per_signature_per_day` reports of it went out in the last 24 h; otherwise
they are FOLDED: counted, with the time span, and the first folded event of the period kept
on disk as the body of a summary. The folded count rides on the next admitted report of that
signature, or goes out as a summary (`due_summaries`) once the signature may report again.
A global budget (`global_per_hour`, sliding) folds anything beyond it the same way.

Annotation of an admitted report or a summary that carries folded crashes:
`contexts["crash_loop"] = {"count", "first_seen", "last_seen"}` (count = crashes this report
stands for, times RFC 3339) and the tag `crash_loop: yes`.

Crash-safety: the state (`flood.json`) and the bodies (`flood.d/<event_id>.json`) are written
atomically before an event is handed out. Decisions are remembered per event id (bounded), so
seeing the same occurrence again after a restart gives the same answer and is not counted
twice. The last events handed out are kept and handed out again by the first
`due_summaries()` after a restart: the outbox's `hold()` is idempotent and remembers settled
ids, so this repairs a kill between `admit()` and `hold()` without ever duplicating a report.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crash_reporter.const import LOOP_SUMMARY_INTERVAL_S
from crash_reporter.files import (
    NUMBER,
    DictOf,
    Faults,
    ListOf,
    Opt,
    load_state,
    read_nofollow,
    real_dir,
    regular_files,
    write_json,
)
from crash_reporter.outbox import valid_event_id

_LOGGER = logging.getLogger(__name__)

DAY_S = 86400.0
HOUR_S = 3600.0
DECIDED_MAX = 1000  # event ids whose decision is remembered
HANDED_MAX = 50  # events handed out that are handed out again after a restart
LOOP_CONTEXT = "crash_loop"


def _iso(epoch: float) -> str:
    """RFC 3339 UTC."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


def _epoch(value: Any) -> float | None:
    """An epoch from an RFC 3339 string or a number (None if neither)."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return when.timestamp()
    return None


def _own_loop(event: dict[str, Any], now: float) -> tuple[int, float, float]:
    """(crashes, first, last) this event already stands for (a detector may have folded)."""
    at = _epoch(event.get("timestamp")) or now
    loop = (event.get("contexts") or {}).get(LOOP_CONTEXT)
    if isinstance(loop, dict):
        count = loop.get("count")
        first = _epoch(loop.get("first_seen")) or at
        last = _epoch(loop.get("last_seen")) or at
        if isinstance(count, int) and count > 0:
            return count, min(first, at), max(last, at)
    return 1, at, at


def annotate(event: dict[str, Any], annotation: dict[str, Any]) -> dict[str, Any]:
    """A copy of `event` carrying a crash-loop annotation."""
    out = copy.deepcopy(event)
    contexts = out.setdefault("contexts", {})
    contexts[LOOP_CONTEXT] = dict(annotation)
    tags = out.setdefault("tags", {})
    if isinstance(tags, dict):
        tags[LOOP_CONTEXT] = "yes"
    return out


def _empty() -> dict[str, Any]:
    return {"v": 1, "signatures": {}, "global": [], "decided": {}, "handed": [],
            "counters": {"admitted": 0, "folded": 0, "summaries": 0, "evicted_counts": 0}}


FLOOD_SHAPE: dict[str, Any] = {
    "v": int,
    "signatures": DictOf({"sent": ListOf(NUMBER), "folded": int, "first": Opt(NUMBER),
                          "last": Opt(NUMBER), "body": Opt(str), "seen": NUMBER}),
    "global": ListOf(NUMBER),
    "decided": DictOf(object),  # False (folded), None (admitted) or an annotation object
    "handed": ListOf(str),
    "counters": {"admitted": int, "folded": int, "summaries": int, "evicted_counts": int},
}


def read_flood_state(state_file: Path, faults: Faults | None = None, *,
                     read_only: bool = True) -> dict[str, Any]:
    """The persisted flood-control state (fresh if missing, unreadable or of the wrong shape)."""
    return load_state(state_file, FLOOD_SHAPE, _empty(), faults=faults, area="flood control",
                      read_only=read_only)


class FloodControl:
    """Decides which crash reports go out and folds the rest into counts."""

    def __init__(
        self,
        state_file: Path,
        *,
        per_signature_per_day: int = 3,
        global_per_hour: int = 20,
        min_interval_s: float = LOOP_SUMMARY_INTERVAL_S,
        max_signatures: int = 256,
        clock: Callable[[], float] = time.time,
        faults: Faults | None = None,
    ) -> None:
        """Prepare; the state is read lazily on the first call (call from a thread).

        Storage faults are counted in `faults` and never raised: the decisions stand in
        memory and are written with the next write that succeeds.
        """
        self.faults = Faults() if faults is None else faults
        self.state_file = Path(state_file)
        self.bodies = self.state_file.parent / f"{self.state_file.stem}.d"
        self.per_signature_per_day = per_signature_per_day
        self.global_per_hour = global_per_hour
        self.min_interval_s = min_interval_s
        self.max_signatures = max_signatures
        self._clock = clock
        self._lock = threading.RLock()
        self._state: dict[str, Any] | None = None
        self._restarted = False  # set when a previous run's state is loaded

    # --- persistence ------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        if self._state is None:
            state = read_flood_state(self.state_file, self.faults, read_only=False)
            # The first due_summaries() re-hands what the previous run handed out.
            self._restarted = bool(state["handed"])
            try:
                real_dir(self.bodies, self.faults)
            except OSError as err:
                self.faults.io_error("flood control", "making its directory", err)
            self._state = state
        return self._state

    def _save(self) -> None:
        assert self._state is not None
        self._gc_bodies()
        try:
            write_json(self.state_file, self._state)
        except OSError as err:
            self.faults.io_error("flood control", "writing its state", err)
        else:
            self.faults.io_ok("flood control")

    def _body_path(self, event_id: str) -> Path:
        return self.bodies / f"{event_id}.json"

    def _write_body(self, event: dict[str, Any]) -> None:
        try:
            write_json(self._body_path(str(event["event_id"])), event, self.bodies)
        except OSError as err:  # (a summary of it, or its re-hand after a restart, is lost)
            self.faults.io_error("flood control", "keeping a report body", err)

    def _read_body(self, event_id: str) -> dict[str, Any] | None:
        if not valid_event_id(event_id):
            return None
        try:
            doc = json.loads(read_nofollow(self._body_path(event_id)))
        except OSError as err:
            if err.errno != errno.ENOENT:
                self.faults.io_error("flood control", "reading a report body", err)
            return None
        except (ValueError, RecursionError):
            return None
        return doc if isinstance(doc, dict) else None

    def _gc_bodies(self) -> None:
        """Delete bodies nothing refers to any more (after the state is final in memory)."""
        assert self._state is not None
        keep = {s["body"] for s in self._state["signatures"].values() if s.get("body")}
        keep.update(self._state["handed"])
        for entry in regular_files(self.bodies):
            if entry.name.endswith(".json") and entry.name[:-5] not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

    # --- windows ----------------------------------------------------------------------------

    def _prune(self, state: dict[str, Any], now: float) -> None:
        state["global"] = [t for t in state["global"] if now - t < HOUR_S]
        for sig in state["signatures"].values():
            sig["sent"] = [t for t in sig["sent"] if now - t < DAY_S]

    def _may_report(self, state: dict[str, Any], sig: dict[str, Any], now: float) -> bool:
        if len(state["global"]) >= self.global_per_hour:
            return False
        if len(sig["sent"]) >= self.per_signature_per_day:
            return False
        return not sig["sent"] or now - max(sig["sent"]) >= self.min_interval_s

    def _signature(self, state: dict[str, Any], signature: str, now: float) -> dict[str, Any]:
        sigs: dict[str, dict[str, Any]] = state["signatures"]
        sig = sigs.get(signature)
        if sig is None:
            sig = {"sent": [], "folded": 0, "first": None, "last": None, "body": None,
                   "seen": now}
            sigs[signature] = sig
            if len(sigs) > self.max_signatures:
                self._evict(state, keep=signature)
        sig["seen"] = now
        return sig

    def _evict(self, state: dict[str, Any], keep: str) -> None:
        """Forget the least recently seen signatures (idle ones first)."""
        sigs: dict[str, dict[str, Any]] = state["signatures"]
        order = sorted((k for k in sigs if k != keep),
                       key=lambda k: (sigs[k]["folded"] > 0, sigs[k]["seen"]))
        for key in order[: len(sigs) - self.max_signatures]:
            lost = sigs.pop(key)["folded"]
            if lost:
                state["counters"]["evicted_counts"] += lost
                _LOGGER.warning("Flood control: forgot %d folded crash(es) of a signature "
                                "(too many signatures tracked)", lost)

    def _decide(self, state: dict[str, Any], event_id: str, annotation: Any) -> None:
        decided: dict[str, Any] = state["decided"]
        decided.pop(event_id, None)
        decided[event_id] = annotation
        while len(decided) > DECIDED_MAX:
            del decided[next(iter(decided))]

    def _hand_out(self, state: dict[str, Any], event: dict[str, Any]) -> None:
        handed: list[str] = state["handed"]
        event_id = str(event["event_id"])
        self._write_body(event)
        if event_id in handed:
            handed.remove(event_id)
        handed.append(event_id)
        del handed[:-HANDED_MAX]

    # --- the API ----------------------------------------------------------------------------

    def admit(self, signature: str, event: dict[str, Any]) -> dict[str, Any] | None:
        """The event to hold (maybe annotated with folded crashes), or None when folded."""
        event_id = event.get("event_id")
        if not valid_event_id(event_id):
            return event
        assert isinstance(event_id, str)
        with self._lock:
            state = self._load()
            decided = state["decided"]
            if event_id in decided:  # the same occurrence again (a restart): same answer
                previous = decided[event_id]
                if previous is False:
                    return None
                return annotate(event, previous) if isinstance(previous, dict) else event
            now = self._clock()
            self._prune(state, now)
            sig = self._signature(state, signature, now)
            count, first, last = _own_loop(event, now)
            if self._may_report(state, sig, now):
                annotation: dict[str, Any] | None = None
                if sig["folded"]:
                    annotation = {"count": sig["folded"] + count,
                                  "first_seen": _iso(min(sig["first"], first)),
                                  "last_seen": _iso(max(sig["last"], last))}
                    sig.update(folded=0, first=None, last=None, body=None)
                out = annotate(event, annotation) if annotation else event
                sig["sent"].append(now)
                state["global"].append(now)
                state["counters"]["admitted"] += 1
                self._decide(state, event_id, annotation or None)
                self._hand_out(state, out)
                self._save()
                return out
            sig["folded"] += count
            sig["first"] = first if sig["first"] is None else min(sig["first"], first)
            sig["last"] = last if sig["last"] is None else max(sig["last"], last)
            if sig["body"] is None:
                self._write_body(event)
                sig["body"] = event_id
            state["counters"]["folded"] += 1
            self._decide(state, event_id, False)
            self._save()
            return None

    def due_summaries(self, now: float | None = None) -> list[dict[str, Any]]:
        """Summary events for folded crashes whose signature may report again.

        The first call after a restart also returns the events handed out recently (safe:
        `Outbox.hold` ignores ids it holds or has settled).
        """
        with self._lock:
            state = self._load()
            now = self._clock() if now is None else now
            out: list[dict[str, Any]] = []
            if self._restarted:
                self._restarted = False
                for event_id in state["handed"]:
                    body = self._read_body(event_id)
                    if body is not None:
                        out.append(body)
            self._prune(state, now)
            changed = False
            for sig in state["signatures"].values():
                if not sig["folded"] or not self._may_report(state, sig, now):
                    continue
                body = self._read_body(sig["body"]) if sig["body"] else None
                folded, first, last = sig["folded"], sig["first"], sig["last"]
                sig.update(folded=0, first=None, last=None, body=None)
                changed = True
                if body is None:
                    _LOGGER.warning("Flood control: the body of a summary is lost; %d "
                                    "crash(es) not reported", folded)
                    continue
                annotation = {"count": folded, "first_seen": _iso(first),
                              "last_seen": _iso(last)}
                summary = annotate(body, annotation)
                sig["sent"].append(now)
                state["global"].append(now)
                state["counters"]["summaries"] += 1
                self._decide(state, str(summary["event_id"]), annotation)
                self._hand_out(state, summary)
                out.append(summary)
            if changed:
                self._save()
            return out

    def next_due(self) -> float | None:
        """The earliest time a summary may become due (None if nothing is folded)."""
        with self._lock:
            state = self._load()
            times: list[float] = []
            for sig in state["signatures"].values():
                if not sig["folded"]:
                    continue
                sent = sorted(sig["sent"])
                due = sent[-1] + self.min_interval_s if sent else 0.0
                if len(sent) >= self.per_signature_per_day:
                    due = max(due, sent[len(sent) - self.per_signature_per_day] + DAY_S)
                times.append(due)
            if times and len(state["global"]) >= self.global_per_hour:
                free_at = sorted(state["global"])[len(state["global"]) - self.global_per_hour]
                times = [max(t, free_at + HOUR_S) for t in times]
            return min(times) if times else None

    def purge(self) -> int:
        """Forget folded counts and kept bodies (consent OFF); return the crashes forgotten."""
        with self._lock:
            state = self._load()
            forgotten = 0
            for sig in state["signatures"].values():
                forgotten += sig["folded"]
                sig.update(folded=0, first=None, last=None, body=None)
            state["handed"] = []
            self._save()
            return forgotten

    def stats(self) -> dict[str, Any]:
        """Counters and what is folded now (for status and tests)."""
        with self._lock:
            state = self._load()
            return {
                "counters": dict(state["counters"]),
                "signatures": len(state["signatures"]),
                "folded": sum(s["folded"] for s in state["signatures"].values()),
                "sent_last_hour": len(state["global"]),
            }
