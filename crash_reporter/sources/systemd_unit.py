"""Watch systemd service units over D-Bus: every state and exit change as a UnitState record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from dbus_fast import Message

from crash_reporter.const import (
    DBUS_IFACE_PROPERTIES,
    DBUS_IFACE_SYSTEMD_MANAGER,
    DBUS_IFACE_SYSTEMD_SERVICE,
    DBUS_IFACE_SYSTEMD_UNIT,
    DBUS_NAME_SYSTEMD,
    DBUS_OBJECT_SYSTEMD,
    DBUS_OBJECT_SYSTEMD_UNITS,
    DBUS_SIGNAL_JOB_REMOVED,
    DBUS_SIGNAL_PROPERTIES_CHANGED,
)
from crash_reporter.models import UnitJobEnded, UnitState
from crash_reporter.sources.bus import BusClient, Record

_LOGGER = logging.getLogger(__name__)

_INTERFACES = (DBUS_IFACE_SYSTEMD_UNIT, DBUS_IFACE_SYSTEMD_SERVICE)
_UNSET = object()
MAX_PATH_MATCHES = 128  # watched units matched by object path; more share one namespace rule
# The properties a UnitState is built from (both interfaces); the cache keeps only these.
USED_PROPERTIES = frozenset({
    "ActiveState", "SubState", "LoadState", "InvocationID",  # Unit
    "Result", "ExecMainCode", "ExecMainStatus", "ExecMainPID", "NRestarts",  # Service
    "ExecMainExitTimestamp",
})


class SystemdUnits:
    """The systemd manager's view of a fixed set of service units."""

    name = "systemd units"
    peer = DBUS_NAME_SYSTEMD

    def __init__(self, units: Sequence[str], *, clock: Callable[[], float] = time.time) -> None:
        """Watch `units` (names like `haos-agent.service`)."""
        self._units = tuple(dict.fromkeys(units))
        self._clock = clock
        self._paths: dict[str, str] = {}  # object path -> unit name
        self._props: dict[str, dict[str, Any]] = {}  # unit -> merged properties

    @property
    def units(self) -> tuple[str, ...]:
        """The watched unit names."""
        return self._units

    async def attach(self, bus: BusClient) -> list[Record]:
        """Match the units' signals, Subscribe (per connection), and snapshot every unit.

        The PropertiesChanged match names each watched unit's object path, so the bus daemon
        drops the signals of every other unit before they reach this process (systemd sends
        a burst for every unit that starts or stops). Beyond MAX_PATH_MATCHES units (the bus
        allows 512 rules per connection) one rule for the whole unit namespace is used.
        """
        narrow = len(self._units) <= MAX_PATH_MATCHES
        if not narrow:
            await bus.add_match(_properties_rule(f"path_namespace='{DBUS_OBJECT_SYSTEMD_UNITS}'"))
        await bus.add_match(
            f"type='signal',sender='{DBUS_NAME_SYSTEMD}',interface='{DBUS_IFACE_SYSTEMD_MANAGER}',"
            f"member='{DBUS_SIGNAL_JOB_REMOVED}'"
        )
        await bus.call(DBUS_NAME_SYSTEMD, DBUS_OBJECT_SYSTEMD, DBUS_IFACE_SYSTEMD_MANAGER,
                       "Subscribe")
        self._paths.clear()
        records: list[Record] = []
        for unit in self._units:
            body = await bus.call(DBUS_NAME_SYSTEMD, DBUS_OBJECT_SYSTEMD,
                                  DBUS_IFACE_SYSTEMD_MANAGER, "LoadUnit", "s", [unit])
            path = str(body[0])
            self._paths[path] = unit
            if narrow:  # before the snapshot: a change after it is never missed
                await bus.add_match(_properties_rule(f"path='{path}'"))
            props: dict[str, Any] = {}
            for iface in _INTERFACES:
                props.update(await _get_all(bus, path, iface))
            self._props[unit] = props
            records.append(self._snapshot(unit))
        _LOGGER.info("Watching units: %s", ", ".join(self._units))
        return records

    def wants(self, msg: Message) -> bool:
        """PropertiesChanged of a watched unit, or any JobRemoved."""
        if msg.member == DBUS_SIGNAL_PROPERTIES_CHANGED:
            return msg.interface == DBUS_IFACE_PROPERTIES and msg.path in self._paths
        return msg.member == DBUS_SIGNAL_JOB_REMOVED and msg.interface == DBUS_IFACE_SYSTEMD_MANAGER

    def handle_now(self, msg: Message) -> list[Record] | None:
        """`handle` when the signal invalidates no used property (no call needed), else None."""
        if msg.member == DBUS_SIGNAL_JOB_REMOVED:
            _job_id, _job_path, unit, result = msg.body
            if unit in self._units:
                return [UnitJobEnded(unit=str(unit), result=str(result), timestamp=self._clock())]
            return []
        iface, changed, invalidated = msg.body
        if iface not in _INTERFACES:
            return []
        if not USED_PROPERTIES.isdisjoint(invalidated):
            return None
        unit = self._paths[msg.path or ""]
        return self._merge(unit, self._props.setdefault(unit, {}), changed, new=False)

    async def handle(self, bus: BusClient, msg: Message) -> list[Record]:
        """Merge a property change into the cache and emit the unit's new state.

        A signal that changes nothing a UnitState uses is no new state: no record.

        systemd invalidates some properties in every PropertiesChanged (Service: the Exec*
        command lists; Unit: Conditions, Asserts), none of which a UnitState uses. Only an
        invalidated property that IS used makes a GetAll worth its cost, and its answer is
        the state NOW (possibly already restarted), so the signal's own values go on top.
        """
        records = self.handle_now(msg)
        if records is not None:
            return records
        path = msg.path or ""
        unit = self._paths[path]
        iface, changed, _invalidated = msg.body
        props = self._props.setdefault(unit, {})
        fresh = await _get_all(bus, path, str(iface))
        new = any(props.get(k, _UNSET) != v for k, v in fresh.items())
        props.update(fresh)
        return self._merge(unit, props, changed, new=new)

    def _merge(self, unit: str, props: dict[str, Any], changed: dict[str, Any], *,
               new: bool) -> list[Record]:
        """Put a signal's used values into `props`; the unit's state if anything changed."""
        # systemd sends every property of the interface (~100): look up the few used ones
        get = changed.get
        for key in USED_PROPERTIES:
            variant = get(key)
            if variant is not None:
                value = variant.value
                if props.get(key, _UNSET) != value:
                    props[key] = value
                    new = True
        # systemd resends every property on any change (a new Description): no new state
        return [self._snapshot(unit)] if new else []

    def _snapshot(self, unit: str) -> UnitState:
        """Build a UnitState from the cached properties."""
        p = self._props.get(unit, {})
        invocation = p.get("InvocationID", b"")
        return UnitState(
            unit=unit,
            active_state=str(p.get("ActiveState", "")),
            sub_state=str(p.get("SubState", "")),
            result=str(p.get("Result", "")),
            exec_main_code=_int(p.get("ExecMainCode")),
            exec_main_status=_int(p.get("ExecMainStatus")),
            exec_main_pid=_int(p.get("ExecMainPID")),
            n_restarts=_int(p.get("NRestarts")),
            invocation_id=bytes(invocation).hex() if isinstance(invocation, bytes | list) else "",
            exec_main_exit_us=_int(p.get("ExecMainExitTimestamp")),
            load_state=str(p.get("LoadState", "")),
            timestamp=self._clock(),
        )


def _properties_rule(where: str) -> str:
    """A match rule for systemd's PropertiesChanged signals on the objects `where` selects."""
    return (f"type='signal',sender='{DBUS_NAME_SYSTEMD}',interface='{DBUS_IFACE_PROPERTIES}',"
            f"member='{DBUS_SIGNAL_PROPERTIES_CHANGED}',{where}")


async def _get_all(bus: BusClient, path: str, iface: str) -> dict[str, Any]:
    """Properties.GetAll as plain values (only the properties a UnitState uses)."""
    body = await bus.call(DBUS_NAME_SYSTEMD, path, DBUS_IFACE_PROPERTIES, "GetAll", "s", [iface])
    return {str(k): v.value for k, v in dict(body[0]).items() if k in USED_PROPERTIES}


def _int(value: object) -> int:
    """An integer property value, 0 when absent or of another type."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
