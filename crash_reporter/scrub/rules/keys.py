"""Values named by their key, and Wi-Fi networks named in NetworkManager's phrasing.

- `edits`: the value after a key that says what it is ("password: x", "ssid=x",
  '"serial_number": "x"', "lat=52.1", "user: jean", "mac 3c:2e:..", "pan_id=0x1a2b"): the key
  is found by a keyword (`WORDS`, `SHORT_WORDS`), widened to the whole key and classified by
  it, and its value read to the delimiter its class allows (one word, or a line for
  passwords and SSIDs);
- `ssid_edits`: a quoted network name after the words NetworkManager, wpa_supplicant, iwd and
  the Supervisor write before it (`SSID_WORDS`: "access point 'X'", 'Connecting to "X"').

The keywords are found in the scrubber's one keyword pass (`rules`), with the phrase words
and every family's gates.
"""

from __future__ import annotations

import re
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.tokens import PLACEHOLDER_RE, PLACEHOLDER_VALUES, Edit, Tally

# Keys whose value is removed. Found by a keyword (in the lowercased text), widened to the
# whole key (at most _KEY_MAX characters each way), then classified by the whole key.
_KEY_MAX: Final = 48
# Found in the keyword pass (`rules`); the short ones must start a word.
WORDS: Final = (
    "password", "passwd", "passphrase", "secret", "api_key", "api-key", "apikey", "access_key",
    "access-key", "accesskey", "private_key", "private-key", "privatekey", "credential",
    "token", "cookie", "hassio_key", "hassio-key", "auth", "ssid", "wifi_name", "wifi-name",
    "wifiname", "serial", "hostname", "host_name", "fqdn", "domain_name", "domain_search",
    "search_domain", "dns_domain",
    # Thread and Zigbee networks (OpenThread's ot-ctl, Home Assistant's thread and otbr
    # integrations, zigpy, zigbee-herdsman): their name, PAN ids, keys, routers' addresses
    "panid", "pan_id", "pan-id", "pan id", "networkname", "network_name", "network name",
    "networkkey", "network_key", "network key", "masterkey", "master_key", "extended_address",
    "extended address", "extaddr")
SHORT_WORDS: Final = ("pwd", "psk", "otp", "pin", "lat", "lon", "lng", "user", "login",
                      "owner", "mac", "bssid", "hwaddr", "bdaddr", "ieee")
_KEYCHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_KV_TAIL_RE: Final = re.compile(
    r"(?i)(?P<suffix>[\w.-]{0,48}+(?:[ _-](?:number|no\.?|num|name|address|addr))?)"
    r"(?P<sep>\\?[\"']?[ \t]*+[:=][ \t]*+|[ \t]++(?=[\"'\w]))"
)
_KV_QUOTED_RE: Final = re.compile(r"\\?\"[^\"\x00\n]{0,1024}+\"|'[^'\x00\n]{0,1024}+'")
# A control character (an ANSI colour code's ESC, a NUL) ends a value like a delimiter does.
_KV_TOKEN_RE: Final = re.compile(r"[^\s,;&}\])'\"\x00-\x1f\x7f]++")  # a secret: to a delimiter
_KV_WORD_RE: Final = re.compile(r"[^\s,;&}\])'\"\x00-\x1f\x7f(\[{<>]++")  # a name, serial, number
_KV_LINE_RE: Final = re.compile(r"[^\n\x00,;&}\])'\"]++")
# The next "key:" ends a multi-word value; "x.smithnet:1883", "supervisor.jobs:12" and "12:30"
# name a host, a line or a time, not a key (the value runs on over them).
_NEXT_KEY_RE: Final = re.compile(r"\s++[\w-]++[ \t]*+[:=](?![\d.])")
_REPR_NAME_RE: Final = re.compile(r"[A-Z][A-Za-z0-9_]{0,40}+")  # "Key" in "Key(key=...)"
_REPR_ARG_RE: Final = re.compile(  # its first argument's value, quoted or not
    r"[ \t]*+(?:'([^'\n\x00]{1,1024}+)'|\"([^\"\n\x00]{1,1024}+)\""
    r"|(\[[a-z-]{2,12}\]|[^\s,;&}\])'\"\x00-\x1f\x7f]++))")
