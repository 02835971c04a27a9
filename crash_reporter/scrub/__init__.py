"""Stage 4: the privacy scrubber (event -> scrubbed event), also sentry-sdk's before_send.

Nothing that identifies a home may leave the host, and Sentry's server-side scrubbing does not
look at exception values, frame paths or debug_meta, so everything happens here:

- ``walk``: the allowlist walk over the event's structure, caps on sizes;
- ``rules``: the order the rule families below run in over one text, and their keyword pass;
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
- ``paths``: user folders in paths, by-id serial numbers, network storage mounts' unit names;
- ``hosts``: this host's own identifiers, learned on the device, in all their written forms;
- ``words``: keywords and identifier forms, every occurrence found in one pass (Aho-Corasick,
  or Hyperscan in the worker);
- ``classes``: where a digit or hex rule can start, found over the text's character classes;
- ``allowlist``: what identifies no one and stays (public hosts, internal names, networks);
- ``tokens``: the typed placeholders and the tally of replacements;
- ``event``: `scrub_event` / `scrub_text`, fail closed;
- ``before_send``: the sentry-sdk glue;
- ``worker``: scrubbing off the event loop, in a child process with a time budget per event.

Kept on purpose (identify no one, needed for triage): ``event_id``, ``debug_meta`` ids, hex
shorter than 32 characters (Go pcs, offsets, addresses, Docker's short ids), loopback and the
Supervisor's internal Docker network, ``/root``, versions, code paths, exception types, public
hosts.
"""

from crash_reporter.scrub.before_send import make_before_send
from crash_reporter.scrub.event import ScrubStats, scrub_event, scrub_text
from crash_reporter.scrub.tokens import PLACEHOLDERS

__all__ = ["PLACEHOLDERS", "ScrubStats", "make_before_send", "scrub_event", "scrub_text"]
