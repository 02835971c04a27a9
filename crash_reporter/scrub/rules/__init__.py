"""The order the rule families run in, over one text: `scrub_blob`.

`scrub_blob` runs every rule once over a text (an event's unique strings joined by NUL) and
returns it with each finding replaced by its typed placeholder. The rules live in their
families' modules; this module owns only their order and the one keyword pass they share:

1. secrets by their shape (`credentials`);
2. values named by their key (`keys`), by a sentence (`phrases`, `sentences`), and the line
   shapes each family starts at a rare literal (the gated families below);
3. host names no host list holds (`domains`), then this host's own identifiers (`hosts`);
4. digits and hex (`digits`, with `devices` after the hex-led values);
5. names in paths (`paths`).

The families:

- ``credentials``: secrets by their shape (PEM blocks, well-known tokens, Bearer values, URL
  userinfo);
- ``keys``: values named by their key ("password: x", "ssid=x", "serial", "lat", "user", "mac"),
  and SSIDs as NetworkManager and wpa_supplicant write them;
- ``phrases``: values named by the sentences daemons write ("Hostname set to <x>", "of user x");
- ``sentences``: more daemons' and devices' sentences, met in logs users pasted (hostnamectl,
  the Supervisor's sign-in and registry login lines, ESPHome's Wi-Fi scans, Samba's JSON
  audit, certbot's domains, shell prompts, nmcli's Wi-Fi lists, base64 keys after "key",
  ESPHome nodes' build paths and entities' names, D-Bus properties in dbus-fast's and
  dbus-next's reprs, Bluetooth scanners' names);
- ``fingerprints``: SSH key and certificate fingerprints, SSH public keys;
- ``devices``: MACs inside device names ("shellyplus1pm-<mac>", "esphome-web-<last 3 bytes>");
- ``endpoints``: hosts a connection names ("connecting to mqtt.x:1883", "('x', 1883)");
- ``names``: people in the names of their devices and entity ids ("Jean's iPhone",
  "Jeans-MBP", "light.jean_s_lamp"), the names users give devices (Zigbee2MQTT's friendly names);
- ``clients``: network clients' names where their servers log them (DHCP and DNS host names,
  Mosquitto client ids, ESPHome nodes, MQTT discovery device names);
- ``mesh``: Thread and Zigbee networks' names, PAN ids and keys (TXT records, adapter checks),
  Z-Wave home ids, Matter fabric ids and pairing codes;
- ``repos``: the owner in the URLs of the app repositories users add to the Supervisor's store;
- ``entries``: the titles of Home Assistant's config entries in its config_entries lines;
- ``offending``: the value a configuration error quotes back (voluptuous's ". Got 'x'");
- ``disks``: users' disks in the host journal (labels in systemd's device units and e2fsck's
  lines, by-id serials in escaped unit names, short uuids, NVMe EUI-64s and WWNs);
- ``images``: private registries' hosts and accounts in Docker's image references (the Docker
  daemon's lines and errors, docker-py's and aiodocker's exceptions, the Supervisor's lines);
- ``keyfiles``: network connections' names in NetworkManager's keyfile lines;
- ``lookups``: the names DNS questions ask about, in CoreDNS's and resolved's lines;
- ``p2p``: Wi-Fi Direct peers' names in wpa_supplicant's P2P events;
- ``queries``: people's names and URL-encoded user folders in the query of a URL an exception
  quotes ("?name=Jean+Smith", "?path=%2Fhome%2Fjean");
- ``certificates``: the home's own certificates in TLS errors: digests quoted as Python bytes
  (aiohttp's ServerFingerprintMismatch), the untrusted authority Go's x509 names;
- ``domains``: host names no host list holds (e-mails, URL hosts, shares' servers and folders,
  names after "host"/"server", under a known TLD, before a port);
- ``digits``: values of digits and hex (UUIDs, hex tokens, MACs, IPv4 and IPv6 addresses, card
  numbers, IMEIs, SSNs, IBANs, phone numbers, coordinates);
- ``paths``: user folders in paths, by-id serial numbers, network storage mounts' unit names.

Rules are tried only where they can match: keywords are found in one pass (`words`), and the
rules that start at a digit or hex run only at the candidates `classes` finds at C speed, not
at every position by Python's `re` (which cost about 1 ms per rule and 50 KB of text).

Rules are written for linear time: every quantifier that can meet a long run is possessive or
bounded, and every rule that scans a run may only START at the run's first character (a
look-behind rejects positions inside it), so no input makes a rule try O(n) starts of O(n)
work each. tests/test_scrub_linear.py attacks every rule with repetitions of its own prefixes
and separators and checks that the time per KB does not grow with the length.

Each rule finds a value whatever stands next to it: a rule that consumed more than the value
(a run of digit groups, a key with its separator) hands the rest back to the scan, and the
placeholders match no rule, so the result is a fixed point.
"""

