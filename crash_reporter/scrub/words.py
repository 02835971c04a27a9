"""Every occurrence of a set of words in one pass over a text, with one of two engines.

The key-value, SSID, host and mount rules start at keywords ("password", "ssid", "host" ...),
and the host's own identifiers are a set of words too. `str.find` per word costs a full pass
each (about 35 us per word per 50 KB, and there are some 100 keywords and a dozen identifier
forms), so each set is compiled into one matcher that finds all of its words in one linear
pass, overlapping occurrences included: exactly the occurrences a `str.find` loop finds.

- Aho-Corasick (pyahocorasick), the default: about 6 ns per character, and no memory to speak
  of. The daemon's ``before_send`` (which scrubs an event a second time) uses it.
- Hyperscan (vectorscan), a SIMD literal matcher: about 1 ns per character, ten times faster
  on a 50 KB event, but its compiler costs some 3 MB of resident memory, so only the scrub
  worker (a child process) and the benches turn it on, with `use_hyperscan`. Where it cannot
  run (no wheel, a CPU without the instructions it needs) the default stays.

A set of a few distinct words is searched with `str.find` by either engine: that is faster.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Final

import ahocorasick

_LOGGER = logging.getLogger(__name__)

_FEW: Final = 6
_FEW_HS: Final = 1
_NON_ASCII_RE: Final = re.compile(r"[^\x00-\x7f]++")

# The hyperscan module once `use_hyperscan` succeeded; None: the Aho-Corasick engine.
_hs: Any = None

Occurrences = list[list[tuple[int, int]]]


def use_hyperscan(on: bool = True) -> bool:
    """Find words with Hyperscan from now on in this process (or, `on` False, no longer).

    Returns whether Hyperscan is in use: False if it cannot run here.
    """
    global _hs  # noqa: PLW0603 - one engine per process, chosen at start
    if not on:
        if _hs is not None:
            _hs = None
            words.cache_clear()
        return False
    if _hs is not None:
        return True
    try:
        import hyperscan  # noqa: PLC0415 - loaded only where it is wanted (see above)

        probe = hyperscan.Database()
        probe.compile(expressions=[b"probe"], ids=[0], elements=1, flags=[0])
        probe.scan(b"a probe", match_event_handler=lambda *_: None)
    except Exception:  # no module, or hs_valid_platform() said no: keep Aho-Corasick
        return False
    _hs = hyperscan
    words.cache_clear()
    return True


def engine() -> str:
    """The name of the engine `words` compiles for (shown by the benches)."""
    return "hyperscan" if _hs is not None else "pyahocorasick"


def _utf8(word: str) -> bytes:
    return word.encode("utf-8", "surrogatepass")


class _Hyperscan:
    """One Hyperscan block-mode database of literal words, each word in one or more groups.

    Words that are all ASCII (and hold no "?") are matched in the text encoded one byte per
    character (other characters become "?", which is in no word), so byte offsets are
    character offsets. Otherwise the text is matched as UTF-8 and the few non-ASCII
    characters before each occurrence are counted back out.
    """

    __slots__ = ("_ascii", "_db", "_groups", "_lengths", "_lock")

    def __init__(self, ids: list[tuple[str, tuple[int, ...]]]) -> None:
        self._ascii = all(w.isascii() and "?" not in w for w, _ in ids)
        self._lengths = [len(w) for w, _ in ids]
        self._groups = [gis for _, gis in ids]
        exprs = [b"".join(b"\\x%02x" % b for b in _utf8(w)) for w, _ in ids]
        self._db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
        self._db.compile(expressions=exprs, ids=list(range(len(ids))), elements=len(ids),
                         flags=[0] * len(ids))
        self._lock = threading.Lock()  # a database's scratch serves one scan at a time

    def find(self, text: str, out: Occurrences) -> None:
        """Append every occurrence's (start, end) to `out`, per group, in no order."""
        lengths, groups = self._lengths, self._groups
        if text.isascii() or self._ascii:
            data = text.encode("ascii", "replace")

            def hit(wid: int, _from: int, end: int, _flags: int, _ctx: Any) -> None:
                for gi in groups[wid]:
                    out[gi].append((end - lengths[wid], end))
            handler: Callable[[int, int, int, int, Any], None] = hit
        else:
            ends, extra = _byte_map(text)
            data = text.encode("utf-8", "surrogatepass")

            def hit_utf8(wid: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
                # `to` ends a word that starts on a character boundary: the word's own
                # characters are counted by its length, the extra bytes before it taken off.
                end = to - _extra_before(ends, extra, to)
                for gi in groups[wid]:
                    out[gi].append((end - lengths[wid], end))
            handler = hit_utf8
        with self._lock:
            self._db.scan(data, match_event_handler=handler)


def _byte_map(text: str) -> tuple[list[int], list[int]]:
    """Where each non-ASCII character of `text` ends in UTF-8, and the extra bytes so far.

    Extra bytes: beyond one per character, of that character and all before it.
    """
    ends: list[int] = []
    extra: list[int] = []
    total = 0
    for run in _NON_ASCII_RE.finditer(text):
        for k, ch in enumerate(run.group(0)):
            total += len(_utf8(ch)) - 1
            ends.append(run.start() + k + 1 + total)
            extra.append(total)
    return ends, extra


def _extra_before(ends: list[int], extra: list[int], at: int) -> int:
    """The extra bytes of the non-ASCII characters that end at or before byte `at`."""
    k = bisect.bisect_right(ends, at)
    return extra[k - 1] if k else 0


class Words:
    """A compiled set of word groups; `find` returns each group's (start, end) occurrences."""

    __slots__ = ("_automaton", "_few", "_groups", "_hs", "_ids")

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self._groups = [tuple(g) for g in groups]
        ids: dict[str, tuple[int, ...]] = {}
        for gi, group in enumerate(self._groups):
            for word in group:
                if word:
                    ids[word] = (*ids.get(word, ()), gi)
        self._ids = list(ids.items())
        # str.find costs ~0.7 ns per character and word: a few distinct words are found
        # faster one by one (the same occurrences).
        self._few = len(ids) <= (_FEW_HS if _hs is not None else _FEW)
        self._automaton: Any = None
        self._hs: _Hyperscan | None = None
        if self._few:
            return
        if _hs is not None:
            try:
                self._hs = _Hyperscan(self._ids)
            except Exception:  # any refusal of the compiler: the plain engine
                _LOGGER.warning("Hyperscan refused a word set; it is searched without it")
            else:
                return
        automaton: Any = ahocorasick.Automaton()
        for word, gis in self._ids:
            automaton.add_word(word, (len(word), gis))
        automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> Occurrences:
        """For each group, the (start, end) of every occurrence of its words, sorted."""
        out: Occurrences = [[] for _ in self._groups]
        if self._few:
            for word, gis in self._ids:
                i = text.find(word)
                while i >= 0:
                    for gi in gis:
                        out[gi].append((i, i + len(word)))
                    i = text.find(word, i + 1)
        elif self._hs is not None:
            self._hs.find(text, out)
        else:
            for last, (length, gis) in self._automaton.iter(text):
                start = last + 1 - length
                for gi in gis:
                    out[gi].append((start, last + 1))
        for hits in out:
            hits.sort()
        return out


@lru_cache(maxsize=64)
def words(*groups: tuple[str, ...]) -> Words:
    """The (cached) compiled `Words` for these groups."""
    return Words(groups)


def word_starts(low: str, hits: list[tuple[int, int]], extra_before: str = ""
                ) -> list[tuple[int, int]]:
    """The hits that start a word: not after a letter or digit (or one of `extra_before`)."""
    return [(i, j) for i, j in hits
            if not (i and (low[i - 1].isalnum() or low[i - 1] in extra_before))]


def find_words(low: str, group: tuple[str, ...], *, word_start: bool,
               extra_before: str = "") -> list[tuple[int, int]]:
    """(start, end) of every occurrence of `group`'s words in `low`, in order (one pass).

    With `word_start`, an occurrence must not follow a letter or digit (or `extra_before`).
    """
    hits = words(group).find(low)[0]
    return word_starts(low, hits, extra_before) if word_start else hits


EMPTY: Final = Words(())
