"""The titles of Home Assistant's config entries, where its config_entries lines name them.

A config entry's title is what Settings > Devices & services shows for an integration's entry:
the name a user gave it or the account, person, home or device the integration set up ("Jean
Smith" for Withings, "Smith Home" for Ecobee, "Jean's iPhone" for the mobile app). Home
Assistant (homeassistant/config_entries.py) logs it beside the integration's domain:

- "Error setting up entry %s for %s", "Error setting up entry %s for %s: %s", "Error unloading
  entry %s for %s", "Error calling entry remove callback %s for %s";
- "Config entry '%s' for %s integration %s" (could not authenticate, not ready yet; Retrying
  in %d seconds);
- "The config entry %s (%s) with entry_id %s cannot be ...", "Not setting up %s (%s %s)
  again, already loaded";
- the name of its retry task, f"config entry retry {domain} {title}", in asyncio's Task repr
  ("Task exception was never retrieved ... <Task finished name='config entry retry ...'").

The title becomes ``[device]`` (a name chosen whole, as `names` replaces a friendly name); the
domain, which says what failed, stays. A title that is only the integration's own name ("Sun"
for sun) or a default word ("Home") stays; an e-mail or an address is left to their own rules.
Each shape is matched only where its literal (`GATES`, found in the keyword pass) starts, with
a bounded title, so the time stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

_TITLE: Final = r"(?P<title>[^\n\x00]{1,200}?)"
_DOMAIN: Final = r"(?P<domain>[a-z0-9_]{2,64}+)"
_END: Final = r"(?=:|[ \t]*+(?:\n|\x00|\Z))"
# (lowercased literal, the line's shape from there)
_SHAPES: Final = (
    ("error setting up entry ", re.compile(r"error setting up entry " + _TITLE + r" for "
                                           + _DOMAIN + _END, re.IGNORECASE)),
    ("error unloading entry ", re.compile(r"error unloading entry " + _TITLE + r" for "
                                          + _DOMAIN + _END, re.IGNORECASE)),
    ("entry remove callback ", re.compile(r"entry remove callback " + _TITLE + r" for "
                                          + _DOMAIN + _END, re.IGNORECASE)),
    ("config entry '", re.compile(r"config entry '" + _TITLE + r"' for " + _DOMAIN
                                  + r" integration ", re.IGNORECASE)),
    ("the config entry ", re.compile(r"the config entry " + _TITLE + r" \(" + _DOMAIN
                                     + r"\) with entry_id ", re.IGNORECASE)),
    ("not setting up ", re.compile(r"not setting up " + _TITLE + r" \(" + _DOMAIN
                                   + r" [0-9A-Za-z]{26}\) again", re.IGNORECASE)),
    # the retry's task, as asyncio shows it ("<Task pending name='config entry retry %s %s'
    # coro=<...>>", the name in double quotes when the title holds an apostrophe)
    ("config entry retry ", re.compile(r"config entry retry " + _DOMAIN + " " + _TITLE
                                       + r"['\"](?= coro=| wait_for=|>|[ \t]*+(?:\n|\x00|\Z))")),
)
GATES: Final = tuple(literal for literal, _ in _SHAPES)
_ADDRESS_RE: Final = re.compile(  # an IP address, an e-mail address
    r"[0-9A-Fa-f.:\[\]]++|[^@\s]{1,64}+@[\w-]{1,63}+(?:\.[\w-]{1,63}+)++")


def _title_ok(title: str, domain: str) -> bool:
    """True for a title worth removing: not a placeholder, the domain's own name, a default."""
    low = title.lower().strip()
    if not low or title in PLACEHOLDER_VALUES or low.startswith("[") or low in DEFAULT_NAMES:
        return False
    if low.replace(" ", "_").replace("-", "_") == domain:
        return False  # "Sun" for sun, "Google Translate text-to-speech" is not
    return _ADDRESS_RE.fullmatch(title) is None  # an address, an e-mail: their own rules'


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Config entry titles in Home Assistant's config_entries lines.

    `gates`: where each of `GATES` starts in the lowercased text (the keyword pass).
    """
    out: list[Edit] = []
    for literal, shape in _SHAPES:
        for at in gates.get(literal, ()):
            m = shape.match(text, at)
            if m is not None and _title_ok(m.group("title"), m.group("domain")):
                out.append((m.start("title"), m.end("title"), tally.hit("device")))
    return out
