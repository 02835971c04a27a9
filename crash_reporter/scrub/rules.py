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

import bisect
import ipaddress
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
    paths,
    secrets,
)
from crash_reporter.scrub.allowlist import (
    DEFAULT_NAMES,
    PRIVATE_SUFFIXES,
    TLDS,
    host_is_kept,
    ip4_is_kept,
)
from crash_reporter.scrub.classes import (
    digit_candidates,
    find_all,
    hex_candidates,
    iban_candidates,
    scan,
)
from crash_reporter.scrub.hosts import HostMatcher
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

# "+49 170 1234567", "+1 (555) 123-4567", "tel:+4930123456"; 8-15 digits are counted after.
_PHONE_RE: Final = re.compile(
    r"\+(?<![\w+]\+)[1-9]\d{0,3}+(?:[ .-]?\(\d{1,4}+\))?(?:[ .-]?\d{1,8}+){1,6}+(?![\w.:])")
_DMS_RE: Final = re.compile(
    r"(?<!\d)\d{1,3}+\u00b0 ?\d{1,2}+['\u2032] ?\d{1,2}+(?:[.,]\d{1,6}+)?+(?:\"|\u2033|'')? ?"
    r"[NSEWnsew]?")
_PORT_AT_RE: Final = re.compile(r":\d{2,5}+(?![\d.]|:\d)")  # "host:1883: refused"
_HOST_BEFORE: Final = frozenset(" \t\n(\"'=,<>@")
_ASCII_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz")  # in the lowercased text

# --- numbers and hex ----------------------------------------------------------------------

_HEXLED_RE: Final = re.compile(  # the first hex digit is consumed, then looked behind
    r"[0-9A-Fa-f](?<![0-9A-Fa-f].)(?:"
    r"(?P<uuid>(?<![0-9A-Za-z_-].)[0-9A-Fa-f]{7}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}"
    r"-[0-9A-Fa-f]{12}(?![0-9A-Za-z_]))"
    r"|(?P<token>[0-9A-Fa-f]{31,}+(?![G-Zg-z_]))"
    r"|(?P<mac>(?<![0-9A-Za-z].)(?:[0-9A-Fa-f](?P<sep>[-_])(?:[0-9A-Fa-f]{2}(?P=sep)){4}"
    r"[0-9A-Fa-f]{2}|[0-9A-Fa-f]{3}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})"
    r"(?![0-9A-Za-z]|[-_.][0-9A-Fa-f])))"
)
# Only a text with "::" or four colons between hex groups can hold a MAC or IPv6 address.
_COLON_GATE_RE: Final = re.compile(r"::|:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:")
# Runs of hex digits and colons (MACs, IPv6, and times or code like ``x[::2]`` that stay):
# found from two colons close together (a literal to scan for), then widened.
_COLON_PAIR_RE: Final = re.compile(r":[0-9A-Fa-f]{0,4}+:")
_COLON_CHAIN_RE: Final = re.compile(r":(?=:|(?:[0-9A-Fa-f]{1,4}+:){4})")
_COLON_RUN_AT_RE: Final = re.compile(
    r"[0-9A-Fa-f:]++(?:\.\d{1,3}+){0,3}+(?:%[0-9A-Za-z_]++(?:[.-][0-9A-Za-z_]++)*+)?")
