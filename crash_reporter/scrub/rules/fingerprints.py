"""Key fingerprints and public keys: what names one person's SSH key or one home's certificate.

A key's fingerprint is as identifying as the key: the same user key logs in to every machine
its owner uses, and a host key names one host for as long as it lives. OpenSSH writes them as
``SHA256:`` and 43 base64 characters (sshd's "Accepted publickey for root from ... ssh2:
ED25519 SHA256:...", ssh's "Server host key: ssh-ed25519 SHA256:...", ssh-keygen -l) or, with
``-E md5``, as ``MD5:`` and 16 colon-separated hex pairs; Dropbear writes "md5 9d:38:..";
OpenSSL and browsers write a certificate's SHA-1 or SHA-256 as 20 or 32 hex pairs. Public keys
appear whole in authorized_keys lines an app logs when it rejects one ("ssh-ed25519
AAAAC3NzaC1lZDI1NTE5... jean@laptop"), followed by their comment, by default the owner's
user@host.

`edits` takes the prefixed fingerprints and the public keys (with a user@host comment after
either), matched only where one of `GATES` (found in the keyword pass) starts. Bare runs of 16
or more hex pairs are recognised where colon runs are walked (`digits.colon_edits`, through
`is_fingerprint`). The algorithm's name stays: it tells triage which kind of key was used.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, SEP, Edit, Tally

# Lowercased literals, found in the keyword pass: a prefixed fingerprint, and what every
# OpenSSH public key's base64 holds ("ssh-" and "ecdsa" of its type, at either alignment).
GATES: Final = ("sha256:", "sha1:", "sha384:", "sha512:", "md5:", "md5 ", "nzac1", "vjzhnh")

# OpenSSH's sshkey_fingerprint(): "SHA256:" + unpadded base64, or "MD5:" + hex pairs. Only
# upper-case names: a Docker image digest ("sha256:" + 64 hex) is a public name, not a key.
# Each pattern starts with a literal, so that `re` finds its candidates at C speed (a look-behind
# first would make it try every position: ~1.5 ms per 50 KB of log, where Docker's "sha256:"
# digests open the gate).
_HEX_PAIRS: Final = r"([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15,63}+)(?![0-9A-Fa-f:])"
_PREFIXED_RES: Final = (
    re.compile(r"SHA(?<![A-Za-z0-9]SHA)(?:1|256|384|512):(?:" + _HEX_PAIRS
               + r"|([A-Za-z0-9+/]{27,88}+={0,2}+)(?![A-Za-z0-9+/=]))"),
    re.compile(r"MD5(?<![A-Za-z0-9]MD5):" + _HEX_PAIRS),
    re.compile(r"md5 (?<![A-Za-z0-9]md5 )" + _HEX_PAIRS),  # Dropbear
)
# A public key's base64: length-prefixed type name first, so it starts "AAAA".
_BLOB_RE: Final = re.compile(r"AAAA(?<![A-Za-z0-9+/]AAAA)[A-Za-z0-9+/]{40,}+={0,3}+")
_KEY_TYPE_RE: Final = re.compile(rb"(?:sk-)?(?:ssh|ecdsa)-[a-z0-9@.-]{1,60}")
# The key's comment when it is a user@host (ssh-keygen's default): after the key or its
# fingerprint ("... jean@laptop"), or before its type as ssh -v names a key from the agent
# ("Offering public key: jean@laptop ED25519 SHA256:...").
_COMMENT_RE: Final = re.compile(r"[ \t]++([A-Za-z0-9._-]{1,64}+@[A-Za-z0-9.-]{1,253}+)")
# (matched once, on the reversed text before the type: "jean@laptop ED25519 " backwards)
_COMMENT_BEFORE_REV_RE: Final = re.compile(
    r" [A-Z0-9-]{2,24}+ ([A-Za-z0-9.-]{1,253}+@[A-Za-z0-9._-]{1,64}+)(?![^\s:])")
# A known_hosts line (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), as ssh-keyscan prints it and apps
# log it: the host patterns (comma-separated names, "[name]:port", hashed "|1|salt|hash"), the
# key's type, then the key. At a line's start any patterns; after other words only those that
# look like hosts (a dot, a dash, a digit, a bracket, a comma or a hash), not an option
# ('command="x"') or a word ("Invalid key:").
_KEY_TYPE_TEXT_RE: Final = re.compile(r"(?:sk-)?+(?:ssh|ecdsa)-[\w@.-]{1,60}+")
_HOST_LIKE: Final = frozenset(".-0123456789[,|")
_HOST_PATTERN_RE: Final = re.compile(r"\[?+([^\[\],]{1,255}+)(?:\]:\d{1,5}+)?+")
_ADDRESS_CHARS: Final = frozenset("0123456789abcdefABCDEF:.%")
# Hex pairs: 16 (MD5), 20 (SHA-1), 32 (SHA-256), 48, 64 - never a MAC (6) or an EUI-64 (8).
_PAIRS_RE: Final = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15,63}")


def is_fingerprint(run: str) -> bool:
    """True if a run of hex digits and colons is a fingerprint: 16 or more hex pairs."""
    return run.count(":") >= 15 and _PAIRS_RE.fullmatch(run) is not None


def _is_public_key(blob: str) -> bool:
    """True if `blob` decodes to an SSH public key (its length-prefixed type name first)."""
    head = blob[:64]
    try:
        raw = base64.b64decode(head[: len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        return False
    n = int.from_bytes(raw[:4], "big")
    return 7 <= n <= 64 and _KEY_TYPE_RE.fullmatch(raw[4:4 + n]) is not None


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Fingerprints and public keys in `text`.

    `gates`: where each of `GATES` starts in the text (the keyword pass); the patterns are
    matched there only, in the original case.
    """
    out: list[Edit] = []
    ends: list[int] = []
    prefixed: list[re.Match[str]] = []
    for gate in GATES[:6]:
        pattern = _PREFIXED_RES[0 if gate.startswith("sha") else 1 if gate == "md5:" else 2]
        for at in gates.get(gate, ()):
            if (m := pattern.match(text, at)) is not None:
                prefixed.append(m)
    for m in prefixed:
        group = m.lastindex or 1
        out.append((m.start(group), m.end(group), tally.hit("fingerprint")))
        ends.append(m.end())
        c = _COMMENT_BEFORE_REV_RE.match(text[max(0, m.start() - 350):m.start()][::-1])
        if c is not None:
            start = m.start() - c.end(1)
            out.append((start, m.start() - c.start(1), tally.hit("user")))
    for at in sorted({text.rfind("AAAA", max(0, at - 16), at) for gate in GATES[6:]
                      for at in gates.get(gate, ())} - {-1}):
        m = _BLOB_RE.match(text, at)  # the blob starts "AAAA" a few characters before
        if m is not None and _is_public_key(m.group(0)):
            out.append((m.start(), m.end(), tally.hit("public-key")))
            ends.append(m.end())
            _known_hosts(text, m.start(), out, tally)
    for end in ends:
        c = _COMMENT_RE.match(text, end)
        if c is not None:
            out.append((c.start(1), c.end(1), tally.hit("user")))
    return out


