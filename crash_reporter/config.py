"""options.json + environment -> a frozen Config."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crash_reporter.const import (
    DEFAULT_DATA_DIR,
    DEFAULT_SUPERVISOR_URL,
    ENV_DATA_DIR,
    ENV_DBUS_ADDRESS,
    ENV_DEFAULT_DSN,
    ENV_DSN,
    ENV_PANEL_PEER,
    ENV_PANEL_PORT,
    ENV_SUPERVISOR_TOKEN,
    ENV_SUPERVISOR_URL,
    INGRESS_PORT,
    INGRESS_PROXY_ADDRESS,
    OPTIONS_FILE,
    OUTBOX_DIR,
    STATE_DIR,
)
from crash_reporter.errors import ConfigError

_LOGGER = logging.getLogger(__name__)

LOG_LEVELS = ("debug", "info", "warning", "error")
OPTIONS_MAX_BYTES = 1 << 20  # options.json is a few hundred bytes; anything this big is wrong
UNIT_NAME_MAX = 255  # systemd's UNIT_NAME_MAX (256 with the NUL)
UNIT_TYPES = ("service", "socket", "timer", "scope", "mount")  # the types a crash shows in
# systemd's unit_name_is_valid(): a prefix of [A-Za-z0-9:_.\-], optionally "@<instance>"
# (the instance may also hold "@"; a bare template "name@.service" is not a unit), a type.
_UNIT_NAME = re.compile(
    r"[A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\@-]+)?\.(?:" + "|".join(UNIT_TYPES) + r")"
)
# A DSN's parts: scheme://<key>[:<secret>]@<host>[:<port>][/<path>]/<project id>
_DSN = re.compile(
    r"(?P<scheme>https?)://(?P<key>[A-Za-z0-9_.~-]+)(?::[A-Za-z0-9_.~-]*)?@"
    r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/[A-Za-z0-9_.~%-]+)*/[0-9]{1,20})/?"
)
_URL = re.compile(r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])"
                  r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[^\s@?#]*)?")
_DBUS_TRANSPORT = r"[a-z][a-z0-9-]*:[A-Za-z0-9_-]+=[^,;\s]*(?:,[A-Za-z0-9_-]+=[^,;\s]*)*"
_DBUS_ADDRESS = re.compile(rf"{_DBUS_TRANSPORT}(?:;{_DBUS_TRANSPORT})*")
MAX_REDACT_WORD = 200


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the daemon is configured with; built once at start-up."""

    data_dir: Path
    supervisor_url: str
    supervisor_token: str | None
    dbus_address: str | None  # None: the system bus
    dsn: str | None
    log_level: str = "info"
    report_host_crashes: bool = False
    watch_units: tuple[str, ...] = ()
    review_reports: bool = False
    dsn_source: str = "none"  # "environment", "option", "built-in" (the image's) or "none"
    panel_port: int = INGRESS_PORT
    panel_peer: str = INGRESS_PROXY_ADDRESS  # the only address the panel answers
    redact: tuple[str, ...] = ()  # the user's own words to remove from every report

    @property
    def state_dir(self) -> Path:
        """Where small state files live (consent, cursors, counters); excluded from backups."""
        return self.data_dir / STATE_DIR

    @property
    def outbox_dir(self) -> Path:
        """Where reports wait to be sent; excluded from backups."""
        return self.data_dir / OUTBOX_DIR

    def __repr__(self) -> str:
        """Show the configuration without the token or the DSN's key."""
        return (
            f"Config(data_dir={self.data_dir!s}, supervisor_url={self.supervisor_url}, "
            f"token={'set' if self.supervisor_token else 'missing'}, "
            f"dbus_address={self.dbus_address or 'system bus'}, dsn={redact_dsn(self.dsn)}, "
            f"log_level={self.log_level}, report_host_crashes={self.report_host_crashes}, "
            f"watch_units={list(self.watch_units)}, review_reports={self.review_reports}, "
            f"redact={len(self.redact)} word(s))"
        )


def redact_dsn(dsn: str | None) -> str:
    """Render a DSN without its key (and secret), for logs, whatever its shape.

    Only a well-formed DSN is shown, as `scheme://***@host[:port]/path`; anything else
    might hold the key anywhere, so nothing of it is shown.
    """
    if not dsn:
        return "none"
    m = _DSN.fullmatch(dsn.strip())
    if m is None:
        return "(malformed, not shown)"
    port = f":{m['port']}" if m["port"] else ""
    return f"{m['scheme']}://***@{m['host']}{port}{m['path']}"


def check_dsn(dsn: str, source: str = "option") -> None:
    """Raise ConfigError (saying what is wrong, never showing the DSN) unless it is usable.

    `source` names where it came from (environment, option, built-in).
    """
    m = _DSN.fullmatch(dsn)
    if m is None:
        raise ConfigError(f"dsn ({source}) is not a Sentry DSN (expected https://<key>@<host>"
                          "/<project>; the value is not shown, it may hold the key)")
    if m["port"] and not 0 < int(m["port"]) <= 65535:
        raise ConfigError(f"dsn ({source}): port {int(m['port'])} is out of range (1-65535)")
    from sentry_sdk.utils import BadDsn, Dsn  # noqa: PLC0415 - the parser that will use it

    try:
        Dsn(dsn)
    except (BadDsn, ValueError) as err:
        raise ConfigError(f"dsn ({source}) is not accepted by sentry-sdk (the value is not "
                          "shown, it may hold the key)") from err