from __future__ import annotations

from typing import Final

from crash_reporter.scrub.hosts import HostMatcher
from crash_reporter.scrub.rules import (
    certificates,
    clients,
    credentials,
    devices,
    digits,
    disks,
    domains,
    endpoints,
    entries,
    fingerprints,
    images,
    keyfiles,
    keys,
    lookups,
    mesh,
    names,
    offending,
    p2p,
    paths,
    phrases,
    queries,
    repos,
    sentences,
)
from crash_reporter.scrub.tokens import Tally, lower, splice
from crash_reporter.scrub.words import word_starts
from crash_reporter.scrub.words import words as compile_words

# The rare literals every gated rule starts at, found in the keyword pass
_GATES: Final = (*domains.GATES, *phrases.GATES, *fingerprints.GATES, *endpoints.GATES,
                 *sentences.GATES, *devices.GATES, *names.GATES, *clients.GATES, *mesh.GATES,
                 *repos.GATES, *entries.GATES, *offending.GATES, *disks.GATES, *images.GATES,
                 *keyfiles.GATES, *lookups.GATES, *p2p.GATES, *queries.GATES,
                 *certificates.GATES)


def _keywords(low: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]],
                                list[tuple[int, int]], dict[str, list[int]]]:
    """Every keyword of the key-value, SSID and phrase rules, and the gates, in one pass.

    The gates are the rare literals of `phrases.context_edits`' line shapes (and of the
    other gated families' rules, `_GATES`) that occur in `low`, each with where it starts.
    """
    kv, short, ssid, said, gates = compile_words(
        keys.WORDS, keys.SHORT_WORDS, keys.SSID_WORDS, phrases.WORDS, _GATES).find(low)
    anchors = kv + word_starts(low, short)
    anchors.sort()
    gate_starts: dict[str, list[int]] = {}
    for i, j in gates:
        gate_starts.setdefault(low[i:j], []).append(i)
    return anchors, word_starts(low, ssid), word_starts(low, said), gate_starts


def scrub_blob(text: str, hosts: HostMatcher, tally: Tally) -> str:
    """Run every rule once over `text` (unique strings joined by NUL); return the result."""
    if "-----BEGIN " in text:
        text = credentials.pem(text, tally)
    text = splice(text, credentials.known_token_edits(text, tally))
    low = lower(text)
    if "//" in text and "@" in text:
        text = credentials.url_auth(text, tally)
        low = lower(text)
    text = splice(text, credentials.bearer_edits(text, low, tally))
    low = lower(text)
    anchors, ssid_words, phrase_words, gates = _keywords(low)
    text = splice(text, keys.edits(text, low, tally, anchors)
                  + keys.ssid_edits(text, low, tally, ssid_words)
                  + phrases.phrase_edits(text, low, phrase_words, tally)
                  + phrases.context_edits(text, low, gates, tally)
                  + sentences.edits(text, low, gates, tally)
                  + fingerprints.edits(text, gates, tally) + endpoints.edits(text, gates, tally)
                  + names.edits(text, low, gates, tally) + clients.edits(text, low, gates, tally)
                  + mesh.edits(text, low, gates, tally) + repos.edits(text, gates, tally)
                  + entries.edits(text, gates, tally) + offending.edits(text, low, gates, tally)
                  + disks.edits(text, low, gates, tally) + images.edits(text, gates, tally)
                  + keyfiles.edits(text, gates, tally) + lookups.edits(text, gates, tally)
                  + p2p.edits(text, gates, tally) + queries.edits(text, low, gates, tally)
                  + certificates.edits(text, gates, tally))
    low = lower(text)
    if "@" in text:
        text = splice(text, domains.email_edits(text, tally))
        low = lower(text)
    text = splice(text, domains.edits(text, low, gates, tally))
    low = lower(text)
    if ":" in text:
        text = splice(text, domains.port_edits(text, low, tally))
        low = lower(text)
    if hosts.forms:
        text = splice(text, hosts.edits(text, low, tally))
    text = splice(text, digits.hex_edits(text, tally))
    text = splice(text, devices.edits(text, set(gates), tally))
    text = splice(text, digits.colon_edits(text, tally))
    text = splice(text, digits.iban_edits(text, tally))
    if "+" in text:
        text = splice(text, digits.phone_edits(text, tally))
    if "\u00b0" in text:
        text = splice(text, digits.dms_edits(text, tally))
    text = splice(text, digits.digit_edits(text, tally))
    low = lower(text)
    return splice(text, paths.edits(text, low, tally))
