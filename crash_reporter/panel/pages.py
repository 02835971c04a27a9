"""The panel's web application (aiohttp): its guards, its page and its two forms.

- Only the Supervisor's ingress proxy (172.30.32.2) may connect; anyone else gets 403. Home
  Assistant has already authenticated the user, and only admins see the panel.
- Every URL in the page is relative: ingress serves it under a per-session path prefix.
- Server-rendered HTML (jinja2, autoescape on) and no script at all; a strict
  Content-Security-Policy forbids any script, inline style or foreign resource, so crash text
  that holds markup can only ever be shown as text.
- Send and Discard are plain form POSTs. The proxy forwards the browser's own headers, so a
  cross-site form posted through a user's ingress session is refused: each form carries a
  token bound to the ingress session's path (an HMAC with a secret of this process), and a
  browser's `Sec-Fetch-Site: cross-site` is refused.

`server.Panel` loads this module when the panel is first opened (aiohttp's web server costs
an idle daemon about 2 MB).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from crash_reporter.outbox import RECENT_MAX, valid_event_id
from crash_reporter.panel import view
from crash_reporter.panel.server import PanelSource
from crash_reporter.status import read_status

_LOGGER = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'self'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
INGRESS_PATH_HEADER = "X-Ingress-Path"
NOTICES = {
    "sent": "The report is queued: it is sent while Diagnostics is on.",
    "discarded": "The report was discarded and deleted from this device.",
    "refused": "Diagnostics is off: nothing can be sent. The report stays here.",
    "gone": "That report is no longer waiting (it was sent, discarded or deleted).",
}


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PanelPages:
    """The panel's aiohttp application (`app`), answering only `trusted_peer`."""

    def __init__(self, source: PanelSource, trusted_peer: str, secret: bytes) -> None:
        """Build the application; forms are signed with `secret` (one per process)."""
        self._source = source
        self._trusted_peer = trusted_peer
        self._secret = secret
        self._templates: Any = None  # the jinja2 Environment, made at the first page view
        self.app = self._make_app()

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._only_the_proxy], client_max_size=64 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_post("/send", self._send)
        app.router.add_post("/discard", self._discard)
        app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
        app.on_response_prepare.append(self._security_headers)
        return app

    # --- guards ---------------------------------------------------------------------------

    @web.middleware
    async def _only_the_proxy(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """403 for every peer but the ingress proxy."""
        if request.remote != self._trusted_peer:
            _LOGGER.warning("Panel: refused a request from %s (not the ingress proxy)",
                            request.remote)
            return web.Response(status=403, text="403: this panel answers only Home "
                                "Assistant's ingress. Open it from the sidebar.\n")
        return await handler(request)

    @staticmethod
    async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)

    def _token(self, request: web.Request) -> str:
        path = request.headers.get(INGRESS_PATH_HEADER, "")
        return hmac.new(self._secret, path.encode(), hashlib.sha256).hexdigest()

    async def _form(self, request: web.Request) -> str:
        """The event id of a valid Send/Discard form, or raise 403/400."""
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            raise web.HTTPForbidden(text="403: a form from another site\n")
        form = await request.post()
        token = form.get("token")
        if not isinstance(token, str) or not hmac.compare_digest(token, self._token(request)):
            raise web.HTTPForbidden(text="403: this form is out of date; reload the panel\n")
        event_id = form.get("event_id")
        if not isinstance(event_id, str) or not valid_event_id(event_id):
            raise web.HTTPBadRequest(text="400: no report named\n")
        return event_id

    # --- pages ----------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        page = await asyncio.to_thread(self._page)
        page.notice = NOTICES.get(request.query.get("notice", ""), "")
        context: dict[str, Any] = {"page": page, "token": self._token(request)}
        return web.Response(text=self._render("index.html", context), content_type="text/html")

    def _render(self, name: str, context: dict[str, Any]) -> str:
        """A template rendered (autoescape on).

        jinja2 is loaded at the first page view: it costs an idle daemon a few MB, and the
        panel is opened now and then.
        """
        if self._templates is None:
            import jinja2  # noqa: PLC0415 - lazily, see above

            self._templates = jinja2.Environment(
                loader=jinja2.PackageLoader("crash_reporter.panel", "templates"),
                autoescape=True, undefined=jinja2.StrictUndefined)
        return str(self._templates.get_template(name).render(context))

    def _page(self) -> view.PanelPage:
        """Read everything the page shows (in a worker thread: it reads the data dir)."""
        facts = self._source.panel_facts()
        status = read_status(facts.data_dir, recent=RECENT_MAX)
        kind = view.consent_kind(facts.consent_state, facts.consent_reason)
        title, text = view.CONSENT_TEXT[kind]
        waiting = self._source.review_queue.waiting()
        return view.PanelPage(
            consent_kind=kind, consent_title=title, consent_text=text,
            consent_read=view.when(facts.consent_read_at, status["now"]),
            destination=view.destination(facts.dsn, facts.dsn_source),
            review=facts.review, watched_units=facts.units, watched_logs=facts.logs,
            identifiers=facts.identifiers,
            reports=view.report_rows(status, waiting, self._source.payloads.get, kind),
            counters=view.counters(status), rate_limits=view.rate_limits(status),
        )

    async def _send(self, request: web.Request) -> web.StreamResponse:
        event_id = await self._form(request)
        raise web.HTTPSeeOther(f"./?notice={await self._source.review_send(event_id)}")

    async def _discard(self, request: web.Request) -> web.StreamResponse:
        event_id = await self._form(request)
        raise web.HTTPSeeOther(f"./?notice={await self._source.review_discard(event_id)}")
