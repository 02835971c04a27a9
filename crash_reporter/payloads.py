"""What left the device: a bounded record of each report's exact payload, kept on disk.

The panel shows every report with the scrubbed data exactly as it left (or will leave) this
device, also after a restart, so the payload is written down twice on its way: when the report
is held (the scrubbed event) and again when sentry-sdk's `before_send` has produced the final
payload that goes into the envelope. Only the newest `max_files` are kept.

Also home of `EventDir`, a directory of small JSON documents named by event id, which the
review queue (review.py) uses too. Plain, synchronous file I/O: call it through
`asyncio.to_thread`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crash_reporter.files import atomic_write, fsync_dir, read_nofollow, real_dir, regular_files
from crash_reporter.outbox import valid_event_id

_LOGGER = logging.getLogger(__name__)

SUFFIX = ".json"
PAYLOADS_DIR = "payloads"  # below the state dir (excluded from backups)
MAX_PAYLOADS = 100
MAX_PAYLOAD_BYTES = 1_000_000  # a bigger document is not recorded (the outbox caps events)


class EventDir:
    """A directory of `<event_id>.json` documents, at most `max_files` (oldest dropped)."""

    def __init__(self, root: Path, max_files: int, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Prepare; the directory is created on the first write."""
        self.root = Path(root)
        self.max_files = max_files
        self._clock = clock
        self._lock = threading.Lock()

    def _path(self, event_id: str) -> Path:
        return self.root / f"{event_id}{SUFFIX}"

    def write(self, event_id: str, doc: dict[str, Any]) -> bool:
        """Store `doc` under `event_id` (atomically); False if the id or size is refused."""
        if not valid_event_id(event_id):
            return False
        data = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()
        if len(data) > MAX_PAYLOAD_BYTES:
            _LOGGER.warning("Report %s: %d bytes, too big to keep for the panel", event_id,
                            len(data))
            return False
        with self._lock:
            real_dir(self.root)  # (never a symlink out of the data dir)
            atomic_write(self._path(event_id), data, self.root / "tmp")
            self._trim()
        return True

    def read(self, event_id: str) -> dict[str, Any] | None:
        """The document of `event_id`, or None if it is not there (or unreadable)."""
        if not valid_event_id(event_id):
            return None
        try:
            doc = json.loads(read_nofollow(self._path(event_id), MAX_PAYLOAD_BYTES))
        except (OSError, ValueError, RecursionError):  # (a symlink: ELOOP)
            return None
        return doc if isinstance(doc, dict) else None

    def remove(self, event_id: str) -> bool:
        """Delete the document of `event_id`; False if it was not there."""
        if not valid_event_id(event_id):
            return False
        with self._lock:
            try:
                self._path(event_id).unlink()
            except FileNotFoundError:
                return False
            fsync_dir(self.root)
        return True

    def ids(self) -> list[str]:
        """Event ids present, oldest first (by modification time)."""
        entries: list[tuple[float, str]] = []
        if self.root.is_symlink():
            return []
        for entry in regular_files(self.root):  # (regular files only: never through a link)
            event_id = entry.name.removesuffix(SUFFIX)
            if entry.name.endswith(SUFFIX) and valid_event_id(event_id):
                with contextlib.suppress(OSError):
                    entries.append((entry.stat(follow_symlinks=False).st_mtime, event_id))
        return [event_id for _, event_id in sorted(entries)]

    def clear(self) -> int:
        """Delete every document; return how many there were."""
        with self._lock:
            ids = self.ids()
            for event_id in ids:
                with contextlib.suppress(OSError):
                    self._path(event_id).unlink()
            fsync_dir(self.root)
        return len(ids)

    def _trim(self) -> None:
        """Drop the oldest documents beyond `max_files` (the caller holds the lock)."""
        ids = self.ids()
        for event_id in ids[: max(0, len(ids) - self.max_files)]:
            with contextlib.suppress(OSError):
                self._path(event_id).unlink()


class PayloadRecord:
    """The scrubbed payload of each recent report: as held, then exactly as it left."""

    def __init__(self, state_dir: Path, *, max_files: int = MAX_PAYLOADS,
                 clock: Callable[[], float] = time.time) -> None:
        """Keep payloads in `<state_dir>/payloads/`."""
        self._dir = EventDir(Path(state_dir) / PAYLOADS_DIR, max_files, clock=clock)
        self._clock = clock

    def held(self, event: dict[str, Any]) -> None:
        """Note the scrubbed event as it was held (errors are logged, never raised)."""
        self._note(event, final=False)

    def prepared(self, event: dict[str, Any]) -> None:
        """Note the final payload, exactly as it goes into the envelope that is sent."""
        self._note(event, final=True)

    def _note(self, event: dict[str, Any], *, final: bool) -> None:
        event_id = str(event.get("event_id", ""))
        try:
            self._dir.write(event_id, {"at": self._clock(), "final": final, "event": event})
        except OSError as err:
            _LOGGER.warning("Cannot keep the payload of report %s for the panel: %s",
                            event_id, err)

    def get(self, event_id: str) -> tuple[dict[str, Any], bool] | None:
        """(payload, final) of a report, or None if it is not recorded."""
        doc = self._dir.read(event_id)
        if doc is None or not isinstance(doc.get("event"), dict):
            return None
        return doc["event"], bool(doc.get("final"))

    def forget(self, event_id: str) -> None:
        """Delete the payload of a report that never left (deleted while diagnostics is off)."""
        self._dir.remove(event_id)
