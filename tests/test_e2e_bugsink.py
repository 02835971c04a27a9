"""End to end into a real Sentry-compatible server (Bugsink), read back through its API.

Two ways a crash reaches the daemon: a unit that really crashes under the real systemd (seen
over D-Bus), and real crash output in the logs the Supervisor API streams (Python tracebacks
of the Supervisor, Go panics of OS-Agent). Either way the event must land in Bugsink with the
expected title, tags and fingerprint, and with none of the home's identifiers - neither those
the Supervisor API names nor the hostname the daemon only ever saw in log prefixes.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crash_reporter.app import JOIN_WINDOW_S
from sandbox import supervisor_api
from sandbox.bugsink import BugsinkProject
from sandbox.systemd import SystemdUserManager
from tests.helpers import SAMPLES, TRUTH
from tests.plugin_daemon import AGENT, TITLE, LogWatch, crash_loop, daemon, parts

pytestmark = [pytest.mark.systemd, pytest.mark.bugsink, pytest.mark.timeout(120)]

PREFIX_HOST = "maple-street-pi"  # only ever in log prefixes: the daemon must learn it
_STAMP = re.compile(r"(\d{4})([-/])(\d\d)\2(\d\d)([ T])(\d\d):(\d\d):(\d\d)")
_PREFIX = re.compile(r"^(\S+ \S+) homeassistant-kitchen ", re.MULTILINE)


def retimed(text: str, last_at: datetime) -> str:
    """`text` with every timestamp moved so the latest is `last_at`, prefix hosts renamed."""
    def parse(m: re.Match[str]) -> datetime:
        y, _, mo, d, _, h, mi, s = m.groups()
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=UTC)

    delta: timedelta = last_at - max(parse(m) for m in _STAMP.finditer(text))

    def shift(m: re.Match[str]) -> str:
        moved = parse(m) + delta
        sep, between = m.group(2), m.group(5)
        return moved.strftime(f"%Y{sep}%m{sep}%d{between}%H:%M:%S")

    return _PREFIX.sub(rf"\1 {PREFIX_HOST} ", _STAMP.sub(shift, text))


def identifiers(p: Any) -> list[str]:
    """What identifies the home and must never reach Sentry."""
    return [PREFIX_HOST, p.supervisor.hostname, p.supervisor.token,
            p.supervisor.info["machine_id"], *(item["value"] for item in TRUTH["pii"])]


def leaks(stored: list[dict[str, Any]], secrets: list[str]) -> list[str]:
    text = json.dumps([s["data"] for s in stored])
    return [s for s in secrets if s and s in text]


async def settled(bugsink: BugsinkProject, log: LogWatch,
                  quiet_s: float = JOIN_WINDOW_S + 1.0) -> int:
    """Wait until the daemon has built nothing new for `quiet_s` and every send arrived.

    Longer than the join window: a crash waiting for a view that never comes leaves then.
    """
    last: tuple[int, ...] = ()
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet_s:
        now = (log.count("built:"), log.count("Sending report"), log.count("Folded"))
        if now != last:
            last, quiet_since = now, time.monotonic()
        await asyncio.sleep(0.2)
    sent = log.count("Sending report")
    await bugsink.wait_for_events(sent, 15)
    return sent


async def test_a_unit_crash_loop_lands_in_bugsink_as_one_event_without_identity(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch,
        bugsink: BugsinkProject) -> None:
    async with parts(systemd, tmp_path, diagnostics=True) as p, daemon(p, log, bugsink.dsn):
        await crash_loop(systemd)
        sent = await settled(bugsink, log)
        stored = await bugsink.wait_for_events(1, 15)
    assert sent == 1 and len(stored) == 1  # four crashes of one loop: one report
    [issue] = await bugsink.issues()
    data = stored[0]["data"]
    assert stored[0]["issue"] == issue["id"]
    assert data["logentry"]["formatted"] == TITLE
    assert data["fingerprint"] == ["os-agent", "unit", AGENT, "signal", "SIGSEGV"]
    assert data["release"] == f"os-agent@{p.supervisor.host_info['agent_version']}"
    assert {k: data["tags"][k] for k in ("component", "unit", "result", "signal")} == {
        "component": "os-agent", "unit": AGENT, "result": "signal", "signal": "SIGSEGV"}
    for key in ("arch", "board", "installation_type", "supervisor_version", "os_version"):
        assert data["tags"].get(key), key
    assert not {"server_name", "user", "request", "modules"} & data.keys()
    assert leaks(stored, identifiers(p)) == []


async def test_crashes_in_the_logs_land_in_bugsink_with_frames_and_nothing_identifying(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch,
        bugsink: BugsinkProject) -> None:
    end = datetime.now(UTC) - timedelta(seconds=30)
    supervisor_log = retimed((SAMPLES / "supervisor_verbose.log").read_text("utf-8"), end)
    agent_log = retimed((SAMPLES / "os_agent.log").read_text("utf-8"), end)
    assert PREFIX_HOST in supervisor_log and "homeassistant-kitchen" in supervisor_log
    async with parts(systemd, tmp_path, diagnostics=True) as p, daemon(p, log, bugsink.dsn):
        await p.supervisor.wait_streams(5)  # every stream followed
        p.supervisor.append(None, supervisor_log.splitlines())
        p.supervisor.append(None, agent_log.splitlines())
        sent = await settled(bugsink, log)
        stored = await bugsink.wait_for_events(sent, 15)
    assert leaks(stored, identifiers(p)) == []
    by_platform: dict[str, list[dict[str, Any]]] = {}
    for event in stored:
        by_platform.setdefault(event["data"]["platform"], []).append(event["data"])
    assert set(by_platform) == {"python", "go"}, sorted(by_platform)

    truth_py = {c["detail"]["exceptions"][-1]["type"]
                for c in TRUTH["files"]["supervisor_verbose.log"]["crashes"]}
    got_py = {e["exception"]["values"][-1]["type"] for e in by_platform["python"]}
    assert got_py == truth_py
    for event in by_platform["python"]:
        assert event["release"].startswith("supervisor@")
        frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
        assert frames and any(f["in_app"] for f in frames)
        assert all(f.get("lineno") for f in frames)
    for event in by_platform["go"]:
        assert event["release"].startswith("os-agent@")
        crashed = [t for t in event["threads"]["values"] if t["crashed"]]
        assert len(crashed) == 1 and crashed[0]["stacktrace"]["frames"]
    assert len({tuple(e["fingerprint"]) for e in by_platform["go"]}) == len(by_platform["go"])


def _home_traceback(at: datetime) -> list[str]:
    """A Supervisor traceback (verbose log form) that names this home's own identifiers, as
    the stand-in serves them: SSID, LAN IP, MAC, share server, mount, HA's location, people."""
    prefix = f"{at:%Y-%m-%d %H:%M:%S}.120 {PREFIX_HOST} hassio_supervisor[287]: "
    home = supervisor_api
    body = [
        f"\x1b[31m{at:%Y-%m-%d %H:%M:%S}.118 ERROR (MainThread) [supervisor.mounts.manager] "
        f"Can't mount {home.HOME_MOUNT} from {home.HOME_SHARE_SERVER} while on "
        f"'{home.HOME_SSID}'\x1b[0m",
        "Traceback (most recent call last):",
        '  File "/usr/src/supervisor/supervisor/mounts/mount.py", line 312, in mount',
        "    await self.sys_dbus.systemd.start_transient_unit(self.unit_name, options)",
        '  File "/usr/src/supervisor/supervisor/dbus/systemd.py", line 140, in start_unit',
        "    raise MountActivationError(msg)",
        f"supervisor.exceptions.MountActivationError: mnt-data-supervisor-mounts-"
        f"{home.HOME_MOUNT}.mount failed: Cannot connect to host {home.HOME_SHARE_SERVER}:445 "
        f"ssl:default [Connect call failed ('{home.HOME_IP}', 445)] from "
        f"{home.HOME_MAC.lower()} on {home.HOME_SSID} at {home.HOME_LOCATION} "
        f"({home.HOME_LATITUDE:.4f}, {home.HOME_LONGITUDE:.4f})",
        f"\x1b[32m{at:%Y-%m-%d %H:%M:%S}.130 INFO (MainThread) [supervisor.mounts.manager] "
        "Mounting done\x1b[0m",
        f"\x1b[33m{at:%Y-%m-%d %H:%M:%S}.131 WARNING (MainThread) [supervisor.homeassistant.api]"
        f" Core: light.{home.HOME_PEOPLE[1].lower()}_reading_lamp unavailable, "
        f"{home.HOME_PEOPLE[0]} notified\x1b[0m",
    ]
    return [prefix + line for line in body]


