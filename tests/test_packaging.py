"""App packaging: config.yaml, translations, DOCS.md, Dockerfile, rootfs, apparmor.txt.

The Supervisor's app-config schema cannot be imported here (it needs the whole Supervisor), so
its rules are TRANSCRIBED below (see "Transcribed Supervisor rules") and applied to our files,
each with negative controls proving the transcription rejects what the Supervisor rejects.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from crash_reporter.config import LOG_LEVELS, load_config
from crash_reporter.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
S6_DIR = ROOT / "rootfs/etc/s6-overlay/s6-rc.d"
SERVICE_DIR = S6_DIR / "crash_reporter"
SCRIPTS = (SERVICE_DIR / "run", SERVICE_DIR / "finish")
PIP_TIMEOUT_S = 240


def _yaml(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    data = _yaml("config.yaml")
    assert isinstance(data, dict), "config.yaml must hold a mapping"
    return data


# =============================================================================================
# Transcribed Supervisor rules
#
# Source: home-assistant/supervisor, read through the code index:
#   supervisor/apps/validate.py  @ 279166047b25001f00efea2226f8c10d5ded6f79
#       _SCHEMA_APP_CONFIG, SCHEMA_ELEMENT, RE_VOLUME, RE_SERVICE, RE_MACHINE,
#       _warn_app_config, _migrate_app_config, SCHEMA_TRANSLATION_CONFIGURATION,
#       SCHEMA_APP_TRANSLATIONS
#     (a newer stored version adds `watchdog_restart_policy` and the app-named map types
#      local_apps, all_app_configs, app_config; both are accepted here)
#   supervisor/apps/options.py   @ 1ee90b7c0e1cb30b7decca01f8630ee795091f0d
#       RE_SCHEMA_ELEMENT, AppOptions._single_validate, _check_missing_options
#   supervisor/apps/const.py     @ 1ee90b7c0e1cb30b7decca01f8630ee795091f0d
#       RE_SLUG, AppBackupMode, MappingType
#   supervisor/const.py (ARCH_*, ROLE_ALL, startup/boot/stage enums) and supervisor/validate.py
#       @ 07c827f62fd35170aef08fdd9c1cd73aeced686b (version_tag, network_port, docker_ports,
#       docker_image). Which arches are deprecated (warned, still accepted) is from
#       shared/reference/app-packaging.md: armhf, armv7, i386.
# voluptuous semantics reproduced: a type schema is an isinstance check; vol.Boolean accepts
# bool-ish strings and any non-string; vol.Url needs a scheme and a host; vol.Match is re.match.
# Where we are STRICTER than the Supervisor, it is marked "ours": unknown keys (the Supervisor
# silently drops them, so a typo would go unnoticed), deprecated forms it only warns about or
# migrates, and YAML booleans that must be real booleans.
# =============================================================================================


class Invalid(Exception):
    """A transcribed rule rejected a value."""


Validator = Callable[[Any], None]

ARCH_SUPPORTED = ("aarch64", "amd64")
ARCH_DEPRECATED = ("armhf", "armv7", "i386")
ARCH_ALL_COMPAT = ARCH_SUPPORTED + ARCH_DEPRECATED
STARTUP = ("initialize", "system", "services", "application", "once")
STARTUP_MIGRATED = ("before", "after")  # migrated to services / application, with a warning
BOOT_CONFIG = ("auto", "manual", "manual_only")
STAGE = ("stable", "experimental", "deprecated")
ROLE_ALL = ("default", "homeassistant", "backup", "manager", "admin")
BACKUP_MODE = ("hot", "cold")
MAPPING_TYPE = (
    "data", "config", "ssl", "addons", "backup", "share", "media", "homeassistant_config",
    "all_addon_configs", "addon_config",
    "local_apps", "all_app_configs", "app_config",  # newer tree
)
RE_SLUG_FIELD = re.compile(r"^[-_.A-Za-z0-9]+$")
RE_VOLUME = re.compile(
    r"^(data|config|ssl|local_apps|addons|backup|share|media|homeassistant_config"
    r"|all_app_configs|all_addon_configs|app_config|addon_config)(?::(rw|ro))?$"
)
RE_SERVICE = re.compile(r"^(?P<service>mqtt|mysql):(?P<rights>provide|want|need)$")
RE_MACHINE = re.compile(
    r"^!?(?:|intel-nuc|khadas-vim3|generic-aarch64|generic-x86-64|odroid-c2|odroid-c4"
    r"|odroid-m1|odroid-n2|odroid-xu|qemuarm-64|qemuarm|qemux86-64|qemux86|raspberrypi"
    r"|raspberrypi2|raspberrypi3-64|raspberrypi3|raspberrypi4-64|raspberrypi4|raspberrypi5-64"
    r"|yellow|green|tinker)$"
)
RE_DOCKER_PORT = re.compile(r"^\d+(?:/tcp|/udp)?$")
RE_DOCKER_IMAGE = re.compile(r"^([a-zA-Z\-\.:\d{}]+/)*?([\-\w{}]+)/([\-\w{}]+)$")
RE_WATCHDOG = re.compile(r"^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$")
RE_WEBUI = re.compile(r"^(?:https?|\[PROTO:\w+\]):\/\/\[HOST\]:\[PORT:\d+\].*$")
RE_SCHEMA_ELEMENT = re.compile(
    r"^(?:"
    r"|bool"
    r"|email"
    r"|url"
    r"|port"
    r"|device(?:\((?P<filter>subsystem=[a-z]+)\))?"
    r"|str(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?"
    r"|password(?:\((?P<p_min>\d+)?,(?P<p_max>\d+)?\))?"
    r"|int(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?"
    r"|float(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<list>.+)\)"
    r")\??$"
)
_BOOL_TRUE = ("1", "true", "yes", "on", "enable")
_BOOL_FALSE = ("0", "false", "no", "off", "disable")


def v_type(kind: type) -> Validator:
    def check(value: Any) -> None:
        if not isinstance(value, kind):
            raise Invalid(f"expected {kind.__name__}, got {type(value).__name__}")
    return check


v_str = v_type(str)
v_dict = v_type(dict)


def v_boolean(value: Any) -> None:  # vol.Boolean()
    if isinstance(value, str) and value.lower() not in _BOOL_TRUE + _BOOL_FALSE:
        raise Invalid(f"expected a boolean, got {value!r}")


def v_in(allowed: tuple[object, ...]) -> Validator:  # vol.In / vol.Coerce(StrEnum)
    def check(value: Any) -> None:
        if value not in allowed:
            raise Invalid(f"{value!r} is not one of {', '.join(map(str, allowed))}")
    return check


def v_match(pattern: re.Pattern[str]) -> Validator:  # vol.Match (re.match on a str)
    def check(value: Any) -> None:
        if not isinstance(value, str) or not pattern.match(value):
            raise Invalid(f"{value!r} does not match {pattern.pattern}")
    return check


def v_url(value: Any) -> None:  # vol.Url()
    if not isinstance(value, str):
        raise Invalid("expected a URL string")
    parsed = urlparse(value)
    if not parsed.scheme or not parsed.netloc:
        raise Invalid(f"{value!r} is not a URL")


def v_version_tag(value: Any) -> None:  # AwesomeVersion(value): str, int or float
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f"{value!r} is not a version")


def v_int_range(low: int, high: int) -> Validator:  # vol.All(vol.Coerce(int), vol.Range)
    def check(value: Any) -> None:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Invalid(f"{value!r} is not an integer") from None
        if not low <= number <= high:
            raise Invalid(f"{number} is not within {low}..{high}")
    return check


v_network_port = v_int_range(1, 65535)


def v_list(item: Validator) -> Validator:  # [item]
    def check(value: Any) -> None:
        if not isinstance(value, list):
            raise Invalid(f"expected a list, got {type(value).__name__}")
        for index, element in enumerate(value):
            try:
                item(element)
            except Invalid as err:
                raise Invalid(f"[{index}]: {err}") from None
    return check


def v_mapping(key: Validator, val: Validator) -> Validator:  # {key: val}
    def check(value: Any) -> None:
        v_dict(value)
        for k, v in value.items():
            key(k)
            try:
                val(v)
            except Invalid as err:
                raise Invalid(f"{k}: {err}") from None
    return check


def v_any(*options: Validator) -> Validator:  # vol.Any
    def check(value: Any) -> None:
        errors = []
        for option in options:
            try:
                option(value)
            except Invalid as err:
                errors.append(str(err))
            else:
                return
        raise Invalid(" / ".join(errors))
    return check


def v_maybe(inner: Validator) -> Validator:  # vol.Maybe
    def check(value: Any) -> None:
        if value is not None:
            inner(value)
    return check


def v_unique_machines(value: Any) -> None:  # vol.All([Match(RE_MACHINE)], vol.Unique())
    v_list(v_match(RE_MACHINE))(value)
    if len(set(value)) != len(value):
        raise Invalid("machine entries must be unique")


def v_map_entry(value: Any) -> None:  # str per RE_VOLUME (migrated) or {type, read_only, path}
    if isinstance(value, str):
        v_match(RE_VOLUME)(value)
        return
    v_dict(value)
    if "type" not in value:
        raise Invalid("map entry needs a type")
    v_in(MAPPING_TYPE)(value["type"])
    if "read_only" in value:
        v_type(bool)(value["read_only"])
    if "path" in value:
        v_str(value["path"])


def v_schema_element(value: Any, *, in_list: bool = False) -> None:  # SCHEMA_ELEMENT
    if isinstance(value, str):
        if not RE_SCHEMA_ELEMENT.match(value):
            raise Invalid(f"unknown option type {value!r}")
    elif isinstance(value, list) and not in_list:  # a list may not directly hold a list
        for element in value:
            v_schema_element(element, in_list=True)
    elif isinstance(value, dict):
        for k, v in value.items():
            v_str(k)
            v_schema_element(v)
    else:
        raise Invalid(f"invalid schema element {value!r}")


def v_schema(value: Any) -> None:  # vol.Any(vol.Schema({str: SCHEMA_ELEMENT}), False)
    if value is False:
        return
    v_mapping(v_str, v_schema_element)(value)


_v_int = v_int_range(-(2**63), 2**63)
v_ulimits = v_any(  # {name: limit} or {name: limit | {soft: int, hard: int}}
    v_mapping(v_str, _v_int),
    v_mapping(v_str, v_any(_v_int, v_mapping(v_in(("soft", "hard")), _v_int))),
)

BOOLEAN_KEYS = (
    "init", "advanced", "ingress", "ingress_stream", "panel_admin", "host_network", "host_pid",
    "host_ipc", "host_uts", "host_dbus", "udev", "tmpfs", "apparmor", "full_access", "audio",
    "video", "gpio", "usb", "uart", "devicetree", "kernel_modules", "realtime", "hassio_api",
    "homeassistant_api", "stdin", "legacy", "docker_api", "auth_api", "journald",
)
REQUIRED_KEYS: dict[str, Validator] = {
    "name": v_str,
    "version": v_version_tag,
    "slug": v_match(RE_SLUG_FIELD),
    "description": v_str,
    "arch": v_list(v_in(ARCH_ALL_COMPAT)),
}
OPTIONAL_KEYS: dict[str, Validator] = {
    **dict.fromkeys(BOOLEAN_KEYS, v_boolean),
    "machine": v_unique_machines,
    "url": v_url,
    "startup": v_in(STARTUP),
    "boot": v_in(BOOT_CONFIG),
    "stage": v_in(STAGE),
    "ports": v_mapping(v_match(RE_DOCKER_PORT), v_maybe(v_network_port)),
    "ports_description": v_mapping(v_match(RE_DOCKER_PORT), v_str),
    "watchdog": v_match(RE_WATCHDOG),
    "watchdog_restart_policy": v_str,  # newer tree; its enum values are not transcribed
    "webui": v_match(RE_WEBUI),
    "ingress_port": v_any(v_network_port, v_in((0,))),
    "ingress_entry": v_str,
    "panel_icon": v_str,
    "panel_title": v_str,
    "homeassistant": v_version_tag,
    "devices": v_list(v_str),
    "map": v_list(v_map_entry),
    "environment": v_mapping(v_match(re.compile(r"\w*")), v_str),
    "privileged": v_list(v_str),  # Capabilities enum (docker/const.py) not transcribed
    "hassio_role": v_in(ROLE_ALL),
    "services": v_list(v_match(RE_SERVICE)),
    "discovery": v_list(v_str),
    "backup_exclude": v_list(v_str),
    "backup_pre": v_str,
    "backup_post": v_str,
    "backup": v_in(BACKUP_MODE),
    "options": v_dict,
    "schema": v_schema,
    "image": v_match(RE_DOCKER_IMAGE),
    "ulimits": v_ulimits,
    "timeout": v_int_range(10, 300),
    "breaking_versions": v_list(v_version_tag),
}
# Forms _migrate_app_config rewrites or _warn_app_config warns about: ours rejects them.
DEPRECATED_KEYS = ("advanced", "codenotary", "auto_uart", "snapshot", "snapshot_exclude",
                   "snapshot_pre", "snapshot_post")


def validate_app_config(config: Any) -> list[str]:
    """All problems the transcribed _SCHEMA_APP_CONFIG (plus ours) finds; [] if none."""
    if not isinstance(config, dict):
        return ["App config must be a dictionary!"]
    if not config.get("name"):
        return ["Invalid app config! (no name)"]
    errors = [f"missing required key {key!r}" for key in REQUIRED_KEYS if key not in config]
    for key, value in config.items():
        if key == "startup" and value in STARTUP_MIGRATED:
            continue  # _migrate_app_config rewrites it first (reported below as ours)
        check = REQUIRED_KEYS.get(key) or OPTIONAL_KEYS.get(key)
        if check is None:
            errors.append(f"ours: unknown key {key!r} (the Supervisor would silently drop it)")
            continue
        try:
            check(value)
        except Invalid as err:
            errors.append(f"{key}: {err}")
    for key in DEPRECATED_KEYS:
        if key in config:
            errors.append(f"ours: deprecated key {key!r}")
    if config.get("startup") in STARTUP_MIGRATED:
        errors.append(f"ours: deprecated startup value {config['startup']!r}")
    if isinstance(config.get("arch"), list):
        errors.extend(f"ours: deprecated arch {a!r}" for a in config["arch"]
                      if a in ARCH_DEPRECATED)
    errors.extend(validate_options(config.get("options", {}), config.get("schema", {})))
    return errors


def _validate_option(typ: Any, value: Any, key: str) -> None:
    """AppOptions._validate_element / _single_validate for one value."""
    if isinstance(typ, list):
        if not isinstance(value, list):
            raise Invalid(f"Invalid list for option '{key}'")
        for element in value:
            _validate_option(typ[0], element, key)
        return
    if isinstance(typ, dict):
        if not isinstance(value, dict):
            raise Invalid(f"Invalid dict for option '{key}'")
        for c_key, c_value in value.items():
            if c_key not in typ:
                raise Invalid(f"ours: unknown option '{c_key}' in '{key}'")
            _validate_option(typ[c_key], c_value, c_key)
        _check_missing(typ, value, key)
        return
    if value is None:
        raise Invalid(f"Missing required option '{key}'")
    match = RE_SCHEMA_ELEMENT.match(typ)
    if not match:
        raise Invalid(f"Unknown type '{typ}'")
    if typ.startswith(("str", "password")):
        v_str(value)
    elif typ.startswith("int"):
        v_int_range(int(float(match["i_min"] or -(2**63))), int(float(match["i_max"] or 2**63)))(
            value)
    elif typ.startswith("float"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise Invalid(f"{value!r} is not a float") from None
        if (match["f_min"] and number < float(match["f_min"])) or (
                match["f_max"] and number > float(match["f_max"])):
            raise Invalid(f"{number} out of range")
    elif typ.startswith("bool"):
        v_boolean(value)
    elif typ.startswith("email"):
        if not isinstance(value, str) or "@" not in value:
            raise Invalid(f"{value!r} is not an e-mail address")
    elif typ.startswith("url"):
        v_url(value)
    elif typ.startswith("port"):
        v_network_port(value)
    elif typ.startswith("match"):
        if not re.match(match["match"], str(value)):
            raise Invalid(f"{value!r} does not match {match['match']}")
    elif typ.startswith("list"):
        if str(value) not in match["list"].split("|"):
            raise Invalid(f"{value!r} is not one of {match['list']}")
    else:  # device(...) needs the host's hardware
        raise Invalid(f"ours: option type {typ!r} cannot be checked here")


def _check_missing(schema: dict[str, Any], present: dict[str, Any], root: str) -> None:
    """AppOptions._check_missing_options: absent keys must be optional (`?`)."""
    for key in set(schema) - set(present):
        typ = schema[key]
        if isinstance(typ, list) and typ:
            typ = typ[0]
        if isinstance(typ, str) and typ.endswith("?"):
            continue
        raise Invalid(f"Missing option '{key}' in {root}")


def validate_options(options: Any, schema: Any) -> list[str]:
    """The default options must pass AppOptions with the app's own schema."""
    if schema is False:
        return []
    if not isinstance(options, dict) or not isinstance(schema, dict):
        return ["options and schema must be mappings"]
    errors = [f"ours: option {key!r} is not in the schema" for key in options
              if key not in schema]
    for key, value in options.items():
        if key in schema:
            try:
                _validate_option(schema[key], value, key)
            except Invalid as err:
                errors.append(f"options.{key}: {err}")
    try:
        _check_missing(schema, options, "root")
    except Invalid as err:
        errors.append(str(err))
    return errors


