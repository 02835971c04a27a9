"""Secrets by their shape: PEM blocks, well-known tokens, Bearer/Basic values, URL userinfo.

These run first, before any rule that names a value by its key or place, so a token is one
`[token]` wherever it stands ("Authorization: Bearer x", "https://jean:x@host", "eyJ...").
Each shape starts at a literal ("-----BEGIN ", a token's prefix, "bearer", "//") and reads
the value with possessive, bounded patterns.
"""

from __future__ import annotations

import re
from typing import Final

from crash_reporter.scrub.classes import scan
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally
from crash_reporter.scrub.words import find_words
from crash_reporter.scrub.words import words as compile_words

_PEM_RE: Final = re.compile(
    r"-----BEGIN ([A-Z0-9 ]{1,64}+)-----((?:(?!-----(?:BEGIN|END) )[^\x00])*+)"
    r"(-----END \1-----)?"
)
# Well-known token shapes: JWTs (HA long-lived access tokens), GitHub, GitLab, Slack, OpenAI,
# AWS, Google, Stripe, Hugging Face, npm.
_KNOWN_TOKEN_RE: Final = re.compile(
    r"(?<![A-Za-z0-9_-])(?:eyJ[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{2,}+\.[A-Za-z0-9_-]*+"
    r"|gh[pousr]_[A-Za-z0-9]{30,}+|github_pat_[A-Za-z0-9_]{40,}+|glpat-[A-Za-z0-9_-]{20,}+"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}+|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}+|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_-]{35}|[sr]k_live_[0-9A-Za-z]{16,}+|hf_[A-Za-z0-9]{30,}+"
    r"|npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_-])"
)
# Where a match of _KNOWN_TOKEN_RE can start ("[sr]k_live_" one character before "k_live_").
_TOKEN_PREFIXES: Final = ("eyJ", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
                          "glpat-", "xox", "sk-", "AKIA", "AIza", "k_live_", "hf_", "npm_")
_BEARER_WORDS: Final = ("bearer", "basic")
_BEARER_VALUE_RE: Final = re.compile(
    r"[ \t]++(\[[a-z-]{2,12}\]|[^\s\x00-\x1f\x7f'\",;()\[\]{}<>]{6,}+"
    r"|[^\s\x00-\x1f\x7f()\[\]{}<>]++)")  # a control character (an ANSI colour's ESC) ends it
# Brackets allowed: a token already replaced ("//jean:[token]@github.com") is still userinfo.
_URLAUTH_RE: Final = re.compile(r"//([^\s/?#@\x00'\"<>]++)@")


def pem(text: str, tally: Tally) -> str:
    """PEM blocks' bodies (private keys, certificates): the armour lines stay."""

    def sub(m: re.Match[str]) -> str:
        if m.group(2) == "[pem-key]":
            return m.group(0)
        return (f"-----BEGIN {m.group(1)}-----" + tally.hit("pem-key")
                + (m.group(3) or ""))
    return _PEM_RE.sub(sub, text)


def known_token_edits(text: str, tally: Tally) -> list[Edit]:
    """Well-known token shapes, tried only where one of their prefixes is (one pass)."""
    starts = sorted({i - 1 if text.startswith("k_live_", i) else i
                     for i, _ in compile_words(_TOKEN_PREFIXES).find(text)[0]})
    return [(m.start(), m.end(), tally.hit("token"))
            for m in scan(_KNOWN_TOKEN_RE, text, (i for i in starts if i >= 0))]


def bearer_edits(text: str, low: str, tally: Tally) -> list[Edit]:
    """The value after "Bearer" or "Basic" (an Authorization header's credentials)."""
    edits: list[Edit] = []
    for _start, end in find_words(low, _BEARER_WORDS, word_start=True):
        v = _BEARER_VALUE_RE.match(text, end)
        if v is None or v.group(1) in PLACEHOLDER_VALUES:
            continue
        edits.append((v.start(1), v.end(1), tally.hit("token")))
    return edits


def url_auth(text: str, tally: Tally) -> str:
    """The userinfo of URLs ("//jean:pw@host"), as one [auth]."""
    return _URLAUTH_RE.sub(
        lambda m: m.group(0) if m.group(1) == "[auth]"
        else "//" + tally.hit("auth") + "@", text)
