"""The names of the home's network clients, where the servers they talk to log them.

A client's name is chosen by its owner and often names them or their room:

- The client's host name in a DHCP server's lease lines is ``[hostname]`` whatever its form:
  dnsmasq's "DHCPACK(eth0) 192.168.1.20 3c:2e:.. jeans-iphone" (and DHCPv6's DHCPREPLY, whose
  client DUID is ``[id]``), ISC dhcpd's lines, dnsmasq's DNS query log ("query[A] jeans-iphone
  from 192.168.1.20", "reply jeans-iphone is .."), CoreDNS's errors as the Supervisor's DNS
  plugin logs them ("plugin/errors: 2 jeans-iphone.local.hassio. A: read udp ...") and the
  Supervisor's own "<name>.local.hassio" entries. Android's "android-<16 hex>" id is ``[id]``,
  Windows' "DESKTOP-XXXXXXX" ``[hostname]``.
- Mosquitto's client ids ("New client connected from .. as X (p2, ..)", "Client X
  disconnected.", "Received PUBLISH from X (..)"; ids programs make up, such as
  "mqttjs_1a2b3c4d" or "auto-<UUID>", stay) are ``[device]``, and an ESPHome node's name in
  aioesphomeapi's "X @ 192.168.1.50" is ``[hostname]``, as it is in the ESPHome app's compile
  lines (its configuration file, build folder and PlatformIO environment).
- The device's name in Home Assistant's MQTT discovery payloads, and the entity ids
  Zigbee2MQTT makes of it, are ``[device]``.

Every rule here starts at a literal found in the keyword pass (`GATES`) and looks only at a
bounded window there, so a text without them costs nothing and the time stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.rules.names import SINGLE_QUOTED_RE, name_ok
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally, line_end

# --- DHCP and DNS servers' logs: the client's host name ------------------------------------

# dnsmasq (rfc2131.c, rfc3315.c log_packet): "DHCPACK(eth0) <ip> <mac> <name>"
_DHCP_NAME_RE: Final = re.compile(
    r"dhcp(?:ack|reply|advertise)\([^()\s]{1,32}+\)[ \t]++[^\s\x00]{1,64}+[ \t]++"
    r"([^\s\x00]{1,200}+)[ \t]++([A-Za-z0-9][\w.-]{0,252}+)(?![^\s\x00])")
# A DHCPv6 client's DUID (RFC 8415: type, hardware type, [time,] link-layer address): longer
# than a MAC, and as lasting an id of the device.
_DUID_RE: Final = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){7,127}+")
# dnsmasq's DNS log: "query[A] %s from %s", "reply %s is %s", "cached %s is %s",
# "forwarded %s to %s"
_DNS_QUERY_RE: Final = re.compile(r"query\[[A-Za-z0-9]{1,10}+\] ([A-Za-z0-9_][\w.-]{0,252}+) from ")
_DNS_ANSWER_RE: Final = re.compile(
    r"(?:reply|cached|forwarded) ([A-Za-z0-9_][\w.-]{0,252}+) (?:is (?:\d{1,3}+\.|[0-9a-f]{0,4}+:"
    r"|NXDOMAIN|NODATA|<|\[)|to (?:\d{1,3}+\.|[0-9a-f]{0,4}+:|\[))")
# CoreDNS's errors plugin (the Supervisor's DNS): "plugin/errors: %d %s %s: %v"
_COREDNS_RE: Final = re.compile(
    r"plugin/errors: \d{1,5}+ ([A-Za-z0-9_][\w.-]{0,252}+)\.? [A-Z]{1,10}+: ")
_DHCP_GATES: Final = ("dhcpack(", "dhcpreply(", "dhcpadvertise(")
# ISC dhcpd (the DHCP server app; server/dhcp.c): "DHCPDISCOVER from %s %s%s%svia %s" (the
# client's host name in parentheses after its MAC), "DHCPREQUEST for %s from %s (%s) via %s",
# "DHCPOFFER on %s to %s (%s) via %s", "DHCPACK on %s to %s (%s) via %s"
_ISC_GATES: Final = ("dhcpdiscover from ", "dhcprequest for ", "dhcpoffer on ", "dhcpack on ",
                     "dhcpinform from ", "dhcprelease of ", "dhcpdecline of ")
_ISC_NAME_RE: Final = re.compile(
    r"dhcp[a-z]{3,9}+ (?:on|for|from|of) [^\s\x00]{1,64}+ (?:(?:to|from) [^\s\x00]{1,200}+ )?"
    r"\(([^()\n\x00]{1,253}+)\) via ")
_LABEL_REV_RE: Final = re.compile(r"[A-Za-z0-9-]{1,63}+")
_DNS_GATES: Final = ("query[", "reply ", "cached ", "forwarded ")
# A device id in a default host name: Android's "android-<16 hex>", Windows' "DESKTOP-XXXXXXX".
_ANDROID_RE: Final = re.compile(r"android-([0-9a-f]{16})(?![0-9a-z])")  # in the lowercased text
_WINDOWS_RE: Final = re.compile(r"(?:DESKTOP|LAPTOP)-([A-Z0-9]{7,8}+)(?![A-Za-z0-9])")

# --- MQTT clients and ESPHome nodes: names their owners chose --------------------------------

# Mosquitto (src/handle_connect.c, loop.c, handle_*.c, send_*.c): "New client connected from
# %s:%d as %s (p%d, c%d, k%d, u'%s').", "Client %s disconnected.", "Client %s closed its
# connection.", "Client %s has exceeded timeout, disconnecting.", "Socket error on client %s,
# disconnecting.", "Expiring client %s due to timeout.", "Received PUBLISH from %s (d%d, ...",
# "Sending CONNACK to %s (%d, %d)" - the client id, which its owner sets (ESPHome's is the
# node's name, OwnTracks' the user's and device's)
_MQTT_PACKETS: Final = ("publish", "subscribe", "unsubscribe", "disconnect", "connack", "suback",
                        "unsuback", "pingreq", "pingresp", "puback", "pubrec", "pubrel",
                        "pubcomp", "auth")
_MQTT_GATES: Final = ("client ", "connected from ",
                      *(f"{p} {d} " for p in _MQTT_PACKETS for d in ("from", "to")))
_MQTT_AS_RE: Final = re.compile(r"connected from [^\s\x00]{1,64}+ as ([^\s\x00]{1,128}+) \(p\d")
_MQTT_ID_RE: Final = re.compile(r"[^\s,\x00]{1,128}+")
_MQTT_AFTER_CLIENT: Final = (" disconnected", " closed its connection", " has exceeded timeout",
                             " been disconnected", " already connected", " connected with",
                             " due to", " sending multiple")
# Ids programs make up (random, or the program's own name), which name no one
_MQTT_KEPT_RE: Final = re.compile(
    r"(?:mqttjs_|auto-|paho|homeassistant|hass|zigbee2mqtt|mosquitto|node-?red|frigate|zwave"
    r"|valetudo|dves_|shelly|tasmota|esphome-web-|<unknown>|\[)[^\s\x00]*+|[0-9a-f_:.-]++",
    re.IGNORECASE)
# aioesphomeapi (util.py build_log_name): a node's log name "<name> @ <address>", the start of
# its lines ("%s: Connection error occurred", "Successfully connected to %s in %0.3fs"), and
# noise.py's "Server sent a different name '%s'"
_ESPHOME_AT_RE: Final = re.compile(
    r" @ (?:\d{1,3}+(?:\.\d{1,3}+){3}|[0-9A-Fa-f]{0,4}+:[0-9A-Fa-f:.%\w]{2,48}+"
    r"|[A-Za-z0-9][\w-]{0,62}+\.local\b)")
_NODE_REV_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,63}+")
_MAC_SUFFIX_RE: Final = re.compile(r".*[-_][0-9a-f]{6}(?:[0-9a-f]{6})?", re.IGNORECASE)
# ESPHome's own log as its app compiles a node (esphome/__main__.py "Reading configuration
# %s...", "Compiling app... Build path: %s"; PlatformIO's "Processing %s (board: %s; ...)",
# its environment named after the node): the node's name in its file, folder and environment
_ESPHOME_YAML_RE: Final = re.compile(r"/(?i:esphome)/([A-Za-z0-9_-]{1,63}+)\.ya?ml(?!\w)")
_ESPHOME_BUILD_RE: Final = re.compile(
    r"(?i:build path: )[^\s\x00]{0,200}?/build/([A-Za-z0-9_-]{1,63}+)(?![\w/.-])")
_ESPHOME_FILES: Final = frozenset({"secrets", "common", "packages"})
_ESPHOME_GATES: Final = (" @ ", "different name '", "/esphome/", "build path: ", " (board: ")

# --- MQTT discovery payloads ----------------------------------------------------------------

# Home Assistant's MQTT discovery: the device block names the device as its owner did
# (Zigbee2MQTT's lib/extension/homeassistant.ts getDevicePayload: {"identifiers": [..], "name":
# <friendly name>, ..}), and Zigbee2MQTT derives the entity's "object_id" and
# "default_entity_id" from that name ("jean_bedroom_lamp_temperature").
_DEVICE_BLOCK_RE: Final = re.compile(
    r"\\?\"device\\?\"[ \t]*+:[ \t]*+\{[^{}\n\x00]{0,1024}+\}")
_BLOCK_NAME_RE: Final = re.compile(
    r"\\?\"name\\?\"[ \t]*+:[ \t]*+\\?\"([^\"\\\n\x00]{1,128}+)\\?\"")
_SLUG_RE: Final = re.compile(r"[^a-z0-9]++")
_PAYLOAD_REACH: Final = 4096

GATES: Final = (*_DHCP_GATES, *_ISC_GATES, *_DNS_GATES, "plugin/errors: ", ".local.hassio",
                "android-", "desktop-", "laptop-", *_MQTT_GATES, *_ESPHOME_GATES, '"device":',
                '"device": ', '\\"device\\":')


def _host_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                ) -> list[Edit]:
    """Client host names in DHCP and DNS servers' logs; device ids in default host names."""
    out: list[Edit] = []

    def take(m: re.Match[str] | None, group: int = 1) -> None:
        if m is None:
            return
        name = m.group(group).rstrip(".")
        first = name.split(".", 1)[0].lower()
        if (name in PLACEHOLDER_VALUES or host_is_kept(name) or first in DEFAULT_NAMES
                or name.replace(".", "").isdigit() or not any(c.isalpha() for c in name)):
            return
        at = m.start(group)
        out.append((at, at + len(name), tally.hit("hostname")))

    for gate in _DHCP_GATES:
        for at in gates.get(gate, ()):
            m = _DHCP_NAME_RE.match(low, at)
            take(m, 2)
            if m is not None and _DUID_RE.fullmatch(m.group(1)):
                out.append((m.start(1), m.end(1), tally.hit("id")))
    for gate in _ISC_GATES:
        for at in gates.get(gate, ()):
            take(_ISC_NAME_RE.match(low, at))
    for at in gates.get("query[", ()):
        take(_DNS_QUERY_RE.match(text, at))
    for gate in _DNS_GATES[1:]:
        for at in gates.get(gate, ()):
            if not at or not low[at - 1].isalnum():
                take(_DNS_ANSWER_RE.match(text, at))
    for at in gates.get("plugin/errors: ", ()):
        take(_COREDNS_RE.match(text, at))
    for at in gates.get(".local.hassio", ()):
        # the Supervisor's DNS names every host "<name>.local.hassio" ("Add Host entry
        # 172.30.32.1 -> ['kitchen-pi.local.hassio']"): the name before the suffix
        start = _label_before(text, at)
        name = text[start:at]
        if name and name.lower() not in DEFAULT_NAMES and not host_is_kept(name) and not (
                start and text[start - 1] in "[]"):
            out.append((start, at, tally.hit("hostname")))
    for at in gates.get("android-", ()):
        m = _ANDROID_RE.match(low, at)
        if m is not None and not (at and low[at - 1].isalnum()):
            out.append((m.start(1), m.end(1), tally.hit("id")))
    for gate in ("desktop-", "laptop-"):
        for at in gates.get(gate, ()):
            m = _WINDOWS_RE.match(text, at)
            if m is not None and any(c.isdigit() for c in m.group(1)) and not (
                    at and text[at - 1].isalnum()):
                out.append((m.start(1), m.end(1), tally.hit("hostname")))
    return out


