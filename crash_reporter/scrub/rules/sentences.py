r"""Names in more of the sentences host daemons and devices write, met in logs users pasted.

Users paste their Supervisor, host and app logs into public issues; these shapes were found
there, naming a home or a person, and no other family's table holds them:

- hostnamectl's status ("Static hostname: X", "Transient hostname: X", "Pretty hostname: X"),
  pasted with the journal;
- the Supervisor's sign-ins for apps before its messages quoted the user (supervisor/auth.py):
  "Auth request from %s for %s", "Cache hit for %s", "No cache hit for %s", "Success login from
  %s", "Wrong login from %s", "Success password reset %s", "Unknown user %s for password
  reset" - the user is ``[user]``, the app's slug stays; and the account in the common "Logging
  in to %s as %s" (the Supervisor's Docker registry logins, integrations' API logins);
- ESPHome's Wi-Fi scan (components/wifi/wifi_component.cpp): "[wifi:363]: - '%s' %s(%s) %s",
  a network's name then its BSSID and signal bars - every network in range, the home's own and
  the neighbours', is ``[ssid]``; and the ESP-IDF Wi-Fi driver's "wifi:connected with %s, aid =
  %d, channel %d" (older: "connected with %s, channel %d");
- Samba, as the Samba share app logs it: the accounts, domains and workstation of its JSON
  authentication audit (auth_log.c: "clientAccount", "mappedAccount", "becameAccount",
  "clientDomain", "workstation" ...), smbpasswd's "Added user %s.", passdb's "Forcing Primary
  Group to 'Domain Users' for %s" - accounts are ``[user]``, machine and domain names
  ``[hostname]`` (its text audit and NTLM check lines are the phrases');
- Certbot, as the Let's Encrypt app logs it: the domains a certificate is for ("Requesting a
  certificate for %s", "Renewing an existing certificate for %s", "%s challenge for %s",
  "Challenge failed for domain %s", its report's "  Domain: %s", the app's "Detecting existing
  certificate type for %s") and its folders (/etc/letsencrypt/live/<domain>/), and the DuckDNS
  app's "Renew certificate for domains: %s and aliases: %s" - ``[hostname]``, also under the
  top-level domains free text cannot tell from code (.at, .info, .me, .dev, .app ...);
- the shell prompts of terminal sessions pasted with logs ("jean@jeans-laptop:~$ ha core
  logs", "root@nas-smith:/config# ..."): the user is ``[user]``, the host ``[hostname]``
  (root and the default names stay); and an OpenPGP card's serial in an SSH key's comment
  ("cardno:000612345678") is ``[serial]``;
- Wi-Fi networks as nmcli lists and joins them ("nmcli device wifi" rows: "* <bssid>  <ssid>
  Infra  6  ...", "nmcli device wifi connect <ssid> password ...") and as NetworkManager 0.9
  logged a failure ("Activation (wlan0) failed for access point (<ssid>)") - ``[ssid]``;
- a key of 32 or more base64 characters after a name that ends in "key" (ESPHome's API
  encryption key in a pasted YAML, "key: <base64>=", "encryption_key=...", '"key": "..."') -
  ``[filtered]``, whatever the name before it;
- an ESPHome node's name (its owner's name for the device, often a room's or a person's) in its
  build and config paths ("/config/<node>/.pioenvs/<node>/firmware.bin",
  "/config/.esphome/build/<node>/...", the app's "/data/build/<node>") and in the esphome
  command line ("esphome <node>.yaml logs"; its "/config/esphome/<node>.yaml" is the clients
  family's)
  - ``[hostname]``, as the clients family names it;
- the names its owner gave an ESPHome device's entities, as the device logs them
  (sensor.cpp and the other components: "'%s': Sending state %.5f %s with %d decimals of
  accuracy", "'%s': Received new state", "'%s' Turning ON.", "'%s' - Setting", and LOG_SENSOR's
  "%s%s '%s'" in a "[C]" config line: "GPIO Binary Sensor 'X'") - ``[device]``, as the names
  family replaces a friendly name;
- the D-Bus properties the Supervisor logs at debug level as dbus-fast prints them ("'Hostname':
  <dbus_fast.signature.Variant ('s', 'x')>", "'Ssid': <... ('ay', b'x')>", "'Domains': <...
  ('as', ['x'])>"): by the property's name, a host name (Hostname, StaticHostname,
  PrettyHostname, DhcpHostname, Domains, Searches), a Wi-Fi network (Ssid, and a connection's
  Id, except the Supervisor's own "Supervisor wlan0"), a serial number (Serial), a device's
  name (Bluetooth's Name and Alias, a file system's Label) or a user (User, Username); bleak
  prints the same with dbus-next's Variant;
- Home Assistant's Bluetooth debug lines (components/bluetooth/manager.py): the scanner that
  heard an advertisement, named as its owner named the proxy ("kitchen-proxy (24:4C:AB:..)
  [connectable]: <BluetoothServiceInfoBleak ...>"), is ``[hostname]`` (a local adapter, hci0,
  stays; a person's name in the advertised name is the names family's).

Every shape starts at a literal found in the keyword pass (`GATES`) and reads a bounded value
there with possessive quantifiers, so a text without them costs nothing and the time stays
linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.rules.names import name_ok
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally, line_start

# hostnamectl: "Static hostname: x" (the pretty one may hold spaces: the rest of the line)
_HOSTNAMECTL: Final = ("static hostname: ", "transient hostname: ")
_PRETTY: Final = "pretty hostname: "
_WORD_RE: Final = re.compile(r"[ \t]*+([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,253}+)")
_LINE_RE: Final = re.compile(r"[ \t]*+([^\n\x00]{1,253}+)")
# the default name, and resolved's renames of it ("homeassistant2"): no one's
_DEFAULT_HOST_RE: Final = re.compile(r"homeassistant\d{0,12}+")
# The Supervisor's auth before 2022: "<literal><user>" (a word), "Auth request from <slug> for
# <user>"
_AUTH: Final = ("cache hit for ", "success login from ", "wrong login from ",
                "success password reset ", "unknown user ")
_AUTH_FROM: Final = "auth request from "
_AUTH_FROM_RE: Final = re.compile(r"[\w.-]{1,64}+ for ([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,253}+)")
_USER_RE: Final = re.compile(
    r"[ \t]*+(?:'([^'\n\x00]{1,253}+)'|([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,253}+))")
_LOGIN: Final = "logging in to "
_LOGIN_AS_RE: Final = re.compile(r"[^\s\x00]{1,253}+ as ([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,64}+)")
_NOT_USERS: Final = frozenset({"root", "the", "a", "an", "request", "requests"})
# ESPHome's scan list, after its tag ("[D][wifi:363]: "): "- 'name' (HIDDEN) (bssid) bars"
_ESPHOME_WIFI: Final = "][wifi"
_SCAN_RE: Final = re.compile(
    r"[\w]{0,16}+:\d{1,5}+\]:[ \t]++- '((?:[^'\n\x00]|'(?! (?:\(HIDDEN\) )?\())"
    r"{1,64}+)' (?:\(HIDDEN\) )?\(")
# ESP-IDF: "wifi:connected with <ssid>, aid = 1, channel 6, ..." / "wifi: connected with ..."
_IDF: Final = ("wifi:connected with ", "wifi: connected with ")
_IDF_RE: Final = re.compile(r"([^\n\x00]{1,64}?), (?:aid|channel) ")
# Samba: its JSON audit's names
_SAMBA_JSON: Final = (('"clientaccount":', "user"), ('"mappedaccount":', "user"),
                      ('"becameaccount":', "user"), ('"clientdomain":', "hostname"),
                      ('"mappeddomain":', "hostname"), ('"becamedomain":', "hostname"),
                      ('"workstation":', "hostname"), ('"netlogoncomputer":', "hostname"))
_JSON_STRING_RE: Final = re.compile(r'[ \t]?+"((?:[^"\\\n\x00]|\\[^\n\x00]){1,64}+)"')
# smbpasswd "Added user %s.", passdb "Forcing Primary Group to 'Domain Users' for %s"
_SAMBA_USERS: Final = ("added user ", "domain users' for ")
# Certbot and the apps that run it: the domains of a certificate (one, or a list joined by
# ", " or " and "), and its folders
_CERT_GATES: Final = ("certificate for ", "challenge for ", "challenge failed for domain ",
                      "  domain: ", "for domains: ", " and aliases: ", "/letsencrypt/live/",
                      "/letsencrypt/renewal/", "/letsencrypt/archive/")
_DOMAIN_RE: Final = re.compile(r"(?:\*\.)?+([A-Za-z0-9][\w-]{0,62}+(?:\.[\w-]{1,63}+){1,8}+)")
_DOMAIN_LIST_SEP_RE: Final = re.compile(r",[ \t]*+|[ \t]++and[ \t]++")
_LABEL_RE: Final = re.compile(r"[a-z][a-z0-9-]{1,62}+")
# A shell prompt, "user@host:<cwd>$ " or "# ": where its working directory starts (a home's
# "~", or the folders a shell on the host or in an app opens in), then the "user@host" before
_PROMPT_GATES: Final = (":~", ":/config", ":/homeassistant", ":/home/", ":/root", ":/data",
                        ":/share", ":/media", ":/addons")
_PROMPT_RE: Final = re.compile(r"[ \t]*+([\w.-]{1,32}+)@([A-Za-z0-9][\w.-]{0,62}+)\Z")
_CWD_RE: Final = re.compile(r"[^\s$#\x00]{0,255}+[$#](?![^\s\x00])")
_CARDNO: Final = "cardno:"
_CARDNO_RE: Final = re.compile(r"([0-9A-Fa-f]{8,16}+)(?![\w])")
# nmcli's Wi-Fi list: a row's mode column after the network's name (the BSSID, and "*" for the
# network in use, before it); its connect command; NetworkManager 0.9's activation failure
_NMCLI_MODES: Final = ("  infra  ", "  ad-hoc  ", "  mesh  ")
_NMCLI_ROW_RE: Final = re.compile(
    r"[ \t*]*+(?:(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}[ \t]++)?(\S(?:[^\n\x00]{0,62}\S)?)[ \t]*+")
_NMCLI_CONNECT: Final = "wifi connect "
_NM09_FAILED: Final = "failed for access point ("
_PAREN_RE: Final = re.compile(r"([^()\n\x00]{1,64}+)\)")
# A secret key after "key": base64 (or base64url) of 24 bytes or more: digits and letters of
# both cases, as random bytes give (an identifier such as "sensor_x_1" has no capitals)
_KEY_GATES: Final = ("key: ", "key=", 'key": "', "key': '", "key = ")
_KEY_RE: Final = re.compile(r"[\"']?([A-Za-z0-9+/_-]{32,512}+={0,2})(?![\w+/=-])")
# ESPHome's build and config paths and command line: where a node's name starts or ends
_PIOENVS: Final = "/.pioenvs/"
_ESPHOME_BUILD: Final = ("/.esphome/build/", "/data/build/")  # the ESPHome app's: /data/build
_ESPHOME_CLI: Final = ".yaml "
_ESPHOME_VERB_RE: Final = re.compile(r"(?:logs|run|compile|upload|config|clean|wizard)\b")
_NODE_RE: Final = re.compile(r"[A-Za-z0-9][\w-]{0,62}+")
_NODE_BACK_STOPS: Final = frozenset(" \t\n/\\'\"\x00")
# Not nodes: ESPHome's own files and folders, Home Assistant's configuration files
_NOT_NODES: Final = frozenset({
    "secrets", "common", "packages", "build", "config", "esphome", "configuration",
    "automations", "scripts", "scenes", "groups", "customize", "ui-lovelace", "known_devices",
    "docker-compose", "options", "translations", "strings", "manifest", "services"})
# ESPHome's entity lines: the name in quotes before these words, or after a component's type
# in a config line ("[C][...]: GPIO Binary Sensor 'X'")
_ENTITY_AFTER: Final = ("': sending ", "': received new state", "' turning o", "' - setting",
                        "' setting:")
_ENTITY_CONFIG: Final = "[c]["  # a config line's level, then the type and the quoted name
_ENTITY_TYPE_RE: Final = re.compile(
    r"(?:sensor|switch|light|cover|button|number|select|climate|fan|lock|valve|text) '")
_LINE_END_RE: Final = re.compile(r"[^\n\x00]*+")
_QUOTED_TO_END_RE: Final = re.compile(r"([^'\n\x00]{1,128}+)'(?![^\s\x00])")
# dbus-fast's Variant repr after a property's name: "'Name': <dbus_fast.signature.Variant ('s',
# 'value')>" (and "<Variant (...)>"); the value's repr by its signature
_VARIANT: Final = "variant ('"
_PROPERTY_RE: Final = re.compile(
    r"'([A-Za-z][A-Za-z0-9_]{0,40}+)': <(?:dbus_(?:fast|next)\.signature\.)?\Z")
_SIGNATURE_RE: Final = re.compile(r"(s|o|ay|as|ao)', ")
_PY_STR_RE: Final = re.compile(r"b?+(?:'((?:[^'\\\n\x00]|\\[^\n\x00]){0,253}+)'"
                               r"|\"((?:[^\"\\\n\x00]|\\[^\n\x00]){0,253}+)\")")
_LIST_SEP_RE: Final = re.compile(r", ")
_PROPERTY_CLASSES: Final = {
    **dict.fromkeys(("hostname", "statichostname", "prettyhostname", "dhcphostname",
                     "domains", "searches"), "hostname"),
    **dict.fromkeys(("ssid", "id"), "ssid"),
    **dict.fromkeys(("serial", "serialnumber"), "serial"),
    **dict.fromkeys(("name", "alias", "label", "idlabel"), "device"),
    **dict.fromkeys(("user", "username"), "user"),
}


def _named(value: str, cls: str) -> bool:
    """False for values that name no one (placeholders, defaults, 'n/a')."""
    low = value.lower()
    if value in PLACEHOLDER_VALUES or value.startswith("[") or low in DEFAULT_NAMES:
        return False
    if low == "workgroup" or not any(c.isalnum() for c in value):
        return False  # Samba's default domain, its "." (the local machine)
    if cls == "hostname":
        return low not in ("n/a", "localhost") and _DEFAULT_HOST_RE.fullmatch(low) is None
    if cls in ("serial", "filtered"):
        return True
    return low not in _NOT_USERS and not low.isdigit()


# Home Assistant's Bluetooth: "<scanner> (<mac>) [connectable]: <BluetoothServiceInfoBleak
# name=<name> address=<mac> rssi=...>"
_BT_SOURCE: Final = (") [connectable]: ", "): <bluetoothserviceinfo")
_SCANNER_RE: Final = re.compile(r"([A-Za-z0-9][\w.-]{0,62}+)\Z")  # searched: the leftmost

# The shapes that are a literal, then a value read at its end: (literals, value, class). Every
# group of the value's pattern that took part is a value.
_AFTER: Final[tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...]] = (
    (_HOSTNAMECTL, _WORD_RE, "hostname"),
    ((_PRETTY,), _LINE_RE, "hostname"),
    (_AUTH, _USER_RE, "user"),
    ((_AUTH_FROM,), _AUTH_FROM_RE, "user"),
    ((_LOGIN,), _LOGIN_AS_RE, "user"),
    ((_ESPHOME_WIFI,), _SCAN_RE, "ssid"),
    (_IDF, _IDF_RE, "ssid"),
    *(((key,), _JSON_STRING_RE, cls) for key, cls in _SAMBA_JSON),
    (_SAMBA_USERS, _WORD_RE, "user"),
    ((_CARDNO,), _CARDNO_RE, "serial"),
    ((_NMCLI_CONNECT,), _USER_RE, "ssid"),
    ((_NM09_FAILED,), _PAREN_RE, "ssid"),
)
# The rare literals every shape starts at, found in the keyword pass
GATES: Final = (*(gate for literals, _, _ in _AFTER for gate in literals), *_CERT_GATES,
                *_PROMPT_GATES, *_NMCLI_MODES, *_KEY_GATES, _PIOENVS, *_ESPHOME_BUILD,
                _ESPHOME_CLI, *_ENTITY_AFTER, _ENTITY_CONFIG, _VARIANT, *_BT_SOURCE)


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """The names in the sentences above, where their literals (`GATES`) start in `low`."""
    out: list[Edit] = []

    def take(m: re.Match[str] | None, cls: str) -> None:
        for g in range(1, (m.re.groups if m is not None else 0) + 1):
            if m is not None and m.group(g) is not None:
                value = m.group(g).rstrip(" \t.")
                if _named(value, cls):
                    out.append((m.start(g), m.start(g) + len(value), tally.hit(cls)))

    for literals, form, cls in _AFTER:
        for gate in literals:
            for at in gates.get(gate, ()):
                take(form.match(text, at + len(gate)), cls)
    for gate in _CERT_GATES:
        for at in gates.get(gate, ()):
            out.extend(_domains(text, at + len(gate), tally))
    for gate in _PROMPT_GATES:
        for at in gates.get(gate, ()):
            out.extend(_prompt(text, at, tally))
    for gate in _NMCLI_MODES:
        for at in gates.get(gate, ()):
            take(_NMCLI_ROW_RE.fullmatch(text, line_start(text, at, 120), at), "ssid")
    for gate in _KEY_GATES:
        for at in gates.get(gate, ()):
            m = _KEY_RE.match(text, at + len(gate))
            value = m.group(1) if m is not None else ""
            if (any(c.isdigit() for c in value) and any(c.isupper() for c in value)
                    and any(c.islower() for c in value)):  # random, not a name
                take(m, "filtered")
    out.extend(_nodes(text, gates, tally))
    out.extend(_entities(text, low, gates, tally))
    for at in gates.get(_VARIANT, ()):
        out.extend(_variant(text, at, tally))
    out.extend(_bluetooth(text, gates, tally))
    return out


def _bluetooth(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """The scanner's name in Home Assistant's Bluetooth debug lines."""
    found: list[Edit] = []
    for gate in _BT_SOURCE:
        for at in gates.get(gate, ()):
            paren = text.rfind(" (", max(0, at - 90), at)
            m = _SCANNER_RE.search(text, max(0, paren - 64), paren) if paren > 0 else None
            if (m is not None and _named(m.group(1), "hostname")
                    and not m.group(1).startswith("hci")):  # a local adapter: hci0
                found.append((m.start(1), m.end(1), tally.hit("hostname")))
    return found


def _variant(text: str, at: int, tally: Tally) -> list[Edit]:
    """The value of a D-Bus property that names someone, in dbus-fast's repr at `at`."""
    prop = _PROPERTY_RE.search(text, max(0, at - 64), at + 1)  # up to the "<" of "<...Variant"
    if prop is None:
        start = text.rfind("<", max(0, at - 32), at)
        prop = _PROPERTY_RE.search(text, max(0, start - 48), start + 1) if start >= 0 else None
    cls = _PROPERTY_CLASSES.get(prop.group(1).lower()) if prop is not None else None
    sig = _SIGNATURE_RE.match(text, at + len(_VARIANT)) if cls else None
    if cls is None or sig is None:
        return []
    found: list[Edit] = []
    pos = sig.end() + (1 if sig.group(1).startswith("a") and sig.group(1) != "ay" else 0)
    for _ in range(16 if pos > sig.end() else 1):  # a list's items, or the one value
        m = _PY_STR_RE.match(text, pos)
        if m is None:
            break
        g = 1 if m.group(1) is not None else 2
        value = m.group(g)
        if (value and _named(value, cls) and (cls != "device" or name_ok(value))
                and not (cls == "ssid" and value.startswith("Supervisor "))):  # its own name
            found.append((m.start(g), m.end(g), tally.hit(cls)))
        sep = _LIST_SEP_RE.match(text, m.end())
        if sep is None:
            break
        pos = sep.end()
    return found