def _known_hosts(text: str, key: int, out: list[Edit], tally: Tally) -> None:
    """The host patterns of a known_hosts line whose key starts at `key`.

    Names become ``[hostname]``, a hashed name too (its salted hash names the host to anyone
    who guesses it); addresses are the address rules'.
    """
    if key < 2 or text[key - 1] != " ":
        return
    kind = text.rfind(" ", max(0, key - 64), key - 1) + 1
    if not kind or _KEY_TYPE_TEXT_RE.fullmatch(text, kind, key - 1) is None:
        return
    floor = max(0, kind - 1025)
    start = max(text.rfind(" ", floor, kind - 1), text.rfind("\n", floor, kind - 1),
                text.rfind("\t", floor, kind - 1), text.rfind(SEP, floor, kind - 1),
                text.rfind('"', floor, kind - 1), floor - 1) + 1  # a quote ends what was before
    hosts = text[start:kind - 1]
    at_line_start = not start or text[start - 1] in "\n" + SEP or (
        text.startswith(("@cert-authority ", "@revoked "), text.rfind("@", max(0, start - 17),
                                                                      start)))
    if not hosts or '"' in hosts or ("=" in hosts and not hosts.startswith("|1|")) or (
            hosts.endswith(":")) or not (
            at_line_start or not _HOST_LIKE.isdisjoint(hosts)):
        return
    pos = start
    for entry in hosts.split(","):
        begin = pos
        pos += len(entry) + 1
        if entry.startswith("|1|"):
            out.append((begin, begin + len(entry), tally.hit("hostname")))
            continue
        p = _HOST_PATTERN_RE.fullmatch(entry)
        name = p.group(1) if p else entry
        low = name.lower().rstrip(".")
        if (not name or _ADDRESS_CHARS.issuperset(name) or name in PLACEHOLDER_VALUES
                or low in DEFAULT_NAMES or host_is_kept(low.lstrip("*."))):
            continue
        at = begin + (p.start(1) if p else 0)
        out.append((at, at + len(name), tally.hit("hostname")))
