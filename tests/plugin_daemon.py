"""The real daemon among real parts, for end-to-end tests (and its `log` fixture).

- `log` (function): every message the daemon logs (`crash_reporter.*`, DEBUG and up), with
  `await log.wait_for(needle, count, timeout_s)`.
- `parts(systemd, tmp_path, diagnostics=...)`: the Sentry receiver (counts connections),
  OS-Agent's stand-in on the real systemd's bus, and the Supervisor API stand-in whose
  `POST /supervisor/options` flips OS-Agent's `Diagnostics` as the real Supervisor does.
- `daemon(parts, log, dsn=None)`: `App` running in this process until the block ends.
- `session` (function): an aiohttp client session; `sup` (function): a Supervisor API
  stand-in with diagnostics on.
- `crash_loop(systemd)`: `haos-agent.service` really crashes (SIGSEGV) until systemd gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crash_reporter.app import App
from crash_reporter.config import load_config
from crash_reporter.const import ENV_DATA_DIR, ENV_DBUS_ADDRESS, ENV_DSN, ENV_PANEL_PORT
from sandbox.os_agent import OsAgentStandIn
from sandbox.receiver import Receiver
from sandbox.supervisor_api import SupervisorStandIn
from sandbox.systemd import SystemdUserManager

AGENT = "haos-agent.service"
SEGV_LOOP = "sleep 0.2; kill -SEGV $$"  # crashes after 0.2 s; Restart=on-failure, burst 3
TITLE = "haos-agent.service crashed: SIGSEGV"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client session for the test."""
    timeout = aiohttp.ClientTimeout(total=None, connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as client:
        yield client


@pytest.fixture
async def sup() -> AsyncIterator[SupervisorStandIn]:
    """The Supervisor API stand-in, diagnostics on, listening for the test."""
    async with SupervisorStandIn(diagnostics=True) as stand_in:
        yield stand_in


class LogWatch(logging.Handler):
    """Every message the daemon logs (crash_reporter.*), for waiting on what it says."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def count(self, needle: str) -> int:
        return sum(needle in m for m in self.messages)

    async def wait_for(self, needle: str, count: int = 1, timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.count(needle) < count:
            if time.monotonic() > deadline:
                tail = "\n".join(self.messages[-15:])
                raise AssertionError(f"daemon never logged {needle!r} x{count}; last:\n{tail}")
            await asyncio.sleep(0.05)


@pytest.fixture
def log() -> Iterator[LogWatch]:
    watch = LogWatch()
    logger = logging.getLogger("crash_reporter")
    old_level = logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.DEBUG)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.setLevel(old_level)


@dataclass
class Parts:
    systemd: SystemdUserManager
    supervisor: SupervisorStandIn
    os_agent: OsAgentStandIn
    sentry: Receiver
    data_dir: Path


@contextlib.asynccontextmanager
async def parts(systemd: SystemdUserManager, tmp_path: Path, *, diagnostics: bool | None,
                supported: bool = True) -> AsyncIterator[Parts]:
    async with Receiver() as sentry, OsAgentStandIn(
            systemd.address, initial_diagnostics=bool(diagnostics)) as os_agent:
        supervisor = SupervisorStandIn(diagnostics=diagnostics, supported=supported,
                                       on_diagnostics=os_agent.set_diagnostics)
        async with supervisor:
            yield Parts(systemd, supervisor, os_agent, sentry, tmp_path / "data")


@contextlib.asynccontextmanager
async def daemon(p: Parts, log: LogWatch, dsn: str | None = None) -> AsyncIterator[App]:
    """The daemon, running until the block ends (then cancelled, as SIGTERM does).

    It sends to the receiver, or to `dsn` if given (a Bugsink project's).
    """
    config = load_config({
        "SUPERVISOR_URL": p.supervisor.url, "SUPERVISOR_TOKEN": p.supervisor.token,
        ENV_DATA_DIR: str(p.data_dir), ENV_DBUS_ADDRESS: p.systemd.address,
        ENV_DSN: dsn or p.sentry.dsn, ENV_PANEL_PORT: "0",
    })
    app = App(config)
    task = asyncio.create_task(app.run())
    try:
        await log.wait_for("Watching over D-Bus")
        await log.wait_for("Diagnostics consent is")
        yield app
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def crash_loop(systemd: SystemdUserManager) -> None:
    """haos-agent.service crashes (SIGSEGV) until systemd gives up: 4 crashes, then failed."""
    with contextlib.suppress(Exception):
        await asyncio.to_thread(systemd.reset_failed, AGENT)
    await asyncio.to_thread(systemd.run_unit, AGENT, SEGV_LOOP, restart="on-failure",
                            restart_sec=0.1, start_limit_burst=3)
    await asyncio.to_thread(systemd.wait_unit_property, AGENT, "ActiveState", "failed")


def outbox_files(p: Parts) -> list[Path]:
    return sorted(f for f in (p.data_dir / "outbox").rglob("*") if f.is_file()
                  and not f.name.startswith("state"))


def event_of(sentry: Receiver, index: int = 0) -> dict[str, Any]:
    event = sentry.envelopes[index].event()
    assert event is not None
    return event


