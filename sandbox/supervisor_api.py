"""A stand-in for the Home Assistant Supervisor's HTTP API (a real aiohttp server on 127.0.0.1).

    async with SupervisorStandIn(diagnostics=True) as sup:
        api = SupervisorApi(session, sup.url, sup.token)
        sup.append("hassio_supervisor", ["2026-11-20 08:55:11.191 homeassistant-kitchen ..."])
        sup.set_fault(500, paths=["/supervisor/info"])
        ...

What it serves follows /work/shared/reference/supervisor-api.md:

- Every JSON reply is wrapped: ``{"result": "ok", "data": {...}}``, errors are
  ``{"result": "error", "message": "..."}``.
- Auth: ``Authorization: Bearer <token>`` (or the legacy ``X-Supervisor-Token`` /
  ``X-Hassio-Key`` headers). A missing or wrong token is answered 401 in the error shape. The
  app's ``hassio_role`` decides which paths it may use (``default``, ``manager``, ``admin``);
  a path outside the role is answered 403.
- ``GET /supervisor/info`` (``diagnostics``: true/false/null, ``supported``, ``version``,
  ``channel``, ``arch``, ...), ``GET /info``, ``GET /host/info``, ``GET /os/info`` with
  realistic values, identifying ones included (hostname ``homeassistant-kitchen``, a machine
  id, ...) so scrub tests can check they never leave the host.
- This home's identifiers where the Supervisor serves them: ``GET /network/info`` (interfaces
  with MAC, IPv4/IPv6 addresses, gateway, nameservers, Wi-Fi SSID), ``GET /mounts`` (a CIFS
  and an NFS mount: name, server, share/path), and Home Assistant Core's ``GET
  /core/api/config`` (location name, coordinates, URLs; Core's unwrapped JSON, refused 403
  unless ``homeassistant_api``) and ``POST /core/api/template`` (Core's template API, which
  the Supervisor's proxy user, an admin, may call: ``{"template": ...}`` is rendered by real
  Jinja2 with ``states.person`` holding this home's people, `people`, and the result
  answered as text; a template that does not render is answered 400 with Core's message).
  The values are the ``HOME_*`` constants.
- ``POST /supervisor/options`` ``{"diagnostics": bool}`` stores the opt-in and calls
  ``on_diagnostics(value)`` before answering, as the Supervisor sets OS-Agent's property.
- The logs endpoints: ``/supervisor/logs[/follow]`` (identifier ``hassio_supervisor``),
  ``/host/logs[/follow]`` (every identifier, always verbose) and
  ``/host/logs/identifiers/{identifier}[/follow]``, served from one in-memory journal the
  test appends to (`append`). Entries get journal cursors and global sequence numbers.
  ``Accept`` must be ``text/plain``, ``text/x-log`` or ``*/*``; ``text/x-log`` or
  ``?verbose`` gives the verbose form, ``?no_colors`` strips ANSI codes, ``?lines=N`` the
  last N entries; ``Range: entries=<cursor>[[:<num_skip>]:<num_entries>]`` is interpreted
  the way systemd-journal-gatewayd does; the ``X-First-Cursor`` reply header is the cursor
  of the first entry sent. A ``/follow`` reply stays open and streams appended entries.

Faults (`fault`, `set_fault`) apply to every path or to selected ones: an HTTP status (401,
403, 500), ``"garbage"`` (binary bytes with status 200), ``"not_json"`` (an HTML page with
status 200), ``"wrong_types"`` (well-wrapped info replies whose fields have the wrong JSON
types), ``"redirect"`` (302 to ``/elsewhere<path>``, where a reply that says diagnostics ON
waits), ``"oversize"`` (status 200, a valid wrapper saying diagnostics ON followed by
OVERSIZE_BYTES of blanks, chunked: only a client that reads it all believes it),
``"slow"`` (answers only after `slow_s` seconds), ``"reset"`` (the TCP connection is
aborted; setting it also cuts the open log streams it applies to). `refuse` stops listening
(connection refused) and `listen` starts again on the same port. Every request is logged in
`requests` with its headers, the token values masked.

Where the reference is silent, the choices made here are marked "Guess:" below.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import platform
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Literal, TypeAlias

import jinja2
from aiohttp import web

FaultKind: TypeAlias = Literal[
    401, 403, 500, "garbage", "slow", "reset", "not_json", "wrong_types", "redirect",
    "oversize",
]
Role: TypeAlias = Literal["default", "manager", "admin"]
DiagnosticsCallback: TypeAlias = Callable[[bool], Awaitable[None] | None]

SUPERVISOR_IDENTIFIER = "hassio_supervisor"  # the journal identifier of /supervisor/logs
DEFAULT_LINES = 100  # entries sent without Range or ?lines (supervisor/api/host.py)
WRITE_SLICE = 512  # entries rendered and written at a time
ACCEPTED_LOG_TYPES = ("text/plain", "text/x-log", "*/*")
TOKEN_HEADERS = ("Authorization", "X-Supervisor-Token", "X-Hassio-Key")
MASK = "[masked]"

# Paths each hassio_role may use (supervisor/api/middleware/security.py, as transcribed in
# the reference). The bypass list is open to every app with API access.
_BYPASS = re.compile(r"^(?:/info|/addons/self(?:/.*)?|/services.*|/discovery.*)$")
_ROLE_PATHS: dict[Role, re.Pattern[str]] = {
    "default": re.compile(r"^/.+/info$"),
    "manager": re.compile(
        r"^(?:/.+/info|/host/.+|/supervisor/.+|/os/(?!datadisk/wipe).+|/resolution/.+"
        r"|/jobs/.+|/core/.+|/homeassistant/.+|/addons(?:/[^/]+/(?!security).+)?"
        r"|/backups.*|/store.*|/network/.+|/dns/.+|/audio/.+|/multicast/.+|/cli/.+"
        r"|/observer/.+|/hardware/.+|/mounts.*)$"
    ),
    "admin": re.compile(r"^/.*$"),
}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A verbose line as the logs API prints it (the reference's format); the MESSAGE may be empty.
_VERBOSE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,6}))? (\S+) "
    r"([^\s\[]+?)(?:\[(\d+)\])?:(?: (.*))?$",
    re.DOTALL,
)
_RANGE = re.compile(r"^entries=\s*([^:]*)(?::(.*))?$")

ELSEWHERE = "/elsewhere"  # where the "redirect" fault points
OVERSIZE_BYTES = 64 << 20  # blanks after the "oversize" fault's reply
GARBAGE = bytes(range(256)) + b"\xff\xfe\x00{\"result\": \"ok\", \"da"
NOT_JSON = (
    b"<html><head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body></html>\r\n"
)
# Guess: the generic message of the Supervisor's api_process for an unexpected exception.
INTERNAL_ERROR = "Unknown error, see Supervisor logs (check with 'ha supervisor logs')"
INVALID_ACCEPT = (
    "Invalid content type requested. Only text/plain and text/x-log supported for now."
)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry of the stand-in's journal."""

    seqnum: int
    cursor: str
    realtime_us: int
    hostname: str
    identifier: str
    pid: int | None
    message: str

    def render(self, *, verbose: bool, no_colors: bool) -> str:
        """The entry as the logs API prints it (without the final newline)."""
        message = _ANSI.sub("", self.message) if no_colors else self.message
        if not verbose:
            return message
        seconds, micros = divmod(self.realtime_us, 1_000_000)
        stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")
        ident = f"{self.identifier}[{self.pid}]" if self.pid is not None else self.identifier
        return f"{stamp}.{micros // 1000:03d} {self.hostname} {ident}: {message}"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the stand-in received (token values masked in `headers`)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    token_ok: bool
    fault: FaultKind | None
    at: float  # time.monotonic() on arrival


