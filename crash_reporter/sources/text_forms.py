r"""The text forms of a log besides the Supervisor's verbose one, recognised line by line.

What users paste into `crash-reporter scan` (and into GitHub issues) is rarely exactly what
the logs API returns. Every line's form is recognised on its own, so headers of any length,
a mix of forms, or a log quoted in the middle of an issue are all read:

- ``journalctl -o short`` ``Nov 26 00:20:11 <host> <identifier>[<pid>]: <message>``, and
  ``short-precise`` (``.123456`` after the seconds), ``short-iso``
  (``2026-11-26T00:20:11+0000``), ``short-iso-precise`` (``...11.123456+00:00``),
  ``short-full`` (``Thu 2026-11-26 00:20:11 UTC``) and ``short-unix``
  (``1795652411.123456``). journalctl prints the further lines of a multi-line MESSAGE
  indented to the message's column: that indentation is taken off again.
- ``-- Boot <id> --``, ``-- Logs begin at ... --``, ``-- No entries --``, ``-- Reboot --``:
  journalctl's markers, not log lines (a boot marker also ends the entry before it).
- Without ``-a`` journalctl drops ANSI colour codes and prints a leading tab as 8 blanks:
  the tab is put back (`untab`).
- A GitHub issue: a log between ```` ``` ```` fences (those lines are skipped) or quoted
  with ``> `` (the quote is taken off each line), CRLF line ends, a byte order mark.

Times: the short forms print local time; with no zone in the line (``short``,
``short-precise``) or a zone name other than UTC/GMT (``short-full``), the time is read as
UTC. ``short`` and ``short-precise`` print no year: the current year is taken, or the one
before if that puts the line more than a day in the future.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import Final

MONTHS: Final = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
SHORT_FORMS: Final = ("short", "short-precise", "short-iso", "short-iso-precise", "short-full",
                      "short-unix")

_TAIL: Final = r" (\S+) ([^\s\[]+?)(?:\[(\d{1,10})\])?:(?: |$)"  # host ident[pid]:
_SHORT: Final = re.compile(
    r"(?:(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ \d]\d) (\d\d):(\d\d):(\d\d)"
    r"(\.\d{1,9})?"  # 1-6: short, short-precise
    r"|(\d{4}-\d\d-\d\d)T(\d\d:\d\d):(\d\d(?:\.\d{1,9})?)(Z|[+-]\d\d:?\d\d)"  # 7-10: iso
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{4}-\d\d-\d\d) (\d\d:\d\d):(\d\d(?:\.\d{1,9})?)"
    r"(?: ([A-Za-z][A-Za-z0-9+-]{0,9}))?"  # 11-14: short-full
    r"|(\d{9,11}\.\d{1,9})"  # 15: short-unix
    r")" + _TAIL  # 16-18
)
# The same prefixes on raw bytes, for the prefilter to find an entry's first line.
SHORT_PREFIX_BYTES: Final = re.compile(
    rb"(?:> ?)?(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d"
    rb"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d "
    rb"|\d{9,11}\.\d)"
)
_MARKER: Final = re.compile(
    r"-- (?:Boot [0-9a-f]{32}|Logs begin at .*|Journal begins at .*|No entries|Reboot)"
    r"(?: --)?\s*$")
_FENCE: Final = re.compile(r"\s{0,3}(?:```+|~~~+)[\w+.-]*\s*$")
_UTC_ZONES: Final = frozenset({"UTC", "GMT", "Z", "UCT"})
MINUTE_CACHE: dict[str, float] = {}


def minute_epoch(prefix: str) -> float:
    """Epoch seconds (UTC) of a ``YYYY-MM-DD HH:MM`` prefix (cached: logs repeat minutes)."""
    value = MINUTE_CACHE.get(prefix)
    if value is None:
        try:
            value = float(calendar.timegm((
                int(prefix[0:4]), int(prefix[5:7]), int(prefix[8:10]),
                int(prefix[11:13]), int(prefix[14:16]), 0, 0, 0, 0,
            )))
        except (ValueError, OverflowError):
            value = 0.0
        if len(MINUTE_CACHE) > 4096:
            MINUTE_CACHE.clear()
        MINUTE_CACHE[prefix] = value
    return value


def _minute(date: str, hm: str) -> float:
    """Epoch seconds (UTC) of ``YYYY-MM-DD`` + ``HH:MM``."""
    return minute_epoch(f"{date} {hm}")


def _no_year(month: str, day: str, clock: tuple[str, str, str], frac: str | None) -> float:
    """A ``short`` time (no year): this year's, or last year's if it would be in the future."""
    h, mi, s = clock
    now = time.time()
    year = time.gmtime(now).tm_year
    try:
        stamp = calendar.timegm((year, MONTHS[month], int(day), int(h), int(mi), int(s),
                                 0, 0, 0))
        if stamp > now + 86400:
            stamp = calendar.timegm((year - 1, MONTHS[month], int(day), int(h), int(mi),
                                     int(s), 0, 0, 0))
    except (ValueError, OverflowError):
        return 0.0
    return stamp + (float(frac) if frac else 0.0)


Short = tuple[str, str, int | None, float, str, int]  # text, identifier, pid, time, host, column


def parse_short(text: str) -> Short | None:
    """A journalctl short-form line: (message, identifier, pid, time, host, message column)."""
    m = _SHORT.match(text)
    if m is None:
        return None
    g = m.groups()
    if g[0] is not None:
        stamp = _no_year(g[0], g[1], (g[2], g[3], g[4]), g[5])
    elif g[6] is not None:
        stamp = _minute(g[6], g[7]) + float(g[8])
        zone = g[9]
        if zone != "Z":
            sign = -1.0 if zone[0] == "-" else 1.0
            digits = zone[1:].replace(":", "")
            stamp -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    elif g[10] is not None:
        stamp = _minute(g[10], g[11]) + float(g[12])
    else:
        stamp = float(g[14])
    pid = g[17]
    return text[m.end():], g[16], int(pid) if pid else None, stamp, g[15], m.end()


def is_marker(text: str) -> bool:
    """Is this a journalctl marker line (``-- Boot ... --`` and the like)?"""
    return text.startswith("-- ") and _MARKER.match(text) is not None


def is_fence(text: str) -> bool:
    """Is this a Markdown code fence line (```` ``` ```` or ``~~~``, maybe with a language)?"""
    return ("```" in text or "~~~" in text) and _FENCE.match(text) is not None


def unquote(text: str) -> str:
    """The line without a GitHub quote (``> ``) and a byte order mark."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith(">"):
        text = text[2:] if text.startswith("> ") else text[1:]
    return text


def untab(message: str) -> str:
    """Undo journalctl's tab expansion (without ``-a`` it prints a leading tab as 8 blanks).

    Go prints each frame's file line after one tab; Python never indents by exactly 8.
    """
    if message.startswith("        ") and message[8:9] not in ("", " "):
        return "\t" + message[8:]
    return message
