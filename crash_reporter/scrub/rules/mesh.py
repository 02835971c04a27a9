r"""The ids of a home's Thread, Zigbee, Z-Wave and Matter networks, where no key rule sees them.

A Thread network has a name (often the family's: "SmithHome"), a PAN id, an extended PAN id
and a network key; a Zigbee network the same ids and key. Each is as lasting an id of the home
as its Wi-Fi network. The key-value rule (`keys`) takes them after their names ("Network Name:
X", "extended_pan_id='X'", "pan_id=0x1A2B", "networkKey"); these are the other shapes they are
logged in:

- the TXT record of a border router's ``_meshcop._udp`` service, as Home Assistant's thread
  integration logs the zeroconf ``AsyncServiceInfo`` ("Discovered unsupported Thread router
  without extended address: %s": ``properties={b'nn': b'SmithHome', b'xp': b'\xde...',
  b'xa': ...}``) and avahi-browse prints it (``"nn=SmithHome"``): ``nn`` the network's name,
  ``xp`` its extended PAN id, ``xa`` the router's extended address;
- zigbee-herdsman's adapter checks (src/adapter/z-stack/adapter/manager.ts, ezsp/driver.ts:
  "- PAN ID: configured=%s, adapter=%s", "- Extended PAN ID: configured=%s, adapter=%s,
  backup=%s"), one value per side;
- a Z-Wave network's home id (random, kept by the controller for the network's life): Z-Wave
  JS's controller log ("received controller IDs:\n  home ID:     0xd4b18b7d"), its messages'
  log entries ("home ID": num2hex), Z-Wave JS Server's "homeId", Home Assistant's zwave_js
  events (``home_id=3567516263``), and the device identifiers and unique ids it makes from it
  (``('zwave_js', '3567516263-5')``, "Platform zwave_js does not generate unique IDs. ID
  3567516263.5-38-0-currentValue already exists");
- a Matter fabric's compressed fabric id (derived from the fabric's root key: one per home),
  as the Matter SDK in the Matter Server app logs it (src/credentials/FabricTable.cpp "Fabric
  index 0x%x was retrieved from storage. Compressed FabricId 0x%016llX, FabricId ...") and
  python-matter-server's server info gives it (``"compressed_fabric_id": 2422157442567090203``);
  and the codes that pair a device with it, which the SDK's controller logs when Home Assistant
  shares a device (src/controller/CommissioningWindowOpener.cpp "Manual pairing code: [%s]",
  "SetupQRCode: [%s]").

Every shape starts at a literal found in the keyword pass (`GATES`); values are read with
bounded, possessive patterns there only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

# (lowercased literal, placeholder class)
_TXT_KEYS: Final = (("b'nn': b'", "ssid"), ("b'xp': b'", "id"), ("b'xa': b'", "mac"),
                    ('"nn=', "ssid"), ('"xp=', "id"), ('"xa=', "mac"))
_CONFIGURED: Final = ": configured="
# Z-Wave: the home id after its key, and where Home Assistant's zwave_js leads its ids with it
_HOME_ID_KEYS: Final = ("home id", "homeid", "home_id", "compressed fabricid",
                        "compressed_fabric_id", "compressedfabricid")
_ZWAVE_IDS: Final = ("zwave_js', '", "zwave_js does not generate unique ids. id ")
_PAIRING_CODES: Final = ("manual pairing code: [", "setupqrcode: [")  # Matter's
GATES: Final = (*(key for key, _ in _TXT_KEYS), _CONFIGURED, *_HOME_ID_KEYS, *_ZWAVE_IDS,
                *_PAIRING_CODES)

# A bytes literal's text to its closing quote (escapes such as \' and \xde inside), or a TXT
# entry's value to its closing double quote.
_BYTES_RE: Final = re.compile(r"((?:[^'\\\n\x00]|\\[^\n\x00]){1,255}+)'")
_TXT_RE: Final = re.compile(r"((?:[^\"\\\n\x00]|\\[^\n\x00]){1,255}+)\"")
# zigbee-herdsman: "- PAN ID: configured=6754, adapter=6755, backup=6755" (what the line is
# about, before the colon; each side's value after "=")
_ABOUT_RE: Final = re.compile(r"(?:extended )?pan id\Z|network key\Z")
_SIDES_RE: Final = re.compile(
    r"[ \t]*+(?:,[ \t]*+)?[a-z]{1,16}+(?::[a-z]{1,16}+)?=([^\s,\x00]{1,128}+)")
# "home ID:     0xd4b18b7d", "homeId": 3567516263, home_id=3567516263, 'home_id': '...';
# "Compressed FabricId 0x219D881E54F0F01B", "compressed_fabric_id": 2422157442567090203
_HOME_ID_RE: Final = re.compile(
    r"[\"']?+(?:[ \t]*+[:=][ \t]*+[\"']?+((?:0x)?+[0-9A-Fa-f]{1,20}+)"
    r"|[ \t]++(0x[0-9A-Fa-f]{1,16}+|\d{1,20}+))(?![\w.:-])")  # after a blank: a number
_PAIRING_CODE_RE: Final = re.compile(r"(MT:[0-9A-Z.-]{1,64}+|\d{11}+|\d{21}+)\]")
# The home id before a node's number in zwave_js's device identifiers and unique ids
_ZWAVE_ID_RE: Final = re.compile(r"(\d{6,10}+)[.-]\d")


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Thread and Zigbee network names, ids and keys in TXT records and adapter checks.

    `gates`: where each of `GATES` starts in `low` (the keyword pass).
    """
    out: list[Edit] = []
    for key, cls in _TXT_KEYS:
        form = _BYTES_RE if key.startswith("b") else _TXT_RE
        for at in gates.get(key, ()):
            if key[0] == '"' and at and low[at - 1] not in " [\t":
                continue  # avahi-browse: txt = ["rv=1" "nn=X"]; not inside another value
            m = form.match(text, at + len(key))
            if m is not None and m.group(1) not in PLACEHOLDER_VALUES:
                out.append((m.start(1), m.end(1), tally.hit(cls)))
    for at in gates.get(_CONFIGURED, ()):
        about = low[max(0, at - 16):at]
        if _ABOUT_RE.search(about) is None:
            continue
        cls = "filtered" if about.endswith("key") else "id"
        pos = at + len(_CONFIGURED) - len("configured=")
        for _ in range(4):  # configured, adapter (or adapter:active ...), backup
            m = _SIDES_RE.match(text, pos)
            if m is None:
                break
            if m.group(1) not in PLACEHOLDER_VALUES:
                out.append((m.start(1), m.end(1), tally.hit(cls)))
            pos = m.end()
    for key in _HOME_ID_KEYS:
        for at in gates.get(key, ()):
            if at and low[at - 1].isalnum():
                continue
            m = _HOME_ID_RE.match(text, at + len(key))
            if m is not None:
                group = m.lastindex or 1
                out.append((m.start(group), m.end(group), tally.hit("id")))
    for key in _PAIRING_CODES:
        for at in gates.get(key, ()):
            m = _PAIRING_CODE_RE.match(text, at + len(key))
            if m is not None:
                out.append((m.start(1), m.end(1), tally.hit("filtered")))
    for key in _ZWAVE_IDS:
        for at in gates.get(key, ()):
            m = _ZWAVE_ID_RE.match(text, at + len(key))
            if m is not None:
                out.append((m.start(1), m.end(1), tally.hit("id")))
    return out
