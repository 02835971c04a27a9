"""Host names that no host list holds, found by where they stand.

- `email_edits`: e-mail addresses, local part and domain;
- `edits`: hosts in URLs, network shares (UNC, SMB, NFS: the server and the folders a user
  named), names after "host", "server", "peer", "resolve", "lookup", and any name ending in a
  public TLD or a private suffix (".fritz.box", ".home.arpa");
- `port_edits`: names before a port ("living-room.smithnet:1883").

Public hosts and internal names stay (`allowlist`). This host's own names, learned on the
device, are `hosts`' job; the names a connection or a daemon's sentence gives are
`endpoints`' and `phrases`'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, PRIVATE_SUFFIXES, TLDS, host_is_kept
from crash_reporter.scrub.rules import endpoints
from crash_reporter.scrub.rules.digits import HEXCOLON
from crash_reporter.scrub.rules.paths import KEPT_SEGMENTS
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally
from crash_reporter.scrub.words import find_words

GATES: Final = ("\\\\",)  # a UNC share's two backslashes, found in the keyword pass

_EMAIL_RE: Final = re.compile(r"@[\w-]++(?:\.[\w-]++)*+")
_UNIT_TYPES: Final = frozenset({"service", "socket", "timer", "mount", "automount", "scope",
                               "slice", "target", "path", "device", "swap"})
_EMAILLOCAL: Final = frozenset(".!#$%&*+?^_~-")  # RFC 5322 allows more (and "="); logs do not
_URLHOST_RE: Final = re.compile(r"://(\[auth\]@)?([^\s/?#:@\[\]'\"<>(){},;\\\x00]++)")
# The two backslashes first (a literal to search for), then what stands before them.
# The kernel's CIFS client names the server alone: "CIFS: VFS: \\nas Send error in SessSetup".
_UNC_RE: Final = re.compile(r"\\\\(?<![\w\\]\\\\)([A-Za-z0-9][\w.$-]{0,252}+)(?=\\|[ \t]|\Z)")
_SMB_RE: Final = re.compile(r"//([A-Za-z0-9][\w.-]{0,252}+)(?=/)")
_NFS_RE: Final = re.compile(r":/(?![/\s])")
# The folders of a share after its server ("//nas/Garage", "nas:/volume1/Garage"): a name the
# user gave, unless a generic word or a number; at most a few segments are looked at.
_SHARE_SEGMENTS_RE: Final = re.compile(r"(?:[/\\][^/\\\s'\"\x00:;,()\[\]{}<>]{1,255}+){1,4}+")
_HOSTCHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_HOST_WORDS: Final = ("host", "server", "peer", "resolve", "lookup")
_HOST_TAIL_RE: Final = re.compile(  # in the lowercased text
    r"(?:name)?(?:[ \t]*+[=:][ \t]*+|[ \t]++)(['\"]?)([a-z0-9][\w.-]{0,252}+)")


def _trie(words: Iterable[str]) -> str:
    """A regex alternation of `words` as a trie, longer words first at every point.

    Each character is tested once, not once per word; the result matches what an alternation
    sorted longest first matches.
    """
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            if not alts:
                return ""
            alts.append("")  # the shorter word last
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(tree)


_TLD_RE: Final = re.compile(  # in the lowercased text: ".de", ".fritz.box" ... ending a name
    r"\.(" + _trie((*TLDS, *PRIVATE_SUFFIXES)) + r")(?![\w-]|\.[a-z0-9])"
)
_PORT_RE: Final = re.compile(r":\d{1,5}+(?!\d)")
_NOT_HOSTS: Final = frozenset({"http", "https", "file", "ftp", "smb", "nfs", "cifs", "unix",
                               "tcp", "udp", "ws", "wss", "mqtt", "error", "warning", "path",
                               "dir", "at", "in", "from", "to", "on", "is", "not", "and"})
_CODE_EXT: Final = frozenset({"py", "pyc", "go", "c", "h", "cc", "cpp", "js", "ts", "rs",
                              "sh", "so", "json", "yaml", "yml", "txt", "log", "conf", "toml"})
_PORT_AT_RE: Final = re.compile(r":\d{2,5}+(?![\d.]|:\d)")  # "host:1883: refused"
_HOST_BEFORE: Final = frozenset(" \t\n(\"'=,<>@")
_ASCII_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz")  # in the lowercased text


def email_edits(text: str, tally: Tally) -> list[Edit]:
    """E-mail addresses (not systemd template units: "systemd-coredump@0-1.service")."""
    edits: list[Edit] = []
    last_end = 0
    for m in _EMAIL_RE.finditer(text):
        domain = m.group(0)
        if "." not in domain:
            continue
        tld = domain.rsplit(".", 1)[1]
        if len(tld) < 2 or not tld.isalpha() or tld.lower() in _UNIT_TYPES:
            continue  # not an address: a systemd template unit ("systemd-coredump@0-1.service")
        start = m.start()
        floor = max(last_end, start - 64)
        while start > floor and (text[start - 1].isalnum() or text[start - 1] in _EMAILLOCAL):
            start -= 1
        if start < m.start():
            edits.append((start, m.end(), tally.hit("email")))
            last_end = m.end()
    return edits


def _host_ok(host: str) -> bool:
    """True if a host name found in a host position may stay."""
    low = host.lower().rstrip(".")
    if low in PLACEHOLDER_VALUES or low in _NOT_HOSTS or host_is_kept(low):
        return True
    return all(ch.isdigit() or ch == "." for ch in low)  # an IPv4 address: its own rule


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Host names: in URLs, shares, after 'host'/'server', and names under a known TLD.

    `gates`: the gates of the keyword pass, found before the key-value rules ran (`GATES`
    among them: a replacement can remove the double backslash of a share, never make one, as
    a placeholder holds no backslash).
    """
    edits: list[Edit] = []
    for m in _URLHOST_RE.finditer(text) if "://" in text else ():
        if not _host_ok(m.group(2)):
            edits.append((m.start(2), m.end(2), tally.hit("hostname")))
    if "\\\\" in gates:  # a search for two characters would cost a pass over the text
        for m in _UNC_RE.finditer(text):
            _share_host(text, m.group(1), m.start(1), edits, tally)
            _share_path(text, m.end(1), edits, tally)
    if "//" in text:
        for m in _SMB_RE.finditer(text):
            if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_:/."):
                continue
            _share_host(text, m.group(1), m.start(1), edits, tally)
            _share_path(text, m.end(1), edits, tally)
    if ":/" in text:
        for m in _NFS_RE.finditer(text):
            start = m.start()
            floor = max(0, start - 253)
            while start > floor and text[start - 1] in _HOSTCHARS:
                start -= 1
            if start and text[start - 1] in ":/":
                continue
            while start < m.start() and not text[start].isalnum():
                start += 1
            if start < m.start():
                _share_host(text, text[start:m.start()], start, edits, tally)
                _share_path(text, m.start() + 1, edits, tally)
    # The journal prefixes' hosts are "[hostname]" by now, often hundreds: the "host" in
    # them (which no host can follow) is hidden from the search, in a copy of equal length.
    words_low = low.replace("[hostname]", "[h0stname]") if "[hostname]" in low else low
    for _start, word_end in find_words(words_low, _HOST_WORDS, word_start=True,
                                       extra_before="_"):
        named = _HOST_TAIL_RE.match(low, word_end)
        if named is None:
            continue
        host = named.group(2).rstrip(".")
        end = named.start(2) + len(host)
        if _host_ok(host) or host.rsplit(".", 1)[-1] in _CODE_EXT:
            continue
        if low.startswith(":", end) and all(c in HEXCOLON for c in host):
            continue  # "DNS server 2a02:8106::1": an IPv6 address, the colon rule's
        if not (named.group(1) or _PORT_RE.match(low, end) or any(c in host for c in ".-_")
                or any(c.isdigit() for c in host)):
            continue  # a plain word after "host" ("host is down") is not a name
        edits.append((named.start(2), end, tally.hit("hostname")))
    last_end = 0
    for m in _TLD_RE.finditer(low):
        if m.start() < last_end:
            continue
        start = m.start()
        floor = max(last_end, start - 253)
        while start > floor and low[start - 1] in _HOSTCHARS:
            start -= 1
        while start < m.start() and not low[start].isalnum():
            start += 1
        if start == m.start() or (start and low[start - 1] in "@/\\"):
            continue
        if low[start:m.start()].replace(".", "").isdigit():
            continue  # a number before a TLD-like word ("_0.no", "step 2.de") names no host
        if "._tcp." in low[start - 1:m.end()] or "._udp." in low[start - 1:m.end()]:
            continue  # a DNS-SD service type ("._airplay._tcp.local"): the instance is named
        #             by the service rule (phrases), the type stays
        if m.group(1) in TLDS and host_is_kept(low[start:m.end()]):
            continue
        edits.append((start, m.end(), tally.hit("hostname")))
        last_end = m.end()
    return edits


