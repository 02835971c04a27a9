"""Stage 6: delivery to Sentry (the only module that touches sentry_sdk).

sentry-sdk still builds every envelope and runs `before_send`, but its transport is
`OutboxTransport`: it writes the envelope into the outbox's ready stage and never sends.
`Delivery.drain()` then POSTs ready envelopes with the app's aiohttp session:

- consent is re-read right before EACH POST (`consent_ok()`); a False stops at once;
- `close()` drops the client without a flush and cancels a POST in flight;
- rate limits (`X-Sentry-Rate-Limits` on any status, `Retry-After` on a bare 429) are kept
  per category in the outbox's state file, so they hold across restarts too;
- a deliberate, bounded departure from the SDK's "any HTTP status settles it": network
  errors, time-outs, 408 and 5xx are retried with capped exponential back-off and jitter
  (a report that keeps getting 5xx is dropped after `max_server_errors`); 2xx settles it as
  sent; any other 4xx (400, 401, 403, 413, ...) is final and recorded; 429 keeps it queued;
- replays are paced (`pace_s` between POSTs);
- the envelope header's `sent_at` is rewritten at each POST: Relay corrects event times by
  `received - sent_at`, so a stale value would move a replayed crash in time.

The private client starts no thread and opens no connection: the transport is an instance
(no `HttpTransport`, no worker thread), integrations are off, backpressure handling is off
(no `Monitor` thread), `spotlight=False` (no sidecar), and session/log/metric batchers only
start a thread when something is added to them, which this client never does.
`send_default_pii` is left unset (it is deprecated in 2.75; unset means no PII and the
key-name `EventScrubber` stays on). `release`/`environment`/`server_name` are set to ""
(no `git rev-parse`, no hostname) and empty values are removed after `before_send`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, cast

import aiohttp
import sentry_sdk
from sentry_sdk.consts import EndpointType
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.utils import BadDsn, Dsn

from crash_reporter import __version__
from crash_reporter.const import SEND_TIMEOUT_S
from crash_reporter.outbox import DROP_BEFORE_SEND, OUTCOME_SENT, Outbox, ReadyEnvelope

_LOGGER = logging.getLogger(__name__)

Event = dict[str, Any]
Hint = dict[str, Any]
BeforeSend = Callable[[Event, Hint], Event | None]

CLIENT_NAME = f"crash_reporter/{__version__}"
DEFAULT_RETRY_AFTER_S = 60.0
BACKOFF_BASE_S = 10.0
BACKOFF_CAP_S = 3600.0
PACE_S = 0.1
MAX_SERVER_ERRORS = 50
ALL_CATEGORIES = ""  # the key of a limit that applies to every category
_OUR_CATEGORIES = frozenset({ALL_CATEGORIES, "error", "default"})  # what our envelopes are
_STRIPPED_KEYS = ("server_name", "release", "environment", "dist")


def envelope_categories(envelope: Envelope) -> set[str]:
    """Rate-limit categories of an envelope's items.

    An event item is "error" (as the SDK counts it); an event without an exception is also
    "default" (as Relay classifies it), so a limit on either holds it back.
    """
    categories: set[str] = set()
    for item in envelope.items:
        category = str(item.data_category)
        categories.add(category)
        if category == "error":
            event = item.get_event() or {}
            if not (event.get("exception") or {}).get("values"):
                categories.add("default")
    return categories


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def parse_rate_limits(header: str, now: float) -> dict[str, float]:
    """`X-Sentry-Rate-Limits` -> {category ("" = all): epoch until}.

    Format: `<seconds>:<cat;cat;...>:<scope>[:<reason>[:<namespaces>]], ...`; an empty
    category list means every category. Unparsable entries are ignored.
    """
    limits: dict[str, float] = {}
    for part in header.split(","):
        fields = part.strip().split(":")
        if len(fields) < 2:
            continue
        try:
            seconds = float(fields[0])
        except ValueError:
            continue
        until = now + max(0.0, seconds)
        for raw in fields[1].split(";") if fields[1] else [ALL_CATEGORIES]:
            category = raw.strip()
            limits[category] = max(until, limits.get(category, 0.0))
    return limits


def blocked_until(limits: dict[str, float], categories: tuple[str, ...], now: float) -> float:
    """Until when an envelope with these categories may not be sent (<= now: free)."""
    return max(float(limits.get(k, 0.0)) for k in (ALL_CATEGORIES, *categories))


def _restamp(data: bytes, now: float) -> bytes:
    """Rewrite the envelope header's `sent_at` to now (the rest is sent byte for byte)."""
    head, sep, rest = data.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        return data
    if not isinstance(header, dict):
        return data
    header["sent_at"] = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(header, separators=(",", ":")).encode() + sep + rest


