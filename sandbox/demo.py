"""`./run demo`: the real daemon in a sandbox of real parts, start to finish in under a minute.

Parts: Bugsink as the Sentry; a real systemd user manager on its private bus, in which
`haos-agent.service` really crashes in a loop (SIGSEGV); an OS-Agent stand-in exporting
`io.hass.os` on that bus; a Supervisor API stand-in with diagnostics on. The daemon is
started exactly as in the app (`python -m crash_reporter run`), configured through its
environment. The demo shows the consent state, the report that was built, the issue as it
landed in Bugsink (read back through Bugsink's API, with its URL), the app's panel as the
sidebar shows it (through an ingress stand-in, in headless Chromium; a screenshot is saved),
then turns diagnostics off the way the Supervisor does and shows that the next crashes are
not sent.

Where a part cannot start here (no root for systemd's mount namespace, ...), it says which
and carries on with the rest: without systemd the crash comes from the Supervisor's log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sandbox.browser import BrowserUnavailable, chromium
from sandbox.bugsink import BugsinkProject, BugsinkServer, BugsinkUnavailable
from sandbox.daemon import Daemon, daemon_env, set_diagnostics
from sandbox.ingress import PEER, IngressStandIn
from sandbox.os_agent import OsAgentStandIn
from sandbox.supervisor_api import SupervisorStandIn
from sandbox.systemd import SystemdUnavailable, SystemdUserManager

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
UNIT = "haos-agent.service"
CRASH_COMMAND = ["/bin/sh", "-c", "sleep 0.3; kill -SEGV $$"]
WAIT_REPORT_S = 25.0
QUIET_AFTER_OFF_S = 8.0
SCREENSHOT = ROOT / ".cache" / "demo" / "panel.png"


async def show_panel(daemon: Daemon, stack: contextlib.AsyncExitStack) -> bool:
    """Open the daemon's panel through the ingress stand-in; save a screenshot."""
    port = await daemon.panel_port()
    if port is None:
        say("==> the panel did not start (see the daemon's log)")
        return False
    ingress = await stack.enter_async_context(IngressStandIn(port))
    say(f"    panel URL (as the sidebar opens it, while the demo runs): {ingress.url}")
    try:
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1000, "height": 900})
            await page.goto(ingress.url)
            first = page.locator("#reports summary").first
            if await first.count():
                await first.click()
            await asyncio.to_thread(SCREENSHOT.parent.mkdir, parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOT), full_page=True)
            consent = (await page.locator("#consent h2").text_content() or "").strip()
            reports = await page.locator("#reports article").count()
    except BrowserUnavailable as err:
        say(f"    no screenshot: {err}")
        return True
    say(f"==> the panel says: {consent!r}; {reports} report(s) listed")
    say(f"    screenshot: {SCREENSHOT}")
    return True


def say(text: str = "") -> None:
    """Print a line of the demo's own narration."""
    print(text, flush=True)


def step(number: int, total: int, text: str) -> None:
    """Print a step header."""
    say()
    say(f"[{number}/{total}] {text}")


@contextlib.asynccontextmanager
async def bugsink_project() -> AsyncIterator[BugsinkProject | None]:
    """A Bugsink server and a fresh project (None, said aloud, if it cannot start)."""
    server = BugsinkServer()
    try:
        await server.start()
    except BugsinkUnavailable as err:
        say(f"    Bugsink cannot start here ({err}): reports will stay on the device")
        yield None
        return
    try:
        yield await server.create_project("crash_reporter demo")
    finally:
        await server.stop()


def show_event(stored: dict[str, Any], project: BugsinkProject) -> None:
    """Print the report as Bugsink stored it."""
    data = stored["data"]
    values = data.get("exception", {}).get("values", [])
    title = (f"{values[-1].get('type')}: {values[-1].get('value')}" if values
             else data.get("logentry", {}).get("formatted") or data.get("message"))
    say(f"    title:        {title}")
    say(f"    event id:     {data.get('event_id')}")
    say(f"    level:        {data.get('level')}    platform: {data.get('platform')}")
    say(f"    release:      {data.get('release')}")
    say(f"    fingerprint:  {data.get('fingerprint')}")
    say(f"    tags:         {json.dumps(data.get('tags'), sort_keys=True)}")
    loop = data.get("contexts", {}).get("crash_loop")
    if loop:
        say(f"    crash loop:   {json.dumps(loop, sort_keys=True)}")
    say(f"    Bugsink URL:  {project.ui_url_for_issue(stored['issue'])}")
    named = [k for k in ("server_name", "user") if k in data]
    say("    identity:     " + ("none: no server name and no user, nothing names this machine"
                               if not named else f"PRESENT ({', '.join(named)})"))


