"""Delivery through sentry-sdk into the outbox, then to a real (fault-injecting) receiver."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crash_reporter.outbox import Outbox
from crash_reporter.send import Delivery, parse_rate_limits, parse_retry_after, send_now
from sandbox.bugsink import BugsinkServer
from sandbox.receiver import PUBLIC_KEY, Fault, Receiver


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_event(n: int = 0, *, exception: bool = True) -> dict[str, Any]:
    event: dict[str, Any] = {"event_id": uuid.uuid4().hex, "level": "fatal",
                             "platform": "python", "tags": {"reporter": "crash_reporter"}}
    if exception:
        event["exception"] = {"values": [{"type": "KeyError", "value": f"k{n}"}]}
    else:
        event["message"] = f"unit failed {n}"
    return event


async def yes() -> bool:
    return True


async def no() -> bool:
    return False


class Rig:
    """An outbox, a delivery and a receiver; `restart()` builds new objects on the same dir."""

    def __init__(self, root: Path, rx: Receiver, http: aiohttp.ClientSession,
                 clock: Clock, **kw: Any) -> None:
        self.root, self.rx, self.http, self.clock, self.kw = root, rx, http, clock, kw
        self.before_send: Callable[[Any, Any], Any] = lambda event, _hint: event
        self.outbox = Outbox(root, max_reports=1000, max_bytes=50_000_000, clock=clock)
        self.delivery = self._delivery()

    def _delivery(self) -> Delivery:
        kw = {"timeout_s": 5.0, "rng": random.Random(7), "sleep": self.clock.sleep, **self.kw}
        return Delivery(self.outbox, self.rx.dsn, self._before_send, self.http,
                        clock=self.clock, **kw)

    def _before_send(self, event: Any, hint: Any) -> Any:
        return self.before_send(event, hint)

    async def restart(self) -> None:
        await self.delivery.close()
        self.outbox = Outbox(self.root, max_reports=1000, max_bytes=50_000_000,
                             clock=self.clock)
        self.delivery = self._delivery()
        await self.delivery.open()

    async def hold(self, *events: dict[str, Any]) -> None:
        for event in events:
            self.clock.now += 0.001  # distinct hold times: a defined order
            assert await asyncio.to_thread(self.outbox.hold, event)

    async def drain(self, consent: Callable[[], Any] = yes) -> int:
        return await self.delivery.drain(consent)

    def retry_at(self) -> float:
        return self.outbox.backoff()[1]


@pytest.fixture
async def rx() -> AsyncIterator[Receiver]:
    async with Receiver() as receiver:
        yield receiver


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def rig(tmp_path: Path, rx: Receiver, http: aiohttp.ClientSession) -> AsyncIterator[Rig]:
    r = Rig(tmp_path / "outbox", rx, http, Clock())
    await r.delivery.open()
    yield r
    await r.delivery.close()


async def test_delivers_through_sentry_sdk(rig: Rig, rx: Receiver) -> None:
    event = make_event()
    await rig.hold(event)
    assert await rig.drain() == 1
    [env] = rx.envelopes
    assert env.event_id == event["event_id"]
    body = env.event()
    assert body is not None
    assert body["event_id"] == event["event_id"]
    for key in ("server_name", "release", "environment", "user"):
        assert key not in body
    assert body["exception"] == event["exception"]
    assert body["sdk"]["name"] == "sentry.python"
    request = rx.requests[0]
    assert request["path"] == "/api/42/envelope/"
    assert request["headers"]["Content-Type"] == "application/x-sentry-envelope"
    assert request["headers"]["Content-Encoding"] == "gzip"
    assert f"sentry_key={PUBLIC_KEY}" in request["headers"]["X-Sentry-Auth"]
    assert "sentry_version=7" in request["headers"]["X-Sentry-Auth"]
    # sent_at is the time of the POST (Relay corrects clock drift with it).
    sent_at = datetime.strptime(env.header["sent_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(sent_at.replace(tzinfo=UTC).timestamp() - rig.clock.now) < 1
    stats = rig.outbox.stats()
    assert stats["sent"] == 1 and stats["pending"] == 0
    assert stats["recent"][-1]["outcome"] == "sent"


async def test_client_starts_no_thread_and_no_connection(tmp_path: Path, rx: Receiver,
                                                         http: aiohttp.ClientSession) -> None:
    before = {t.ident for t in threading.enumerate()}
    rig = Rig(tmp_path, rx, http, Clock())
    await rig.delivery.open()
    await rig.hold(make_event())
    await rig.drain(no)  # captures into READY, then consent says no: nothing is sent
    new = [t.name for t in threading.enumerate() if t.ident not in before]
    assert all(name.startswith("asyncio_") for name in new), new  # only to_thread workers
    assert rx.connections == 0
    assert len(rig.outbox.ready()) == 1
    await rig.delivery.close()


@pytest.mark.parametrize("fault", [
    Fault.http(500), Fault.http(502), Fault.http(503), Fault.http(408),
    Fault.reset_mid_body(), Fault.slow(30.0),
])
async def test_retries_transient_faults_with_backoff(rig: Rig, rx: Receiver,
                                                     fault: Fault) -> None:
    if fault.kind == "slow":
        rig.kw["timeout_s"] = 0.3
        await rig.restart()
    event = make_event()
    await rig.hold(event)
    rx.script(fault)
    assert await rig.drain() == 0
    retry_at = rig.retry_at()
    assert rig.clock.now + 5 <= retry_at <= rig.clock.now + 10  # base 10 s, jitter half
    assert rig.delivery.next_wakeup() == retry_at
    requests = len(rx.requests)
    assert await rig.drain() == 0  # too early: no request at all
    assert len(rx.requests) == requests
    rig.clock.now = retry_at
    assert await rig.drain() == 1
    assert rx.event_ids == [event["event_id"]]
    assert rig.outbox.backoff() == (0, 0.0)


async def test_connection_refused_is_retried(rig: Rig, rx: Receiver) -> None:
    event = make_event()
    await rig.hold(event)
    await rx.refuse()
    assert await rig.drain() == 0
    assert rig.outbox.attempts(event["event_id"]) == 1
    await rx.listen()
    rig.clock.now = rig.retry_at()
    assert await rig.drain() == 1
    assert rx.event_ids == [event["event_id"]]


async def test_backoff_grows_with_jitter_and_is_capped(rig: Rig, rx: Receiver) -> None:
    await rig.hold(make_event())
    delays = []
    for _ in range(12):
        rx.script(Fault.http(500))
        await rig.drain()
        delays.append(rig.retry_at() - rig.clock.now)
        rig.clock.now = rig.retry_at()
    for n, delay in enumerate(delays):
        nominal = min(3600.0, 10.0 * 2**n)
        assert nominal / 2 <= delay <= nominal
    assert max(delays) <= 3600.0
    assert len(set(delays)) == len(delays)  # jittered


async def test_retry_after_on_503_is_honoured(rig: Rig, rx: Receiver) -> None:
    await rig.hold(make_event())
    rx.script(Fault.http(503, retry_after="600"))
    await rig.drain()
    assert rig.retry_at() == pytest.approx(rig.clock.now + 600)


@pytest.mark.parametrize("status", [400, 401, 403, 413])
async def test_final_4xx_is_dropped_and_recorded(rig: Rig, rx: Receiver, status: int) -> None:
    event, other = make_event(1), make_event(2)
    await rig.hold(event, other)
    rx.script(Fault.http(status))
    assert await rig.drain() == 1  # the other one still goes
    stats = rig.outbox.stats()
    assert stats["dropped"] == {f"http_{status}": 1}
    assert stats["pending"] == 0
    outcomes = {r["event_id"]: r["outcome"] for r in stats["recent"]}
    assert outcomes[event["event_id"]] == f"dropped: http_{status}"
    assert rx.event_ids == [other["event_id"]]


async def test_bare_429_blocks_all_categories_also_across_restart(rig: Rig,
                                                                  rx: Receiver) -> None:
    first, second = make_event(1), make_event(2, exception=False)
    await rig.hold(first, second)
    rx.script(Fault.http(429, retry_after="120"))
    assert await rig.drain() == 0
    assert len(rx.requests) == 1  # the second was not tried while blocked
    until = rig.clock.now + 120
    assert rig.outbox.rate_limits() == {"": pytest.approx(until)}
    assert rig.delivery.next_wakeup() == pytest.approx(until)
    await rig.restart()
    rig.clock.now += 119
    assert await rig.drain() == 0
    assert len(rx.requests) == 1
    rig.clock.now = until
    assert await rig.drain() == 2
    assert rx.distinct_event_ids == {first["event_id"], second["event_id"]}


async def test_429_without_retry_after_waits_60_s(rig: Rig, rx: Receiver) -> None:
    await rig.hold(make_event())
    rx.script(Fault.http(429))
    await rig.drain()
    assert rig.outbox.rate_limits() == {"": pytest.approx(rig.clock.now + 60)}


async def test_rate_limits_per_category(rig: Rig, rx: Receiver) -> None:
    errors = [make_event(n) for n in range(2)]
    message = make_event(9, exception=False)  # "error" for the SDK, "default" for Relay
    await rig.hold(errors[0])
    rx.script(Fault.http(200, rate_limits="300:default:project, 60:transaction:org"))
    assert await rig.drain() == 1  # accepted (2xx) and the limits recorded
    await rig.hold(errors[1], message)
    assert await rig.drain() == 1  # the exception event goes, the message event waits
    assert rx.event_ids == [e["event_id"] for e in errors]
    rig.clock.now += 299
    assert await rig.drain() == 0
    await rig.restart()
    rig.clock.now += 1
    assert await rig.drain() == 1
    assert rx.event_ids[-1] == message["event_id"]


async def test_429_rate_limit_on_error_category(rig: Rig, rx: Receiver) -> None:
    events = [make_event(n) for n in range(3)]
    await rig.hold(*events)
    rx.script(Fault.http(429, rate_limits="30:error;default:key:ratelimit"))
    assert await rig.drain() == 0
    assert len(rx.requests) == 1
    rig.clock.now += 30
    assert await rig.drain() == 3


async def test_accepted_but_reply_lost_is_resent_with_the_same_id(rig: Rig,
                                                                  rx: Receiver) -> None:
    events = [make_event(n) for n in range(5)]
    await rig.hold(*events)
    rx.script(Fault.accept_then_reset())
    assert await rig.drain() == 0
    await rig.restart()  # as after a kill: the file is still there
    rig.clock.now = rig.retry_at()
    assert await rig.drain() == 5
    assert rx.distinct_event_ids == {e["event_id"] for e in events}
    assert rx.duplicates() == 1  # Sentry discards the second copy of the same id
    assert rig.outbox.stats()["sent"] == 5


async def test_exactly_once_across_restarts(rig: Rig, rx: Receiver) -> None:
    events = [make_event(n) for n in range(20)]
    await rig.hold(*events)
    rx.script(Fault.ok(), Fault.ok(), Fault.accept_then_reset())
    await rig.drain()
    for _ in range(3):
        await rig.restart()
        for event in events:  # the app detects the same occurrences again
            await asyncio.to_thread(rig.outbox.hold, event)
        rig.clock.now = max(rig.clock.now, rig.retry_at())
        await rig.drain()
    assert rx.distinct_event_ids == {e["event_id"] for e in events}
    assert rx.duplicates() <= 1
    assert rig.outbox.stats()["pending"] == 0


async def test_replays_are_paced(rig: Rig, rx: Receiver) -> None:
    await rig.hold(*[make_event(n) for n in range(4)])
    assert await rig.drain() == 4
    assert rig.clock.sleeps == [0.1, 0.1, 0.1]


async def test_consent_checked_before_each_post(rig: Rig, rx: Receiver) -> None:
    await rig.hold(*[make_event(n) for n in range(3)])
    answers = iter([True, False])
    calls = 0

    async def consent() -> bool:
        nonlocal calls
        calls += 1
        return next(answers, False)

    assert await rig.drain(consent) == 1
    assert calls == 2
    assert len(rx.requests) == 1


async def test_close_cancels_post_in_flight_and_no_post_after(rig: Rig, rx: Receiver) -> None:
    await rig.hold(make_event(1), make_event(2))
    rx.script(Fault.slow(60.0))
    drain = asyncio.create_task(rig.drain())
    await rx.wait_requests(1)
    await rig.delivery.close()
    assert await drain == 0
    assert not rig.delivery.is_open
    connections = rx.connections
    assert await rig.drain() == 0
    assert rx.connections == connections and len(rx.requests) == 1
    assert rig.delivery.next_wakeup() is None
    assert len(rig.outbox.ready()) == 2  # UNKNOWN: kept, not deleted


async def test_consent_off_purges_and_sends_nothing(rig: Rig, rx: Receiver) -> None:
    await rig.hold(make_event(1), make_event(2))
    await rig.drain(no)  # captured into READY, not sent
    await rig.delivery.close()
    assert await asyncio.to_thread(rig.outbox.purge, "consent_off") == 2
    await rig.delivery.open()
    assert await rig.drain() == 0
    assert rx.connections == 0


async def test_unknown_keeps_held_and_sends_after_on(tmp_path: Path, rx: Receiver,
                                                     http: aiohttp.ClientSession) -> None:
    rig = Rig(tmp_path, rx, http, Clock())  # UNKNOWN: no client
    event = make_event()
    await rig.hold(event)
    assert await rig.drain() == 0
    assert rig.delivery.next_wakeup() is None
    assert [r.event_id for r in rig.outbox.held()] == [event["event_id"]]
    assert rx.connections == 0
    await rig.delivery.open()  # ON
    assert await rig.drain() == 1
    assert rx.event_ids == [event["event_id"]]
    await rig.delivery.close()


async def test_no_dsn_never_opens(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    outbox = Outbox(tmp_path, max_reports=10, max_bytes=10**6)
    delivery = Delivery(outbox, None, lambda e, _h: e, http)
    await delivery.open()
    assert not delivery.is_open
    bad = Delivery(outbox, "not a dsn", lambda e, _h: e, http)
    await bad.open()
    assert not bad.is_open


async def test_before_send_none_or_raising_drops(rig: Rig, rx: Receiver) -> None:
    dropped, failing, kept = make_event(1), make_event(2), make_event(3)

    def before_send(event: Any, _hint: Any) -> Any:
        if event["event_id"] == dropped["event_id"]:
            return None
        if event["event_id"] == failing["event_id"]:
            raise ValueError("scrubber bug")
        return event

    rig.before_send = before_send
    await rig.hold(dropped, failing, kept)
    assert await rig.drain() == 1
    assert rx.event_ids == [kept["event_id"]]
    assert rig.outbox.stats()["dropped"] == {"before_send": 2}


async def test_server_errors_exhausted_are_dropped(tmp_path: Path, rx: Receiver,
                                                   http: aiohttp.ClientSession) -> None:
    rig = Rig(tmp_path, rx, http, Clock(), max_server_errors=3)
    await rig.delivery.open()
    await rig.hold(make_event())
    for _ in range(3):
        rx.script(Fault.http(500))
        await rig.drain()
        rig.clock.now = rig.retry_at()
    assert rig.outbox.stats()["dropped"] == {"server_error_retries": 1}
    await rig.delivery.close()


async def test_drain_does_not_block_the_loop(rig: Rig, rx: Receiver) -> None:
    def slow_before_send(event: Any, _hint: Any) -> Any:
        time.sleep(0.05)  # a slow scrubber runs in a worker thread, not on the loop
        return event

    rig.before_send = slow_before_send
    await rig.hold(*[make_event(n) for n in range(6)])
    gaps: list[float] = []
    done = False

    async def ticker() -> None:
        last = time.monotonic()
        while not done:
            await asyncio.sleep(0)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    assert await rig.drain() == 6
    done = True
    await task
    assert max(gaps) < 0.04


def test_parse_rate_limits() -> None:
    limits = parse_rate_limits("60:error;default:project:quota, 10::org, bad, x:y:z", 1000.0)
    assert limits == {"error": 1060.0, "default": 1060.0, "": 1010.0}
    assert parse_retry_after("12", 0.0) == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    assert parse_retry_after("soon", 0.0) is None


async def test_send_now(rx: Receiver) -> None:
    events = [make_event(n) for n in range(2)]
    sent = await asyncio.to_thread(send_now, rx.dsn, events)
    assert sent == 2
    assert rx.distinct_event_ids == {e["event_id"] for e in events}


@pytest.mark.bugsink
async def test_real_bugsink_quota_429_blocks_until_it_expires(
        tmp_path: Path, http: aiohttp.ClientSession,
        bugsink_factory: Callable[..., BugsinkServer]) -> None:
    """Bugsink's own per-installation quota answers 429 with `60::key`: Delivery obeys it."""
    limit = 2
    server = await asyncio.to_thread(bugsink_factory, max_events_per_5_min=limit)
    project = server.project
    assert project is not None
    clock = Clock(time.time())
    outbox = Outbox(tmp_path / "outbox", max_reports=100, max_bytes=10_000_000, clock=clock)
    delivery = Delivery(outbox, project.dsn, lambda event, _hint: event, http, clock=clock,
                        sleep=clock.sleep, rng=random.Random(3), timeout_s=10.0)
    await delivery.open()
    try:
        events = [make_event(n) for n in range(limit + 2)]
        for event in events:
            clock.now += 0.001
            assert await asyncio.to_thread(outbox.hold, event)
        sent = await delivery.drain(yes)
        # Positive control: the first `limit` events were accepted and stored.
        assert sent == limit
        assert await project.stored_event_count() == limit
        limits = outbox.rate_limits()
        assert limits and min(limits.values()) >= clock.now + 50  # "60::key": all categories
        posts = delivery.posts
        assert await delivery.drain(yes) == 0
        assert delivery.posts == posts  # nothing is sent to a blocked category
        assert len(outbox.ready()) + len(outbox.held()) == 2  # kept, not dropped
    finally:
        await delivery.close()
