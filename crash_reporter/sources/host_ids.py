"""The host's identifiers, learned from the Supervisor API for the scrubber; memory only.

What no server-side scrubber can know, read on the device (supervisor-api.md):
``/info`` and ``/host/info`` (hostname, LLMNR hostname, machine id), ``/network/info`` (every
interface's MAC, IPv4/IPv6 addresses, gateways, nameservers, Wi-Fi SSID), ``/mounts`` (names,
servers, shares and paths of network storage) and Home Assistant Core's config through the
Supervisor (``/core/api/config``: location name, coordinates, external and internal URL, the
folders and URLs the user allowlisted), and the names of the home's people (Settings > People),
which Core renders for us from a template (``/core/api/template``): their full names and each
name in them, so that "light.jean_bedroom_lamp" or "Jean Watch" loses its owner too.

Values are (value, class) pairs for `crash_reporter.scrub`; they are never written to disk and
never logged (only their number, at DEBUG). Everything learned since start is kept (bounded):
an old SSID or address still appears in logs read later. An endpoint that fails is skipped.
They are read at start, now and then, and again just before a report is scrubbed when the
last read is older than a minute (`current`): a Wi-Fi network joined or an address leased a
moment ago is known when it matters.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any, Final
from urllib.parse import urlsplit

from crash_reporter.errors import SupervisorApiError
from crash_reporter.sources.supervisor import SupervisorApi

_LOGGER = logging.getLogger(__name__)

MAX_KEPT: Final = 512  # values remembered since start (oldest forgotten first)
SUPERVISOR_PATHS: Final = ("/info", "/host/info", "/network/info", "/mounts")
CORE_CONFIG_PATH: Final = "/core/api/config"
# The people's names: Core's template API (admin; the Supervisor's proxy user is one) renders
# just these, where /core/api/states would send every entity's state.
PEOPLE_PATH: Final = "/core/api/template"
PEOPLE_TEMPLATE: Final = "{{ {'people': states.person | map(attribute='name') | list} | tojson }}"
_NAME_WORD_RE: Final = re.compile(r"[^\W\d_]{3,}")  # the words of a name (3 letters or more)
# Words of a name that are everyday words in logs: only the full name is learned for them
# ("Will Smith": "Will" alone would take "will retry" apart).
_EVERYDAY_WORDS: Final = frozenset({
    "will", "may", "max", "mark", "bill", "art", "ray", "rich", "hope", "grace", "joy", "faith",
    "rose", "ivy", "jack", "frank", "guy", "sunny", "dawn", "june", "april", "august", "eve",
    "pat", "sue", "don", "ken", "chase", "hunter", "river", "stone", "drew", "miles", "reed",
    "lane", "dash", "ace", "mac", "van", "von", "der", "den", "del", "des", "family", "kids",
    "mom", "dad", "mum", "mama", "papa", "house", "home", "guest", "guests", "kitchen", "tablet",
    "phone", "wall", "panel", "dashboard", "visitor", "owner", "main", "master", "parents",
    "children", "everyone", "all", "and", "the", "admin", "user", "test", "demo", "assistant",
    "supervisor", "core", "hassio", "system", "server", "device", "display",
})

HostId = tuple[str, str]  # (value, placeholder class)


def _str(value: object) -> str | None:
    """A non-empty stripped string, or None."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ip(value: object) -> Iterator[HostId]:
    """An address (maybe "addr/prefix"); the scrubber decides which addresses stay."""
    text = _str(value)
    if text is None:
        return
    addr = text.split("/", 1)[0]
    try:
        ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return
    yield addr, "ip"


def _url_host(value: object) -> Iterator[HostId]:
    """The host of a URL (Core's external/internal URL)."""
    text = _str(value)
    if text is None:
        return
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return
    if host:
        ip = list(_ip(host))
        yield from ip if ip else [(host, "hostname")]


