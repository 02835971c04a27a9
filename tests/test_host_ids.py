"""This host's identifiers learned from the Supervisor API stand-in (real field names and
shapes, supervisor-api.md) and removed wherever and however they are written."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import quote

import aiohttp
import pytest

from crash_reporter.errors import SupervisorApiError
from crash_reporter.scrub import scrub_text
from crash_reporter.scrub.hosts import coordinate_forms
from crash_reporter.sources.host_ids import HostIdentifiers
from crash_reporter.sources.supervisor import SupervisorApi
from sandbox import supervisor_api as home
from sandbox.supervisor_api import SupervisorStandIn


async def _learn(session: aiohttp.ClientSession, sup: SupervisorStandIn,
                 words: tuple[str, ...] = ()) -> HostIdentifiers:
    ids = HostIdentifiers(SupervisorApi(session, sup.url, sup.token), words)
    assert await ids.refresh() is True
    return ids


async def test_learns_every_identifier_the_supervisor_and_core_serve(
        session: aiohttp.ClientSession, sup: SupervisorStandIn) -> None:
    ids = await _learn(session, sup)
    values = dict(ids.values)
    expected = {
        home.HOME_SSID: "ssid", home.HOME_MAC: "mac", home.HOME_WIFI_MAC: "mac",
        home.HOME_IP: "ip", home.HOME_IP6: "ip", home.HOME_GATEWAY: "ip",
        home.HOME_SHARE_SERVER: "hostname", home.HOME_MOUNT: "mount", "backups_smith": "share",
        "volume1/photos-smith": "share", "192.168.178.5": "ip",
        home.HOME_LOCATION: "location", home.HOME_EXTERNAL_HOST: "hostname",
        sup.hostname: "hostname", sup.info["machine_id"]: "token",
        "52.379189": "geo", "4.899431": "geo",
        "Jean Smith": "user", "Jean": "user", "Smith": "user", "Maria": "user",
    }
    assert {k: values.get(k) for k in expected} == expected
    assert not any(v.startswith("172.30.") for v in values)  # the docker block is not read
    assert await ids.refresh() is False  # nothing new the second time


async def test_without_homeassistant_api_the_rest_is_still_learned(
        session: aiohttp.ClientSession) -> None:
    async with SupervisorStandIn(diagnostics=True, homeassistant_api=False) as sup:
        values = dict((await _learn(session, sup)).values)
    assert home.HOME_SSID in values and home.HOME_LOCATION not in values
    assert "Jean Smith" not in values  # Core's template API is refused too


async def test_api_failures_are_skipped(session: aiohttp.ClientSession,
                                        sup: SupervisorStandIn) -> None:
    sup.set_fault(500)
    ids = HostIdentifiers(SupervisorApi(session, sup.url, sup.token), ("Smith",))
    assert await ids.refresh() is False
    assert ids.values == (("Smith", "redacted"),)
    sup.set_fault("garbage")
    assert await ids.refresh() is False
    sup.set_fault(None)
    assert await ids.refresh() is True


async def test_learned_values_are_removed_in_every_written_form_and_never_logged(
        session: aiohttp.ClientSession, sup: SupervisorStandIn,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ids = await _learn(session, sup, ("Smith",))
    planted = [
        f"Wireless network '{home.HOME_SSID}' found on wlan0",
        f"ssid={quote(home.HOME_SSID)}&band=2g",
        json.dumps({"network": home.HOME_SSID.upper()}),
        f"/org/bluez/hci0/dev_{home.HOME_MAC.replace(':', '_')}",
        f"hwaddr {home.HOME_MAC.replace(':', '').lower()} up",
        f"Cannot connect to host {home.HOME_IP}:8123 ssl:default [Connect call failed]",
        f"peer [{home.HOME_IP6}]:443",
        f"mount //{home.HOME_SHARE_SERVER}/backups_smith failed",
        f"mnt-data-supervisor-mounts-{home.HOME_MOUNT}.mount: Failed with result 'exit-code'",
        f"Weather for {home.HOME_LOCATION} at {home.HOME_LATITUDE:.4f}, {home.HOME_LONGITUDE:.3f}",
        f"Invalid URL https://{home.HOME_EXTERNAL_HOST}/auth/token",
        "Family SMITH backup", "the smith-family.de domain",
    ]
    secrets = [home.HOME_SSID, quote(home.HOME_SSID), home.HOME_SSID.upper(),
               home.HOME_MAC.replace(":", "_"), home.HOME_MAC.replace(":", "").lower(),
               home.HOME_IP, home.HOME_IP6, home.HOME_SHARE_SERVER, home.HOME_MOUNT,
               home.HOME_LOCATION, "52.3792", "4.899", home.HOME_EXTERNAL_HOST, "SMITH",
               "smith-family"]
    text = "\n".join(planted)
    out = scrub_text(text, ids.values)
    assert [s for s in secrets if s.lower() in out.lower()] == []
    assert "found on wlan0" in out and "Connect call failed" in out  # triage text kept
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [s for s in secrets if s in logged]


def test_coordinates_rounded_in_both_notations() -> None:
    forms = set(coordinate_forms("52.379189"))
    assert {"52.38", "52.379", "52.3792", "52.379189", "52,3792"} <= forms
    assert "1.23" not in set(coordinate_forms("1.234567"))  # too likely a version
    assert list(coordinate_forms("nan")) == [] and list(coordinate_forms("north")) == []
    out = scrub_text("at 52.38, 4.8994 and 52,3792", [("52.379189", "geo"), ("4.899431", "geo")])
    assert out == "at [geo], [geo] and [geo]"


async def test_core_allowlisted_folders_and_urls_are_learned(
        session: aiohttp.ClientSession, sup: SupervisorStandIn) -> None:
    # Core's allowlists hold the names users give their folders and the hosts of their devices.
    sup.core_config["allowlist_external_dirs"] = ["/media", "/media/Jean Photos/"]
    sup.core_config["allowlist_external_urls"] = ["http://nas-smith.lan:5000/img"]
    values = dict((await _learn(session, sup)).values)
    assert values.get("/media/Jean Photos") == "path-user"
    assert values.get("nas-smith.lan") == "hostname"
    assert "/media" not in values  # every installation has it
    ids_list = list(values.items())
    out = scrub_text("PermissionError: '/media/Jean Photos/2024/a.jpg' via NAS-SMITH.LAN",
                     ids_list)
    assert out == "PermissionError: '[path-user]/2024/a.jpg' via [hostname]", out
    assert scrub_text(out, ids_list) == out


async def test_a_network_joined_since_the_last_read_is_known_before_a_scrub(
        session: aiohttp.ClientSession, sup: SupervisorStandIn) -> None:
    """`current` re-reads identifiers older than its limit: a new Wi-Fi network is learned."""
    ids = await _learn(session, sup)
    wifi = next(i for i in sup.network_info["interfaces"] if i.get("wifi"))
    wifi["wifi"]["ssid"] = "Smith Holiday Flat"
    assert "Smith Holiday Flat" not in dict(await ids.current(60.0, 3.0))  # read just now
    assert ("Smith Holiday Flat", "ssid") in await ids.current(0.0, 3.0)
    assert (home.HOME_SSID, "ssid") in ids.values  # the old one is kept: old logs hold it


async def test_a_slow_supervisor_does_not_hold_a_report(
        session: aiohttp.ClientSession, sup: SupervisorStandIn) -> None:
    ids = await _learn(session, sup)
    known = ids.values
    sup.slow_s = 30.0
    sup.set_fault("slow")
    assert await asyncio.wait_for(ids.current(0.0, 0.2), 5.0) == known


async def test_the_homes_people_are_learned_and_removed_wherever_they_are_named(
        session: aiohttp.ClientSession, sup: SupervisorStandIn) -> None:
    # Settings > People: names users type in full end up in entity ids, device and BLE names.
    sup.people = ["Jean Smith", "Will Baker", "Zo\u00eb", "Home Assistant", "Kitchen Tablet"]
    ids = await _learn(session, sup)
    values = dict(ids.values)
    assert {k: values.get(k) for k in ("Jean Smith", "Jean", "Smith", "Will Baker", "Baker",
                                       "Zo\u00eb")} == dict.fromkeys(
        ("Jean Smith", "Jean", "Smith", "Will Baker", "Baker", "Zo\u00eb"), "user")
    assert "Will" not in values  # an everyday word alone: only the full name is learned
    assert "Home Assistant" not in values and "Kitchen Tablet" not in values  # no one's name
    text = ("Turned on light.jean_bedroom_lamp for person.jean_smith\n"
            "BLE device 'Jean Watch' battery 12 %; Zo\u00eb arrived home\n"
            "Will retry in 5 s: sensor.will_baker_phone_battery unavailable\n"
            "Message from Will Baker: JEAN SMITH")
    out = scrub_text(text, ids.values)
    assert [w for w in ("jean", "smith", "baker", "zo\u00eb") if w in out.lower()] == [], out
    assert "Will retry in 5 s" in out and "battery 12 %" in out and "Turned on light." in out
    assert scrub_text("Home Assistant Core started", ids.values) == "Home Assistant Core started"
    assert scrub_text(out, ids.values) == out


async def test_the_stand_in_renders_cores_templates_with_jinja(
        session: aiohttp.ClientSession, sup: SupervisorStandIn) -> None:
    api = SupervisorApi(session, sup.url, sup.token)
    reply = await api.post_core("/core/api/template", {
        "template": "{{ {'n': states.person | map(attribute='name') | list | length} | tojson }}"})
    assert reply == {"n": len(home.HOME_PEOPLE)}
    with pytest.raises(SupervisorApiError, match="HTTP 400"):
        await api.post_core("/core/api/template", {"template": "{{ states.person | oops }}"})
    with pytest.raises(SupervisorApiError, match="not JSON"):
        await api.post_core("/core/api/template", {"template": "plain text"})
    with pytest.raises(SupervisorApiError, match="not a JSON object"):
        await api.post_core("/core/api/template", {"template": "{{ [1, 2] | tojson }}"})