_HEXCOLON: Final = frozenset("0123456789abcdefABCDEF:")
# Up to the last character before `endpos` that no run of `_COLON_RUN_AT_RE` can hold.
_LAST_HARD_RE: Final = re.compile(r"(?s:.*)[^0-9A-Za-z_:.%-]")
_ANSI_BEFORE_RE: Final = re.compile(r"\x1b\[[\d;]{0,20}m\Z")
_DIGITLED_RE: Final = re.compile(  # the first digit is consumed, then looked behind
    r"\d(?<![\d.]\d)(?:"
    r"(?P<ip4>\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d|\.\d))"
    r"|(?P<geo>(?<![A-Za-z_].)\d{0,2}\.\d{4,}+,[ \t]?-?\d{1,3}\.\d{4,}+(?![\d.]))"
    r"|(?P<ssn>(?<!-.)\d\d-\d{2}-\d{4}(?![\d-]))"
    r"|(?P<num>(?<![A-Za-z_].)(?=\d{8}|\d{0,7}+[ -]\d)\d*+(?!\.\d)(?:[ -]\d++(?!\.\d))*+)"
    r")"
)
_SSN_IN_RUN_RE: Final = re.compile(r"(?<!\d)\d{3}([ -])\d{2}\1\d{4}(?!\d)")
_CARD_BRAND_RE: Final = re.compile(
    r"3[47]\d{13}|4\d{15}|5[1-5]\d{14}|2[2-7]\d{14}|6(?:011|5\d\d)\d{12}")
_IBAN_RE: Final = re.compile(
    r"\d\d(?<=(?<![A-Za-z0-9])[A-Za-z]{2}\d\d)(?:[ ]?[A-Za-z0-9]){11,32}(?![A-Za-z0-9])"
)

# --- paths --------------------------------------------------------------------------------


def _luhn(digits: str) -> bool:
    """True if the digit string passes the Luhn check (cards, IMEIs)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_class(digits: str) -> str | None:
    """Classify a 13-19 digit number: creditcard, imei, or None (not sensitive)."""
    n = len(digits)
    if n < 13 or n > 19:
        return None
    if _luhn(digits):
        if n == 15 and not digits.startswith(("34", "37")):
            return "imei"
        return "creditcard"
    if _CARD_BRAND_RE.fullmatch(digits):
        return "creditcard"
    return None


# Countries that use IBANs and the length of theirs (ISO 13616 registry).
_IBAN_LENGTHS: Final = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def _iban_valid(compact: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN without spaces."""
    if len(compact) < 15 or len(compact) > 34 or not compact[2:4].isdigit():
        return False
    moved = (compact[4:] + compact[:4]).upper()
    try:
        return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1
    except ValueError:
        return False


def _is_ip6(cand: str) -> bool:
    """True if `cand` (maybe with a zone id) is an IPv6 address worth scrubbing."""
    if "::" not in cand and cand.count(":") < 6:
        return False
    addr = cand.split("%", 1)[0]
    try:
        ip = ipaddress.IPv6Address(addr)
    except ValueError:
        return False
    if ip.is_loopback or ip.is_unspecified:
        return False
    # "1::2"-style fragments of code are too short to be addresses unless they have a zone.
    return "%" in cand or sum(1 for g in addr.split(":") if g) >= 2 or "." in addr


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
        if low.startswith(":", end) and all(c in _HEXCOLON for c in host):
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


def _hexled(text: str, tally: Tally) -> list[Edit]:
    edits: list[Edit] = []
    for m in scan(_HEXLED_RE, text, hex_candidates(text)):
        kind = "uuid" if m.group("uuid") else "token" if m.group("token") else "mac"
        edits.append((m.start(), m.end(), tally.hit(kind)))
    return edits


def _colon_runs(text: str, tally: Tally) -> list[Edit]:
    """MACs and IPv6 addresses among runs of hex digits and colons."""
    edits: list[Edit] = []
    last_end = 0
    # Only a run holding "::" or five colons between groups of 1-4 hex digits can hold a MAC or
    # an IPv6 address; other runs (times, "key:value") are stepped over with one match each,
    # and only near such a chain at all (`_chain_windows`).
    chains = [m.start() for m in _COLON_CHAIN_RE.finditer(text)]
    for lo, hi in _chain_windows(text, chains):
        for pair in _COLON_PAIR_RE.finditer(text, lo):
            if pair.start() > hi:
                break
            last_end = _colon_run(text, pair, chains, last_end, edits=edits, tally=tally)
    return edits