_INNER_KEY_RE: Final = re.compile(r"[(\[{<][\w.-]++[ \t]*+[:=]")  # "secret(user: x)"
# An object's repr as the value ("'Ssid': <dbus_fast.signature.Variant ('ay', b'x')>", "<Foo
# object at 0x7f..>"): not the value itself; what it holds is the rules' that read reprs.
_OBJECT_REPR_RE: Final = re.compile(
    r"<[A-Za-z_]\w{0,64}+(?:\.[A-Za-z_]\w{0,64}+){1,8}+ ?\(|<[A-Za-z_][\w.]{0,200}+ object at 0x")
_KEY_CLASSES: Final = (  # (class, multi-word value, whole-key pattern)
    ("filtered", True, re.compile(
        r".*(?:pass(?:word|wd|phrase)|secret|pwd|psk|otp|pin|pincode)(?:s|[._-][\w.-]*)?")),
    ("filtered", False, re.compile(
        r".*(?:api[_-]?key|apikey|access[_-]?key|private[_-]?key|privatekey|credentials?"
        r"|token|cookie|hassio[_-]?key|auth(?:orization|entication)?"
        r"|network[ _-]?key|master[_-]?key)(?:s|[._-][\w.-]*)?")),
    ("mac", False, re.compile(
        r".*(?:mac|bssid|hwaddr|bdaddr|ieee)(?:[ _-]?addr(?:ess)?)?"
        r"|(?:.*[ _.-])?ext(?:ended)?[ _-]?addr(?:ess)?")),  # a Thread device's EUI-64
    ("ssid", True, re.compile(r".*(?:ssid|wifi[_-]?name)|(?:.*[ _.-])?network[ _-]?name")),
    # a Thread or Zigbee network's PAN id and extended PAN id ("span_id" is a trace's)
    ("id", False, re.compile(r"(?:.*[ _.-]|ext(?:ended)?[ _-]?)?pan[ _-]?id")),
    ("serial", False, re.compile(r".*serial(?:[ _-]?(?:number|no|num|short))?\.?")),
    # JSON and key=value forms of the names DHCP, hostnamed and the Supervisor report; not
    # "domain" alone: Home Assistant's integration domains ("domain": "light") stay
    ("hostname", False, re.compile(
        r".*(?:hostname|host_name|fqdn|domain_name|domain_search|search_domains?|dns_domain)")),
    ("geo", False, re.compile(r"(?:.*[._])?(?:lat|latitude|lon|long|longitude|lng)")),
    ("user", False, re.compile(r"(?:.*[._-])?(?:user|username|user_name|login|owner)")),
)
# A key that is a function checking the secret (C programs print their function's name first:
# Samba's DEBUG "check_ntlm_password:  Authentication for user [%s] ..."), not the secret.
_CHECKER_PREFIXES: Final = ("check_", "verify_", "validate_")
# A word after the keyword that makes the key name a fact about the secret, not the secret.
_NOT_SECRET_KEY_RE: Final = re.compile(
    r"fail|count|type|method|mode|status|error|attempt|timeout|required|enabled|length|size"
    r"|expir|ttl|retr|provider|url|uri|endpoint|scope|level|version|valid|changed|file|path")
# An unquoted value that is code, not a name: attributes, calls, types ("self.x.hostname").
_CODE_VALUE_RE: Final = re.compile(
    r"(?:self|cls)\.[\w.]*+|[a-z]*+_[\w.]*+|str|int|bool|optional|any|list|dict")
_NOT_VALUES: Final = frozenset({"none", "null", "true", "false", "nil", "undefined", "<none>",
                                "hidden", "generate"})  # Zigbee2MQTT: "networkKey":"HIDDEN"
# A key's bytes written as a list of numbers (zigbee-herdsman's settings, Zigbee2MQTT's config)
_KV_LIST_RE: Final = re.compile(r"\[[0-9A-Fa-fx, \t]{1,512}+\]")
# A PAN id (16 bits) or an extended PAN id (64 bits), as hex or decimal, or as hex pairs
_PAN_ID_RE: Final = re.compile(
    r"(?:0x)?[0-9A-Fa-f]{1,16}|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){7}")
