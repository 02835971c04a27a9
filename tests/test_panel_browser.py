"""The panel as a user meets it: REAL headless Chromium, through the ingress stand-in, on the
REAL daemon (`python -m crash_reporter run`) fed real Supervisor crash logs.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright from PyPI. Without it these
tests FAIL (they never skip): `apt-get install chromium` (sandbox/install-system-packages.sh).
Each test saves a screenshot (printed path; kept in pytest's tmp dir).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, ConsoleMessage, Dialog, Page

from sandbox.browser import chromium
from sandbox.daemon import Daemon, daemon_env
from sandbox.ingress import PEER, IngressStandIn
from sandbox.receiver import Fault, Receiver
from sandbox.supervisor_api import SupervisorStandIn

EVIL = '<script>alert("xss")</script><img src=x onerror="alert(1)">'
NO_BUS = "unix:path=/nonexistent/system_bus_socket"  # these tests need no systemd


def traceback_lines(exc_type: str, message: str, function: str) -> list[str]:
    """A Supervisor ERROR record with its traceback, as the Supervisor logs it (plain)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    return [
        f"{stamp}.000 ERROR (MainThread) [supervisor.core] Unexpected error in {function}",
        "Traceback (most recent call last):",
        f'  File "/usr/src/supervisor/supervisor/core.py", line 75, in {function}',
        "    await self._stage()",
        '  File "/usr/src/supervisor/supervisor/host/network.py", line 63, in load',
        "    interface = self.get(wanted)",
        f"{exc_type}: {message}",
        f"{stamp}.100 INFO (MainThread) [supervisor.core] Supervisor is up and running",
    ]


@dataclass
class Setup:
    supervisor: SupervisorStandIn
    sentry: Receiver
    daemon: Daemon
    ingress: IngressStandIn
    browser: Browser
    page: Page
    dialogs: list[str]
    console: list[str]

    def crash(self, exc_type: str, message: str, function: str) -> None:
        self.supervisor.append("hassio_supervisor", traceback_lines(exc_type, message, function))

    async def open(self) -> None:
        await self.page.goto(self.ingress.url)


@contextlib.asynccontextmanager
async def running(tmp_path: Path, *, review: bool = False) -> AsyncIterator[Setup]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "options.json").write_text(json.dumps({"review_reports": review}))
    async with contextlib.AsyncExitStack() as stack:
        supervisor = await stack.enter_async_context(SupervisorStandIn(diagnostics=True))
        sentry = await stack.enter_async_context(Receiver())
        daemon = Daemon(daemon_env(supervisor, data_dir, NO_BUS, sentry.dsn, panel_peer=PEER))
        await daemon.start()
        stack.push_async_callback(daemon.stop)
        port = await daemon.panel_port()
        assert port, "\n".join(daemon.lines[-20:])
        assert await daemon.wait_for("consent is ON", 10)
        assert await daemon.wait_for("Following logs", 10)
        ingress = await stack.enter_async_context(IngressStandIn(port))
        browser = await stack.enter_async_context(chromium())
        context = await browser.new_context(viewport={"width": 412, "height": 915})  # a phone
        page = await context.new_page()
        dialogs: list[str] = []
        console: list[str] = []

        async def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            console.append(message.text)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        yield Setup(supervisor, sentry, daemon, ingress, browser, page, dialogs, console)


async def screenshot(page: Page, path: Path) -> None:
    png = await page.screenshot(path=str(path), full_page=True)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    print(f"screenshot: {path}")


async def report(page: Page, event_id: str) -> dict[str, Any]:
    """What the page shows of one report (status, title text, event id, payload)."""
    card = page.locator(f"#report-{event_id}")
    await card.locator("summary").click()  # open the payload (no script: <details>)
    payload = card.locator("pre.payload")
    return {
        "status": await card.get_attribute("data-status"),
        "title": await card.locator(".title").text_content(),
        "event_id": await card.locator(".event-id").text_content(),
        "reason": (await card.locator(".reason").text_content()
                   if await card.locator(".reason").count() else None),
        "payload": json.loads(await payload.text_content() or "null")
        if await payload.count() else None,
    }


async def wait_log(daemon: Daemon, needle: str, start: int = 0) -> str:
    line = await daemon.wait_for(needle, 15, start)
    assert line, f"daemon never logged {needle!r}:\n" + "\n".join(daemon.lines[-15:])
    return line


