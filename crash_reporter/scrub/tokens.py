"""The replacement tokens (typed placeholders) and the tally of what was replaced.

Every placeholder is ``[`` + lowercase letters and dashes + ``]``: no rule matches one (no
digits, no dots, no ``@``, no ``:``, no hex run), so scrubbing a scrubbed text changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import compress, repeat
from operator import gt
from typing import Final

PLACEHOLDERS: Final[dict[str, str]] = {
    name: f"[{name}]"
    for name in (
        "ip", "email", "creditcard", "mac", "imei", "ssn", "iban", "uuid", "path-user",
        "token", "pem-key", "auth", "filtered", "hostname", "ssid", "serial", "geo", "id",
        "user", "mount", "location", "share", "redacted", "phone", "fingerprint",
        "public-key", "device",
    )
}
PLACEHOLDER_VALUES: Final = frozenset(PLACEHOLDERS.values())
PLACEHOLDER_RE: Final = re.compile(r"\[[a-z-]{2,12}\]")

SEP: Final = "\x00"  # joins the unique strings of one event; no rule matches across it

Edit = tuple[int, int, str]


class Tally:
    """Counts replacements per class for one run over a text (each occurrence once).

    An event's strings are scrubbed once each however often they occur; `weigh` then adds
    what a repeated string's replacements count again, from the placeholders it gained.
    """

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def hit(self, cls: str) -> str:
        """Count one replacement of class `cls`; return its placeholder."""
        self.counts[cls] = self.counts.get(cls, 0) + 1
        return PLACEHOLDERS[cls]

    def many(self, cls: str, n: int) -> str:
        """Count `n` replacements of class `cls`; return its placeholder."""
        self.counts[cls] = self.counts.get(cls, 0) + n
        return PLACEHOLDERS[cls]

    def weigh(self, before: list[str], after: list[str], mult: list[int]) -> None:
        """Count again the replacements in strings that occur more than once in the event.

        `before` and `after` are the distinct strings before and after scrubbing, `mult`
        how often each occurs. A placeholder the string did not hold before is a replacement
        made in it (one a rule made and a later, overlapping rule swallowed is not counted).
        A string equal to its scrubbed self gained nothing; the strings that held no
        placeholder before are read in one pass per multiplicity.
        """
        fresh: dict[int, list[str]] = {}  # extra count -> scrubbed strings that had none
        for i in compress(range(len(mult)), map(gt, mult, repeat(1))):
            out = after[i]
            if out == before[i] or "[" not in out:
                continue
            old = before[i]
            if "[" not in old or PLACEHOLDER_RE.search(old) is None:
                fresh.setdefault(mult[i] - 1, []).append(out)
            else:
                gained = Counter(PLACEHOLDER_RE.findall(out))
                gained.subtract(PLACEHOLDER_RE.findall(old))
                self._add(gained, mult[i] - 1)
        for extra, outs in fresh.items():  # a placeholder cannot span SEP: one pass per group
            self._add(Counter(PLACEHOLDER_RE.findall(SEP.join(outs))), extra)

    def _add(self, gained: Counter[str], extra: int) -> None:
        """Add `extra` times each placeholder gained (n > 0) to its class's count."""
        counts = self.counts
        for token, n in gained.items():
            cls = _CLASS_OF.get(token)
            if cls is not None and n > 0:
                counts[cls] = counts.get(cls, 0) + n * extra


_CLASS_OF: Final = {v: k for k, v in PLACEHOLDERS.items()}


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


def line_start(text: str, at: int, reach: int) -> int:
    """Where the line holding `at` starts (after a newline or a NUL), looking back <= `reach`."""
    lo = max(0, at - reach)
    return max(text.rfind("\n", lo, at), text.rfind(SEP, lo, at), lo - 1) + 1


def line_end(text: str, at: int, reach: int) -> int:
    """Where the line holding `at` ends, looking on at most `reach` characters."""
    hi = min(len(text), at + reach)
    ends = [i for i in (text.find("\n", at, hi), text.find(SEP, at, hi)) if i >= 0]
    return min(ends, default=hi)
