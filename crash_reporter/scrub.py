"""Stage 4: the privacy scrubber (event -> scrubbed event), also sentry-sdk's before_send.

Nothing that identifies a home may leave the host, and Sentry's server-side scrubbing does not
look at exception values, frame paths or debug_meta, so everything happens here.

How it works (and why it is fast in pure Python):

1. Structure first. A new event is built from an allowlist: known top-level keys, known tag
   and context keys, known frame keys. ``user``, ``request``, ``server_name``, ``extra``,
   ``modules`` and anything unknown are dropped; frame ``vars`` keep numbers only.
2. Every string that survives is collected once (duplicates are scanned once), the unique
   strings are joined with NUL into one text, and each rule runs ONE regex pass over that
   text, guarded by a C-speed substring test where the rule has a literal anchor. Python code
   only runs on matches. The text is split back and the strings put into place.
3. Replacements are typed placeholders (``[ip]``, ``[email]``, ``[hostname]``, ``[token]``,
   ``[path-user]`` ...): the same input always gives the same output, and the output is a
   fixed point (scrubbing twice changes nothing).
4. Sizes are capped (strings, frames, threads, breadcrumbs) so that the serialized event stays
   well under Sentry's 1 MB; what was removed is counted in ``contexts["scrubbed"]`` (counts
   per class only, never values).
5. Fail closed: any exception inside the scrubber returns None (the event is dropped).

Kept on purpose (identify no one, needed for triage): ``event_id``, ``debug_meta`` ids,
hex shorter than 32 characters (Go pcs, offsets, addresses), loopback and the Supervisor's
internal Docker network (172.30.32.0/23, 172.30.33.0/24), ``/root``, versions, code paths.
"""

from __future__ import annotations

import bisect
import contextlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "PLACEHOLDERS",
    "ScrubStats",
    "make_before_send",
    "scrub_event",
    "scrub_text",
]

Event = dict[str, Any]
Hint = dict[str, Any]

# ---------------------------------------------------------------------------------------
# Placeholders (class name -> replacement text)
# ---------------------------------------------------------------------------------------

PLACEHOLDERS: Final[dict[str, str]] = {
    name: f"[{name}]"
    for name in (
        "ip", "email", "creditcard", "mac", "imei", "ssn", "iban", "uuid", "path-user",
        "token", "pem-key", "auth", "filtered", "hostname", "ssid", "serial", "geo", "id",
    )
}
_PLACEHOLDER_VALUES: Final = frozenset(PLACEHOLDERS.values())

# Counters (besides the classes above) recorded in contexts["scrubbed"].
_SIZE_COUNTERS: Final = ("truncated", "frames_cut", "threads_cut", "breadcrumbs_cut",
                         "exceptions_cut")
_COUNT_KEYS: Final = frozenset((*PLACEHOLDERS, *_SIZE_COUNTERS))

# ---------------------------------------------------------------------------------------
# Size limits
# ---------------------------------------------------------------------------------------

MAX_EVENT_BYTES: Final = 800_000  # serialized as sentry-sdk does; Sentry rejects > 1 MB
_SIZE_CHECK_FROM: Final = 200_000  # below this estimate no exact size check is needed
_TRUNCATED: Final = "...[truncated]"


@dataclass(frozen=True, slots=True)
class _Limits:
    """Caps applied while building the scrubbed event (tightened if it is still too big)."""

    long_text: int = 8192  # messages, exception values
    text: int = 1024  # breadcrumb messages, context values, anything else
    short: int = 512  # paths, functions, modules, context lines, fingerprint parts
    tag: int = 200  # Sentry rejects longer tag values
    frames: int = 100  # per stacktrace: half outermost, half innermost
    context_lines: int = 5  # pre/post_context lines each
    threads: int = 50
    breadcrumbs: int = 100  # the most recent
    exceptions: int = 25  # the newest


_LEVELS: Final = (
    _Limits(),
    _Limits(long_text=4096, text=512, short=256, frames=50, context_lines=2, threads=10,
            breadcrumbs=50, exceptions=10),
    _Limits(long_text=1024, text=256, short=200, frames=20, context_lines=0, threads=3,
            breadcrumbs=20, exceptions=5),
)

# ---------------------------------------------------------------------------------------
# Patterns. Each runs once over the joined text of all unique strings; NUL separates the
# strings and no pattern can match across it. For speed every pattern starts with a literal
# or a single character class (so the regex engine scans in C and only tries a match at a
# few positions); case-insensitive keywords are searched in a lowercased copy.
# ---------------------------------------------------------------------------------------

_SEP: Final = "\x00"

_PEM_RE: Final = re.compile(
    r"(-----BEGIN ([A-Z0-9 ]{1,64})-----)([^\x00]*?)(-----END \2-----|(?=\x00)|\Z)"
)
_JWT_RE: Final = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_BEARER_RE: Final = re.compile(r"bearer|basic")  # in the lowercased text
_BEARER_VALUE_RE: Final = re.compile(
    r"[ \t]+(\[[a-z-]{2,12}\]|[^\s\x00'\",;)\]}]{6,}|[^\s\x00]+)")
