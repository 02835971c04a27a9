"""The registry and the account in a Docker image's name, where Docker and its clients write it.

An app's image is "[registry[:port]/]account/.../name[:tag]": on a private registry the
registry is the home's own host ("registry.smith-family.de:5000/jean/zigbee-bridge"), and on
a public one the account may be the user's own ("ghcr.io/jeansmith/my-app"). The Docker daemon
quotes the name in its errors, which aiodocker's DockerError ("[404] No such image: x") and
docker-py's APIError render as they are ("pull access denied for x, repository does not exist
...", "manifest for x:1.2 not found: manifest unknown"); docker-py's APIError also gives the
request's URL, with the name in the API path ("http+docker://localhost/v1.46/images/<name>/json")
or URL-encoded in the pull's query ("/images/create?tag=1.2&fromImage=registry.x%2Fjean%2Fapp");
the Supervisor logs it too ("Downloading docker image %s with tag %s.", "Can't install %s:%s
-> %s", "Updating image %s:%s to %s:%s", "Can't create container from %s:%s: %s").

After those literals (`GATES`, found in the keyword pass) one image name is read: a registry
no allowlist holds becomes ``[hostname]`` and the account (the segment after it) ``[user]``;
the image's own name and tag stay, for triage, as do public registries and the Supervisor's built-in
accounts (home-assistant, hassio-addons, esphome, music-assistant) and Docker Hub's "library".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import host_is_kept
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

GATES: Final = ("no such image: ", "pull access denied for ", "manifest for ", "fromimage=",
                "/images/", "docker image ", "updating image ", "can't install ",
                "container from ")

# An image's name: segments joined by "/" (or "%2F" in a query), a registry's port after the
# first, a tag after the last ("%3A" for ":" in a query)
_REF_RE: Final = re.compile(
    r"[\w.-]{1,255}+(?:(?::|%3[aA])\d{1,5}+(?=/|%2[fF]))?+(?:(?:/|%2[fF])[\w.-]{1,255}+){1,8}+")
_SEP_RE: Final = re.compile(r"/|%2[fF]")
_PORT_RE: Final = re.compile(r"(?::|%3[aA])\d{1,5}+\Z")
# The Docker API's version before "/images/": "/v1.46/images/<name>/json"
_API_RE: Final = re.compile(r"/v1\.\d{1,3}+\Z")
# What follows the image's name in the Docker API's paths
_API_VERBS: Final = frozenset({"json", "push", "tag", "history", "get"})
_BUILTIN_ACCOUNTS: Final = frozenset({"home-assistant", "hassio-addons", "esphome",
                                      "music-assistant", "library", "homeassistant"})


def _ref(text: str, start: int, api: bool, out: list[Edit], tally: Tally) -> int:
    """The edits for the image name that starts at `start`; return where it ends."""
    m = _REF_RE.match(text, start)
    if m is None:
        return start
    spans: list[tuple[int, int]] = []
    pos = m.start()
    for sep in _SEP_RE.finditer(text, m.start(), m.end()):
        spans.append((pos, sep.start()))
        pos = sep.end()
    spans.append((pos, m.end()))
    if api and text[spans[-1][0]:spans[-1][1]] in _API_VERBS:
        spans.pop()
    if len(spans) < 2:
        return m.end()  # a bare name ("homeassistant", "ubuntu"), no account
    first_start, first_end = spans[0]
    first = text[first_start:first_end]
    port = _PORT_RE.search(first)
    host = first[:port.start()] if port is not None else first
    if "." in host or port is not None or host == "localhost":
        if not host.replace(".", "").isdigit() and not host_is_kept(host):  # IPs: digits
            out.append((first_start, first_start + len(host), tally.hit("hostname")))
        spans = spans[1:]
    if len(spans) >= 2:  # the account; the segments after it name the image
        seg_start, seg_end = spans[0]
        account = text[seg_start:seg_end]
        if account not in PLACEHOLDER_VALUES and account.lower() not in _BUILTIN_ACCOUNTS:
            out.append((seg_start, seg_end, tally.hit("user")))
    return m.end()


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """The registry and accounts of the image names after `GATES`.

    `gates`: where each of `GATES` starts in the lowercased text (the keyword pass).
    """
    out: list[Edit] = []
    done = 0  # a name is read once, however many gates it holds
    for at, gate in sorted((i, g) for g in GATES for i in gates.get(g, ())):
        api = gate == "/images/"
        if at < done or (api and _API_RE.search(text, max(0, at - 8), at) is None):
            continue  # inside a name already read, or a folder named images
        done = _ref(text, at + len(gate), api, out, tally)
    return out
