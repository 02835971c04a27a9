"""The panel's server and page, over HTTP against a real (not started) App and its data dir.

The browser tests (test_panel_browser.py) drive the daemon's panel through the ingress
stand-in in real Chromium; these check the rules of each request quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crash_reporter.app import App, off_words
from crash_reporter.config import load_config
from crash_reporter.consent import ConsentGate
from crash_reporter.models import Consent
from crash_reporter.panel import view
from crash_reporter.panel.pages import CSP
from crash_reporter.panel.server import Panel

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def event(n: int, value: str = "boom") -> dict[str, Any]:
    return {"event_id": f"{n:032x}", "level": "error", "platform": "python",
            "exception": {"values": [{"type": "RuntimeError", "value": value}]}}


class Answer:
    """What the Supervisor answers about the opt-in (the API client's read_consent)."""

    def __init__(self) -> None:
        self.state, self.reason = Consent.UNKNOWN, "GET /supervisor/info: HTTP 502"

    async def read_consent(self) -> tuple[Consent, str]:
        return self.state, self.reason


@pytest.fixture
def answer() -> Answer:
    return Answer()


@pytest.fixture
async def app(tmp_path: Path, answer: Answer) -> App:
    (tmp_path / "options.json").write_text('{"review_reports": true}')
    app = App(load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)}))
    app.consent = ConsentGate(answer, app.config.state_dir)
    await app.consent.refresh("test")
    return app


