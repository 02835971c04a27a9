"""Scrub one whole event: walk it, run the rules over its strings once, cap it, fail closed.

`scrub_event` is pure (no I/O, the input is not mutated) and never raises: any failure, or an
event still too big after cutting it down, returns None and the event is dropped. The
unscrubbed event is never returned. Counts of what was removed (per class, never values) go
into ``contexts["scrubbed"]``.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from operator import mul, setitem
from typing import Any, Final

from crash_reporter.scrub.hosts import HostMatcher, Identifier, compile_identifiers
from crash_reporter.scrub.rules import scrub_blob
from crash_reporter.scrub.tokens import SEP, Tally
from crash_reporter.scrub.walk import LEVELS, Builder, Limits

MAX_EVENT_BYTES: Final = 800_000  # serialized as sentry-sdk does; Sentry rejects > 1 MB
_SIZE_CHECK_FROM: Final = 200_000  # below this estimate no exact size check is needed
_TRUNCATED: Final = "...[truncated]"


@dataclass(slots=True)
class ScrubStats:
    """Counters the app reads for `status`: events scrubbed, events dropped (fail closed)."""

    scrubbed: int = 0
    dropped: int = 0
    last_error: str | None = None  # exception type name only, never a message


def _truncate(s: str, limit: int) -> str:
    """Cut `s` to at most `limit` characters, marking the cut."""
    return s[: max(0, limit - len(_TRUNCATED))] + _TRUNCATED


def _build(event: dict[str, Any], hosts: HostMatcher, limits: Limits
           ) -> tuple[dict[str, Any], int]:
    """Allowlist, scrub and cap `event`; return the new event and its estimated size."""
    builder = Builder(limits)
    out = builder.event(event)
    containers, keys, texts, caps = builder.columns()
    counts = Counter(texts)  # each distinct string once, in order, with how often it occurs
    strings = list(counts)
    tally = Tally()
    if strings:
        blob = SEP.join(strings)
        if SEP in "".join(strings):  # a string held a NUL: neutralise it
            blob = SEP.join([s.replace(SEP, "\ufffd") for s in strings])
        scrubbed = scrub_blob(blob, hosts, tally).split(SEP)
        if len(scrubbed) != len(strings):
            raise RuntimeError("scrubber lost a string boundary")
    else:
        scrubbed = []
    mult = list(counts.values())
    if len(strings) < len(texts):  # a string that occurs n times: its replacements count n
        tally.weigh(strings, scrubbed, mult)
    scrubbed_of: dict[str, Any] = dict(counts)  # a copy of the table: no string hashed again
    scrubbed_of.update(zip(strings, scrubbed, strict=True))
    values = list(map(scrubbed_of.__getitem__, texts))
    lengths = list(map(len, scrubbed))
    size = sum(map(mul, lengths, mult)) + 24 * len(values)  # each string as often as it occurs
    over = builder.too_long(values, max(lengths, default=0))
    for i in over:
        limit = caps[i]
        value = _truncate(values[i], limit)
        value = scrub_blob(value, hosts, Tally())  # a cut can expose a new match
        if len(value) > limit:
            value = _truncate(value, limit)
        size += len(value) - len(values[i])
        values[i] = value
    truncated = len(over)
    deque(map(setitem, containers, keys, values), maxlen=0)  # fill every slot, at C speed
    counters = dict(builder.cuts)
    if truncated:
        counters["truncated"] = truncated
    contexts = out.get("contexts")
    previous = contexts.get("scrubbed") if isinstance(contexts, dict) else None
    total: dict[str, int] = dict(previous) if previous else {}
    for source in (tally.counts, counters):
        for k, v in source.items():
            total[k] = total.get(k, 0) + v
    if total:
        out.setdefault("contexts", {})["scrubbed"] = dict(sorted(total.items()))
    elif isinstance(contexts, dict):
        contexts.pop("scrubbed", None)
    return out, size


def _serialized_size(event: dict[str, Any]) -> int:
    """Bytes of the event as sentry-sdk serializes it (compact JSON, ASCII escapes)."""
    return len(json.dumps(event, separators=(",", ":"), allow_nan=True, default=str))


def scrub_event(event: Any, identifiers: Iterable[Identifier] | None = None,
                *, stats: ScrubStats | None = None) -> dict[str, Any] | None:
    """Return a new, scrubbed copy of a Sentry event, or None if that is not possible.

    `identifiers` are strings known to identify this host (or (value, class) pairs, e.g.
    ``("Smith Family WiFi", "ssid")``); they are replaced wherever they occur, in any case
    and in their encoded forms, besides every built-in rule. None means the event was
    dropped (not a dict, too big even when cut down, or a bug in the scrubber).
    """
    try:
        if not isinstance(event, dict):
            raise TypeError("an event is a dict")
        hosts = compile_identifiers(identifiers)
        for limits in LEVELS:
            out, estimate = _build(event, hosts, limits)
            if estimate < _SIZE_CHECK_FROM or _serialized_size(out) <= MAX_EVENT_BYTES:
                if stats is not None:
                    stats.scrubbed += 1
                return out
        raise ValueError("event too large even after cutting it down")
    except Exception as err:
        if stats is not None:
            stats.dropped += 1
            stats.last_error = type(err).__name__
        return None


def scrub_text(text: str, identifiers: Iterable[Identifier] | None = None) -> str:
    """Scrub one free-text string (the same rules as for every string of an event)."""
    return scrub_blob(text.replace(SEP, "\ufffd"), compile_identifiers(identifiers), Tally())
