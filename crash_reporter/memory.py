"""Hand memory freed by a burst of work back to the system once the daemon is quiet again.

A catch-up or a flood of crashes leaves the C heap holding pages that were freed, and glibc
gives back only the part above the last block still in use. `AfterBurst.work()` is called
for each piece of work (cheap: a time stamp); one timer, armed only while work happens, runs
glibc's `malloc_trim` once nothing happened for `quiet_s` (bench/footprint.py: about 0.6 MB
after 100 crashes). It is looked up (ctypes, 0.2 MB) when the first burst ends; where it is
absent (musl, Alpine's libc, returns freed memory itself) nothing is armed again. An idle
daemon has no timer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)
QUIET_S = 2.0  # no work for this long ends a burst


def find_malloc_trim() -> Callable[[int], int] | None:
    """The C library's malloc_trim (glibc), or None where it has none (musl)."""
    import ctypes  # noqa: PLC0415 - 0.2 MB an idle daemon does not need

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


class AfterBurst:
    """Trim the C heap once, `quiet_s` after the last `work()` of a burst."""

    def __init__(self, quiet_s: float = QUIET_S,
                 find: Callable[[], Callable[[int], int] | None] = find_malloc_trim,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`find` gives the trim function at the end of the first burst (None: never again)."""
        self._quiet_s = quiet_s
        self._find: Callable[[], Callable[[int], int] | None] | None = find
        self._trim: Callable[[int], int] | None = None
        self._clock = clock
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self.trims = 0  # bursts ended with a trim (for tests)

    def work(self) -> None:
        """Note work done now (call on the event loop)."""
        if self._trim is None and self._find is None:  # no malloc_trim here
            return
        self._last = self._clock()
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._quiet_s, self._check)

    def _check(self) -> None:
        self._timer = None
        left = self._last + self._quiet_s - self._clock()
        if left > 0:  # more work came: look again when it may have ended
            self._timer = asyncio.get_running_loop().call_later(left, self._check)
            return
        if self._find is not None:
            self._trim, self._find = self._find(), None
        if self._trim is None:
            return
        self._trim(0)  # a few ms: it walks the free lists once
        self.trims += 1
        _LOGGER.debug("Quiet after a burst: freed heap memory handed back")

    def close(self) -> None:
        """Disarm the timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
