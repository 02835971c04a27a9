"""Stage 5: the persistent outbox (reports on disk until Sentry has them, or they are dropped).

Plain, synchronous file I/O: the app calls every method through `asyncio.to_thread`. All
methods are thread-safe (one lock) and crash-safe: every file is written to `tmp/`, fsynced,
renamed into place and the directory fsynced, so a kill -9 at any moment leaves either the old
or the new file, never half of one.

Layout below `root` (the data dir's `outbox/`, excluded from HA backups):

    held/<event_id>.json   a scrubbed event waiting for consent ON and a Sentry client:
                           {"v": 1, "held_at": epoch, "title": str, "event": {...}}
    ready/<event_id>.env   an envelope sentry-sdk built, waiting for delivery: one JSON meta
                           line {"v": 1, "held_at", "queued_at", "title", "categories"} then
                           the envelope bytes exactly as `Envelope.serialize()` gave them
    tmp/                   files being written (removed at start-up)
    state.json             counters, recent reports, settled ids, rate limits, back-off

A report moves held -> ready inside one locked call (ready written first, then held removed;
a restart that finds both removes the held copy). It leaves the outbox only through
`remove()` (sent, or a final answer) or a counted drop (caps, age, consent off). Event ids
that were settled are remembered (bounded), so the same occurrence is never held again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crash_reporter.errors import StorageError
from crash_reporter.files import (
    NUMBER,
    DictOf,
    Faults,
    Invalid,
    ListOf,
    atomic_write,
    conform,
    fsync_dir,
    load_state,
    read_nofollow,
    real_dir,
    regular_files,
    write_json,
)

_LOGGER = logging.getLogger(__name__)

HELD_DIR = "held"
READY_DIR = "ready"
TMP_DIR = "tmp"
STATE_FILE = "state.json"
HELD_SUFFIX = ".json"
READY_SUFFIX = ".env"
FORMAT_VERSION = 1

MAX_AGE_S = 30 * 86400.0
UNREADABLE_RETRY_S = 60.0  # how often reports that could not be read are tried again
RECENT_MAX = 20  # reports shown by `status`
SETTLED_MAX = 2000  # event ids remembered as sent/dropped (never held again)
TITLE_MAX = 120

OUTCOME_SENT = "sent"
# Drop reasons (the keys of the `dropped` counters).
DROP_FULL = "outbox_full"
DROP_TOO_LARGE = "too_large"
DROP_EXPIRED = "expired"
DROP_CORRUPT = "corrupt"
DROP_CONSENT_OFF = "consent_off"
DROP_BEFORE_SEND = "before_send"
DROP_SCRUB_FAILED = "scrub_failed"
DROP_STORAGE = "storage"  # the disk refused a report for longer than memory could keep it
DROP_DISCARDED = "discarded"  # the user pressed Discard in the panel

_HEX = frozenset("0123456789abcdef")


def valid_event_id(event_id: object) -> bool:
    """True for a 32-hex-digit (lower case) Sentry event id: safe as a file name."""
    return isinstance(event_id, str) and len(event_id) == 32 and set(event_id) <= _HEX


def event_title(event: dict[str, Any]) -> str:
    """A one-line title for `status` (the event is already scrubbed)."""
    title = ""
    values = (event.get("exception") or {}).get("values") or []
    if values and isinstance(values[-1], dict):
        exc = values[-1]
        title = f"{exc.get('type') or 'Error'}: {exc.get('value') or ''}".rstrip(": ")
    if not title:
        logentry = event.get("logentry") or {}
        title = str(logentry.get("formatted") or logentry.get("message") or "")
    if not title:
        message = event.get("message")
        title = str(message.get("formatted", "") if isinstance(message, dict) else message or "")
    title = " ".join(title.split())
    return title[:TITLE_MAX] or "(no title)"


@dataclass(frozen=True, slots=True)
class HeldReport:
    """A scrubbed event on disk, waiting for consent ON and a Sentry client."""

    event_id: str
    held_at: float
    size: int
    title: str


@dataclass(frozen=True, slots=True)
class ReadyEnvelope:
    """A serialized envelope on disk, waiting for delivery."""

    event_id: str
    held_at: float
    queued_at: float
    size: int
    title: str
    categories: tuple[str, ...]


def _empty_state() -> dict[str, Any]:
    """A fresh state document."""
    return {
        "v": FORMAT_VERSION,
        "counters": {"held": 0, "sent": 0, "dropped": {}},
        "recent": [],
        "settled": {},
        "rate_limits": {},
        "backoff": {"failures": 0, "retry_at": 0.0},
        "attempts": {},
        "faults": {},
    }


# The shapes of the outbox's files (checked on load: files.load_state / files.conform).
STATE_SHAPE: dict[str, Any] = {
    "v": int,
    "counters": {"held": int, "sent": int, "dropped": DictOf(int)},
    "recent": ListOf({"event_id": str, "title": str, "held_at": NUMBER, "outcome": str,
                      "at": NUMBER}),
    "settled": DictOf(NUMBER),
    "rate_limits": DictOf(NUMBER),
    "backoff": {"failures": int, "retry_at": NUMBER},
    "attempts": DictOf({"n": int, "server_errors": int, "last_error": str, "at": NUMBER}),
    "faults": DictOf(int),
}
HELD_SHAPE: dict[str, Any] = {"held_at": NUMBER, "title": str, "event": DictOf(object)}
HELD_DEFAULTS: dict[str, Any] = {"title": ""}
READY_SHAPE: dict[str, Any] = {"held_at": NUMBER, "queued_at": NUMBER, "title": str,
                               "categories": ListOf(str)}
READY_DEFAULTS: dict[str, Any] = {"queued_at": 0.0, "title": "", "categories": []}
META_MAX_BYTES = 65536


def read_state(root: Path, faults: Faults | None = None, *,
               read_only: bool = True) -> dict[str, Any]:
    """The persisted outbox state (fresh if missing, unreadable or of the wrong shape)."""
    return load_state(root / STATE_FILE, STATE_SHAPE, _empty_state(), faults=faults,
                      area="outbox", read_only=read_only)


def _read_ready_meta(path: Path) -> tuple[dict[str, Any], int]:
    """The meta line of a ready file and the envelope's size.

    Raises OSError when it cannot be read now, Invalid/ValueError when it is bad.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise Invalid("not a regular file")
        line = fh.readline(META_MAX_BYTES)
        size = os.fstat(fh.fileno()).st_size - len(line)
    if not line.endswith(b"\n"):
        raise Invalid("no meta line")
    return conform(json.loads(line), READY_SHAPE, READY_DEFAULTS), size


