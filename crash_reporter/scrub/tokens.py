"""The replacement tokens (typed placeholders) and the tally of what was replaced.

Every placeholder is ``[`` + lowercase letters and dashes + ``]``: no rule matches one (no
digits, no dots, no ``@``, no ``:``, no hex run), so scrubbing a scrubbed text changes nothing.
"""

from __future__ import annotations

import bisect
import re
from typing import Final

PLACEHOLDERS: Final[dict[str, str]] = {
    name: f"[{name}]"
    for name in (
        "ip", "email", "creditcard", "mac", "imei", "ssn", "iban", "uuid", "path-user",
        "token", "pem-key", "auth", "filtered", "hostname", "ssid", "serial", "geo", "id",
        "user", "mount", "location", "share", "redacted",
    )
}
PLACEHOLDER_VALUES: Final = frozenset(PLACEHOLDERS.values())
PLACEHOLDER_RE: Final = re.compile(r"\[[a-z-]{2,12}\]")

SEP: Final = "\x00"  # joins the unique strings of one event; no rule matches across it
_SEP_RE: Final = re.compile(SEP)

Edit = tuple[int, int, str]


class Tally:
    """Counts replacements per class for one run, weighted by how often a string occurs."""

    __slots__ = ("_offsets", "_offsets_of", "counts", "mult")

    def __init__(self, mult: list[int] | None = None) -> None:
        self.counts: dict[str, int] = {}
        self.mult = mult if mult and max(mult) > 1 else None  # no duplicates: weight 1
        self._offsets: list[int] = []
        self._offsets_of: str | None = None

    def hit(self, cls: str, text: str, pos: int) -> str:
        """Count one replacement of class `cls` at `pos` of `text`; return its placeholder."""
        weight = 1
        if self.mult is not None:
            if self._offsets_of is not text:
                self._offsets = [m.start() for m in _SEP_RE.finditer(text)]
                self._offsets_of = text
            weight = self.mult[bisect.bisect_left(self._offsets, pos)]
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