async def test_this_homes_identifiers_learned_from_the_api_never_reach_bugsink(
        systemd: SystemdUserManager, tmp_path: Path, log: LogWatch,
        bugsink: BugsinkProject) -> None:
    home = supervisor_api
    async with parts(systemd, tmp_path, diagnostics=True) as p, daemon(p, log, bugsink.dsn):
        await p.supervisor.wait_streams(5)
        await log.wait_for("Host identifiers:")  # learned from the stand-in
        p.supervisor.append(None, _home_traceback(datetime.now(UTC) - timedelta(seconds=30)))
        sent = await settled(bugsink, log)
        stored = await bugsink.wait_for_events(sent, 15)
    assert sent == 1
    data = stored[0]["data"]
    assert data["exception"]["values"][-1]["type"].endswith(".MountActivationError")
    planted = [home.HOME_SSID, home.HOME_IP, home.HOME_MAC, home.HOME_MAC.lower(),
               home.HOME_SHARE_SERVER, home.HOME_MOUNT, home.HOME_LOCATION,
               f"{home.HOME_LATITUDE:.4f}", f"{home.HOME_LONGITUDE:.4f}", PREFIX_HOST,
               *home.HOME_PEOPLE, home.HOME_PEOPLE[1].lower()]
    assert leaks(stored, planted) == []
    text = json.dumps(data)  # what triage needs stays
    for kept in ("Cannot connect to host", "mnt-data-supervisor-mounts-",
                 "/usr/src/supervisor/supervisor/mounts/mount.py", "supervisor.mounts.mount"):
        assert kept in text, kept
