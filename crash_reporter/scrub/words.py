"""Every occurrence of a set of words in one pass over a text (Aho-Corasick, in C).

The key-value, SSID, host and mount rules start at keywords ("password", "ssid", "host" ...),
and the host's own identifiers are a set of words too. `str.find` per word costs a full pass
each (about 35 us per word per 50 KB, and there are some 60 keywords and a dozen identifier
forms); one automaton (pyahocorasick) finds all of them in one linear pass, overlapping
occurrences included, exactly the occurrences the `str.find` loop found.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

import ahocorasick


class Words:
    """A compiled set of word groups; `find` returns each group's (start, end) occurrences."""

    __slots__ = ("_automaton", "_groups")

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

    def find(self, text: str) -> list[list[tuple[int, int]]]:
        """For each group, the (start, end) of every occurrence of its words, sorted."""
        out: list[list[tuple[int, int]]] = [[] for _ in self._groups]
        if not len(self._automaton):
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
