"""The queue between the sources and the intake, bounded in log lines rather than records.

Log followers put one `LogBatch` per HTTP chunk (up to a few thousand lines), the D-Bus
watchers one record per signal. Counting a batch as its number of lines keeps what waits on
the queue bounded in memory: a follower waits while `max_lines` lines are queued, so at most
`max_lines` plus one chunk's lines are ever held.
"""

from __future__ import annotations

import asyncio

from crash_reporter.models import LogBatch

MAX_QUEUED_LINES = 2048  # under 1 MB of queued LogLines (plus one chunk): a replay needs no more


def _weight(record: object) -> int:
    """What one record counts for: its lines for a LogBatch, else 1."""
    return len(record.lines) if isinstance(record, LogBatch) else 1


class RecordQueue(asyncio.Queue[object]):
    """A FIFO whose size (`qsize`, and so `full`) is the number of log lines it holds."""

    def __init__(self, max_lines: int = MAX_QUEUED_LINES) -> None:
        """Hold at most `max_lines` lines (a batch is admitted while fewer are queued)."""
        self._lines = 0
        super().__init__(max_lines)

    def _put(self, item: object) -> None:
        super()._put(item)
        self._lines += _weight(item)

    def _get(self) -> object:
        item = super()._get()
        self._lines -= _weight(item)
        return item

    def qsize(self) -> int:
        """Lines (and other records) waiting."""
        return self._lines
