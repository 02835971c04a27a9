"""Connect to the system D-Bus, reconnect with backoff, and re-attach every watcher.

One `BusSession` owns one dbus-fast connection at a time. Each watcher (systemd units,
OS-Agent) attaches its match rules and subscriptions to every new connection, and turns the
messages it cares about into records. Messages are handled one at a time, in bus order, so a
NameOwnerChanged and the unit signals of the same crash keep their order: a message is
handled at once in dbus-fast's reader callback when nothing waits before it and its watcher
needs no call (`handle_now`; most signals), else it waits its turn in the inbox.

Only the service a watcher watches may speak for it: any process on the system bus can emit
a PropertiesChanged on systemd's object paths, or send one straight to our connection, so a
signal is taken only from the bus itself or from the current owner of the watcher's `peer`
name (tracked through NameOwnerChanged: systemd's unique name changes on re-exec).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Any, Protocol

from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus
from dbus_fast.errors import DBusError

from crash_reporter.const import (
    DBUS_CALL_TIMEOUT_S,
    DBUS_IFACE_DBUS,
    DBUS_NAME_DBUS,
    DBUS_OBJECT_DBUS,
    DBUS_RECONNECT_MAX_S,
    DBUS_RECONNECT_MIN_S,
    DBUS_SIGNAL_NAME_OWNER_CHANGED,
)
from crash_reporter.errors import BusGone, SourceError

_LOGGER = logging.getLogger(__name__)

INBOX_MAX = 10_000  # signals waiting to be handled; beyond this they are dropped and counted

Record = object  # any frozen record of crash_reporter.models


class BusWatcher(Protocol):
    """One remote service watched over the bus."""

    name: str
    peer: str  # the well-known bus name whose owner sends this watcher's signals

    async def attach(self, bus: BusClient) -> list[Record]:
        """Add match rules and subscriptions on a new connection; return first records."""

    def wants(self, msg: Message) -> bool:
        """Cheap filter run in dbus-fast's reader: is this message for this watcher?"""

    def handle_now(self, msg: Message) -> list[Record] | None:
        """Turn one message into records without waiting; None when that needs a call."""

    async def handle(self, bus: BusClient, msg: Message) -> list[Record]:
        """Turn one message into records (may make calls, e.g. to re-read properties)."""


class BusClient:
    """A connected bus with bounded, timed calls that raise only our errors."""

    def __init__(self, bus: MessageBus) -> None:
        """Wrap a connected dbus-fast MessageBus."""
        self.bus = bus

    async def call(  # noqa: PLR0917 - mirrors a D-Bus method call's fields
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: Sequence[Any] = (),
    ) -> list[Any]:
        """Call a method and return the reply body; errors become SourceError/BusGone."""
        msg = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=list(body),
        )
        try:
            async with asyncio.timeout(DBUS_CALL_TIMEOUT_S):
                reply = await self.bus.call(msg)
        except TimeoutError as err:
            raise SourceError(f"{interface}.{member}: no reply in {DBUS_CALL_TIMEOUT_S} s") from err
        except (EOFError, OSError) as err:
            raise BusGone(f"{interface}.{member}: {err}") from err
        except DBusError as err:
            raise SourceError(f"{interface}.{member}: {err.type}: {err.text}") from err
        if reply is None:
            raise BusGone(f"{interface}.{member}: connection closed")
        if reply.message_type is MessageType.ERROR:
            text = reply.body[0] if reply.body else ""
            raise SourceError(f"{interface}.{member}: {reply.error_name}: {text}")
        return list(reply.body)

    async def add_match(self, rule: str) -> None:
        """Add a match rule and wait for the bus to confirm it (a real round trip)."""
        await self.call(DBUS_NAME_DBUS, DBUS_OBJECT_DBUS, DBUS_IFACE_DBUS, "AddMatch", "s", [rule])

    async def name_owner(self, name: str) -> str | None:
        """The unique name owning `name` now, None if nobody does."""
        try:
            body = await self.call(
                DBUS_NAME_DBUS, DBUS_OBJECT_DBUS, DBUS_IFACE_DBUS, "GetNameOwner", "s", [name]
            )
        except SourceError:  # org.freedesktop.DBus.Error.NameHasNoOwner
            return None
        return str(body[0]) if body else None

    async def name_has_owner(self, name: str) -> bool:
        """Is `name` currently owned on the bus?"""
        body = await self.call(
            DBUS_NAME_DBUS, DBUS_OBJECT_DBUS, DBUS_IFACE_DBUS, "NameHasOwner", "s", [name]
        )
        return bool(body and body[0])