def identifiers_from(replies: dict[str, dict[str, Any]]) -> list[HostId]:
    """The identifying values in the replies of the endpoints (path -> data)."""
    out: list[HostId] = []
    for path in ("/info", "/host/info"):
        data = replies.get(path, {})
        for key in ("hostname", "llmnr_hostname"):
            if value := _str(data.get(key)):
                out.append((value, "hostname"))
        if value := _str(data.get("machine_id")):
            out.append((value, "token"))
    for iface in replies.get("/network/info", {}).get("interfaces") or []:
        if not isinstance(iface, dict):
            continue
        if value := _str(iface.get("mac")):
            out.append((value, "mac"))
        for family in ("ipv4", "ipv6"):
            conf = iface.get(family)
            if not isinstance(conf, dict):
                continue
            for addr in conf.get("address") or []:
                out.extend(_ip(addr))
            out.extend(_ip(conf.get("gateway")))
            for server in conf.get("nameservers") or []:
                out.extend(_ip(server))
        wifi = iface.get("wifi")
        if isinstance(wifi, dict) and (ssid := _str(wifi.get("ssid"))):
            out.append((ssid, "ssid"))
    for mount in replies.get("/mounts", {}).get("mounts") or []:
        if not isinstance(mount, dict):
            continue
        if value := _str(mount.get("name")):
            out.append((value, "mount"))
        server = _str(mount.get("server"))
        if server:
            out.extend(list(_ip(server)) or [(server, "hostname")])
        for key in ("share", "path"):
            if (value := _str(mount.get(key))) and value.strip("/"):
                out.append((value.strip("/"), "share"))
    core = replies.get(CORE_CONFIG_PATH, {})
    if value := _str(core.get("location_name")):
        out.append((value, "location"))
    for key in ("latitude", "longitude"):
        value = core.get(key)  # the scrubber also removes it rounded (scrub/hosts.py)
        if isinstance(value, int | float) and not isinstance(value, bool) and value:
            out.append((repr(float(value)), "geo"))
    for key in ("external_url", "internal_url"):
        out.extend(_url_host(core.get(key)))
    out.extend(_core_allowlists(core))
    people = replies.get(PEOPLE_PATH, {}).get("people")
    for name in people if isinstance(people, list) else ():
        text = _str(name)
        words = _NAME_WORD_RE.findall(text or "")
        named = [word for word in words if word.lower() not in _EVERYDAY_WORDS]
        if text and (named or not words):  # "Home Assistant", "Kitchen Tablet" name no one
            out.append((text, "user"))
            out.extend((word, "user") for word in named)
    return out


# Folders every installation has: not worth learning (and "media" alone would match anywhere).
_COMMON_DIRS: Final = frozenset({"/media", "/share", "/config", "/config/www", "/homeassistant",
                                 "/homeassistant/www", "/backup", "/ssl", "/tmp"})


def _core_allowlists(core: dict[str, Any]) -> Iterator[HostId]:
    """Folders and URL hosts the user let Core reach.

    ``allowlist_external_dirs`` holds names like "/media/Jean Photos"; the old ``whitelist_``
    keys are read too.
    """
    for key in ("allowlist_external_dirs", "whitelist_external_dirs"):
        dirs = core.get(key)
        for path in dirs if isinstance(dirs, list) else ():
            text = _str(path)
            if text and text.rstrip("/") not in _COMMON_DIRS:
                yield text.rstrip("/"), "path-user"
    for key in ("allowlist_external_urls", "whitelist_external_urls"):
        urls = core.get(key)
        for url in urls if isinstance(urls, list) else ():
            yield from _url_host(url)


class HostIdentifiers:
    """What identifies this host, learned now and then from the API; held in memory only."""

    def __init__(self, api: SupervisorApi, words: Iterable[str] = ()) -> None:
        """Learn through `api`; `words` are the user's own (option ``redact``)."""
        self._api = api
        self._words: tuple[HostId, ...] = tuple(
            (w.strip(), "redacted") for w in words if isinstance(w, str) and w.strip())
        self._known: dict[HostId, None] = {}
        self._read_at: float | None = None  # monotonic time of the last completed read
        self._lock = asyncio.Lock()  # one read at a time

    @property
    def values(self) -> tuple[HostId, ...]:
        """Everything known now: the user's words and what was learned since start."""
        return (*self._words, *self._known)

    async def current(self, max_age_s: float, timeout_s: float) -> tuple[HostId, ...]:
        """`values`, re-read first if the last read is older than `max_age_s`.

        At most `timeout_s` is spent reading; after that (a slow Supervisor) what is known
        already is used, and the read goes on no longer.
        """
        read_at = self._read_at
        if read_at is None or time.monotonic() - read_at > max_age_s:
            try:
                async with asyncio.timeout(timeout_s):
                    async with self._lock:
                        if self._read_at == read_at:  # no one else read in the meantime
                            await self.refresh()
            except TimeoutError:
                _LOGGER.debug("Host identifiers: no answer within %.0f s, using those known",
                              timeout_s)
        return self.values

    async def refresh(self) -> bool:
        """Re-read the endpoints; True if something new was learned."""
        try:
            return await self._read()
        finally:
            self._read_at = time.monotonic()

    async def _read(self) -> bool:
        replies: dict[str, dict[str, Any]] = {}
        for path in SUPERVISOR_PATHS:
            try:
                replies[path] = await self._api.get(path)
            except SupervisorApiError as err:
                _LOGGER.debug("Host identifiers: %s", err)
        try:
            replies[CORE_CONFIG_PATH] = await self._api.get(CORE_CONFIG_PATH, wrapped=False)
        except SupervisorApiError as err:
            _LOGGER.debug("Host identifiers: %s (is homeassistant_api set?)", err)
        try:
            replies[PEOPLE_PATH] = await self._api.post_core(PEOPLE_PATH,
                                                             {"template": PEOPLE_TEMPLATE})
        except SupervisorApiError as err:
            _LOGGER.debug("Host identifiers: %s", err)
        new = [item for item in dict.fromkeys(identifiers_from(replies)) if item not in self._known]
        for item in new:
            if len(self._known) >= MAX_KEPT:
                self._known.pop(next(iter(self._known)))
            self._known[item] = None
        if new:
            _LOGGER.debug("Host identifiers: %d new, %d known", len(new), len(self._known))
        return bool(new)
