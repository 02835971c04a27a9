"""OS-Agent on the system bus: its presence and its Diagnostics property (read, never written)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from dbus_fast import Message

from crash_reporter.const import (
    DBUS_IFACE_DBUS,
    DBUS_IFACE_OS_AGENT,
    DBUS_IFACE_PROPERTIES,
    DBUS_NAME_DBUS,
    DBUS_NAME_OS_AGENT,
    DBUS_OBJECT_OS_AGENT,
    DBUS_SIGNAL_NAME_OWNER_CHANGED,
    DBUS_SIGNAL_PROPERTIES_CHANGED,
)
from crash_reporter.models import BusNameChange, ConsentTrigger
from crash_reporter.sources.bus import BusClient, Record

_LOGGER = logging.getLogger(__name__)


class OsAgent:
    """Presence of `io.hass.os` and changes of its Diagnostics property.

    The property only triggers a re-read of the Supervisor API: OS-Agent forgets it on
    restart, so it is never the answer. This class has no way to set it.
    """

    name = "OS-Agent"
    peer = DBUS_NAME_OS_AGENT

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        """Start with OS-Agent's presence unknown."""
        self._clock = clock
        self.present: bool | None = None

    async def attach(self, bus: BusClient) -> list[Record]:
        """Match its owner changes and property changes; report whether it is there now."""
        await bus.add_match(
            f"type='signal',sender='{DBUS_NAME_DBUS}',interface='{DBUS_IFACE_DBUS}',"
            f"member='{DBUS_SIGNAL_NAME_OWNER_CHANGED}',arg0='{DBUS_NAME_OS_AGENT}'"
        )
        await bus.add_match(
            f"type='signal',interface='{DBUS_IFACE_PROPERTIES}',"
            f"member='{DBUS_SIGNAL_PROPERTIES_CHANGED}',path='{DBUS_OBJECT_OS_AGENT}',"
            f"arg0='{DBUS_IFACE_OS_AGENT}'"
        )
        self.present = await bus.name_has_owner(DBUS_NAME_OS_AGENT)
        if not self.present:
            _LOGGER.warning(
                "OS-Agent (%s) is not on the bus: its Diagnostics changes cannot trigger a "
                "consent re-read until it appears (consent is still re-read periodically)",
                DBUS_NAME_OS_AGENT,
            )
        return [
            BusNameChange(name=DBUS_NAME_OS_AGENT, present=self.present, timestamp=self._clock()),
            ConsentTrigger(source="D-Bus connected"),
        ]

    def wants(self, msg: Message) -> bool:
        """NameOwnerChanged for io.hass.os, or PropertiesChanged on /io/hass/os."""
        if msg.member == DBUS_SIGNAL_NAME_OWNER_CHANGED:
            return msg.interface == DBUS_IFACE_DBUS and bool(msg.body) and (
                msg.body[0] == DBUS_NAME_OS_AGENT
            )
        return (
            msg.member == DBUS_SIGNAL_PROPERTIES_CHANGED
            and msg.path == DBUS_OBJECT_OS_AGENT
            and msg.interface == DBUS_IFACE_PROPERTIES
        )

    async def handle(self, bus: BusClient, msg: Message) -> list[Record]:
        """Turn the signal into a presence change or a consent trigger (no call needed)."""
        return self.handle_now(msg)

    def handle_now(self, msg: Message) -> list[Record]:
        """Turn the signal into a presence change or a consent trigger."""
        now = self._clock()
        if msg.member == DBUS_SIGNAL_NAME_OWNER_CHANGED:
            _name, _old, new = msg.body
            present = bool(new)
            if present == self.present:
                return []
            self.present = present
            _LOGGER.info("OS-Agent %s the bus", "joined" if present else "left")
            records: list[Record] = [BusNameChange(DBUS_NAME_OS_AGENT, present, now)]
            if present:
                records.append(ConsentTrigger(source="OS-Agent appeared"))
            return records
        iface, changed, _invalidated = msg.body
        if iface != DBUS_IFACE_OS_AGENT or "Diagnostics" not in changed:
            return []
        value = changed["Diagnostics"].value
        return [ConsentTrigger(source="OS-Agent Diagnostics changed",
                               value=value if isinstance(value, bool) else None)]
