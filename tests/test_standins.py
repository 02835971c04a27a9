"""The Supervisor API and OS-Agent stand-ins, and the app's clients running against them.

The D-Bus tests use a REAL private dbus-daemon (never a mock bus); without one installed they
skip, or fail under CRASH_REPORTER_REQUIRE_SYSTEMD=1. Every consent test sits beside its
positive control: the same stand-in, the same client, answering ON first.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

import crash_reporter.sources.logs as logs_mod
import crash_reporter.sources.supervisor as supervisor_mod
from crash_reporter.consent import ConsentGate
from crash_reporter.models import BusNameChange, Consent, ConsentTrigger, LogLine
from crash_reporter.sources.bus import BusSession
from crash_reporter.sources.logs import (
    FIRST_START_BACKLOG,
    MAX_LINE_BYTES,
    CursorStore,
    LogFollower,
    LogStream,
    default_streams,
)
from crash_reporter.sources.os_agent import OsAgent
from crash_reporter.sources.supervisor import SupervisorApi
from sandbox.os_agent import BUS_NAME, INTERFACE, OBJECT_PATH, OsAgentStandIn
from sandbox.supervisor_api import (
    INVALID_ACCEPT,
    MASK,
    FaultKind,
    JournalEntry,
    Role,
    SupervisorStandIn,
)
from tests.helpers import SAMPLES, STREAMS, part_unavailable, quiet, running, take

REQUIRE_ENV = "CRASH_REPORTER_REQUIRE_SYSTEMD"
SUPERVISOR_STREAM = STREAMS["hassio_supervisor"]
OS_AGENT_STREAM = STREAMS["os-agent"]


# ----------------------------------------------------------------------------------------
# fixtures and helpers
# ----------------------------------------------------------------------------------------


@pytest.fixture
def fast_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect after 50 ms instead of 1 s, without jitter (sleep = delay)."""
    monkeypatch.setattr(logs_mod, "RECONNECT_MIN_S", 0.05)
    monkeypatch.setattr(logs_mod, "DBUS_RECONNECT_MAX_S", 0.4)
    monkeypatch.setattr(logs_mod, "random", SimpleNamespace(random=lambda: 0.5))


