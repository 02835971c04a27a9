r"""Wi-Fi Direct peers' names in wpa_supplicant's P2P events.

On a host whose Wi-Fi chip offers Wi-Fi Direct (NetworkManager makes "p2p-dev-wlan0" on Home
Assistant OS), wpa_supplicant reports every peer in range, the home's and the neighbours' TVs,
printers and phones, under the name its owner gave it (p2p_supplicant.c: P2P-DEVICE-FOUND,
P2P-GO-NEG-REQUEST, P2P-PROV-DISC-*: "... p2p_dev_addr=%s pri_dev_type=%s name='%s'
config_methods=0x%x ..."): "name='[TV] Dupont Living Room'". The name is ``[device]``, as the
names family replaces a name given to a device; the device type and the capabilities stay.

The shape starts at a literal found in the keyword pass (`GATES`) and reads a bounded value there
with possessive quantifiers, so the time stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

_DEV_TYPE: Final = "pri_dev_type="
# "<type> name='<name>' config_methods=" (a name may hold a quote; at most 32 bytes)
_NAME_RE: Final = re.compile(r"[\w-]{1,40}+ name='((?:[^'\n\x00]|'(?! config_methods=)){1,64}+)'"
                             r" config_methods=")

GATES: Final = (_DEV_TYPE,)


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """The peers' names in P2P events, where `GATES` start in the lowercased text."""
    out: list[Edit] = []
    for at in gates.get(_DEV_TYPE, ()):
        m = _NAME_RE.match(text, at + len(_DEV_TYPE))
        if m is not None and m.group(1) not in PLACEHOLDER_VALUES:
            out.append((m.start(1), m.end(1), tally.hit("device")))
    return out
