"""Durable small files: atomic writes, state files validated on load, storage faults.

Every piece of state the app keeps (outbox, flood counters, consent, log positions) goes
through here, so a kill -9 at any moment leaves either the old or the new file, never half;
a state file of the wrong shape is set aside (`load_state`) instead of stopping the app; no
read follows a symlink (`read_nofollow`), no directory of the data dir is one (`real_dir`);
and a full disk, EIO, EACCES or a read-only file system is one logged episode with counts
(`Faults`), never an exception out of the daemon.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import logging
import math
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

_LOGGER = logging.getLogger(__name__)


def atomic_write(path: Path, data: bytes, tmp_dir: Path | None = None) -> None:
    """Write `data` to `path` atomically: temp file in `tmp_dir`, fsync, rename, fsync dir."""
    tmp_dir = path.parent if tmp_dir is None else tmp_dir
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json(path: Path, doc: object, tmp_dir: Path | None = None) -> None:
    """Serialize `doc` compactly (sorted keys) and write it atomically."""
    data = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()
    atomic_write(path, data, tmp_dir)


# ---------------------------------------------------------------------------------------
# Faults: a full disk, EIO, EACCES, a read-only file system, a bad state file
# ---------------------------------------------------------------------------------------


class Faults:
    """Storage faults of one daemon: logged once per episode, counted by reason.

    An episode of an `area` (outbox, flood, consent, cursors) starts with its first failing
    operation (logged as a warning with the reason, e.g. ENOSPC) and ends with its next
    successful write (logged at INFO); in between, failures are only counted. Counts are
    keyed `io:<ERRNO NAME>` and `set_aside`; the outbox keeps them in its state.json so
    `crash-reporter status` shows them (`base` is what an earlier run counted).
    """

    def __init__(self) -> None:
        """No faults yet."""
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self._failing: dict[str, str] = {}  # area -> reason of the running episode

    def count(self, key: str, n: int = 1) -> None:
        """Count one fault under `key`."""
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def io_error(self, area: str, what: str, err: OSError) -> str:
        """An OSError while `what` in `area`: count it, log it if it starts an episode."""
        reason = errno.errorcode.get(err.errno or 0, type(err).__name__)
        self.count(f"io:{reason}")
        with self._lock:
            new = area not in self._failing
            self._failing[area] = reason
        if new:
            _LOGGER.warning("Storage fault in the %s (%s: %s while %s): carrying on and "
                            "retrying; further failures are counted (crash-reporter status)",
                            area, reason, os.strerror(err.errno) if err.errno else err, what)
        return reason

    def io_ok(self, area: str) -> None:
        """A write in `area` succeeded: its episode (if any) is over."""
        if area not in self._failing:
            return
        with self._lock:
            reason = self._failing.pop(area, None)
        if reason is not None:
            _LOGGER.info("Storage in the %s works again (after %s)", area, reason)

    def failing(self, area: str) -> bool:
        """Is an episode of `area` running?"""
        return area in self._failing

    def snapshot(self, base: dict[str, int] | None = None) -> dict[str, int]:
        """The counts, plus `base` (an earlier run's)."""
        out = dict(base or {})
        with self._lock:
            for key, n in self.counts.items():
                out[key] = out.get(key, 0) + n
        return out


# ---------------------------------------------------------------------------------------
# State files: validated on load, in one place
# ---------------------------------------------------------------------------------------

STATE_MAX_BYTES: Final = 16 << 20  # a state file this big is not ours
SET_ASIDE_SUFFIX: Final = ".bad"


class Invalid(ValueError):
    """A document does not have the shape it must have."""


@dataclass(frozen=True, slots=True)
class DictOf:
    """A JSON object with any keys whose values all have `shape`."""

    shape: Any


@dataclass(frozen=True, slots=True)
class ListOf:
    """A JSON array whose items all have `shape`."""

    shape: Any


@dataclass(frozen=True, slots=True)
class Opt:
    """`shape` or null."""

    shape: Any


NUMBER: Final = float  # an int or a finite float (never a bool)
ANY: Final = object


def conform(doc: Any, shape: Any, default: Any = None) -> Any:
    """`doc` checked against `shape`, missing record keys filled from `default`.

    `shape` is a type (int, float = any finite number, str, bool, object = anything), a
    dict (a record: each key listed must be there, or in `default`, and is checked; other
    keys are kept as they are),
    DictOf, ListOf or Opt. Raises Invalid with where and what is wrong.
    """
    if isinstance(shape, dict):
        if not isinstance(doc, dict):
            raise Invalid(f"expected an object, not {type(doc).__name__}")
        defaults = default if isinstance(default, dict) else {}
        out = dict(doc)
        for key, sub in shape.items():
            if key in doc:
                try:
                    out[key] = conform(doc[key], sub, defaults.get(key))
                except Invalid as err:
                    raise Invalid(f"{key}: {err}") from None
            elif key in defaults:
                out[key] = copy.deepcopy(defaults[key])
            else:
                raise Invalid(f"{key} is missing")
        return out
    if isinstance(shape, DictOf):
        if not isinstance(doc, dict):
            raise Invalid(f"expected an object, not {type(doc).__name__}")
        return {str(k): conform(v, shape.shape) for k, v in doc.items()}
    if isinstance(shape, ListOf):
        if not isinstance(doc, list):
            raise Invalid(f"expected a list, not {type(doc).__name__}")
        return [conform(v, shape.shape) for v in doc]
    if isinstance(shape, Opt):
        return None if doc is None else conform(doc, shape.shape)
    if shape is object:
        return doc
    if shape is float:
        if isinstance(doc, bool) or not isinstance(doc, int | float) or (
                isinstance(doc, float) and not math.isfinite(doc)):
            raise Invalid(f"expected a number, not {doc!r:.40}")
        return doc
    if shape is int and isinstance(doc, bool):
        raise Invalid("expected an integer, not a boolean")
    if not isinstance(doc, shape):
        raise Invalid(f"expected {shape.__name__}, not {type(doc).__name__}")
    return doc


def read_nofollow(path: Path, limit: int = STATE_MAX_BYTES) -> bytes:
    """The bytes of a regular file, never through a symlink (OSError ELOOP), at most `limit`.

    Raises OSError (ENOENT, EIO, EACCES, ELOOP, ...) and Invalid (not a regular file, too
    big).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Invalid("not a regular file")
        if info.st_size > limit:
            raise Invalid(f"{info.st_size} bytes (at most {limit})")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise Invalid(f"more than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def set_aside(path: Path, why: str, faults: Faults | None) -> None:
    """Rename a bad file to `<name>.bad` (one slot: the last bad one is kept) and count it."""
    try:
        os.replace(path, path.with_name(path.name + SET_ASIDE_SUFFIX))
    except OSError as err:  # cannot rename (read-only, ...): leave it, it is ignored anyway
        _LOGGER.debug("Cannot set %s aside: %s", path, err)
    if faults is not None:
        faults.count("set_aside")
    _LOGGER.warning("State file %s is unusable (%s): set aside as %s%s, starting afresh",
                    path, why, path.name, SET_ASIDE_SUFFIX)


def load_state(path: Path, shape: dict[str, Any], fresh: dict[str, Any], *,
               faults: Faults | None = None, area: str = "state",
               read_only: bool = False) -> dict[str, Any]:
    """The state document at `path`, checked against `shape` (missing keys from `fresh`).

    Every state file of the app is loaded through here. Missing: `fresh`. Unreadable now
    (EIO, EACCES, ...): `fresh`, the file left alone, the fault counted. Not JSON, the wrong
    shape, a symlink or not a regular file: set aside (renamed, counted, logged) and
    `fresh` (`read_only`, for `crash-reporter status`: only ignored).
    """
    try:
        raw = read_nofollow(path)
        doc = conform(json.loads(raw), shape, fresh)
    except FileNotFoundError:
        return copy.deepcopy(fresh)
    except OSError as err:
        if err.errno != errno.ELOOP:
            if faults is not None and not read_only:
                faults.io_error(area, f"reading {path.name}", err)
            return copy.deepcopy(fresh)
        why = "a symbolic link"
    except (ValueError, RecursionError) as err:  # Invalid, JSON, UTF-8, huge numbers
        why = str(err)[:200] or type(err).__name__
    else:
        return doc  # type: ignore[no-any-return]
    if not read_only:
        set_aside(path, why, faults)
    return copy.deepcopy(fresh)


def real_dir(path: Path, faults: Faults | None = None) -> None:
    """Make `path` a real directory: a symlink (or a file) in its place is set aside first.

    (A data dir entry must never lead out of the data dir: purging a symlinked `tmp/` would
    delete whatever it points to.)
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        path.mkdir(parents=True, exist_ok=True)
        return
    if stat.S_ISDIR(info.st_mode):
        return
    set_aside(path, "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a directory",
              faults)
    if os.path.lexists(path):  # could not be renamed: remove the link itself (not its target)
        os.unlink(path)
    path.mkdir(parents=True, exist_ok=True)


def regular_files(directory: Path) -> list[os.DirEntry[str]]:
    """The regular files directly in `directory` (symlinks and others are never listed)."""
    try:
        with os.scandir(directory) as entries:
            return [e for e in entries if e.is_file(follow_symlinks=False)]
    except OSError:  # missing or unreadable now: nothing to list
        return []