def _read_held(path: Path) -> tuple[dict[str, Any], int]:
    """A held file's document and size (OSError: not now; Invalid/ValueError: bad)."""
    raw = read_nofollow(path)
    return conform(json.loads(raw), HELD_SHAPE, HELD_DEFAULTS), len(raw)


@dataclass(slots=True)
class Listing:
    """What is in an outbox directory: reports, and files unreadable now or bad."""

    held: list[HeldReport]
    ready: list[ReadyEnvelope]
    unreadable: dict[str, Path]  # event id -> file: cannot be read now (EIO, EACCES): kept
    bad: list[Path]  # content proven bad (not JSON, wrong shape, a symlink, foreign names)


def _is_bad(err: BaseException) -> bool:
    """Does this error prove a file's content bad (not just unreadable now)?"""
    return not isinstance(err, OSError) or err.errno == errno.ELOOP


def list_outbox(root: Path) -> Listing:
    """List what is in the outbox at `root`, read-only."""
    out = Listing([], [], {}, [])
    for event_id, (meta, size) in _read_all(root / READY_DIR, READY_SUFFIX, _read_ready_meta,
                                            out, skip=set()):
        out.ready.append(ReadyEnvelope(
            event_id=event_id, held_at=float(meta["held_at"]),
            queued_at=float(meta["queued_at"]), size=size, title=meta["title"],
            categories=tuple(meta["categories"]),
        ))
    # a held copy beside its envelope: killed between writing one and removing the other
    ready_ids = {r.event_id for r in out.ready}
    for event_id, (doc, size) in _read_all(root / HELD_DIR, HELD_SUFFIX, _read_held, out,
                                           skip=ready_ids):
        out.held.append(HeldReport(event_id, float(doc["held_at"]), size, doc["title"]))
    out.held.sort(key=lambda r: (r.held_at, r.event_id))
    out.ready.sort(key=lambda r: (r.held_at, r.event_id))
    return out