def validate_translations(doc: Any) -> list[str]:
    """SCHEMA_APP_TRANSLATIONS / SCHEMA_TRANSLATION_CONFIGURATION."""
    def entry(value: Any) -> None:
        v_dict(value)
        if "name" not in value:
            raise Invalid("needs a name")
        v_str(value["name"])
        v_maybe(v_str)(value.get("description"))
        if "fields" in value:
            v_mapping(v_str, entry)(value["fields"])

    try:
        v_dict(doc)
        if "configuration" in doc:
            v_mapping(v_str, entry)(doc["configuration"])
        if "network" in doc:
            v_mapping(v_str, v_str)(doc["network"])
    except Invalid as err:
        return [str(err)]
    return []


# --- (a) config.yaml passes the transcribed rules --------------------------------------------


def test_config_passes_transcribed_supervisor_rules(config: dict[str, Any]) -> None:
    assert validate_app_config(config) == []


def test_config_says_what_this_app_needs(config: dict[str, Any]) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'(?m)^version = "([^"]+)"', pyproject)
    assert version, "pyproject.toml has no version"
    assert config["version"] == version[1], "config.yaml and pyproject.toml versions differ"
    assert isinstance(config["version"], str), "quote the version: YAML would make 1.10 a float"
    assert re.fullmatch(r"[a-z0-9_]+", config["slug"]), "ours: slug lowercase [a-z0-9_]"
    expected = {
        "slug": "crash_reporter", "name": "Crash Reporter", "arch": ["aarch64", "amd64"],
        "init": False, "hassio_api": True, "hassio_role": "manager", "host_dbus": True,
        "startup": "services", "stage": "experimental", "ingress": True,
    }
    assert {key: config.get(key) for key in expected} == expected
    for key in BOOLEAN_KEYS:
        if key in config:
            assert isinstance(config[key], bool), f"ours: {key} must be a YAML boolean"
    assert not (ROOT / "build.yaml").exists(), "build.yaml is deprecated: use the Dockerfile"