_URLAUTH_RE: Final = re.compile(r"//([^\s/?#@\[\]\x00'\"<>]+)@")
_URLHOST_RE: Final = re.compile(r"://(\[auth\]@)?([^\s/?#:@\[\]'\"<>(){},;\\\x00]+)")
# Keys whose value is a secret, an SSID, a serial number or a coordinate (lowercased text).
_KV_ANCHOR_RE: Final = re.compile(
    r"pass(?:word|wd|phrase)|pwd|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|privatekey|credential|token|psk|otp|auth|cookie|hassio[_-]?key"
    r"|ssid|wifi[_-]?name|connection|serial|lat|lon|lng"
)
_KV_TAIL_RE: Final = re.compile(
    r"(?i)(?P<suffix>[\w-]*(?:[ _-](?:number|no|num))?)"
    r"(?P<sep>\\?[\"']?[ \t]*[:=][ \t]*|[ \t]+(?=[\"'])|[ \t]+(?=\d))"
    r"(?P<val>\[[a-z-]{2,12}\](?![^\s,;&}\])'\"\x00])|\"[^\"\x00\n]*\"|'[^'\x00\n]*'"
    r"|[^\s,;&}\])'\"\x00]+)"
)
_SSID_REST_RE: Final = re.compile(r"[^\n\x00,;]*")
_GEO_KEYS: Final = frozenset({"lat", "latitude", "lon", "long", "longitude", "lng"})
_GEO_VALUE_RE: Final = re.compile(r"-?\d{1,3}(?:\.\d+)?")
_KEYCHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_EMAILLOCAL: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")
_EMAIL_RE: Final = re.compile(
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)
# Hex-led classes: UUID, 32+ hex token, MAC (':' or '-' or Cisco dots), IPv6 candidates.
# The first character is consumed by a class (the engine scans for it), then a shared
# look-behind rejects positions inside a hex run before any alternative is tried.
_HEXLED_RE: Final = re.compile(
    r"[0-9A-Fa-f:](?<![0-9A-Fa-f][0-9A-Fa-f:])(?:"
    r"(?P<uuid>(?<![0-9A-Za-z_:.-].)(?<=[0-9A-Fa-f])[0-9A-Fa-f]{7}-[0-9A-Fa-f]{4}"
    r"-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z_]))"
    r"|(?P<token>(?<=[0-9A-Fa-f])[0-9A-Fa-f]{31,}(?![0-9A-Fa-f]))"
    r"|(?P<mac>(?<![0-9A-Za-z:.-].)(?<=[0-9A-Fa-f])[0-9A-Fa-f](?:"
    r"(?P<ms>[:-])[0-9A-Fa-f]{2}(?:(?P=ms)[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{2}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Za-z_:-]|\.[0-9A-Fa-f]))"
    r"|(?P<ip6>(?<![0-9A-Za-z_:.%].)[0-9A-Fa-f:]*:[0-9A-Fa-f:]*"
    r"(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})?(?:%[0-9A-Za-z_.-]*[0-9A-Za-z_])?(?![\w:]|\.\d))"
    r")"
)
# Digit-led classes: IPv4, coordinates, US SSN, card numbers / IMEI.
_DIGITLED_RE: Final = re.compile(
    r"\d(?<![\d.]\d)(?:"
    r"(?P<ip4>\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d|\.\d))"
    r"|(?P<geo>(?<![\w]\d)\d?\.\d{4,},[ \t]?-?\d{1,3}\.\d{4,}(?![\d.]))"
    r"|(?P<ssn>(?<!-\d)\d\d(?P<ss>[- ])\d\d(?P=ss)\d{4}(?![\d-]))"
    r"|(?P<card>(?<![\w-]\d)(?:[ -]?\d){12,22}(?!\d))"
    r")"
)
_IBAN_RE: Final = re.compile(
    r"\d\d(?<=(?<![A-Za-z0-9])[A-Za-z]{2}\d\d)(?:[ ]?[A-Za-z0-9]){11,32}(?![A-Za-z0-9])"
)
_USERPATH_RE: Final = re.compile(  # in the lowercased text
    r"(?:/home/|/users/|\\\\home\\\\|\\users\\|\\\\users\\\\|/users\\"
    r"|\\documents and settings\\)(?!\[path-user\])([^/\\\s'\"\x00:;,)\]]+)"
)
_PRIVATE_SUFFIXES: Final = (
    "local", "lan", "home.arpa", "internal", "localdomain", "fritz.box", "ui.nabu.casa",
    "duckdns.org", "dyndns.org", "ddns.net", "myfritz.net", "no-ip.org", "no-ip.biz",
    "hopto.org", "freeddns.org", "dynu.net",
)
_PRIVATE_HOST_RE: Final = re.compile(  # in the lowercased text
    r"\.(?:" + "|".join(re.escape(s) for s in sorted(_PRIVATE_SUFFIXES, key=len, reverse=True))
    + r")(?![\w-]|\.[a-z0-9])"
)
_HOSTCHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

# Hosts in URLs that identify no one (Home Assistant's own services, code hosting, ...).
_PUBLIC_HOST_SUFFIXES: Final = (
    "home-assistant.io", "nabucasa.com", "github.com", "githubusercontent.com", "ghcr.io",
    "docker.io", "docker.com", "pypi.org", "pythonhosted.org", "python.org", "sentry.io",
    "alpinelinux.org", "debian.org", "ubuntu.com", "cloudflare.com", "google.com",
    "googleapis.com", "ntp.org", "example.com", "example.org", "example.net",
    "letsencrypt.org", "esphome.io", "golang.org", "go.dev",
)
_INTERNAL_HOST_RE: Final = re.compile(
    r"(?i)(?:supervisor|homeassistant|hassio|localhost|observer|dns|audio|cli|multicast"
    r"|core[-_][\w-]+|addon[-_][\w-]+|[0-9a-f]{8}[-_][\w-]+|\[[a-z-]+\])"
)
_HOSTNAME_SHAPE_RE: Final = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")
_HEX32_RE: Final = re.compile(r"[0-9A-Fa-f]{32,}")

# Names that identify no one even though the app may learn them as host names.
_DEFAULT_NAMES: Final = frozenset({
    "homeassistant", "homeassistant.local", "localhost", "supervisor", "hassio", "core",
    "home-assistant", "hassos", "haos", "docker", "unknown", "none", "null", "local",
})

_KEPT_V4_NETS: Final = (
    ipaddress.IPv4Network("127.0.0.0/8"),
    ipaddress.IPv4Network("0.0.0.0/32"),
    ipaddress.IPv4Network("172.30.32.0/23"),  # the Supervisor's hassio network
    ipaddress.IPv4Network("172.30.33.0/24"),
)
_CARD_BRAND_RE: Final = re.compile(
    r"3[47]\d{13}|4\d{15}|5[1-5]\d{14}|2[2-7]\d{14}|6(?:011|5\d\d)\d{12}")
_NUL_RE: Final = re.compile(_SEP)

# ---------------------------------------------------------------------------------------
# Text scrubbing (over the joined text)
# ---------------------------------------------------------------------------------------