async def _client(app: App, peer: str) -> TestClient[web.Request, web.Application]:
    panel = Panel(app, trusted_peer=peer)
    client = TestClient(TestServer(panel.app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def proxy(app: App) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A client the panel takes for the ingress proxy (it trusts 127.0.0.1 here)."""
    client = await _client(app, "127.0.0.1")
    yield client
    await client.close()


HEADERS = {"X-Ingress-Path": "/api/hassio_ingress/abc", "X-Remote-User-Name": "admin"}


async def test_anyone_but_the_proxy_gets_403_on_every_path(app: App) -> None:
    client = await _client(app, "172.30.32.2")
    try:
        for method, path in (("GET", "/"), ("GET", "/static/panel.css"), ("POST", "/send"),
                             ("GET", "/nothing")):
            resp = await client.request(method, path, headers=HEADERS)
            assert resp.status == 403, (method, path)
            assert resp.headers["Content-Security-Policy"] == CSP
    finally:
        await client.close()


async def test_page_escapes_crash_text_and_sets_a_strict_csp(app: App, proxy: Any) -> None:
    app.outbox.hold(event(1, EVIL))
    app.payloads.held(event(1, EVIL))
    resp = await proxy.get("/", headers=HEADERS)
    assert resp.status == 200
    html = await resp.text()
    assert resp.headers["Content-Security-Policy"] == CSP
    assert "script-src" not in CSP and "'unsafe-inline'" not in CSP
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Relative URLs only: the page works under any ingress prefix.
    urls = re.findall(r'(?:href|action|src)="([^"]*)"', html)
    assert urls and all(not u.startswith(("/", "http")) for u in urls), urls
    assert 'name="viewport"' in html
    css = await proxy.get("/static/panel.css", headers=HEADERS)
    assert css.status == 200 and "@media" in await css.text()


async def test_review_send_and_discard_need_the_sessions_token(app: App, proxy: Any,
                                                              answer: Answer) -> None:
    app.review_queue.hold(event(2))
    app.review_queue.hold(event(3))
    html = await (await proxy.get("/", headers=HEADERS)).text()
    token = re.search(r'name="token" value="([0-9a-f]+)"', html)
    assert token and html.count('action="send"') == 2
    form = {"token": token[1], "event_id": f"{2:032x}"}
    # another ingress session (another path) or a cross-site form: refused, nothing changes
    other = {**HEADERS, "X-Ingress-Path": "/api/hassio_ingress/other"}
    assert (await proxy.post("/send", data=form, headers=other)).status == 403
    cross = {**HEADERS, "Sec-Fetch-Site": "cross-site"}
    assert (await proxy.post("/send", data=form, headers=cross)).status == 403
    assert (await proxy.post("/send", data={**form, "token": "0" * 64},
                             headers=HEADERS)).status == 403
    assert len(app.review_queue.waiting()) == 2
    # Diagnostics OFF: Send is refused whatever the user clicks
    answer.state, answer.reason = Consent.OFF, "diagnostics off"
    assert app.consent is not None
    await app.consent.refresh("test")
    resp = await proxy.post("/send", data=form, headers=HEADERS, allow_redirects=False)
    assert resp.headers["Location"] == "./?notice=refused"
    assert len(app.review_queue.waiting()) == 2 and app.outbox.held() == []
    answer.state = Consent.UNKNOWN
    await app.consent.refresh("test")
    # Diagnostics unknown (not OFF): Send moves it to the outbox, where it waits for ON
    resp = await proxy.post("/send", data=form, headers=HEADERS, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "./?notice=sent"
    assert resp.status == 303
    assert [w["event_id"] for w in app.review_queue.waiting()] == [f"{3:032x}"]
    assert [h.event_id for h in app.outbox.held()] == [f"{2:032x}"]
    resp = await proxy.post("/discard", data={**form, "event_id": f"{3:032x}"},
                            headers=HEADERS, allow_redirects=False)
    assert resp.headers["Location"] == "./?notice=discarded"
    assert app.review_queue.waiting() == []
    assert app.outbox.stats()["dropped"] == {"discarded": 1}
    again = await proxy.post("/discard", data={**form, "event_id": f"{3:032x}"},
                             headers=HEADERS, allow_redirects=False)
    assert again.headers["Location"] == "./?notice=gone"
    page = await (await proxy.get("/?notice=discarded", headers=HEADERS)).text()
    assert "you discarded it" in page and "was discarded and deleted" in page


@pytest.mark.parametrize(("state", "reason", "kind"), [
    ("on", "diagnostics on, system supported", "on"),
    ("off", "diagnostics off", "off"),
    ("off", "diagnostics never chosen", "never_chosen"),
    ("off", "diagnostics on but the system is unsupported", "unsupported"),
    ("unknown", "GET /supervisor/info: HTTP 502", "unknown"),
])
def test_every_consent_state_is_explained(state: str, reason: str, kind: str) -> None:
    assert view.consent_kind(state, reason) == kind
    title, text = view.CONSENT_TEXT[kind]
    assert title and "sent" in text


def test_destination_never_shows_the_key() -> None:
    dsn = "https://secretkey123@o1.ingest.example.io/42"
    for source in ("built-in", "option"):
        text = view.destination(dsn, source)
        assert "secretkey123" not in text and "o1.ingest.example.io" in text
    assert "kept on this device" in view.destination(None, "none")


def test_drop_reasons_in_plain_words() -> None:
    assert view.drop_reason("dropped: http_413") == "the destination refused it (HTTP 413)"
    assert view.drop_reason("deleted: consent_off").startswith("Diagnostics was turned off")
    assert view.drop_reason("dropped: something_new") == "something new"


def test_the_log_says_why_consent_is_off_once() -> None:
    assert off_words("diagnostics off") == "diagnostics is off"
    assert off_words("diagnostics never chosen") == "diagnostics is off (never chosen)"
    assert off_words("diagnostics on but the system is unsupported") == (
        "diagnostics is off (on but the system is unsupported)")


def test_only_pauses_that_hold_back_our_reports_are_shown() -> None:
    status = {"now": 1000.0, "rate_limits": {"all": 1060.0, "error": 1100.0, "span": 9e9,
                                             "transaction": 9e9}}
    shown = view.rate_limits(status)
    assert [s.split(":")[0] for s in shown] == ["all reports", "crash reports"]


def test_payload_record_is_bounded_and_survives_a_restart(tmp_path: Path) -> None:
    from crash_reporter.payloads import PayloadRecord  # noqa: PLC0415

    record = PayloadRecord(tmp_path, max_files=3)
    for n in range(1, 6):
        record.held(event(n))
    record.prepared({**event(5), "extra": "as it left"})
    again = PayloadRecord(tmp_path, max_files=3)  # a restart
    assert again.get(f"{1:032x}") is None and again.get(f"{2:032x}") is None
    assert again.get(f"{3:032x}") == (event(3), False)
    assert again.get(f"{5:032x}") == ({**event(5), "extra": "as it left"}, True)
    (tmp_path / "payloads" / f"{4:032x}.json").write_bytes(b"\xff{ not json")
    assert again.get(f"{4:032x}") is None
    again.held({"event_id": "../../etc/passwd"})  # not an event id: never a file name
    assert sorted(p.name for p in (tmp_path / "payloads").glob("*.json")) == [
        f"{3:032x}.json", f"{4:032x}.json", f"{5:032x}.json"]


async def test_diagnostics_off_deletes_waiting_reports_and_their_copies(app: App) -> None:
    app.review_queue.hold(event(7))
    app.payloads.held(event(7))
    app.outbox.hold(event(8))
    app.payloads.held(event(8))
    app.payloads.prepared(event(9))  # sent earlier: its record stays
    app.outbox.hold(event(9))
    app.outbox.remove(f"{9:032x}", "sent")
    assert app._purge_unsent() == 2
    assert app.review_queue.waiting() == [] and app.outbox.held() == []
    assert app.payloads.get(f"{7:032x}") is None and app.payloads.get(f"{8:032x}") is None
    assert app.payloads.get(f"{9:032x}") is not None


async def test_the_port_listens_at_once_and_loads_the_web_server_for_the_first_visit(
        app: App) -> None:
    """The first request waits in the backlog while the pages load, then is answered."""
    panel = Panel(app, port=0, host="127.0.0.1", trusted_peer="127.0.0.1")
    task = asyncio.create_task(panel.run())
    try:
        async with asyncio.timeout(5):
            while panel.port is None:  # noqa: ASYNC110 - set just after the socket opens
                await asyncio.sleep(0.01)
        assert panel._pages is None  # nothing loaded while nobody came
        async with aiohttp.ClientSession() as session:
            for _ in range(2):
                async with session.get(f"http://127.0.0.1:{panel.port}/",
                                       headers=HEADERS) as resp:
                    assert resp.status == 200
                    assert "Content-Security-Policy" in resp.headers
        assert panel._pages is not None
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_an_idle_daemon_has_not_loaded_the_web_server() -> None:
    """aiohttp's web server and the pages are loaded only when the panel is opened."""
    probe = ("import sys, crash_reporter.__main__, crash_reporter.app; "
             "print(sorted(m for m in sys.modules if m.startswith(('aiohttp.web', "
             "'crash_reporter.panel.pages', 'jinja2'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