async def test_panel_shows_consent_sent_held_and_dropped_reports(tmp_path: Path) -> None:
    async with running(tmp_path) as s:
        # 1. sent: its payload is exactly what the receiver got
        s.crash("RuntimeError", EVIL, "start")
        await s.sentry.wait_for(1, 20)
        [sent_event] = [e.event() for e in s.sentry.envelopes]
        assert sent_event is not None
        # 2. dropped: the destination refuses it for good (413)
        s.sentry.script(Fault.http(413))
        mark = len(s.daemon.lines)
        s.crash("ValueError", "bad value", "load")
        dropped_line = await wait_log(s.daemon, "dropped (http_413)", mark)
        dropped_id = dropped_line.split("Report ")[1].split()[0]
        # 3. held: the Supervisor stops answering, consent is UNKNOWN, the report waits
        s.supervisor.set_fault(500, ["/supervisor/info"])
        mark = len(s.daemon.lines)
        s.crash("KeyError", "'eth9'", "setup")
        built = await wait_log(s.daemon, "Crash report", mark)
        held_id = built.split("Crash report ")[1].split()[0]
        await wait_log(s.daemon, "consent is UNKNOWN", mark)

        await s.open()
        page = s.page
        assert "Diagnostics cannot be read right now" in (
            await page.locator("#consent h2").text_content() or "")
        sent = await report(page, sent_event["event_id"])
        assert sent["status"] == "sent"
        assert sent["payload"] == sent_event, "the page must show exactly what left"
        assert EVIL in (sent["title"] or ""), "crash text is shown as text"
        dropped = await report(page, dropped_id)
        assert dropped["status"] == "dropped"
        assert dropped["reason"] == "Why: the destination refused it (HTTP 413)"
        held = await report(page, held_id)
        assert held["status"] == "held" and held["payload"]["event_id"] == held_id
        # The <script> and <img onerror> executed nothing and created no element.
        assert s.dialogs == []
        assert await page.locator("script").count() == 0
        assert await page.locator("img").count() == 0
        assert not [c for c in s.console if "Content Security Policy" in c], s.console
        text = await page.locator("#watched").text_content() or ""
        assert "hassio_supervisor" in text and "haos-agent.service" in text
        identifiers = int(await page.locator("#identifiers").text_content() or "-1")
        assert identifiers >= 1  # at least the stand-in's hostname and machine id
        assert "172.30" not in (await page.content())  # nothing of the host in the page
        # Usable on a phone: nothing wider than the 412 px screen (long ids and JSON wrap).
        assert await page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth")
        # Every request went through the ingress prefix: relative URLs only.
        assert ("GET", "/static/panel.css") in s.ingress.requests
        await screenshot(page, tmp_path / "panel.png")

        # The same daemon, asked directly (not by the ingress proxy): 403.
        async with aiohttp.ClientSession() as session:
            port = s.ingress.panel_port
            for method, path in (("GET", "/"), ("POST", "/send"), ("GET", "/static/panel.css")):
                async with session.request(method, f"http://127.0.0.1:{port}{path}",
                                           headers={"X-Ingress-Path": s.ingress.prefix}) as r:
                    assert r.status == 403, (method, path)
        direct = await page.goto(f"http://127.0.0.1:{s.ingress.panel_port}/")
        assert direct is not None and direct.status == 403


async def test_review_send_delivers_and_discard_deletes(tmp_path: Path) -> None:
    async with running(tmp_path, review=True) as s:
        mark = len(s.daemon.lines)
        s.crash("RuntimeError", "first " + EVIL, "start")
        first = (await wait_log(s.daemon, "waits for your review", mark)).split("Report ")[1]
        first_id = first.split()[0]
        mark = len(s.daemon.lines)
        s.crash("ZeroDivisionError", "division by zero", "load")
        second = (await wait_log(s.daemon, "waits for your review", mark)).split("Report ")[1]
        second_id = second.split()[0]
        assert s.sentry.envelopes == []  # nothing leaves before the user decides

        await s.open()
        page = s.page
        waiting = await report(page, first_id)
        assert waiting["status"] == "review" and waiting["payload"]["event_id"] == first_id
        await screenshot(page, tmp_path / "review.png")
        await page.locator(f"#report-{first_id} button.send").click()
        await page.wait_for_url(f"**{s.ingress.prefix}/?notice=sent")
        await s.sentry.wait_for(1, 20)
        [delivered] = [e.event() for e in s.sentry.envelopes]
        assert delivered is not None and delivered["event_id"] == first_id
        await page.reload()
        sent = await report(page, first_id)
        assert sent["status"] == "sent" and sent["payload"] == delivered

        await page.locator(f"#report-{second_id} button.discard").click()
        await page.wait_for_url(f"**{s.ingress.prefix}/?notice=discarded")
        discarded = await report(page, second_id)
        assert discarded["status"] == "dropped" and discarded["reason"] == "Why: you discarded it"
        assert discarded["payload"] is None
        assert not (tmp_path / "data/outbox/review" / f"{second_id}.json").exists()
        assert [e.event_id for e in s.sentry.envelopes] == [first_id]
        assert s.dialogs == []
        await screenshot(page, tmp_path / "after-review.png")


@pytest.fixture(autouse=True)
def _chromium_is_installed() -> None:
    """A missing Chromium fails these tests with the install command (never a skip)."""
    from sandbox.browser import chromium_path  # noqa: PLC0415

    chromium_path()
