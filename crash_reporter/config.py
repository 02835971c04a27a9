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
_UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.@\\-]+\.(service|socket|timer|scope|mount)$")
_DSN = re.compile(r"^https?://[^/@\s]+@[^/\s]+(/[^\s]*)?/\d+$")


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
            f"watch_units={list(self.watch_units)}, review_reports={self.review_reports})"
        )


def redact_dsn(dsn: str | None) -> str:
    """Render a DSN without its public key, for logs."""
    if not dsn:
        return "none"
    scheme, _, rest = dsn.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


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
    if dsn is not None and not _DSN.match(dsn):
        raise ConfigError(f"dsn ({dsn_source}) is not a Sentry DSN (expected "
                          f"https://<key>@<host>/<project>): {redact_dsn(dsn)}")
    log_level = (_opt_str(options, "log_level") or "info").lower()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
    report_host = _opt_bool(options, "report_host_crashes")
    review = _opt_bool(options, "review_reports")
    units_raw = options.get("watch_units", [])
    if not isinstance(units_raw, list) or not all(isinstance(u, str) for u in units_raw):
        raise ConfigError("watch_units must be a list of unit names")
    for unit in units_raw:
        if not _UNIT_NAME.match(unit):
            raise ConfigError(f"watch_units: {unit!r} is not a systemd unit name")

    return Config(
        data_dir=data_dir,
        supervisor_url=(env.get(ENV_SUPERVISOR_URL) or DEFAULT_SUPERVISOR_URL).rstrip("/"),
        supervisor_token=env.get(ENV_SUPERVISOR_TOKEN) or None,
        dbus_address=env.get(ENV_DBUS_ADDRESS) or None,
        dsn=dsn,
        log_level=log_level,
        report_host_crashes=report_host,
        watch_units=tuple(dict.fromkeys(units_raw)),
        review_reports=review,
        dsn_source=dsn_source,
        panel_port=_env_port(env),
        panel_peer=env.get(ENV_PANEL_PEER) or INGRESS_PROXY_ADDRESS,
    )


def _env_port(env: Mapping[str, str]) -> int:
    """The panel's port: the ingress port, or (tests) CRASH_REPORTER_PANEL_PORT (0: any)."""
    raw = env.get(ENV_PANEL_PORT)
    if not raw:
        return INGRESS_PORT
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{ENV_PANEL_PORT} must be a port number, not {raw!r}")
    return int(raw)


def _read_options(path: Path) -> dict[str, Any]:
    """Read options.json; a missing file is an empty mapping."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        _LOGGER.debug("No %s; using defaults", path)
        return {}
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err}") from err
    try:
        data = json.loads(raw)
    except ValueError as err:  # includes invalid UTF-8 (UnicodeDecodeError)
        raise ConfigError(f"{path} is not valid JSON: {err}") from err
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
