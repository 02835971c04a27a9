"""ON/OFF/UNKNOWN: the diagnostics opt-in, checked at intake and right before every send.

The Supervisor API is the only source of truth (contracts.md). OS-Agent's D-Bus
`Diagnostics` property, a timer and every send merely trigger a re-read. Every change of
state is logged once and written to `state/consent.json` for `crash-reporter status`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from crash_reporter.files import NUMBER, Faults, Opt, load_state, write_json
from crash_reporter.models import Consent

_LOGGER = logging.getLogger(__name__)

CONSENT_FILE = "consent.json"
CONSENT_SHAPE: dict[str, object] = {"state": str, "reason": str, "read_at": Opt(NUMBER),
                                    "on_since": Opt(NUMBER)}


def read_consent_file(path: Path, faults: Faults | None = None, *,
                      read_only: bool = True) -> dict[str, Any]:
    """The saved consent (state "" when there is none)."""
    return load_state(path, CONSENT_SHAPE,
                      {"state": "", "reason": "", "read_at": None, "on_since": None},
                      faults=faults, area="consent state", read_only=read_only)

ChangeListener = Callable[[Consent, Consent], Awaitable[None]]


class ConsentReader(Protocol):
    """Something that can ask for the opt-in (the Supervisor API client)."""

    async def read_consent(self) -> tuple[Consent, str]:
        """Return the state and a short reason."""


class ConsentGate:
    """The current consent state, re-read on demand; listeners hear every change."""

    def __init__(
        self,
        reader: ConsentReader,
        state_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        faults: Faults | None = None,
    ) -> None:
        """Start UNKNOWN until the first read."""
        self._faults = Faults() if faults is None else faults
        self._reader = reader
        self._state_file = state_dir / CONSENT_FILE
        self._clock = clock
        self._state = Consent.UNKNOWN
        self._reason = "not read yet"
        saved = read_consent_file(self._state_file, self._faults, read_only=False)
        # The last definite answer of an earlier run: an opt-in seen now after an OFF then
        # starts a new ON period, and nothing that happened before it is ever kept.
        self._last_definite = (Consent(saved["state"]) if saved["state"] in ("on", "off")
                               else None)
        self.on_since: float | None = saved["on_since"] or None
        self._read_at: float | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[ChangeListener] = []
        self._changed = asyncio.Event()

    @property
    def state(self) -> Consent:
        """The state as last read (UNKNOWN before the first read)."""
        return self._state

    @property
    def read_at(self) -> float | None:
        """When the state was last read (None before the first read)."""
        return self._read_at

    @property
    def reason(self) -> str:
        """Why the state is what it is."""
        return self._reason

    def add_listener(self, listener: ChangeListener) -> None:
        """Call `listener(old, new)` after every change of state, in order."""
        self._listeners.append(listener)

    async def refresh(self, trigger: str) -> Consent:
        """Re-read the opt-in now; on a change, log it once and tell the listeners."""
        async with self._lock:
            state, reason = await self._reader.read_consent()
            old, first = self._state, self._read_at is None
            self._state, self._reason, self._read_at = state, reason, self._clock()
            if state is not Consent.UNKNOWN:
                if state is Consent.ON and self._last_definite is Consent.OFF:
                    self.on_since = self._read_at
                self._last_definite = state
            await asyncio.to_thread(self._persist)
            if state is old and not first:
                _LOGGER.debug("Consent still %s (%s; trigger: %s)", state, reason, trigger)
                return state
            if state is Consent.UNKNOWN:
                _LOGGER.warning(
                    "Diagnostics consent is UNKNOWN (%s): nothing is sent; reports wait on "
                    "this device until the Supervisor answers", reason,
                )
            else:
                _LOGGER.info(
                    "Diagnostics consent is %s (%s; trigger: %s)", state.name, reason, trigger
                )
            if state is old:  # the first answer, UNKNOWN as before it: said, not a change
                return state
            for listener in self._listeners:
                await listener(old, state)
            self._changed.set()
            self._changed = asyncio.Event()
            return state

    def allows_keeping(self, occurred_at: float) -> bool:
        """False for a crash that happened before the latest opt-in (it was seen while OFF)."""
        return self.on_since is None or occurred_at >= self.on_since

    async def current(self, max_age_s: float) -> Consent:
        """The state, re-read first if the last read is older than `max_age_s`."""
        if self._read_at is None or self._clock() - self._read_at > max_age_s:
            return await self.refresh("stale")
        return self._state

    async def wait_changed(self) -> None:
        """Wait for the next change of state."""
        await self._changed.wait()

    async def allows_sending(self) -> bool:
        """Re-read right before a send; True only while ON."""
        return await self.refresh("before send") is Consent.ON

    def _persist(self) -> None:
        """Write the state for `crash-reporter status` and the next start (errors only logged)."""
        doc = {"state": self._state.value, "reason": self._reason, "read_at": self._read_at,
               "on_since": self.on_since}
        try:
            write_json(self._state_file, doc)
        except OSError as err:
            self._faults.io_error("consent state", f"writing {self._state_file.name}", err)
        else:
            self._faults.io_ok("consent state")
