"""Where a digit or hex rule can match at all, found at C speed over the text's character classes.

A rule that must start at a digit or hex run (IPs, cards, SSNs, IBANs, UUIDs, tokens, MACs)
costs Python's `re` one attempt at every digit or hex position of the text: about 1 ms per
50 KB of log text, which is mostly timestamps. Instead, `str.translate` maps the text to a
string of character classes (a copy of the same length, in C), and `str.find` looks for the
shapes a finding must contain ("d.d" for an IPv4 address, 32 hex digits for a token ...) in
that copy. Only the positions found are handed to the rule's own regex (`Pattern.match` at
that position, which sees the text before it), in order and without overlaps, so the result
is exactly what a scan of every position would give, as long as the candidates include every
position where the regex can match. Each search is linear and every position is tried at most
a fixed number of times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

_HEX: Final = "0123456789abcdefABCDEF"
_LETTERS: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _table(classes: dict[str, str]) -> bytes:
    """A byte translation table: the characters of each key map to its value, others to 'x'."""
    table = bytearray(b"x" * 256)
    for chars, cls in classes.items():
        for ch in chars:
            table[ord(ch)] = ord(cls)
    return bytes(table)


# Digits 'd', the separators of digit groups (space, dash) 's', dots kept.
DIGITS: Final = _table({"0123456789": "d", " -": "s", ".": "."})
# Hex digits 'h', MAC separators (dash, underscore) 's', dots kept.
HEX: Final = _table({_HEX: "h", "-_": "s", ".": "."})
# Letters 'a', digits 'd'.
ALNUM: Final = _table({_LETTERS: "a", "0123456789": "d"})
# Digits and digit-group separators alike: 'n'.
NUMBER: Final = _table({"0123456789 -": "n"})

_NON_ASCII_RE: Final = re.compile(r"[^\x00-\x7f]++")
_HEX_RUN_RE: Final = re.compile(r"[0-9A-Fa-f]*+")
_NUMBER_RUN_RE: Final = re.compile(r"[\d -]*+")
# In the DIGITS classes: a dot that can follow an IPv4 address's or a coordinate's first digits.
_DOTTED_RE: Final = re.compile(r"\.(?=d{1,3}\.d{1,3}\.d|dddd)")
_GROUP_START_RE: Final = re.compile(r"(?<!\d)\d")


def classes(text: str, table: bytes, digit: str = "") -> str:
    r"""`text` mapped through `table`, one class character per character of `text`.

    Every non-ASCII character becomes 'x', except (with `digit`) the decimal digits of other
    scripts, which Python's ``\d`` matches too: they become `digit`.
    """
    if text.isascii():
        return text.encode("ascii").translate(table).decode("ascii")
    cls = text.encode("ascii", "replace").translate(table).decode("ascii")
    if not digit:
        return cls
    chars: list[str] | None = None
    for run in _NON_ASCII_RE.finditer(text):
        if any(c.isdecimal() for c in run.group(0)):
            if chars is None:
                chars = list(cls)
            for i in range(run.start(), run.end()):
                if text[i].isdecimal():
                    chars[i] = digit
    return cls if chars is None else "".join(chars)


def find_all(cls: str, shape: str, shift: int = 0) -> Iterator[int]:
    """Every start of `shape` in `cls`, plus `shift` (overlapping occurrences included)."""
    i = cls.find(shape)
    while i >= 0:
        yield i + shift
        i = cls.find(shape, i + 1)


def digit_candidates(text: str) -> list[int]:
    """Where an IPv4 address, a coordinate pair, an SSN or a card/IMEI run can start.

    - a dot followed by "d.d.d" (1-3 digits each: an IPv4 address) or by 4 digits (a
      coordinate): the address or coordinate starts 1-3 digits before the dot;
    - "ddd?dd?dddd": an SSN's three groups (any group separator);
    - 13 digits in a row, or a block of 14 or more digits and group separators (a card or
      IMEI of 13-19 digits, grouped): every digit group start in it, if it holds 13 digits.
    """
    cls = classes(text, DIGITS, "d")
    out: set[int] = set()
    for dot in _DOTTED_RE.finditer(cls):
        j = dot.start()
        out.update(p for p in (j - 3, j - 2, j - 1) if p >= 0 and cls[p] == "d")
    out.update(find_all(cls, "dddsddsdddd"))
    # 13 digits in a row, or 13 digits with at least one separator: 14 characters.
    num = classes(text, NUMBER, "n")
    for shape, table in (("d" * 13, cls), ("n" * 14, num)):
        i = table.find(shape)
        while i >= 0:
            m = _NUMBER_RUN_RE.match(text, i)
            end = m.end() if m else i + 1
            if cls.count("d", i, end) >= 13:
                out.update(g.start() for g in _GROUP_START_RE.finditer(text, i, end))
            i = table.find(shape, end)
    return sorted(out)


def hex_candidates(text: str) -> list[int]:
    """Where a UUID, a hex token (32 or more hex digits) or a MAC can start.

    The UUID and MAC shapes are literal in the class string; a token's 32 digits may lie
    anywhere in its run, so the run's start is the candidate.
    """
    cls = classes(text, HEX)
    out: set[int] = set(find_all(cls, "hhhhhhhhshhhhshhhhshhhhshhhhhhhhhhhh"))
    out.update(find_all(cls, "hhshhshhshhshhshh"))
    out.update(find_all(cls, "hhhh.hhhh.hhhh"))
    run = "h" * 32
    i = cls.find(run)
    while i >= 0:
        out.add(i)  # a run start: the search resumes after the end of the previous run
        m = _HEX_RUN_RE.match(text, i)
        i = cls.find(run, m.end() if m else i + 1)
    return sorted(out)


def iban_candidates(text: str) -> list[int]:
    """Where an IBAN's check digits can start: two letters, then two digits."""
    return list(find_all(classes(text, ALNUM, "d"), "aadd", 2))


def scan(pattern: re.Pattern[str], text: str, candidates: Iterable[int]
         ) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, trying only `candidates` (sorted; every possible start)."""
    end = 0
    for pos in candidates:
        if pos < end:
            continue
        m = pattern.match(text, pos)
        if m is not None:
            yield m
            end = m.end() if m.end() > pos else pos + 1
