"""The host's own identifiers: expanded to every form they are written in, found in one pass.

The app learns the exact values that identify this home (hostnames, machine id, MACs, IPs,
SSIDs, share servers, mount names, HA's location ...; see sources/host_ids.py) and the user
adds words (option ``redact``). Each value is expanded to the forms software writes it in
(URL-encoded, JSON-escaped, the separators of a MAC, compressed and exploded IPv6, the first
label of a host name) and all forms are searched case-insensitively with ONE compiled
automaton (scrub/words.py): one linear pass over the text finds every form, and the longest
form at each word boundary wins.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import quote, quote_plus

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, ip4_is_kept
from crash_reporter.scrub.tokens import (
    PLACEHOLDER_RE,
    PLACEHOLDER_VALUES,
    PLACEHOLDERS,
    SEP,
    Edit,
    Tally,
    lower,
)
from crash_reporter.scrub.words import words as compile_words

# An identifier is a string (its class is guessed from its shape) or (value, class).
Identifier = str | tuple[str, str]

MIN_LENGTH: Final = 3
_HEX32_RE: Final = re.compile(r"[0-9a-f]{32,}")
_HOSTNAME_RE: Final = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_MAC_RE: Final = re.compile(r"[0-9a-f]{2}([:_-]?)(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}")


@dataclass(frozen=True, slots=True)
class HostMatcher:
    """The forms of this host's identifiers (lowercased) and the class each one stands for."""

    classes: dict[str, str]
    forms: tuple[str, ...]  # longest first

    def edits(self, text: str, low: str, tally: Tally) -> list[Edit]:
        """Where the identifiers occur in `text` (`low` is its lowercased copy).

        An occurrence counts where it starts and ends at a word boundary; at each start the
        longest such form wins, left to right without overlaps.
        """
        n = len(low)
        words = _WORDCHARS
        hits = compile_words(self.forms).find(low)[0]  # sorted by start, then end
        # At each start the longest form at word boundaries (a dict keeps a key's last value).
        longest = dict([(i, j) for i, j in hits
                        if not ((i and low[i - 1] in words) or (j < n and low[j] in words))])
        edits: list[Edit] = []
        inside = _placeholder_parts(self.forms)
        classes = self.classes
        found: dict[str, int] = {}
        last = 0
        for start, end in longest.items():  # in order of start
            if start < last:
                continue
            last = end
            form = low[start:end]
            if form in inside and _in_placeholder(low, start, end):
                continue  # a learned word such as "path" inside "[path-user]"
            cls = classes[form]
            found[cls] = found.get(cls, 0) + 1
            edits.append((start, end, PLACEHOLDERS[cls]))
        for cls, count in found.items():
            tally.many(cls, count)
        return edits


@lru_cache(maxsize=8)
def _placeholder_parts(forms: tuple[str, ...]) -> frozenset[str]:
    """The forms that can be found inside a placeholder ("path" in "[path-user]")."""
    return frozenset(f for f in forms if any(f in p for p in PLACEHOLDER_VALUES))


def _in_placeholder(low: str, start: int, end: int) -> bool:
    """True if low[start:end] lies inside a placeholder such as ``[hostname]``."""
    bracket = low.rfind("[", max(0, start - 14), start + 1)
    if bracket < 0:
        return False
    m = PLACEHOLDER_RE.match(low, bracket)
    return m is not None and m.end() >= end


_WORDCHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # no form starts/ends inside


def _guess_class(value: str) -> str:
    """The placeholder class of a bare identifier string."""
    try:
        ipaddress.ip_address(value.split("%", 1)[0])
        return "ip"
    except ValueError:
        pass
    if _MAC_RE.fullmatch(value):
        return "mac"
    if _HEX32_RE.fullmatch(value) or value.startswith("eyj"):
        return "token"
    if _HOSTNAME_RE.fullmatch(value):
        return "hostname"
    return "id"


def coordinate_forms(value: str) -> Iterator[str]:
    """A latitude or longitude as logs write it: rounded to 2..7 decimals, '.' or ','."""
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return
    if number == 0.0 or not abs(number) <= 180:
        return
    # Two decimals only for two-digit degrees: "1.23" is too likely a version number.
    first = 2 if abs(number) >= 10 else 3
    for decimals in range(first, 8):
        text = f"{number:.{decimals}f}"
        yield text
        yield text.replace(".", ",")


def _kept_ip(value: str) -> bool:
    """True for addresses that identify no one (loopback, the Supervisor's network)."""
    addr = value.split("/", 1)[0].split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified or (ip.version == 4 and ip4_is_kept(addr))


def _forms(value: str, cls: str) -> set[str]:
    """Every lowercased form `value` may be written in."""
    out = {value}
    if cls == "mac" and (m := _MAC_RE.fullmatch(value)):
        digits = value.replace(m.group(1), "") if m.group(1) else value
        pairs = [digits[i:i + 2] for i in range(0, 12, 2)]
        out |= {sep.join(pairs) for sep in (":", "-", "_", "")}
        out.add(".".join(digits[i:i + 4] for i in range(0, 12, 4)))
    elif cls == "ip":
        addr = value.split("/", 1)[0].split("%", 1)[0]
        out.add(addr)
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            pass
        else:
            out |= {ip.compressed.lower(), ip.exploded.lower()}
    elif cls == "geo":
        out |= set(coordinate_forms(value))
    elif cls == "hostname" and "." in value:
        label = value.split(".", 1)[0]
        if len(label) >= 4:
            out.add(label)
    for form in list(out):
        out.add(quote(form, safe="").lower())
        out.add(quote_plus(form, safe="").lower())
        out.add(json.dumps(form)[1:-1])
        out.add(json.dumps(form, ensure_ascii=False)[1:-1])
    return {f for f in out if len(f) >= MIN_LENGTH and f not in DEFAULT_NAMES
            and f not in PLACEHOLDER_VALUES and SEP not in f}


def compile_identifiers(identifiers: Iterable[Identifier] | None) -> HostMatcher:
    """The matcher for `identifiers` (values too short or generic are left out)."""
    if not identifiers:
        return _EMPTY
    if isinstance(identifiers, str):
        identifiers = (identifiers,)
    items: list[tuple[str, str]] = []
    raw: Iterable[object] = identifiers
    for item in raw:
        if isinstance(item, str):
            value, cls = item, ""
        elif (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
              and isinstance(item[1], str)):
            value, cls = item
        else:
            continue  # garbage from a caller: skipped, never a crash
        value = lower(value.strip())
        if len(value) < MIN_LENGTH or value in DEFAULT_NAMES:
            continue
        cls = cls if cls in PLACEHOLDERS else _guess_class(value)
        if cls == "ip" and _kept_ip(value):
            continue
        items.append((value, cls))
    return _compile(tuple(sorted(set(items))))


@lru_cache(maxsize=16)
def _compile(items: tuple[tuple[str, str], ...]) -> HostMatcher:
    classes: dict[str, str] = {}
    for value, cls in items:
        for form in _forms(value, cls):
            classes.setdefault(form, cls)
    forms = tuple(sorted(classes, key=lambda f: (-len(f), f)))
    return HostMatcher(classes, forms)


_EMPTY: Final = HostMatcher({}, ())
