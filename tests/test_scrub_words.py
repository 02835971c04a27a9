"""The two keyword engines (scrub/words.py) find exactly the same occurrences, and so the
scrubber's output does not depend on which one a process uses; the daemon itself never loads
Hyperscan (its memory belongs to the scrub worker)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crash_reporter.scrub import scrub_event, scrub_text, words
from crash_reporter.scrub.tokens import SEP
from tests.test_scrub_real_phrasing import CASES, KEPT_REAL

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "pii"))
from corpus import IDENTIFIERS, SAMPLES, corpus

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = ROOT.parent / "shared" / "samples"

# Letters that make words overlap, "?" (what the one-byte encoding writes for other
# characters), NUL, non-ASCII of 2, 3 and 4 UTF-8 bytes, a lone surrogate.
ALPHABET = "?ab c\x00\u00e9\u20ac\U0001f600\ud800\u00c4x-:"
_word = st.text(ALPHABET, min_size=1, max_size=4)
_ascii_word = st.text("?ab:-x", min_size=1, max_size=3)


def naive(groups: tuple[tuple[str, ...], ...], text: str) -> list[list[tuple[int, int]]]:
    """Every occurrence by str.find, overlapping ones included: the specification."""
    out: list[list[tuple[int, int]]] = []
    for group in groups:
        hits = set()
        for word in group:
            i = text.find(word) if word else -1
            while i >= 0:
                hits.add((i, i + len(word)))
                i = text.find(word, i + 1)
        out.append(sorted(hits))
    return out


@pytest.fixture
def hyperscan() -> Iterator[None]:
    """Hyperscan in this process for the test; CI must have it (no skip)."""
    assert words.use_hyperscan(), "hyperscan cannot run here"
    yield
    words.use_hyperscan(False)


def _both(groups: tuple[tuple[str, ...], ...], text: str
          ) -> tuple[list[list[tuple[int, int]]], list[list[tuple[int, int]]]]:
    words.use_hyperscan(False)
    aho = words.Words(groups).find(text)
    assert words.use_hyperscan()
    try:
        fast = words.Words(groups).find(text)
    finally:
        words.use_hyperscan(False)
    return aho, fast


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_word, max_size=9).map(tuple), min_size=1, max_size=4).map(tuple),
       st.text(ALPHABET, max_size=120))
def test_both_engines_find_every_occurrence(groups: tuple[tuple[str, ...], ...], text: str
                                            ) -> None:
    aho, fast = _both(groups, text)
    expected = naive(groups, text)
    # A word listed twice in one group is one occurrence per place in the specification.
    assert [sorted(set(h)) for h in aho] == expected
    assert fast == aho


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ascii_word, min_size=7, max_size=12).map(tuple), st.text(ALPHABET, max_size=120))
def test_ascii_words_in_text_of_other_characters(group: tuple[str, ...], text: str) -> None:
    """ASCII words are matched in the text encoded one byte per character: a "?" in a word
    must not match where another character was."""
    aho, fast = _both((group,), text)
    assert fast == aho
    assert [sorted(set(h)) for h in aho] == naive((group,), text)


def _texts() -> Iterator[str]:
    for case in CASES:
        yield case[0]
    yield from KEPT_REAL
    for path in sorted(SHARED_SAMPLES.glob("*.log")) + sorted(SAMPLES.glob("*")):
        if path.is_file():
            yield path.read_text(errors="replace")
    for event, _secrets in corpus(sizes=(2_000, 50_000)):
        yield SEP.join(str(v) for v in event.get("exception", {}).get("values", []))


def test_scrubber_output_is_the_same_with_either_engine() -> None:
    texts = list(_texts())
    assert len(texts) > 80
    events = [event for event, _ in corpus(sizes=(2_000, 50_000))]
    ids = [*IDENTIFIERS, ("Smith R\u00e9sidence", "location"), ("Smith Family WiFi", "ssid")]
    words.use_hyperscan(False)
    slow = [scrub_text(t, ids) for t in texts], [scrub_event(e, ids) for e in events]
    assert words.use_hyperscan()
    try:
        fast = [scrub_text(t, ids) for t in texts], [scrub_event(e, ids) for e in events]
    finally:
        words.use_hyperscan(False)
    assert fast == slow
    assert any(a != b for a, b in zip(texts, slow[0], strict=True))  # something was scrubbed


def test_hyperscan_engine_is_used_after_turning_it_on(hyperscan: None) -> None:
    assert words.engine() == "hyperscan"
    assert "[ssid]" in scrub_text("Connecting to 'Smith Family WiFi'")


def _python(code: str) -> str:
    """What a fresh interpreter prints running `code`."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return out.stdout.strip()


def test_the_daemon_never_loads_hyperscan() -> None:
    """The daemon imports the scrubber and runs it in before_send; only the worker loads
    Hyperscan (about 3 MB of resident memory once it compiles)."""
    code = ("import sys\n"
            "import crash_reporter.app, crash_reporter.scan\n"
            "from crash_reporter.scrub import make_before_send\n"
            "send = make_before_send(lambda: ['homeassistant-kitchen'])\n"
            "event = {'message': 'password: hunter2 ' * 50, 'exception': {'values': [\n"
            "    {'type': 'E', 'value': 'Cannot connect to host nas.smith.de:443 ' * 20}]}}\n"
            "assert send(event, {}) is not None\n"
            "print('hyperscan' in sys.modules)\n")
    assert _python(code) == "False"


def test_the_worker_uses_hyperscan() -> None:
    code = ("import io, sys\n"
            "from crash_reporter.scrub import worker, words\n"
            "worker.serve(io.BytesIO(b''), io.BytesIO())\n"
            "print(words.engine())\n")
    assert _python(code) == "hyperscan"


def test_a_word_set_hyperscan_refuses_is_searched_without_it(
        hyperscan: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object, ids: object) -> None:
        raise RuntimeError("compiler said no")

    monkeypatch.setattr(words._Hyperscan, "__init__", refuse)
    group = ("password", "token", "ssid", "host", "user", "mount", "serial", "secret")
    found = words.Words((group,)).find("user: x, ssid='y', token=z")
    assert found == naive((group,), "user: x, ssid='y', token=z")
