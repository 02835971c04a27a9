"""Names people give their devices, and the people those names name.

A device's name is chosen by its owner, and often names them: phones and computers name
themselves after their owner ("Jean's iPhone", "Jean\u2019s MacBook Pro" with macOS's typographic
apostrophe, "iPhone von Jean" in German, "iPhone de Jean" in French and Spanish, "iPhone van
Jean" in Dutch, Alexa's "Jean's Echo Dot"), and derive the host name they send over DHCP and
mDNS from it ("Jeans-iPhone", "Jeans-MBP", "iPhone-von-Jean"). Android sent "android-" and its
16-hex-digit Android id; Windows names itself "DESKTOP-" and seven random characters. These
reach Home Assistant's logs through the bluetooth, mobile_app and device-tracker integrations,
DHCP servers and mDNS.

- The owner in a device's name is replaced with ``[user]`` and the model stays ("[user]'s
  iPhone"): which kind of device it was is what triage wants; so in the entity ids Home
  Assistant makes from such a name ("sensor.jean_s_iphone_battery_level"). A host name made
  from one is ``[hostname]`` whole, as any host name; the Android id is ``[id]``.
- Names a user chose whole, which name a person or a room, are replaced with ``[device]``:
  Zigbee2MQTT's friendly names in its log lines (lib/zigbee.ts "Device '%s' joined",
  "Successfully interviewed '%s', device has successfully been paired", "Starting interview
  of '%s'"; lib/extension/*.ts "Configuring '%s'", "Failed to ping '%s'", "Publish 'set'
  'state' to '%s' failed", "Removing device '%s'", groups ...) and in its MQTT topics
  ("zigbee2mqtt/Jean Bedroom Lamp/set"; ``zigbee2mqtt/bridge/...`` stays); the
  ``friendly_name`` of Home Assistant's states and Zigbee2MQTT's payloads, the device
  registry's ``name_by_user``, the mobile app's ``device_name``; cast devices' names (Home
  Assistant's cast integration, pychromecast) and avahi's service names.
- The client's host name in a DHCP server's lease lines is ``[hostname]`` whatever its form:
  dnsmasq's "DHCPACK(eth0) 192.168.1.20 3c:2e:.. jeans-iphone" (and DHCPv6's DHCPREPLY, whose
  client DUID is ``[id]``), its DNS query log ("query[A] jeans-iphone from 192.168.1.20",
  "reply jeans-iphone is .."), and CoreDNS's errors as the Supervisor's DNS plugin logs them
  ("plugin/errors: 2 jeans-iphone.local.hassio. A: read udp ...").

- The names owners give their MQTT clients and ESPHome nodes: Mosquitto's client ids ("New
  client connected from .. as X (p2, ..)", "Client X disconnected.", "Received PUBLISH from
  X (..)"; ids programs make up, such as "mqttjs_1a2b3c4d" or "auto-<UUID>", stay) are
  ``[device]``, and the node's name in aioesphomeapi's "X @ 192.168.1.50" is ``[hostname]``.

User names in the account lines of sudo, su, login, PAM and sshd are the phrases' (`phrases`).
Every rule here starts at a literal found in the keyword pass (`GATES`: the device words, the
Zigbee2MQTT phrases, "dhcpack(" ...) and looks only at a bounded window there (at most a few
hundred characters), so a text without them costs nothing and the time stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, SEP, Edit, Tally

# --- a person's name in a device's name ---------------------------------------------------

# The device words an owner's name stands before ("Jean's iPhone") or after ("iPhone von
# Jean"), lowercased. The short ones are checked at a word's start and end only.
_DEVICE_WORDS: Final = (
    "iphone", "ipad", "ipod", "macbook", "imac", "mac mini", "mac studio", "mac", "mbp", "mba",
    "apple watch", "apple tv", "airpods", "homepod", "watch", "phone", "laptop", "pixel",
    "galaxy", "tablet", "kindle", "echo", "computer", "notebook", "desktop", "handy",
    "ipad pro", "surface", "chromebook", "oneplus", "xperia", "fairphone")
# The ones a host name derived from a device name ends in after the owner ("Jeans-iPhone",
# "Jeans-MBP", "Jeans-MacBook-Pro", "Jeans-Air"): Apple's forms, and the generic words.
_HOST_DEVICE_WORDS: Final = frozenset({
    "iphone", "ipad", "ipod", "macbook", "imac", "mbp", "mba", "mac", "airpods", "homepod",
    "watch", "phone", "laptop", "pixel", "galaxy", "tablet", "notebook", "handy", "pc",
    "chromebook", "surface", "desktop"})
# Apple's, whose default names hold the owner's name: any owner before them is one. Before the
# generic words ("Phone", "Watch", "Echo") both must be capitalized, as in a device's name
# ("Jean's Phone", not "inotify's watch", "Python's echo"); after a word ("iPhone von Jean")
# only Apple's defaults.
_APPLE_WORDS: Final = frozenset({
    "iphone", "ipad", "ipod", "macbook", "imac", "mac mini", "mac studio", "mbp", "mba",
    "apple watch", "apple tv", "airpods", "homepod", "ipad pro"})
_APOSTROPHES: Final = "'\u2019`\u02bc"
# Words before a device word that are not an owner ("My iPhone", "Apple-iPhone", "Work-PC").
_NOT_OWNERS: Final = frozenset({
    "my", "your", "our", "his", "her", "their", "the", "a", "an", "new", "old", "apple",
    "samsung", "google", "amazon", "android", "ios", "work", "office", "home", "test", "guest",
    "kids", "family", "living", "room", "kitchen", "bedroom", "smart", "mini", "pro", "air",
    "max", "plus", "ultra", "lite", "x", "s", "its", "it", "one", "this", "that", "remote",
    "virtual", "fake", "mock", "dummy", "default", "unknown", "none", "local", "generic", "by",
    "of", "to", "for", "and", "or", "is", "via", "on", "at", "in", "from", "with", "no", "not",
    "kid", "child", "children", "baby", "mom", "mum", "dad", "mother", "father", "parent",
    "parents", "master", "owner", "let", "what", "there", "here", "who", "everyone",
    *_HOST_DEVICE_WORDS})
# "iPhone von Jean", "iPhone-de-Jean", "MacBook Pro van Jean": the model's words, the
# preposition, the owner's name.
_OWNER_AFTER_RE: Final = re.compile(
    r"(?:[ _-](?:[Pp]ro|[Aa]ir|[Mm]ax|[Mm]ini|[Pp]lus|[Uu]ltra|SE|\d{1,2}+)){0,3}+"
    r"[ _-](?:von|de|van|di|da|do)[ _-]([^\W\d_][^\W_]{1,38}+(?:-[^\W\d_][^\W_]{1,38}+)?+)"
    r"(?![^\W_]|['\u2019][^\W\d_])")
# A device id in a default host name: Android's "android-<16 hex>", Windows' "DESKTOP-XXXXXXX".
_ANDROID_RE: Final = re.compile(r"android-([0-9a-f]{16})(?![0-9a-z])")  # in the lowercased text
_WINDOWS_RE: Final = re.compile(r"(?:DESKTOP|LAPTOP)-([A-Z0-9]{7,8}+)(?![A-Za-z0-9])")

# --- names chosen whole: Zigbee2MQTT's friendly names, friendly_name keys --------------------

# Zigbee2MQTT's phrases before a quoted device or group name (lowercased; lib/zigbee.ts,
# lib/model/device.ts, lib/extension/{availability,bridge,configure,groups,otaUpdate,
# networkMap,publish,homeassistant}.ts).
_Z2M_PHRASES: Final = (
    "device '", "group '", "interview of '", "interviewed '", "interview '", "interviewing '",
    "configuring '", "configured '", "pinged '", "ping '", "state of '", "available for '",
    "update of '", "updating '", "ota request of '", "lqi for '", "succeeded for '",
    "routing table for '", "discovery for '", "topic for '", "device \"")
# ... and the generic ones, taken only on a line that names Zigbee2MQTT ("z2m:",
# "zigbee2mqtt") a little before: "Publish 'set' 'state' to 'X' failed", "No converter
# available for 'state' on 'X'", "bind cluster 'genOnOff' from 'X' to 'Y'", "Entity 'X' is
# unknown".
_Z2M_LINE_PHRASES: Final = ("' to '", "' on '", "' from '", "entity '")
_Z2M_CONTEXT: Final = ("z2m", "zigbee2mqtt")
# A name in single quotes may hold an owner's apostrophe ('Jean's Lamp'); in double quotes, any.
_SINGLE_QUOTED_RE: Final = re.compile(r"((?:[^'\n\x00]|(?<=[^\W\d_])'(?=s[ \t])){1,128}+)'")
_DOUBLE_QUOTED_RE: Final = re.compile(r'([^"\n\x00]{1,128}+)"')
# A name that is a kernel's or a program's (an interface, a disk, a tty), not a person's.
_KERNEL_NAME_RE: Final = re.compile(r"[a-z]{1,10}+\d[a-z0-9]{0,6}+|tty\w{1,16}+|coordinator")
_ADDRESS_CHARS: Final = frozenset("0123456789abcdef.:")  # addresses and plain numbers
_TOPIC_RE: Final = re.compile(r"[^'\"\n\x00,;:()\[\]{}\t]{1,160}+")  # a topic, to its end
_TOPIC_SUFFIXES: Final = ("/set", "/get", "/availability")
# "friendly_name": "X", 'friendly_name': 'X', friendly_name=X (a State's repr: "<state
# light.x=on; friendly_name=Jean Bedroom Lamp, ... @ 2026-...>"), the device registry's
# name_by_user, the mobile app's registration ("device_name": "Jean's iPhone"; its model and
# manufacturer are keys of their own)
_NAME_KEYS: Final = ("friendly_name", "name_by_user", "device_name")
_FRIENDLY_RE: Final = re.compile(
    r"\\?[\"']?[ \t]*+[:=][ \t]*+(?:\\?\"([^\"\\\n\x00]{1,253}+)\\?\"|'([^'\n\x00]{1,253}+)'"
    r"|([^,;\n\x00<>{}()@\[\]\"']{1,253}+))")

# Home Assistant's person entities are named after the person ("person.jean", "<state
# person.jean=home; ...>"); in code the same text is an attribute ("person.user_id") or a module
# ("homeassistant.components.person.const"), which stay.
_PERSON_RE: Final = re.compile(r"person\.([a-z0-9_]{1,64}+)(?![\w.(])")
_PERSON_ATTRIBUTES: Final = frozenset({
    "user_id", "name", "id", "entity_id", "device_trackers", "picture", "state", "attributes",
    "unique_id", "data", "config", "hass", "domain", "platform", "storage", "yaml",
    "collection", "const", "user", "persons", "items", "get", "keys", "values"})
# OwnTracks' MQTT topics ("owntracks/%u/%d": its user's and device's names, as Home Assistant's
# owntracks and mqtt integrations log them); a subscription's wildcards ("owntracks/+/+") stay
_OWNTRACKS_RE: Final = re.compile(
    r"owntracks/([^/\s'\"+#\x00]{1,64}+)(?:/([^/\s'\"+#:\x00]{1,64}+))?")
# Home Assistant's cast integration: "[%s %s] Cast device availability changed: %s" (entity id,
# friendly name, and since 2022 " (host:port)"); pychromecast: "[%s(%s):%s] Failed to connect
# to service %s, retrying in %.1fs" (friendly name, host, port 8009 for a device)
_CAST_RE: Final = re.compile(r"\[media_player\.\w{1,128}+ ([^\[\]()\n\x00]{1,128}+)[\]( ]")
_CAST_NAME_STOPS: Final = frozenset("[]()\n\x00")
# avahi-daemon: 'Service "%s" (%s) successfully established.', 'Service name conflict for "%s"
# (%s), retrying with "%s".' (the service's file after the name)

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
_ESPHOME_GATES: Final = (" @ ", "different name '")

# --- MQTT discovery payloads and entity ids -------------------------------------------------

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
# Home Assistant's entity ids made from a name with an owner's possessive ("Jean's Bedroom Lamp"
# -> "light.jean_s_bedroom_lamp"): the owner before "_s_", in the entity domains' ids
_ENTITY_DOMAINS: Final = frozenset({
    "light", "switch", "sensor", "binary_sensor", "media_player", "device_tracker", "notify",
    "climate", "cover", "fan", "lock", "camera", "input_boolean", "input_number", "input_select",
    "input_text", "input_datetime", "input_button", "automation", "script", "scene", "button",
    "number", "select", "vacuum", "remote", "alarm_control_panel", "calendar", "todo", "update",
    "event", "image", "text", "weather", "water_heater", "humidifier", "siren", "valve",
    "lawn_mower", "tts", "assist_satellite", "zone", "counter", "timer", "group", "light_group"})
_ENTITY_REV_RE: Final = re.compile(  # matched on the reversed text before "_s_"
    r"([a-z0-9]{2,40}+)((?:_[a-z0-9]{1,40}+){0,8}+)\.([a-z_]{2,24}+)")

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

GATES: Final = (*_DEVICE_WORDS, *_Z2M_PHRASES, *_Z2M_LINE_PHRASES, "zigbee2mqtt/",
                *_NAME_KEYS, "owntracks/", "person.", "[media_player.", "):8009]", '" (/services/',
                'retrying with "', "android-", "desktop-", "laptop-",
                *_DHCP_GATES, *_ISC_GATES, *_DNS_GATES, "plugin/errors: ", ".local.hassio",
                *_MQTT_GATES, *_ESPHOME_GATES, '"device":', '"device": ', '\\"device\\":',
                "_s_")


_OWNER_REV_RE: Final = re.compile(r"(?:[^\W\d_]|-){1,41}+")  # letters and dashes


def _owner_before(text: str, end: int, stops: str = "_.]@/") -> int:
    """Where the owner's name that ends at `end` starts (== end: none there).

    A name after one of `stops` (or a letter or digit) is part of something longer.
    """
    m = _OWNER_REV_RE.match(text[max(0, end - 41):end][::-1])  # read backwards, at C speed
    if m is None or m.end() > 40:
        return end  # none, or longer than a name
    start = end - m.end()
    while start < end and text[start] == "-":
        start += 1
    if start and (text[start - 1].isalnum() or text[start - 1] in stops):
        return end  # part of a longer word or path, or a placeholder's end
    return start


_HOST_TAIL_RE: Final = re.compile(r"[A-Za-z0-9.-]++")


def _host(text: str, start: int, end: int, *, out: list[Edit], seen: set[int], tally: Tally
          ) -> None:
    """Take the host name that holds text[start:end] whole, as far as it runs on."""
    if start in seen:
        return
    seen.add(start)
    m = _HOST_TAIL_RE.match(text, end, start + 253)
    end = m.end() if m else end
    while end > start and text[end - 1] in "-.":
        end -= 1
    out.append((start, end, tally.hit("hostname")))


def _whole_name(text: str, start: int) -> int:
    """Where a capitalized owner's whole name starts, its last word starting at `start`.

    An "O'" or "D'" before it belongs to it ("O'Brien's"), and so do the capitalized
    words before it ("Mary Ann's", "Jean Smith's"; a capitalized word that opens the sentence
    goes too: more is removed, never less), up to three.
    """
    if (start >= 2 and text[start - 1] in _APOSTROPHES and text[start - 2].isupper()
            and (start == 2 or not text[start - 3].isalnum())):
        start -= 2
    for _ in range(3):
        if start < 3 or text[start - 1] != " ":
            break
        prev = _owner_before(text, start - 1)
        if prev == start - 1 or not text[prev].isupper() or not _is_owner(text[prev:start - 1]):
            break
        start = prev
    return start


def _genitive_owner(text: str, end: int) -> bool:
    """True if text[..end] ends in a capitalized name with a genitive s that starts a value.

    "Jeans iPhone" is the default name in Scandinavian languages; only where it stands alone
    (after a quote, "=" or ": ") so that "Supports iPhone" stays.
    """
    start = _owner_before(text, end)
    if end - start < 4 or not text[start].isupper() or not text[start + 1:end].islower():
        return False
    return start > 0 and (text[start - 1] in "'\"=\u201c\u2018" or text.startswith(": ", start - 2))


def _is_owner(name: str) -> bool:
    low = name.lower()
    return len(name) >= 2 and low not in _NOT_OWNERS and low not in DEFAULT_NAMES


def _device_owner_edits(text: str, low: str, hits: list[tuple[int, str]], tally: Tally
                        ) -> list[Edit]:
    """The owner in "Jean's iPhone", "Jeans-iPhone", "iPhone von Jean"."""
    out: list[Edit] = []
    n = len(text)
    seen: set[int] = set()  # "mac" and "mac mini" at one place: one owner
    for at, word in hits:
        end = at + len(word)
        if end < n and text[end].isalpha():
            continue  # "Jean's Machine", "watchdog"
        before = text[at - 1] if at else ""
        if before == " " and at >= 3 and text[at - 2] in "sS" and text[at - 3] in _APOSTROPHES:
            stop = at - 3  # "Jean's iPhone", "Jean\u2019s MacBook Pro"
        elif before == " " and at >= 3 and text[at - 2] in _APOSTROPHES and text[at - 3] in "sS":
            stop = at - 2  # "James' iPhone"
        elif (before == " " and at >= 5 and text[at - 2] == "s" and word in _APPLE_WORDS
              and _genitive_owner(text, at - 1)):
            stop = at - 1  # Swedish, Danish, Norwegian iOS "Jeans iPhone" (a value on its own)
        elif before == "-" and word in _HOST_DEVICE_WORDS:
            stop = at - 1  # "Jeans-iPhone", "jeans-mbp"
        elif before == "_" and text.startswith("_s_", at - 3):
            # an entity id from the device's name: "sensor.jean_s_iphone_battery_level" (Home
            # Assistant's slug of "Jean's iPhone"), "notify.mobile_app_jean_s_phone"
            stop = at - 3
        elif before == "_" and word in _APPLE_WORDS:
            stop = at - 1  # "device_tracker.jeans_iphone"
        elif before and before.isalnum():
            continue  # inside a word ("machine", "iphoneos")
        else:
            stop = -1
        apple = word in _APPLE_WORDS
        if stop > 0:
            start = _owner_before(text, stop, "]@/" if before == "_" else "_.]@/")
            if start < stop and _is_owner(text[start:stop]) and (
                    apple or before == "_" or (text[start].isupper() and text[at].isupper())):
                if before == "-":  # a host name: all of it ("Jeans-MacBook-Pro.local")
                    _host(text, start, end, out=out, seen=seen, tally=tally)
                    continue
                if before == " " and text[start].isupper():
                    start = _whole_name(text, start)  # "Mary Ann's", "O'Brien's"
                if start not in seen:
                    seen.add(start)
                    out.append((start, stop, tally.hit("user")))
                continue
        m = _OWNER_AFTER_RE.match(text, end) if apple else None
        if m is None or not _is_owner(m.group(1)):
            continue
        joint = text[m.start(1) - 1]  # " " in a name, "-" in a host name, "_" in an entity id
        if joint == " " and not m.group(1)[0].isupper():
            continue
        if joint == "-":  # "iPhone-von-Jean"
            _host(text, at, m.end(1), out=out, seen=seen, tally=tally)
        elif m.start(1) not in seen:
            seen.add(m.start(1))
            out.append((m.start(1), m.end(1), tally.hit("user")))
    return out


def _name_ok(name: str) -> bool:
    """False for a quoted value that names no one.

    Ids, paths, numbers, kernel names, the Supervisor's internal hosts ("core-mosquitto"),
    and addresses (their own rules').
    """
    low = name.lower()
    return not (name.startswith(("0x", "[", "/")) or name in PLACEHOLDER_VALUES
                or low in DEFAULT_NAMES or not name.strip() or _KERNEL_NAME_RE.fullmatch(low)
                or (_ADDRESS_CHARS.issuperset(low) and any(c.isdigit() for c in low))
                or (" " not in name and host_is_kept(low)))


def _z2m_context(low: str, at: int) -> bool:
    """True if the line around `at` names Zigbee2MQTT within a few words before it."""
    lo = max(0, at - 160)
    line = max(low.rfind("\n", lo, at), low.rfind(SEP, lo, at), lo)
    return any(low.find(word, line, at) >= 0 for word in _Z2M_CONTEXT)


def _device_name_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                       ) -> list[Edit]:
    """Whole names a user chose: Zigbee2MQTT's names, topics, friendly_name values."""
    out: list[Edit] = []
    for phrase in _Z2M_PHRASES + _Z2M_LINE_PHRASES:
        for at in gates.get(phrase, ()):
            if at and phrase[0].isalpha() and low[at - 1].isalnum():
                continue  # "subdevice '", "reconfigured '"
            if phrase in _Z2M_LINE_PHRASES and not _z2m_context(low, at):
                continue
            quoted = _DOUBLE_QUOTED_RE if phrase[-1] == '"' else _SINGLE_QUOTED_RE
            m = quoted.match(text, at + len(phrase))
            if m is None or not _name_ok(m.group(1)):
                continue
            out.append((m.start(1), m.end(1), tally.hit("device")))
    for at in gates.get("zigbee2mqtt/", ()):
        if at and text[at - 1] in "/.-_":
            continue  # a folder ("/config/zigbee2mqtt/database.db"), not a topic
        start = at + len("zigbee2mqtt/")
        m = _TOPIC_RE.match(text, start)
        topic = m.group(0) if m else ""
        cut = min((i for i in (topic.find(s) for s in _TOPIC_SUFFIXES) if i >= 0),
                  default=len(topic))
        name = topic[:cut].rstrip(" ")
        if not name or name == "bridge" or name.startswith("bridge/") or not _name_ok(name):
            continue
        out.append((start, start + len(name), tally.hit("device")))
    for at in gates.get("person.", ()):
        m = _PERSON_RE.match(text, at)
        if m is not None and not (at and (text[at - 1].isalnum() or text[at - 1] in "._/")):
            name = m.group(1)
            if not (name.startswith(("async_", "_")) or name in _PERSON_ATTRIBUTES):
                out.append((m.start(1), m.end(1), tally.hit("user")))
    for at in gates.get("owntracks/", ()):
        m = _OWNTRACKS_RE.match(text, at)
        if m is None or (at and text[at - 1].isalnum()):
            continue
        for group, cls in ((1, "user"), (2, "device")):
            value = m.group(group)
            if value and not value.startswith("[") and value.lower() not in ("event", "cmd",
                                                                             "info", "dump"):
                out.append((m.start(group), m.end(group), tally.hit(cls)))
    for at in gates.get("[media_player.", ()):
        m = _CAST_RE.match(text, at)
        if m is not None and _name_ok(name := m.group(1).rstrip(" ")):
            out.append((m.start(1), m.start(1) + len(name), tally.hit("device")))
    for at in gates.get("):8009]", ()):  # "[Living Room speaker(192.168.1.60):8009]"
        paren = text.rfind("(", max(0, at - 48), at)
        start = paren
        floor = max(0, paren - 128)
        while start > floor and text[start - 1] not in _CAST_NAME_STOPS:
            start -= 1
        if paren > 0 and start > 0 and text[start - 1] == "[" and _name_ok(text[start:paren]):
            out.append((start, paren, tally.hit("device")))
    for at in gates.get('" (/services/', ()):  # avahi's service name before its file
        start = text.rfind('"', max(0, at - 128), at)
        if start >= 0 and _name_ok(name := text[start + 1:at]) and "\n" not in name:
            out.append((start + 1, at, tally.hit("device")))
    for at in gates.get('retrying with "', ()):
        m = _DOUBLE_QUOTED_RE.match(text, at + len('retrying with "'))
        if m is not None and _name_ok(m.group(1)):
            out.append((m.start(1), m.end(1), tally.hit("device")))
    for key in _NAME_KEYS:
        for at in gates.get(key, ()):
            m = _FRIENDLY_RE.match(text, at + len(key))
            if m is None:
                continue
            group = m.lastindex or 1
            value = m.group(group).rstrip(" ")
            if group == 3 and value.lower() in ("none", "null"):
                continue
            if not _name_ok(value):
                continue
            vstart = m.start(group)
            out.append((vstart, vstart + len(value), tally.hit("device")))
    return out


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
        stop = _line_end(text, end, 256)
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
        if m is not None and not (at - m.end() and text[at - m.end() - 1] not in " \t\n([:'\""):
            take(at - m.end(), at, "hostname")
    for at in gates.get("different name '", ()):
        m = _SINGLE_QUOTED_RE.match(text, at + len("different name '"))
        if m is not None:
            take(m.start(1), m.end(1), "hostname")
    return out


def _payload_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                   ) -> list[Edit]:
    """Device names in MQTT discovery payloads, and owners in entity ids.

    The entity ids a payload makes of its device's name go with the name; an owner is taken
    from an entity id made from a possessive name ("light.jean_s_bedroom_lamp").
    """
    out: list[Edit] = []
    for gate in ('"device":', '"device": ', '\\"device\\":'):
        for at in gates.get(gate, ()):
            block = _DEVICE_BLOCK_RE.match(text, at)
            name = _BLOCK_NAME_RE.search(text, at, block.end()) if block else None
            if name is None or not _name_ok(name.group(1)) or "zigbee2mqtt" in low[
                    name.start(1):name.end(1)]:
                continue  # "Zigbee2MQTT Bridge": the program's own device
            out.append((name.start(1), name.end(1), tally.hit("device")))
            slug = _SLUG_RE.sub("_", name.group(1).lower()).strip("_")
            if len(slug) < 3:
                continue
            lo, hi = max(0, at - _PAYLOAD_REACH), _line_end(text, at, _PAYLOAD_REACH)
            i = low.find(slug, lo, hi)
            while i >= 0:  # "object_id": "<slug>_temperature", "default_entity_id": "sensor.<slug>"
                if not (low[i - 1].isalnum() or low[i + len(slug):i + len(slug) + 1].isalnum()):
                    out.append((i, i + len(slug), tally.hit("device")))
                i = low.find(slug, i + len(slug), hi)
    for at in gates.get("_s_", ()):
        m = _ENTITY_REV_RE.match(low[max(0, at - 140):at][::-1])
        if m is None or m.group(3)[::-1] not in _ENTITY_DOMAINS:
            continue
        dot = at - m.end()
        if dot and (low[dot - 1].isalnum() or low[dot - 1] in "._"):
            continue  # part of a longer name ("homeassistant.components.light.x_s_y")
        owner = m.group(1)[::-1]
        if owner.isalpha() and _is_owner(owner):
            out.append((at - len(owner), at, tally.hit("user")))
    return out


def _line_end(text: str, at: int, reach: int) -> int:
    """Where the line holding `at` ends, looking on at most `reach` characters."""
    hi = min(len(text), at + reach)
    ends = [i for i in (text.find("\n", at, hi), text.find(SEP, at, hi)) if i >= 0]
    return min(ends, default=hi)


def _label_before(text: str, end: int) -> int:
    """Where the host name's label that ends at `end` starts (== end: none)."""
    m = _LABEL_REV_RE.match(text[max(0, end - 63):end][::-1])
    return end - m.end() if m else end


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Owners in device names, names users chose, client host names in DHCP and DNS logs.

    `gates`: where each of `GATES` starts in `low` (the keyword pass); every rule looks only
    there.
    """
    hits = sorted((at, word) for word in _DEVICE_WORDS for at in gates.get(word, ()))
    out = _device_owner_edits(text, low, hits, tally) if hits else []
    return (out + _device_name_edits(text, low, gates, tally) + _host_edits(text, low, gates, tally)
            + _client_edits(text, low, gates, tally) + _payload_edits(text, low, gates, tally))