@dataclass(eq=False)
class _OpenStream:
    """A log reply in progress."""

    path: str
    follow: bool
    request: web.BaseRequest
    sent: int = 0
    ended: bool = False
    frozen: bool = False  # open, but nothing is sent any more (a half-open connection)


@dataclass(frozen=True, slots=True)
class _Range:
    """A parsed `Range: entries=...` header (systemd-journal-gatewayd's syntax)."""

    cursor: str | None = None
    skip: int = 0
    count: int | None = None


class RangeError(ValueError):
    """A Range header or cursor the journal cannot use."""


def _default_supervisor_info() -> dict[str, Any]:
    return {
        "version": "2026.11.2", "version_latest": "2026.11.2", "update_available": False,
        "channel": "stable", "arch": "aarch64", "supported": True, "healthy": True,
        "ip_address": "172.30.32.2", "timezone": "Europe/Amsterdam", "country": "NL",
        "logging": "info", "debug": False, "debug_block": False, "diagnostics": None,
        "auto_update": True, "detect_blocking_io": False, "wait_boot": 5,
        "addons": [], "addons_repositories": ["https://github.com/hassio-addons/repository"],
    }


def _default_info(hostname: str, machine_id: str) -> dict[str, Any]:
    return {
        "supervisor": "2026.11.2", "homeassistant": "2026.11.3", "hassos": "16.3",
        "docker": "28.3.3", "hostname": hostname, "operating_system": "Home Assistant OS 16.3",
        "features": ["reboot", "shutdown", "services", "network", "hostname", "timedate",
                     "os_agent", "haos", "resolved", "journal", "disk", "mount"],
        "machine": "raspberrypi4-64", "machine_id": machine_id, "arch": "aarch64",
        "state": "running", "supported_arch": ["aarch64", "armv7", "armhf"],
        "supported": True, "channel": "stable", "logging": "info",
        "timezone": "Europe/Amsterdam",
    }


