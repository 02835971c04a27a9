"""Names people give their devices, and the people those names name.

A device's name is chosen by its owner, and often names them: phones and computers name
themselves after their owner ("Jean's iPhone", "Jean\u2019s MacBook Pro" with macOS's typographic
apostrophe, "iPhone von Jean" in German, "iPhone de Jean" in French and Spanish, "iPhone van
Jean" in Dutch, Alexa's "Jean's Echo Dot"), and derive the host name they send over DHCP and
mDNS from it ("Jeans-iPhone", "Jeans-MBP", "iPhone-von-Jean"). These reach Home Assistant's
logs through the bluetooth, mobile_app and device-tracker integrations, DHCP servers and mDNS.

- The owner in a device's name is replaced with ``[user]`` and the model stays ("[user]'s
  iPhone"): which kind of device it was is what triage wants; so in the entity ids Home
  Assistant makes from such a name ("sensor.jean_s_iphone_battery_level",
  "light.jean_s_bedroom_lamp"). A host name made from one is ``[hostname]`` whole, as any
  host name.
- Names a user chose whole, which name a person or a room, are replaced with ``[device]``:
  Zigbee2MQTT's friendly names in its log lines (lib/zigbee.ts "Device '%s' joined",
  "Successfully interviewed '%s', device has successfully been paired", "Starting interview
  of '%s'"; lib/extension/*.ts "Configuring '%s'", "Failed to ping '%s'", "Publish 'set'
  'state' to '%s' failed", "Removing device '%s'", groups ...) and in its MQTT topics
  ("zigbee2mqtt/Jean Bedroom Lamp/set"; ``zigbee2mqtt/bridge/...`` stays); the
  ``friendly_name`` of Home Assistant's states and Zigbee2MQTT's payloads, the device
  registry's ``name_by_user``, the mobile app's ``device_name``; cast devices' names (Home
  Assistant's cast integration, pychromecast, a Cast device's TXT "fn"), UPnP's
  ``friendlyName`` and avahi's service names.

The names of network clients where their servers log them (DHCP and DNS, Mosquitto, ESPHome,
MQTT discovery) are `clients`'; user names in the account lines of sudo, su, login, PAM and
sshd are the phrases' (`phrases`). Every rule here starts at a literal found in the keyword
pass (`GATES`: the device words, the Zigbee2MQTT phrases, "person." ...) and looks only at a
bounded window there (at most a few hundred characters), so a text without them costs
nothing and the time stays linear.
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
    "ipad pro", "surface", "chromebook", "oneplus", "xperia", "fairphone",
    # Bluetooth and USB input and audio devices, as the kernel names them (hid-core's
    # "... Keyboard [Jean's Magic Keyboard] on <mac>", input's "input: %s as ...")
    "keyboard", "mouse", "trackpad", "headphones", "headset", "earbuds", "speaker",
    "magic keyboard", "magic mouse", "magic trackpad")
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
SINGLE_QUOTED_RE: Final = re.compile(r"((?:[^'\n\x00]|(?<=[^\W\d_])'(?=s[ \t])){1,128}+)'")
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
# ... and UPnP's device description (the UPnP Device Architecture's <friendlyName>, as
# async_upnp_client reads it and Home Assistant's SsdpServiceInfo repr shows it:
# "upnp={'friendlyName': 'Smith Living Room TV', ...}", or the XML itself)
_NAME_KEYS: Final = ("friendly_name", "name_by_user", "device_name", "friendlyname")
_XML_NAME_TAGS: Final = (("<friendlyname>", "device"), ("<serialnumber>", "serial"))
# ... and a Google Cast device's TXT record, whose "fn" is the name its owner gave it (as
# Home Assistant's ZeroconfServiceInfo repr shows it: properties={'fn': 'Jean Bedroom
# speaker', 'md': 'Google Nest Mini', ...}, bytes in zeroconf's own; avahi-browse's "fn=X")
_TXT_NAME_KEYS: Final = ("'fn': '", "b'fn': b'", '"fn=')
_XML_VALUE_RE: Final = re.compile(r"([^<>\n\x00]{1,253}+)</")
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

# --- owners in entity ids ----------------------------------------------------------------

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

# ... and entity ids made from an account's e-mail address: Google Calendar names a primary
# calendar after it (components/google/calendar.py: generate_entity_id from the calendar's
# summary, "jean.smith@gmail.com" -> "calendar.jean_smith_gmail_com"). Found at the slug of a
# common mail provider's domain; the address's slug becomes [email], a suffix stays.
_MAIL_SLUGS: Final = (
    "_gmail_com", "_googlemail_com", "_outlook_com", "_hotmail_com", "_live_com", "_msn_com",
    "_icloud_com", "_me_com", "_mac_com", "_yahoo_com", "_aol_com", "_gmx_de", "_gmx_net",
    "_gmx_at", "_gmx_ch", "_web_de", "_t_online_de", "_proton_me", "_protonmail_com", "_pm_me",
    "_posteo_de", "_mailbox_org", "_yandex_ru", "_mail_ru", "_free_fr", "_orange_fr",
    "_libero_it", "_hotmail_co_uk", "_btinternet_com", "_comcast_net")

GATES: Final = (*_DEVICE_WORDS, *_Z2M_PHRASES, *_Z2M_LINE_PHRASES, "zigbee2mqtt/",
                *_NAME_KEYS, *(tag for tag, _ in _XML_NAME_TAGS), *_TXT_NAME_KEYS,
                "owntracks/", "person.",
                "[media_player.", "):8009]", '" (/services/',
                'retrying with "', "_s_", *_MAIL_SLUGS)


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


def name_ok(name: str) -> bool:
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
            quoted = _DOUBLE_QUOTED_RE if phrase[-1] == '"' else SINGLE_QUOTED_RE
            m = quoted.match(text, at + len(phrase))
            if m is None or not name_ok(m.group(1)):
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
        if not name or name == "bridge" or name.startswith("bridge/") or not name_ok(name):
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
        if m is not None and name_ok(name := m.group(1).rstrip(" ")):
            out.append((m.start(1), m.start(1) + len(name), tally.hit("device")))
    for at in gates.get("):8009]", ()):  # "[Living Room speaker(192.168.1.60):8009]"
        paren = text.rfind("(", max(0, at - 48), at)
        start = paren
        floor = max(0, paren - 128)
        while start > floor and text[start - 1] not in _CAST_NAME_STOPS:
            start -= 1
        if paren > 0 and start > 0 and text[start - 1] == "[" and name_ok(text[start:paren]):
            out.append((start, paren, tally.hit("device")))
    for at in gates.get('" (/services/', ()):  # avahi's service name before its file
        start = text.rfind('"', max(0, at - 128), at)
        if start >= 0 and name_ok(name := text[start + 1:at]) and "\n" not in name:
            out.append((start + 1, at, tally.hit("device")))
    for at in gates.get('retrying with "', ()):
        m = _DOUBLE_QUOTED_RE.match(text, at + len('retrying with "'))
        if m is not None and name_ok(m.group(1)):
            out.append((m.start(1), m.end(1), tally.hit("device")))
    for key in _NAME_KEYS:
        for at in gates.get(key, ()):
            m = _FRIENDLY_RE.match(text, at + len(key))
            if m is None:
                continue
            group = m.lastindex or 1
            value = m.group(group).rstrip(" ")
            if group == 3 and (value.lower() in ("none", "null") or (text.startswith(
                    "@", m.end(group)) and value == m.group(group))):
                continue  # no name; an e-mail address (the e-mail rule's), not "Jean @ time"
            if not name_ok(value):
                continue
            vstart = m.start(group)
            out.append((vstart, vstart + len(value), tally.hit("device")))
    for key in _TXT_NAME_KEYS:
        for at in gates.get(key, ()):
            if key[0] == "'" and at and low[at - 1] == "b":
                continue  # the bytes form's own gate has it
            m = (_DOUBLE_QUOTED_RE if key[0] == '"' else SINGLE_QUOTED_RE).match(
                text, at + len(key))
            if m is not None and name_ok(m.group(1)):
                out.append((m.start(1), m.end(1), tally.hit("device")))
    for tag, cls in _XML_NAME_TAGS:
        for at in gates.get(tag, ()):
            m = _XML_VALUE_RE.match(text, at + len(tag))
            if m is not None and (name_ok(m.group(1)) if cls == "device" else any(
                    c.isdigit() for c in m.group(1)) and m.group(1)[0] != "["):
                out.append((m.start(1), m.end(1), tally.hit(cls)))
    return out


def _entity_owner_edits(gates: Mapping[str, list[int]], low: str, tally: Tally) -> list[Edit]:
    """Owners in entity ids made from a possessive name ("light.jean_s_bedroom_lamp")."""
    out: list[Edit] = []
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


def _entity_mail_edits(gates: Mapping[str, list[int]], low: str, tally: Tally) -> list[Edit]:
    """Entity ids made from an e-mail address ("calendar.jean_smith_gmail_com")."""
    out: list[Edit] = []
    for slug in _MAIL_SLUGS:
        for at in gates.get(slug, ()):
            end = at + len(slug)
            if end < len(low) and low[end].isalnum():
                continue  # "_gmail_community": another word
            m = _ENTITY_REV_RE.match(low[max(0, at - 140):at][::-1])
            if m is None or m.group(3)[::-1] not in _ENTITY_DOMAINS:
                continue
            dot = at - m.end()
            if dot and (low[dot - 1].isalnum() or low[dot - 1] in "._"):
                continue  # part of a longer name
            out.append((dot + len(m.group(3)) + 1, end, tally.hit("email")))
    return out


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Owners in device names and entity ids, and names users chose.

    `gates`: where each of `GATES` starts in `low` (the keyword pass); every rule looks only
    there.
    """
    hits = sorted((at, word) for word in _DEVICE_WORDS for at in gates.get(word, ()))
    out = _device_owner_edits(text, low, hits, tally) if hits else []
    return (out + _device_name_edits(text, low, gates, tally)
            + _entity_owner_edits(gates, low, tally) + _entity_mail_edits(gates, low, tally))
