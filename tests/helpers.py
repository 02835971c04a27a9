"""Helpers shared by the detector tests: run one detector per process over sample lines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from crash_reporter.detect import Detector
from crash_reporter.models import Crash, LogBatch, LogLine
from crash_reporter.sources.log_format import read_log_lines
from crash_reporter.sources.logs import default_streams

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
STREAMS = {stream.name: stream for stream in default_streams()}  # the app's log streams
TRUTH: dict[str, Any] = json.loads((SAMPLES / "ground_truth.json").read_text())


def run_per_process(factory: Callable[[], Detector], lines: Iterable[LogLine]) -> list[Crash]:
    """Feed `lines` to one detector per (identifier, pid), like incidents.LogCrashes."""
    dets: dict[tuple[str | None, int | None], Detector] = {}
    out: list[Crash] = []
    for line in lines:
        key = (line.identifier, line.pid)
        det = dets.get(key)
        if det is None:
            det = dets[key] = factory()
        out += det.feed(line)
    for det in dets.values():
        out += det.flush()
    return out


def run_sample(factory: Callable[[], Detector], name: str) -> list[Crash]:
    """Run a detector per process over one shared sample file."""
    with (SAMPLES / name).open("rb") as stream:
        return run_per_process(factory, read_log_lines(stream))


def part_unavailable(part: str, require_env: str, reason: str) -> NoReturn:
    """Skip a test for lack of a real part, or fail it when `require_env`=1 (as CI sets)."""
    message = f"real {part} unavailable: {reason}"
    if os.environ.get(require_env) == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# Lines of a LogBatch taken from a queue but not yet handed out by `take`.
_LEFT: weakref.WeakKeyDictionary[asyncio.Queue[Any], deque[Any]] = weakref.WeakKeyDictionary()


async def _next(queue: asyncio.Queue[Any]) -> Any:
    """The next item of `queue`, the lines of a LogBatch one by one."""
    left = _LEFT.setdefault(queue, deque())
    while not left:
        item = await queue.get()
        if not isinstance(item, LogBatch):
            return item
        left.extend(item.lines)
    return left.popleft()


async def take(queue: asyncio.Queue[Any], count: int, timeout_s: float = 10.0) -> list[Any]:
    """The next `count` items of `queue` (fails the test if they do not come in time).

    A LogBatch (a follower's record) counts as its lines, handed out one by one.
    """
    items: list[Any] = []
    async with asyncio.timeout(timeout_s):
        while len(items) < count:
            items.append(await _next(queue))
    return items


async def quiet(queue: asyncio.Queue[Any], for_s: float = 0.3) -> list[Any]:
    """Whatever arrives on `queue` within `for_s` (expected: nothing); batches as lines."""
    items: list[Any] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(for_s):
            while True:
                items.append(await _next(queue))
    return items


@contextlib.asynccontextmanager
async def running(coro: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """Run `coro` as a task for the block; cancel it (and collect its outcome) afterwards."""
    task = asyncio.create_task(coro)
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
