"""Values made of digits and hex: addresses, ids, card numbers, IBANs, phones, coordinates.

- `hex_edits`: values led by a hex digit (UUIDs, tokens of 32 or more hex digits, MACs written
  with dashes, underscores or dots);
- `colon_edits`: runs of hex digits and colons (MACs, EUI-64s, IPv6 addresses, and SSH
  fingerprints through `fingerprints`);
- `iban_edits`, `phone_edits`, `dms_edits` (degrees, minutes, seconds);
- `digit_edits`: runs led by a digit (IPv4 addresses, decimal coordinates, SSNs, and card
  numbers and IMEIs by their Luhn check or brand, anywhere in a run of digit groups).

The digit, hex and IBAN rules run their regex only at the candidates `classes` finds at C
speed; short hex (Go pcs, Docker's short ids), loopback and internal networks stay.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from typing import Final

from crash_reporter.scrub.allowlist import ip4_is_kept
from crash_reporter.scrub.classes import (
    digit_candidates,
    find_all,
    hex_candidates,
    iban_candidates,
    scan,
)
from crash_reporter.scrub.rules import fingerprints
from crash_reporter.scrub.tokens import Edit, Tally

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
# The characters of a colon run (also how `domains` tells an IPv6 address after "server").
HEXCOLON: Final = frozenset("0123456789abcdefABCDEF:")
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
# "+49 170 1234567", "+1 (555) 123-4567", "tel:+4930123456"; 8-15 digits are counted after.
_PHONE_RE: Final = re.compile(
    r"\+(?<![\w+]\+)[1-9]\d{0,3}+(?:[ .-]?\(\d{1,4}+\))?(?:[ .-]?\d{1,8}+){1,6}+(?![\w.:])")
_DMS_RE: Final = re.compile(
    r"(?<!\d)\d{1,3}+\u00b0 ?\d{1,2}+['\u2032] ?\d{1,2}+(?:[.,]\d{1,6}+)?+(?:\"|\u2033|'')? ?"
    r"[NSEWnsew]?")


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


def hex_edits(text: str, tally: Tally) -> list[Edit]:
    """UUIDs, hex tokens of 32 digits or more, and MACs written with dashes, underscores, dots."""
    edits: list[Edit] = []
    for m in scan(_HEXLED_RE, text, hex_candidates(text)):
        kind = "uuid" if m.group("uuid") else "token" if m.group("token") else "mac"
        edits.append((m.start(), m.end(), tally.hit(kind)))
    return edits


def colon_edits(text: str, tally: Tally) -> list[Edit]:
    """MACs and IPv6 addresses among runs of hex digits and colons."""
    if not _COLON_GATE_RE.search(text):
        return []
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
    """The (from, to) spans of `text` whose colon pairs `colon_edits` must look at.

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
    while start > floor and text[start - 1] in HEXCOLON:
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
    if len(groups) > 6 and all(len(g) == 2 for g in groups):
        # a MAC with more bytes around it: a DHCP client id (its type, "01:", then the MAC,
        # NetworkManager's "option dhcp_client_identifier => '01:dc:a6:..'"), an IAID and DUID
        edits.append((start, start + len(run), tally.hit("mac")))
        return last_end
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


def digit_edits(text: str, tally: Tally) -> list[Edit]:
    """IPv4 addresses, decimal coordinates, SSNs, and card numbers and IMEIs in digit runs."""
    edits: list[Edit] = []
    for m in scan(_DIGITLED_RE, text, digit_candidates(text)):
        kind = m.lastgroup
        if kind == "ip4":
            if not ip4_is_kept(m.group(0)) and not _is_version(text, m.start()):
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


def iban_edits(text: str, tally: Tally) -> list[Edit]:
    """IBANs of the countries that use them, at their length, with a valid check sum."""
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


def phone_edits(text: str, tally: Tally) -> list[Edit]:
    """International phone numbers ("+49 170 1234567", "+1 (555) 123-4567", "tel:+4930..")."""
    edits: list[Edit] = []
    for m in _PHONE_RE.finditer(text):
        digits = sum(c.isdigit() for c in m.group(0))
        # A number without separators is a phone number only at E.164 lengths ("+4930123456"),
        # not "+12345678 ns".
        if (10 if m.group(0)[1:].isdigit() else 8) <= digits <= 15:
            edits.append((m.start(), m.end(), tally.hit("phone")))
    return edits


def dms_edits(text: str, tally: Tally) -> list[Edit]:
    """Coordinates in degrees, minutes and seconds (52°22'23.4"N)."""
    starts: set[int] = set()
    for degrees in find_all(text, "\u00b0"):  # a match's 1-3 degree digits end at one
        starts.update(range(max(0, degrees - 3), degrees))
    return [(m.start(), m.end(), tally.hit("geo"))
            for m in scan(_DMS_RE, text, sorted(starts))]


# A four-part version is not an address: "version 9.88.4.65" (Broadcom's Wi-Fi firmware in the
# kernel log), "Firmware: 1.2.3.4", "v2.0.1.12"
_VERSION_BEFORE_RE: Final = re.compile(
    r"(?:(?<![\w.])(?:version|ver\.?|firmware|fw)[ \t]*+[:=]?[ \t]*+|(?<![\w.])v)\Z",
    re.IGNORECASE)


def _is_version(text: str, start: int) -> bool:
    """True if the dotted quad at `start` follows a version's word ("version ", "v")."""
    return _VERSION_BEFORE_RE.search(text, max(0, start - 14), start) is not None
