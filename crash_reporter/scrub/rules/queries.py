"""People's names and their folders in the query of a URL an exception quotes.

Exceptions give the URL of the request that failed, query and all: aiohttp's
ClientResponseError ("404, message='Not Found', url='http://x/api?name=Jean+Smith'"), urllib3's
MaxRetryError under requests and docker-py ("Max retries exceeded with url: /a?path=%2Fmedia
%2FJean"), docker-py's APIError. The keys family removes secrets and accounts by their key
(token, password, user, login, ssid); what it leaves are the query's names of a person
("account=", "name=", "fullname=", "first_name=", ...) and the paths a file API was asked for,
URL-encoded by urllib ("path=%2Fhome%2Fjean%2Fphotos"), which the paths family cannot read.

After "?key=" and "&key=" (`GATES`, found in the keyword pass) the value, up to the next "&",
"#" or the URL's end, becomes ``[user]`` for a person's name, and the folder after a user's or
a share's ("%2Fhome%2F", "%2Fmedia%2F", "%2Fshare%2F" ...) ``[path-user]`` for a path. The
Supervisor's own containers' names ("name=addon_core_ssh", "name=hassio_dns") stay: they are
app slugs, which triage needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

_NAME_KEYS: Final = ("account", "name", "fullname", "full_name", "first_name", "firstname",
                     "last_name", "lastname", "surname", "nickname", "display_name",
                     "displayname", "realname", "real_name", "person", "contact")
_PATH_KEYS: Final = ("path", "file", "filename", "dir", "folder", "src", "dest", "source",
                     "target")
GATES: Final = tuple(f"{sep}{key}=" for key in (*_NAME_KEYS, *_PATH_KEYS) for sep in "?&")
_PATH_GATES: Final = frozenset(f"{sep}{key}=" for key in _PATH_KEYS for sep in "?&")

_VALUE_RE: Final = re.compile(r"[^&#\s'\"()<>\[\]\x00]{1,256}+")
# The Supervisor's containers (docker-py's "containers/create?name=addon_local_x") and
# Home Assistant's: app slugs, not people
_CONTAINER_RE: Final = re.compile(r"(?:addon_|hassio_|homeassistant)[\w.-]{0,64}+")
# A user's or a share's folder, its slashes URL-encoded (in the lowercased value), then the
# folder's name (to the next encoded slash)
_ENCODED_USERPATH_RE: Final = re.compile(
    r"(?:%2fmnt)?+(?:%2fdata)?+(?:%2fsupervisor)?+%2f(?:home|users|media|share|mounts)%2f"
    r"(?:root%2f)?+")
_SEGMENT_RE: Final = re.compile(r"(?:(?!%2[fF])[^/\s&#'\"]){1,256}+")


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Names and user folders in query values after `GATES`.

    `gates`: where each of `GATES` starts in `low`, the lowercased text (the keyword pass).
    """
    out: list[Edit] = []
    for gate in GATES:
        for at in gates.get(gate, ()):
            start = at + len(gate)
            m = _VALUE_RE.match(text, start)
            if m is None or m.group(0) in PLACEHOLDER_VALUES:
                continue
            end = m.end()
            while end > start + 1 and text[end - 1] in ":.,;":
                end -= 1  # the sentence's: "...?name=addon_local_x: Bad Request"
            if gate not in _PATH_GATES:
                if _CONTAINER_RE.fullmatch(low, start, end) is None:
                    out.append((start, end, tally.hit("user")))
                continue
            folder = _ENCODED_USERPATH_RE.match(low, start, end)
            if folder is None:
                continue
            seg = _SEGMENT_RE.match(text, folder.end(), end)
            if seg is not None and seg.group(0).lower() not in {"root", "[path-user]"}:
                out.append((seg.start(), seg.end(), tally.hit("path-user")))
    return out
