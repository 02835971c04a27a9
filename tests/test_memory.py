"""After a burst of work the C heap is trimmed once; an idle daemon arms no timer."""

from __future__ import annotations

import asyncio
import platform

from crash_reporter.memory import AfterBurst, find_malloc_trim


class Trim:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, pad: int) -> int:
        self.calls += 1
        return 1


async def test_one_trim_once_the_burst_is_over() -> None:
    trim = Trim()
    after = AfterBurst(quiet_s=0.05, find=lambda: trim)
    for _ in range(5):  # a burst: each piece of work postpones the end
        after.work()
        await asyncio.sleep(0.02)
    assert trim.calls == 0
    await asyncio.sleep(0.15)
    assert trim.calls == 1
    await asyncio.sleep(0.1)  # quiet again: nothing more, and no timer left
    assert trim.calls == 1 and after._timer is None
    after.work()
    await asyncio.sleep(0.15)
    assert trim.calls == 2


async def test_closed_before_the_end_trims_nothing() -> None:
    trim = Trim()
    after = AfterBurst(quiet_s=0.05, find=lambda: trim)
    after.work()
    after.close()
    await asyncio.sleep(0.1)
    assert trim.calls == 0


async def test_without_malloc_trim_nothing_is_armed_after_the_first_burst() -> None:
    looked_up: list[bool] = []

    def find() -> None:  # as on musl
        looked_up.append(True)

    after = AfterBurst(quiet_s=0.01, find=find)
    after.work()
    await asyncio.sleep(0.05)
    assert looked_up == [True] and after.trims == 0
    after.work()
    assert after._timer is None


def test_glibc_has_malloc_trim() -> None:
    assert platform.libc_ver()[0] == "glibc"  # (CI's Debian; Alpine's musl has none)
    trim = find_malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)