class BusSession:
    """Keep one connection up and feed every watcher's records to the pipeline."""

    def __init__(self, address: str | None, watchers: Sequence[BusWatcher]) -> None:
        """Connect to `address` (None: the system bus) for `watchers`."""
        self._address = address
        self._watchers = list(watchers)
        # (message, watchers still to handle it, records already made of it)
        self._inbox: asyncio.Queue[tuple[Message, list[BusWatcher], list[Record]]] = (
            asyncio.Queue(INBOX_MAX))
        self._out: asyncio.Queue[Record] | None = None  # set while handling at once is allowed
        self._busy = False  # the dispatcher is handling a message (a later one must wait)
        self.dropped_messages = 0
        self.untrusted_messages = 0  # signals for a watcher from someone else than its peer
        self.connections = 0
        self._owners: dict[str, str | None] = {}
        self.connected = asyncio.Event()

    async def run(self, out: asyncio.Queue[Record]) -> None:
        """Connect, attach and handle messages; on loss back off and start again (forever).

        A connection that fails, or whose watchers cannot attach (systemd not on the bus
        yet), is one failed attempt of an episode: the first is a WARNING, the rest DEBUG,
        each retry later than the last (up to DBUS_RECONNECT_MAX_S). The episode ends once
        every watcher is attached; losing that connection starts the next one.
        """
        delay = DBUS_RECONNECT_MIN_S
        failures = 0
        while True:
            try:
                bus = await self._connect()
            except SourceError as err:
                failures += 1
                delay = await self._back_off("D-Bus unavailable", err, delay, failures)
                continue
            client = BusClient(bus)
            lost: BaseException | None = None
            watched = False
            try:
                await self._serve(client, out)
            except* (BusGone, SourceError, EOFError, OSError) as group:
                lost = group.exceptions[0]
            finally:
                watched = self.connected.is_set()
                self.connected.clear()
                bus.remove_message_handler(self._on_message)
                bus.disconnect()
            if watched:  # it was watching: a loss starts a new episode
                _LOGGER.warning("D-Bus connection lost (%s); reconnecting", lost)
                failures, delay = 0, DBUS_RECONNECT_MIN_S
                await asyncio.sleep(delay)
            else:  # attaching failed (e.g. systemd not on the bus yet): same episode
                failures += 1
                delay = await self._back_off("D-Bus watchers cannot attach", lost, delay,
                                             failures)

    @staticmethod
    async def _back_off(what: str, err: BaseException | None, delay: float,
                        failures: int) -> float:
        """Log a failed attempt (WARNING once per episode), sleep with jitter; next delay."""
        log = _LOGGER.warning if failures == 1 else _LOGGER.debug
        log("%s (%s); retry in %.1f s (attempt %d; further attempts are logged at DEBUG)"
            if failures == 1 else "%s (%s); retry in %.1f s (attempt %d)",
            what, err, delay, failures)
        await asyncio.sleep(delay * (0.5 + random.random()))  # jitter
        return min(delay * 2, DBUS_RECONNECT_MAX_S)

    async def _connect(self) -> MessageBus:
        """Open a new connection (never reuse a dead one)."""
        if self._address:
            bus = MessageBus(bus_address=self._address)
        else:
            bus = MessageBus(bus_type=BusType.SYSTEM)
        try:
            async with asyncio.timeout(DBUS_CALL_TIMEOUT_S):
                await bus.connect()
        except (OSError, EOFError, TimeoutError, DBusError, ValueError) as err:
            raise SourceError(f"{type(err).__name__}: {err}") from err
        self.connections += 1
        return bus

    async def _serve(self, client: BusClient, out: asyncio.Queue[Record]) -> None:
        """Attach every watcher, then handle messages until the connection dies."""
        self._inbox = asyncio.Queue(INBOX_MAX)
        self._out, self._busy = None, False
        self._owners = {}
        client.bus.add_message_handler(self._on_message)
        for peer in dict.fromkeys(w.peer for w in self._watchers):
            await client.add_match(
                f"type='signal',sender='{DBUS_NAME_DBUS}',interface='{DBUS_IFACE_DBUS}',"
                f"member='{DBUS_SIGNAL_NAME_OWNER_CHANGED}',arg0='{peer}'"
            )
            self._owners.setdefault(peer, await client.name_owner(peer))
        for watcher in self._watchers:
            for record in await watcher.attach(client):
                await out.put(record)
        self.connected.set()
        _LOGGER.info(
            "Watching over D-Bus: %s", ", ".join(w.name for w in self._watchers) or "nothing"
        )
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._until_disconnect(client.bus), name="dbus-disconnect")
            tg.create_task(self._dispatch(client, out), name="dbus-dispatch")

    @staticmethod
    async def _until_disconnect(bus: MessageBus) -> None:
        """Return only by raising BusGone once the connection is closed."""
        try:
            await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]
        except Exception as err:  # dbus-fast raises whatever closed the socket
            raise BusGone(f"{type(err).__name__}: {err}") from err
        raise BusGone("disconnected")

    async def _dispatch(self, client: BusClient, out: asyncio.Queue[Record]) -> None:
        """Handle queued messages in order (each by the watchers that wanted it).

        From here on a message that finds nothing waiting is handled in the reader callback
        (`_on_message`); the queue keeps the order of the rest.
        """
        self._out = out
        try:
            while True:
                msg, wanted, ready = await self._inbox.get()
                self._busy = True
                for record in ready:
                    await out.put(record)
                for watcher in wanted:
                    try:
                        records = await watcher.handle(client, msg)
                    except BusGone:
                        raise
                    except SourceError as err:
                        _LOGGER.warning("%s: %s", watcher.name, err)
                        continue
                    except _MALFORMED as err:
                        _skipped(watcher, msg, err)
                        continue
                    for record in records:
                        await out.put(record)
                self._busy = False
        finally:
            self._out, self._busy = None, False

    def _handle_now(self, msg: Message, wanted: list[BusWatcher],
                    out: asyncio.Queue[Record]) -> bool:
        """Handle `msg` in the reader callback if it can be (nothing waits before it).

        Returns False when it must wait in the inbox instead; what was made of it by then
        waits with it, so the order of records never changes.
        """
        if self._busy or self._inbox.qsize() or out.full():
            return False
        if len(wanted) == 1:  # (the common case, without the loop's bookkeeping)
            try:
                records = wanted[0].handle_now(msg)
            except _MALFORMED as err:
                _skipped(wanted[0], msg, err)
                return True
            if records is None:
                self._inbox.put_nowait((msg, wanted, []))
                return True
            if records:
                self._put_now(msg, records, out)
            return True
        made: list[Record] = []
        for i, watcher in enumerate(wanted):
            try:
                records = watcher.handle_now(msg)
            except _MALFORMED as err:
                _skipped(watcher, msg, err)
                continue
            if records is None:  # it needs a call: the dispatcher finishes this message
                self._inbox.put_nowait((msg, wanted[i:], made))
                return True
            made += records
        self._put_now(msg, made, out)
        return True

    def _put_now(self, msg: Message, records: list[Record], out: asyncio.Queue[Record]) -> None:
        """Put records made at once; those without room wait in the inbox, in order."""
        for i, record in enumerate(records):
            try:
                out.put_nowait(record)
            except asyncio.QueueFull:  # the rest wait for room, in the dispatcher
                self._inbox.put_nowait((msg, [], records[i:]))
                return

    def _note_owner(self, msg: Message) -> None:
        """Follow the owner of a peer name (in bus order, before any later signal is judged)."""
        body = msg.body
        if (msg.signature == "sss" and body[0] in self._owners):
            self._owners[body[0]] = body[2] or None

    def _on_message(self, msg: Message) -> None:
        """dbus-fast's reader callback: queue signals some watcher wants. Returns None."""
        if msg.message_type is not MessageType.SIGNAL:
            return
        from_bus = msg.sender == DBUS_NAME_DBUS
        if from_bus and msg.member == DBUS_SIGNAL_NAME_OWNER_CHANGED:
            self._note_owner(msg)
        wanted = [w for w in self._watchers if w.wants(msg)]
        if not wanted:
            return
        sender = msg.sender
        owners = self._owners
        if not from_bus and owners.get(wanted[0].peer) != sender and (
                len(wanted) == 1 or all(sender != owners.get(w.peer) for w in wanted)):
            self.untrusted_messages += 1
            if self.untrusted_messages in (1, 100) or self.untrusted_messages % 10_000 == 0:
                _LOGGER.warning("Ignored %d D-Bus signal(s) not sent by the service they are "
                                "about (last: %s.%s from %s)", self.untrusted_messages,
                                msg.interface, msg.member, msg.sender)
            return
        out = self._out
        if out is not None and self._handle_now(msg, wanted, out):
            return
        try:
            self._inbox.put_nowait((msg, wanted, []))
        except asyncio.QueueFull:
            self.dropped_messages += 1
            if self.dropped_messages in (1, 100) or self.dropped_messages % 10_000 == 0:
                _LOGGER.warning("D-Bus signals arrive faster than handled; dropped %d",
                                self.dropped_messages)


_MALFORMED = (TypeError, ValueError, KeyError, IndexError, AttributeError)


def _skipped(watcher: BusWatcher, msg: Message, err: Exception) -> None:
    """A message whose body is not what the interface promises: skipped, at DEBUG."""
    _LOGGER.debug("%s: skipped a malformed %s.%s (%r)", watcher.name, msg.interface,
                  msg.member, err)