def _chain_windows(text: str, chains: list[int]) -> list[tuple[int, int]]:
    """The (from, to) spans of `text` whose colon pairs `_colon_runs` must look at.

    A pair is looked at only if a chain lies at most 48 characters before it or in its own
    run, so pairs outside [start of the chain's run, chain + 48] are stepped over anyway.
    Each span starts right after a character that no run can hold (a space, a quote ...), so
    no run before it reaches into it and the pairs found from there are the pairs found from
    the start of the text: the result is the same as looking at every pair.
    """
    windows: list[tuple[int, int]] = []
    for chain in chains:
        prev = windows[-1][1] if windows else 0
        if windows and chain <= prev:
            continue
        hard = _LAST_HARD_RE.match(text, prev, chain) if chain > prev else None
        if hard is None and windows:
            windows[-1] = (windows[-1][0], chain + 48)  # no clean start since: go on
        else:
            windows.append((hard.end() if hard else 0, chain + 48))
    return windows


def _colon_run(text: str, pair: re.Match[str], chains: list[int], last_end: int, *,
               edits: list[Edit], tally: Tally) -> int:
    """Look at the run of hex digits and colons at `pair`; return the new `last_end`."""
    if pair.start() < last_end:
        return last_end
    m = _COLON_RUN_AT_RE.match(text, pair.start())  # ends where the whole run ends
    assert m is not None
    i = bisect.bisect_left(chains, pair.start() - 48)
    if i == len(chains) or chains[i] >= m.end():
        last_end = m.end()
        return last_end
    start = pair.start()
    floor = max(last_end, start - 48)
    while start > floor and text[start - 1] in _HEXCOLON:
        start -= 1
    m = _COLON_RUN_AT_RE.match(text, start)
    assert m is not None
    run = m.group(0)
    last_end = m.end()
    if "::" not in run and run.count(":") < 5:
        return last_end  # times, "key:value": neither a MAC nor an IPv6 address
    before = text[start - 1:start]
    # A run that began inside a word ("mac:3c:..", "device:3c:..") starts with the word's
    # tail, unless the word is an ANSI colour code ("\x1b[32m3C:2E:..").
    if before.isalnum() and not _ANSI_BEFORE_RE.search(
            text, max(0, start - 24), start):
        cut = run.find(":")
        start += cut
        run = run[cut:]
        if run.startswith(":") and not run.startswith("::"):
            start += 1
            run = run[1:]
    if run.endswith(":") and not _is_ip6(run) and _is_ip6(run[:-1]):
        run = run[:-1]  # "fe80::1: no route" - the colon is the sentence's
    if fingerprints.is_fingerprint(run):
        edits.append((start, start + len(run), tally.hit("fingerprint")))
        return last_end
    if run.count(":") == 7 and len(run) == 23 and all(
            len(g) == 2 for g in run.split(":")):
        edits.append((start, start + 23, tally.hit("mac")))  # an EUI-64
        return last_end
    if _is_ip6(run):
        edits.append((start, start + len(run), tally.hit("ip")))
        return last_end
    groups = run.split(":")
    pos = start
    i = 0
    while i + 6 <= len(groups):
        if all(len(g) == 2 for g in groups[i:i + 6]):
            end = pos + 17
            edits.append((pos, end, tally.hit("mac")))
            pos = end + 1
            i += 6
            continue
        pos += len(groups[i]) + 1
        i += 1
    return last_end


def _digits(text: str, tally: Tally) -> list[Edit]:
    edits: list[Edit] = []
    for m in scan(_DIGITLED_RE, text, digit_candidates(text)):
        kind = m.lastgroup
        if kind == "ip4":
            if not ip4_is_kept(m.group(0)):
                edits.append((m.start(), m.end(), tally.hit("ip")))
        elif kind == "num":
            edits.extend(_cards(text, m.start(), m.group(0), tally))
        elif kind is not None:
            edits.append((m.start(), m.end(), tally.hit(kind)))
    return edits