def _read_all(directory: Path, suffix: str,
              read: Callable[[Path], tuple[dict[str, Any], int]], out: Listing, *,
              skip: set[str]) -> Iterator[tuple[str, tuple[dict[str, Any], int]]]:
    """(event id, what `read` gives) of each readable report file in `directory`.

    A foreign name or content proven bad goes to `out.bad`; a file that cannot be read now
    to `out.unreadable` (kept); event ids in `skip` are passed over unread.
    """
    for entry in _entries_of(directory, out):
        path, event_id = Path(entry.path), entry.name.removesuffix(suffix)
        if not entry.name.endswith(suffix) or not valid_event_id(event_id):
            out.bad.append(path)
            continue
        if event_id in skip:
            continue
        try:
            yield event_id, read(path)
        except (OSError, ValueError, RecursionError) as err:
            if _is_bad(err):
                out.bad.append(path)
            else:
                out.unreadable[event_id] = path


def _entries_of(directory: Path, listing: Listing) -> list[os.DirEntry[str]]:
    """The entries of an outbox directory (anything but a regular file is bad)."""
    try:
        with os.scandir(directory) as it:
            entries = list(it)
    except OSError:
        return []
    files = []
    for entry in entries:
        if entry.is_file(follow_symlinks=False):
            files.append(entry)
        else:
            listing.bad.append(Path(entry.path))
    return files


def scan(root: Path) -> tuple[list[HeldReport], list[ReadyEnvelope]]:
    """The reports in the outbox at `root`, read-only (used by `crash-reporter status`)."""
    listing = list_outbox(root)
    return listing.held, listing.ready


