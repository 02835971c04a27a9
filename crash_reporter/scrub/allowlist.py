"""What identifies no one and stays in a report: public hosts, internal names, kept networks.

Crash triage needs the public infrastructure a host talks to (``version.home-assistant.io``,
``ghcr.io``, ``github.com`` ...), the Supervisor's internal Docker names and network, loopback,
and generic words. Names handed out per user by dynamic-DNS and remote-access services
(``*.ui.nabu.casa``, duckdns ...) and home-network suffixes (``.local``, ``.lan``,
``fritz.box`` ...) are identifying, whatever their parent domain.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Final

# Hosts that identify no one (Home Assistant's own services, code and package hosting ...).
PUBLIC_HOST_SUFFIXES: Final = (
    "home-assistant.io", "nabucasa.com", "github.com", "githubusercontent.com", "ghcr.io",
    "docker.io", "docker.com", "pypi.org", "pythonhosted.org", "python.org", "sentry.io",
    "alpinelinux.org", "debian.org", "ubuntu.com", "cloudflare.com", "google.com",
    "googleapis.com", "ntp.org", "example.com", "example.org", "example.net",
    "letsencrypt.org", "esphome.io", "golang.org", "go.dev", "quay.io", "gcr.io",
    "mozilla.org", "apple.com", "microsoft.com", "amazonaws.com", "cloudfront.net",
    "openthread.io", "zigbee2mqtt.io", "hassio-addons.io", "readthedocs.io", "npmjs.org",
    "gitlab.com", "bitbucket.org", "opensource.org", "freedesktop.org", "kernel.org",
    "systemd.io", "sentry-cdn.com", "getsentry.com", "nodejs.org", "rust-lang.org",
    # the services integrations talk to (which one failed is what triage needs)
    "telegram.org", "discord.com", "slack.com", "pushover.net", "met.no",
    "openweathermap.org", "dns.google", "quad9.net",
)

# Per-user names at public services and home-network suffixes: always identifying.
PRIVATE_SUFFIXES: Final = (
    "local", "lan", "home", "home.arpa", "internal", "localdomain", "fritz.box", "box",
    "ui.nabu.casa", "duckdns.org", "dyndns.org", "ddns.net", "myfritz.net", "no-ip.org",
    "no-ip.biz", "hopto.org", "freeddns.org", "dynu.net", "synology.me", "myds.me",
    "dnsalias.net", "dynv6.net", "afraid.org", "ts.net", "tailscale.net", "mooo.com",
)

# Top-level domains a free-text host name is recognised by (without a URL or a port).
# Left out on purpose: ones that are also file extensions or attribute names in code (py, sh,
# so, go, rs, js, md, cc, in, is, it, to, at, me, ai, ms, ml, run, app, dev, zip, info, name,
# host, email, network, cloud ...): ``_LOGGER.info`` or ``request.host`` are not hosts.
TLDS: Final = frozenset((
    "com", "net", "org", "biz", "eu", "de", "nl", "be", "fr", "uk", "es", "pt", "ch", "se",
    "no", "dk", "fi", "pl", "cz", "sk", "hu", "ro", "bg", "gr", "ie", "lu", "lt", "lv", "ee",
    "si", "hr", "ua", "ru", "tr", "il", "us", "ca", "mx", "br", "ar", "cl", "co", "au", "nz",
    "jp", "kr", "cn", "tw", "hk", "sg", "za", "io", "tv", "fm", "xyz", "casa", "nu", "li",
    "pw", "cx", "gy", "arpa",
))

_PRIVATE: Final = frozenset(PRIVATE_SUFFIXES)
_PUBLIC: Final = frozenset(PUBLIC_HOST_SUFFIXES)

# The Supervisor's Docker names: hosts a report may name (an app's own slug too).
INTERNAL_HOST_RE: Final = re.compile(
    r"(?i)(?:supervisor|homeassistant|hassio|localhost|observer|dns|audio|cli|multicast"
    r"|core[-_][\w-]+|addon[-_][\w-]+|[0-9a-f]{8}[-_][\w-]+|\[[a-z-]+\])"
)

# Names and words that identify no one even when the app learns them as host identifiers
# (default hostnames, generic share and mount words a user keeps).
DEFAULT_NAMES: Final = frozenset({
    "homeassistant", "homeassistant.local", "localhost", "supervisor", "hassio", "core",
    "home-assistant", "hassos", "haos", "docker", "unknown", "none", "null", "local",
    "home", "backup", "backups", "media", "share", "shares", "data", "storage", "nas",
    "music", "photos", "pictures", "video", "videos", "documents", "public", "homes",
    "volume1", "volume2", "true", "false", "default", "auto", "wlan0", "eth0", "end0",
    "root", "admin", "user", "guest", "nobody", "test", "config", "ssl", "addons",
})

# Accounts that publish Home Assistant's own apps and images and the best-known community
# ones (on GitHub, ghcr.io, Docker Hub): they name a publisher, not a user, and say which app
# failed. Any other account in a repository's or an image's name may be the user's own.
PUBLISHERS: Final = frozenset({"home-assistant", "homeassistant", "hassio-addons", "esphome",
                               "music-assistant", "library", "linuxserver"})

KEPT_V4_NETS: Final = (
    ipaddress.IPv4Network("127.0.0.0/8"),
    ipaddress.IPv4Network("0.0.0.0/32"),
    ipaddress.IPv4Network("255.255.255.255/32"),
    ipaddress.IPv4Network("172.30.32.0/23"),  # the Supervisor's hassio network
    ipaddress.IPv4Network("172.30.33.0/24"),
)


@lru_cache(maxsize=1024)  # a log names few hosts, many times
def host_is_kept(host: str) -> bool:
    """True if a host name may stay in a report (public infrastructure, internal names)."""
    if len(host) > 253:
        return False  # no host name is longer; looking up its parents would cost O(n^2)
    low = host.lower().rstrip(".")
    if low.startswith("[") or INTERNAL_HOST_RE.fullmatch(low):
        return True
    # The name and each of its parent domains ("a.b.c", "b.c", "c"), looked up in sets: the
    # same as testing low == s or low.endswith("." + s) for every suffix s, in a few lookups.
    parents = [low]
    dot = low.find(".")
    while dot >= 0:
        parents.append(low[dot + 1:])
        dot = low.find(".", dot + 1)
    if any(p in _PRIVATE for p in parents):
        return False
    return any(p in _PUBLIC for p in parents)


@lru_cache(maxsize=1024)  # a log names few addresses, many times
def ip4_is_kept(text: str) -> bool:
    """True for IPv4 addresses that identify no one (loopback, the hassio network)."""
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        # Zero-padded octets ("192.168.001.023", as some devices print them) are an address.
        octets = text.split(".")
        if len(octets) != 4 or not all(o.isdigit() and int(o) <= 255 for o in octets):
            return True  # not an address at all (an octet above 255 ...)
        ip = ipaddress.IPv4Address(".".join(str(int(o)) for o in octets))
    return any(ip in net for net in KEPT_V4_NETS) or _is_netmask(int(ip))


def _is_netmask(value: int) -> bool:
    """True for a network mask of /8 or longer ("255.255.255.0" after "netmask", "Subnet:").

    A mask's bits are ones, then zeros: the zeros plus one is a power of two. No host has such
    an address (255.x.x.x is reserved), and triage needs the mask to read a network's setup.
    """
    zeros = ~value & 0xFFFFFFFF
    return value >= 0xFF000000 and zeros & (zeros + 1) == 0
