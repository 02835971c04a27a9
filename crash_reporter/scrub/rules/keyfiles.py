r"""Network connections' names in NetworkManager's keyfile lines: their files and their ids.

NetworkManager names a connection's file after the connection, and a Wi-Fi connection after its
network (the Supervisor's own are "Supervisor wlan0"; one a user imports from a CONFIG stick or
makes with nmcli is "Dupont Home"), and its keyfile plugin logs both the file and the id when it
loads, adds or writes one (settings/plugins/keyfile: "keyfile: new connection %s (%s,\"%s\")",
"keyfile: load: \"%s\" (%s,\"%s\")", "keyfile: add connection in-memory (%s,\"%s\")", and
its errors "keyfile: load: \"%s\": failed to load connection: ..."):
"/etc/NetworkManager/system-connections/Dupont Home.nmconnection (<uuid>,\"Dupont Home\")".
The name in the file's name and the quoted id after the uuid are ``[ssid]``, as the Wi-Fi rules
name a connection; the Supervisor's own and NetworkManager's defaults ("Wired connection 1")
stay.

Every shape starts at a literal found in the keyword pass (`GATES`) and reads a bounded value
there with possessive quantifiers, so the time stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

_FOLDER: Final = "/system-connections/"
# The file's name: up to its extension, a quote, " (" (the uuid), the line's end
_FILE_RE: Final = re.compile(r"((?:[^/\n\x00\"'(]|\((?!\w{8}-)){1,255}?)"
                             r"(?=\.nmconnection|\"|'| \(|[\n\x00]|\Z|: )")
_KEYFILE: Final = "keyfile: "
# "(<uuid>,\"<id>\")" on the keyfile plugin's line
_ID_RE: Final = re.compile(r"\([0-9a-fA-F-]{36},\"((?:[^\"\\\n\x00]|\\[^\n\x00]){1,255}+)\"\)")
_LINE_RE: Final = re.compile(r"[^\n\x00]{0,600}+")
_DEFAULT_RE: Final = re.compile(r"Supervisor [\w.-]{1,15}+|Wired connection \d{1,3}|lo|"
                                r"\[[a-z-]{2,12}\]")

GATES: Final = (_FOLDER, _KEYFILE)


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Connections' names in their keyfiles' paths and in the keyfile plugin's ids."""
    out: list[Edit] = []
    for at in gates.get(_FOLDER, ()):
        m = _FILE_RE.match(text, at + len(_FOLDER))
        if m is not None and _named(m.group(1)):
            out.append((m.start(1), m.end(1), tally.hit("ssid")))
    end = 0
    for at in gates.get(_KEYFILE, ()):
        if at < end:
            continue  # read with the gate before it, on the same line
        line = _LINE_RE.match(text, at)
        end = line.end() if line is not None else at
        for m in _ID_RE.finditer(text, at, end):
            if _named(m.group(1)):
                out.append((m.start(1), m.end(1), tally.hit("ssid")))
    return out


def _named(name: str) -> bool:
    return name not in PLACEHOLDER_VALUES and _DEFAULT_RE.fullmatch(name) is None
