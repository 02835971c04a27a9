"""MAC addresses inside device names: the default names smart-home devices give themselves.

Devices name themselves after their MAC so that two of a kind differ, and those names reach
Home Assistant's logs (config entries, mDNS, MQTT topics, DHCP host names):

- the whole MAC, 12 hex digits, after the model: Shelly Gen2 "shellyplus1pm-a8032ab12345",
  Shelly Gen1 "shelly1-98CDAC1F2A3B", Sonos "Sonos-B8E9374A5B6C", ESP8266 "ESP-3C2EFF4A5B6C",
  and Sonos players' ids "RINCON_B8E9374A5B6C01400" (the MAC, then the port);
- the last three bytes (the device's own part; the vendor's OUI fills in the rest), 6 hex
  digits, after a vendor's default name: ESPHome's ``name_add_mac_suffix``
  ("esphome-web-4a5b6c", "home-assistant-voice-09a1b2", "athom-smart-plug-v2-4a5b6c"),
  Tasmota "tasmota_4A5B6C", "tasmota-4A5B6C-1234" and its MQTT client "DVES_4A5B6C", Shelly
  Gen1 "shelly1-B929CC", WLED "wled-4a5b6c", Espressif "ESP_4A5B6C", "esp32-4A5B6C", the
  ATC/pvvx thermometer firmware "ATC_4A5B6C", Hue "Philips Hue - 4A5B6C";
- an EUI-64 made from a MAC (``fffe`` in the middle): the Hue bridge id "001788fffe4a5b6c";
  a Zigbee IEEE address in an MQTT topic ("zigbee2mqtt/0x00124b001ca1b2c3/set") and anywhere
  in a text that names Zigbee2MQTT (its unique ids "0x00124b001ca1b2c3_battery_zigbee2mqtt");
- the MAC in predictable interface names of USB and Wi-Fi adapters ("enx3c2eff4a5b6c").

The model or vendor before the MAC stays (triage wants to know which device it was). A bare
run of 12 hex digits with nothing glued to it stays: Docker's short container and network ids
("Container a1b2c3d4e5f6 exited", "br-a1b2c3d4e5f6", "netns-...") are random per install and
name no one, and triage follows them through a log. A 6-digit suffix is taken after a vendor's
name in any case, and after any other dashed name only as ESPHome writes it (lower case, a
letter and a digit among the six), so versions, dates and words ("x-decade") stay.

A name's suffix is found over the text's hex character classes (`classes.HEX`: a separator
then 6 hex digits) with `str.find`; the other forms start at rare literals ("fffe", "/0x",
"enx", "hue - ", found in the keyword pass: `GATES`). Each candidate is checked once.
"""

from __future__ import annotations

import re
from collections.abc import Container
from typing import Final

from crash_reporter.scrub.classes import HEX, classes, find_all
from crash_reporter.scrub.tokens import Edit, Tally

_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]++\Z")  # searched in the 64 characters before
_NOT_HEX_LETTER_RE: Final = re.compile(r"[g-zG-Z]")
_UUID_HEAD_RE: Final = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}\Z")
# Names before a 12-digit id that is Docker's, not a MAC ("br-<network id>", "netns-<id>").
_DOCKER_NAMES: Final = frozenset({"br", "netns", "veth", "docker", "cni", "cali", "vxlan"})
# Default names known to end in the MAC's last three bytes (the name's first label, lowered).
_VENDORS: Final = ("esphome", "tasmota", "dves", "shelly", "wled", "esp", "esp32", "esp8266",
                   "espressif", "sonoff", "openbeken", "athom", "openmqttgateway", "tuya",
                   "atc")
# "Philips Hue - 4A5B6C", "Hue Bridge - 4A5B6C" (the bridge's mDNS and default names)
_HUE_RE: Final = re.compile(r"(?i)\bhue(?: bridge)? - ([0-9A-F]{6})(?![0-9A-Z])")
_IFACE: Final = ("enx", "wlx", "wwx")  # systemd's predictable names from a MAC
# Rare literals, found in the keyword pass, that the EUI-64 and interface rules start at.
GATES: Final = ("fffe", "/0x", "zigbee2mqtt", "hue - ", "hue bridge - ", *_IFACE)
# Zigbee2MQTT's ids: "0x<IEEE>" alone, in topics, in unique ids ("0x..._temperature_zigbee2mqtt")
# (the literal first, then the look behind: a pattern that starts with a look-behind is tried
# at every position of the text, one that starts with "0x" only where "0x" is)
_IEEE_RE: Final = re.compile(r"0x(?<![0-9A-Za-z]0x)[0-9A-Fa-f]{16}(?![0-9A-Za-z])")