class _Pass:
    """Bookkeeping for one scrub run: counts per class, weighted by duplicate multiplicity."""

    __slots__ = ("_offsets", "_offsets_of", "counts", "mult")

    def __init__(self, mult: list[int] | None) -> None:
        self.counts: dict[str, int] = {}
        self.mult = mult
        self._offsets: list[int] = []
        self._offsets_of: str | None = None

    def hit(self, cls: str, text: str, pos: int) -> str:
        """Count one replacement of class `cls` at `pos` of `text`; return its placeholder."""
        weight = 1
        if self.mult is not None:
            if self._offsets_of is not text:
                self._offsets = [mm.start() for mm in _NUL_RE.finditer(text)]
                self._offsets_of = text
            weight = self.mult[bisect.bisect_left(self._offsets, pos)]
        self.counts[cls] = self.counts.get(cls, 0) + weight
        return PLACEHOLDERS[cls]

    def m(self, cls: str, m: re.Match[str]) -> str:
        """`hit` for a regex match."""
        return self.hit(cls, m.string, m.start())


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, replacement) edits, given in order."""
    if not edits:
        return text
    out: list[str] = []
    last = 0
    for start, end, repl in edits:
        out.append(text[last:start])
        out.append(repl)
        last = end
    out.append(text[last:])
    return "".join(out)


def _lower(text: str) -> str:
    """Lowercase `text` keeping every index in place (for searches in the lowercased copy)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _luhn(digits: str) -> bool:
    """True if the digit string passes the Luhn check (cards, IMEIs)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_class(digits: str) -> str | None:
    """Classify a 13-19 digit number: creditcard, imei, or None (not sensitive)."""
    n = len(digits)
    if n < 13 or n > 19:
        return None
    if _luhn(digits):
        if n == 15 and not digits.startswith(("34", "37")):
            return "imei"
        return "creditcard"
    if _CARD_BRAND_RE.fullmatch(digits):
        return "creditcard"
    return None


# Countries that use IBANs and the length of theirs (ISO 13616 registry): a country code and
# its exact length, on top of the mod-97 check that 1 in 97 random strings passes.
_IBAN_LENGTHS: Final = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def _iban_valid(compact: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN without spaces."""
    if len(compact) < 15 or len(compact) > 34 or not compact[2:4].isdigit():
        return False
    moved = (compact[4:] + compact[:4]).upper()
    try:
        return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1
    except ValueError:
        return False


def _is_ip6(cand: str) -> bool:
    """True if `cand` (maybe with a zone id) is an IPv6 address worth scrubbing."""
    if "::" not in cand and cand.count(":") < 6:
        return False
    addr = cand.split("%", 1)[0]
    try:
        ip = ipaddress.IPv6Address(addr)
    except ValueError:
        return False
    if ip.is_loopback or ip.is_unspecified:
        return False
    # "1::2"-style fragments of code are too short to be addresses unless they have a zone.
    return "%" in cand or sum(1 for g in addr.split(":") if g) >= 2 or "." in addr


def _ip4_kept(text: str) -> bool:
    """True for IPv4 addresses that identify no one (loopback, the hassio network)."""
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        return True  # not an address at all (an octet above 255, leading zeros ...)
    return any(ip in net for net in _KEPT_V4_NETS)


def _host_is_public_ok(host: str) -> bool:
    """True if a URL host can stay (HA services, well-known sites, internal names, IPs)."""
    low = host.lower().rstrip(".")
    if low in _PLACEHOLDER_VALUES or low.startswith("["):
        return True
    if _INTERNAL_HOST_RE.fullmatch(low):
        return True
    if all(ch.isdigit() or ch == "." for ch in low):
        return True  # left to the IP rules
    return any(low == s or low.endswith("." + s) for s in _PUBLIC_HOST_SUFFIXES)


def _identifier_class(value: str) -> str:
    """The placeholder class of a host identifier."""
    if _HEX32_RE.fullmatch(value) or value.startswith(("eyJ", "eyj")):
        return "token"
    if _HOSTNAME_SHAPE_RE.fullmatch(value):
        return "hostname"
    return "id"