def _share_path(text: str, at: int, edits: list[Edit], tally: Tally) -> None:
    """The folder names of a share's path at `at` (after its server) that a user chose."""
    m = _SHARE_SEGMENTS_RE.match(text, at)
    if m is None:
        return
    pos = at
    for seg in re.split(r"[/\\]", m.group(0))[1:]:
        pos += 1
        low = seg.lower()
        if not (low in DEFAULT_NAMES or low in KEPT_SEGMENTS or seg.isdigit()
                or seg in PLACEHOLDER_VALUES or seg.startswith("[")
                or low.rsplit(".", 1)[-1] in _CODE_EXT):
            edits.append((pos, pos + len(seg), tally.hit("share")))
        pos += len(seg)


def _share_host(text: str, host: str, at: int, edits: list[Edit], tally: Tally) -> None:
    """The server of a network share (//server/share, UNC paths, server:/path)."""
    if len(host) < 2 or _host_ok(host) or host.rsplit(".", 1)[-1] in _CODE_EXT:
        return
    edits.append((at, at + len(host), tally.hit("hostname")))


def port_edits(text: str, low: str, tally: Tally) -> list[Edit]:
    """Host names before a port: dotted with a dash, or after a connection verb.

    "broker living-room.smithnet:1883"; "connecting to mqtt.smithnet:1883" (`endpoints`).
    Otherwise "name.name:123" is as often a Python module and line ("supervisor.jobs:123")
    and is left to the TLD rule.
    """
    edits: list[Edit] = []
    last = 0
    for m in _PORT_AT_RE.finditer(low):
        start = m.start()
        if low[start - 1] not in _ASCII_LETTERS:  # a time ("12:30:45"), an address, a line
            last = m.end()  # number: the last label must be letters, so no host ends here
            continue
        floor = max(last, start - 253)
        while start > floor and low[start - 1] in _HOSTCHARS:
            start -= 1
        while start < m.start() and not low[start].isalnum():
            start += 1
        last = m.end()
        host = low[start:m.start()]
        if not host or (start and low[start - 1] not in _HOST_BEFORE):
            continue
        label = host.rsplit(".", 1)[-1]
        if (len(label) < 2 or not label.isalpha() or label in _CODE_EXT
                or host.startswith(("self.", "cls.")) or _host_ok(host)):
            continue
        if not (("." in host and "-" in host) or endpoints.connection_before(low, start)):
            continue
        edits.append((start, m.start(), tally.hit("hostname")))
    return edits