def _name_before(text: str, sep: int) -> str:
    """The device name that ends at `sep` (a dash or underscore), at most 64 characters."""
    m = _NAME_RE.search(text, max(0, sep - 64), sep)
    return m.group(0).strip("-_") if m else ""


def _one_case(run: str) -> bool:
    """A MAC is written in one case: "a8032ab12345" or "A8032AB12345", not "aB12cD34eF56"."""
    return run == run.lower() or run == run.upper()


def _suffix(text: str, sep: int, end: int) -> str | None:
    """The class of the hex run text[sep+1:end] glued to a name by `sep`, or None to keep it."""
    run = text[sep + 1:end]
    if len(run) not in (6, 12) and not (len(run) > 12 and run[12:].isdigit()):
        return None
    if not _one_case(run):
        return None
    name = _name_before(text, sep)
    if not _NOT_HEX_LETTER_RE.search(name) or _UUID_HEAD_RE.search(name):
        return None  # "v0.0.0-20230522191255-76236955d466", a UUID's groups: no device name
        #              (Mosquitto's random "auto-<UUID>" client ids too)
    low = name.lower()
    first = re.split(r"[-_]", low, maxsplit=1)[0]
    if len(run) == 12:
        return None if low.rsplit("-", 1)[-1] in _DOCKER_NAMES else "mac"
    if len(run) > 12 and low == "rincon" and run[12:].isdigit():
        return "mac"
    if len(run) != 6:
        return None
    if first in _VENDORS or first.startswith(("shelly", "esp")):
        return "mac"
    # ESPHome's name_add_mac_suffix: "<name>-" and six lower-case hex digits (a dash: after
    # an underscore, "g_a00000", it is as often a name in code)
    if text[sep] == "-" and run == run.lower() and any(c.isdigit() for c in run) and any(
            c.isalpha() for c in run):
        return "mac"
    return None


def _glued(text: str, start: int, end: int) -> bool:
    """True if text[start:end] continues a word on either side (not a whole value)."""
    return (start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-")) or (
        end < len(text) and text[end].isalnum())


def edits(text: str, gates: Container[str], tally: Tally) -> list[Edit]:
    """MACs and their parts inside device names, EUI-64s made from a MAC.

    `gates`: which of `GATES` occur in the text (found in the keyword pass).
    """
    cls = classes(text, HEX)
    n = len(text)
    out: list[Edit] = []
    # A dash or underscore, then at least 6 hex digits: a name's suffix.
    i = cls.find("shhhhhh")
    while i >= 0:
        end = i + 7
        while end < n and cls[end] == "h":
            end += 1
        if not text[end:end + 1].isalnum() and (kind := _suffix(text, i, end)) is not None:
            out.append((i + 1, end, tally.hit(kind)))
        i = cls.find("shhhhhh", end)
    if "hue - " in gates or "hue bridge - " in gates:  # Hue's "Philips Hue - 4A5B6C"
        for m in _HUE_RE.finditer(text):
            if _one_case(m.group(1)):
                out.append((m.start(1), m.end(1), tally.hit("mac")))
    if "fffe" in gates:  # an EUI-64 made from a MAC: 6 hex digits, "fffe", 6 hex digits
        for at in (*find_all(text, "fffe"), *find_all(text, "FFFE")):
            start, end = at - 6, at + 10
            if (start >= 0 and cls.count("h", start, end) == 16 and not _glued(text, start, end)
                    and _one_case(text[start:end])):
                out.append((start, end, tally.hit("mac")))
    if "/0x" in gates:  # a Zigbee IEEE address in an MQTT topic: "zigbee2mqtt/0x<16 hex>"
        for at in find_all(text, "/0x"):
            start, end = at + 1, at + 19
            if cls.count("h", at + 3, end) == 16 and not text[end:end + 1].isalnum():
                out.append((start, end, tally.hit("mac")))
    if "zigbee2mqtt" in gates:  # a text about Zigbee2MQTT: its "0x" + 16 hex are IEEE ids
        for m in _IEEE_RE.finditer(text):
            out.append((m.start(), m.end(), tally.hit("mac")))
    for prefix in _IFACE:  # an interface named after its MAC: "enx" + 12 hex digits
        if prefix in gates:
            for at in find_all(text, prefix):
                start, end = at + 3, at + 15
                if cls.count("h", start, end) == 12 and not _glued(text, at, end):
                    out.append((start, end, tally.hit("mac")))
    return out
