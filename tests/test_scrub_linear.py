"""Linear time, proven by attack: for every rule, adversarial texts built from repetitions of
its own prefixes and separators, at 1 KB, 10 KB and 100 KB. The time per KB must not grow with
the length (a ratio measured side by side, min of a few repeats; a quadratic rule grows 10x per
step). This is a complexity test, not a timed test of absolute speed."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from crash_reporter.scrub import scrub_event, scrub_text

SIZES = (1_000, 10_000, 100_000)
GROWTH_LIMIT = 3.0  # per-KB time may grow at most this much per 10x length (quadratic: 10x)
IDS = ["homeassistant-kitchen", "Smith Family WiFi", "3c:2e:ff:4a:5b:6c", "192.168.1.23",
       "ha.smith-family.de", "Backup_Smith", "5f2ac1e0d7b94e3c8a61b0f4c9d2e7a3"]

# rule -> its prefixes, keywords and separators
ATOMS: dict[str, list[str]] = {
    "pem": ["-----BEGIN A-----", "-----END B-----", "-----BEGIN ", "x", "\n"],
    "known_tokens": ["eyJ", "eyJabcdefghij.", "ab.", "ghp_", "sk-", "xoxb-", "a", "_", "-"],
    "bearer": ["bearer ", "basic ", "Bearer", " ", "x", "\t"],
    "urlauth": ["//", "@", "a", ":", "//a:b"],
    "key_value": ["otp", "password", "=", ": ", "'", '"', '\\"', "a", " ", "serial", "ssid",
                  "user", "mac", "lat", "token", "_", "-", ".", "3c", "=Key(key=", "Key(",
                  "(key='"],
    "ssid_phrases": ["network ", "'", "connection", '"', "ssid=", "a", "access point ", " "],
    "emails": ["@", "a", ".", "-", "b@c.", "de"],
    "hosts": ["://", "//", "\\\\", "host ", "a.", "b-", ":/", "host=", "de", ".com", ":443",
              "server '", "x"],
    "hex": ["a", "1", "-", "_", ".", "ab", "ab-", "ab_", "abcd.", "0123456789abcdef"],
    "colon_runs": [":", "a", "::", "1", "ab:", "%e", ".1", "fe80::", "\x1b[32m"],
    "digits": ["1", " ", "-", ".", ",", "4111", "10.0.", "52.3731, "],
    "iban": ["DE", "12", " ", "A", "DE89 "],
    "paths": ["/home/", "/media/", "/by-id/", "a", "-", "_", "'", " ", "supervisor-mounts-",
              "\\x2d", ".mount", "-if00", "/", "/data/media/", "a.", ". ", ".tar",
              "_2026-12-04_18.00_00123456.tar", "a_"],
    "phrases": ["hostname set to", "of user ", "mount: ", "mount ", "'", "<", "a", " ",
                "access point:", "auth request from '", "' for '", "(", "_", "probing mount ",
                "in locations ", "a, ", " and ", "Backup a1b2c3d4", " does not exist in ",
                "Mounting ", " did not ", "cannot remove '", "', no mount exists",
                "blocking mount a from ", "/a", " to a", "a_local_recovery",
                "hostname changed from ", "\"a\" to ", "(none) to ", "detected conflict on ",
                "Starting accessory ", " on addresses", "Setup payload: ", "/ingress/",
                "/hassio_ingress/", "Ingress for ", "a" * 40, " not available"],
    "context": ["option a => '", "=>", ":123 (", "a.", ")", "#", "1%3#a.", "op=\"connection-",
                " x=\"\"", ' name="', "roamed from BSSID ", "?key=", "&", "'0x", "._tcp.",
                "._a", "a'", " ", "1", ":AA", "AAAA", "/webhooks/1", "/api/webhook/",
                "hostname=", '"hostname": "', "a-", "serial no. ",
                "\n2026-12-04 18:00:00.123 a ", "Dec  4 18:00:00 a ", "a[1]: ", "\n",
                "Config: added 'ssid' value '", "Config: added 'identity' value 'a",
                "CTRL-EVENT-EAP-PEER-CERT depth=0 subject='", "/CN=", ", O=", "'"],
    "phones_dms_ports": ["+1", "+49 ", "(555)", " ", "-", "1", "52\u00b0", "22'", "a-b.", ":80",
                         ".c", "x"],
    "fingerprints": ["SHA256:", "MD5:", "md5 ", "ab:", "AAAA", "AAAAC3NzaC1lZDI1NTE5", "a", "+",
                     "/", "=", " ", "x@y", "NzaC1", "VjZHNh", "a@b ED25519 SHA256:", "ED25519 ",
                     "a" * 60 + "@", "a,", "|1|", "[a]:22 ", "ssh-ed25519 ", "\n",
                     "@revoked ", "host key for ", "connect to host ", "connection to a",
                     " closed", " port 1"],
    "devices": ["-", "_", "a8032ab12345", "4a5b6c", "shelly", "ESP-", "RINCON_", "/0x", "0",
                "001788fffe4a5b6c", "fffe", "enx", " - ", "Hue ", "h", "A", "0x",
                "zigbee2mqtt ", "0x00124b001ca1b2c3"],
    "endpoints": ["connect", "connecting to ", "broker ", "bridge a (", "a.b", ":1883", "('",
                  "call failed ('",
                  "a', 1883)", "getaddrinfo ENOTFOUND ", "a", " ", ".", "-",
                  "certificate is valid for ", ", ", "not ", "a, not b",
                  "certificate is not valid for '", "'", " u'"],
    "accounts": [" : TTY=", " ; TTY=", " ; PWD=/", " : PWD=/a", " : ", "jean", " ", "(uid=",
                 " by ", "(to ", ") ", " on ", "LOGIN ON tty1 BY ", "FAILED LOGIN 1 FROM a FOR ",
                 "User ", " from ", " not allowed because", "Starting session: ", " for ",
                 "(serial ", " ID ", "logname=", "ruser=", "identify password for [", "]",
                 'certificate ID "', "a@b", " is not in the sudoers file", "user [", "]\\[",
                 "became [", "workstation [", " (ipv4:", "initially as user ", "a@b",
                 ": Permission denied (", "'s password:", "@", "Connecting to a [", "\n", ";",
                 "Exit (", "a) from <", "): ", " executing '", " executing login shell",
                 "auth succeeded for '", "wrong user ", "for user [", "] -> [",
                 "check_x_password: "],
    "names": ["Jean's ", "'s iPhone", "s-iPhone", "-", "Jean", "iPhone", " von ", "-von-", "mac",
              " Pro", "'", "\u2019s ", "a", " ", "android-", "0123456789abcdef", "DESKTOP-",
              "A1", "device '", "Device \"", "' to '", "z2m ", "zigbee2mqtt/", "/set", "bridge",
              "friendly_name=", "friendly_name\": \"", "device_name=", "a b", "DHCPACK(eth0) ",
              "1.2.3.4 ", "aa:bb ", "00:01:", "query[A] ", "reply ", " is 1.", "plugin/errors: 2 ",
              "a. A: ", "[media_player.a ", "):8009]", "(", '" (/services/', '"',
              'retrying with "', "owntracks/", "a/", "+/", "_s_", "_iphone", "sensor.", "_von_",
              ".local.hassio", "a-", "DHCPACK on a to b (", ") via ", "DHCPDISCOVER from a ",
              "person.", "person.a", "_s_phone", "client ", "Client a", " disconnected",
              "on client a, ", "connected from a as b (p1", "PUBLISH from ", "CONNACK to a ",
              " @ ", "a @ 1.2.3.4", " @ a.local", "different name '", ".", ",", ":",
              '"device":{', '"name":"', '"a b"', "}", "a_b", '\\"device\\": {', "light.",
              "a_s_", "sensor.a_b_s_c", "calendar.a", "_gmail_com", "_me_com_", "/esphome/",
              ".yaml", "Build path: /", "/build/", "Processing ", " (board: ", "<friendlyName>",
              "</", "'friendlyName': '", "'fn': '", "b'fn': b'", "\"fn=",
              "\n"],
    "mesh": ["b'nn': b'", "b'xp': b'", "'", "\\", "\\x", '"nn=', '"', " [", ": configured=",
             "PAN ID", "pan id: configured=1, ", "adapter:active=", "=", ",", " ", "a",
             "network_key: [", "1,", "extendedPanID\":[", "]", "Network Name: ", "pan_id=0x",
             "span_id=", "Ext PAN ID: ", "dd:", "\n", "home ID: ", "homeId\": ", "0x1",
             "('zwave_js', '", "1234567", "-5", ".5", "Compressed FabricId ",
             "Manual pairing code: [", "SetupQRCode: [MT:", "]"],
    "repos": ["repository ", " repo: ", "cmdline: git ", "https://", "git@", "a/", "a.b/",
              "x@", "#", ":22", "\n", " ", "a"],
    "entries": ["Error setting up entry ", "a for b", " for ", "Config entry '", "' for ",
                "a integration ", "The config entry ", " (a) with entry_id ", "x", " ", "\n",
                "config entry retry a ", "' coro=", "'"],
    "offending": [". Got ", "', got ", "'a'", "\"", "[", "{'a': ", "1", ". ", "\\'", "\n",
                  "['password']", "->pin'"],
    "identifiers": ["kitchen", "homeassistant-", "smith family ", "3c:2e:", "192.168.1.",
                    "ha.", "backup_", "5f2ac1e0", " ", "%20"],
}


def _texts(atoms: list[str]) -> list[tuple[str, str]]:
    """Generators of adversarial text: each atom alone, each pair, and a random mix."""
    gens: list[tuple[str, str]] = [(f"{a!r}*", a) for a in atoms]
    rng = random.Random(len(atoms))
    pairs = list(itertools.permutations(atoms, 2))
    gens += [(f"({a!r}{b!r})*", a + b) for a, b in rng.sample(pairs, min(len(pairs), 40))]
    gens.append(("mix", "".join(rng.choice(atoms) for _ in range(400))))
    return gens


def _grow(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _per_kb(text: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        scrub_text(text, IDS)
        best = min(best, time.perf_counter() - t0)
    return best / (len(text) / 1000)


def _growth(unit: str) -> tuple[float, list[float]]:
    """Worst growth of the time per KB from one size to the next (10x longer)."""
    per = [_per_kb(_grow(unit, size), 3 if size < 100_000 else 2) for size in SIZES]
    # A 1 KB run is mostly fixed overhead; compare each size with the best of the smaller.
    ratios = [per[i + 1] / min(per[: i + 1]) for i in range(len(per) - 1)]
    return max(ratios), per


@pytest.mark.parametrize("rule", sorted(ATOMS))
def test_time_per_kb_does_not_grow(rule: str) -> None:
    # Screen every generator at 5 KB vs 1 KB, then measure the slowest ones at all sizes.
    screened = []
    for name, unit in _texts(ATOMS[rule]):
        small = _per_kb(_grow(unit, 1_000), 2)
        mid = _per_kb(_grow(unit, 5_000), 1)
        screened.append((mid / small, name, unit))
    screened.sort(reverse=True)
    failures = []
    for _, name, unit in screened[:4]:
        worst, per = _growth(unit)
        if worst > GROWTH_LIMIT:
            # Machines are noisy: a second measurement must confirm it.
            worst, per = _growth(unit)
        if worst > GROWTH_LIMIT:
            failures.append((name, round(worst, 2), [f"{p * 1e6:.0f} us/KB" for p in per]))
    assert failures == []


@pytest.mark.parametrize("text", [":" * 100_000 + "g", "otp" * 33_000,
                                  "password: " * 10_000, "1 " * 50_000])
def test_the_reported_slow_inputs_are_fast(text: str) -> None:
    worst, per = _growth(text[: len(text) // 100] or text)
    assert worst <= GROWTH_LIMIT, per


def test_a_whole_event_of_adversarial_strings_scrubs_in_linear_time() -> None:
    def event(n: int) -> dict[str, object]:
        return {"exception": {"values": [
            {"type": "ValueError", "value": _grow(":" * 40 + "otp" * 40 + "1 " * 40, n)}
            for _ in range(10)]}}

    times = []
    for n in (800, 8_000):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            assert scrub_event(event(n)) is not None
            best = min(best, time.perf_counter() - t0)
        times.append(best / n)
    assert times[1] <= GROWTH_LIMIT * times[0]