def _with_option(**changes: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda config: {**config["options"], **changes}


def _with_schema(**changes: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda config: {**config["schema"], **changes}


# case -> (key, new value or a function of the config, text the error must contain)
BAD_CONFIGS: dict[str, tuple[str, Any, str]] = {
    "slug with space": ("slug", "crash reporter", "slug: 'crash reporter' does not match"),
    "unknown arch": ("arch", ["x86_64"], "'x86_64' is not one of"),
    "deprecated arch": ("arch", ["armv7", "amd64"], "ours: deprecated arch 'armv7'"),
    "startup enum": ("startup", "later", "startup: 'later' is not one of"),
    "migrated startup": ("startup", "before", "ours: deprecated startup value"),
    "boot enum": ("boot", "sometimes", "boot: 'sometimes' is not one of"),
    "role enum": ("hassio_role", "root", "hassio_role: 'root' is not one of"),
    "boolean": ("host_dbus", "maybe", "host_dbus: expected a boolean"),
    "timeout range": ("timeout", 5, "timeout: 5 is not within"),
    "unknown key": ("hassio_roles", "manager", "ours: unknown key 'hassio_roles'"),
    "backup mode": ("backup", "warm", "backup: 'warm' is not one of"),
    "url": ("url", "not a url", "is not a URL"),
    "map": ("map", ["everything:rw"], "map: [0]: 'everything:rw' does not match"),
    "schema type": ("schema", _with_schema(dsn="string?"), "unknown option type 'string?'"),
    "nested list": ("schema", _with_schema(watch_units=[["str"]]), "invalid schema element"),
    "option not in schema": ("options", _with_option(colour="red"), "option 'colour' is not"),
    "option of wrong type": ("options", _with_option(log_level="loud"), "'loud' is not one of"),
    "option of wrong kind": ("options", _with_option(report_host_crashes="perhaps"),
                             "expected a boolean"),
    "required option missing": ("options", {"log_level": "info", "watch_units": [],
                                            "review_reports": False},
                                "Missing option 'report_host_crashes'"),
    "list element": ("options", _with_option(watch_units=["not a unit"]),
                     "'not a unit' does not match"),
    "list option not a list": ("options", _with_option(watch_units="x.service"),
                               "Invalid list for option 'watch_units'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_transcribed_rules_reject(config: dict[str, Any], case: str) -> None:
    key, value, expected = BAD_CONFIGS[case]
    errors = validate_app_config({**config, key: value(config) if callable(value) else value})
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize("key", sorted(REQUIRED_KEYS))
def test_transcribed_rules_require(config: dict[str, Any], key: str) -> None:
    broken = {k: v for k, v in config.items() if k != key}
    assert validate_app_config(broken) != []


def _schema_regex(element: str) -> re.Pattern[str]:
    match = RE_SCHEMA_ELEMENT.match(element)
    assert match and match["match"], f"{element!r} is not a match(...) element"
    return re.compile(match["match"])


DSN_SAMPLES = (
    "https://abc123@o1.ingest.sentry.io/42",
    "http://key@127.0.0.1:9000/1",
    "https://key@sentry.example.org/sub/path/7",
    "https://sentry.example.org/42",
    "https://key@sentry.example.org/",
    "https://key@sentry.example.org/abc",
    "ftp://key@host/1",
    "https://key @host/1",
    "https://key@host:99999/1",
    "https://key@host:65535/1",
)


@pytest.mark.parametrize("dsn", DSN_SAMPLES)
def test_dsn_schema_agrees_with_the_daemon(config: dict[str, Any], tmp_path: Path,
                                           dsn: str) -> None:
    """What the Supervisor's form accepts, the daemon accepts, and the other way round."""
    accepted_by_schema = bool(_schema_regex(config["schema"]["dsn"]).match(dsn))
    try:
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path), "CRASH_REPORTER_DSN": dsn})
    except ConfigError:
        accepted_by_daemon = False
    else:
        accepted_by_daemon = True
    assert accepted_by_schema == accepted_by_daemon


UNIT_SAMPLES = (
    "zigbee.service", "foo@1.service", "docker.socket", "fstrim.timer", "mnt-data.mount",
    "session-1.scope", r"systemd-fsck@dev-disk-by\x2dlabel-hassos\x2ddata.service",
    "zigbee", "zigbee.target", "../x.service", "a b.service", "x.service\n",
    "a@.service", "a@b@c.service", "a" * 247 + ".service", "a" * 248 + ".service",
)


@pytest.mark.parametrize("unit", UNIT_SAMPLES)
def test_unit_schema_agrees_with_the_daemon(config: dict[str, Any], tmp_path: Path,
                                            unit: str) -> None:
    accepted_by_schema = bool(_schema_regex(config["schema"]["watch_units"][0]).match(unit))
    (tmp_path / "options.json").write_text(json.dumps({"watch_units": [unit]}))
    try:
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})
    except ConfigError:
        accepted_by_daemon = False
    else:
        accepted_by_daemon = True
    assert accepted_by_schema == accepted_by_daemon


