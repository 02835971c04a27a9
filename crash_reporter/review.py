"""Reports waiting for the user's decision in the panel (option `review_reports`).

With the option on, a scrubbed report is kept here instead of going into the outbox. The
panel's Send moves it into the outbox (it is then sent as soon as, and only while,
Diagnostics is on); Discard deletes it. Diagnostics turned off deletes them all, like the
outbox. Kept below the outbox dir, so HA backups leave it out. Plain, synchronous file I/O:
call it through `asyncio.to_thread`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crash_reporter.outbox import event_title
from crash_reporter.payloads import EventDir

REVIEW_DIR = "review"  # below the outbox dir
MAX_WAITING = 50  # more waiting reports than this: the oldest are dropped


class ReviewQueue:
    """Scrubbed reports waiting for Send or Discard, newest kept when full."""

    def __init__(self, outbox_dir: Path, *, max_waiting: int = MAX_WAITING,
                 clock: Callable[[], float] = time.time) -> None:
        """Keep waiting reports in `<outbox_dir>/review/`."""
        self._dir = EventDir(Path(outbox_dir) / REVIEW_DIR, max_waiting, clock=clock)
        self._clock = clock

    def hold(self, event: dict[str, Any]) -> bool:
        """Keep a scrubbed event until the user decides; False if it cannot be kept."""
        event_id = str(event.get("event_id", ""))
        return self._dir.write(event_id, {"held_at": self._clock(), "title": event_title(event),
                                          "event": event})

    def waiting(self) -> list[dict[str, Any]]:
        """Waiting reports, oldest first: {"event_id", "held_at", "title", "event"}."""
        out = []
        for event_id in self._dir.ids():
            doc = self._dir.read(event_id)
            if doc is not None and isinstance(doc.get("event"), dict):
                out.append({"event_id": event_id, "held_at": float(doc.get("held_at", 0.0)),
                            "title": str(doc.get("title", "")), "event": doc["event"]})
        return out

    def take(self, event_id: str) -> dict[str, Any] | None:
        """Remove a waiting report and return its event (None if it is not waiting)."""
        doc = self._dir.read(event_id)
        if doc is None or not isinstance(doc.get("event"), dict):
            return None
        if not self._dir.remove(event_id):
            return None  # taken meanwhile by another request
        event: dict[str, Any] = doc["event"]
        return event

    def purge(self) -> int:
        """Delete every waiting report (Diagnostics turned off); return how many."""
        return self._dir.clear()
