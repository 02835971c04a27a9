"""The daemon: owns the bus, the HTTP session, the queues and every long-lived task.

Data flows one way: sources put records on one queue; the intake turns them into crashes
(detect), events (report), scrubbed events (scrub), folds floods (flood) and holds them on
disk (outbox); delivery (send) drains the outbox only while consent is ON.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from crash_reporter.config import Config, redact_dsn
from crash_reporter.consent import ConsentGate
from crash_reporter.const import (
    CONSENT_REFRESH_S,
    CONSENT_RETRY_S,
    HOST_UNITS,
    UNIT_COMPONENTS,
)
from crash_reporter.detect import RECORD_TIMEOUT_S
from crash_reporter.detect.incidents import Joiner, LogCrashes
from crash_reporter.detect.unit_exit import UnitCrashDetector
from crash_reporter.errors import StorageError
from crash_reporter.files import Faults, real_dir
from crash_reporter.flood import FloodControl
from crash_reporter.models import (
    BusNameChange,
    Consent,
    ConsentTrigger,
    Crash,
    CrashKind,
    HostFacts,
    LogBatch,
    UnitJobEnded,
    UnitState,
)
from crash_reporter.outbox import (
    DROP_CONSENT_OFF,
    DROP_DISCARDED,
    DROP_SCRUB_FAILED,
    DROP_STORAGE,
    Outbox,
    event_title,
    scan,
)
from crash_reporter.panel.server import Panel, PanelFacts
from crash_reporter.payloads import PayloadRecord
from crash_reporter.report import build_event
from crash_reporter.review import ReviewQueue
from crash_reporter.scrub import ScrubStats, make_before_send
from crash_reporter.scrub.hosts import Identifier
from crash_reporter.scrub.worker import ScrubWorker
from crash_reporter.send import Delivery
from crash_reporter.sources.bus import BusSession, Record
from crash_reporter.sources.host_ids import HostIdentifiers
from crash_reporter.sources.logs import CursorStore, LogFollower, default_streams
from crash_reporter.sources.os_agent import OsAgent
from crash_reporter.sources.records import RecordQueue
from crash_reporter.sources.supervisor import SupervisorApi
from crash_reporter.sources.systemd_unit import SystemdUnits

_LOGGER = logging.getLogger(__name__)

INTAKE_TICK_S = 0.25  # while a log record is in progress: how often it is checked for its end
INTAKE_YIELD_EVERY = 16  # records (batches of lines) taken in a row before others get a turn
JOIN_WINDOW_S = 5.0  # the longest a crash waits for the views of its incident still due
CONSENT_MAX_AGE_AT_INTAKE_S = 5.0
IDS_MAX_AGE_AT_INTAKE_S = 60.0  # host identifiers older than this are re-read before a scrub
IDS_READ_TIMEOUT_S = 3.0  # ... for at most this long (then those known are used)
FACTS_REFRESH_S = 3600.0
OUTBOX_MAX_REPORTS = 200
OUTBOX_MAX_BYTES = 20_000_000
MAX_LEARNED_HOSTNAMES = 32
MAX_LOG_CLOCKS = 64  # followed log streams whose log time is tracked
TASK_RESTART_MIN_S = 1.0  # a stage that failed unexpectedly is restarted after this ...
TASK_RESTART_MAX_S = 60.0  # ... doubling up to this while it keeps failing
UNHELD_RETRY_S = 5.0  # how often a report the disk refused is offered again
STREAM_IDLE_S = 30.0  # a stream silent this long no longer holds the log clock back
# record time-out + join window + intake tick, with a margin (see _log_followers)
CURSOR_LAG_S = RECORD_TIMEOUT_S + JOIN_WINDOW_S + INTAKE_TICK_S + 6.0


def off_words(reason: str) -> str:
    """Why consent is OFF, said once: 'diagnostics is off (never chosen)', not twice."""
    detail = reason.removeprefix("diagnostics ").removeprefix("off").strip(" ,;")
    return f"diagnostics is off ({detail})" if detail else "diagnostics is off"


def watched_units(config: Config) -> dict[str, str]:
    """Unit name -> component for every unit this configuration watches."""
    units = dict(UNIT_COMPONENTS)
    if config.report_host_crashes:
        units.update(dict.fromkeys(HOST_UNITS, "host"))
    units.update(dict.fromkeys((u for u in config.watch_units if u not in units), "host"))
    return units


class LogClock:
    """What time it is in the logs, for closing crash records that stopped getting lines.

    A record is closed when its last line is RECORD_TIMEOUT_S older than "now", and now must
    be LOG time: a stream replaying the hours the app was down carries old times, and wall
    time would close each of its tracebacks after its first line. Per stream, now is its
    latest line's time plus the wall time since that line came; across streams the slowest
    of those still sending (a replay must not be cut short by a live stream). A stream silent
    for STREAM_IDLE_S no longer counts: nothing of it can be in progress any more.
    """

    def __init__(self) -> None:
        self._streams: dict[str, tuple[float, float]] = {}  # name -> (log time, wall time)

    def saw(self, stream: str, log_time: float, wall: float) -> None:
        """A line of `stream` stamped `log_time` arrived at `wall`."""
        if stream not in self._streams and len(self._streams) >= MAX_LOG_CLOCKS:
            self._streams.pop(next(iter(self._streams)))
        self._streams[stream] = (log_time, wall)

    def now(self, wall: float) -> float:
        """The log time it is at `wall` (wall time when no stream is sending)."""
        for name in [n for n, (_, at) in self._streams.items() if wall - at > STREAM_IDLE_S]:
            del self._streams[name]
        if not self._streams:
            return wall
        return min(log_time + (wall - at) for log_time, at in self._streams.values())


class App:
    """Wires the stages together and runs them until cancelled."""

    def __init__(self, config: Config, *, clock: Callable[[], float] = time.time) -> None:
        """Prepare (nothing is started or connected yet)."""
        self.config = config
        self._clock = clock
        self.records: asyncio.Queue[Record] = RecordQueue()
        self.facts = HostFacts()
        self._units = watched_units(config)
        self._detector = UnitCrashDetector(self._units)
        self._joiner = Joiner(window_s=JOIN_WINDOW_S, clock=clock)
        self._log_crashes = LogCrashes()
        self._log_clock = LogClock()
        self._learned: dict[str, None] = {}  # hostnames seen in verbose log prefixes
        self.scrub_stats = ScrubStats()
        self._scrubber = ScrubWorker(self.scrub_stats)  # off the event loop, with a budget
        self.host_ids: HostIdentifiers | None = None
        self._scrub_before_send = make_before_send(self.identifiers, self._on_scrub_drop,
                                                   self.scrub_stats)
        self.faults = Faults()  # storage faults of every store, counted in the outbox state
        self.outbox = Outbox(config.outbox_dir, max_reports=OUTBOX_MAX_REPORTS,
                             max_bytes=OUTBOX_MAX_BYTES, clock=clock, faults=self.faults)
        self.flood = FloodControl(config.state_dir / "flood.json", clock=clock,
                                  faults=self.faults)
        # Reports the disk refused to hold (full, EIO, read-only): held again when it lets.
        self._unheld: deque[dict[str, Any]] = deque()
        self.review_queue = ReviewQueue(config.outbox_dir, clock=clock)
        self.payloads = PayloadRecord(config.state_dir, clock=clock)
        self.panel = Panel(self, port=config.panel_port, trusted_peer=config.panel_peer)
        self.bus: BusSession | None = None
        self.consent: ConsentGate | None = None
        self.delivery: Delivery | None = None
        self._wake_delivery = asyncio.Event()
        self.started = asyncio.Event()

    async def run(self) -> None:
        """Run every stage until cancelled (SIGTERM), then close cleanly."""
        _LOGGER.info("crash_reporter starting: %r", self.config)
        try:
            await asyncio.to_thread(real_dir, self.config.state_dir, self.faults)
        except OSError as err:  # carry on: every write retries, faults are counted
            self.faults.io_error("state", f"making {self.config.state_dir}", err)
        timeout = aiohttp.ClientTimeout(total=None, connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            api = SupervisorApi(session, self.config.supervisor_url, self.config.supervisor_token)
            if not self.config.supervisor_token:
                _LOGGER.error("SUPERVISOR_TOKEN is not set: consent cannot be read, nothing "
                              "will be sent (is hassio_api enabled?)")
            self.consent = ConsentGate(api, self.config.state_dir, clock=self._clock,
                                       faults=self.faults)
            self.host_ids = HostIdentifiers(api, self.config.redact)
            self.delivery = Delivery(self.outbox, self.config.dsn, self._before_send, session,
                                     clock=self._clock, on_payload=self.payloads.prepared)
            self.consent.add_listener(self._on_consent_change)
            self.bus = BusSession(self.config.dbus_address,
                                  [SystemdUnits(list(self._units), clock=self._clock),
                                   OsAgent(clock=self._clock)])
            if not self.config.dsn:
                _LOGGER.warning("No DSN configured: reports are built, scrubbed and kept on this "
                                "device (see the log and `crash-reporter status`), never sent")
            else:
                _LOGGER.info("Reports go to %s while diagnostics is on",
                             redact_dsn(self.config.dsn))
            try:
                async with asyncio.TaskGroup() as tg:
                    keep = self._keep_running
                    bus = self.bus
                    tg.create_task(keep("facts", lambda: self._refresh_facts(api)), name="facts")
                    tg.create_task(keep("identifiers", self._learn_identifiers),
                                   name="identifiers")
                    tg.create_task(keep("consent", self._consent_timer), name="consent")
                    tg.create_task(keep("dbus", lambda: bus.run(self.records)), name="dbus")
                    tg.create_task(keep("intake", self._intake), name="intake")
                    tg.create_task(keep("delivery", self._deliver), name="delivery")
                    tg.create_task(keep("panel", self.panel.run), name="panel")
                    for follower in self._log_followers(session):
                        tg.create_task(keep(f"log {follower.name}",
                                            functools.partial(follower.run, self.records)),
                                       name=f"log {follower.name}")
                    self.started.set()
            finally:
                await self.delivery.close()
                await self._scrubber.close()
                _LOGGER.info("crash_reporter stopped")

    async def _keep_running(self, name: str,
                            stage: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run one stage for ever: an unexpected error is logged and the stage restarted.

        Every stage handles the faults it knows (sources reconnect, storage faults are
        counted); this is the last line, so that a bug met by one input never stops the
        daemon (s6 would restart it, but a crash loop on a state file would stop it for good).
        """
        delay = TASK_RESTART_MIN_S
        while True:
            started = time.monotonic()
            try:
                await stage()
                return
            except Exception as err:  # the last line: logged with its type, restarted
                _LOGGER.error("The %s stage failed (%s); restarting it in %.0f s", name,
                              type(err).__name__, delay)
                _LOGGER.debug("The %s stage failed", name, exc_info=err)  # (may hold data)
            await asyncio.sleep(delay)
            ran = time.monotonic() - started
            delay = TASK_RESTART_MIN_S if ran > 300 else min(delay * 2, TASK_RESTART_MAX_S)

    def _log_followers(self, session: aiohttp.ClientSession) -> list[LogFollower]:
        """One follower per log stream (none without a token: the API would refuse them)."""
        if not self.config.supervisor_token:
            return []
        # Positions are written CURSOR_LAG_S late, and not while a report waits in memory:
        # after a kill, what was read since is read again (same event ids), so a crash
        # between its lines being read and its report being on disk is never lost.
        cursors = CursorStore(self.config.state_dir, self.faults, lag_s=CURSOR_LAG_S,
                              hold=lambda: bool(self._unheld))
        followers = [LogFollower(session, self.config.supervisor_url,
                                 self.config.supervisor_token, stream, cursors)
                     for stream in default_streams()]
        _LOGGER.info("Following logs: %s", ", ".join(f.name for f in followers))
        return followers

    # --- consent --------------------------------------------------------------------------

    async def _consent_timer(self) -> None:
        """Re-read the opt-in at start, every few minutes, and often while it is UNKNOWN."""
        assert self.consent is not None
        while True:
            state = await self.consent.refresh("timer")
            await asyncio.sleep(CONSENT_RETRY_S if state is Consent.UNKNOWN
                                else CONSENT_REFRESH_S)

    async def _on_consent_change(self, old: Consent, new: Consent) -> None:
        """Apply a change of consent at once."""
        assert self.delivery is not None
        if new is Consent.ON:
            await self.delivery.open()
            self._wake_delivery.set()
            return
        await self.delivery.close()  # no client while OFF or UNKNOWN; nothing is flushed
        if new is Consent.OFF:
            self._unheld.clear()  # (what the disk refused is deleted like the outbox)
            removed = await asyncio.to_thread(self._purge_unsent)
            folded = await asyncio.to_thread(self.flood.purge)
            if removed or folded:
                _LOGGER.info("Diagnostics turned off: deleted %d unsent report(s) and %d "
                             "pending crash count(s)", removed, folded)

    def _purge_unsent(self) -> int:
        """Delete every report not sent yet, with its copy kept for the panel (a thread)."""
        held, ready = scan(self.config.outbox_dir)
        unsent = [r.event_id for r in held] + [r.event_id for r in ready]
        unsent += [w["event_id"] for w in self.review_queue.waiting()]
        removed = self.outbox.purge(DROP_CONSENT_OFF) + self.review_queue.purge()
        for event_id in unsent:
            self.payloads.forget(event_id)
        return removed

    # --- intake: records -> crashes -> events -> outbox -----------------------------------

    async def _intake(self) -> None:
        """Route every record to its detector; join views; hold each incident's report."""
        assert self.consent is not None
        taken = 0
        while True:
            record: Record | None = None
            if not self.records.empty():  # (a replay: no timer per record)
                record = self.records.get_nowait()
                taken += 1
                if not taken % INTAKE_YIELD_EVERY:
                    await asyncio.sleep(0)  # let the other tasks run in a long replay
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._next_tick()):
                        record = await self.records.get()
            now = self._clock()
            crashes: list[Crash] = []
            if isinstance(record, LogBatch):
                crashes = self._from_log(self._log_crashes.feed_many(record.lines))
                self._saw_batch(record, now)
            elif isinstance(record, ConsentTrigger):
                await self.consent.refresh(record.source)
            elif isinstance(record, BusNameChange):
                self._detector.name_change(record)
            elif isinstance(record, UnitState):
                crashes = self._detector.observe(record)
            elif isinstance(record, UnitJobEnded):
                _LOGGER.debug("Job for %s ended: %s", record.unit, record.result)
            if record is None or self.records.empty():
                crashes += self._from_log(self._log_crashes.expire(self._log_clock.now(now)))
            for crash in crashes:
                await self._seen(crash)
            for incident in self._joiner.due(now):
                await self.take(incident)

    def holding(self) -> bool:
        """Is a crash held for the rest of its incident, or a log record still in progress?"""
        return self._joiner.next_due() is not None or self._log_crashes.holding()

    def _next_tick(self) -> float | None:
        """Seconds until the intake must look again without a record (None: not before one).

        Nothing held, no timer: an idle daemon sleeps until a record comes.
        """
        due = self._joiner.next_due()
        wait = None if due is None else max(0.0, due - self._clock())
        if self._log_crashes.holding():
            wait = INTAKE_TICK_S if wait is None else min(wait, INTAKE_TICK_S)
        return wait

    def _saw_batch(self, batch: LogBatch, now: float) -> None:
        """Note the log time a stream has reached and the hostnames its prefixes name."""
        lines = batch.lines
        for line in reversed(lines):
            if line.timestamp:
                self._log_clock.saw(batch.stream, line.timestamp, now)
                break
        for hostname in {line.hostname for line in lines}:
            if hostname:
                self._learn_hostname(hostname)

    def _from_log(self, crashes: list[Crash]) -> list[Crash]:
        """Drop the log view of a unit failure watched over D-Bus (that view reports it)."""
        if self.bus is None or not self.bus.connected.is_set():
            return crashes
        return [c for c in crashes if not (c.kind is CrashKind.UNIT and c.unit in self._units)]

    async def _seen(self, crash: Crash) -> None:
        """A detector saw a crash: keep it for the joiner unless it must not be kept."""
        assert self.consent is not None
        _LOGGER.debug("Crash seen: %s", crash.title)  # unscrubbed: never at INFO
        # Consent at the moment of the crash decides: seen while OFF is never kept, even if
        # the user opts in before the join window closes or the log is read later.
        if await self.consent.current(CONSENT_MAX_AGE_AT_INTAKE_S) is Consent.OFF:
            _LOGGER.info("Not kept: %s", off_words(self.consent.reason))
            return
        if not self.consent.allows_keeping(crash.occurred_at):
            _LOGGER.info("Not kept: it happened before diagnostics was turned on")
            return
        for incident in self._joiner.add(crash):
            await self.take(incident)

    def _learn_hostname(self, hostname: str) -> None:
        """Remember a hostname from a log prefix: the scrubber removes it everywhere."""
        if hostname in self._learned:
            return
        if len(self._learned) >= MAX_LEARNED_HOSTNAMES:
            self._learned.pop(next(iter(self._learned)))
        self._learned[hostname] = None

    async def take(self, crash: Crash) -> None:
        """Turn one crash into a scrubbed report on disk, if consent allows keeping it."""
        assert self.consent is not None
        state = await self.consent.current(CONSENT_MAX_AGE_AT_INTAKE_S)
        if state is Consent.OFF:
            _LOGGER.info("Not kept: %s", off_words(self.consent.reason))
            return
        event = build_event(crash, self.facts)
        if self.host_ids is not None:  # a network joined a moment ago is known when it matters
            await self.host_ids.current(IDS_MAX_AGE_AT_INTAKE_S, IDS_READ_TIMEOUT_S)
        scrubbed = await self._scrubber.scrub(event, self.identifiers())
        if scrubbed is None:
            await asyncio.to_thread(self.outbox.count_drop, DROP_SCRUB_FAILED)
            _LOGGER.error("Report %s dropped: the scrubber failed or ran out of time (%s; %d "
                          "so far)", event["event_id"], self.scrub_stats.last_error,
                          self.scrub_stats.dropped)
            return
        _LOGGER.info("Crash report %s built: %s", scrubbed.get("event_id"),
                     event_title(scrubbed))
        admitted = await asyncio.to_thread(
            self.flood.admit, "|".join(map(str, scrubbed.get("fingerprint", []))), scrubbed
        )
        if admitted is None:
            _LOGGER.info("Folded into the running count of the same crash (flood control)")
            return
        await self._hold(admitted)

    async def _hold(self, event: dict[str, Any], *, again: bool = False) -> None:
        """Keep a scrubbed event on disk until it can be sent or reviewed.

        While the disk refuses it (full, EIO, read-only) it waits in memory and is offered
        again every UNHELD_RETRY_S.
        """
        try:
            await asyncio.to_thread(self.payloads.held, event)
            if self.config.review_reports:
                await asyncio.to_thread(self.review_queue.hold, event)
                _LOGGER.info("Report %s waits for your review in the panel", event["event_id"])
                return
            await asyncio.to_thread(self.outbox.hold, event)
        except (StorageError, OSError) as err:
            if isinstance(err, OSError):
                self.faults.io_error("review queue", "keeping a report", err)
            if len(self._unheld) >= OUTBOX_MAX_REPORTS:
                dropped = self._unheld.popleft()
                _LOGGER.warning("Report %s dropped: the disk refused it for too long (%s)",
                                dropped["event_id"], DROP_STORAGE)
                with contextlib.suppress(StorageError):
                    await asyncio.to_thread(self.outbox.count_drop, DROP_STORAGE)
            self._unheld.append(event)
            _LOGGER.log(logging.DEBUG if again else logging.INFO,
                        "Report %s kept in memory until the disk takes it", event["event_id"])
            if not again:  # the delivery loop offers it again within UNHELD_RETRY_S
                self._wake_delivery.set()
            return
        if not self.config.dsn:
            _LOGGER.info("Report %s kept on this device (no DSN): %s", event["event_id"],
                         json.dumps(event, sort_keys=True))
        else:
            _LOGGER.info("Report %s waiting to be sent (consent %s)", event["event_id"],
                         self.consent.state.name if self.consent else "?")
        self._wake_delivery.set()

    # --- delivery --------------------------------------------------------------------------

    async def _deliver(self) -> None:
        """Drain the outbox whenever woken or due, while consent is ON."""
        assert self.delivery is not None and self.consent is not None
        while True:
            due = [t for t in (self.delivery.next_wakeup(), self.flood.next_due(),
                               self._clock() + UNHELD_RETRY_S if self._unheld else None) if t]
            timeout = max(0.0, min(due) - self._clock()) if due else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake_delivery.wait()
            self._wake_delivery.clear()
            try:
                await self._deliver_once()
            except StorageError as err:  # the outbox cannot even be opened: later
                _LOGGER.debug("Delivery waits for the disk: %s", err)
                await asyncio.sleep(UNHELD_RETRY_S)

    async def _deliver_once(self) -> None:
        """Hold again what the disk refused, hold due summaries, drain while ON."""
        assert self.consent is not None
        for _ in range(len(self._unheld)):
            await self._hold(self._unheld.popleft(), again=True)
        if self.consent.state is not Consent.OFF:
            for summary in await asyncio.to_thread(self.flood.due_summaries, self._clock()):
                await self._hold(summary)
        if self.consent.state is Consent.ON and self.delivery and self.delivery.is_open:
            await self.delivery.drain(self.consent.allows_sending)

    def wake_delivery(self) -> None:
        """Run the delivery loop now (something was put into the outbox)."""
        self._wake_delivery.set()

    def _before_send(self, event: Any, hint: Any) -> Any:
        """sentry-sdk's before_send: scrub again (fails closed), log exactly what leaves."""
        scrubbed = self._scrub_before_send(event, hint)
        if scrubbed is not None:
            scrubbed.pop("server_name", None)
            _LOGGER.info("Sending report %s: %s", scrubbed.get("event_id"),
                         json.dumps(scrubbed, sort_keys=True, default=str))
        return scrubbed

    def _on_scrub_drop(self) -> None:
        """The scrubber failed on an event at send time: it is dropped, never sent."""
        _LOGGER.error("A report was dropped at send time: the scrubber failed (%d so far)",
                      self.scrub_stats.dropped)

    # --- host facts ------------------------------------------------------------------------

    async def _refresh_facts(self, api: SupervisorApi) -> None:
        """Read versions and platform (and identifiers to scrub) now and then."""
        while True:
            self.facts = await api.host_facts()
            await asyncio.sleep(FACTS_REFRESH_S if self.facts.supervisor_version else 30.0)

    async def _learn_identifiers(self) -> None:
        """Learn this host's identifiers at start and re-read them as often as consent.

        A new SSID, address or mount is thus known within CONSENT_REFRESH_S; what was learned
        before is kept (old logs still hold it). Held in memory only.
        """
        assert self.host_ids is not None
        while True:
            await self.host_ids.refresh()
            await asyncio.sleep(CONSENT_REFRESH_S if self.host_ids.values else CONSENT_RETRY_S)

    def identifiers(self) -> list[Identifier]:
        """What identifies this host and must never leave it (never logged, never on disk)."""
        ids: list[Identifier] = [*self.facts.identifiers, *self._learned]
        if self.host_ids is not None:
            ids.extend(self.host_ids.values)
        if self.config.supervisor_token:
            ids.append((self.config.supervisor_token, "token"))
        if self.config.dsn:
            with contextlib.suppress(ValueError):
                if key := urlsplit(self.config.dsn).username:
                    ids.append((key, "token"))
        return ids

    def identifier_count(self) -> int:
        """How many distinct values identifying this host the scrubber removes (the panel)."""
        return len({i for i in self.identifiers() if i})

    # --- the panel ---------------------------------------------------------------------------

    def panel_facts(self) -> PanelFacts:
        """What the panel shows that only the running daemon knows."""
        consent = self.consent
        return PanelFacts(
            data_dir=self.config.data_dir,
            consent_state=consent.state.value if consent else Consent.UNKNOWN.value,
            consent_reason=consent.reason if consent else "not read yet",
            consent_read_at=consent.read_at if consent else None,
            dsn=self.config.dsn, dsn_source=self.config.dsn_source,
            review=self.config.review_reports,
            units=sorted(self._units),
            logs=[stream.name for stream in default_streams()],
            identifiers=self.identifier_count(),
        )

    async def review_send(self, event_id: str) -> str:
        """The user pressed Send: the report goes into the outbox (consent still rules)."""
        if self.consent is None or self.consent.state is Consent.OFF:
            return "refused"
        event = await asyncio.to_thread(self.review_queue.take, event_id)
        if event is None:
            return "gone"
        await asyncio.to_thread(self.outbox.hold, event)
        _LOGGER.info("Report %s: Send pressed in the panel", event_id)
        self.wake_delivery()
        return "sent"

    async def review_discard(self, event_id: str) -> str:
        """The user pressed Discard: the report is deleted, and counted as discarded."""
        event = await asyncio.to_thread(self.review_queue.take, event_id)
        if event is None:
            return "gone"

        def settle() -> None:
            self.outbox.hold(event)  # settled at once: counted, listed, never held again
            self.outbox.remove(event_id, DROP_DISCARDED)
            self.payloads.forget(event_id)

        await asyncio.to_thread(settle)
        _LOGGER.info("Report %s: discarded in the panel", event_id)
        return "discarded"