def test_default_options_load_as_the_daemons_defaults(config: dict[str, Any],
                                                      tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text(json.dumps(config["options"]))
    loaded = load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})
    (tmp_path / "options.json").unlink()
    built_in = load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})
    assert loaded == built_in
    level = RE_SCHEMA_ELEMENT.match(config["schema"]["log_level"])
    assert level and tuple(level["list"].split("|")) == LOG_LEVELS


def test_backup_excludes_transient_state_only(config: dict[str, Any]) -> None:
    """securetar's filter: PurePath(path).match(pattern) on each path under the data dir."""
    data = PurePosixPath("/data/addons/data/local_crash_reporter")

    def excluded(relative: str) -> bool:
        parts = PurePosixPath(relative).parts
        # a directory that matches is skipped with everything below it
        return any(PurePosixPath(data, *parts[: n + 1]).match(pattern)
                   for n in range(len(parts)) for pattern in config["backup_exclude"])

    for path in ("outbox", "outbox/ab12.json", "state", "state/cursors.json",
                 "state/flood.json"):
        assert excluded(path), path
    assert not excluded("options.json")


# --- (b) options, schema, translations and DOCS.md cover the same keys -----------------------


def _docs_options() -> list[str]:
    text = (ROOT / "DOCS.md").read_text(encoding="utf-8")
    return re.findall(r"(?m)^### Option: `([^`]+)`\s*$", text)


