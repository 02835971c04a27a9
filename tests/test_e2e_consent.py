"""The consent promises, end to end, each beside its positive control.

The real daemon (`App`, in this process so its outbox can be looked at) watches a REAL
systemd user manager on its private bus, where `haos-agent.service` really crashes in a loop;
OS-Agent's stand-in exports `io.hass.os` on that bus; the Supervisor API stand-in answers
`/supervisor/info` (and turns a POST to `/supervisor/options` into OS-Agent's property
change, as the real Supervisor does); the fault-injecting receiver stands for Sentry and
counts every TCP connection it accepts.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from pathlib import Path

import pytest

from crash_reporter import app as app_mod
from crash_reporter.send import Delivery
from sandbox.daemon import Daemon, daemon_env, set_diagnostics
from sandbox.receiver import Fault
from sandbox.supervisor_api import FaultKind
from sandbox.systemd import SystemdUserManager
from tests.plugin_daemon import (
    TITLE,
    LogWatch,
    crash_loop,
    daemon,
    event_of,
    outbox_files,
    parts,
)

pytestmark = [pytest.mark.systemd, pytest.mark.timeout(90)]

QUIET_S = 1.5  # how long "nothing happens" is watched after the daemon saw every crash


# --- OFF (and never chosen, unsupported): not one connection, beside the ON control ----------


@pytest.mark.parametrize(("diagnostics", "supported", "sends"), [
    pytest.param(True, True, True, id="on-control"),
    pytest.param(False, True, False, id="off"),
    pytest.param(None, True, False, id="never-chosen"),
    pytest.param(True, False, False, id="on-but-unsupported"),
])
async def test_without_consent_no_connection_reaches_sentry_across_a_crash_loop(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch,
        diagnostics: bool | None, supported: bool, sends: bool) -> None:
    async with parts(systemd, tmp_path, diagnostics=diagnostics, supported=supported) as p, \
            daemon(p, log) as app:
        await crash_loop(systemd)
        if sends:
            await p.sentry.wait_for(1, 15)
            assert event_of(p.sentry)["logentry"] == {"formatted": TITLE}
        else:
            await log.wait_for("Not kept: diagnostics is off", 3)
            await asyncio.sleep(QUIET_S)
            assert p.sentry.connections == 0
            assert app.outbox.held() == [] and app.outbox.ready() == []
            assert app.delivery is not None and not app.delivery.is_open  # no Sentry client
    assert p.supervisor.options_posts == []  # the opt-in is only ever read
    assert p.os_agent.external_sets == 0


# --- UNKNOWN: held, not sent, not deleted; sent once it turns out ON, deleted if OFF -----------


@pytest.mark.parametrize("fault", [401, 500, "garbage"])
async def test_while_unknown_reports_are_held_and_sent_once_when_it_turns_out_on(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch,
        monkeypatch: pytest.MonkeyPatch, fault: FaultKind) -> None:
    monkeypatch.setattr(app_mod, "CONSENT_RETRY_S", 0.5)
    async with parts(systemd, tmp_path, diagnostics=True) as p:
        p.supervisor.set_fault(fault, ["/supervisor/info"])
        async with daemon(p, log) as app:
            assert app.consent is not None and app.consent.state.name == "UNKNOWN"
            await crash_loop(systemd)
            await log.wait_for("waiting to be sent (consent UNKNOWN)")
            await asyncio.sleep(QUIET_S)
            assert p.sentry.connections == 0
            [held] = app.outbox.held()
            p.supervisor.set_fault(None)  # the Supervisor answers again: ON
            await p.sentry.wait_for(1, 10)
            await asyncio.sleep(QUIET_S)
            assert p.sentry.event_ids == [held.event_id]  # exactly once
            assert event_of(p.sentry)["logentry"] == {"formatted": TITLE}


async def test_while_unknown_held_reports_are_deleted_when_it_turns_out_off(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_mod, "CONSENT_RETRY_S", 0.5)
    async with parts(systemd, tmp_path, diagnostics=True) as p:
        p.supervisor.set_fault(500, ["/supervisor/info"])
        async with daemon(p, log) as app:
            await crash_loop(systemd)
            await log.wait_for("waiting to be sent (consent UNKNOWN)")
            assert len(app.outbox.held()) == 1 and outbox_files(p)
            p.supervisor.diagnostics = False
            p.supervisor.set_fault(None)
            await log.wait_for("Diagnostics consent is OFF")
            await log.wait_for("Diagnostics turned off: deleted 1 unsent report(s)")
            await asyncio.sleep(QUIET_S)
            assert app.outbox.held() == [] and app.outbox.ready() == []
            assert [f for f in outbox_files(p) if f.suffix != ".json"] == []
            assert p.sentry.connections == 0


# --- OFF -> ON: what was seen while off is never sent; what comes after is ---------------------


async def test_a_crash_seen_while_off_is_not_sent_after_an_opt_in(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch) -> None:
    async with parts(systemd, tmp_path, diagnostics=False) as p, daemon(p, log):
        await crash_loop(systemd)
        await log.wait_for("Not kept: diagnostics is off", 3)
        await set_diagnostics(p.supervisor, True)
        await log.wait_for("Diagnostics consent is ON")  # via OS-Agent's PropertiesChanged
        opted_in_at = time.time()
        await asyncio.sleep(QUIET_S)
        assert p.sentry.connections == 0  # the OFF crashes stay unsent after the opt-in
        await crash_loop(systemd)  # the positive control: the same crash, now ON
        await p.sentry.wait_for(1, 15)
        await asyncio.sleep(QUIET_S)
    assert len(p.sentry.envelopes) == 1
    event = event_of(p.sentry)
    assert event["logentry"] == {"formatted": TITLE}
    sent_at = json.loads(json.dumps(event["timestamp"]))
    assert isinstance(sent_at, str) and sent_at >= time.strftime(
        "%Y-%m-%dT%H:%M:%S", time.gmtime(opted_in_at - 1))


# --- ON -> OFF: unsent reports are deleted at once and nothing more is sent ---------------------


@pytest.mark.parametrize("turn_off", [pytest.param(False, id="stays-on-control"),
                                      pytest.param(True, id="off")])
async def test_turning_diagnostics_off_deletes_unsent_reports_and_sends_nothing(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch,
        monkeypatch: pytest.MonkeyPatch, turn_off: bool) -> None:
    # retry soon after a failed send, so the control does not wait out the default back-off
    monkeypatch.setattr(app_mod, "Delivery", functools.partial(Delivery, backoff_base_s=1.0))
    async with parts(systemd, tmp_path, diagnostics=True) as p, daemon(p, log) as app:
        await p.sentry.refuse()  # Sentry unreachable: the report waits on disk
        await crash_loop(systemd)
        await log.wait_for("Sentry not reachable")  # an attempt was made, and failed
        [waiting] = [*(h.event_id for h in app.outbox.held()),
                     *(r.event_id for r in app.outbox.ready())]
        if turn_off:
            await set_diagnostics(p.supervisor, False)
            await log.wait_for("Diagnostics consent is OFF")  # via OS-Agent's signal
            assert app.outbox.held() == [] and app.outbox.ready() == []
            assert [f for f in outbox_files(p) if f.suffix != ".json"] == []
        await p.sentry.listen()  # Sentry is back
        if not turn_off:
            await p.sentry.wait_for(1, 15)
            assert p.sentry.event_ids == [waiting]
            return
        await crash_loop(systemd)
        await log.wait_for("Not kept: diagnostics is off", 3)
        await asyncio.sleep(QUIET_S)
        assert p.sentry.connections == 0
        assert app.delivery is not None and not app.delivery.is_open


# --- the process: SIGTERM ends it within 5 s, even mid-send --------------------------------------


async def test_sigterm_stops_the_daemon_within_5_s_even_while_sending(
        systemd: SystemdUserManager, tmp_path: Path) -> None:
    async with parts(systemd, tmp_path, diagnostics=True) as p:
        p.sentry.script(Fault.slow(60))  # Sentry hangs on the first report
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        proc = Daemon(daemon_env(p.supervisor, data_dir, systemd.address, p.sentry.dsn))
        await proc.start()
        try:
            assert await proc.wait_for("Watching over D-Bus", 15), proc.lines[-10:]
            await crash_loop(systemd)
            await p.sentry.wait_requests(1, 15)  # the send is in flight, and hangs
            took = await proc.stop()
        finally:
            await proc.stop()
    assert proc.proc is not None and proc.proc.returncode == 0, proc.lines[-10:]
    assert took < 5.0
    assert any("crash_reporter stopped" in line for line in proc.lines)
