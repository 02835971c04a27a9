"""Rules tried only where one of their literal starts occurs find exactly what a scan of every
position finds (`classes.scan` over the starts against `Pattern.finditer`).

The literal starts are the rule's own list (found in the scrubber's one automaton pass); if a
regex gains an alternative that starts elsewhere and the list is not told, these fail.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from hypothesis import given, settings
from hypothesis import strategies as st

import crash_reporter.scrub as package
from crash_reporter.scrub.classes import scan
from crash_reporter.scrub.rules import digits, paths, phrases
from crash_reporter.scrub.tokens import Tally
from tests.test_scrub_real_phrasing import CASES as REAL
from tests.test_scrub_real_phrasing import KEPT_REAL

# (pattern, its literal starts, fragments texts are made of: the starts cut in pieces, the
# characters around them, and what the regex needs after them)
CASES = [
    (paths._USERPATH_RE, paths._USERPATH_STARTS,
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


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["1", "52", "1234", "\u00b0", " ", "'", "\u2032", "22", ".4",
                                 ",5", '"', "\u2033", "N", "E", "x", "\x00"]), max_size=16))
def test_coordinates_tried_before_degree_signs_find_every_match(pieces: list[str]) -> None:
    """Degrees, minutes and seconds are tried only 1-3 characters before a degree sign."""
    text = "".join(pieces)
    want = [m.span() for m in digits._DMS_RE.finditer(text)]
    assert [(s, e) for s, e, _ in digits.dms_edits(text, Tally())] == want, text


def test_a_missing_start_is_caught() -> None:
    """The check can fail: without "/by-id/" in the list, a serial's path is missed."""
    low = "/dev/serial/by-id/usb-itead_sonoff_zigbee_3.0_usb_dongle_plus_v2_20231123-if00"
    literals = tuple(s for s in paths._USERPATH_STARTS if s != "/by-id/")
    want = list(paths._USERPATH_RE.finditer(low))
    got = list(scan(paths._USERPATH_RE, low, _starts(low, literals)))
    assert want and not got


# Patterns that start with a look-behind and are only matched on a short run (a digit group,
# a number's run) or at candidate starts (`classes.scan`), never searched through a text.
_SHORT_RUNS_ONLY = {"classes._GROUP_START_RE", "digits._SSN_IN_RUN_RE", "digits._DMS_RE",
                    "credentials._KNOWN_TOKEN_RE"}


def test_no_whole_text_pattern_starts_with_a_look_behind() -> None:
    """`re` searches a pattern that starts with a literal only where the literal is; one that
    starts with a look-behind is tried at every position (Zigbee2MQTT's id pattern cost 0.5
    ms per 50 KB that way). Put the literal first and look behind it ("0x(?<!...0x)")."""
    found = []
    modules = list(pkgutil.walk_packages(package.__path__, "crash_reporter.scrub."))
    assert any(info.name.endswith(".rules.names") for info in modules)  # the families too
    for info in modules:
        module = importlib.import_module(info.name)
        short = info.name.rsplit(".", 1)[-1]
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                body = re.sub(r"^\(\?[aiLmsux]+\)", "", value.pattern)
                if body.startswith("(?<") and f"{short}.{name}" not in _SHORT_RUNS_ONLY:
                    found.append(f"{short}.{name}")
    assert found == []