def _entities(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """The names of ESPHome entities in the device's state and config lines."""
    found: list[Edit] = []
    for gate in _ENTITY_AFTER:
        for at in gates.get(gate, ()):
            start = text.rfind("'", max(0, at - 128), at)
            if (start >= 2 and text.startswith("]: ", start - 3) and "\n" not in text[start:at]
                    and name_ok(text[start + 1:at])):  # after the device's log tag
                found.append((start + 1, at, tally.hit("device")))
    for at in gates.get(_ENTITY_CONFIG, ()):
        rest = _LINE_END_RE.match(text, at, at + 200)  # the line, at most 200 characters
        quote = text.rfind(" '", at, rest.end() if rest is not None else at)
        if quote > at and _ENTITY_TYPE_RE.search(low, quote - 8, quote + 2) is not None:
            m = _QUOTED_TO_END_RE.match(text, quote + 2)
            if m is not None and name_ok(m.group(1)):
                found.append((m.start(1), m.end(1), tally.hit("device")))
    return found


def _nodes(text: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """ESPHome nodes' names in its build and config paths and its command line."""
    spans: set[tuple[int, int]] = set()
    for at in gates.get(_PIOENVS, ()):
        spans.add(_node_before(text, at))  # /config/<node>/.pioenvs/<node>/
        m = _NODE_RE.match(text, at + len(_PIOENVS))
        if m is not None:
            spans.add(m.span())
    for gate in _ESPHOME_BUILD:
        for at in gates.get(gate, ()):
            m = _NODE_RE.match(text, at + len(gate))
            if m is not None:
                spans.add(m.span())
    for at in gates.get(_ESPHOME_CLI, ()):
        if _ESPHOME_VERB_RE.match(text, at + len(_ESPHOME_CLI)):
            spans.add(_node_before(text, at))
    found: list[Edit] = []
    for start, end in sorted(spans):
        name = text[start:end]
        if end > start and name.lower() not in _NOT_NODES and _named(name, "hostname"):
            found.append((start, end, tally.hit("hostname")))
    return found


def _node_before(text: str, end: int) -> tuple[int, int]:
    """The file or folder name that ends at `end` ("<node>" of "/config/<node>/.pioenvs")."""
    start = end
    while start > max(0, end - 64) and text[start - 1] not in _NODE_BACK_STOPS:
        start -= 1
    return (start, end) if _NODE_RE.fullmatch(text, start, end) else (end, end)


def _prompt(text: str, at: int, tally: Tally) -> list[Edit]:
    """The user and host of a shell prompt whose working directory starts at `at` (":~")."""
    if _CWD_RE.match(text, at + 1) is None:
        return []  # no "$ " or "# " after the folder: not a prompt
    m = _PROMPT_RE.match(text, line_start(text, at, 100), at)
    if m is None:
        return []
    found: list[Edit] = []
    if m.group(1).lower() not in ("root", "[user]") and _named(m.group(1), "user"):
        found.append((m.start(1), m.end(1), tally.hit("user")))
    if _named(m.group(2), "hostname") and not host_is_kept(m.group(2)):
        found.append((m.start(2), m.end(2), tally.hit("hostname")))
    return found


def _domains(text: str, pos: int, tally: Tally) -> list[Edit]:
    """The domain names listed at `pos` ("a.example, b.example and c.example"), at most 8."""
    found: list[Edit] = []
    for _ in range(8):
        m = _DOMAIN_RE.match(text, pos)
        if m is None:
            break
        host = m.group(1).rstrip(".")
        top = host.rsplit(".", 1)[-1].lower()
        if _LABEL_RE.fullmatch(top) and not host_is_kept(host) and _named(host, "hostname"):
            found.append((m.start(1), m.start(1) + len(host), tally.hit("hostname")))
        sep = _DOMAIN_LIST_SEP_RE.match(text, m.end())
        if sep is None:
            break
        pos = sep.end()
    return found
