"""Values named by the words around them, in the sentences host daemons really write.

A key-value rule finds ``ssid=X``; these find what a daemon writes in a sentence: the
hostname systemd and NetworkManager set ("Hostname set to <X>", "set hostname to 'X'"), the
options a DHCP server handed out (NetworkManager's "option domain_search => 'X'"), the user a
login belongs to (logind's "New session 3 of user X", sshd's "Accepted publickey for X"), the
Wi-Fi network systemd-networkd and NetworkManager's policy name ("Connected WiFi access point:
X (mac)", "policy: set 'X' (wlan0) as default"), the mount name in the Supervisor's mount unit
description and its mount manager ("Supervisor cifs mount: X", "Reloading mount: X"), the user
of a Supervisor sign-in ("Successful login for 'X'").

`context_edits` takes what the shape of a whole line names: the name of a time server after
its address (timesyncd's "192.168.1.1:123 (X)") and of a DNS server (resolved's "addr%3#X"),
DHCP options, NetworkManager's audit and roaming lines, secrets in a URL's query and path,
quoted EUI-64 addresses, DNS-SD instance names, and the host in a journal line's prefix.

Each phrase starts at a literal (found with the other keywords in one automaton pass, see
`words`); its value is matched at that position only, with bounded or possessive quantifiers.
The line-shape rules start at a literal or a character set too, gated by rare literals found
in the same automaton pass (`GATES`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.classes import scan
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, SEP, Edit, Tally

# The value after a phrase: quoted ('X', "X", <X>), a word, the rest of a line up to " (",
# or a Supervisor mount name.
_QUOTED: Final = re.compile(
    r"[ \t]*+(?:'([^'\n\x00]{1,253}+)'|\"([^\"\n\x00]{1,253}+)\"|<([^<>\n\x00]{1,253}+)>)")
_WORD: Final = re.compile(r"[ \t]*+([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,253}+)")
_LINE: Final = re.compile(r"[ \t]*+([^\n\x00(]{1,253}+)")  # trailing blanks cut after
_UNTIL_QUOTE: Final = re.compile(r"([^'\n\x00]{1,253}+)'")  # after a literal ending in "'"
_NAME: Final = re.compile(r"[ \t]*+'?([A-Za-z0-9_]{1,64}+)(?![A-Za-z0-9_])")
# The Supervisor's "Mount X activated successfully", "Mount 'X' already exists ..."
_MOUNT_SUBJECT: Final = re.compile(
    r"[ \t]++'?([A-Za-z0-9_]{1,64}+)'?(?= (?:activated|failed to mount|is not mounted|reload"
    r"|reported|still in|already exists|exists,))")
# The Supervisor's "Auth request from 'core_ssh' for 'X'"
_AUTH_FOR: Final = re.compile(r"[ \t]*+'[^'\n\x00]{0,64}+' for '([^'\n\x00]{1,253}+)'")

# (lowercased literal, placeholder class, value form)
PHRASES: Final[tuple[tuple[str, str, re.Pattern[str]], ...]] = (
    # systemd (PID 1, hostnamed): "Hostname set to <X>.", "Changed host name to 'X'"
    ("hostname set to", "hostname", _QUOTED),
    ("hostname to", "hostname", _QUOTED),
    ("host name to", "hostname", _QUOTED),
    # logind "New session 3 of user X.", PAM "session opened for user X(uid=1000)", sshd
    # "Accepted publickey for X from ...", "Failed password for invalid user X from ..."
    ("of user", "user", _WORD),
    ("for user", "user", _WORD),
    ("invalid user", "user", _WORD),
    ("accepted publickey for", "user", _WORD),
    ("accepted password for", "user", _WORD),
    ("accepted keyboard-interactive/pam for", "user", _WORD),
    ("failed password for", "user", _WORD),
    # sshd's other methods and verbs ("Failed publickey for X", "Postponed publickey for X",
    # "Failed none for X"), its closing lines ("Connection closed by authenticating user X",
    # "Disconnected from user X"); sudo's "[sudo] password for X:"; ssh's "Permanently added
    # 'X' (ED25519) to the list of known hosts."
    ("publickey for", "user", _WORD),
    ("hostbased for", "user", _WORD),
    ("keyboard-interactive/pam for", "user", _WORD),
    ("gssapi-with-mic for", "user", _WORD),
    ("failed none for", "user", _WORD),
    ("password for", "user", _WORD),
    ("authenticating user", "user", _WORD),
    ("from user", "user", _WORD),
    ("permanently added", "hostname", _QUOTED),
    # Mosquitto: "New client connected from %s:%d as %s (p%d, c%d, k%d, u'%s')."
    (" u'", "user", _UNTIL_QUOTE),
    # systemd-networkd: "Connected WiFi access point: X (3c:2e:..)"
    ("access point:", "ssid", _LINE),
    # NetworkManager policy: "set 'X' (wlan0) as default for IPv4 routing and DNS"
    ("policy: set", "ssid", _QUOTED),
    # The Supervisor's mount unit description: "Supervisor cifs mount: X"
    ("cifs mount:", "mount", _NAME),
    ("nfs mount:", "mount", _NAME),
    ("bind mount:", "mount", _NAME),
    # Python's ssl (CertificateError): "hostname 'a' doesn't match 'b'" / "... either of 'b'"
    ("doesn't match", "hostname", _QUOTED),
    ("doesn't match either of", "hostname", _QUOTED),
    # avahi-daemon: "Host name conflict, retrying with X"
    ("name conflict, retrying with", "hostname", _WORD),
    # The Supervisor's mounts (supervisor/mounts): "Reloading mount: X", "Probing mount X at",
    # "Could not mount X due to", "Systemd start job for mount X completed", "Mount X ..."
    ("mount:", "mount", _NAME),
    ("probing mount", "mount", _NAME),
    ("probe of mount", "mount", _NAME),
    ("job for mount", "mount", _NAME),
    ("could not mount", "mount", _NAME),
    ("could not restart mount", "mount", _NAME),
    ("could not reload mount", "mount", _NAME),
    ("local data for mount", "mount", _NAME),
    # The Supervisor restoring a backup's mounts (supervisor/backups/backup.py)
    ("restored mount configuration:", "mount", _NAME),
    ("failed to restore mount", "mount", _NAME),
    ("could not unmount", "mount", _NAME),
    ("blocking mount", "mount", _NAME),
    ("activate mount", "mount", _NAME),
    ("mount", "mount", _MOUNT_SUBJECT),
    # The Supervisor's auth (supervisor/auth.py): "Successful login for 'X'", "Unauthorized
    # login for 'X'", "Successful password reset for 'X'", "The user 'X' is not registered",
    # "Username 'X' is in cache", "Auth request from 'core_ssh' for 'X'"
    ("login for", "user", _QUOTED),
    ("password reset for", "user", _QUOTED),
    ("the user", "user", _QUOTED),
    ("username", "user", _QUOTED),
    ("auth request from", "user", _AUTH_FOR),
)
WORDS: Final = tuple(p[0] for p in PHRASES)
_BY_WORD: Final = {p[0]: p[1:] for p in PHRASES}

# NetworkManager's DHCP lease options: "option domain_search => 'a.example b.example'".
_NM_OPTION_RE: Final = re.compile(
    r"option[ \t]++([a-z0-9_]{1,40}+)[ \t]++=>[ \t]*+'([^'\n\x00]{0,1024}+)'")
_NM_HOST_OPTIONS: Final = re.compile(r".*(?:host_?name|domain|fqdn|search|nis_|ntp_server|wpad).*")
# timesyncd: "Contacted time server 192.168.1.1:123 (router.lan)."
_PAREN_HOST_RE: Final = re.compile(r":(?<=[0-9\]]:)\d{1,5}+ \(([A-Za-z0-9][\w.-]{0,252}+)\)")
# resolved: "DNS server 2a02:8106::1%3#dns.example." (the server name after the address)
_HASH_HOST_RE: Final = re.compile(r"#([A-Za-z0-9][\w-]{0,62}+(?:\.[\w-]{1,63}+)++)")
_HASH_BEFORE_RE: Final = re.compile(r"[0-9A-Fa-f\]](?:%[\w-]{1,16}+)?\Z")  # an address's end

# NetworkManager's audit lines name the connection (by default the Wi-Fi network's name):
# 'audit: op="connection-add" uuid="..." name="X" pid=1 uid=0 result="success"'.
_NM_AUDIT_RE: Final = re.compile(
    r'op="connection-[\w-]{1,20}+"(?: [\w-]{1,20}+="[^"\n\x00]{0,253}+"){0,6}?'
    r' name="([^"\n\x00]{1,253}+)"')
# NetworkManager (before 1.2): "(wlan0): roamed from BSSID 3C:.. (Smith WiFi) to (none) ((none))"
_ROAMED_RE: Final = re.compile(
    r"roamed from BSSID [^\s()]{1,40}+ \(([^()\n\x00]{1,64}+)\)"
    r"(?: to [^\s()]{1,40}+ \(([^()\n\x00]{1,64}+)\))?")
# Secrets in a URL's query under short names the key-value rule cannot take everywhere
# ("?key=", "&appid=", "&sig=", Google's "key", OpenWeatherMap's "appid", Azure's "sig").
_QUERY_KEYS: Final = ("key", "appid", "app_id", "app_key", "sig", "signature", "code", "pw",
                      "pass", "sid", "session", "client_id", "x-amz-signature",
                      "x-amz-credential", "access_code", "refresh")
_QUERY_SECRET_RE: Final = re.compile(  # in the lowercased text
    r"[?&](?:" + "|".join(map(re.escape, _QUERY_KEYS)) + r")=([^&#\s'\"\x00<>]{1,1024}+)")
# Where such a secret can start ("?key=", "&sig="): found with the gates, tried only there.
QUERY_STARTS: Final = tuple(f"{c}{key}=" for c in "?&" for key in _QUERY_KEYS)
# Rare literals that gate the line-shape rules of `context_edits`, found in the same automaton
# pass as the phrases (a str search each would cost a pass over the text when absent).
GATES: Final = ('op="connection-', "roamed from bssid", "'0x", '"0x', "._tcp.", "._udp.",
                ":aa", "/webhooks/", "/services/t", "/api/webhook/", *QUERY_STARTS)


# Words that follow "mount"/"user" in sentences and are not a name.
_NOT_NAMES: Final = frozenset({
    "failed", "process", "error", "point", "unit", "units", "options", "is", "was", "has",
    "not", "the", "a", "an", "of", "for", "on", "at", "to", "with", "from", "and", "or", "in",
    "state", "type", "usage", "request", "requests", "job", "jobs", "name", "names", "due",
    "did", "still", "invalid", "config", "manager", "session", "id", "timeout", "path", "fallback"})

# Zigbee2MQTT names a device by its IEEE address until the user names it: "Device
# '0x00124b0012345678' joined". Quoted, so not a pointer of a backtrace.
_QUOTED_EUI64_RE: Final = re.compile(r"0x(?<=['\"]0x)[0-9A-Fa-f]{16}(?=['\"])")
# DNS-SD (zeroconf, avahi): "Jean's MacBook Pro._airplay._tcp.local." - the instance name runs
# back from its service type to a quote, a bracket, a colon or a tab.
_SERVICE_RE: Final = re.compile(r"\._[A-Za-z0-9-]{1,63}+\._(?:tcp|udp)\.")
_INSTANCE_STOP: Final = frozenset("'\"([{<:=,\t\n\x00")

# Secrets that live in a URL's path: Telegram bot tokens, Discord and Slack webhooks, Home
# Assistant webhook ids.
_PATH_SECRET_RES: Final = (
    # the bot's id and ":AA...": found at ":AA" (a literal), then widened over the digits
    (":AA", re.compile(r":AA[A-Za-z0-9_-]{30,}+")),
    ("/webhooks/", re.compile(r"/webhooks/\d{15,22}+/([A-Za-z0-9_-]{20,}+)")),
    ("/services/t", re.compile(r"/services/(T[A-Z0-9]{6,}+/B[A-Z0-9]{6,}+/[A-Za-z0-9]{16,}+)")),
    ("/api/webhook/", re.compile(r"/api/webhook/([^/?#\s'\"\x00<>\[\]]{1,256}+)")),
)

# The host in a journal or syslog line's prefix, as pasted from `journalctl`, the Supervisor's
# verbose logs ("2026-12-04 18:00:00.123 kitchen-pi hassio_supervisor[123]: ...") or syslog
# ("Dec  4 18:00:00 kitchen-pi systemd[1]: ..."): between the time and the identifier[pid]:.
# Found from the line's start: a newline, or the NUL between strings, which is searched as a
# newline in a copy (a literal first character is found faster than a set of two, and no
# other part of the regex matches either); the text's own start is tried with `match`.
_PREFIX_HOST_RE: Final = re.compile(
    r"\n(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d{1,9}+)?+(?:Z|[+-]\d\d:?\d\d)?+"
    r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6}+)?+) ([A-Za-z0-9][\w.-]{0,62}+)"
    r" (?=[\w.@/-]{1,64}+(?:\[\d{1,10}+\])?: )")


def _value_ok(value: str, cls: str) -> bool:
    """False for values that name no one (placeholders, defaults, code)."""
    low = value.lower().rstrip(".")
    if low in _NOT_NAMES:
        return False
    if not low or value in PLACEHOLDER_VALUES or low in DEFAULT_NAMES or value.startswith("["):
        return False
    if cls == "hostname" and (host_is_kept(low) or low.replace(".", "").isdigit()):
        return False  # an IPv4 address: the address rule's, as [ip]
    if cls == "user" and (low.isdigit() or "@" in low):
        return False  # a uid ("of user 0") names no one; an address is the e-mail rule's
    return not (cls == "user" and low in ("[user]", "root"))


def phrase_edits(text: str, low: str, hits: list[tuple[int, int]], tally: Tally
                 ) -> list[Edit]:
    """The values after the phrases found at `hits` ((start, end) in the lowercased text)."""
    edits: list[Edit] = []
    done = 0
    for start, end in hits:
        if end < done or (start and low[start - 1] in "._-"):
            continue  # "x.mount: Mount process exited" is a unit, not a phrase
        cls, form = _BY_WORD[low[start:end]]
        m = form.match(text, end)
        if m is None:
            continue
        group = m.lastindex or 1
        vstart, vend = m.start(group), m.end(group)
        while vend > vstart and text[vend - 1] in ".:" and form is not _NAME and (
                form is not _MOUNT_SUBJECT):
            vend -= 1  # "of user jean." - the full stop is the sentence's
        value = text[vstart:vend]
        if form is _LINE:
            value = value.rstrip()
            vend = vstart + len(value)
        if not _value_ok(value, cls):
            continue
        edits.append((vstart, vend, tally.hit(cls, text, vstart)))
        done = vend
    return edits


def context_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                  ) -> list[Edit]:
    """Values named by the shape of a whole log line, not by one keyword.

    DHCP options naming hosts and domains; server names after an address; connection names
    in NetworkManager's audit and roaming lines; secrets under short names in a URL's query.
    `gates`: where each of `GATES` occurs in `low` (those that do).
    """
    edits: list[Edit] = []
    if "=>" in text:
        for m in _NM_OPTION_RE.finditer(text):
            value = m.group(2).strip()
            if not _NM_HOST_OPTIONS.fullmatch(m.group(1)) or not value:
                continue
            if all(host_is_kept(v) or v in PLACEHOLDER_VALUES for v in value.split()):
                continue
            edits.append((m.start(2), m.end(2), tally.hit("hostname", text, m.start(2))))
    if " (" in text:
        for m in _PAREN_HOST_RE.finditer(text):
            if _value_ok(m.group(1), "hostname"):
                edits.append((m.start(1), m.end(1), tally.hit("hostname", text, m.start(1))))
    if 'op="connection-' in gates:
        for m in _NM_AUDIT_RE.finditer(text):
            if _value_ok(m.group(1), "ssid"):
                edits.append((m.start(1), m.end(1), tally.hit("ssid", text, m.start(1))))
    if "roamed from bssid" in gates:
        for m in _ROAMED_RE.finditer(text):
            for g in (1, 2):
                if m.group(g) and m.group(g) != "(none" and _value_ok(m.group(g), "ssid"):
                    edits.append((m.start(g), m.end(g), tally.hit("ssid", text, m.start(g))))
    query = sorted(i for start in QUERY_STARTS for i in gates.get(start, ()))
    if query:
        for m in scan(_QUERY_SECRET_RE, low, query):
            if m.group(1) not in PLACEHOLDER_VALUES:
                edits.append((m.start(1), m.end(1), tally.hit("filtered", text, m.start(1))))
    for literal, pattern in _PATH_SECRET_RES:
        if literal.lower() in gates:
            for m in pattern.finditer(text):
                if literal == ":AA":
                    start = m.start()
                    floor = max(0, start - 12)
                    while start > floor and text[start - 1].isdigit():
                        start -= 1
                    if m.start() - start < 6:
                        continue
                    edits.append((start, m.end(), tally.hit("token", text, start)))
                    continue
                edits.append((m.start(1), m.end(1), tally.hit("token", text, m.start(1))))
    if "'0x" in gates or '"0x' in gates:
        for m in _QUOTED_EUI64_RE.finditer(text):
            edits.append((m.start(), m.end(), tally.hit("mac", text, m.start())))
    if "._tcp." in gates or "._udp." in gates:
        for m in _SERVICE_RE.finditer(text):
            start = m.start()
            floor = max(0, start - 63)
            while start > floor and (text[start - 1] not in _INSTANCE_STOP or (
                    text[start - 1] == "'" and start > 1 and text[start - 2].isalnum())):
                start -= 1  # an apostrophe inside the name ("Jean's") does not end it
            while start < m.start() and text[start] == " ":
                start += 1
            name = text[start:m.start()]
            if name and not name.endswith("]") and _value_ok(name, "hostname"):
                edits.append((start, m.start(), tally.hit("hostname", text, start)))
    first = _PREFIX_HOST_RE.match("\n" + text[:120])
    prefixed = [(m.start(1) - 1, m.end(1) - 1, m.group(1)) for m in (first,) if m]
    prefixed += [(m.start(1), m.end(1), m.group(1))
                 for m in _PREFIX_HOST_RE.finditer(text.replace(SEP, "\n"))]
    named: dict[str, bool] = {}  # a log names few hosts in many lines
    for host in {host for _, _, host in prefixed}:
        named[host] = _value_ok(host, "hostname")
    prefixed = [p for p in prefixed if named[p[2]]]
    if prefixed:
        placeholder = tally.many("hostname", text, [start for start, _, _ in prefixed])
        edits += [(start, end, placeholder) for start, end, _ in prefixed]
    if "#" in text:
        for m in _HASH_HOST_RE.finditer(text):
            if _HASH_BEFORE_RE.search(text, max(0, m.start() - 18), m.start()) and _value_ok(
                    m.group(1), "hostname"):
                edits.append((m.start(1), m.end(1), tally.hit("hostname", text, m.start(1))))
    return edits