def check_unit_name(unit: str) -> None:
    """Raise ConfigError unless `unit` is a systemd unit name (unit_name_is_valid's rules)."""
    if len(unit) > UNIT_NAME_MAX or _UNIT_NAME.fullmatch(unit) is None:
        raise ConfigError(
            f"watch_units: {unit[:300]!r} is not a systemd unit name (letters, digits and "
            f"':_.\\-', an optional '@instance', at most {UNIT_NAME_MAX} characters, ending "
            f"in .{', .'.join(UNIT_TYPES)})")


def _check_url(name: str, url: str) -> str:
    """`url` without a trailing slash; ConfigError unless it is http(s)://host[:port][/path]."""
    m = _URL.fullmatch(url)
    if m is None:
        raise ConfigError(f"{name} must be an http:// or https:// URL without credentials")
    if m["port"] and not 0 < int(m["port"]) <= 65535:
        raise ConfigError(f"{name}: port {int(m['port'])} is out of range (1-65535)")
    return url.rstrip("/")


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Build the Config from the environment and `<data dir>/options.json`.

    A missing options file or key means the default; an unreadable or invalid one raises
    ConfigError with a message that says what is wrong.
    """
    env = os.environ if env is None else env
    data_dir = Path(env.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)
    options = _read_options(data_dir / OPTIONS_FILE)

    dsn, dsn_source = None, "none"
    for source, value in (("environment", env.get(ENV_DSN)), ("option", _opt_str(options, "dsn")),
                          ("built-in", env.get(ENV_DEFAULT_DSN))):
        if value and value.strip():
            dsn, dsn_source = value.strip(), source
            break
    if dsn is not None:
        check_dsn(dsn, dsn_source)
    log_level = (_opt_str(options, "log_level") or "info").lower()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
    report_host = _opt_bool(options, "report_host_crashes")
    review = _opt_bool(options, "review_reports")
    units_raw = options.get("watch_units", [])
    if not isinstance(units_raw, list) or not all(isinstance(u, str) for u in units_raw):
        raise ConfigError("watch_units must be a list of unit names")
    for unit in units_raw:
        check_unit_name(unit)
    supervisor_url = _check_url(ENV_SUPERVISOR_URL,
                                env.get(ENV_SUPERVISOR_URL) or DEFAULT_SUPERVISOR_URL)
    dbus_address = env.get(ENV_DBUS_ADDRESS) or None
    if dbus_address is not None and _DBUS_ADDRESS.fullmatch(dbus_address) is None:
        raise ConfigError(f"{ENV_DBUS_ADDRESS} is not a D-Bus address (e.g. "
                          "unix:path=/run/dbus/system_bus_socket)")

    redact = options.get("redact", [])
    if not isinstance(redact, list) or not all(isinstance(w, str) for w in redact):
        raise ConfigError("redact must be a list of words")
    for word in redact:
        if not 1 <= len(word.strip()) <= MAX_REDACT_WORD:
            raise ConfigError(f"redact: each word must have 1 to {MAX_REDACT_WORD} characters")

    return Config(
        data_dir=data_dir,
        supervisor_url=supervisor_url,
        supervisor_token=env.get(ENV_SUPERVISOR_TOKEN) or None,
        dbus_address=dbus_address,
        dsn=dsn,
        log_level=log_level,
        report_host_crashes=report_host,
        watch_units=tuple(dict.fromkeys(units_raw)),
        review_reports=review,
        dsn_source=dsn_source,
        panel_port=_env_port(env),
        panel_peer=env.get(ENV_PANEL_PEER) or INGRESS_PROXY_ADDRESS,
        redact=tuple(dict.fromkeys(w.strip() for w in redact)),
    )


def _env_port(env: Mapping[str, str]) -> int:
    """The panel's port: the ingress port, or (tests) CRASH_REPORTER_PANEL_PORT (0: any)."""
    raw = env.get(ENV_PANEL_PORT)
    if not raw:
        return INGRESS_PORT
    if not re.fullmatch(r"[0-9]{1,5}", raw) or int(raw) > 65535:
        raise ConfigError(f"{ENV_PANEL_PORT} must be a port number, not {raw[:20]!r}")
    return int(raw)


def _read_options(path: Path) -> dict[str, Any]:
    """Read options.json; a missing file is an empty mapping."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(OPTIONS_MAX_BYTES + 1)
    except FileNotFoundError:
        _LOGGER.debug("No %s; using defaults", path)
        return {}
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or type(err).__name__}") from err
    if len(raw) > OPTIONS_MAX_BYTES:
        raise ConfigError(f"{path} is larger than {OPTIONS_MAX_BYTES} bytes")
    try:
        data = json.loads(raw)
    except ValueError as err:  # includes invalid UTF-8 (UnicodeDecodeError)
        # (the message names the position, never the text: it may hold the DSN)
        if isinstance(err, json.JSONDecodeError):
            where = f"line {err.lineno} column {err.colno}"
        else:
            where = "not UTF-8" if isinstance(err, UnicodeDecodeError) else "a number too long"
        raise ConfigError(f"{path} is not valid JSON ({where})") from None
    except RecursionError:
        raise ConfigError(f"{path} is nested too deeply to be options") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return data


def _opt_bool(options: Mapping[str, object], key: str) -> bool:
    """Read an optional boolean option (default false)."""
    value = options.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false")
    return value


def _opt_str(options: Mapping[str, object], key: str) -> str | None:
    """Read an optional string option."""
    value = options.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string")
    return value
