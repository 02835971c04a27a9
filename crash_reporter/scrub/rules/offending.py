"""The offending value a configuration error quotes back, whatever option it was given for.

voluptuous's ``humanize_error`` appends the value that failed to its message, as a Python repr
of at most 500 characters ("%s. Got %s": "not a valid value for dictionary value @
data['logins'][0]['password']. Got 'hunter2'"); the Supervisor uses it for apps' options
("App {app} has invalid options: {validation_error}", supervisor/apps/app.py), backups, the
store and its API, and a type error in an app's schema quotes the app's whole options. Home
Assistant's own (homeassistant/config.py ``_format_schema_error``: "Invalid config for
'%s' at %s, line %s: %s '%s', got %s") does the same for configuration.yaml. The value is
what the user typed for that option: a password, an e-mail, a name, an address.

After ". Got " and "', got " (`GATES`, found in the keyword pass), a quoted string becomes
``'[filtered]'``; inside a list or dict every quoted string that is not a key does; a number
stays unless the option's name (the end of the error's path) says it is a secret, a place or
an account. None, True, False, empty values and the path itself stay: which option failed
and how is what triage wants. At most 503 characters of one line are read at each gate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

GATES: Final = (". got ", "', got ")

_REACH: Final = 503  # voluptuous and Home Assistant cut the repr at 500 and add "..."
_STRING_RE: Final = re.compile(
    r"'((?:[^'\\\n\x00]|\\[^\n\x00]){0,500}+)'|\"((?:[^\"\\\n\x00]|\\[^\n\x00]){0,500}+)\"")
_NUMBER_RE: Final = re.compile(r"-?\d{1,40}+(?:\.\d{1,40}+)?+(?:e[+-]?\d{1,3}+)?+")
# The option's name at the end of the error's path: voluptuous's "@ data['a'][0]['b']",
# Home Assistant's "'a->0->b'" (read in the lowercased text)
_PATH_KEY_RE: Final = re.compile(
    r"(?:\['([^'\]\n\x00]{1,64}+)'\]|->([^'\n\x00>-]{1,64}+)'|'([^'\n\x00]{1,64}+)')\Z")
_SECRET_KEY_RE: Final = re.compile(
    r".*(?:pass|pwd|pin|secret|token|key|code|psk|otp|auth|cred|lat|lon|lng|location|ssid"
    r"|user|login|email|mail|phone|serial|mac|host|url|address|name)")


def _key_is_secret(low: str, at: int) -> bool:
    """True if the option named just before `at` holds a secret, a place or an account."""
    m = _PATH_KEY_RE.search(low, max(0, at - 80), at)
    key = next((g for g in m.groups() if g), "") if m is not None else ""
    return _SECRET_KEY_RE.match(key) is not None


def _strings(text: str, start: int, end: int, out: list[Edit], tally: Tally) -> None:
    """Every quoted string in text[start:end] that is not a dict's key becomes [filtered]."""
    pos = start
    while (m := _STRING_RE.search(text, pos, end)) is not None:
        pos = m.end()
        group = 1 if m.group(1) is not None else 2
        value = m.group(group)
        after = text[pos:pos + 2].lstrip(" ")
        if not value or value in PLACEHOLDER_VALUES or after.startswith(":"):
            continue  # empty, already scrubbed, or a key ({'password': ...}: the value is next)
        out.append((m.start(group), m.end(group), tally.hit("filtered")))


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Values after voluptuous's ". Got " and Home Assistant's "', got ".

    `gates`: where each of `GATES` starts in `low` (the keyword pass).
    """
    out: list[Edit] = []
    done = 0  # each character is read once, however many gates a line holds
    for at, gate in sorted((i, g) for g in GATES for i in gates.get(g, ())):
        start = at + len(gate)
        if start < done:
            continue
        end = min(len(text), start + _REACH)
        for stop in (text.find("\n", start, end), text.find("\x00", start, end)):
            if stop >= 0:
                end = min(end, stop)
        if start >= end:
            continue
        if text[start] in "'\"":
            m = _STRING_RE.match(text, start, end)
            end = m.end() if m is not None else end
        if text[start] in "'\"[{(":
            _strings(text, start, end, out, tally)
        elif (m := _NUMBER_RE.match(text, start, end)) is not None and _key_is_secret(
                low, at + (1 if gate[0] == "'" else 0)):
            out.append((start, m.end(), tally.hit("filtered")))
        done = end
    return out