def test_translations_pass_transcribed_rules() -> None:
    assert validate_translations(_yaml("translations/en.yaml")) == []


def test_every_option_is_in_schema_translations_and_docs(config: dict[str, Any]) -> None:
    schema = set(config["schema"])
    translations = _yaml("translations/en.yaml")["configuration"]
    docs = _docs_options()
    assert len(docs) == len(set(docs)), "an option is documented twice in DOCS.md"
    assert set(config["options"]) <= schema
    assert set(translations) == schema, "translations/en.yaml and schema differ"
    assert set(docs) == schema, "DOCS.md '### Option: `key`' sections and schema differ"
    for key, entry in translations.items():
        assert entry.get("name") and entry.get("description"), f"{key}: name and description"
    for key in schema - set(config["options"]):
        element = config["schema"][key]
        element = element[0] if isinstance(element, list) else element
        assert element.endswith("?"), f"{key} has no default, so it must be optional"


def test_docs_cover_what_users_are_promised() -> None:
    text = (ROOT / "DOCS.md").read_text(encoding="utf-8")
    for phrase in ("Settings** > **System** > **Analytics", "Diagnostics", "Sentry",
                   "never sent", "crash-reporter status", "event id", "machine id",
                   "Crash loops", "Turning it off", "backup"):
        assert phrase in text, f"DOCS.md does not mention {phrase!r}"


