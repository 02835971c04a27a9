"""What /proc tells about a running process, for the benches (Linux only).

`rss_mb` (resident memory now), `cpu_s` (user + system CPU seconds so far, every thread),
`wakeups` (voluntary context switches so far, summed over every thread), `threads`.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _status(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def rss_mb(pid: int) -> float:
    """Resident set size in MB (10^6 bytes)."""
    return int(_status(Path(f"/proc/{pid}/status"))["VmRSS"].split()[0]) * 1024 / 1e6


def threads(pid: int) -> int:
    """Number of threads."""
    return int(_status(Path(f"/proc/{pid}/status"))["Threads"])


def wakeups(pid: int) -> int:
    """Voluntary context switches of every thread so far (each is a sleep that ended)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int(_status(task / "status")["voluntary_ctxt_switches"])
        except (OSError, KeyError, ValueError):
            continue  # a thread that just ended
    return total


def cpu_s(pid: int) -> float:
    """User + system CPU time of the process (all threads) in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (children, their children, ...)."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent_of[int(entry.name)] = int(fields[1])
    found: list[int] = []
    wanted = {pid}
    while True:
        new = [p for p, parent in parent_of.items() if parent in wanted and p not in found]
        if not new:
            return found
        found += new
        wanted = set(new)


def tree_rss_mb(pid: int) -> float:
    """RSS of `pid`'s descendants together (MB); processes that ended meanwhile count 0."""
    total = 0.0
    for child in children(pid):
        try:
            total += rss_mb(child)
        except (OSError, KeyError):
            continue
    return total