class Outbox:
    """Reports on disk, bounded by count, bytes and age; counters in `state.json`."""

    def __init__(
        self,
        root: Path,
        *,
        max_reports: int,
        max_bytes: int,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.time,
        faults: Faults | None = None,
    ) -> None:
        """Prepare; nothing is read or written until the first call (lazy, in a thread).

        `faults` counts storage faults (shared with the other stores of the daemon); the
        outbox keeps the counts in its state.json for `crash-reporter status`.
        """
        self.root = Path(root)
        self.faults = Faults() if faults is None else faults
        self._fault_base: dict[str, int] = {}  # what earlier runs counted
        self._unreadable: dict[str, Path] = {}  # reports that could not be read: kept
        self._retry_unreadable_at = 0.0
        self.max_reports = max_reports
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.RLock()
        self._loaded = False
        self._held: dict[str, HeldReport] = {}
        self._ready: dict[str, ReadyEnvelope] = {}
        self._state: dict[str, Any] = _empty_state()

    # --- paths ------------------------------------------------------------------------------

    def _held_path(self, event_id: str) -> Path:
        return self.root / HELD_DIR / f"{event_id}{HELD_SUFFIX}"

    def _ready_path(self, event_id: str) -> Path:
        return self.root / READY_DIR / f"{event_id}{READY_SUFFIX}"

    @property
    def _tmp(self) -> Path:
        return self.root / TMP_DIR

    # --- loading ----------------------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        """Read the outbox once: clean temp files, drop corrupt ones, settle half moves.

        Raises StorageError when the directories cannot even be made (the caller retries).
        A report that cannot be read now (EIO, EACCES) is kept and tried again later; only
        one whose content is proven bad (not JSON, the wrong shape, a symlink) is removed.
        """
        if self._loaded:
            return
        try:
            for sub in (HELD_DIR, READY_DIR, TMP_DIR):
                real_dir(self.root / sub, self.faults)
        except OSError as err:
            self.faults.io_error("outbox", "making its directories", err)
            raise StorageError(f"outbox: {err.strerror or err}") from err
        self._state = read_state(self.root, self.faults, read_only=False)
        self._fault_base = dict(self._state["faults"])
        for entry in regular_files(self._tmp):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        listing = list_outbox(self.root)
        self._ready = {r.event_id: r for r in listing.ready}
        self._held = {h.event_id: h for h in listing.held}
        self._unreadable = listing.unreadable
        for event_id in self._ready:  # killed between writing the envelope and removing
            with contextlib.suppress(OSError):  # the held copy
                self._held_path(event_id).unlink()
        corrupt = 0
        for path in listing.bad:
            _LOGGER.warning("Outbox: removing unusable file %s", path.name)
            with contextlib.suppress(OSError):
                path.unlink()  # (a symlink: the link itself, never what it points to)
            corrupt += 1
        if self._unreadable:
            _LOGGER.warning("Outbox: %d report(s) cannot be read now; kept, tried again later",
                            len(self._unreadable))
        settled = self._state["settled"]
        for event_id in [e for e in self._ready if e in settled]:
            # Killed after the outcome was recorded but before the file was removed.
            self._unlink(event_id)
        self._loaded = True
        if corrupt:
            self._count_drop(DROP_CORRUPT, corrupt)
            self._save_state()
        self._expire()
        _LOGGER.debug("Outbox loaded: %d held, %d ready", len(self._held), len(self._ready))

    # --- state ------------------------------------------------------------------------------

    def _save_state(self) -> None:
        """Write state.json; a storage fault is counted and the write retried next time."""
        self._state["faults"] = self.faults.snapshot(self._fault_base)
        try:
            write_json(self.root / STATE_FILE, self._state, self._tmp)
        except OSError as err:
            self.faults.io_error("outbox", "writing its state", err)
        else:
            self.faults.io_ok("outbox")

    def _retry_unreadable(self) -> None:
        """Try again (at most once a minute) to read reports that could not be read."""
        now = self._clock()
        if not self._unreadable or now < self._retry_unreadable_at:
            return
        self._retry_unreadable_at = now + UNREADABLE_RETRY_S
        for event_id, path in list(self._unreadable.items()):
            try:
                if path.parent.name == READY_DIR:
                    meta, size = _read_ready_meta(path)
                    self._ready[event_id] = ReadyEnvelope(
                        event_id, float(meta["held_at"]), float(meta["queued_at"]), size,
                        meta["title"], tuple(meta["categories"]))
                else:
                    doc, size = _read_held(path)
                    self._held[event_id] = HeldReport(event_id, float(doc["held_at"]), size,
                                                      doc["title"])
            except (OSError, ValueError, RecursionError) as err:
                if not _is_bad(err):
                    continue
                with contextlib.suppress(OSError):
                    path.unlink()
                self._count_drop(DROP_CORRUPT)
                _LOGGER.warning("Outbox: removing unusable file %s", path.name)
            del self._unreadable[event_id]

    def _count_drop(self, reason: str, n: int = 1) -> None:
        dropped = self._state["counters"]["dropped"]
        dropped[reason] = int(dropped.get(reason, 0)) + n

    def _note_recent(self, event_id: str, title: str, outcome: str) -> None:
        recent: list[dict[str, Any]] = self._state["recent"]
        now = self._clock()
        for entry in recent:
            if entry.get("event_id") == event_id:
                entry["outcome"], entry["at"] = outcome, now
                return
        recent.append({"event_id": event_id, "title": title, "held_at": now,
                       "outcome": outcome, "at": now})
        del recent[:-RECENT_MAX]

    def _settle(self, event_id: str, title: str, outcome: str) -> None:
        settled: dict[str, float] = self._state["settled"]
        settled[event_id] = self._clock()
        if len(settled) > SETTLED_MAX:
            for old in sorted(settled, key=settled.__getitem__)[: len(settled) - SETTLED_MAX]:
                del settled[old]
        self._state["attempts"].pop(event_id, None)
        self._note_recent(event_id, title, outcome)

    # --- caps -------------------------------------------------------------------------------

    def _entries(self) -> list[HeldReport | ReadyEnvelope]:
        entries: list[HeldReport | ReadyEnvelope] = [*self._held.values(), *self._ready.values()]
        entries.sort(key=lambda r: (r.held_at, r.event_id))
        return entries

    def _total_bytes(self) -> int:
        return sum(r.size for r in self._held.values()) + sum(
            r.size for r in self._ready.values())

    def _unlink(self, event_id: str) -> None:
        for path in (self._held_path(event_id), self._ready_path(event_id)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as err:
                self.faults.io_error("outbox", f"removing {path.name}", err)
        self._unreadable.pop(event_id, None)
        self._held.pop(event_id, None)
        self._ready.pop(event_id, None)

    def _drop(self, entry: HeldReport | ReadyEnvelope, reason: str) -> None:
        """Remove one report and count it as dropped (the caller saves the state)."""
        self._unlink(entry.event_id)
        self._count_drop(reason)
        self._settle(entry.event_id, entry.title, f"dropped: {reason}")
        _LOGGER.warning("Report %s dropped from the outbox (%s)", entry.event_id, reason)

    def _expire(self) -> int:
        cutoff = self._clock() - self.max_age_s
        old = [e for e in self._entries() if e.held_at < cutoff]
        for entry in old:
            self._drop(entry, DROP_EXPIRED)
        if old:
            fsync_dir(self.root / HELD_DIR)
            fsync_dir(self.root / READY_DIR)
            self._save_state()
        return len(old)

    def _make_room(self, size: int, keep: str | None = None) -> None:
        """Drop the oldest reports until one more of `size` bytes fits.

        With `keep` (a report moving to the ready stage): until what is there fits, never
        dropping `keep` itself.
        """
        extra = 0 if keep else 1
        for entry in self._entries():
            if (len(self._held) + len(self._ready) + extra <= self.max_reports
                    and self._total_bytes() + size <= self.max_bytes):
                break
            if entry.event_id != keep:
                self._drop(entry, DROP_FULL)

    # --- the held stage ---------------------------------------------------------------------

    def hold(self, event: dict[str, Any]) -> bool:
        """Keep a scrubbed event on disk; False if it is not kept (see the log and counters).

        Idempotent per `event["event_id"]`: an id already in the outbox, or already settled
        (sent or dropped), is not written again. Raises StorageError when the disk refuses
        the write (the caller keeps the event and tries again later).
        """
        event_id = event.get("event_id")
        if not valid_event_id(event_id):
            _LOGGER.error("Not holding a report without a valid event_id")
            return False
        assert isinstance(event_id, str)
        now = self._clock()
        title = event_title(event)
        doc = {"v": FORMAT_VERSION, "held_at": now, "title": title, "event": event}
        data = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()
        with self._lock:
            self._ensure_loaded()
            if event_id in self._held or event_id in self._ready:
                return True
            if event_id in self._state["settled"]:
                _LOGGER.debug("Report %s was already settled: not held again", event_id)
                return False
            self._expire()
            if len(data) > self.max_bytes:
                self._count_drop(DROP_TOO_LARGE)
                self._settle(event_id, title, f"dropped: {DROP_TOO_LARGE}")
                self._save_state()
                _LOGGER.warning("Report %s dropped: %d bytes exceed the outbox (%s)",
                                event_id, len(data), DROP_TOO_LARGE)
                return False
            self._make_room(len(data))
            try:
                atomic_write(self._held_path(event_id), data, self._tmp)
            except OSError as err:
                reason = self.faults.io_error("outbox", "holding a report", err)
                raise StorageError(f"outbox: {reason}") from err
            self.faults.io_ok("outbox")
            self._held[event_id] = HeldReport(event_id, now, len(data), title)
            self._state["counters"]["held"] += 1
            self._note_recent(event_id, title, "held")
            self._save_state()
        return True

    def held(self) -> list[HeldReport]:
        """Held reports, oldest first (expired ones are dropped first)."""
        with self._lock:
            self._ensure_loaded()
            self._retry_unreadable()
            self._expire()
            return sorted(self._held.values(), key=lambda r: (r.held_at, r.event_id))

    def load_held(self, event_id: str) -> dict[str, Any] | None:
        """The held event itself (None if it is gone or cannot be read now).

        A report that cannot be read now (EIO, EACCES, ...) stays; one whose content is
        proven bad is dropped as corrupt.
        """
        with self._lock:
            self._ensure_loaded()
            if event_id not in self._held:
                return None
            path = self._held_path(event_id)
            try:
                doc, _size = _read_held(path)
            except (OSError, ValueError, RecursionError) as err:
                if not _is_bad(err):
                    assert isinstance(err, OSError)
                    self.faults.io_error("outbox", f"reading {path.name}", err)
                    return None
                self._drop(self._held[event_id], DROP_CORRUPT)
                self._save_state()
                return None
            event: dict[str, Any] = doc["event"]
            return event

    # --- the ready stage --------------------------------------------------------------------

    def put_envelope(self, event_id: str, data: bytes, categories: Iterable[str]) -> bool:
        """Move a held report to the ready stage as the envelope sentry-sdk built.

        Refused (False) unless the report is held: an envelope for anything that was not
        held, or was purged meanwhile (consent off), is never kept.
        """
        with self._lock:
            self._ensure_loaded()
            held = self._held.get(event_id)
            if held is None:
                _LOGGER.debug("Envelope %s refused: the report is not held", event_id)
                return False
            now = self._clock()
            cats = tuple(sorted(set(categories)))
            meta = {"v": FORMAT_VERSION, "held_at": held.held_at, "queued_at": now,
                    "title": held.title, "categories": list(cats)}
            line = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode() + b"\n"
            try:
                atomic_write(self._ready_path(event_id), line + data, self._tmp)
            except OSError as err:  # stays held; captured again on the next drain
                self.faults.io_error("outbox", "writing an envelope", err)
                return False
            self._ready[event_id] = ReadyEnvelope(event_id, held.held_at, now, len(data),
                                                  held.title, cats)
            del self._held[event_id]
            with contextlib.suppress(FileNotFoundError):
                self._held_path(event_id).unlink()
            fsync_dir(self.root / HELD_DIR)
            self._note_recent(event_id, held.title, "ready")
            self._make_room(0, keep=event_id)
            self._save_state()
        return True

    def ready(self) -> list[ReadyEnvelope]:
        """Envelopes waiting for delivery, oldest first (expired ones are dropped first)."""
        with self._lock:
            self._ensure_loaded()
            self._retry_unreadable()
            self._expire()
            return sorted(self._ready.values(), key=lambda r: (r.held_at, r.event_id))

    def read_envelope(self, event_id: str) -> bytes | None:
        """The envelope bytes of a ready report (None if it is gone)."""
        with self._lock:
            self._ensure_loaded()
            if event_id not in self._ready:
                return None
            try:
                raw = read_nofollow(self._ready_path(event_id), self.max_bytes + META_MAX_BYTES)
            except (OSError, Invalid) as err:  # (kept: a bad one fails at Sentry, final)
                if isinstance(err, OSError):
                    self.faults.io_error("outbox", "reading an envelope", err)
                return None
            _, _, data = raw.partition(b"\n")
            return data

    # --- leaving the outbox -----------------------------------------------------------------

    def remove(self, event_id: str, outcome: str) -> bool:
        """Settle a report: `outcome` is "sent" or a drop reason (e.g. "http_413").

        The outcome is recorded (state written) before the file goes, so a kill in between
        only leaves a file the next start removes without sending it again.
        """
        with self._lock:
            self._ensure_loaded()
            entry = self._held.get(event_id) or self._ready.get(event_id)
            if entry is None:
                return False
            if outcome == OUTCOME_SENT:
                self._state["counters"]["sent"] += 1
                self._settle(event_id, entry.title, OUTCOME_SENT)
            else:
                self._count_drop(outcome)
                self._settle(event_id, entry.title, f"dropped: {outcome}")
                _LOGGER.warning("Report %s dropped (%s)", event_id, outcome)
            self._save_state()
            self._unlink(event_id)
            fsync_dir(self.root / HELD_DIR)
            fsync_dir(self.root / READY_DIR)
        return True

    def count_drop(self, reason: str) -> None:
        """Count a report dropped before it reached the outbox (e.g. the scrubber failed)."""
        with self._lock:
            self._ensure_loaded()
            self._count_drop(reason)
            self._save_state()

    def purge(self, reason: str = DROP_CONSENT_OFF) -> int:
        """Delete every report at once (consent OFF); return how many there were."""
        with self._lock:
            self._ensure_loaded()
            entries = self._entries()
            for entry in entries:
                self._unlink(entry.event_id)
                self._count_drop(reason)
                self._settle(entry.event_id, entry.title, f"deleted: {reason}")
            for sub in (HELD_DIR, READY_DIR, TMP_DIR):  # regular files only: never through
                for file in regular_files(self.root / sub):  # a symlink out of the data dir
                    try:
                        os.unlink(file.path)
                    except FileNotFoundError:
                        pass
                    except OSError as err:
                        self.faults.io_error("outbox", "deleting reports", err)
                fsync_dir(self.root / sub)
            self._unreadable.clear()
            self._state["attempts"] = {}
            self._save_state()
        if entries:
            _LOGGER.info("Outbox purged (%s): %d report(s) deleted", reason, len(entries))
        return len(entries)

    # --- delivery bookkeeping (used by send.py) ---------------------------------------------

    def rate_limits(self) -> dict[str, float]:
        """Category ("" = all) -> epoch until which nothing of it may be sent."""
        with self._lock:
            self._ensure_loaded()
            return {str(k): float(v) for k, v in self._state["rate_limits"].items()}

    def set_rate_limits(self, limits: dict[str, float]) -> None:
        """Persist the rate limits (expired ones are left out)."""
        now = self._clock()
        with self._lock:
            self._ensure_loaded()
            self._state["rate_limits"] = {k: v for k, v in limits.items() if v > now}
            self._save_state()

    def backoff(self) -> tuple[int, float]:
        """(consecutive failures, epoch before which no send is tried)."""
        with self._lock:
            self._ensure_loaded()
            doc = self._state["backoff"]
            return int(doc.get("failures", 0)), float(doc.get("retry_at", 0.0))

    def set_backoff(self, failures: int, retry_at: float) -> None:
        """Persist the back-off after a failure (or its reset after a success)."""
        with self._lock:
            self._ensure_loaded()
            if self._state["backoff"] == {"failures": failures, "retry_at": retry_at}:
                return
            self._state["backoff"] = {"failures": failures, "retry_at": retry_at}
            self._save_state()

    def note_attempt(self, event_id: str, error: str, *, server_error: bool) -> int:
        """Record a failed attempt; return how many server errors this report has seen."""
        with self._lock:
            self._ensure_loaded()
            entry = self._state["attempts"].setdefault(
                event_id, {"n": 0, "server_errors": 0, "last_error": "", "at": 0.0})
            entry["n"] += 1
            entry["server_errors"] += int(server_error)
            entry["last_error"], entry["at"] = error, self._clock()
            self._save_state()
            return int(entry["server_errors"])

    def attempts(self, event_id: str) -> int:
        """How many failed attempts this report has seen."""
        with self._lock:
            self._ensure_loaded()
            return int(self._state["attempts"].get(event_id, {}).get("n", 0))

    # --- status -----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts and sizes for `status` and the tests."""
        with self._lock:
            self._ensure_loaded()
            entries = self._entries()
            counters = self._state["counters"]
            return {
                "held": len(self._held),
                "ready": len(self._ready),
                "pending": len(entries),
                "bytes": self._total_bytes(),
                "oldest": entries[0].held_at if entries else None,
                "held_total": int(counters["held"]),
                "sent": int(counters["sent"]),
                "dropped": dict(counters["dropped"]),
                "rate_limits": dict(self._state["rate_limits"]),
                "recent": [dict(r) for r in self._state["recent"]],
                "unreadable": len(self._unreadable),
                "faults": self.faults.snapshot(self._fault_base),
            }