@lru_cache(maxsize=64)
def _identifier_pattern(ids: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of the host's identifiers (longest first), for the lowercased text."""
    body = "|".join(re.escape(i) for i in ids)
    return re.compile(r"(?:" + body + r")(?![A-Za-z0-9])")


def _normalize_identifiers(identifiers: Iterable[str] | None) -> tuple[str, ...]:
    """Usable identifiers, lowercased, longest first; too short or default names dropped."""
    if not identifiers:
        return ()
    if isinstance(identifiers, str):
        identifiers = (identifiers,)
    out: set[str] = set()
    items: Iterable[object] = identifiers
    for raw in items:
        if not isinstance(raw, str):
            continue
        value = _lower(raw.strip()).replace(_SEP, "")
        if len(value) < 3 or value in _DEFAULT_NAMES or value in _PLACEHOLDER_VALUES:
            continue
        out.add(value)
        if "." in value and _HOSTNAME_SHAPE_RE.fullmatch(value):
            label = value.split(".", 1)[0]
            if len(label) >= 4 and label not in _DEFAULT_NAMES:
                out.add(label)
    return tuple(sorted(out, key=lambda v: (-len(v), v)))


def _kv_edits(text: str, low: str, acc: _Pass) -> list[tuple[int, int, str]]:
    """Values of secret-like keys, SSIDs, labelled serial numbers and coordinates."""
    edits: list[tuple[int, int, str]] = []
    last_end = 0
    for m in _KV_ANCHOR_RE.finditer(low):
        if m.start() < last_end:
            continue
        start = m.start()
        while start > 0 and text[start - 1] in _KEYCHARS:
            start -= 1
        tail = _KV_TAIL_RE.match(text, m.end())
        if tail is None:
            continue
        key = low[start:m.end()] + low[m.end():tail.end("suffix")]
        if start > 0 and text[start - 1].isalnum():
            continue
        anchor = m.group(0)
        if anchor in ("lat", "lon", "lng"):
            if key.rsplit(".", 1)[-1].rsplit("_", 1)[-1] not in _GEO_KEYS:
                continue
            target = "geo"
        elif anchor == "serial":
            target = "serial"
        elif anchor in ("ssid", "connection") or anchor.startswith("wifi"):
            if anchor == "ssid" and not key.endswith("ssid"):
                continue
            target = "ssid"
        else:
            target = "filtered"
        val = tail.group("val")
        vstart = tail.start("val")
        quote = val[0] if val[:1] in ("'", '"') and len(val) >= 2 else ""
        inner = val[1:-1] if quote else val
        vend = tail.end("val")
        if target == "ssid" and not quote:
            if anchor == "connection":
                continue
            if ":" in tail.group("sep") or "=" in tail.group("sep"):
                rest = _SSID_REST_RE.match(text, vstart)
                assert rest is not None
                inner = rest.group(0).rstrip()
                vend = vstart + len(inner)
        if not inner or inner == PLACEHOLDERS[target]:
            continue
        if target == "serial" and (len(inner) < 4 or not any(c.isdigit() for c in inner)):
            continue
        if target == "geo" and not _GEO_VALUE_RE.fullmatch(inner):
            continue
        edits.append((vstart, vend, quote + acc.hit(target, text, vstart) + quote))
        last_end = vend
    return edits


def _scrub_blob(text: str, ids: tuple[str, ...], acc: _Pass) -> str:
    """Run every rule once over `text` (unique strings joined by NUL)."""
    low = _lower(text)

    if "-----begin " in low:
        def pem(m: re.Match[str]) -> str:
            if m.group(3) == PLACEHOLDERS["pem-key"]:
                return m.group(0)
            return m.group(1) + acc.m("pem-key", m) + m.group(4)
        text = _PEM_RE.sub(pem, text)
        low = _lower(text)

    if "eyJ" in text:
        text = _JWT_RE.sub(lambda m: acc.m("token", m), text)
        low = _lower(text)

    if "bearer" in low or "basic" in low:
        edits = []
        for m in _BEARER_RE.finditer(low):
            if m.start() and low[m.start() - 1].isalnum():
                continue
            v = _BEARER_VALUE_RE.match(text, m.end())
            if v is None or v.group(1) in _PLACEHOLDER_VALUES:
                continue
            edits.append((v.start(1), v.end(1), acc.hit("token", text, v.start(1))))
        if edits:
            text = _splice(text, edits)
            low = _lower(text)

    if "@" in text and "//" in text:
        def urlauth(m: re.Match[str]) -> str:
            if m.group(1) == PLACEHOLDERS["auth"]:
                return m.group(0)
            return "//" + acc.m("auth", m) + "@"
        text = _URLAUTH_RE.sub(urlauth, text)
        low = _lower(text)

    edits = _kv_edits(text, low, acc)
    if edits:
        text = _splice(text, edits)
        low = _lower(text)

    if "://" in text:
        def urlhost(m: re.Match[str]) -> str:
            if _host_is_public_ok(m.group(2)):
                return m.group(0)
            return "://" + (m.group(1) or "") + acc.m("hostname", m)
        new = _URLHOST_RE.sub(urlhost, text)
        if new is not text:
            text = new
            low = _lower(text)

    if "@" in text:
        edits = []
        for m in _EMAIL_RE.finditer(text):
            start = m.start()
            while start > 0 and text[start - 1] in _EMAILLOCAL:
                start -= 1
            if start < m.start():
                edits.append((start, m.end(), acc.hit("email", text, start)))
        if edits:
            text = _splice(text, edits)
            low = _lower(text)

    if ids:
        present = tuple(i for i in ids if i in low)
        if present:
            edits = []
            for m in _identifier_pattern(present).finditer(low):
                if m.start() and low[m.start() - 1].isalnum():
                    continue
                cls = _identifier_class(m.group(0))
                edits.append((m.start(), m.end(), acc.hit(cls, text, m.start())))
            text = _splice(text, edits)

    def hexled(m: re.Match[str]) -> str:
        kind = m.lastgroup
        if kind == "ms":
            kind = "mac"
        if kind == "ip6":
            cand = m.group(0)
            if not _is_ip6(cand):
                return cand
            return acc.m("ip", m)
        assert kind is not None
        return acc.m(kind, m)
    text = _HEXLED_RE.sub(hexled, text)

    def digitled(m: re.Match[str]) -> str:
        kind = m.lastgroup
        if kind == "ss":
            kind = "ssn"
        if kind == "ip4":
            if _ip4_kept(m.group(0)):
                return m.group(0)
            return acc.m("ip", m)
        if kind == "card":
            return _card_sub(m, acc)
        assert kind is not None
        return acc.m(kind, m)
    text = _DIGITLED_RE.sub(digitled, text)

    text = _splice_iban(text, acc)
    low = _lower(text)

    if "/home/" in low or "users" in low or "\\home\\" in low or "settings\\" in low:
        edits = [(m.start(1), m.end(1), acc.hit("path-user", text, m.start(1)))
                 for m in _USERPATH_RE.finditer(low)]
        text = _splice(text, edits)
        low = _lower(text)

    if "." in low:
        edits = []
        last_end = 0
        for m in _PRIVATE_HOST_RE.finditer(low):
            start = m.start()
            while start > last_end and text[start - 1] in _HOSTCHARS:
                start -= 1
            if start == m.start() or low[start:m.start()] in ("", "[hostname]"):
                continue
            if text[start - 1:start] == "]":
                continue
            edits.append((start, m.end(), acc.hit("hostname", text, start)))
            last_end = m.end()
        text = _splice(text, edits)

    return text


def _card_sub(m: re.Match[str], acc: _Pass) -> str:
    """Replace the longest leading group run of a digit run that is a card number or IMEI."""
    run = m.group(0)
    groups = re.split(r"([ -])", run)
    # groups alternates digits, separator, digits ...; try the longest prefix first.
    digit_groups = groups[0::2]
    for end in range(len(digit_groups), 0, -1):
        digits = "".join(digit_groups[:end])
        cls = _card_class(digits)
        if cls is not None:
            cut = len("".join(groups[: 2 * end - 1]))
            return acc.m(cls, m) + run[cut:]
    return run


def _splice_iban(text: str, acc: _Pass) -> str:
    """Replace IBANs (country letters, check digits, mod-97 valid) in `text`."""
    edits: list[tuple[int, int, str]] = []
    last = 0
    for m in _IBAN_RE.finditer(text):
        start = m.start() - 2
        if start < last:
            continue
        compact = text[start:m.end()].replace(" ", "")
        n = _IBAN_LENGTHS.get(compact[:2].upper(), 0)
        if not n or len(compact) < n or not _iban_valid(compact[:n]):
            continue
        seen = 0
        end = start
        while seen < n:  # map n compact characters back onto the original span
            if text[end] != " ":
                seen += 1
            end += 1
        edits.append((start, end, acc.hit("iban", text, start)))
        last = end
    return _splice(text, edits)


def scrub_text(text: str, identifiers: Iterable[str] | None = None) -> str:
    """Scrub one free-text string (the same rules as for every string of an event)."""
    ids = _normalize_identifiers(identifiers)
    return _scrub_blob(text.replace(_SEP, "\ufffd"), ids, _Pass(None))


# ---------------------------------------------------------------------------------------
# Structure: an allowlist walk that builds the new event and collects its strings
# ---------------------------------------------------------------------------------------

_LEVELS_OK: Final = frozenset({"fatal", "error", "warning", "info", "debug"})
_TOP_LEVEL: Final = frozenset({
    "event_id", "timestamp", "start_timestamp", "level", "platform", "logger", "message",
    "logentry", "exception", "threads", "breadcrumbs", "tags", "contexts", "release", "dist",
    "environment", "fingerprint", "sdk", "debug_meta", "type",
})
_TAG_KEYS: Final = frozenset({
    "component", "unit", "result", "signal", "arch", "board", "installation_type", "reporter",
    "crash_kind", "machine", "channel", "supervisor_version", "os_version", "agent_version",
    "core_version", "level", "mechanism", "handled", "platform", "runtime", "os", "os.name",
    "runtime.name", "kind", "view", "views", "deployment", "chassis", "virtualization",
})
_CONTEXT_KEYS: Final[dict[str, frozenset[str]]] = {
    "os": frozenset({"type", "name", "version", "build", "kernel_version", "rooted"}),
    "runtime": frozenset({"type", "name", "version", "build"}),
    "app": frozenset({"type", "app_name", "app_version", "app_build", "app_identifier",
                      "build_type"}),
    "device": frozenset({"type", "arch", "model", "model_id", "family", "cpu_description",
                         "processor_count", "simulator", "manufacturer", "brand"}),
    "trace": frozenset({"type", "trace_id", "span_id", "parent_span_id", "op", "status"}),
}
_FREE_CONTEXTS: Final = frozenset({"crash", "crash_loop"})
_FRAME_TEXT: Final = ("filename", "abs_path", "module", "function", "raw_function", "symbol",
                      "package", "platform")
_FRAME_ADDR: Final = ("instruction_addr", "symbol_addr", "image_addr")
_ADDR_RE: Final = re.compile(r"0x[0-9A-Fa-f]{1,16}")
_ID_RE: Final = re.compile(r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
_DEBUG_ID_RE: Final = re.compile(r"[0-9A-Fa-f-]{1,80}")
_KEY_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_PASSWORD_KEY_RE: Final = re.compile(
    r"(?i).*(?:password|passwd|secret|api[_-]?key|apikey|auth|credential|token|psk|otp|cookie"
    r"|private[_-]?key|session|ssid|serial|latitude|longitude|hostname|machine_id|environ"
    r"|cmdline).*"
)
_TIMESTAMP_RE: Final = re.compile(r"[0-9T:.+\-Z ]{4,40}")
_PLATFORM_RE: Final = re.compile(r"[a-z]{1,20}")
_SENTINEL: Final = ""


def _is_timestamp(value: Any) -> bool:
    """A number, or a string shaped like an RFC 3339 timestamp."""
    if isinstance(value, int | float):
        return not isinstance(value, bool)
    return isinstance(value, str) and _TIMESTAMP_RE.fullmatch(value) is not None


class _Builder:
    """Builds the scrubbed event; strings are registered now and filled in after scrubbing."""

    __slots__ = ("cuts", "index", "limits", "mult", "slots", "strings")

    def __init__(self, limits: _Limits) -> None:
        self.limits = limits
        self.index: dict[str, int] = {}
        self.strings: list[str] = []
        self.mult: list[int] = []
        self.slots: list[tuple[Any, Any, int, int]] = []
        self.cuts: dict[str, int] = {}

    # -- leaves --------------------------------------------------------------------------

    def text(self, out: Any, key: Any, value: Any, limit: int) -> None:
        """Register `value` (a string, or a number made text) for out[key]."""
        if isinstance(value, str):
            s = value
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int | float):
            s = str(value)
        else:
            return
        if len(s) > 4 * limit + 64:
            # Cut early so huge strings are not scanned; cut again after scrubbing.
            s = s[: 4 * limit + 64]
        idx = self.index.get(s)
        if idx is None:
            idx = len(self.strings)
            self.index[s] = idx
            self.strings.append(s)
            self.mult.append(1)
        else:
            self.mult[idx] += 1
        out[key] = _SENTINEL
        self.slots.append((out, key, idx, limit))

    def texts(self, values: Any, limit: int, keep: int) -> list[Any]:
        """A new list of the scalar items of `values` (at most `keep`), registered as text."""
        items = [v for v in values[:keep]
                 if isinstance(v, str | int | float) and not isinstance(v, bool)]
        out: list[Any] = [None] * len(items)
        for i, item in enumerate(items):
            self.text(out, i, item, limit)
        return out

    def cut(self, name: str, n: int) -> None:
        """Count `n` removed items of kind `name`."""
        if n > 0:
            self.cuts[name] = self.cuts.get(name, 0) + n

    # -- structure -----------------------------------------------------------------------

    def event(self, src: dict[str, Any]) -> dict[str, Any]:
        """The allowlisted copy of a whole event."""
        lim = self.limits
        out: dict[str, Any] = {}
        for key, value in src.items():
            if key not in _TOP_LEVEL:
                continue
            if key == "event_id":
                if isinstance(value, str) and _ID_RE.fullmatch(value):
                    out[key] = value
            elif key in ("timestamp", "start_timestamp"):
                if _is_timestamp(value):
                    out[key] = value
            elif key == "level":
                if isinstance(value, str) and value in _LEVELS_OK:
                    out[key] = value
            elif key == "platform":
                if isinstance(value, str) and _PLATFORM_RE.fullmatch(value):
                    out[key] = value
            elif key == "type":
                if value in ("error", "default"):
                    out[key] = value
            elif key in ("logger", "release", "dist", "environment"):
                self.text(out, key, value, lim.short)
            elif key == "message":
                if isinstance(value, str):
                    self.text(out, key, value, lim.long_text)
                elif isinstance(value, dict):
                    out[key] = self.logentry(value)
            elif key == "logentry":
                if isinstance(value, dict):
                    out[key] = self.logentry(value)
            elif key == "exception":
                exc = self.exceptions(value)
                if exc is not None:
                    out[key] = exc
            elif key == "threads":
                threads = self.threads(value)
                if threads is not None:
                    out[key] = threads
            elif key == "breadcrumbs":
                crumbs = self.breadcrumbs(value)
                if crumbs is not None:
                    out[key] = crumbs
            elif key == "tags":
                out[key] = self.tags(value)
            elif key == "contexts":
                if isinstance(value, dict):
                    out[key] = self.contexts(value)
            elif key == "fingerprint":
                if isinstance(value, list | tuple):
                    out[key] = self.texts(value, lim.short, 50)
            elif key == "sdk":
                if isinstance(value, dict):
                    out[key] = self.sdk(value)
            elif key == "debug_meta" and isinstance(value, dict):
                out[key] = self.debug_meta(value)
        return out

    def logentry(self, src: dict[str, Any]) -> dict[str, Any]:
        """A logentry: formatted/message text; params only if they are scalars."""
        out: dict[str, Any] = {}
        for key in ("formatted", "message"):
            if key in src:
                self.text(out, key, src[key], self.limits.long_text)
        params = src.get("params")
        if isinstance(params, list | tuple):
            out["params"] = self.texts(params, self.limits.text, 20)
        return out

    def exceptions(self, src: Any) -> dict[str, Any] | None:
        """exception.values[] (the newest kept if there are too many)."""
        values = src.get("values") if isinstance(src, dict) else src
        if not isinstance(values, list | tuple):
            return None
        keep = self.limits.exceptions
        if len(values) > keep:
            self.cut("exceptions_cut", len(values) - keep)
            values = values[-keep:]
        return {"values": [self.exception(v) for v in values if isinstance(v, dict)]}

    def exception(self, src: dict[str, Any]) -> dict[str, Any]:
        """One exception value."""
        lim = self.limits
        out: dict[str, Any] = {}
        for key, limit in (("type", lim.short), ("value", lim.long_text), ("module", lim.short)):
            if key in src:
                self.text(out, key, src[key], limit)
        tid = src.get("thread_id")
        if isinstance(tid, int) and not isinstance(tid, bool):
            out["thread_id"] = tid
        elif isinstance(tid, str):
            self.text(out, "thread_id", tid, lim.short)
        mech = src.get("mechanism")
        if isinstance(mech, dict):
            out["mechanism"] = self.mechanism(mech)
        st = src.get("stacktrace")
        if isinstance(st, dict):
            out["stacktrace"] = self.stacktrace(st)
        return out

    def mechanism(self, src: dict[str, Any]) -> dict[str, Any]:
        """An exception mechanism (type, flags, chain links, signal/errno meta)."""
        out: dict[str, Any] = {}
        for key in ("type", "source", "description"):
            if key in src:
                self.text(out, key, src[key], self.limits.short)
        for key in ("handled", "synthetic", "is_exception_group"):
            if isinstance(src.get(key), bool):
                out[key] = src[key]
        for key in ("exception_id", "parent_id"):
            if isinstance(src.get(key), int) and not isinstance(src.get(key), bool):
                out[key] = src[key]
        meta = src.get("meta")
        if isinstance(meta, dict):
            mout: dict[str, Any] = {}
            for mkey in ("signal", "errno"):
                sub = meta.get(mkey)
                if isinstance(sub, dict):
                    sout: dict[str, Any] = {}
                    for skey in ("number", "code"):
                        v = sub.get(skey)
                        if isinstance(v, int) and not isinstance(v, bool):
                            sout[skey] = v
                    for skey in ("name", "code_name"):
                        if skey in sub:
                            self.text(sout, skey, sub[skey], 64)
                    mout[mkey] = sout
            out["meta"] = mout
        return out

    def stacktrace(self, src: dict[str, Any]) -> dict[str, Any]:
        """A stacktrace: frames (innermost and outermost kept when too many)."""
        out: dict[str, Any] = {}
        frames = src.get("frames")
        if not isinstance(frames, list | tuple):
            return out
        omitted = src.get("frames_omitted")
        keep = self.limits.frames
        if len(frames) > keep:
            head = keep // 2
            tail = keep - head
            cut = len(frames) - keep
            self.cut("frames_cut", cut)
            frames = [*frames[:head], *frames[len(frames) - tail:]]
            omitted = [head, head + cut]
        if (isinstance(omitted, list | tuple) and len(omitted) == 2
                and all(isinstance(i, int) and not isinstance(i, bool) for i in omitted)):
            out["frames_omitted"] = list(omitted)
        out["frames"] = [self.frame(f) for f in frames if isinstance(f, dict)]
        return out

    def frame(self, src: dict[str, Any]) -> dict[str, Any]:
        """One frame: paths, names and source scrubbed; vars keep numbers only."""
        lim = self.limits
        out: dict[str, Any] = {}
        for key in _FRAME_TEXT:
            if key in src:
                self.text(out, key, src[key], lim.short)
        for key in ("lineno", "colno"):
            v = src.get(key)
            if isinstance(v, int) and not isinstance(v, bool):
                out[key] = v
        if isinstance(src.get("in_app"), bool):
            out["in_app"] = src["in_app"]
        for key in _FRAME_ADDR:
            v = src.get(key)
            if isinstance(v, str) and _ADDR_RE.fullmatch(v):
                out[key] = v
        if "context_line" in src:
            self.text(out, "context_line", src["context_line"], lim.short)
        for key in ("pre_context", "post_context"):
            lines = src.get(key)
            if isinstance(lines, list | tuple) and lim.context_lines:
                lines = lines[-lim.context_lines:] if key == "pre_context" \
                    else lines[: lim.context_lines]
                out[key] = self.texts(lines, lim.short, lim.context_lines)
        fvars = src.get("vars")
        if isinstance(fvars, dict):
            kept = {k: v for k, v in fvars.items()
                    if isinstance(k, str) and _KEY_RE.fullmatch(k)
                    and isinstance(v, int | float) and not isinstance(v, bool)
                    and not _PASSWORD_KEY_RE.fullmatch(k)}
            if kept:
                out["vars"] = kept
        return out

    def threads(self, src: Any) -> dict[str, Any] | None:
        """threads.values[] (crashed/current ones first when there are too many)."""
        values = src.get("values") if isinstance(src, dict) else src
        if not isinstance(values, list | tuple):
            return None
        values = [v for v in values if isinstance(v, dict)]
        keep = self.limits.threads
        if len(values) > keep:
            important = [v for v in values if v.get("crashed") or v.get("current")]
            others = [v for v in values if not (v.get("crashed") or v.get("current"))]
            chosen = (important + others)[:keep]
            order = {id(v): i for i, v in enumerate(values)}
            self.cut("threads_cut", len(values) - len(chosen))
            values = sorted(chosen, key=lambda v: order[id(v)])
        out_values: list[dict[str, Any]] = []
        for thread in values:
            tout: dict[str, Any] = {}
            tid = thread.get("id")
            if isinstance(tid, int) and not isinstance(tid, bool):
                tout["id"] = tid
            elif isinstance(tid, str):
                self.text(tout, "id", tid, 64)
            for key in ("crashed", "current", "main"):
                if isinstance(thread.get(key), bool):
                    tout[key] = thread[key]
            for key in ("name", "state"):
                if key in thread:
                    self.text(tout, key, thread[key], self.limits.short)
            st = thread.get("stacktrace")
            if isinstance(st, dict):
                tout["stacktrace"] = self.stacktrace(st)
            out_values.append(tout)
        return {"values": out_values}

    def breadcrumbs(self, src: Any) -> dict[str, Any] | None:
        """breadcrumbs.values[] (the most recent kept); data is dropped."""
        values = src.get("values") if isinstance(src, dict) else src
        if not isinstance(values, list | tuple):
            return None
        keep = self.limits.breadcrumbs
        if len(values) > keep:
            self.cut("breadcrumbs_cut", len(values) - keep)
            values = values[len(values) - keep:]
        out_values: list[dict[str, Any]] = []
        for crumb in values:
            if not isinstance(crumb, dict):
                continue
            cout: dict[str, Any] = {}
            ts = crumb.get("timestamp")
            if _is_timestamp(ts):
                cout["timestamp"] = ts
            level = crumb.get("level")
            if isinstance(level, str) and level in _LEVELS_OK:
                cout["level"] = level
            for key in ("type", "category"):
                if key in crumb:
                    self.text(cout, key, crumb[key], 64)
            if "message" in crumb:
                self.text(cout, "message", crumb["message"], self.limits.text)
            out_values.append(cout)
        return {"values": out_values}

    def tags(self, src: Any) -> dict[str, Any]:
        """Known tags only (a dict or Sentry's list of pairs)."""
        pairs: Iterable[Any]
        if isinstance(src, dict):
            pairs = src.items()
        elif isinstance(src, list | tuple):
            pairs = (p for p in src if isinstance(p, list | tuple) and len(p) == 2)
        else:
            return {}
        out: dict[str, Any] = {}
        for key, value in pairs:
            if isinstance(key, str) and key in _TAG_KEYS:
                self.text(out, key, value, self.limits.tag)
        return out

    def contexts(self, src: dict[str, Any]) -> dict[str, Any]:
        """Known contexts with known keys; crash/crash_loop keep scalar values."""
        out: dict[str, Any] = {}
        for name, ctx in src.items():
            if not isinstance(ctx, dict):
                continue
            if name == "scrubbed":
                counts = {k: v for k, v in ctx.items()
                          if k in _COUNT_KEYS and isinstance(v, int) and not isinstance(v, bool)
                          and v >= 0}
                out[name] = counts
                continue
            allowed = _CONTEXT_KEYS.get(name)
            cout: dict[str, Any] = {}
            if allowed is not None:
                for key, value in ctx.items():
                    if key not in allowed:
                        continue
                    if isinstance(value, bool) or (isinstance(value, int | float)
                                                   and key == "processor_count"):
                        cout[key] = value
                    else:
                        self.text(cout, key, value, self.limits.text)
            elif name in _FREE_CONTEXTS:
                self.free_context(ctx, cout)
            else:
                continue
            out[name] = cout
        return out

    def free_context(self, src: dict[str, Any], out: dict[str, Any]) -> None:
        """A custom context: scalar values (strings scrubbed), lists of scalars, no nesting."""
        for key, value in list(src.items())[:50]:
            if not (isinstance(key, str) and _KEY_RE.fullmatch(key)):
                continue
            if _PASSWORD_KEY_RE.fullmatch(key):
                out[key] = PLACEHOLDERS["filtered"]
            elif isinstance(value, bool) or value is None:
                out[key] = value
            elif isinstance(value, int | float):
                if isinstance(value, int) and abs(value) >= 10**12:
                    self.text(out, key, value, self.limits.short)  # could be a card number
                else:
                    out[key] = value
            elif isinstance(value, str):
                self.text(out, key, value, self.limits.text)
            elif isinstance(value, list | tuple):
                lst: list[Any] = [None] * min(len(value), 50)
                for i in range(len(lst)):
                    item = value[i]
                    if isinstance(item, bool) or item is None or (
                            isinstance(item, int | float) and abs(item) < 10**12):
                        lst[i] = item
                    else:
                        self.text(lst, i, item, self.limits.short)
                out[key] = lst

    def sdk(self, src: dict[str, Any]) -> dict[str, Any]:
        """sdk: name, version, integrations, packages."""
        out: dict[str, Any] = {}
        for key in ("name", "version"):
            if key in src:
                self.text(out, key, src[key], 128)
        integrations = src.get("integrations")
        if isinstance(integrations, list | tuple):
            out["integrations"] = self.texts(integrations, 128, 100)
        packages = src.get("packages")
        if isinstance(packages, list | tuple):
            plist = []
            for pkg in packages[:50]:
                if isinstance(pkg, dict):
                    pout: dict[str, Any] = {}
                    for key in ("name", "version"):
                        if key in pkg:
                            self.text(pout, key, pkg[key], 128)
                    plist.append(pout)
            out["packages"] = plist
        return out

    def debug_meta(self, src: dict[str, Any]) -> dict[str, Any]:
        """debug_meta.images[]: ids and addresses kept, file paths scrubbed."""
        images = src.get("images")
        out_images: list[dict[str, Any]] = []
        if isinstance(images, list | tuple):
            for image in images[:200]:
                if not isinstance(image, dict):
                    continue
                iout: dict[str, Any] = {}
                for key in ("debug_id", "code_id", "uuid"):
                    v = image.get(key)
                    if isinstance(v, str) and _DEBUG_ID_RE.fullmatch(v):
                        iout[key] = v
                for key in ("image_addr", "image_vmaddr"):
                    v = image.get(key)
                    if isinstance(v, str) and _ADDR_RE.fullmatch(v):
                        iout[key] = v
                size = image.get("image_size")
                if isinstance(size, int) and not isinstance(size, bool):
                    iout["image_size"] = size
                for key in ("type", "arch", "code_file", "debug_file"):
                    if key in image:
                        self.text(iout, key, image[key], self.limits.short)
                out_images.append(iout)
        return {"images": out_images}


# ---------------------------------------------------------------------------------------
# The whole event
# ---------------------------------------------------------------------------------------


def _truncate(s: str, limit: int) -> str:
    """Cut `s` to at most `limit` characters, marking the cut."""
    return s[: max(0, limit - len(_TRUNCATED))] + _TRUNCATED


def _build(event: dict[str, Any], ids: tuple[str, ...], limits: _Limits
           ) -> tuple[dict[str, Any], int]:
    """Allowlist, scrub and cap `event`; return the new event and its estimated size."""
    builder = _Builder(limits)
    out = builder.event(event)
    strings = builder.strings
    acc = _Pass(builder.mult)
    if strings:
        blob = _SEP.join(strings)
        if blob.count(_SEP) != len(strings) - 1:  # a string held a NUL: neutralise it
            strings = [s.replace(_SEP, "\ufffd") for s in strings]
            blob = _SEP.join(strings)
        scrubbed = _scrub_blob(blob, ids, acc).split(_SEP)
        if len(scrubbed) != len(strings):
            raise RuntimeError("scrubber lost a string boundary")
    else:
        scrubbed = []
    counts = acc.counts
    truncated = 0
    size = 0
    for container, key, idx, limit in builder.slots:
        value = scrubbed[idx]
        if len(value) > limit:
            value = _truncate(value, limit)
            again = _Pass(None)
            value = _scrub_blob(value, ids, again)  # a cut can expose a new match
            if len(value) > limit:
                value = _truncate(value, limit)
            truncated += 1
        container[key] = value
        size += len(value) + 24
    counters = dict(builder.cuts)
    if truncated:
        counters["truncated"] = truncated
    contexts = out.get("contexts")
    previous = contexts.get("scrubbed") if isinstance(contexts, dict) else None
    total: dict[str, int] = dict(previous) if previous else {}
    for source in (counts, counters):
        for k, v in source.items():
            total[k] = total.get(k, 0) + v
    if total:
        out.setdefault("contexts", {})["scrubbed"] = dict(sorted(total.items()))
    elif isinstance(contexts, dict):
        contexts.pop("scrubbed", None)
    return out, size


def _serialized_size(event: dict[str, Any]) -> int:
    """Bytes of the event as sentry-sdk serializes it (compact JSON, ASCII escapes)."""
    return len(json.dumps(event, separators=(",", ":"), allow_nan=True, default=str))


def scrub_event(event: Any, identifiers: Iterable[str] | None = None,
                *, stats: ScrubStats | None = None) -> dict[str, Any] | None:
    """Return a new, scrubbed copy of a Sentry event, or None if that is not possible.

    Pure: no I/O, the input is not mutated, and it never raises. `identifiers` are strings
    known to identify this host (hostnames, machine id, tokens, names learned from logs);
    they are replaced wherever they occur, besides every built-in rule. None means the
    event was dropped (not a dict, too big even when cut down, or a bug in the scrubber):
    the unscrubbed event is never returned.
    """
    try:
        if not isinstance(event, dict):
            raise TypeError("an event is a dict")
        ids = _normalize_identifiers(identifiers)
        for limits in _LEVELS:
            out, estimate = _build(event, ids, limits)
            if estimate < _SIZE_CHECK_FROM or _serialized_size(out) <= MAX_EVENT_BYTES:
                if stats is not None:
                    stats.scrubbed += 1
                return out
        raise ValueError("event too large even after cutting it down")
    except Exception as err:
        if stats is not None:
            stats.dropped += 1
            stats.last_error = type(err).__name__
        return None


# ---------------------------------------------------------------------------------------
# sentry-sdk glue
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class ScrubStats:
    """Counters the app reads for `status`: events scrubbed, events dropped (fail closed)."""

    scrubbed: int = 0
    dropped: int = 0
    last_error: str | None = None  # exception type name only, never a message


def make_before_send(
    identifiers_provider: Callable[[], Iterable[str] | None],
    on_drop: Callable[[], None] | None = None,
    stats: ScrubStats | None = None,
) -> Callable[[Event, Hint], Event | None]:
    """A sentry-sdk ``before_send`` that scrubs every event and fails closed.

    `identifiers_provider` is called for each event (the app's current host identifiers);
    `on_drop` is called once for each event the scrubber had to drop. If the provider itself
    fails, the event is dropped too.
    """

    def before_send(event: Event, hint: Hint) -> Event | None:
        """Scrub `event`; None (drop) if that fails."""
        del hint  # the hint may hold the original exception object: never look at it
        try:
            identifiers = identifiers_provider()
        except Exception:
            identifiers = None
            result = None
            if stats is not None:
                stats.dropped += 1
                stats.last_error = "identifiers_provider"
        else:
            result = scrub_event(event, identifiers, stats=stats)
        if result is None and on_drop is not None:
            with contextlib.suppress(Exception):  # a counter must not break sending
                on_drop()
        return result

    return before_send
