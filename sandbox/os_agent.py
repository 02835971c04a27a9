"""A stand-in for OS-Agent on D-Bus: ``io.hass.os`` at ``/io/hass/os`` on a bus of your choice.

    agent = OsAgentStandIn("unix:path=/tmp/x/bus")
    await agent.start()                 # NameOwnerChanged("io.hass.os", "", ":1.N")
    await agent.set_diagnostics(True)   # what the Supervisor does: PropertiesChanged(True)
    await agent.stop()                  # NameOwnerChanged("io.hass.os", ":1.N", "")
    assert agent.external_sets == 0     # nobody else wrote Diagnostics

Like the real OS-Agent (home-assistant/os-agent, see /work/shared/reference/dbus.md), the
object exports the interface ``io.hass.os`` with the read-only ``Version`` (s) and the
read-write ``Diagnostics`` (b), whose every write emits PropertiesChanged with the new value.
The bus policy lets any client write ``Diagnostics``; such writes are applied (as the real
service does) and counted in `external_sets`, because the app under test must only read it.
OS-Agent keeps the value in memory only: every `start` begins with `initial_diagnostics`.
"""

from __future__ import annotations

import asyncio
import contextlib

from dbus_fast import BusType, Message, NameFlag, RequestNameReply
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusBool, DBusStr
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_property

BUS_NAME = "io.hass.os"
OBJECT_PATH = "/io/hass/os"
INTERFACE = "io.hass.os"
DEFAULT_VERSION = "1.6.0"
CONNECT_TIMEOUT_S = 10.0


class OsAgentInterface(ServiceInterface):
    """The ``io.hass.os`` interface of the ``/io/hass/os`` object."""

    def __init__(self, version: str, diagnostics: bool) -> None:
        """Export `version`; `diagnostics` is the value held in memory."""
        super().__init__(INTERFACE)
        self._version = version
        self.diagnostics = diagnostics
        self.external_sets = 0

    @dbus_property(access=PropertyAccess.READ)
    def Version(self) -> DBusStr:
        """OS-Agent's version."""
        return self._version

    @dbus_property()
    def Diagnostics(self) -> DBusBool:
        """The diagnostics opt-in as the Supervisor last pushed it."""
        return self.diagnostics

    @Diagnostics.setter  # type: ignore[no-redef]
    def Diagnostics(self, value: DBusBool) -> None:
        """A write by another bus client (counted: the app must never do this)."""
        self.external_sets += 1
        self.change_diagnostics(value)

    def change_diagnostics(self, value: bool) -> None:
        """Hold `value` and emit PropertiesChanged with it (on every write, like godbus)."""
        self.diagnostics = bool(value)
        self.emit_properties_changed({"Diagnostics": self.diagnostics})


class OsAgentStandIn:
    """OS-Agent on the bus at `address` (None: the system bus)."""

    def __init__(
        self,
        address: str | None,
        *,
        version: str = DEFAULT_VERSION,
        initial_diagnostics: bool = False,
    ) -> None:
        """Prepare (nothing is connected before `start`)."""
        self.address = address
        self.version = version
        self.initial_diagnostics = initial_diagnostics
        self.starts = 0
        self._external_sets = 0  # writes seen by earlier runs (the interface is per run)
        self._bus: MessageBus | None = None
        self._interface: OsAgentInterface | None = None

    @property
    def running(self) -> bool:
        """True while connected and owning ``io.hass.os``."""
        return self._bus is not None and self._bus.connected

    @property
    def unique_name(self) -> str | None:
        """The connection's unique bus name (``:1.N``) while running."""
        return self._bus.unique_name if self._bus is not None else None

    @property
    def diagnostics(self) -> bool:
        """The value OS-Agent holds now."""
        if self._interface is None:
            return self.initial_diagnostics
        return self._interface.diagnostics

    @property
    def external_sets(self) -> int:
        """How many times another bus client wrote ``Diagnostics`` (over every run)."""
        current = self._interface.external_sets if self._interface is not None else 0
        return self._external_sets + current

    async def start(self) -> None:
        """Connect, export ``/io/hass/os`` and take the name ``io.hass.os``."""
        if self.running:
            return
        if self.address:
            bus = MessageBus(bus_address=self.address)
        else:
            bus = MessageBus(bus_type=BusType.SYSTEM)
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await bus.connect()
        interface = OsAgentInterface(self.version, self.initial_diagnostics)
        bus.export(OBJECT_PATH, interface)
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                reply = await bus.request_name(BUS_NAME, NameFlag.DO_NOT_QUEUE)
        except BaseException:
            bus.disconnect()
            raise
        if reply is not RequestNameReply.PRIMARY_OWNER:
            bus.disconnect()
            raise RuntimeError(f"{BUS_NAME} is already owned on {self.address}: {reply!r}")
        self._bus, self._interface = bus, interface
        self.starts += 1

    async def stop(self) -> None:
        """Release ``io.hass.os`` and disconnect (NameOwnerChanged to "")."""
        bus, interface = self._bus, self._interface
        if bus is None or interface is None:
            return
        self._external_sets += interface.external_sets
        self._bus = self._interface = None
        if bus.connected:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    await bus.release_name(BUS_NAME)
            bus.unexport(OBJECT_PATH, interface)
            bus.disconnect()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]

    async def set_diagnostics(self, value: bool) -> None:
        """Write ``Diagnostics`` the way the Supervisor does (emits PropertiesChanged)."""
        if self._interface is None or self._bus is None:
            raise RuntimeError("OS-Agent stand-in is not running")
        self._interface.change_diagnostics(value)
        # A round trip to the bus daemon: the signal has left when this returns.
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await self._bus.call(Message(
                destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus", member="GetId",
            ))

    async def __aenter__(self) -> OsAgentStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
