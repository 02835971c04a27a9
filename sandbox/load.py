"""Log lines for the benches: ordinary lines and crashes, stamped now, each crash distinct.

Every crash of index `i` has its own signature (a function named after `i`), so flood
control reports each one instead of folding them into one loop, as distinct crashes of a
real host would be. The lines are in the verbose form the logs API serves (one journal
entry per line, like a container's stdout; a core dump is one multi-line MESSAGE), for
`SupervisorStandIn.append`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "samples"
HOST = "homeassistant-kitchen"
RED, RESET = "\x1b[31m", "\x1b[0m"


def stamp(at: float | None = None) -> str:
    """A verbose line's time (UTC, milliseconds)."""
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).strftime(
        "%Y-%m-%d %H:%M:%S.%f")[:23]


def _prefixed(identifier: str, pid: int | None, lines: list[str], at: float | None) -> list[str]:
    when = stamp(at)
    who = f"{identifier}[{pid}]" if pid is not None else identifier
    return [f"{when} {HOST} {who}: {line}" for line in lines]


def python_traceback(i: int, pid: int = 287, at: float | None = None) -> list[str]:
    """A traceback the Supervisor logs at ERROR (colorlog: red, reset at the end)."""
    when = stamp(at)
    return _prefixed("hassio_supervisor", pid, [
        f"{RED}{when} ERROR (MainThread) [supervisor.jobs.task_{i}] Task {i} failed",
        "Traceback (most recent call last):",
        f'  File "/usr/src/supervisor/supervisor/jobs/task_{i}.py", line 42, in run_{i}',
        "    await self._apply(config)",
        f'  File "/usr/src/supervisor/supervisor/jobs/task_{i}.py", line 88, in _apply',
        "    value = config['key']",
        f"KeyError: 'key'{RESET}",
    ], at)


def go_panic(i: int, pid: int = 4242, at: float | None = None) -> list[str]:
    """OS-Agent's Go panic, one stdout line per journal entry."""
    return _prefixed("os-agent", pid, [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4b7c3a]",
        "",
        "goroutine 1 [running]:",
        f"github.com/home-assistant/os-agent/datadisk.(*datadisk).Step{i}(0x0)",
        "\tgithub.com/home-assistant/os-agent/datadisk/datadisk.go:88 +0x1a",
        "main.main()",
        "\tgithub.com/home-assistant/os-agent/main.go:70 +0x31f",
    ], at)


def coredump(comm: str, pid: int, signal: str = "11/SEGV", at: float | None = None) -> list[str]:
    """systemd-coredump's two messages; the second holds the stack trace (multi-line)."""
    return [
        *_prefixed("systemd-coredump", 2399, [
            f"Process {pid} ({comm}) of user 0 terminated abnormally with signal {signal}, "
            "processing..."], at),
        *_prefixed("systemd-coredump", 2399, [f"Process {pid} ({comm}) of user 0 dumped core."],
                   at),
        "",
        f"Stack trace of thread {pid}:",
        "#0  0x00007f4cd185fad8 __strlen_evex (libc.so.6 + 0x167ad8)",
        f"#1  0x0000561d3262c25b {comm}_main (/usr/bin/{comm} + 0x125b)",
        "#2  0x00007f4cd171f24a __libc_start_call_main (libc.so.6 + 0x2724a)",
        "ELF object binary architecture: AMD x86-64",
    ]


def _noise() -> list[str]:
    """The message part (after the prefix) of the ordinary Supervisor lines of the samples."""
    out = []
    for line in (SAMPLES / "noise_only.log").read_text("utf-8").splitlines():
        head, sep, message = line.partition("]: ")
        if sep and "hassio_supervisor" in head:
            out.append(message)
    return out


def noise(count: int, seed: int = 7) -> Iterator[str]:
    """`count` ordinary Supervisor log lines, stamped now."""
    messages = _noise()
    rng = random.Random(seed)
    for _ in range(count):
        yield from _prefixed("hassio_supervisor", 287, [rng.choice(messages)], None)
