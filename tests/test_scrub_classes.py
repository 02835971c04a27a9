"""The candidate searches of scrub/classes.py miss no position where a rule can find something.

The digit, hex, IBAN and well-known-token rules run their regex only at the candidates, so a
missed candidate would be a value left in a report. For generated texts dense in digits,
separators, hex and letters (other scripts' digits too), every position where the rule's
regex matches (for the digit rule: matches and yields a finding) must be a candidate.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crash_reporter.scrub.classes import digit_candidates, hex_candidates, iban_candidates
from crash_reporter.scrub.rules import credentials, digits
from crash_reporter.scrub.tokens import Tally

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

ATOMS = ["1", "12", "123", "4111", "0", " ", "-", "_", ".", ",", ":", "a", "f", "x", "DE",
         "de", "GB", "\n", "\u0663", "\u00e9", "ab", "deadbeef", "0123456789abcdef", "123-45-",
         "6789", "1111 ", "52.3731, ", "DE89", "GB82WEST", "3704 ", "k_live_", "eyJ", "ghp_",
         "sk-"]
TOKENS = ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "ghp_" + "a1" * 18, "sk_live_" + "Ab1" * 6,
          "rk_live_" + "Z" * 16, "xoxb-" + "1-" * 6, "AKIA" + "ABCD1234" * 2, "AIza" + "x" * 35,
          "hf_" + "q" * 30, "npm_" + "n" * 36, "glpat-" + "g" * 20, "sk-proj-" + "p" * 20]
texts = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=60).map("".join)
token_texts = st.lists(st.sampled_from(ATOMS + TOKENS), min_size=1, max_size=30).map("".join)


def _matches(pattern: object, text: str) -> list[int]:
    """Every position where `pattern` (a compiled regex) matches, tried one by one."""
    match = pattern.match  # type: ignore[attr-defined]
    return [i for i in range(len(text)) if match(text, i)]


@SETTINGS
@given(texts)
def test_hex_and_iban_candidates_hold_every_match(text: str) -> None:
    assert set(_matches(digits._HEXLED_RE, text)) <= set(hex_candidates(text))
    assert set(_matches(digits._IBAN_RE, text)) <= set(iban_candidates(text))


@SETTINGS
@given(texts)
def test_digit_candidates_hold_every_finding(text: str) -> None:
    candidates = set(digit_candidates(text))
    for i in range(len(text)):
        m = digits._DIGITLED_RE.match(text, i)
        if m is None or i in candidates:
            continue
        # Only a run of digit groups without a card or SSN in it may be left out.
        assert m.lastgroup == "num", (text, i, m.lastgroup)
        assert digits._cards(text, i, m.group(0), Tally()) == [], (text, i)


@SETTINGS
@given(token_texts)
def test_token_candidates_hold_every_match(text: str) -> None:
    found = {m.start() for m in credentials._KNOWN_TOKEN_RE.finditer(text)}
    kept = {s for s, _e, _r in credentials.known_token_edits(text, Tally())}
    assert found == kept
