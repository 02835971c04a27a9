"""Rules tried only where one of their literal starts occurs find exactly what a scan of every
position finds (`classes.scan` over the starts against `Pattern.finditer`).

The literal starts are the rule's own list (found in the scrubber's one automaton pass); if a
regex gains an alternative that starts elsewhere and the list is not told, these fail.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from crash_reporter.scrub import phrases, rules
from crash_reporter.scrub.classes import scan
from tests.test_scrub_real_phrasing import CASES as REAL
from tests.test_scrub_real_phrasing import KEPT_REAL

# (pattern, its literal starts, fragments texts are made of: the starts cut in pieces, the
# characters around them, and what the regex needs after them)
CASES = [
    (rules._USERPATH_RE, rules._USERPATH_STARTS,
     # the paths the regex names, written out from it (not from the list under test)
     ["/home/", "/users/", "/media/", "/share/", "/var/home/", "/data/mounts/",
      "/data/supervisor/mounts/", "/data/supervisor/media/", "/data/supervisor/share/",
      "/run/media/", "/run/media/root/", "/by-id/", "\\users\\", "\\\\users\\\\",
      "\\documents and settings\\",
      "/", "\\", "home", "users", "media", "share", "var", "data", "mounts", "supervisor",
      "run", "root", "by-id", "jean", ".", "-", "_", " ", "'", "\n", "\x00", "x"]),
    (phrases._QUERY_SECRET_RE, phrases.QUERY_STARTS,
     ["?", "&", "=", "key", "appid", "app_id", "app_key", "sig", "signature", "code", "pw",
      "pass", "sid", "session", "client_id", "x-amz-signature", "x-amz-credential",
      "access_code", "refresh", "s3cr3t", "#", " ", "\x00", "x", "-", "_"]),
]


def _starts(low: str, literals: tuple[str, ...]) -> list[int]:
    """Every start of a literal in `low`, overlapping ones included (the automaton's answer)."""
    out = set()
    for lit in literals:
        i = low.find(lit)
        while i >= 0:
            out.add(i)
            i = low.find(lit, i + 1)
    return sorted(out)


def _same(pattern: re.Pattern[str], literals: tuple[str, ...], low: str) -> None:
    want = [(m.start(), m.end(), m.groups()) for m in pattern.finditer(low)]
    got = [(m.start(), m.end(), m.groups()) for m in scan(pattern, low, _starts(low, literals))]
    assert got == want, low


@settings(max_examples=600, deadline=None)
@given(st.data())
def test_literal_starts_find_every_match(data: st.DataObject) -> None:
    for pattern, literals, fragments in CASES:
        pieces = st.sampled_from(fragments + list(literals))
        low = "".join(data.draw(st.lists(pieces, max_size=14))).lower()
        _same(pattern, literals, low)


def test_literal_starts_on_real_phrasing() -> None:
    """The real-phrasing cases, where these rules take their values, agree too."""
    texts = [case[0] for case in REAL] + list(KEPT_REAL)
    for pattern, literals, _ in CASES:
        hits = 0
        for text in texts:
            low = text.lower()
            _same(pattern, literals, low)
            hits += bool(pattern.search(low))
        assert hits, f"no real case exercises {pattern.pattern[:40]!r}"


def test_a_missing_start_is_caught() -> None:
    """The check can fail: without "/by-id/" in the list, a serial's path is missed."""
    low = "/dev/serial/by-id/usb-itead_sonoff_zigbee_3.0_usb_dongle_plus_v2_20231123-if00"
    literals = tuple(s for s in rules._USERPATH_STARTS if s != "/by-id/")
    want = list(rules._USERPATH_RE.finditer(low))
    got = list(scan(rules._USERPATH_RE, low, _starts(low, literals)))
    assert want and not got