def _default_host_info(hostname: str) -> dict[str, Any]:
    return {
        "agent_version": "1.6.0", "apparmor_version": "3.1.2", "chassis": "embedded",
        "virtualization": "",
        "cpe": "cpe:2.3:o:home-assistant:haos:16.3:*:production:*:*:*:rpi4-64:*",
        "deployment": "production", "disk_free": 21.3, "disk_total": 28.6, "disk_used": 6.1,
        "disk_life_time": 12.0, "features": ["reboot", "shutdown", "services", "network",
                                             "hostname", "timedate", "os_agent", "haos"],
        "hostname": hostname, "llmnr_hostname": hostname, "kernel": "6.12.47-haos-raspi",
        "operating_system": "Home Assistant OS 16.3", "timezone": "Europe/Amsterdam",
        "dt_utc": "2026-11-23T02:35:41.120000+00:00", "dt_synchronized": True,
        "use_ntp": True, "startup_time": 21.8, "boot_timestamp": 1763865000000000,
        "broadcast_llmnr": True, "broadcast_mdns": True,
    }


def _default_os_info() -> dict[str, Any]:
    return {
        "version": "16.3", "version_latest": "16.3", "update_available": False,
        "board": "rpi4-64", "boot": "A", "data_disk": "Generic-SD-MMC-SD64G-0:0",
        "boot_slots": {"A": {"state": "booted", "status": "good", "version": "16.3"},
                       "B": {"state": "inactive", "status": "good", "version": "16.2"}},
    }


# This home's own identifiers, served where the real Supervisor serves them (supervisor-api.md,
# "This host's identifiers"): tests plant them in crash text and check none leaves the host.
HOME_SSID = "Smith Family WiFi"
HOME_MAC = "DC:A6:32:4B:7E:19"  # the wired interface
HOME_WIFI_MAC = "DC:A6:32:4B:7E:1A"
HOME_IP = "192.168.178.23"
HOME_IP6 = "2a02:8109:b6c0:4e00:dea6:32ff:fe4b:7e19"
HOME_GATEWAY = "192.168.178.1"
HOME_SHARE_SERVER = "nas-smith.fritz.box"
HOME_MOUNT = "Backup_Smith"
HOME_LOCATION = "Smith Residence"
HOME_LATITUDE = 52.379189
HOME_LONGITUDE = 4.899431
HOME_EXTERNAL_HOST = "ha.smith-family.de"
HOME_PEOPLE = ("Jean Smith", "Maria")  # Settings > People: the person entities' names


def _default_network_info() -> dict[str, Any]:
    """GET /network/info (supervisor/api/network.py): interfaces, docker, internet flags."""
    def iface(name: str, kind: str, mac: str, ipv4: list[str], ipv6: list[str], *,
              wifi: dict[str, Any] | None, primary: bool) -> dict[str, Any]:
        return {
            "interface": name, "type": kind, "enabled": True, "connected": True,
            "primary": primary, "mac": mac,
            "ipv4": {"method": "auto", "address": ipv4, "nameservers": [HOME_GATEWAY],
                     "gateway": HOME_GATEWAY, "ready": True},
            "ipv6": {"method": "auto", "addr_gen_mode": "default", "ip6_privacy": "default",
                     "address": ipv6, "nameservers": [], "gateway": "fe80::1", "ready": True},
            "wifi": wifi, "vlan": None, "mdns": "announce", "llmnr": "announce",
        }
    return {
        "interfaces": [
            iface("end0", "ethernet", HOME_MAC, [f"{HOME_IP}/24"],
                  [f"{HOME_IP6}/64", "fe80::dea6:32ff:fe4b:7e19/64"], wifi=None, primary=True),
            iface("wlan0", "wireless", HOME_WIFI_MAC, ["192.168.178.24/24"], [],
                  wifi={"mode": "infrastructure", "auth": "wpa-psk", "ssid": HOME_SSID,
                        "signal": 72}, primary=False),
        ],
        "docker": {"interface": "hassio", "address": "172.30.32.0/23",
                   "gateway": "172.30.32.1", "dns": "172.30.32.3"},
        "host_internet": True, "supervisor_internet": True,
    }


def _default_mounts() -> dict[str, Any]:
    """GET /mounts (supervisor/api/mounts.py, supervisor/mounts/mount.py); no credentials."""
    return {
        "default_backup_mount": HOME_MOUNT,
        "mounts": [
            {"name": HOME_MOUNT, "usage": "backup", "type": "cifs", "version": None,
             "server": HOME_SHARE_SERVER, "share": "backups_smith", "read_only": False,
             "state": "active", "user_path": None},
            {"name": "Photos", "usage": "media", "type": "nfs", "server": "192.168.178.5",
             "path": "/volume1/photos-smith", "port": 2049, "read_only": True,
             "state": "active", "user_path": "/media/Photos"},
        ],
    }


