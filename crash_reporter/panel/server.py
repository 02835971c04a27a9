"""The panel's listener: the ingress port, open from the start, served once someone comes.

The daemon runs for months and the panel is opened now and then, so its web application
(`pages`: aiohttp's web server, jinja2) is loaded only when the first connection waits on
the port; until then the port is a plain listening socket, and that connection waits in the
kernel's backlog until aiohttp accepts it (a few hundred ms, once). Idle, this spares the
daemon about 2 MB (bench/footprint.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from crash_reporter.const import INGRESS_PORT, INGRESS_PROXY_ADDRESS
from crash_reporter.payloads import PayloadRecord
from crash_reporter.review import ReviewQueue

if TYPE_CHECKING:
    from aiohttp import web

    from crash_reporter.panel.pages import PanelPages

_LOGGER = logging.getLogger(__name__)
BACKLOG = 16  # connections that may wait for the web application to load


@dataclass(frozen=True, slots=True)
class PanelFacts:
    """What only the running daemon knows, read at each page view."""

    data_dir: Path
    consent_state: str  # on, off, unknown
    consent_reason: str
    consent_read_at: float | None
    dsn: str | None
    dsn_source: str
    review: bool
    units: list[str]
    logs: list[str]
    identifiers: int


class PanelSource(Protocol):
    """The daemon, as the panel sees it."""

    review_queue: ReviewQueue
    payloads: PayloadRecord

    def panel_facts(self) -> PanelFacts:
        """Live facts (cheap, no I/O)."""

    async def review_send(self, event_id: str) -> str:
        """Send a waiting report; return a NOTICES key."""

    async def review_discard(self, event_id: str) -> str:
        """Discard a waiting report; return a NOTICES key."""


class Panel:
    """The ingress web server; `run()` serves until cancelled."""

    def __init__(self, source: PanelSource, *, port: int = INGRESS_PORT,
                 host: str = "0.0.0.0", trusted_peer: str = INGRESS_PROXY_ADDRESS) -> None:
        """Prepare; `trusted_peer` is the only address answered (the ingress proxy)."""
        self._source = source
        self._port = port
        self._host = host
        self._trusted_peer = trusted_peer
        self._secret = secrets.token_bytes(32)
        self.port: int | None = None  # the port listened on, once started
        self._pages: PanelPages | None = None

    @property
    def app(self) -> web.Application:
        """The web application (loaded at the first call)."""
        return self._load().app

    def _load(self) -> PanelPages:
        if self._pages is None:
            pages = importlib.import_module("crash_reporter.panel.pages")
            self._pages = pages.PanelPages(self._source, self._trusted_peer, self._secret)
        return self._pages

    async def run(self) -> None:
        """Listen until cancelled; a port that cannot be opened is logged, not fatal."""
        try:
            sock = socket.create_server((self._host, self._port), backlog=BACKLOG)
        except OSError as err:
            _LOGGER.error("The panel cannot listen on port %d: %s", self._port, err)
            await asyncio.Event().wait()
        with sock:
            sock.setblocking(False)
            self.port = int(sock.getsockname()[1])
            _LOGGER.info("Panel listening on port %d (answers only %s, the ingress proxy)",
                         self.port, self._trusted_peer)
            await _readable(sock)
            # The import takes a few hundred ms on a small board: not on the event loop.
            app = (await asyncio.to_thread(self._load)).app
            await _serve(app, sock)


async def _readable(sock: socket.socket) -> None:
    """Return once a connection waits on the listening `sock` (without accepting it)."""
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    loop.add_reader(sock.fileno(), ready.set)
    try:
        await ready.wait()
    finally:
        loop.remove_reader(sock.fileno())


async def _serve(app: web.Application, sock: socket.socket) -> None:
    """Serve `app` on the listening `sock` until cancelled."""
    from aiohttp import web  # noqa: PLC0415 - loaded with the pages, see the docstring

    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await runner.cleanup()