@pytest.fixture
def dbus_address() -> Iterator[str]:
    """A private dbus-daemon of its own, on a socket in a fresh directory."""
    exe = shutil.which("dbus-daemon")
    if exe is None:
        part_unavailable("dbus-daemon", REQUIRE_ENV, "not installed")
    workdir = Path(tempfile.mkdtemp(prefix="crbus-"))
    try:
        with subprocess.Popen(
            [exe, "--session", "--nofork", "--print-address",
             f"--address=unix:path={workdir}/bus"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True,
        ) as proc:
            assert proc.stdout is not None
            try:
                address = proc.stdout.readline().strip()
                if not address.startswith("unix:"):
                    pytest.fail(f"dbus-daemon did not start (printed {address!r})")
                yield address
            finally:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def follower(session: aiohttp.ClientSession, sup: SupervisorStandIn, state: Path,
             stream: LogStream = SUPERVISOR_STREAM, token: str | None = None) -> LogFollower:
    return LogFollower(session, sup.url, token or sup.token, stream, CursorStore(state))


def expected_lines(entries: list[JournalEntry]) -> list[tuple[str, str, int | None, float, str]]:
    """What the follower must yield for `entries` (one per line of each MESSAGE, colours kept)."""
    out = []
    for entry in entries:
        for part in entry.message.split("\n"):
            out.append((part, entry.identifier, entry.pid,
                        entry.realtime_us / 1e6, entry.hostname))
    return out


def as_tuples(lines: list[LogLine]) -> list[tuple[str, str | None, int | None, float, str | None]]:
    return [(x.text, x.identifier, x.pid, round(x.timestamp or 0.0, 3), x.hostname)
            for x in lines]


def auth(sup: SupervisorStandIn, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sup.token}", **extra}


# ----------------------------------------------------------------------------------------
# the Supervisor stand-in itself: faithful to the reference
# ----------------------------------------------------------------------------------------


async def test_info_endpoints_are_wrapped_and_guarded_by_the_token(
    sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    for path, keys in {
        "/supervisor/info": {"diagnostics", "supported", "version", "channel", "arch",
                             "healthy", "ip_address", "country", "timezone", "logging"},
        "/info": {"supervisor", "homeassistant", "hassos", "docker", "hostname", "machine",
                  "machine_id", "arch", "supported", "channel"},
        "/host/info": {"agent_version", "hostname", "llmnr_hostname", "kernel", "deployment",
                       "disk_total", "operating_system", "chassis"},
        "/os/info": {"version", "version_latest", "board", "boot", "data_disk"},
    }.items():
        async with session.get(sup.url + path, headers=auth(sup)) as resp:
            assert resp.status == 200
            doc = await resp.json()
        assert doc["result"] == "ok"
        assert keys <= set(doc["data"]), path
        # The legacy header works too; no token and a wrong token are refused.
        async with session.get(sup.url + path,
                               headers={"X-Supervisor-Token": sup.token}) as resp:
            assert resp.status == 200
        for headers in ({}, {"Authorization": "Bearer " + "0" * 64}):
            async with session.get(sup.url + path, headers=headers) as resp:
                assert resp.status == 401
                doc = await resp.json()
            assert doc["result"] == "error" and doc["message"]
    assert sup.supervisor_info["diagnostics"] is True
    assert sup.info["hostname"] == sup.host_info["hostname"] == "homeassistant-kitchen"
    # The request log keeps the headers but never a token value.
    assert len(sup.requests) == 16
    assert [r.token_ok for r in sup.requests[:4]] == [True, True, False, False]
    assert sup.requests[0].headers["Authorization"] == f"Bearer {MASK}"
    assert sup.token not in repr(sup.requests) and "0" * 64 not in repr(sup.requests)


async def test_roles_limit_the_paths(session: aiohttp.ClientSession) -> None:
    roles: list[tuple[Role, int]] = [("default", 403), ("manager", 200), ("admin", 200)]
    for role, logs_status in roles:
        async with SupervisorStandIn(role=role) as stand_in:
            for path, status in (("/supervisor/info", 200), ("/info", 200),
                                 ("/host/info", 200), ("/supervisor/logs", logs_status),
                                 ("/host/logs/identifiers/os-agent", logs_status)):
                async with session.get(stand_in.url + path, headers=auth(stand_in)) as resp:
                    assert resp.status == status, (role, path)


async def test_options_change_the_opt_in_and_call_back(
    session: aiohttp.ClientSession,
) -> None:
    seen: list[bool] = []

    async def on_diagnostics(value: bool) -> None:
        seen.append(value)

    async with SupervisorStandIn(diagnostics=None, on_diagnostics=on_diagnostics) as stand_in:
        api = SupervisorApi(session, stand_in.url, stand_in.token)
        assert (await api.read_consent())[0] is Consent.OFF
        for value, expected in ((True, Consent.ON), (False, Consent.OFF), (True, Consent.ON)):
            async with session.post(stand_in.url + "/supervisor/options",
                                    json={"diagnostics": value}, headers=auth(stand_in)) as resp:
                assert resp.status == 200
                assert await resp.json() == {"result": "ok", "data": {}}
            assert stand_in.diagnostics is value
            assert (await api.read_consent())[0] is expected
        # A value of the wrong type or an unknown key is refused and changes nothing.
        for body in ({"diagnostics": "false"}, {"telemetry": False}):
            async with session.post(stand_in.url + "/supervisor/options", json=body,
                                    headers=auth(stand_in)) as resp:
                assert resp.status == 400
                assert (await resp.json())["result"] == "error"
        assert stand_in.diagnostics is True
        assert seen == [True, False, True]


async def test_logs_formats_accept_and_filters(
    sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    cursors = sup.append("os-agent", ["\x1b[31mfirst\x1b[0m", "second", "third"])
    sup.append("systemd", ["Started haos-agent.service."])
    base = sup.url + "/host/logs/identifiers/os-agent"

    async def get(url: str, **headers: str) -> tuple[int, str, Any]:
        async with session.get(url, headers=auth(sup, **headers)) as resp:
            return resp.status, await resp.text(), resp.headers

    status, body, headers = await get(base, Accept="text/plain")
    assert status == 200 and body == "\x1b[31mfirst\x1b[0m\nsecond\nthird\n"
    assert headers["X-First-Cursor"] == cursors[0]
    assert headers["Content-Type"].startswith("text/plain")
    status, body, _ = await get(base + "?no_colors", Accept="*/*")
    assert body == "first\nsecond\nthird\n"
    status, body, _ = await get(base + "?no_colors", Accept="text/x-log")
    verbose = body.splitlines()
    assert len(verbose) == 3
    assert verbose[0].endswith(" homeassistant-kitchen os-agent[287]: first")
    assert verbose[0][:4].isdigit() and verbose[0][19] == "."
    _, body2, _ = await get(base + "?verbose&no_colors", Accept="text/plain")
    assert body2 == body
    # Anything but text/plain, text/x-log or */* is an error in the Supervisor's shape.
    status, body, _ = await get(base, Accept="application/json")
    assert status == 400
    assert json.loads(body) == {"result": "error", "message": INVALID_ACCEPT}
    # The host's log has every identifier and is always verbose; the kernel has no PID.
    sup.append("kernel", ["Out of memory: Killed process 412 (os-agent)"])
    status, body, _ = await get(sup.url + "/host/logs?no_colors", Accept="text/plain")
    assert [line.split(" ", 3)[3] for line in body.splitlines()] == [
        "os-agent[287]: first", "os-agent[287]: second", "os-agent[287]: third",
        "systemd[304]: Started haos-agent.service.",
        "kernel: Out of memory: Killed process 412 (os-agent)",
    ]


async def test_logs_range_lines_and_default(
    sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    cursors = sup.append("os-agent", [f"line {i}" for i in range(150)])
    sup.append("systemd", ["other"])  # interleaved entries of other identifiers are skipped
    more = sup.append("os-agent", ["line 150", "line 151"])
    cursors += more
    base = sup.url + "/host/logs/identifiers/os-agent"

    async def lines(url: str, range_header: str | None = None) -> tuple[list[str], str | None]:
        headers = auth(sup, Accept="text/plain")
        if range_header is not None:
            headers["Range"] = range_header
        async with session.get(url, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            return (await resp.text()).splitlines(), resp.headers.get("X-First-Cursor")

    got, first = await lines(base)
    assert len(got) == 100 and got[0] == "line 52" and first == cursors[52]
    assert (await lines(base + "?lines=3"))[0] == ["line 149", "line 150", "line 151"]
    # entries=<cursor>:<skip>:<count>: start at the cursor's entry, skip, then count.
    assert (await lines(base, f"entries={cursors[10]}:0:2"))[0] == ["line 10", "line 11"]
    got, first = await lines(base, f"entries={cursors[10]}:5:3")
    assert got == ["line 15", "line 16", "line 17"] and first == cursors[15]
    got, _ = await lines(base, f"entries={cursors[148]}:1:")
    assert got == ["line 149", "line 150", "line 151"]
    assert (await lines(base, f"entries={cursors[10]}:-2:2"))[0] == ["line 9", "line 10"]
    assert (await lines(base, "entries=:-2:"))[0] == ["line 150", "line 151"]
    assert (await lines(base, "entries=:3:1"))[0] == ["line 3"]
    got, first = await lines(base, f"entries={cursors[-1]}:1:")
    assert got == [] and first is None
    for bad in ("entries=nonsense:0:", "lines=5", f"entries={cursors[0]}:x:", "entries=:0:0"):
        async with session.get(base, headers=auth(sup, Range=bad)) as resp:
            assert resp.status == 400, bad
            assert (await resp.json())["result"] == "error"


@pytest.mark.parametrize("name", ["supervisor_verbose.log", "coredump.log", "os_agent.log"])
async def test_verbose_samples_round_trip_byte_exact(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, name: str,
) -> None:
    text = (SAMPLES / name).read_text("utf-8")
    sup.append(None, text.splitlines())
    async with session.get(sup.url + "/host/logs?lines=100000",
                           headers=auth(sup, Accept="text/x-log")) as resp:
        assert resp.status == 200
        assert await resp.text() == text


async def test_follow_waits_for_entries_and_ends_cleanly(
    sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    old = sup.append("os-agent", ["old"])
    url = sup.url + "/host/logs/identifiers/os-agent/follow"
    headers = auth(sup, Accept="text/plain", Range=f"entries={old[0]}:1:")
    request = asyncio.ensure_future(session.get(url, headers=headers))
    await sup.wait_streams(1)
    await asyncio.sleep(0.1)
    assert not request.done()  # like the Supervisor: headers go out with the first entry
    new = sup.append("os-agent", ["new 1"])
    async with await request as resp:
        assert resp.headers["X-First-Cursor"] == new[0]
        assert await resp.content.readline() == b"new 1\n"
        sup.append("systemd", ["not for this stream"])
        sup.append("os-agent", ["new 2", "new 3"])
        assert await resp.content.readline() == b"new 2\n"
        assert await resp.content.readline() == b"new 3\n"
        assert sup.end_streams() == 1
        assert await resp.content.read() == b""
    assert sup.open_streams == 0


# ----------------------------------------------------------------------------------------
# SupervisorApi.read_consent against every answer, each beside its positive control
# ----------------------------------------------------------------------------------------

Setup = Callable[[SupervisorStandIn], Awaitable[None]]


def _fault(kind: FaultKind) -> Setup:
    async def apply(sup: SupervisorStandIn) -> None:
        sup.set_fault(kind, paths=["/supervisor/info"])
    return apply


def _attr(name: str, value: object) -> Setup:
    async def apply(sup: SupervisorStandIn) -> None:
        setattr(sup, name, value)
    return apply


async def _refuse(sup: SupervisorStandIn) -> None:
    await sup.refuse()


async def _undo(sup: SupervisorStandIn) -> None:
    sup.set_fault(None)
    sup.diagnostics = True
    sup.supported = True
    if not sup.listening:
        await sup.listen()


CONSENT_CASES: dict[str, tuple[Setup, Consent, FaultKind | None]] = {
    "diagnostics false": (_attr("diagnostics", False), Consent.OFF, None),
    "diagnostics null": (_attr("diagnostics", None), Consent.OFF, None),
    "unsupported": (_attr("supported", False), Consent.OFF, None),
    "401": (_fault(401), Consent.UNKNOWN, 401),
    "403": (_fault(403), Consent.UNKNOWN, 403),
    "500": (_fault(500), Consent.UNKNOWN, 500),
    "garbage": (_fault("garbage"), Consent.UNKNOWN, "garbage"),
    "not json": (_fault("not_json"), Consent.UNKNOWN, "not_json"),
    "wrong types": (_fault("wrong_types"), Consent.UNKNOWN, "wrong_types"),
    "slow": (_fault("slow"), Consent.UNKNOWN, "slow"),
    "reset": (_fault("reset"), Consent.UNKNOWN, "reset"),
    "redirect": (_fault("redirect"), Consent.UNKNOWN, "redirect"),
    "connection refused": (_refuse, Consent.UNKNOWN, None),
}


@pytest.mark.parametrize("case", list(CONSENT_CASES))
async def test_read_consent(
    case: str, sup: SupervisorStandIn, session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(supervisor_mod, "API_TIMEOUT_S", 0.5)
    sup.slow_s = 5.0
    setup, expected, fault = CONSENT_CASES[case]
    api = SupervisorApi(session, sup.url, sup.token)
    state, reason = await api.read_consent()
    assert (state, reason) == (Consent.ON, "diagnostics on, system supported")  # control
    await setup(sup)
    before = len(sup.requests)
    started = time.monotonic()
    state, reason = await api.read_consent()
    assert state is expected, reason
    assert sup.token not in reason
    assert time.monotonic() - started < 2.0
    if fault is not None:
        # (aiohttp retries a reset of a reused keep-alive connection once)
        assert {r.fault for r in sup.requests[before:]} == {fault}
    elif case == "connection refused":
        assert len(sup.requests) == before and "unreachable (ClientConnectorError)" in reason
    await _undo(sup)
    assert (await api.read_consent())[0] is Consent.ON  # and back


async def test_redirect_and_oversize_answers_are_not_believed(
    sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    """Both faults' answers say ON while the Supervisor says OFF: only UNKNOWN is right."""
    api = SupervisorApi(session, sup.url, sup.token)
    sup.diagnostics = False
    assert (await api.read_consent())[0] is Consent.OFF  # control
    faults: list[tuple[FaultKind, str]] = [("redirect", "redirected (302), not followed"),
                                           ("oversize", "the answer is over 1048576 bytes")]
    for fault, words in faults:
        sup.set_fault(fault, paths=["/supervisor/info"])
        state, reason = await api.read_consent()
        assert (state, reason) == (Consent.UNKNOWN, f"/supervisor/info: {words}")
        assert not [r for r in sup.requests if r.path.startswith("/elsewhere")]
        sup.set_fault(None)
        assert (await api.read_consent())[0] is Consent.OFF


@pytest.mark.parametrize("token", [None, "", "f" * 64])
async def test_read_consent_without_the_right_token(
    token: str | None, sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    assert (await SupervisorApi(session, sup.url, sup.token).read_consent())[0] is Consent.ON
    state, reason = await SupervisorApi(session, sup.url, token).read_consent()
    assert state is Consent.UNKNOWN
    assert sup.token not in reason and "f" * 64 not in reason


async def test_fault_on_other_paths_leaves_consent_alone(
    sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    api = SupervisorApi(session, sup.url, sup.token)
    sup.set_fault(500, paths=["/host", "/os/info"])
    assert (await api.read_consent())[0] is Consent.ON
    facts = await api.host_facts()
    assert facts.agent_version is None and facts.board is None  # skipped, not fatal
    assert facts.supervisor_version == "2026.11.2" and facts.core_version == "2026.11.3"
    sup.set_fault(500, paths=["/supervisor"])
    assert (await api.read_consent())[0] is Consent.UNKNOWN


# ----------------------------------------------------------------------------------------
# SupervisorApi.host_facts
# ----------------------------------------------------------------------------------------


async def test_host_facts_from_the_info_endpoints(
    sup: SupervisorStandIn, session: aiohttp.ClientSession,
) -> None:
    facts = await SupervisorApi(session, sup.url, sup.token).host_facts()
    assert facts.supervisor_version == "2026.11.2"
    assert facts.os_version == "16.3"
    assert facts.agent_version == "1.6.0"
    assert facts.core_version == "2026.11.3"
    assert facts.arch == "aarch64"
    assert facts.machine == "raspberrypi4-64"
    assert facts.board == "rpi4-64"
    assert facts.installation_type == "Home Assistant OS"
    assert facts.channel == "stable"
    machine_id = sup.info["machine_id"]
    assert set(facts.identifiers) >= {"homeassistant-kitchen", machine_id}
    assert len(facts.identifiers) == len(set(facts.identifiers))
    # Identifying values only ever appear in `identifiers`.
    context = [v for k, v in dataclasses.asdict(facts).items() if k != "identifiers"]
    assert not any(ident in str(context) for ident in ("homeassistant-kitchen", machine_id))
    assert {r.path for r in sup.requests} == {"/info", "/host/info", "/os/info",
                                               "/supervisor/info"}
    # A Supervised install: no HA OS version; the hostname is still learned.
    sup.info["hassos"] = None
    sup.info["hostname"] = sup.host_info["hostname"] = sup.host_info["llmnr_hostname"] = "nas"
    sup.set_fault(500, paths=["/os/info"])
    facts = await SupervisorApi(session, sup.url, sup.token).host_facts()
    assert facts.installation_type == "Home Assistant Supervised"
    assert facts.board is None and facts.os_version is None
    assert "nas" in facts.identifiers


# ----------------------------------------------------------------------------------------
# ConsentGate over the stand-in
# ----------------------------------------------------------------------------------------


async def test_consent_gate_listeners_fire_once_per_change(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
) -> None:
    gate = ConsentGate(SupervisorApi(session, sup.url, sup.token), tmp_path)
    heard: list[tuple[Consent, Consent]] = []
    heard2: list[tuple[Consent, Consent]] = []

    async def listener(old: Consent, new: Consent) -> None:
        heard.append((old, new))

    async def second(old: Consent, new: Consent) -> None:
        heard2.append((old, new))

    gate.add_listener(listener)
    gate.add_listener(second)
    assert gate.state is Consent.UNKNOWN
    steps: list[tuple[FaultKind | None, bool | None, bool, Consent]] = [
        (None, True, True, Consent.ON),
        (None, True, True, Consent.ON),
        (None, False, True, Consent.OFF),
        (None, None, True, Consent.OFF),  # still OFF: no call
        (500, True, True, Consent.UNKNOWN),
        ("garbage", True, True, Consent.UNKNOWN),
        (None, True, True, Consent.ON),
        (None, True, False, Consent.OFF),
    ]
    for fault, diagnostics, supported, expected in steps:
        sup.set_fault(fault)
        sup.diagnostics = diagnostics
        sup.supported = supported
        assert await gate.refresh("test") is expected
        assert gate.state is expected
    assert heard == [
        (Consent.UNKNOWN, Consent.ON), (Consent.ON, Consent.OFF),
        (Consent.OFF, Consent.UNKNOWN), (Consent.UNKNOWN, Consent.ON),
        (Consent.ON, Consent.OFF),
    ]
    assert heard2 == heard
    assert len(sup.requests) == len(steps)


# ----------------------------------------------------------------------------------------
# OS-Agent stand-in on a real private bus
# ----------------------------------------------------------------------------------------


async def _call(bus: MessageBus, member: str, signature: str = "",
                body: list[Any] | None = None, *, destination: str = BUS_NAME,
                path: str = OBJECT_PATH,
                interface: str = "org.freedesktop.DBus.Properties") -> Message:
    async with asyncio.timeout(5):
        reply = await bus.call(Message(destination=destination, path=path,
                                       interface=interface, member=member,
                                       signature=signature, body=body or []))
    assert reply is not None
    return reply


async def _has_owner(bus: MessageBus) -> bool:
    reply = await _call(bus, "NameHasOwner", "s", [BUS_NAME], destination="org.freedesktop.DBus",
                        path="/org/freedesktop/DBus", interface="org.freedesktop.DBus")
    return bool(reply.body[0])


async def test_os_agent_stand_in_on_the_bus(dbus_address: str) -> None:
    agent = OsAgentStandIn(dbus_address)
    client = await MessageBus(bus_address=dbus_address).connect()
    signals: asyncio.Queue[Message] = asyncio.Queue()

    def on_message(msg: Message) -> None:
        if msg.message_type is MessageType.SIGNAL and msg.member in (
                "PropertiesChanged", "NameOwnerChanged"):
            signals.put_nowait(msg)

    client.add_message_handler(on_message)
    try:
        for rule in ("type='signal',member='PropertiesChanged',path='/io/hass/os'",
                     "type='signal',member='NameOwnerChanged',arg0='io.hass.os'"):
            await _call(client, "AddMatch", "s", [rule], destination="org.freedesktop.DBus",
                        path="/org/freedesktop/DBus", interface="org.freedesktop.DBus")
        assert not await _has_owner(client)
        await agent.start()
        owner = (await take(signals, 1))[0]
        assert owner.body == [BUS_NAME, "", agent.unique_name]
        assert await _has_owner(client)
        reply = await _call(client, "GetAll", "s", [INTERFACE])
        assert reply.message_type is MessageType.METHOD_RETURN
        assert {k: v.value for k, v in reply.body[0].items()} == {
            "Version": "1.6.0", "Diagnostics": False}
        # The Supervisor's write: PropertiesChanged WITH the value; not an external set.
        for value in (True, False):
            await agent.set_diagnostics(value)
            msg = (await take(signals, 1))[0]
            assert msg.path == OBJECT_PATH and msg.sender == agent.unique_name
            assert msg.body[0] == INTERFACE
            assert msg.body[1] == {"Diagnostics": Variant("b", value)}
        assert agent.external_sets == 0
        # Version is read-only; a write of Diagnostics by another client is counted.
        denied = await _call(client, "Set", "ssv", [INTERFACE, "Version", Variant("s", "9")])
        assert denied.message_type is MessageType.ERROR
        await _call(client, "Set", "ssv", [INTERFACE, "Diagnostics", Variant("b", True)])
        assert (await take(signals, 1))[0].body[1] == {"Diagnostics": Variant("b", True)}
        assert agent.external_sets == 1 and agent.diagnostics is True
        # Gone and back: NameOwnerChanged both ways; the value held in memory is forgotten.
        old_name = agent.unique_name
        await agent.stop()
        assert (await take(signals, 1))[0].body == [BUS_NAME, old_name, ""]
        assert not await _has_owner(client)
        await agent.start()
        assert (await take(signals, 1))[0].body == [BUS_NAME, "", agent.unique_name]
        assert agent.unique_name != old_name
        reply = await _call(client, "Get", "ss", [INTERFACE, "Diagnostics"])
        assert reply.body[0].value is False
        assert agent.external_sets == 1 and agent.starts == 2
    finally:
        client.disconnect()
        await agent.stop()


async def test_os_agent_watcher_turns_the_bus_into_records(dbus_address: str) -> None:
    agent = OsAgentStandIn(dbus_address)
    await agent.start()
    out: asyncio.Queue[object] = asyncio.Queue()
    bus_session = BusSession(dbus_address, [OsAgent(clock=lambda: 1.0)])
    try:
        async with running(bus_session.run(out)):
            async with asyncio.timeout(10):
                await bus_session.connected.wait()
            assert await take(out, 2) == [BusNameChange(BUS_NAME, True, 1.0),
                                          ConsentTrigger(source="D-Bus connected")]
            for value in (True, False, True):
                await agent.set_diagnostics(value)
                assert await take(out, 1) == [
                    ConsentTrigger(source="OS-Agent Diagnostics changed", value=value)]
            await agent.stop()
            assert await take(out, 1) == [BusNameChange(BUS_NAME, False, 1.0)]
            await agent.start()
            assert await take(out, 2) == [BusNameChange(BUS_NAME, True, 1.0),
                                          ConsentTrigger(source="OS-Agent appeared")]
            await agent.set_diagnostics(False)
            assert await take(out, 1) == [
                ConsentTrigger(source="OS-Agent Diagnostics changed", value=False)]
            assert await quiet(out) == []
        assert bus_session.connections == 1
        assert agent.external_sets == 0  # the app only ever reads Diagnostics
    finally:
        await agent.stop()


async def test_os_agent_watcher_sees_it_appear_later(dbus_address: str) -> None:
    agent = OsAgentStandIn(dbus_address)
    out: asyncio.Queue[object] = asyncio.Queue()
    bus_session = BusSession(dbus_address, [OsAgent(clock=lambda: 2.0)])
    try:
        async with running(bus_session.run(out)):
            async with asyncio.timeout(10):
                await bus_session.connected.wait()
            assert await take(out, 2) == [BusNameChange(BUS_NAME, False, 2.0),
                                          ConsentTrigger(source="D-Bus connected")]
            await agent.start()
            assert await take(out, 2) == [BusNameChange(BUS_NAME, True, 2.0),
                                          ConsentTrigger(source="OS-Agent appeared")]
            await agent.set_diagnostics(True)
            assert await take(out, 1) == [
                ConsentTrigger(source="OS-Agent Diagnostics changed", value=True)]
        assert agent.external_sets == 0
    finally:
        await agent.stop()


async def test_opt_out_travels_supervisor_os_agent_gate(
    dbus_address: str, session: aiohttp.ClientSession, tmp_path: Path,
) -> None:
    """Settings > Analytics -> POST /supervisor/options -> OS-Agent -> trigger -> re-read."""
    agent = OsAgentStandIn(dbus_address)
    await agent.start()
    async with SupervisorStandIn(diagnostics=True, on_diagnostics=agent.set_diagnostics) as sup:
        gate = ConsentGate(SupervisorApi(session, sup.url, sup.token), tmp_path)
        changes: list[tuple[Consent, Consent]] = []

        async def listener(old: Consent, new: Consent) -> None:
            changes.append((old, new))

        gate.add_listener(listener)
        out: asyncio.Queue[object] = asyncio.Queue()
        bus_session = BusSession(dbus_address, [OsAgent()])

        async def intake() -> None:
            while True:
                record = await out.get()
                if isinstance(record, ConsentTrigger):
                    await gate.refresh(record.source)

        async def post(value: bool) -> None:
            async with session.post(sup.url + "/supervisor/options", headers=auth(sup),
                                    json={"diagnostics": value}) as resp:
                assert resp.status == 200

        async def settled(expected: Consent) -> None:
            async with asyncio.timeout(5):
                while gate.state is not expected:
                    await gate.wait_changed()

        try:
            async with running(bus_session.run(out)), running(intake()):
                await settled(Consent.ON)  # the "D-Bus connected" trigger read the API
                await post(False)
                await settled(Consent.OFF)
                await post(True)  # the positive control
                await settled(Consent.ON)
                # The D-Bus value is only a trigger: a claim the API denies changes nothing.
                sup.diagnostics = False
                await agent.set_diagnostics(True)
                await settled(Consent.OFF)
                reads = len(sup.requests)
                await agent.set_diagnostics(True)
                await sup.wait_requests(reads + 1)
                assert gate.state is Consent.OFF
        finally:
            await agent.stop()
        assert changes == [(Consent.UNKNOWN, Consent.ON), (Consent.ON, Consent.OFF),
                           (Consent.OFF, Consent.ON), (Consent.ON, Consent.OFF)]
        assert sup.options_posts == [{"diagnostics": False}, {"diagnostics": True}]
        assert agent.external_sets == 0


# ----------------------------------------------------------------------------------------
# LogFollower against the logs stand-in
# ----------------------------------------------------------------------------------------


async def test_follower_yields_appended_lines(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
    fast_reconnect: None,
) -> None:
    sample = (SAMPLES / "supervisor_verbose.log").read_text("utf-8").splitlines()
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path)
    async with running(logs.run(out)):
        await sup.wait_streams(1)
        sup.append("hassio_supervisor", sample[:40])
        first = await take(out, 40)
        sup.append("hassio_supervisor", sample[40:])
        rest = await take(out, len(sample) - 40)
        assert await quiet(out) == []
    got = [x for x in first + rest if isinstance(x, LogLine)]
    assert as_tuples(got) == [(t, i, p, round(s, 3), h) for t, i, p, s, h in
                              expected_lines(sup.entries("hassio_supervisor"))]
    assert logs.entries == len(sample) and logs.reconnects == 0
    assert "\x1b[" in "".join(x.text for x in got)  # colours kept: they mark record ends
    request = sup.requests[0]
    assert request.path == SUPERVISOR_STREAM.path and request.query == ""
    assert request.headers["Accept"] == "text/x-log"
    assert request.headers["Range"] == f"entries=:-{FIRST_START_BACKLOG}:"


async def test_follower_multi_line_message_keeps_its_writer(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
) -> None:
    text = (SAMPLES / "coredump.log").read_text("utf-8").splitlines()
    sup.append(None, text)
    coredump = sup.entries("systemd-coredump")
    assert any("\n" in e.message for e in coredump)  # a multi-line MESSAGE
    out: asyncio.Queue[object] = asyncio.Queue()
    stream = LogStream("systemd-coredump", "/host/logs/identifiers/systemd-coredump/follow")
    logs = follower(session, sup, tmp_path, stream)
    expected = expected_lines(coredump)
    async with running(logs.run(out)):
        got = await take(out, len(expected))
        assert await quiet(out) == []
    assert as_tuples(got) == [(t, i, p, round(s, 3), h) for t, i, p, s, h in expected]
    assert logs.entries == len(coredump)


async def test_follower_first_start_reads_a_bounded_backlog(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
) -> None:
    sup.append("os-agent", [f"old {i}" for i in range(FIRST_START_BACKLOG + 50)])
    out: asyncio.Queue[object] = asyncio.Queue()
    async with running(follower(session, sup, tmp_path, OS_AGENT_STREAM).run(out)):
        got = await take(out, FIRST_START_BACKLOG)
        assert await quiet(out) == []
    assert [x.text for x in got if isinstance(x, LogLine)] == [
        f"old {i}" for i in range(50, FIRST_START_BACKLOG + 50)]


async def test_follower_resumes_after_restart_without_repeats_or_gaps(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
) -> None:
    out: asyncio.Queue[object] = asyncio.Queue()
    sup.append("os-agent", ["a0", "a1"])
    async with running(follower(session, sup, tmp_path, OS_AGENT_STREAM).run(out)):
        assert [x.text for x in await take(out, 2)] == ["a0", "a1"]
        sup.append("os-agent", ["a2", "a3", "a4"])
        assert [x.text for x in await take(out, 3)] == ["a2", "a3", "a4"]
    saved = CursorStore(tmp_path).get("os-agent")
    assert saved is not None and saved[1] == 5  # written on stop
    # Down: entries of this stream and of others are logged meanwhile.
    sup.append("os-agent", ["b0", "b1"])
    sup.append("systemd", ["haos-agent.service: Main process exited"])
    sup.append("os-agent", ["b2"])
    for _restart in range(2):
        async with running(follower(session, sup, tmp_path, OS_AGENT_STREAM).run(out)):
            got = [x.text for x in await take(out, 3)]
            assert await quiet(out) == []
        if _restart == 0:
            assert got == ["b0", "b1", "b2"]
            sup.append("os-agent", ["c0", "c1", "c2"])
        else:
            assert got == ["c0", "c1", "c2"]
    resumes = [r.headers.get("Range") for r in sup.requests]
    assert resumes[0] == f"entries=:-{FIRST_START_BACKLOG}:"
    assert resumes[1] == f"entries={sup.entries('os-agent')[0].cursor}:5:"
    assert resumes[2] == f"entries={sup.entries('os-agent')[5].cursor}:3:"


async def test_follower_restart_with_nothing_new_then_more(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
) -> None:
    out: asyncio.Queue[object] = asyncio.Queue()
    sup.append("os-agent", ["x0"])
    async with running(follower(session, sup, tmp_path, OS_AGENT_STREAM).run(out)):
        assert [x.text for x in await take(out, 1)] == ["x0"]
    async with running(follower(session, sup, tmp_path, OS_AGENT_STREAM).run(out)):
        await sup.wait_streams(1)
        assert await quiet(out) == []  # a restart with nothing new replays nothing
    async with running(follower(session, sup, tmp_path, OS_AGENT_STREAM).run(out)):
        await sup.wait_streams(1)
        sup.append("os-agent", ["x1"])
        assert [x.text for x in await take(out, 1)] == ["x1"]
        assert await quiet(out) == []


async def test_follower_reconnects_when_the_stream_is_cut(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
    fast_reconnect: None,
) -> None:
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path, OS_AGENT_STREAM)
    async with running(logs.run(out)) as task:
        sup.append("os-agent", ["r0", "r1"])
        assert [x.text for x in await take(out, 2)] == ["r0", "r1"]
        # A Supervisor restart: the stream is cut and new connections fail for a while.
        sup.set_fault("reset", paths=[OS_AGENT_STREAM.path])
        sup.append("os-agent", ["r2"])
        await sup.wait_requests(3, OS_AGENT_STREAM.path)
        sup.set_fault(None)
        sup.append("os-agent", ["r3"])
        assert [x.text for x in await take(out, 2)] == ["r2", "r3"]
        # A plain cut of a working stream.
        assert sup.cut_streams() == 1
        sup.append("os-agent", ["r4"])
        assert [x.text for x in await take(out, 1)] == ["r4"]
        # HTTP errors while the Supervisor starts: no lines, then on where it stopped.
        sup.set_fault(500, paths=[OS_AGENT_STREAM.path])
        before = len(sup.requests)
        assert sup.cut_streams() == 1
        sup.append("os-agent", ["r5"])
        await sup.wait_requests(before + 1)
        assert sup.requests[before].fault == 500
        assert await quiet(out, 0.2) == []
        sup.set_fault(None)
        assert [x.text for x in await take(out, 1)] == ["r5"]
        assert await quiet(out) == []
        assert not task.done()
    assert logs.reconnects >= 3
    ranges = [r.headers["Range"] for r in sup.requests if r.path == OS_AGENT_STREAM.path]
    assert ranges[0] == f"entries=:-{FIRST_START_BACKLOG}:"
    assert all(r.startswith("entries=s=") for r in ranges[1:])


@pytest.mark.parametrize("stream", default_streams(), ids=lambda s: s.name)
async def test_follower_paths_of_the_default_streams(
    stream: LogStream, sup: SupervisorStandIn, session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    for ident in ("hassio_supervisor", "os-agent", "systemd", "systemd-coredump", "kernel"):
        sup.append(ident, [f"from {ident}"])
    out: asyncio.Queue[object] = asyncio.Queue()
    async with running(follower(session, sup, tmp_path, stream).run(out)):
        got = await take(out, 1)
        assert await quiet(out, 0.2) == []
    assert [(x.text, x.identifier) for x in got] == [(f"from {stream.name}", stream.name)]


# --- app bugs, each shown by a test that failed before its fix -----------------------------


async def test_follower_reconnects_when_the_stream_ends(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
    fast_reconnect: None,
) -> None:
    """A stream that ends cleanly (gatewayd gone) ends the request; no empty lines, ever.

    Was: aiohttp's readuntil() returns b'' at EOF, so _lines() yielded empty lines forever.
    """
    out: asyncio.Queue[object] = asyncio.Queue(100)  # bounded, like the app's queue
    logs = follower(session, sup, tmp_path, OS_AGENT_STREAM)
    async with running(logs.run(out)):
        sup.append("os-agent", ["e0"])
        assert [x.text for x in await take(out, 1)] == ["e0"]
        assert sup.end_streams() == 1
        await sup.wait_requests(2, OS_AGENT_STREAM.path)
        spurious = await quiet(out, 0.2)
        assert spurious == [], f"{len(spurious)}+ spurious lines, e.g. {spurious[:2]}"
        assert logs.reconnects == 1
        sup.append("os-agent", ["e1"])
        got = await take(out, 1)
    assert [x.text for x in got] == ["e1"]


async def test_follower_survives_an_over_long_line(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
    fast_reconnect: None,
) -> None:
    """A line over aiohttp's buffer limit is cut to MAX_LINE_BYTES; the rest is dropped.

    Was: aiohttp.http_exceptions.LineTooLong killed the follower (and the app's TaskGroup).
    """
    out: asyncio.Queue[object] = asyncio.Queue()
    logs = follower(session, sup, tmp_path, OS_AGENT_STREAM)
    async with running(logs.run(out)) as task:
        sup.append("os-agent", ["before", "x" * (1 << 20), "after"])
        texts: list[str] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while len(texts) < 3:
                    [line] = await take(out, 1)
                    assert isinstance(line, LogLine)
                    texts.append(line.text)
        assert not task.done(), task.exception() if task.done() else None
        assert await quiet(out) == []
    assert texts[0] == "before"
    # Cut (the marker appended) at MAX_LINE_BYTES of the whole verbose line: tests/test_logs.py
    # checks the exact length.
    assert texts[1].startswith("x" * 1000) and texts[1].endswith("truncated by crash_reporter]")
    assert len(texts[1].encode()) <= MAX_LINE_BYTES
    assert texts[2] == "after"
    assert logs.entries == 3 and logs.reconnects == 0


async def test_follower_backoff_restarts_after_a_working_stream_is_cut(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a stream that delivered entries the next request comes after RECONNECT_MIN_S.

    Was: a cut stream counted as "nothing delivered", so the delay doubled on every cut of a
    working stream. Six cuts at 0.05 s each: the buggy delays would add up to 6.3 s.
    """
    monkeypatch.setattr(logs_mod, "RECONNECT_MIN_S", 0.05)
    monkeypatch.setattr(logs_mod, "random", SimpleNamespace(random=lambda: 0.5))
    out: asyncio.Queue[object] = asyncio.Queue()
    gaps: list[float] = []
    async with running(follower(session, sup, tmp_path, OS_AGENT_STREAM).run(out)):
        for i in range(6):
            sup.append("os-agent", [f"w{i}"])
            assert [x.text for x in await take(out, 1)] == [f"w{i}"]
            await sup.wait_streams(1)
            cut_at = time.monotonic()
            assert sup.cut_streams() == 1
            await sup.wait_requests(i + 2, OS_AGENT_STREAM.path, timeout_s=10)
            gaps.append(sup.requests[-1].at - cut_at)
    assert sum(gaps) < 3.0, gaps


async def test_follower_never_follows_a_redirect(
    sup: SupervisorStandIn, session: aiohttp.ClientSession, tmp_path: Path,
    fast_reconnect: None,
) -> None:
    """A redirected log stream is a failed request: nothing is read from where it points."""
    out: asyncio.Queue[object] = asyncio.Queue()
    sup.set_fault("redirect", paths=[SUPERVISOR_STREAM.path])
    logs = follower(session, sup, tmp_path)
    async with running(logs.run(out)):
        await sup.wait_requests(2, SUPERVISOR_STREAM.path)
        assert await quiet(out) == []
    assert not [r for r in sup.requests if r.path.startswith("/elsewhere")]
    sup.set_fault(None)
    async with running(logs.run(out)):  # positive control: the stream itself is read
        await sup.wait_streams(1)
        sup.append("hassio_supervisor", ["one line"])
        assert len(await take(out, 1)) == 1