async def crash_loop(manager: SystemdUserManager | None, supervisor: SupervisorStandIn) -> str:
    """Make OS-Agent's unit crash in a loop (or, without systemd, log a Supervisor crash)."""
    if manager is not None:
        # A loop started before ends first (its first report is sent long before it does).
        await asyncio.to_thread(manager.wait_unit_property, UNIT, "ActiveState",
                                ("failed", "inactive"), 30.0)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(manager.reset_failed, UNIT)
        await asyncio.to_thread(manager.run_unit, UNIT, CRASH_COMMAND, restart="on-failure",
                                restart_sec=0.2, start_limit_burst=3)
        return f"{UNIT} started: it kills itself with SIGSEGV, Restart=on-failure, burst 3"
    lines = (SAMPLES / "supervisor_verbose.log").read_text("utf-8").splitlines()
    supervisor.append("hassio_supervisor", [line.replace("2026-11-20", time.strftime(
        "%Y-%m-%d", time.gmtime())) for line in lines[25:75]])
    return "a real Supervisor traceback appended to the Supervisor's log stream"


async def demo(keep: bool) -> int:
    """Run the whole demo; return the exit status."""
    total = 7
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="crash-reporter-demo-"))
    say("crash_reporter demo: the real daemon in a sandbox of real parts")
    async with contextlib.AsyncExitStack() as stack:
        step(1, total, "Bugsink, a real Sentry-compatible server")
        project = await stack.enter_async_context(bugsink_project())
        if project is not None:
            say(f"    {project.server.base_url} (project {project.project_id})")

        step(2, total, "a real systemd user manager on its private bus")
        manager: SystemdUserManager | None = None
        sd = SystemdUserManager()
        try:
            await sd.astart()
            stack.push_async_callback(sd.astop)
            manager = sd
            say(f"    bus: {sd.address}")
        except SystemdUnavailable as err:
            say(f"    systemd cannot start here ({err}); carrying on without it")

        step(3, total, "OS-Agent stand-in (io.hass.os) and the Supervisor API stand-in")
        os_agent: OsAgentStandIn | None = None
        if manager is not None:
            os_agent = OsAgentStandIn(manager.address, initial_diagnostics=True)
            await os_agent.start()
            stack.push_async_callback(os_agent.stop)
            say(f"    io.hass.os on {manager.address}, Diagnostics = true")

        async def on_diagnostics(value: bool) -> None:
            if os_agent is not None:
                await os_agent.set_diagnostics(value)

        supervisor = SupervisorStandIn(diagnostics=True, on_diagnostics=on_diagnostics)
        supervisor.like_this_machine()
        await stack.enter_async_context(supervisor)
        say(f"    {supervisor.url}: diagnostics on, supported")

        step(4, total, "the daemon: python -m crash_reporter run")
        data_dir = work / "data"
        data_dir.mkdir()
        (data_dir / "options.json").write_text(json.dumps({"log_level": "info"}))
        env = daemon_env(supervisor, data_dir,
                         manager.address if manager else "unix:path=/nonexistent",
                         project.dsn if project is not None else None, panel_peer=PEER)
        daemon = Daemon(env, echo=True)
        await daemon.start()
        stack.push_async_callback(daemon.stop)
        consent = await daemon.wait_for("consent is ON", 10)
        say(f"==> consent: {'ON' if consent else 'not ON yet'}")
        if manager is not None:
            await daemon.wait_for("Watching over D-Bus", 10)

        step(5, total, "a crash loop")
        say(f"    {await crash_loop(manager, supervisor)}")
        sent = await daemon.wait_for("Sending report", WAIT_REPORT_S)
        if sent is None:
            say("==> no report was sent in time")
            return 1
        stored: dict[str, Any] | None = None
        if project is not None:
            [stored] = await project.wait_for_events(1, timeout_s=10)
            say("==> the report as it landed in Bugsink (read back through its API):")
            show_event(stored, project)
        count_before = await project.stored_event_count() if project else 0

        step(6, total, "the panel in Home Assistant's sidebar (through an ingress stand-in)")
        panel = await show_panel(daemon, stack)

        step(7, total, "diagnostics turned OFF (Settings > System > Analytics)")
        mark = len(daemon.lines)
        await set_diagnostics(supervisor, False)
        off = await daemon.wait_for("consent is OFF", 10, mark)
        say(f"==> consent: {'OFF' if off else 'still not OFF'}")
        say(f"    {await crash_loop(manager, supervisor)}")
        await asyncio.sleep(QUIET_AFTER_OFF_S)
        after = await project.stored_event_count() if project else 0
        more_sent = [line for line in daemon.lines[mark:] if "Sending report" in line]
        say(f"==> events in Bugsink: {count_before} before, {after} after; reports sent "
            f"while off: {len(more_sent)}")
        took = await daemon.stop()
        say(f"    daemon stopped on SIGTERM in {took:.1f} s")
        ok = bool(consent and off and stored is not None and after == count_before
                  and not more_sent) if project else bool(consent and off and not more_sent)
        ok = ok and panel
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    say()
    say(f"demo {'done' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return 0 if ok else 1


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the data dir for a look")
    return asyncio.run(demo(parser.parse_args().keep))


if __name__ == "__main__":
    raise SystemExit(main())