def _default_core_config() -> dict[str, Any]:
    """GET /core/api/config: Home Assistant Core's config (not wrapped: Core's own API)."""
    return {
        "latitude": HOME_LATITUDE, "longitude": HOME_LONGITUDE, "elevation": 2,
        "unit_system": {"length": "km", "mass": "g", "temperature": "°C", "volume": "L"},
        "location_name": HOME_LOCATION, "time_zone": "Europe/Amsterdam",
        "components": ["hassio", "http", "analytics"], "config_dir": "/config",
        "allowlist_external_dirs": ["/media", "/config/www"], "allowlist_external_urls": [],
        "version": "2026.11.3", "config_source": "storage", "recovery_mode": False,
        "state": "RUNNING", "external_url": f"https://{HOME_EXTERNAL_HOST}",
        "internal_url": f"http://{HOME_IP}:8123", "currency": "EUR", "country": "NL",
        "language": "en", "safe_mode": False, "debug": False, "radius": 100,
    }


def _wrong_types(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with every value turned into a JSON type it never has (bool -> str, ...)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, bool) or value is None:
            out[key] = "true" if value else "false"
        elif isinstance(value, str):
            out[key] = [value]
        elif isinstance(value, int | float):
            out[key] = str(value)
        else:
            out[key] = 0
    return out


