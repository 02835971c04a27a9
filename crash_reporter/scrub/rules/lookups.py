r"""Names looked up in DNS, as the host's resolvers log the question.

The Supervisor's DNS plugin (CoreDNS, hassio_dns) and systemd-resolved log the name a question
asked about, and on a home network the names asked about are the home's own machines, often
with no domain at all ("nas-dupont", "jeans-macbook"): CoreDNS's log plugin
("[INFO] 172.30.32.1:51234 - 12345 \"A IN nas-dupont. udp 45 false 512\" NXDOMAIN ...",
plugin/log's common format "{type} {class} {name} {proto} {size} ..."), its errors plugin
("[ERROR] plugin/errors: 2 nas-dupont. A: read udp ...: i/o timeout", errors.go
"%d %s %s: %s"), and resolved's "DNSSEC validation failed for question %s: %s" (its question
is "<name> IN <type>"); and the name of a DNS-over-TLS server resolved uses ("Using DNS
server 192.168.1.1#nas-dupont ..."). The name is ``[hostname]``; names no one owns stay
(public hosts, the Supervisor's internal names, service names "_hap._tcp.local", reverse
lookups, whose address is the digits' rule's).

Every shape starts at a literal found in the keyword pass (`GATES`) and reads a bounded value
there with possessive quantifiers, so the time stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import host_is_kept
from crash_reporter.scrub.tokens import Edit, Tally

# CoreDNS's log plugin: the quoted request, "<type> IN <name> <proto> ..."
_TYPES: Final = ("a", "aaaa", "ptr", "srv", "txt", "https", "svcb", "any", "cname", "mx", "ns",
                 "soa")
_LOGGED: Final = tuple(f'"{t} in ' for t in _TYPES)
# CoreDNS's errors plugin: "plugin/errors: <rcode> <name> <type>: <error>"
_ERRORS: Final = "plugin/errors: "
_ERRORS_RE: Final = re.compile(r"\d{1,5}+ ")
# resolved: "... for question <name> IN <type>: ..."
_QUESTION: Final = "for question "
_NAME_RE: Final = re.compile(r"([A-Za-z0-9_][\w-]{0,62}+(?:\.[\w-]{1,63}+){0,16}+)\.?+"
                             r"(?= (?:IN |udp |tcp |[A-Z]{1,6}+:))")
_NOT_OWNED_RE: Final = re.compile(r"_[\w.-]{1,253}+|[\w.-]{0,253}+\[[a-z-]{2,12}\][\w.-]{0,253}+")
# Reverse lookups (the address is the digits' rule's), and the Supervisor's internal domain
_REVERSE: Final = (".in-addr.arpa", ".ip6.arpa")
_INTERNAL: Final = ".local.hass.io"

# resolved's DNS server with its TLS name: "DNS server 192.168.1.1#nas-dupont" (resolved.conf's
# "address#server_name" as dns_server_string_full writes it, in "Using DNS server %s for
# transaction %u." and resolved's other server lines)
_SERVER: Final = "dns server "
_SERVER_RE: Final = re.compile(
    r"[\w.:%\[\]]{1,64}+#([A-Za-z0-9][\w-]{0,62}+(?:\.[\w-]{1,63}+){0,16}+)")

GATES: Final = (*_LOGGED, _ERRORS, _QUESTION, _SERVER)


def edits(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """The names DNS questions asked about, where `GATES` start in the lowercased text."""
    starts = [at + len(gate) for gate in (*_LOGGED, _QUESTION) for at in gates.get(gate, ())]
    for at in gates.get(_ERRORS, ()):
        rcode = _ERRORS_RE.match(text, at + len(_ERRORS))
        if rcode is not None:
            starts.append(rcode.end())
    out: list[Edit] = []
    for at in gates.get(_SERVER, ()):
        m = _SERVER_RE.match(text, at + len(_SERVER))
        if m is not None and not host_is_kept(m.group(1)):
            out.append((m.start(1), m.end(1), tally.hit("hostname")))
    for pos in starts:
        m = _NAME_RE.match(text, pos)
        if m is None:
            continue
        name = m.group(1)
        low = name.lower()
        if (low.endswith(_REVERSE) or _NOT_OWNED_RE.fullmatch(name) is not None
                or host_is_kept(low.removesuffix(_INTERNAL))):  # supervisor.local.hass.io
            continue
        out.append((m.start(1), m.end(1), tally.hit("hostname")))
    return out
