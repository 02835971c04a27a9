"""The pattern rules: what identifies a home in the words real software logs, for any host.

`scrub_blob` runs every rule once over a text (an event's unique strings joined by NUL) and
returns it with each finding replaced by its typed placeholder.

Rules are tried only where they can match: keywords are found in one pass (`words`), and the
rules that start at a digit or hex run only at the candidates `classes` finds at C speed, not
at every position by Python's `re` (which cost about 1 ms per rule and 50 KB of text).

Rules are written for linear time: every quantifier that can meet a long run is possessive or
bounded, and every rule that scans a run may only START at the run's first character (a
look-behind rejects positions inside it), so no input makes a rule try O(n) starts of O(n)
work each. tests/test_scrub_linear.py attacks every rule with repetitions of its own prefixes
and separators and checks that the time per KB does not grow with the length.

Each rule finds a value whatever stands next to it: a rule that consumed more than the value
(a run of digit groups, a key with its separator) hands the rest back to the scan, and the
placeholders match no rule, so the result is a fixed point.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from crash_reporter.scrub import (
    clients,
    devices,
    endpoints,
    fingerprints,
    keys,
    mesh,
    names,
    numbers,
    paths,
    secrets,
)
from crash_reporter.scrub.allowlist import (
    DEFAULT_NAMES,
    PRIVATE_SUFFIXES,
    TLDS,
    host_is_kept,
)
from crash_reporter.scrub.hosts import HostMatcher
from crash_reporter.scrub.numbers import HEXCOLON
from crash_reporter.scrub.paths import KEPT_SEGMENTS
from crash_reporter.scrub.phrases import GATES as _PHRASE_GATES
from crash_reporter.scrub.phrases import WORDS as _PHRASE_WORDS
from crash_reporter.scrub.phrases import context_edits, phrase_edits
from crash_reporter.scrub.tokens import (
    PLACEHOLDER_VALUES,
    Edit,
    Tally,
    lower,
    splice,
)
from crash_reporter.scrub.words import find_words, word_starts
from crash_reporter.scrub.words import words as compile_words

_GATES: Final = ("\\\\", *_PHRASE_GATES, *fingerprints.GATES, *endpoints.GATES, *devices.GATES,
                 *names.GATES, *clients.GATES, *mesh.GATES)  # "\\\\": a UNC share (`_hosts`)

# --- hosts --------------------------------------------------------------------------------

_EMAIL_RE: Final = re.compile(r"@[\w-]++(?:\.[\w-]++)*+")
_UNIT_TYPES: Final = frozenset({"service", "socket", "timer", "mount", "automount", "scope",
                               "slice", "target", "path", "device", "swap"})
_EMAILLOCAL: Final = frozenset(".!#$%&*+=?^_~-")  # RFC 5322 allows more; logs do not
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

# --- the rules, in the order they run ------------------------------------------------------


def _kv_and_ssid_words(low: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]],
                                          list[tuple[int, int]], dict[str, list[int]]]:
    """Every keyword of the key-value, SSID and phrase rules, and the gates, in one pass.

    The gates are the rare literals of `context_edits`' line shapes (and of the fingerprint,
    endpoint and device rules) that occur in `low`, each with where it starts.
    """
    kv, short, ssid, phrases, gates = compile_words(
        keys.WORDS, keys.SHORT_WORDS, keys.SSID_WORDS, _PHRASE_WORDS, _GATES).find(low)
    anchors = kv + word_starts(low, short)
    anchors.sort()
    gate_starts: dict[str, list[int]] = {}
    for i, j in gates:
        gate_starts.setdefault(low[i:j], []).append(i)
    return anchors, word_starts(low, ssid), word_starts(low, phrases), gate_starts


def _emails(text: str, tally: Tally) -> list[Edit]:
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


def _hosts(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Host names: in URLs, shares, after 'host'/'server', and names under a known TLD.

    `gates`: the gates found before the key-value rules ran (a replacement can remove the
    double backslash of a share, never make one: a placeholder holds no backslash).
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


def _host_ports(text: str, low: str, tally: Tally) -> list[Edit]:
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


def scrub_blob(text: str, hosts: HostMatcher, tally: Tally) -> str:
    """Run every rule once over `text` (unique strings joined by NUL); return the result."""
    if "-----BEGIN " in text:
        text = secrets.pem(text, tally)
    text = splice(text, secrets.known_token_edits(text, tally))
    low = lower(text)
    if "//" in text and "@" in text:
        text = secrets.url_auth(text, tally)
        low = lower(text)
    text = splice(text, secrets.bearer_edits(text, low, tally))
    low = lower(text)
    anchors, ssid_words, phrase_words, gates = _kv_and_ssid_words(low)
    text = splice(text, keys.edits(text, low, tally, anchors)
                  + keys.ssid_edits(text, low, tally, ssid_words)
                  + phrase_edits(text, low, phrase_words, tally)
                  + context_edits(text, low, gates, tally)
                  + fingerprints.edits(text, gates, tally) + endpoints.edits(text, gates, tally)
                  + names.edits(text, low, gates, tally) + clients.edits(text, low, gates, tally)
                  + mesh.edits(text, low, gates, tally))
    low = lower(text)
    if "@" in text:
        text = splice(text, _emails(text, tally))
        low = lower(text)
    text = splice(text, _hosts(text, low, gates, tally))
    low = lower(text)
    if ":" in text:
        text = splice(text, _host_ports(text, low, tally))
        low = lower(text)
    if hosts.forms:
        text = splice(text, hosts.edits(text, low, tally))
    text = splice(text, numbers.hex_edits(text, tally))
    text = splice(text, devices.edits(text, set(gates), tally))
    text = splice(text, numbers.colon_edits(text, tally))
    text = splice(text, numbers.iban_edits(text, tally))
    if "+" in text:
        text = splice(text, numbers.phone_edits(text, tally))
    if "\u00b0" in text:
        text = splice(text, numbers.dms_edits(text, tally))
    text = splice(text, numbers.digit_edits(text, tally))
    low = lower(text)
    return splice(text, paths.edits(text, low, tally))
