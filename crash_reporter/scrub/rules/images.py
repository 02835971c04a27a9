r"""Private registries in Docker's image references: the registry's host and the account in it.

An app a user builds or mirrors lives on a registry of their own ("nas-dupont:5000/jean/zigbee",
"registry.dupont.lan/jean/app"), and dockerd names the image in its journal lines when a pull
or a start fails (daemon/images and distribution: "pull access denied for %s, repository does
not exist or may require 'docker login'", "No such image: %s", "manifest for %s not found",
"repository %s not found", the logrus field image="%s") and in the registry API's URLs it
tried ("Head \"https://nas-dupont:5000/v2/jean/zigbee/manifests/1.0\""). Docker reads a
reference's first component as a registry when it holds a "." or a ":" (a port) or is
"localhost" (distribution/reference); on a registry no host list keeps that host is
``[hostname]`` and the account that follows it, when a repository name still follows,
``[user]``. On a public registry (``ghcr.io``, ``docker.io`` ...) the host stays and so does a
publisher's account (``allowlist.PUBLISHERS``: ghcr.io/home-assistant/...); any other account
may be the user's own ("ghcr.io/jeandupont/my-app") and is ``[user]``, as a repository's owner
is (`repos`). The repository's name and tag stay, for triage.

The same names reach exceptions: aiodocker's DockerError and docker-py's APIError render the
daemon's message ("[404] No such image: x"), docker-py's also the request's URL, where a pull
gives the name URL-encoded ("/images/create?tag=1.2&fromImage=registry.x%3A5000%2Fjean%2Fapp");
and the Supervisor's own messages name it ("Can't install %s:%s -> %s", "Can't create
container from %s:%s: %s").

Every shape starts at a literal found in the keyword pass (`GATES`) and reads a bounded value
there with possessive quantifiers, so the time stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import PUBLISHERS, host_is_kept
from crash_reporter.scrub.tokens import Edit, Tally

# The words dockerd writes before an image reference
_BEFORE: Final = ("pull access denied for ", "no such image: ", "manifest for ", "repository ",
                  'image="', "image=", "image ", "pulling ", "reference ", "images/",
                  "can't install ", "container from ")
# A reference: registry host (with a port), account, then at least the repository's name
_REF_RE: Final = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9.-]{0,252}+)(:\d{1,5}+)?+/([a-z0-9][a-z0-9._-]{0,127}+)"
    r"/[a-z0-9][a-z0-9._/-]{0,255}+")
# The registry API's paths: /v2/<account>/<name>/manifests|blobs|tags
_V2: Final = "/v2/"
_V2_RE: Final = re.compile(r"([a-z0-9][a-z0-9._-]{0,127}+)/[a-z0-9][a-z0-9._/-]{0,255}?"
                           r"/(?:manifests|blobs|tags)/")
_URL_HOST_RE: Final = re.compile(r"//(?:[^\s/@'\"\x00]{1,256}+@)?+([A-Za-z0-9.[\]-]{1,253}+)"
                                 r"(?::\d{1,5}+)?+\Z")

# docker-py's pull: the reference URL-encoded in the query ("/" as %2F, ":" as %3A)
_FROM_IMAGE: Final = "fromimage="
_ENCODED_REF_RE: Final = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9.-]{0,252}+)((?:%3[aA]|:)\d{1,5}+)?+%2[fF]([a-z0-9][a-z0-9._-]{0,127}+)"
    r"%2[fF][a-z0-9]")

GATES: Final = (*_BEFORE, _V2, _FROM_IMAGE)


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Private registries' hosts and accounts in image references and registry API URLs."""
    out: list[Edit] = []
    for gate in (*_BEFORE, _FROM_IMAGE):
        for at in gates.get(gate, ()):
            m = (_ENCODED_REF_RE if gate == _FROM_IMAGE else _REF_RE).match(text, at + len(gate))
            host = m.group(1) if m is not None else "["
            if m is None or host.startswith("[") or (
                    m.group(2) is None and "." not in host and host != "localhost"):
                continue  # a placeholder, or Docker Hub's "account/name": public
            kept = host_is_kept(host)
            if kept and (m.group(2) is not None or m.group(3).lower() in PUBLISHERS):
                continue  # a publisher on a public registry: ghcr.io/home-assistant/...
            if not kept and not _is_ip(host):  # an address is the digits' rule's
                out.append((m.start(1), m.end(1), tally.hit("hostname")))
            out.append((m.start(3), m.end(3), tally.hit("user")))
    for at in gates.get(_V2, ()):
        url = _URL_HOST_RE.search(text, max(0, at - 128), at)
        m = _V2_RE.match(text, at + len(_V2)) if url is not None else None
        if url is not None and m is not None and not (
                host_is_kept(url.group(1)) and m.group(1).lower() in PUBLISHERS):
            out.append((m.start(1), m.end(1), tally.hit("user")))
    return out


def _is_ip(host: str) -> bool:
    return all(part.isdigit() for part in host.split("."))