# --- (c) every pinned runtime dependency has musl wheels for both arches ---------------------

MUSL_PLATFORMS = {"amd64": "musllinux_1_2_x86_64", "aarch64": "musllinux_1_2_aarch64"}


def _pinned_dependencies() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"(?ms)^dependencies = \[(.*?)^\]", text)
    assert block, "pyproject.toml has no [project] dependencies"
    pins = re.findall(r'"([^"]+)"', block[1])
    for pin in pins:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+-]+", pin), f"not pinned: {pin}"
    return pins


def _image_python() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"(?m)^ARG BUILD_FROM=(\S+)$", dockerfile)
    assert base, "Dockerfile must name its base: ARG BUILD_FROM=<image>"
    tag = re.fullmatch(r"ghcr\.io/home-assistant/base-python:(3\.\d+)-alpine(3\.\d+)", base[1])
    assert tag, f"base must be ghcr.io/home-assistant/base-python:<py>-alpine<ver>: {base[1]}"
    return tag[1]


def _pip_download(dest: Path, platform: str, python: str, pins: list[str],
                  *, deps: bool) -> subprocess.CompletedProcess[str]:
    abi = "cp" + python.replace(".", "")
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
               "--only-binary=:all:", "--platform", platform, "--python-version", python,
               "--implementation", "cp", "--abi", abi, "--dest", str(dest), *pins]
    if not deps:
        command.insert(5, "--no-deps")
    return subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S,
                          check=False)


