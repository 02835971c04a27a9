"""The replacement tokens (typed placeholders) and the tally of what was replaced.

Every placeholder is ``[`` + lowercase letters and dashes + ``]``: no rule matches one (no
digits, no dots, no ``@``, no ``:``, no hex run), so scrubbing a scrubbed text changes nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, repeat
from operator import add
from typing import Final

PLACEHOLDERS: Final[dict[str, str]] = {
    name: f"[{name}]"
    for name in (
        "ip", "email", "creditcard", "mac", "imei", "ssn", "iban", "uuid", "path-user",
        "token", "pem-key", "auth", "filtered", "hostname", "ssid", "serial", "geo", "id",
        "user", "mount", "location", "share", "redacted", "phone", "fingerprint",
        "public-key",
    )
}
PLACEHOLDER_VALUES: Final = frozenset(PLACEHOLDERS.values())
PLACEHOLDER_RE: Final = re.compile(r"\[[a-z-]{2,12}\]")

SEP: Final = "\x00"  # joins the unique strings of one event; no rule matches across it

Edit = tuple[int, int, str]


class Tally:
    """Counts replacements per class for one run, weighted by how often a string occurs."""

    __slots__ = ("_at", "_ends", "_ends_of", "_index", "_of", "counts", "mult")

    def __init__(self, mult: list[int] | None = None) -> None:
        self.counts: dict[str, int] = {}
        self.mult = mult if mult and max(mult) > 1 else None  # no duplicates: weight 1
        # Which string of `_of` (the last text seen) position `_at` lies in: the separators
        # between two hits are counted (C speed), so a rule's hits, which come in order, cost
        # one pass over the text, however many strings it holds.
        self._of: str | None = None
        self._at = 0
        self._index = 0
        self._ends_of: str | None = None  # `many`: where each string of that text ends
        self._ends: list[int] = []

    def hit(self, cls: str, text: str, pos: int) -> str:
        """Count one replacement of class `cls` at `pos` of `text`; return its placeholder."""
        weight = 1
        if self.mult is not None:
            if self._of is not text:
                self._of, self._at, self._index = text, 0, 0
            if pos >= self._at:
                self._index += text.count(SEP, self._at, pos)
            else:
                self._index -= text.count(SEP, pos, self._at)
            self._at = pos
            weight = self.mult[self._index]
        self.counts[cls] = self.counts.get(cls, 0) + weight
        return PLACEHOLDERS[cls]

    def many(self, cls: str, text: str, starts: list[int]) -> str:
        """Count replacements of class `cls` at `starts` (sorted) of `text`; the placeholder.

        The same as `hit` at each start, for the rules that replace one value in many lines
        (a journal prefix's host): the separators before each start are counted at C speed.
        """
        if not starts:
            return PLACEHOLDERS[cls]
        weight = len(starts)
        if self.mult is not None:
            if self._ends_of is not text:
                # Where each string ends (after its separator): sum(len(s) + 1, s <= i).
                self._ends = list(accumulate(map(add, map(len, text.split(SEP)), repeat(1))))
                self._ends_of = text
            ends, mult = self._ends, self.mult
            weight = sum(map(mult.__getitem__, map(bisect_right, repeat(ends), starts)))
        self.counts[cls] = self.counts.get(cls, 0) + weight
        return PLACEHOLDERS[cls]


def splice(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping (start, end, replacement) edits; overlapping ones are skipped."""
    if not edits:
        return text
    edits.sort(key=lambda e: (e[0], -e[1]))
    out: list[str] = []
    last = 0
    for start, end, repl in edits:
        if start < last:
            continue
        out.append(text[last:start])
        out.append(repl)
        last = end
    out.append(text[last:])
    return "".join(out)


def lower(text: str) -> str:
    """Lowercase `text` keeping every index in place (for searches in the lowercased copy)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
