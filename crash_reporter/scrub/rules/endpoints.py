"""Host names a client names as the peer it connects to, whatever their last label.

A host on a home network often has no public top-level domain ("mqtt.smithnet", "nas",
"pihole.home.arpa" is caught by its suffix), so only the words around it say it is a host:

- a name and port after a connection verb: paho-mqtt and Home Assistant's MQTT integration
  ("Error connecting to mqtt.smithnet:1883", "Connection to broker mqtt.smithnet:1883
  failed", "Failed to connect to MQTT broker at mqtt.smithnet:1883"), Mosquitto's bridges
  ("Connecting bridge cloud (mqtt.smithnet:1883)") - `connection_before`, asked by the
  host-and-port rule (`domains.port_edits`) for names without a dash;
- the address tuple of asyncio's connection errors ("[Errno 111] Connect call failed
  ('mqtt.smithnet', 1883)");
- Node's resolver errors, as Zigbee2MQTT and Node-RED log them ("getaddrinfo ENOTFOUND
  mqtt.smithnet", "getaddrinfo EAI_AGAIN nas");
- the names a TLS check compares: Python's ssl ("Hostname mismatch, certificate is not valid
  for 'mqtt.smithnet'"), Go's crypto/x509 ("x509: certificate is valid for nas, *.smithnet,
  not mqtt.smithnet", "... is not valid for any names, but wanted to match mqtt.smithnet").

Without such words "name.name:123" is as often a Python module and line ("supervisor.jobs:123",
"main.go:70") and stays. The tuples, resolver and TLS errors are matched only where their
literal (`GATES`, found in the keyword pass) starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

GATES: Final = ("getaddrinfo", "call failed ('", "certificate is valid for",
                 "certificate is not valid for")

# Before a host (in the lowercased text): a connection verb or "broker", then filler words.
_CONNECTION_BEFORE_RE: Final = re.compile(
    r"(?:\b(?:re|dis)?connect(?:ing|ion|ed|s)?+|\bbroker|\bbridge[ \t]++[\w.-]{1,64}+[ \t]*+\()"
    r"(?:[ \t]++(?:to|with|at|the|mqtt|server|broker|host|remote|from|of)){0,4}+"
    r"[ \t]*+[\"'(<\[]?+\Z")
_WINDOW: Final = 96
_HOSTNAME: Final = r"([A-Za-z0-9][A-Za-z0-9.-]{0,252}+)"
_TUPLE_RE: Final = re.compile(r"call failed \('" + _HOSTNAME + r"', \d{1,5}+[,)]")
_TLS_NAMES_RE: Final = re.compile(  # Go: the certificate's names, then the one wanted
    r"certificate is valid for ([^\n\x00]{1,1024}?), not ([A-Za-z0-9*][\w.*-]{0,252}+)")
_TLS_REACH: Final = len("certificate is valid for ") + 1024 + len(", not ")
_TLS_WANTED_RE: Final = re.compile(
    r"certificate is not valid for (?:any names, but wanted to match ([A-Za-z0-9*][\w.*-]{0,252}+)"
    r"|'([^'\n\x00]{1,253}+)')")
_RESOLVER_RE: Final = re.compile(
    r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN|EAI_FAIL|ENODATA|ESERVFAIL|ETIMEOUT) " + _HOSTNAME)


def connection_before(low: str, start: int) -> bool:
    """True if the words just before `start` in `low` name a connection's peer."""
    return _CONNECTION_BEFORE_RE.search(low, max(0, start - _WINDOW), start) is not None


def _is_name(host: str) -> bool:
    """True for a host name worth removing: not an address, not a kept or default name."""
    low = host.lower().rstrip(".")
    if not any(c.isalpha() for c in low) or low in DEFAULT_NAMES or host_is_kept(low):
        return False  # an IPv4 address is the address rule's; "localhost", "core-mosquitto"
    return low not in PLACEHOLDER_VALUES


def _name(text: str, start: int, end: int, out: list[Edit], tally: Tally) -> None:
    """Take text[start:end] (without a final dot) as a host name if it is one worth removing."""
    host = text[start:end].rstrip(".")
    if _is_name(host) and ":" not in host:
        out.append((start, start + len(host), tally.hit("hostname")))


_BY_GATE: Final = (("certificate is valid for", _TLS_NAMES_RE),
                   ("certificate is not valid for", _TLS_WANTED_RE),
                   ("call failed ('", _TUPLE_RE), ("getaddrinfo", _RESOLVER_RE))


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """Hosts in address tuples, resolver and TLS errors.

    `gates`: where each of `GATES` starts in the text (the keyword pass); each pattern is
    matched there only, in the original case.
    """
    out: list[Edit] = []
    for literal, pattern in _BY_GATE:
        for at in gates.get(literal, ()):
            if pattern is _TLS_NAMES_RE and text.find(", not ", at, at + _TLS_REACH) < 0:
                continue  # the lazy names would be tried at 1,024 places for nothing
            m = pattern.match(text, at)
            if m is None:
                continue
            if pattern is _TLS_NAMES_RE:  # "valid for a, b, not c": every name
                pos = m.start(1)
                for name in m.group(1).split(", "):
                    _name(text, pos, pos + len(name), out, tally)
                    pos += len(name) + 2
            for group in range(2 if pattern is _TLS_NAMES_RE else 1, (m.lastindex or 1) + 1):
                if m.group(group):
                    _name(text, m.start(group), m.end(group), out, tally)
    return out
