"""Every occurrence of a set of words in one pass over a text (Aho-Corasick, in C).

The key-value, SSID, host and mount rules start at keywords ("password", "ssid", "host" ...),
and the host's own identifiers are a set of words too. `str.find` per word costs a full pass
each (about 35 us per word per 50 KB, and there are some 60 keywords and a dozen identifier
forms); one automaton (pyahocorasick) finds all of them in one linear pass, overlapping
occurrences included, exactly the occurrences the `str.find` loop found. A set of a few words
is still searched with `str.find`, which is then faster.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

import ahocorasick

_FEW: Final = 6


class Words:
    """A compiled set of word groups; `find` returns each group's (start, end) occurrences."""

    __slots__ = ("_automaton", "_few", "_groups")

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self._groups = [tuple(g) for g in groups]
        automaton: Any = ahocorasick.Automaton()
        for gi, words in enumerate(self._groups):
            for word in words:
                if not word:
                    continue
                found = automaton.get(word, None)
                automaton.add_word(word, (len(word), (*found[1], gi) if found else (gi,)))
        if len(automaton):
            automaton.make_automaton()
        self._automaton = automaton
        # str.find costs ~0.7 ns per character and word, the automaton ~6 ns per character:
        # a few distinct words are found faster one by one (the same occurrences).
        self._few = len(automaton) <= _FEW

    def find(self, text: str) -> list[list[tuple[int, int]]]:
        """For each group, the (start, end) of every occurrence of its words, sorted."""
        out: list[list[tuple[int, int]]] = [[] for _ in self._groups]
        if self._few:
            for hits, words in zip(out, self._groups, strict=True):
                for word in words:
                    i = text.find(word) if word else -1
                    while i >= 0:
                        hits.append((i, i + len(word)))
                        i = text.find(word, i + 1)
                hits.sort()
            return out
        for last, (length, groups) in self._automaton.iter(text):
            start = last + 1 - length
            for gi in groups:
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


EMPTY: Final = Words(())