def _client_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                  ) -> list[Edit]:
    """Mosquitto's client ids and ESPHome's node names, where their programs log them."""
    out: list[Edit] = []

    def take(start: int, end: int, cls: str) -> None:
        value = text[start:end]
        if not value or value in PLACEHOLDER_VALUES or value.lower() in DEFAULT_NAMES:
            return
        if cls == "device" and _MQTT_KEPT_RE.fullmatch(value):
            return
        if cls == "hostname" and (_MAC_SUFFIX_RE.fullmatch(value) or host_is_kept(value)):
            return  # a default name with the MAC's last bytes: the device rule's
        out.append((start, end, tally.hit(cls)))
        # the same name again further on its line (ESPHome's topics start with its name:
        # "Received PUBLISH from x (d0, q0, r1, m0, 'x/status', ...)")
        stop = line_end(text, end, 256)
        again = text.find(value, end, stop)
        while again >= 0:
            if not (text[again - 1].isalnum() or text[again + len(value):again + len(value) + 1]
                    .isalnum()):
                out.append((again, again + len(value), tally.hit(cls)))
            again = text.find(value, again + len(value), stop)

    for at in gates.get("connected from ", ()):
        m = _MQTT_AS_RE.match(low, at)
        if m is not None:
            take(m.start(1), m.end(1), "device")
    for gate in _MQTT_GATES[2:]:
        for at in gates.get(gate, ()):
            if text[at:at + 1].isupper() and (m := _MQTT_ID_RE.match(text, at + len(gate))):
                end = m.end()
                while end > m.start() and text[end - 1] in ".:":
                    end -= 1
                take(m.start(), end, "device")
    for at in gates.get("client ", ()):
        m = _MQTT_ID_RE.match(text, at + len("client "))
        if m is None or (at and low[at - 1].isalnum()):
            continue
        end = m.end()
        if text.startswith(_MQTT_AFTER_CLIENT, end) or (
                text[end:end + 2] in (", ", ": ") and low.endswith(" on ", 0, at)):
            take(m.start(), end, "device")
        elif text[end - 1:end] == "." and (end == len(text) or text[end].isspace()):
            take(m.start(), end - 1, "device")  # "Client jeans-phone disconnected." - no
            # other words: only where the sentence ends
    for at in gates.get(" @ ", ()):
        if _ESPHOME_AT_RE.match(text, at) is None:
            continue
        m = _NODE_REV_RE.match(text[max(0, at - 63):at][::-1])
        if m is not None and not (at - m.end() and text[at - m.end() - 1] not in " \t\n([:'\"\x00"):
            # (NUL: the string's start, in an event's strings joined for one pass)
            take(at - m.end(), at, "hostname")
    for gate, shape in (("/esphome/", _ESPHOME_YAML_RE), ("build path: ", _ESPHOME_BUILD_RE)):
        for at in gates.get(gate, ()):
            m = shape.match(text, at)
            if m is not None and m.group(1).lower() not in _ESPHOME_FILES:
                take(m.start(1), m.end(1), "hostname")
    for at in gates.get(" (board: ", ()):
        m = _NODE_REV_RE.match(text[max(0, at - 63):at][::-1])
        if m is not None and text.endswith("Processing ", 0, at - m.end()):
            take(at - m.end(), at, "hostname")
    for at in gates.get("different name '", ()):
        m = SINGLE_QUOTED_RE.match(text, at + len("different name '"))
        if m is not None:
            take(m.start(1), m.end(1), "hostname")
    return out