@pytest.fixture(scope="session")
def musl_tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Resolve the whole dependency tree once per arch, as the image's pip would."""
    python = _image_python()
    pins = _pinned_dependencies()
    out = {}
    for arch, platform in MUSL_PLATFORMS.items():
        dest = tmp_path_factory.mktemp(f"wheels-{arch}")
        result = _pip_download(dest, platform, python, pins, deps=True)
        out[arch] = (dest, "" if result.returncode == 0 else result.stderr[-3000:])
    return out


def _wheel_name(pin: str) -> tuple[str, str]:
    name, version = pin.split("==")
    return re.sub(r"[-_.]+", "_", name).lower(), version


@pytest.mark.parametrize("arch", sorted(MUSL_PLATFORMS))
@pytest.mark.parametrize("pin", _pinned_dependencies())
def test_pinned_dependency_has_musl_wheel(musl_tree: dict[str, tuple[Path, str]], pin: str,
                                          arch: str, tmp_path: Path) -> None:
    dest, tree_error = musl_tree[arch]
    platform = MUSL_PLATFORMS[arch]
    python = _image_python()
    if tree_error:
        alone = _pip_download(tmp_path, platform, python, [pin], deps=False)
        pytest.fail(
            f"No {platform} wheel for Python {python} (cp or py3-none-any) "
            + (f"for {pin} itself:\n{alone.stderr[-2000:]}" if alone.returncode else
               f"for a dependency of the pins (the pin {pin} alone has one):\n{tree_error}")
            + "\n(If this is a network error, PyPI was not reachable.)"
        )
    name, version = _wheel_name(pin)
    wheels = [w.name for w in dest.glob("*.whl") if w.name.lower().startswith(
        f"{name}-{version}-")]
    assert len(wheels) == 1, f"{pin}: expected one wheel in {sorted(os.listdir(dest))}"
    tags = wheels[0][:-4].split("-")[-3:]
    abi_tag = "cp" + python.replace(".", "")
    assert tags[2] in (platform, "any") and tags[1] in (abi_tag, "abi3", "none"), wheels[0]


def test_whole_dependency_tree_has_musl_wheels(
        musl_tree: dict[str, tuple[Path, str]]) -> None:
    for arch, (dest, tree_error) in musl_tree.items():
        assert not tree_error, f"{arch}: {tree_error}"
        for wheel in dest.glob("*.whl"):
            platform_tag = wheel.name[:-4].split("-")[-1]
            assert platform_tag in (MUSL_PLATFORMS[arch], "any"), wheel.name


# --- (d) the package installs from exactly what the Dockerfile copies ------------------------


def _dockerfile_copies() -> list[str]:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    sources: list[str] = []
    for line in re.findall(r"(?m)^COPY\s+(.+)$", dockerfile):
        parts = line.split()
        sources.extend(parts[:-1])
    return sources


def test_dockerfile_is_explicit_and_wheel_only() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"(?m)^FROM \$\{BUILD_FROM\}$", dockerfile)
    assert _image_python() in {"3.12", "3.13", "3.14"}
    assert "pip3 install --no-cache-dir --only-binary=:all: ." in dockerfile
    assert re.search(r"(?m)^COPY rootfs /$", dockerfile)
    assert re.search(r"(?m)^\s+org\.opencontainers\.image\.version=\"\$\{BUILD_VERSION\}\"",
                     dockerfile)
    assert re.search(r"(?m)^\s+io\.hass\.arch=\"\$\{BUILD_ARCH\}\"", dockerfile)
    ignore = ROOT / ".dockerignore"
    kept = set(re.findall(r"(?m)^!(\S+)$", ignore.read_text(encoding="utf-8"))) if (
        ignore.exists()) else None
    for source in _dockerfile_copies():
        assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
        assert kept is None or source in kept, f".dockerignore leaves out {source}"


