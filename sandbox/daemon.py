"""The real daemon (`python -m crash_reporter run`) as a child process, for the demo and tests.

    env = daemon_env(supervisor, data_dir, systemd.address, dsn)
    daemon = Daemon(env)
    await daemon.start()
    await daemon.wait_for("consent is ON", 10)
    took = await daemon.stop()  # SIGTERM; seconds until it exited

Its log (stdout and stderr) is kept line by line in `lines` and, with `echo`, printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
from pathlib import Path

import aiohttp

from sandbox.supervisor_api import SupervisorStandIn

ROOT = Path(__file__).resolve().parent.parent
LINE_MAX = 220  # echoed lines are shortened; `lines` keeps them whole


def shorten(line: str, limit: int = LINE_MAX) -> str:
    """The line, or its first words up to `limit` and how much was left out (never mid-word)."""
    if len(line) <= limit:
        return line
    cut = line.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    return f"{line[:cut].rstrip()} ... ({len(line) - cut} more characters)"


def daemon_env(supervisor: SupervisorStandIn, data_dir: Path, dbus_address: str,
               dsn: str | None, *, panel_peer: str | None = None) -> dict[str, str]:
    """The environment the daemon runs in: this one, minus any CRASH_REPORTER_* of ours.

    Its panel listens on a free port (see `Daemon.panel_port`) and answers only
    `panel_peer` (the ingress stand-in's address; default: the real proxy's, so nobody here).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRASH_REPORTER_")}
    env.update({
        "SUPERVISOR_URL": supervisor.url,
        "SUPERVISOR_TOKEN": supervisor.token,
        "CRASH_REPORTER_DATA_DIR": str(data_dir),
        "CRASH_REPORTER_DBUS_ADDRESS": dbus_address,
        "PYTHONUNBUFFERED": "1",
        "CRASH_REPORTER_PANEL_PORT": "0",
    })
    if panel_peer:
        env["CRASH_REPORTER_PANEL_PEER"] = panel_peer
    if dsn:
        env["CRASH_REPORTER_DSN"] = dsn
    return env


async def set_diagnostics(supervisor: SupervisorStandIn, value: bool) -> None:
    """The user flips the switch: the frontend POSTs /supervisor/options."""
    async with aiohttp.ClientSession() as session, session.post(
        f"{supervisor.url}/supervisor/options", json={"diagnostics": value},
        headers={"Authorization": f"Bearer {supervisor.token}"},
    ) as resp:
        resp.raise_for_status()


class Daemon:
    """The real daemon as a child process; its log is kept (and echoed if asked)."""

    def __init__(self, env: dict[str, str], *, echo: bool = False) -> None:
        """Prepare to run `python -m crash_reporter run` with `env`."""
        self._env = env
        self._echo = echo
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._new_line = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the daemon and read its log."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "crash_reporter", "run",
            env=self._env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        """Keep every log line; echo it shortened if asked."""
        assert self.proc is not None and self.proc.stdout is not None
        while raw := await self.proc.stdout.readline():
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines.append(line)
            if self._echo:
                shown = shorten(line)
                print(f"    daemon | {shown}", flush=True)
            self._new_line.set()

    async def wait_for(self, needle: str, timeout_s: float, start: int = 0) -> str | None:
        """The first log line (from index `start`) containing `needle`, or None after a wait."""
        deadline = time.monotonic() + timeout_s
        while True:
            for line in self.lines[start:]:
                if needle in line:
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.proc is not None and self.proc.returncode is not None):
                return None
            self._new_line.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.5)):
                    await self._new_line.wait()

    async def panel_port(self, timeout_s: float = 10.0) -> int | None:
        """The port the daemon's panel listens on (from its log), None if it did not say."""
        line = await self.wait_for("Panel listening on port", timeout_s)
        match = re.search(r"Panel listening on port (\d+)", line or "")
        return int(match[1]) if match else None

    async def stop(self) -> float:
        """SIGTERM; return how long the clean shutdown took (seconds)."""
        if self.proc is None or self.proc.returncode is not None:
            return 0.0
        started = time.monotonic()
        self.proc.terminate()
        try:
            async with asyncio.timeout(10):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
        return time.monotonic() - started
