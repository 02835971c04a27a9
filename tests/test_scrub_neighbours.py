"""Fixed point and neighbour independence, and triage value kept, over generated text.

Every class (the generators of test_scrub_properties plus the phrasings hosts really log:
aiohttp errors, NetworkManager/wpa_supplicant SSID lines, bluez paths, by-id serials, network
shares, mount units, user names, personal folders, multi-word secrets, token prefixes) is
concatenated with every other, with separators and without. Without a separator only where
the boundary is unambiguous (a quote, a bracket, a space on one side): "4111...1111" directly
followed by "10.0.0.1" is one number to anyone. Whatever stands next to a value, it is removed,
and scrubbing the result again changes nothing.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crash_reporter.scrub import scrub_event, scrub_text
from tests.test_scrub_properties import PII, RUNS_TO_DELIMITER, SAFE

SETTINGS = settings(max_examples=int(os.environ.get("SCRUB_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

NAME = st.from_regex(r"[A-Z][a-z]{3,7}[0-9]{1,2}", fullmatch=True)
# (not 8 hex digits and a dash: that is an app's hostname, kept for triage)
HOST = st.from_regex(r"[g-z][a-z]{2,7}[0-9]{1,2}(?:-[a-z]{2,6})?", fullmatch=True)
TLD = st.sampled_from(["de", "nl", "com", "net", "org", "fritz.box", "local", "duckdns.org",
                       "ui.nabu.casa", "lan", "co.uk", "io"])
HEXB = st.integers(0, 255).map(lambda i: f"{i:02X}")


@st.composite
def aiohttp_error(draw: st.DrawFn) -> tuple[str, str]:
    host = f"{draw(HOST)}.{draw(TLD)}"
    port = draw(st.sampled_from([443, 8123, 1883, 445]))
    form = draw(st.sampled_from([
        "Cannot connect to host {h}:{p} ssl:default [Connect call failed]",
        "Cannot connect to host {h}:{p} ssl:default [Name or service not known]",
        "HTTPSConnectionPool(host='{h}', port={p}): Max retries exceeded",
        "Client error on {h}:{p}", "Hostname mismatch, certificate is not valid for '{h}'",
    ]))
    return form.format(h=host, p=port), host


@st.composite
def ssid_line(draw: st.DrawFn) -> tuple[str, str]:
    name = f"{draw(NAME)} {draw(NAME)}"
    form = draw(st.sampled_from([
        "device (wlan0): Activation: (wifi) access point '{}' has security, but secrets are "
        "required.", 'Connecting to "{}"', "wlan0: Trying to associate with SSID '{}'",
        "Wireless network '{}' found on wlan0",
        'wlan0: CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="{}" auth_failures=1',
        "(wlan0): Activation: starting connection '{}' (0b2c-47)",
    ]))
    return form.format(name), name


@st.composite
def mac_forms(draw: st.DrawFn) -> tuple[str, str]:
    octets = [draw(HEXB) for _ in range(6)]
    form = draw(st.sampled_from(["/org/bluez/hci0/dev_{u}", "key:{c}", "\x1b[32m{c}\x1b[0m",
                                 "hwaddr {b}", "addr_{c}", "bdaddr={c}"]))
    shown = form.format(u="_".join(octets), c=":".join(octets).lower(), b="".join(octets))
    secret = {"u": "_".join(octets)}.get(form[-2], "".join(octets))
    return shown, ":".join(octets) if ":" in shown else secret


@st.composite
def by_id(draw: st.DrawFn) -> tuple[str, str]:
    serial = draw(st.from_regex(r"[A-Z]{2}[0-9]{6,12}[A-Z]?", fullmatch=True))
    form = draw(st.sampled_from([
        "/dev/serial/by-id/usb-ITEAD_SONOFF_Zigbee_3.0_USB_Dongle_Plus_{}-if00-port0",
        "/dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_{}-part1",
        "/dev/disk/by-id/nvme-WD_BLACK_SN770_1TB_{}"]))
    return form.format(serial), serial


@st.composite
def share(draw: st.DrawFn) -> tuple[str, str]:
    host = draw(HOST)
    form = draw(st.sampled_from(["//{h}/backups", "\\\\{h}\\backup", "{h}.{t}:/volume1/x",
                                 "mount.cifs //{h}/photos /mnt failed"]))
    return form.format(h=host, t=draw(TLD)), host


@st.composite
def mount_unit(draw: st.DrawFn) -> tuple[str, str]:
    name = f"{draw(NAME)}_{draw(NAME)}"
    form = draw(st.sampled_from([
        "mnt-data-supervisor-mounts-{}.mount: Failed with result 'exit-code'.",
        "Mounting /mnt/data/supervisor/mounts/{}...", "Could not mount {} at /data/mounts/{}"]))
    shown = form.format(name, name)
    if "Could not" in form:
        shown = form.format(f"/data/mounts/{name}", name).replace("mount /data", "mount /data")
    return shown, name


@st.composite
def person(draw: st.DrawFn) -> tuple[str, str]:
    user = f"{draw(NAME).lower()}.{draw(NAME).lower()}"
    folder = f"{draw(NAME)} {draw(NAME)}"
    kind = draw(st.sampled_from(["user", "folder"]))
    if kind == "user":
        form = draw(st.sampled_from(["(user: {})", "for user '{}'", "username={}"]))
        return form.format(user), user
    form = draw(st.sampled_from(["Permission denied: '/media/{}/2024'", '"/share/{}/x.jpg"']))
    return form.format(folder), folder


@st.composite
def secret_words(draw: st.DrawFn) -> tuple[str, str]:
    words = " ".join(draw(NAME).lower() for _ in range(draw(st.integers(2, 4))))
    key = draw(st.sampled_from(["password", "Passphrase", "wifi_psk", "secret"]))
    # A multi-word secret runs to the end of its line, a delimiter or the next "key:": what
    # follows it on the same line without one of those is, to anyone, part of it.
    return f"{key}: {words}" + draw(st.sampled_from(["\n", ",", ";"])), words


@st.composite
def prefixed_token(draw: st.DrawFn) -> tuple[str, str]:
    body = draw(st.from_regex(r"[A-Za-z0-9]{36}", fullmatch=True))
    t = draw(st.sampled_from(["ghp_", "glpat-", "xoxb-1-", "sk-proj-", "hf_"])) + body
    return draw(st.sampled_from(["{}", "token {}", "'{}'"])).format(t), t


CLASSES = st.one_of(PII, aiohttp_error(), ssid_line(), mac_forms(), by_id(), share(),
                    mount_unit(), person(), secret_words(), prefixed_token())
SEPARATORS = st.sampled_from(["", " ", ", ", "; ", "\n", "\t", " | ", " - ", ": "])
# (and the characters a secret may hold, "!#*?^~": "password=00000~password = 1" is one token)
_SOFT = set("._-:%@/\\+=!#*?^~")


def _join(left: str, right: str, sep: str) -> str:
    """`sep` between them; "" only where one side ends/starts with a hard boundary."""
    if sep == "" and (left[-1:].isalnum() or left[-1:] in _SOFT) and (
            right[:1].isalnum() or right[:1] in _SOFT):
        sep = " "
    return left + sep + right


@st.composite
def neighbours(draw: st.DrawFn) -> tuple[str, list[str]]:
    text, secrets = "", []
    for _ in range(draw(st.integers(2, 4))):
        shown, secret = draw(CLASSES)
        if RUNS_TO_DELIMITER.search(shown):
            shown += draw(st.sampled_from(["\n", ",", ";"]))
        text = _join(text, shown, draw(SEPARATORS)) if text else shown
        secrets.append(secret)
    return text, secrets


def _distinct(secrets: list[str]) -> list[str]:
    """Secrets long enough that finding them in the output is not chance ("/de" in "/dev")."""
    return [s for s in secrets if len(s.strip("/\\")) >= 4]


@SETTINGS
@given(neighbours())
# found by it: a bearer token ran on over an ANSI colour's ESC, so the MAC after it kept
@example(("Bearer aaaaaaaaaaaaaaaaaaaa\x1b[32m00:00:00:00:00:00\x1b[0m",
          ["aaaaaaaaaaaaaaaaaaaa", "00:00:00:00:00:00"]))
def test_every_value_is_removed_whatever_stands_next_to_it(sample: tuple[str, list[str]]
                                                           ) -> None:
    text, secrets = sample
    once = scrub_text(text)
    low = once.lower()
    assert [s for s in _distinct(secrets) if s.lower() in low] == [], (text, once)
    assert scrub_text(once) == once, (text, once)


@SETTINGS
@given(neighbours(), st.sampled_from(["message", "value", "crumb"]))
# found by it: an ESPHome node's name that starts an event's string (after the NUL that joins
# the strings for one pass) was kept
@example(("jean-desk-sensor @ 192.168.1.50: Connection error occurred: timeout",
          ["jean-desk-sensor", "192.168.1.50"]), "value")
def test_events_are_a_fixed_point(sample: tuple[str, list[str]], where: str) -> None:
    text, secrets = sample
    event = {"event_id": "0123456789abcdef0123456789abcdef", "message": "m",
             "exception": {"values": [{"type": "OSError", "value": "v"}]},
             "breadcrumbs": {"values": [{"message": "b"}]}}
    if where == "message":
        event["message"] = text
    elif where == "value":
        event["exception"]["values"][0]["value"] = text  # type: ignore[index]
    else:
        event["breadcrumbs"]["values"][0]["message"] = text  # type: ignore[index]
    out = scrub_event(event)
    assert out is not None
    dumped = json.dumps(out, ensure_ascii=False).lower()
    assert [s for s in _distinct(secrets) if s.lower() in dumped] == []
    assert scrub_event(out) == out


TRIAGE = st.one_of(SAFE, st.sampled_from([
    "aiohttp.client_exceptions.ClientConnectorError", "supervisor.exceptions.MountError",
    "a0d7b954_ssh", "core_configurator", "local_example_app", "version.home-assistant.io",
    "ghcr.io/home-assistant/amd64-hassio-supervisor:2026.10.0", "https://github.com/x/y",
    "pypi.org", "sentry.io", "supervisor.mounts.mount", "/usr/src/supervisor/supervisor/"
    "mounts/mount.py", "_async_mount", "Supervisor 2026.11.2 on HAOS 16.3", "ssl:default",
    "[Errno 111] Connect call failed", "/usr/share/zoneinfo/Europe", "/data/options.json",
    "supervisor.jobs:123", "main.go:70", "asm_amd64.s:1594", "Container a1b2c3d4e5f6 exited",
    "shellyplus1pm", "RINCON_", "ED25519 SHA256:", "esphome-web", "core-mosquitto:1883",
]))


@SETTINGS
@given(st.lists(st.tuples(TRIAGE, CLASSES), min_size=1, max_size=4))
def test_triage_value_is_kept_beside_identifying_values(items: list[tuple[str, tuple[str, str]]]
                                                        ) -> None:
    # Each kept item on its own line: a value's line may be all value (a multi-word secret).
    text = "\n".join(f"{kept}\n{shown}" for kept, (shown, _) in items)
    out = scrub_text(text)
    for kept, _ in items:
        assert kept in out, (kept, out)