_GEO_VALUE_RE: Final = re.compile(r"-?\d{1,3}(?:\.\d+)?")
# A MAC, or a Zigbee/Thread EUI-64 ("ieee=00:12:4b:00:1c:a1:b2:c3", "ieee: 0x00124b001ca1b2c3")
_BARE_MAC_RE: Final = re.compile(
    r"[0-9A-Fa-f]{2}(?:[:_-]?[0-9A-Fa-f]{2}){5}|(?:0x)?[0-9A-Fa-f]{16}"
    r"|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){7}")
# docker-py's APIError: "<status> Client Error for <url>: <reason> (...)", the URL ending in a
# key's name ("/v1.46/auth: Unauthorized")
_HTTP_REASON_RE: Final = re.compile(
    r"(?:Unauthorized|Forbidden|Not Found|Bad Request|Conflict|Internal Server Error"
    r"|Service Unavailable|Bad Gateway|Gateway Timeout)(?![\w-])")
# SSIDs as NetworkManager, wpa_supplicant, iwd and the Supervisor write them: a quoted name
# after one of these words ("access point 'X'", "Connecting to \"X\"", "SSID='X'" ...).
SSID_WORDS: Final = ("ssid", "access point", "wireless network", "wi-fi network",
                     "wifi network", "wi-fi", "wifi", "network", "connection", "connecting to",
                     "associate with", "associated with", "connected to")
_SSID_TAIL_RE: Final = re.compile(
    r"(?:[ \t]++[=:]?|[=:])[ \t]*+(?:\\?(\")([^\"\n\x00]{1,200}+)\\?\"|'([^'\n\x00]{1,200}+)')")


