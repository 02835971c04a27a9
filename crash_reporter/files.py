"""Durable small files: atomic writes (write, fsync, rename, fsync dir) and tolerant JSON reads.

Every piece of state the app keeps (outbox, flood counters, consent, log positions) goes
through here, so a kill -9 at any moment leaves either the old or the new file, never half.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Any


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


def read_json_state(path: Path, defaults: dict[str, Any]) -> dict[str, Any]:
    """`defaults` updated with each key of the JSON object at `path` whose type matches.

    A missing, unreadable or malformed file gives the defaults: state files must never stop
    the app from starting.
    """
    state = dict(defaults)
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return state
    if isinstance(doc, dict):
        for key, default in defaults.items():
            if isinstance(doc.get(key), type(default)):
                state[key] = doc[key]
    return state