def _payload_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                   ) -> list[Edit]:
    """Device names in MQTT discovery payloads, and the entity ids a payload makes of them."""
    out: list[Edit] = []
    for gate in ('"device":', '"device": ', '\\"device\\":'):
        for at in gates.get(gate, ()):
            block = _DEVICE_BLOCK_RE.match(text, at)
            name = _BLOCK_NAME_RE.search(text, at, block.end()) if block else None
            if name is None or not name_ok(name.group(1)) or "zigbee2mqtt" in low[
                    name.start(1):name.end(1)]:
                continue  # "Zigbee2MQTT Bridge": the program's own device
            out.append((name.start(1), name.end(1), tally.hit("device")))
            slug = _SLUG_RE.sub("_", name.group(1).lower()).strip("_")
            if len(slug) < 3:
                continue
            lo, hi = max(0, at - _PAYLOAD_REACH), line_end(text, at, _PAYLOAD_REACH)
            i = low.find(slug, lo, hi)
            while i >= 0:  # "object_id": "<slug>_temperature", "default_entity_id": "sensor.<slug>"
                if not (low[i - 1].isalnum() or low[i + len(slug):i + len(slug) + 1].isalnum()):
                    out.append((i, i + len(slug), tally.hit("device")))
                i = low.find(slug, i + len(slug), hi)
    return out


def _label_before(text: str, end: int) -> int:
    """Where the host name's label that ends at `end` starts (== end: none)."""
    m = _LABEL_REV_RE.match(text[max(0, end - 63):end][::-1])
    return end - m.end() if m else end


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Client host names in DHCP and DNS logs, MQTT client ids, ESPHome nodes, discovery names.

    `gates`: where each of `GATES` starts in `low` (the keyword pass).
    """
    return (_host_edits(text, low, gates, tally) + _client_edits(text, low, gates, tally)
            + _payload_edits(text, low, gates, tally))