class SupervisorStandIn:
    """The Supervisor's API on 127.0.0.1; use as an async context manager."""

    def __init__(
        self,
        *,
        diagnostics: bool | None = False,
        supported: bool = True,
        token: str | None = None,
        hostname: str = "homeassistant-kitchen",
        machine_id: str = "5f2ac1e0d7b94e3c8a61b0f4c9d2e7a3",
        role: Role = "manager",
        homeassistant_api: bool = True,
        on_diagnostics: DiagnosticsCallback | None = None,
        slow_s: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Prepare the stand-in (nothing listens before `__aenter__`)."""
        self.token = token or secrets.token_hex(32)
        self.hostname = hostname
        self.role: Role = role
        self.on_diagnostics = on_diagnostics
        self.slow_s = slow_s
        self.host = host
        self.port = port
        self.supervisor_info = _default_supervisor_info()
        self.supervisor_info["diagnostics"] = diagnostics
        self.supervisor_info["supported"] = supported
        self.info = _default_info(hostname, machine_id)
        self.info["supported"] = supported
        self.host_info = _default_host_info(hostname)
        self.os_info = _default_os_info()
        self.network_info = _default_network_info()
        self.mounts = _default_mounts()
        self.core_config = _default_core_config()
        self.people = list(HOME_PEOPLE)
        self.homeassistant_api = homeassistant_api
        self.requests: list[RequestRecord] = []
        self.options_posts: list[dict[str, Any]] = []
        self._fault: FaultKind | None = None
        self._fault_paths: tuple[str, ...] | None = None
        self._entries: list[JournalEntry] = []
        self._by_identifier: dict[str, list[JournalEntry]] = {}
        self._pids: dict[str, int] = {}
        self._seqnum_id = hashlib.md5(self.token.encode()).hexdigest()
        self._boot_id = hashlib.md5(self._seqnum_id.encode()).hexdigest()
        self._next_seqnum = 0x4E000
        self._streams: list[_OpenStream] = []
        self._transports: set[asyncio.Transport] = set()
        self._wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None

    # --- state the tests read or change -----------------------------------------------------

    def like_this_machine(self) -> None:
        """Describe this machine's CPU (amd64 on x86_64: a generic x86-64 HA OS install)."""
        if platform.machine() not in ("x86_64", "AMD64"):
            return  # the defaults describe an aarch64 Raspberry Pi 4
        self.supervisor_info["arch"] = self.info["arch"] = "amd64"
        self.info["machine"] = "generic-x86-64"
        self.info["supported_arch"] = ["amd64", "i386"]
        self.os_info["board"] = "generic-x86-64"
        self.host_info["kernel"] = self.host_info["kernel"].replace("-raspi", "")
        self.host_info["chassis"] = "desktop"
        self.host_info["cpe"] = self.host_info["cpe"].replace("rpi4-64", "generic-x86-64")
        self.os_info["data_disk"] = "Generic-NVMe-SSD-256G-0:0"


    @property
    def url(self) -> str:
        """Base URL of the API (like ``http://supervisor``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def diagnostics(self) -> bool | None:
        """The stored opt-in: True, False or None (never chosen)."""
        value = self.supervisor_info.get("diagnostics")
        return value if isinstance(value, bool) else None

    @diagnostics.setter
    def diagnostics(self, value: bool | None) -> None:
        self.supervisor_info["diagnostics"] = value

    @property
    def supported(self) -> bool:
        """Whether the Supervisor considers the system supported."""
        return self.supervisor_info.get("supported") is True

    @supported.setter
    def supported(self, value: bool) -> None:
        self.supervisor_info["supported"] = value
        self.info["supported"] = value

    @property
    def fault(self) -> FaultKind | None:
        """The active fault (None: behave)."""
        return self._fault

    @fault.setter
    def fault(self, value: FaultKind | None) -> None:
        self.set_fault(value)

    @property
    def fault_paths(self) -> tuple[str, ...] | None:
        """The paths (and everything below them) the fault applies to; None: all paths."""
        return self._fault_paths

    def set_fault(self, fault: FaultKind | None, paths: Iterable[str] | None = None) -> None:
        """Apply `fault` to `paths` (a path and everything below it), or to every path.

        Setting ``"reset"`` also aborts the open log replies it applies to.
        """
        self._fault = fault
        self._fault_paths = None if paths is None else tuple(paths)
        if fault == "reset":
            self.cut_streams(self._fault_paths)

    def _fault_for(self, path: str) -> FaultKind | None:
        if self._fault is None or self._applies(path, self._fault_paths):
            return self._fault
        return None

    @staticmethod
    def _applies(path: str, paths: tuple[str, ...] | None) -> bool:
        if paths is None:
            return True
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in paths)

    # --- the journal -------------------------------------------------------------------------

    def append(
        self,
        stream: str | None,
        lines: Iterable[str] | str,
        *,
        pid: int | None = None,
        hostname: str | None = None,
    ) -> list[str]:
        """Write entries to the journal and wake the followers; return their cursors.

        `stream` is the SYSLOG_IDENTIFIER (``hassio_supervisor``, ``os-agent``, ``systemd``,
        ``systemd-coredump``, ``kernel``, ...). `lines` in verbose form (the first line has
        the ``<time> <host> <identifier>[<pid>]: `` prefix, like the samples) keep their
        time, hostname and PID, and a line without the prefix continues the MESSAGE of the
        entry before it; with `stream` None each entry keeps its own identifier too. Lines
        in plain form are one entry each, written now by `pid` (default: a fixed PID per
        identifier; none for ``kernel``) on `hostname` (default: the stand-in's).
        """
        if isinstance(lines, str):
            items = lines.split("\n")
            if items and items[-1] == "":
                items.pop()
        else:
            items = list(lines)
        if not items:
            return []
        parsed: list[tuple[int, str, str, int | None, str]] = []
        if _VERBOSE.match(items[0]):
            for text in items:
                m = _VERBOSE.match(text)
                if m is None:
                    when, host, ident, entry_pid, message = parsed[-1]
                    parsed[-1] = (when, host, ident, entry_pid, f"{message}\n{text}")
                    continue
                stamp, fraction, host, ident, line_pid, body = m.groups()
                seconds = int(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
                              .replace(tzinfo=UTC).timestamp())
                micros = int((fraction or "0").ljust(6, "0"))
                parsed.append((seconds * 1_000_000 + micros, host, stream or ident,
                               int(line_pid) if line_pid else None, body or ""))
        else:
            if stream is None:
                raise ValueError("plain lines need a stream (identifier)")
            now_us = time.time_ns() // 1000
            default_pid = pid
            if default_pid is None and stream != "kernel":
                default_pid = self._pids.setdefault(stream, 287 + 17 * len(self._pids))
            parsed = [(now_us, hostname or self.hostname, stream, default_pid, text)
                      for text in items]
        cursors: list[str] = []
        for when, host, ident, entry_pid, message in parsed:
            entry = self._new_entry(when, host, ident, entry_pid, message)
            self._entries.append(entry)
            self._by_identifier.setdefault(ident, []).append(entry)
            cursors.append(entry.cursor)
        self._notify()
        return cursors

    def _new_entry(
        self, realtime_us: int, hostname: str, identifier: str, pid: int | None, message: str,
    ) -> JournalEntry:
        seqnum = self._next_seqnum
        self._next_seqnum += 1
        digest = hashlib.sha256(f"{seqnum}{identifier}{message}".encode()).hexdigest()[:16]
        cursor = (f"s={self._seqnum_id};i={seqnum:x};b={self._boot_id};"
                  f"m={seqnum * 1000 + 0x1A2B3C:x};t={realtime_us:x};x={digest}")
        return JournalEntry(seqnum, cursor, realtime_us, hostname, identifier, pid, message)

    def entries(self, stream: str | None = None) -> list[JournalEntry]:
        """The journal's entries (of one identifier, or all), oldest first."""
        return list(self._entries if stream is None else self._by_identifier.get(stream, []))

    @property
    def open_streams(self) -> int:
        """How many log replies are in progress."""
        return len(self._streams)

    async def wait_streams(self, count: int = 1, *, timeout_s: float = 10.0) -> None:
        """Wait until at least `count` log replies are in progress."""
        async with asyncio.timeout(timeout_s):
            while len(self._streams) < count:
                await self._next_change()

    async def wait_requests(
        self, count: int, path: str | None = None, *, timeout_s: float = 10.0
    ) -> None:
        """Wait until at least `count` requests (to `path`, if given) have arrived."""
        async with asyncio.timeout(timeout_s):
            while sum(1 for r in self.requests if path in (None, r.path)) < count:
                await self._next_change()

    def cut_streams(self, paths: Iterable[str] | None = None) -> int:
        """Abort the TCP connection of every open log reply (below `paths`); return how many."""
        chosen = None if paths is None else tuple(paths)
        cut = 0
        for stream in list(self._streams):
            if self._applies(stream.path, chosen) and stream.request.transport is not None:
                stream.request.transport.abort()
                cut += 1
        self._notify()
        return cut

    def end_streams(self, paths: Iterable[str] | None = None) -> int:
        """End every open log reply (below `paths`) cleanly, as when gatewayd goes away."""
        return self._mark_streams(paths, "ended")

    def freeze_streams(self, paths: Iterable[str] | None = None) -> int:
        """Keep every open log reply (below `paths`) open but send nothing more on it.

        As when the connection went half-open (the peer vanished without a FIN).
        """
        return self._mark_streams(paths, "frozen")

    def _mark_streams(self, paths: Iterable[str] | None, flag: str) -> int:
        """Set `flag` on every open log reply (below `paths`); return how many."""
        chosen = None if paths is None else tuple(paths)
        marked = [s for s in self._streams if self._applies(s.path, chosen)]
        for stream in marked:
            setattr(stream, flag, True)
        self._notify()
        return len(marked)

    def _notify(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    async def _next_change(self) -> None:
        await self._wake.wait()

    # --- life cycle --------------------------------------------------------------------------

    async def __aenter__(self) -> SupervisorStandIn:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/supervisor/info", self._supervisor_info)
        app.router.add_post("/supervisor/options", self._supervisor_options)
        app.router.add_get("/info", self._info)
        app.router.add_get("/host/info", self._host_info)
        app.router.add_get("/os/info", self._os_info)
        app.router.add_get("/network/info", self._network_info)
        app.router.add_get("/mounts", self._mounts)
        app.router.add_get("/core/api/config", self._core_config)
        app.router.add_post("/core/api/template", self._core_template)
        app.router.add_get("/supervisor/logs", self._supervisor_logs)
        app.router.add_get("/supervisor/logs/follow", self._supervisor_logs)
        app.router.add_get("/host/logs", self._host_logs)
        app.router.add_get("/host/logs/follow", self._host_logs)
        app.router.add_get("/host/logs/identifiers/{identifier}", self._host_logs)
        app.router.add_get("/host/logs/identifiers/{identifier}/follow", self._host_logs)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        await self.listen()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def listen(self) -> None:
        """Start (or resume) listening, on the same port as before."""
        assert self._runner is not None, "use `async with SupervisorStandIn()`"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()

    @property
    def listening(self) -> bool:
        """False between `refuse` and `listen`."""
        return self._site is not None

    async def refuse(self) -> None:
        """Stop listening and close every connection: new requests get ECONNREFUSED."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        self.cut_streams()
        for transport in self._transports:
            transport.abort()
        self._transports.clear()
        await asyncio.sleep(0)  # let the aborts be seen

    async def close(self) -> None:
        """End every reply and stop the server."""
        self._closing.set()
        self.end_streams()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    # --- request handling ----------------------------------------------------------------------

    def _token_of(self, request: web.BaseRequest) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:].strip()
        return request.headers.get("X-Supervisor-Token") or request.headers.get("X-Hassio-Key")

    @staticmethod
    def _masked(headers: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in headers.items():
            if key.title() in {h.title() for h in TOKEN_HEADERS}:
                scheme = value.split(" ", 1)[0] if " " in value else ""
                out[key] = f"{scheme} {MASK}".strip()
            else:
                out[key] = value
        return out

    @web.middleware
    async def _middleware(
        self, request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.transport is not None:
            self._transports = {t for t in self._transports if not t.is_closing()}
            self._transports.add(request.transport)
        fault = self._fault_for(request.path)
        token_ok = self._token_of(request) == self.token
        self.requests.append(RequestRecord(
            request.method, request.path, request.query_string,
            self._masked(request.headers), token_ok, fault, time.monotonic(),
        ))
        self._notify()
        if fault == "slow":
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.slow_s):
                    await self._closing.wait()
        elif fault == "reset":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        elif fault == "garbage":
            return web.Response(body=GARBAGE, content_type="application/json")
        elif fault == "redirect" and not request.path.startswith(ELSEWHERE):
            raise web.HTTPFound(f"{ELSEWHERE}{request.path}")
        elif fault == "redirect" or request.path.startswith(ELSEWHERE):
            return self._ok({**self.supervisor_info, "diagnostics": True, "supported": True})
        elif fault == "oversize":
            return await self._oversize(request)
        elif fault == "not_json":
            return web.Response(body=NOT_JSON, content_type="text/html")
        elif fault in (401, 403, 500):
            message = {401: "Unauthorized", 403: "Forbidden", 500: INTERNAL_ERROR}[fault]
            return self._error(fault, message)
        # Guess: the real middleware answers a missing token 401 and a wrong one 403 (both
        # aiohttp's plain-text pages); this stand-in answers both 401 in the JSON error shape.
        if not token_ok:
            return self._error(401, "Unauthorized: missing or invalid API token")
        if not (_BYPASS.match(request.path) or _ROLE_PATHS[self.role].match(request.path)):
            return self._error(403, f"{request.path} is not allowed for role {self.role}")
        return await handler(request)

    async def _oversize(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        head = {"result": "ok", "data": {**self.supervisor_info, "diagnostics": True,
                                         "supported": True}}
        await resp.write(json.dumps(head).encode())
        blanks = b" " * (1 << 20)
        for _ in range(OVERSIZE_BYTES >> 20):
            await resp.write(blanks)
        await resp.write_eof()
        return resp

    @staticmethod
    def _ok(data: Mapping[str, Any]) -> web.Response:
        return web.json_response({"result": "ok", "data": dict(data)})

    @staticmethod
    def _error(status: int, message: str) -> web.Response:
        return web.json_response({"result": "error", "message": message}, status=status)

    def _info_reply(self, request: web.Request, data: Mapping[str, Any]) -> web.Response:
        if self._fault_for(request.path) == "wrong_types":
            return self._ok(_wrong_types(data))
        return self._ok(data)

    async def _supervisor_info(self, request: web.Request) -> web.Response:
        return self._info_reply(request, self.supervisor_info)

    async def _info(self, request: web.Request) -> web.Response:
        return self._info_reply(request, self.info)

    async def _host_info(self, request: web.Request) -> web.Response:
        return self._info_reply(request, self.host_info)

    async def _os_info(self, request: web.Request) -> web.Response:
        return self._info_reply(request, self.os_info)

    async def _network_info(self, request: web.Request) -> web.Response:
        return self._info_reply(request, self.network_info)

    async def _mounts(self, request: web.Request) -> web.Response:
        return self._info_reply(request, self.mounts)

    async def _core_config(self, request: web.Request) -> web.Response:
        # Core's API through the Supervisor: only for apps with homeassistant_api; the reply
        # is Core's own JSON (no {"result", "data"} wrapper).
        if not self.homeassistant_api:
            return self._error(403, "Not allowed to access Home Assistant API")
        return web.json_response(self.core_config)

    async def _core_template(self, request: web.Request) -> web.Response:
        # Core's APITemplateView (admin only; the proxy forwards as the Supervisor's admin
        # user): renders data["template"], answers the text; ValueError/TemplateError -> 400.
        if not self.homeassistant_api:
            return self._error(403, "Not allowed to access Home Assistant API")
        try:
            data = await request.json()
            people = [SimpleNamespace(name=name, entity_id=f"person.{i}")
                      for i, name in enumerate(self.people)]
            env = jinja2.Environment(autoescape=False)  # Core renders text, not HTML
            env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)
            text = env.from_string(data["template"]).render(
                states=SimpleNamespace(person=people))
        except (ValueError, KeyError, TypeError, jinja2.TemplateError) as err:
            return web.json_response({"message": f"Error rendering template: {err}"},
                                     status=400)
        return web.Response(text=text)

    async def _supervisor_options(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, "Invalid JSON body")
        if not isinstance(body, dict):
            return self._error(400, "expected a dictionary")
        self.options_posts.append(dict(body))
        allowed = {"channel": str, "timezone": str, "country": str, "logging": str,
                   "debug": bool, "debug_block": bool, "diagnostics": bool,
                   "auto_update": bool, "detect_blocking_io": bool, "wait_boot": int}
        for key, value in body.items():
            kind = allowed.get(key)
            if kind is None:
                return self._error(400, f"extra keys not allowed @ data['{key}']")
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                return self._error(
                    400, f"expected {kind.__name__} for dictionary value @ data['{key}']. "
                         f"Got {value!r}")
        self.supervisor_info.update(body)
        if "diagnostics" in body and self.on_diagnostics is not None:
            result = self.on_diagnostics(bool(body["diagnostics"]))
            if inspect.isawaitable(result):
                await result
        return self._ok({})

    async def _supervisor_logs(self, request: web.Request) -> web.StreamResponse:
        return await self._logs(request, SUPERVISOR_IDENTIFIER, always_verbose=False)

    async def _host_logs(self, request: web.Request) -> web.StreamResponse:
        identifier = request.match_info.get("identifier")
        return await self._logs(request, identifier, always_verbose=identifier is None)

    # --- logs ------------------------------------------------------------------------------

    @staticmethod
    def _parse_range(header: str) -> _Range:
        """`entries=<cursor>[[:<num_skip>]:<num_entries>]`, as systemd-journal-gatewayd reads it."""
        m = _RANGE.match(header.strip())
        if m is None:
            raise RangeError(f"unsupported Range {header!r}")
        cursor = m.group(1).strip() or None
        rest = m.group(2)
        skip, count = 0, None
        if rest is not None:
            if ":" in rest:
                skip_text, count_text = rest.split(":", 1)
                try:
                    skip = int(skip_text)
                except ValueError as err:
                    raise RangeError(f"bad num_skip in {header!r}") from err
            else:
                count_text = rest
            if count_text:
                try:
                    count = int(count_text)
                except ValueError as err:
                    raise RangeError(f"bad num_entries in {header!r}") from err
                if count <= 0:
                    raise RangeError(f"num_entries must be positive in {header!r}")
        return _Range(cursor, skip, count)

    def _seek(self, entries: list[JournalEntry], cursor: str) -> tuple[int, bool]:
        """Index of the first entry at or after `cursor`, and whether it is that entry."""
        fields = dict(part.split("=", 1) for part in cursor.split(";") if "=" in part)
        try:
            if fields.get("s") == self._seqnum_id and "i" in fields:
                seqnum = int(fields["i"], 16)
                for index, entry in enumerate(entries):
                    if entry.seqnum >= seqnum:
                        return index, entry.seqnum == seqnum
                return len(entries), False
            if "t" in fields:  # another journal (seqnum id): seek by time, as sd-journal does
                realtime = int(fields["t"], 16)
                for index, entry in enumerate(entries):
                    if entry.realtime_us >= realtime:
                        return index, False
                return len(entries), False
        except ValueError as err:
            raise RangeError(f"invalid cursor {cursor!r}") from err
        raise RangeError(f"invalid cursor {cursor!r}")

    def _start(self, entries: list[JournalEntry], rng: _Range) -> int:
        """Where gatewayd starts: seek (cursor, head or tail), then skip forward or back."""
        if rng.cursor is None:
            if rng.skip >= 0:
                return min(rng.skip, len(entries))
            # Guess: ``entries=:-N:`` sends the last N entries.
            return max(0, len(entries) + rng.skip)
        index, exact = self._seek(entries, rng.cursor)
        if rng.skip >= 0:
            return min(index + rng.skip, len(entries))
        back = -rng.skip - 1 if exact else -rng.skip
        return max(0, index - back)

    async def _logs(
        self, request: web.Request, identifier: str | None, *, always_verbose: bool,
    ) -> web.StreamResponse:
        follow = request.path.endswith("/follow")
        accept = request.headers.get("Accept")
        if accept is not None and accept not in ACCEPTED_LOG_TYPES:
            return self._error(400, INVALID_ACCEPT)
        verbose = always_verbose or "verbose" in request.query or accept == "text/x-log"
        no_colors = "no_colors" in request.query
        if "lines" in request.query:
            try:
                lines = max(1, int(request.query["lines"]))
            except ValueError:
                lines = DEFAULT_LINES
            rng = _Range(None, -lines, None if follow else lines)
        elif "Range" in request.headers:
            try:
                rng = self._parse_range(request.headers["Range"])
            except RangeError as err:
                return self._error(400, str(err))
        else:
            rng = _Range(None, -DEFAULT_LINES, None if follow else DEFAULT_LINES)

        def journal() -> list[JournalEntry]:
            if identifier is None:
                return self._entries
            return self._by_identifier.get(identifier, [])

        try:
            position = self._start(journal(), rng)
        except RangeError as err:
            return self._error(400, str(err))
        response = web.StreamResponse(headers={"X-Accel-Buffering": "no"})
        response.content_type = "text/plain"
        stream = _OpenStream(request.path, follow, request)
        self._streams.append(stream)
        self._notify()
        try:
            while not stream.ended:
                if stream.frozen:
                    await self._closing.wait()
                    break
                wake = self._wake
                entries = journal()
                stop = len(entries)
                if rng.count is not None:
                    stop = min(stop, position + rng.count - stream.sent)
                batch = entries[position:stop]
                if batch:
                    # Like the Supervisor, the headers go out with the first entry.
                    if not response.prepared:
                        response.headers["X-First-Cursor"] = batch[0].cursor
                        await response.prepare(request)
                    # Written a slice at a time, as gatewayd streams entries while it reads
                    # them: a long backlog reaches the client while the rest is rendered.
                    for at in range(0, len(batch), WRITE_SLICE):
                        part = batch[at:at + WRITE_SLICE]
                        text = "".join(e.render(verbose=verbose, no_colors=no_colors) + "\n"
                                       for e in part)
                        await response.write(text.encode("utf-8"))
                        position += len(part)
                        stream.sent += len(part)
                if not follow or (rng.count is not None and stream.sent >= rng.count):
                    break
                await wake.wait()
            if not response.prepared:
                # Guess: a reply with no entry at all is an empty 200 without X-First-Cursor.
                await response.prepare(request)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client went away or the connection was cut
        finally:
            self._streams.remove(stream)
            self._notify()
        return response