class OutboxTransport(Transport):
    """sentry-sdk transport that writes envelopes into the outbox's ready stage; never sends."""

    def __init__(self, outbox: Outbox, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self._outbox = outbox
        self.closed = False
        self.refused = 0

    def capture_envelope(self, envelope: Envelope) -> None:
        """Write the envelope (its event must be held; anything else is discarded)."""
        event_id = envelope.headers.get("event_id")
        if self.closed or not isinstance(event_id, str):
            self.refused += 1
            _LOGGER.debug("Envelope discarded (transport closed or no event id)")
            return
        try:
            ok = self._outbox.put_envelope(event_id, envelope.serialize(),
                                           envelope_categories(envelope))
        except OSError as err:
            _LOGGER.error("Cannot write envelope %s to the outbox: %s", event_id, err)
            ok = False
        if not ok:
            self.refused += 1

    def kill(self) -> None:
        """Stop accepting envelopes (nothing is in flight here)."""
        self.closed = True


class Delivery:
    """Moves held reports through sentry-sdk into the outbox and POSTs them to Sentry."""

    def __init__(
        self,
        outbox: Outbox,
        dsn: str | None,
        before_send: BeforeSend,
        http: aiohttp.ClientSession,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timeout_s: float = SEND_TIMEOUT_S,
        pace_s: float = PACE_S,
        backoff_base_s: float = BACKOFF_BASE_S,
        backoff_cap_s: float = BACKOFF_CAP_S,
        max_server_errors: int = MAX_SERVER_ERRORS,
        compress: bool = True,
        on_payload: Callable[[Event], None] | None = None,
    ) -> None:
        """Prepare (no client yet: `open()` creates it when consent is ON)."""
        self._outbox = outbox
        self._before_send = before_send
        self._http = http
        self._clock = clock
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._pace_s = pace_s
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._max_server_errors = max_server_errors
        self._compress = compress
        self._on_payload = on_payload
        self._dsn: str | None = None
        self._url = ""
        self._auth = ""
        if dsn:
            try:
                parsed = Dsn(dsn)
                self._url = parsed.to_auth().get_api_url(EndpointType.ENVELOPE)
            except (BadDsn, ValueError):  # (sentry-sdk raises ValueError for a bad port)
                _LOGGER.error("The DSN is not valid: nothing will be sent")
            else:
                self._dsn = dsn
                self._auth = (f"Sentry sentry_key={parsed.public_key}, sentry_version=7, "
                              f"sentry_client={CLIENT_NAME}")
        self._client: sentry_sdk.Client | None = None
        self._transport: OutboxTransport | None = None
        self._inflight: asyncio.Task[tuple[int, dict[str, str], str]] | None = None
        self._next_wakeup: float | None = None
        self._retry_after_hint = 0.0
        self.posts = 0  # POSTs started (for tests and status)

    # --- the client -----------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while a client exists (consent ON and a DSN)."""
        return self._client is not None

    async def open(self) -> None:
        """Create the private sentry-sdk client (consent ON); nothing without a DSN."""
        if self._client is not None or self._dsn is None:
            return
        transport = OutboxTransport(self._outbox, {"dsn": self._dsn})
        self._client = await asyncio.to_thread(self._make_client, transport)
        self._transport = transport
        self._next_wakeup = self._clock()
        _LOGGER.debug("Sentry client created")

    def _make_client(self, transport: OutboxTransport) -> sentry_sdk.Client:
        """The client: no integrations, no threads, no identity, our transport."""
        return sentry_sdk.Client(
            dsn=self._dsn,
            transport=transport,
            default_integrations=False,
            auto_enabling_integrations=False,
            integrations=[],
            server_name="",
            release="",
            environment="",
            before_send=self._wrapped_before_send,
            enable_backpressure_handling=False,
            spotlight=False,
            send_client_reports=False,
            max_breadcrumbs=100,
            include_local_variables=False,
            include_source_context=False,
            attach_stacktrace=False,
            sample_rate=1.0,
            traces_sample_rate=None,
            enable_logs=False,
            debug=False,
        )

    def _wrapped_before_send(self, event: Any, hint: Any) -> Any:
        """The app's before_send, then strip identity keys sentry-sdk may have filled in."""
        result = self._before_send(event, hint)
        if result is None:
            return None
        for key in _STRIPPED_KEYS:
            if key in result and not result[key]:
                del result[key]
        result.pop("server_name", None)
        if self._on_payload is not None:
            self._on_payload(result)  # the exact payload that goes into the envelope
        return result

    async def close(self) -> None:
        """Drop the client at once (consent OFF/UNKNOWN).

        No flush; a POST in flight is cancelled; no POST starts after this returns.
        """
        transport, self._transport = self._transport, None
        client, self._client = self._client, None
        if transport is not None:
            transport.closed = True
        task, self._inflight = self._inflight, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._next_wakeup = None
        if client is not None:
            _LOGGER.debug("Sentry client dropped (not flushed)")

    # --- scheduling -----------------------------------------------------------------------

    def next_wakeup(self) -> float | None:
        """When `drain()` should run again (epoch), None if nothing is due without news."""
        return self._next_wakeup if self.is_open else None

    def _backoff_delay(self, failures: int) -> float:
        """Capped exponential back-off with jitter (half fixed, half random)."""
        delay = min(self._backoff_cap_s, self._backoff_base_s * 2.0 ** min(failures - 1, 30))
        return delay / 2 + self._rng.uniform(0, delay / 2)

    # --- draining -------------------------------------------------------------------------

    async def drain(self, consent_ok: Callable[[], Awaitable[bool]]) -> int:
        """Turn held reports into envelopes, then POST what is ready.

        Returns how many were delivered. Stops at once when consent_ok() says False or the
        client is closed.
        """
        client, transport = self._client, self._transport
        if client is None or transport is None:
            return 0
        await self._capture_held(client, transport)
        if self._client is not client:
            return 0
        return await self._post_ready(client, consent_ok)

    async def _capture_held(self, client: sentry_sdk.Client,
                            transport: OutboxTransport) -> None:
        """HELD -> sentry-sdk (before_send) -> READY, one report at a time, in a thread."""
        for report in await asyncio.to_thread(self._outbox.held):
            if self._client is not client:
                return
            await asyncio.to_thread(self._capture_one, client, transport, report.event_id)

    def _capture_one(self, client: sentry_sdk.Client, transport: OutboxTransport,
                     event_id: str) -> None:
        """Capture one held event (runs in a worker thread)."""
        event = self._outbox.load_held(event_id)
        if event is None:
            return
        event["event_id"] = event_id
        result = client.capture_event(cast("Any", event))
        if result is None and not transport.closed:
            # before_send dropped it (or raised: sentry-sdk drops it then, failing closed).
            self._outbox.remove(event_id, DROP_BEFORE_SEND)

    async def _post_ready(self, client: sentry_sdk.Client,
                          consent_ok: Callable[[], Awaitable[bool]]) -> int:
        """POST ready envelopes oldest first, within rate limits, back-off and consent."""
        ready = await asyncio.to_thread(self._outbox.ready)
        limits = await asyncio.to_thread(self._outbox.rate_limits)
        failures, retry_at = await asyncio.to_thread(self._outbox.backoff)
        delivered = 0
        posted = False
        now = self._clock()
        if now < retry_at:
            self._schedule(ready, limits, retry_at)
            return 0
        # Reports that already failed go after fresh ones: one that keeps failing cannot
        # hold up the rest for ever.
        attempts = {r.event_id: await asyncio.to_thread(self._outbox.attempts, r.event_id)
                    for r in ready}
        queue = sorted(ready, key=lambda r: (attempts[r.event_id] > 0, r.held_at, r.event_id))
        for index, env in enumerate(queue):
            now = self._clock()
            if blocked_until(limits, env.categories, now) > now:
                continue
            if posted and self._pace_s > 0:
                await self._sleep(self._pace_s)
            if self._client is not client or not await consent_ok() \
                    or self._client is not client:
                _LOGGER.debug("Delivery stopped: consent is no longer ON")
                return delivered
            outcome = await self._post_one(env, limits)
            posted = True
            if outcome == "cancelled":
                return delivered
            if outcome == OUTCOME_SENT:
                delivered += 1
                if failures:
                    failures = 0
                    await asyncio.to_thread(self._outbox.set_backoff, 0, 0.0)
            elif outcome == "retry":
                failures += 1
                retry_at = self._clock() + self._backoff_delay(failures)
                retry_at = max(retry_at, self._retry_after_hint)
                await asyncio.to_thread(self._outbox.set_backoff, failures, retry_at)
                _LOGGER.info("Sentry not reachable; next attempt in %.0f s",
                             retry_at - self._clock())
                self._schedule(queue[index:], limits, retry_at)
                return delivered
        remaining = await asyncio.to_thread(self._outbox.ready)
        self._schedule(remaining, limits, 0.0)
        return delivered

    def _schedule(self, ready: list[ReadyEnvelope], limits: dict[str, float],
                  retry_at: float) -> None:
        """Remember when the next drain is due."""
        if not ready:
            self._next_wakeup = None
            return
        self._next_wakeup = max(retry_at, min(
            blocked_until(limits, r.categories, 0.0) for r in ready))

    async def _post_one(self, env: ReadyEnvelope, limits: dict[str, float]) -> str:
        """POST one envelope; return "sent", "retry", "kept" (429), "final" or "cancelled"."""
        self._retry_after_hint = 0.0
        body = await asyncio.to_thread(self._body, env.event_id)
        if body is None:
            return "final"
        headers = {
            "Content-Type": "application/x-sentry-envelope",
            "X-Sentry-Auth": self._auth,
            "User-Agent": CLIENT_NAME,
        }
        if self._compress:
            headers["Content-Encoding"] = "gzip"
        self.posts += 1
        task = asyncio.create_task(self._request(body, headers))
        self._inflight = task
        try:
            await asyncio.wait({task})
        finally:
            if self._inflight is task:
                self._inflight = None
        if task.cancelled():
            return "cancelled"
        err = task.exception()
        if err is not None:
            reason = type(err).__name__
            _LOGGER.info("Report %s not delivered (%s); will retry", env.event_id, reason)
            await asyncio.to_thread(self._outbox.note_attempt, env.event_id, reason,
                                    server_error=False)
            return "retry"
        status, resp_headers, text = task.result()
        now = self._clock()
        changed = self._update_limits(limits, status, resp_headers, now)
        if changed:
            await asyncio.to_thread(self._outbox.set_rate_limits, limits)
        if 200 <= status < 300:
            await asyncio.to_thread(self._outbox.remove, env.event_id, OUTCOME_SENT)
            _LOGGER.info("Report %s delivered to Sentry", env.event_id)
            return OUTCOME_SENT
        if status == 429:
            _LOGGER.warning("Report %s rate limited by Sentry; kept until the limit ends",
                            env.event_id)
            if blocked_until(limits, env.categories, now) <= now:
                # The limits named other categories only: back off rather than spin.
                return "retry"
            return "kept"
        if status == 408 or status >= 500 or status < 200 or 300 <= status < 400:
            self._retry_after_hint = now + (
                parse_retry_after(resp_headers.get("retry-after"), now) or 0.0)
            errors = await asyncio.to_thread(self._outbox.note_attempt, env.event_id,
                                             f"http_{status}", server_error=True)
            _LOGGER.warning("Sentry answered %d for report %s (attempt %d); will retry",
                            status, env.event_id, errors)
            if errors >= self._max_server_errors:
                await asyncio.to_thread(self._outbox.remove, env.event_id,
                                        "server_error_retries")
            return "retry"
        _LOGGER.warning("Sentry refused report %s with %d (final): %s", env.event_id, status,
                        text[:200])
        await asyncio.to_thread(self._outbox.remove, env.event_id, f"http_{status}")
        return "final"

    def _body(self, event_id: str) -> bytes | None:
        """The envelope to send, `sent_at` refreshed, gzip-compressed (in a thread)."""
        data = self._outbox.read_envelope(event_id)
        if data is None:
            return None
        data = _restamp(data, self._clock())
        return gzip.compress(data, compresslevel=6) if self._compress else data

    async def _request(self, body: bytes,
                       headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """One POST; returns status, lower-cased headers and (a bit of) the body."""
        async with self._http.post(self._url, data=body, headers=headers,
                                   timeout=self._timeout, allow_redirects=False) as resp:
            text = (await resp.content.read(4096)).decode("utf-8", "replace")
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, text

    @staticmethod
    def _update_limits(limits: dict[str, float], status: int, headers: dict[str, str],
                       now: float) -> bool:
        """Apply the answer's rate limits to `limits`; True if they changed."""
        header = headers.get("x-sentry-rate-limits")
        new: dict[str, float] = {}
        if header:
            new = parse_rate_limits(header, now)
        elif status == 429:
            seconds = parse_retry_after(headers.get("retry-after"), now)
            new = {ALL_CATEGORIES: now + (DEFAULT_RETRY_AFTER_S if seconds is None
                                          else seconds)}
        if new:
            # A limit on what we never send (spans, transactions, ...) is only of interest
            ours = any(k in _OUR_CATEGORIES for k in new)
            _LOGGER.log(logging.WARNING if ours else logging.DEBUG, "Sentry rate limits: %s",
                        ", ".join(f"{k or 'all'} for {v - now:.0f} s"
                                  for k, v in sorted(new.items())))
        changed = False
        for category, until in new.items():
            if until > limits.get(category, 0.0):
                limits[category] = until
                changed = True
        return changed


def send_now(dsn: str, events: Iterable[Event], *, timeout_s: float = SEND_TIMEOUT_S) -> int:
    """Send already scrubbed events once, now (`crash-reporter scan --dsn`).

    Returns how many Sentry accepted. Synchronous: runs its own event loop, with an outbox
    in a temporary directory.
    """
    events = list(events)

    async def _run(root: Path) -> int:
        outbox = Outbox(root, max_reports=max(1, len(events)), max_bytes=1 << 40)
        for event in events:
            await asyncio.to_thread(outbox.hold, event)
        async with aiohttp.ClientSession() as http:
            delivery = Delivery(outbox, dsn, lambda event, _hint: event, http,
                                timeout_s=timeout_s)
            await delivery.open()

            async def _yes() -> bool:
                return True

            try:
                return await delivery.drain(_yes)
            finally:
                await delivery.close()

    with tempfile.TemporaryDirectory(prefix="crash-reporter-send-") as tmp:
        return asyncio.run(_run(Path(tmp)))