def test_package_installs_from_the_dockerfiles_files_in_a_clean_venv(tmp_path: Path) -> None:
    """Same pip command as the image, on the files it copies, in an empty venv.

    The venv runs this machine's Python (glibc); the musl wheels are test (c)'s job.
    """
    src = tmp_path / "src"
    src.mkdir()
    for source in _dockerfile_copies():
        if source == "rootfs":
            continue
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, src / source,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, src / source)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir",
         "--only-binary=:all:", str(src)],
        capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False, cwd=tmp_path,
        env=env)
    assert install.returncode == 0, f"pip install failed:\n{install.stderr[-3000:]}"
    imported = subprocess.run(
        [str(python), "-c", "import crash_reporter; print(crash_reporter.__file__)"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    assert Path(imported.stdout.strip()).is_relative_to(env_dir), imported.stdout
    script = env_dir / "bin" / "crash-reporter"
    assert script.is_file(), "console script crash-reporter was not installed"
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                             timeout=60, check=False, cwd=tmp_path, env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.split() == ["crash-reporter", _yaml("config.yaml")["version"]]
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                            timeout=60, check=False, cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "run" in helped.stdout, helped.stderr


# --- (e) rootfs and AppArmor -----------------------------------------------------------------


def _git_mode(path: Path) -> str | None:
    """The file's mode in git's index, or None when it is not tracked (or no git)."""
    if shutil.which("git") is None:
        return None
    result = subprocess.run(["git", "ls-files", "-s", "--", str(path.relative_to(ROOT))],
                            capture_output=True, text=True, cwd=ROOT, check=False, timeout=30)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return result.stdout.split()[0]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_s6_script_is_executable_bash(script: Path) -> None:
    assert script.is_file()
    assert os.access(script, os.X_OK), f"{script} is not executable: chmod +x"
    # Files not committed yet have no index mode; once committed, git must keep the bit
    # (a checkout sets the file mode from the index, so CI's clone also checks it above).
    mode = _git_mode(script)
    assert mode in (None, "100755"), f"{script} is {mode} in git: git update-index --chmod=+x"
    assert script.read_text(encoding="utf-8").startswith("#!/command/with-contenv bashio\n")
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                            check=False, timeout=30)
    assert syntax.returncode == 0, syntax.stderr


def _code_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_s6_service_layout() -> None:
    assert (SERVICE_DIR / "type").read_text(encoding="utf-8").strip() == "longrun"
    for marker in (SERVICE_DIR / "dependencies.d/base",
                   S6_DIR / "user/contents.d/crash_reporter"):
        assert marker.is_file() and marker.stat().st_size == 0, marker
    assert _code_lines(SERVICE_DIR / "run")[-1] == "exec crash-reporter run"
    finish = (SERVICE_DIR / "finish").read_text(encoding="utf-8")
    assert "/run/s6-linux-init-container-results/exitcode" in finish
    assert _code_lines(SERVICE_DIR / "finish")[-1] == "exec /run/s6/basedir/bin/halt"


def _top_level_profiles(text: str) -> list[str]:
    depth = 0
    names = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0] if not raw.lstrip().startswith("#include") else ""
        if depth == 0 and (match := re.match(r"\s*profile\s+([^\s{]+)", line)):
            names.append(match[1])
        depth += line.count("{") - line.count("}")
        assert depth >= 0, "unbalanced braces in apparmor.txt"
    assert depth == 0, "unbalanced braces in apparmor.txt"
    return names


def test_apparmor_has_one_top_level_profile(config: dict[str, Any]) -> None:
    text = (ROOT / "apparmor.txt").read_text(encoding="utf-8")
    assert _top_level_profiles(text) == [config["slug"]]
    assert config.get("apparmor", True) is True
    for needed in ("/init ix", "/command/** ix", "/data/** rwk", "/run/dbus/system_bus_socket rw",
                   "network inet stream", "deny network raw"):
        assert needed in text, f"apparmor.txt lacks {needed!r}"


@pytest.fixture
def apparmor_parser() -> Iterator[str]:
    parser = shutil.which("apparmor_parser")
    if parser is None:
        pytest.skip("apparmor_parser not installed (Debian package apparmor)")
    yield parser


def test_apparmor_profile_compiles(apparmor_parser: str) -> None:
    result = subprocess.run([apparmor_parser, "--skip-kernel-load", "--skip-cache",
                             str(ROOT / "apparmor.txt")],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