def edits(text: str, low: str, tally: Tally, anchors: list[tuple[int, int]]) -> list[Edit]:
    """Values of secret-like keys, SSIDs, serial numbers, coordinates, user names, MACs.

    `anchors`: where `WORDS` and `SHORT_WORDS` are, in order (the keyword pass).
    """
    edits: list[Edit] = []
    done = 0  # everything before this was looked at as part of an earlier key or value
    line = (0, 0)  # the last line-long value run scanned: (start, end)
    next_key = -1  # where the next "key:" after the last value starts
    for a_start, a_end in anchors:
        if a_start < done:
            continue
        start = a_start
        floor = max(done, start - _KEY_MAX)
        while start > floor and text[start - 1] in _KEYCHARS:
            start -= 1
        tail = _KV_TAIL_RE.match(text, a_end)
        if tail is None:
            done = a_end
            continue
        done = tail.end("suffix")
        if start > 0 and text[start - 1].isalnum():
            continue
        if start > 0 and text[start - 1] == "/" and _HTTP_REASON_RE.match(text, tail.end()):
            continue  # a URL's last segment, then its reason: ".../v1.46/auth: Unauthorized"
        key = low[start:tail.end("suffix")]
        cls, multi = "", False
        for kcls, kmulti, pattern in _KEY_CLASSES:
            if pattern.fullmatch(key):
                cls, multi = kcls, kmulti
                break
        if not cls or (cls == "filtered" and _NOT_SECRET_KEY_RE.search(key, a_end - start)):
            continue  # "auth_failures=1", "token_type: bearer", "password_required: true"
        if cls == "filtered" and key.startswith(_CHECKER_PREFIXES):
            continue  # a function that checks one: Samba's "check_ntlm_password:  Authentication"
        vstart = tail.end()
        if text.startswith(("'", '"'), vstart) and _KV_QUOTED_RE.match(text, vstart) is None:
            vstart += 1  # its closing quote cut off (PyYAML's error snippet, a cut line)
        if text.startswith("[", vstart) and PLACEHOLDER_RE.match(text, vstart):
            done = max(done, vstart + 1)
            continue  # already scrubbed
        quoted = _KV_QUOTED_RE.match(text, vstart)
        listed = _KV_LIST_RE.match(text, vstart) if cls in ("filtered", "id") else None
        if listed is not None:  # a key's bytes ("extendedPanID":[221,221,...])
            inner_start, inner_end = vstart, listed.end()
        elif quoted is not None:
            qlen = 2 if quoted.group(0).startswith("\\") else 1
            inner_start, inner_end = vstart + qlen, quoted.end() - qlen
        else:
            sep = tail.group("sep")
            if not (":" in sep or "=" in sep) and cls not in ("serial", "geo", "mac"):
                continue
            if text.startswith("<", vstart) and _OBJECT_REPR_RE.match(text, vstart):
                continue
            multi = multi and ":" in sep  # "password: two words"; "password=x y" is one
            inner_start = vstart
            if multi:
                # A value runs to the end of its line or the next "key:"; both ends are
                # cached so that many keys on one long line do not rescan it (linear time).
                if not line[0] <= vstart < line[1]:
                    run = _KV_LINE_RE.match(text, vstart)
                    line = (vstart, run.end() if run else vstart)
                if next_key < vstart:
                    nxt = _NEXT_KEY_RE.search(text, vstart)
                    next_key = nxt.start() if nxt else len(text)
                inner_end = min(line[1], next_key)
                while inner_end > inner_start and text[inner_end - 1] in " \t":
                    inner_end -= 1
            else:
                run = (_KV_TOKEN_RE if cls == "filtered" else _KV_WORD_RE).match(text, vstart)
                if run is None:
                    continue
                inner_end = run.end()
                if cls == "hostname":
                    inner_end = min(inner_end, vstart + 253)  # the longest name DNS allows
                if cls == "filtered" and (cut := _INNER_KEY_RE.search(text, vstart, inner_end)):
                    inner_end = cut.start()
                    if _REPR_NAME_RE.fullmatch(text, vstart, inner_end) and (
                            arg := _REPR_ARG_RE.match(text, cut.end())) is not None:
                        # a repr ("network_key=Key(key=01:03:..., tx_counter=0)", zigpy's
                        # NetworkInfo): its class name stays, its first argument is the secret
                        group = arg.lastindex or 1
                        inner_start, inner_end = arg.start(group), arg.end(group)
                while inner_end > vstart and cls != "filtered" and text[inner_end - 1] in ".:":
                    inner_end -= 1  # "mac 3c2eff4a5b6c: up", "(user: jean.smith.)"
        done = max(done, inner_end)
        inner = text[inner_start:inner_end]
        if not inner or inner in PLACEHOLDER_VALUES or inner.lower() in _NOT_VALUES:
            continue
        if inner.startswith("configured="):
            continue  # zigbee-herdsman's "Network Key: configured=x, adapter=y": `mesh`'s
        if cls == "filtered" and key == "pwd" and inner.startswith("/"):
            continue  # sudo's "PWD=/home/jean" is the working directory: the path rule's
        if cls == "serial" and (len(inner) < 4 or not any(c.isdigit() for c in inner)):
            continue
        if cls == "geo" and not _GEO_VALUE_RE.fullmatch(inner):
            continue
        if cls == "hostname" and (host_is_kept(inner) or inner.startswith("[") or (
                quoted is None and (_CODE_VALUE_RE.fullmatch(inner) or not any(
                    c in ".-" or c.isdigit() for c in inner)))):
            continue  # "hostname = self.sys_config.hostname", "hostname: str", "set-hostname: set"
        if cls == "user" and (inner.lower() in DEFAULT_NAMES or inner.startswith("[")):
            continue
        if cls == "mac" and not _BARE_MAC_RE.fullmatch(inner):
            continue
        if cls == "id" and listed is None and not _PAN_ID_RE.fullmatch(inner):
            continue  # Zigbee2MQTT's "pan_id: GENERATE"
        edits.append((inner_start, inner_end, tally.hit(cls)))
    return edits


def ssid_edits(text: str, low: str, tally: Tally, words: list[tuple[int, int]]
               ) -> list[Edit]:
    """Quoted network names after `SSID_WORDS` ("access point 'X'", 'SSID="X"').

    `words`: where `SSID_WORDS` start a word (the keyword pass).
    """
    edits: list[Edit] = []
    seen: set[int] = set()
    for _start, end in words:
        m = _SSID_TAIL_RE.match(low, end)
        if m is None:
            continue
        group = 2 if m.group(1) else 3
        if m.start(group) in seen or text[m.start(group):m.end(group)] in PLACEHOLDER_VALUES:
            continue
        seen.add(m.start(group))
        edits.append((m.start(group), m.end(group), tally.hit("ssid")))
    return edits