def _cards(text: str, start: int, run: str, tally: Tally) -> list[Edit]:
    """Card numbers, IMEIs and SSNs among a run of digit groups, wherever in the run."""
    if len(run) - run.count(" ") - run.count("-") < 13 and not _SSN_IN_RUN_RE.search(run):
        return []  # too few digits for a card, no SSN shape: most numbers end here
    groups: list[tuple[int, int]] = []  # (start, end) of each digit group in `text`
    for g in re.finditer(r"\d++", run):
        groups.append((start + g.start(), start + g.end()))
    edits: list[Edit] = []
    i = 0
    while i < len(groups):
        found = None
        digits = ""
        for j in range(i, len(groups)):
            digits += text[groups[j][0]:groups[j][1]]
            if len(digits) > 19:
                break
            cls = _card_class(digits)
            if cls is not None:
                found = (j, cls)
        if found is not None:
            j, cls = found
            edits.append((groups[i][0], groups[j][1], tally.hit(cls)))
            i = j + 1
            continue
        if i + 2 < len(groups) and [b - a for a, b in groups[i:i + 3]] == [3, 2, 4] and (
                text[groups[i][1]] == text[groups[i + 1][1]]):
            edits.append((groups[i][0], groups[i + 2][1], tally.hit("ssn")))
            i += 3
            continue
        i += 1
    return edits


def _ibans(text: str, tally: Tally) -> list[Edit]:
    edits: list[Edit] = []
    pos = 0
    for at in iban_candidates(text):
        if at < pos or (m := _IBAN_RE.match(text, at)) is None:
            continue
        start = m.start() - 2
        pos = m.start() + 1  # a match is at most 36 characters: rescanning stays linear
        compact = text[start:m.end()].replace(" ", "")
        n = _IBAN_LENGTHS.get(compact[:2].upper(), 0)
        if not n or len(compact) < n or not _iban_valid(compact[:n]):
            continue
        seen = 0
        end = start
        while seen < n:  # map n compact characters back onto the original span
            if text[end] != " ":
                seen += 1
            end += 1
        edits.append((start, end, tally.hit("iban")))
        pos = end
    return edits


def _phones(text: str, tally: Tally) -> list[Edit]:
    """International phone numbers ("+49 170 1234567", "+1 (555) 123-4567", "tel:+4930..")."""
    edits: list[Edit] = []
    for m in _PHONE_RE.finditer(text):
        digits = sum(c.isdigit() for c in m.group(0))
        # A number without separators is a phone number only at E.164 lengths ("+4930123456"),
        # not "+12345678 ns".
        if (10 if m.group(0)[1:].isdigit() else 8) <= digits <= 15:
            edits.append((m.start(), m.end(), tally.hit("phone")))
    return edits


def _dms(text: str, tally: Tally) -> list[Edit]:
    """Coordinates in degrees, minutes and seconds (52°22'23.4"N)."""
    starts: set[int] = set()
    for degrees in find_all(text, "\u00b0"):  # a match's 1-3 degree digits end at one
        starts.update(range(max(0, degrees - 3), degrees))
    return [(m.start(), m.end(), tally.hit("geo"))
            for m in scan(_DMS_RE, text, sorted(starts))]


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
    text = splice(text, _hexled(text, tally))
    text = splice(text, devices.edits(text, set(gates), tally))
    if _COLON_GATE_RE.search(text):
        text = splice(text, _colon_runs(text, tally))
    text = splice(text, _ibans(text, tally))
    if "+" in text:
        text = splice(text, _phones(text, tally))
    if "\u00b0" in text:
        text = splice(text, _dms(text, tally))
    text = splice(text, _digits(text, tally))
    low = lower(text)
    return splice(text, paths.edits(text, low, tally))
