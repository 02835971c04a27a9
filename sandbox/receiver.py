"""A fault-injecting Sentry envelope receiver for tests (a real aiohttp server on 127.0.0.1).

    async with Receiver() as rx:
        rx.script(Fault.status(500), Fault.reset_mid_body(), Fault.ok())
        ... Delivery(outbox, rx.dsn, ...) ...
        assert rx.event_ids == [...]

Every accepted TCP connection is counted (`connections`), every complete request is
recorded (`requests`) and every envelope parsed (`envelopes`: header, items; gzip/br/deflate
bodies are decompressed). Faults are scripted per request, in order; with none left the
answer is 200. `refuse()` stops listening (real ECONNREFUSED), `listen()` starts again on
the same port. Envelopes are stored only when the answer is 2xx or the fault is
`accept_then_reset` (Sentry stored it but the reply was lost), like a real server would.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PUBLIC_KEY = "0123456789abcdef0123456789abcdef"
PROJECT_ID = "42"


@dataclass(frozen=True)
class Fault:
    """What to do with one request."""

    kind: str = "ok"  # ok, status, reset_mid_body, accept_then_reset, slow
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0

    @classmethod
    def ok(cls) -> Fault:
        return cls()

    @classmethod
    def http(cls, status: int, **headers: str) -> Fault:
        """Answer `status`; header names use _ for - (retry_after -> Retry-After)."""
        named = tuple(
            ("X-Sentry-Rate-Limits" if k == "rate_limits" else k.replace("_", "-").title(), v)
            for k, v in headers.items())
        return cls("status", status, named)

    @classmethod
    def reset_mid_body(cls) -> Fault:
        """Read a little of the body, then reset the connection (nothing stored)."""
        return cls("reset_mid_body")

    @classmethod
    def accept_then_reset(cls) -> Fault:
        """Store the envelope, then reset before answering (the reply is lost)."""
        return cls("accept_then_reset")

    @classmethod
    def slow(cls, delay: float, status: int = 200) -> Fault:
        """Answer only after `delay` seconds (or when the receiver stops)."""
        return cls("slow", status, (), delay)


@dataclass
class ReceivedEnvelope:
    """One parsed envelope."""

    header: dict[str, Any]
    items: list[tuple[dict[str, Any], bytes]]
    request_headers: dict[str, str]
    raw: bytes
    received_at: float = field(default_factory=time.time)  # epoch seconds, when stored

    @property
    def event_id(self) -> str | None:
        return self.header.get("event_id")

    def event(self) -> dict[str, Any] | None:
        """The event item's payload, parsed."""
        for header, payload in self.items:
            if header.get("type") == "event":
                doc: dict[str, Any] = json.loads(payload)
                return doc
        return None


def parse_envelope(raw: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    """Split envelope bytes into its header and (item header, payload) pairs."""
    head, _, rest = raw.partition(b"\n")
    header = json.loads(head)
    items: list[tuple[dict[str, Any], bytes]] = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        if not line.strip():
            continue
        item_header = json.loads(line)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length:]
            if rest.startswith(b"\n"):
                rest = rest[1:]
        items.append((item_header, payload))
    return header, items


def decode_body(body: bytes, encoding: str) -> bytes:
    """Undo Content-Encoding (gzip, deflate, br) unless aiohttp already did."""
    encoding = encoding.strip().lower()
    if body.startswith(b"{"):
        return body  # aiohttp's server decodes gzip/deflate/br request bodies itself
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found]  # noqa: PLC0415

        data: bytes = brotli.decompress(body)
        return data
    return body


@dataclass
class Receiver:
    """The server; use as an async context manager."""

    host: str = "127.0.0.1"
    port: int = 0
    connections: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    envelopes: list[ReceivedEnvelope] = field(default_factory=list)
    _faults: list[Fault] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _web: web.Server | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def dsn(self) -> str:
        return f"http://{PUBLIC_KEY}@{self.host}:{self.port}/{PROJECT_ID}"

    def script(self, *faults: Fault) -> None:
        """Queue faults for the next requests, in order."""
        self._faults.extend(faults)

    @property
    def scripted(self) -> int:
        """How many queued faults are left."""
        return len(self._faults)

    def unscript(self) -> None:
        """Drop the faults still queued (the next requests are answered 200)."""
        self._faults.clear()

    @property
    def event_ids(self) -> list[str]:
        """Event ids of the stored envelopes, in arrival order (duplicates included)."""
        return [e.event_id for e in self.envelopes if e.event_id]

    @property
    def distinct_event_ids(self) -> set[str]:
        return set(self.event_ids)

    def duplicates(self) -> int:
        """How many stored envelopes repeated an event id (Sentry would discard them)."""
        return sum(n - 1 for n in Counter(self.event_ids).values())

    async def __aenter__(self) -> Receiver:
        self._web = web.Server(self._handle)
        await self.listen()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def listen(self) -> None:
        """Start (or resume) listening, on the same port as before."""
        assert self._web is not None
        web_server = self._web

        def factory() -> asyncio.Protocol:
            self.connections += 1
            return web_server()

        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._server = await loop.create_server(factory, sock=sock)

    async def refuse(self) -> None:
        """Stop listening: connections are refused until `listen()`."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def close(self) -> None:
        self._stopping.set()
        await self.refuse()
        if self._web is not None:
            await self._web.shutdown(1.0)

    async def wait_for(self, count: int, deadline_s: float = 10.0) -> None:
        """Wait until at least `count` envelopes are stored."""
        async with asyncio.timeout(deadline_s):
            while len(self.envelopes) < count:
                self._arrived.clear()
                await self._arrived.wait()

    async def wait_requests(self, count: int, deadline_s: float = 10.0) -> None:
        """Wait until at least `count` requests have started."""
        async with asyncio.timeout(deadline_s):
            while len(self.requests) < count:
                self._arrived.clear()
                await self._arrived.wait()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        fault = self._faults.pop(0) if self._faults else Fault.ok()
        info: dict[str, Any] = {"path": request.path, "method": request.method,
                                "headers": dict(request.headers), "fault": fault.kind}
        self.requests.append(info)
        self._arrived.set()
        if fault.kind == "reset_mid_body":
            await request.content.read(16)
            assert request.transport is not None
            request.transport.abort()
            info["outcome"] = "reset"
            raise asyncio.CancelledError
        body = await request.read()
        try:
            raw = decode_body(body, request.headers.get("Content-Encoding", ""))
            header, items = parse_envelope(raw)
        except (ValueError, OSError, zlib.error) as err:
            info["outcome"] = f"bad envelope: {err}"
            return web.Response(status=400, text="bad envelope")
        envelope = ReceivedEnvelope(header, items, dict(request.headers), raw)
        info["event_id"] = envelope.event_id
        if fault.kind == "slow":
            try:
                async with asyncio.timeout(fault.delay):
                    await self._stopping.wait()
            except TimeoutError:
                pass
        status = fault.status if fault.kind in ("status", "slow") else 200
        if fault.kind == "accept_then_reset" or 200 <= status < 300:
            self.envelopes.append(envelope)
            self._arrived.set()
        if fault.kind == "accept_then_reset":
            assert request.transport is not None
            request.transport.abort()
            info["outcome"] = "stored, reset"
            raise asyncio.CancelledError
        info["outcome"] = status
        text = json.dumps({"id": envelope.event_id}) if status == 200 else "fault"
        return web.Response(status=status, text=text, headers=dict(fault.headers))
