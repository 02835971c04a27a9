"""Names, paths, D-Bus identifiers and limits shared by every stage."""

from __future__ import annotations

from typing import Final

APP_NAME: Final = "crash_reporter"
REPORTER_TAG: Final = "crash_reporter"

# --- Environment and paths --------------------------------------------------------------
ENV_SUPERVISOR_URL: Final = "SUPERVISOR_URL"
ENV_SUPERVISOR_TOKEN: Final = "SUPERVISOR_TOKEN"
ENV_DBUS_ADDRESS: Final = "CRASH_REPORTER_DBUS_ADDRESS"
ENV_DATA_DIR: Final = "CRASH_REPORTER_DATA_DIR"
ENV_DSN: Final = "CRASH_REPORTER_DSN"  # overrides everything (runs outside a container)
ENV_DEFAULT_DSN: Final = "CRASH_REPORTER_DEFAULT_DSN"  # baked into the image; the option wins
ENV_PANEL_PEER: Final = "CRASH_REPORTER_PANEL_PEER"  # tests only: the ingress proxy's address
ENV_PANEL_PORT: Final = "CRASH_REPORTER_PANEL_PORT"  # tests only: where the panel listens
INGRESS_PROXY_ADDRESS: Final = "172.30.32.2"  # the Supervisor's ingress proxy
INGRESS_PORT: Final = 8099  # config.yaml's ingress_port (the Supervisor's default)
DEFAULT_SUPERVISOR_URL: Final = "http://supervisor"
DEFAULT_DATA_DIR: Final = "/data"
OPTIONS_FILE: Final = "options.json"
STATE_DIR: Final = "state"  # below the data dir; excluded from backups
OUTBOX_DIR: Final = "outbox"  # below the data dir; excluded from backups

# --- Components and the units that run them ---------------------------------------------
COMPONENT_SUPERVISOR: Final = "supervisor"
COMPONENT_OS_AGENT: Final = "os-agent"
COMPONENT_HOST: Final = "host"

UNIT_SUPERVISOR: Final = "haos-supervisor.service"
UNIT_SUPERVISOR_LEGACY: Final = "hassos-supervisor.service"
UNIT_OS_AGENT: Final = "haos-agent.service"
UNIT_COMPONENTS: Final[dict[str, str]] = {
    UNIT_SUPERVISOR: COMPONENT_SUPERVISOR,
    UNIT_SUPERVISOR_LEGACY: COMPONENT_SUPERVISOR,
    UNIT_OS_AGENT: COMPONENT_OS_AGENT,
}
# Host services of HA OS watched only with the option report_host_crashes.
HOST_UNITS: Final = (
    "NetworkManager.service",
    "udisks2.service",
    "bluetooth.service",
    "rauc.service",
    "systemd-journald.service",
    "docker.service",
    "containerd.service",
    "systemd-timesyncd.service",
    "systemd-resolved.service",
    "dbus.service",
    "dbus-broker.service",
)

# --- D-Bus ------------------------------------------------------------------------------
DBUS_NAME_DBUS: Final = "org.freedesktop.DBus"
DBUS_OBJECT_DBUS: Final = "/org/freedesktop/DBus"
DBUS_IFACE_DBUS: Final = "org.freedesktop.DBus"
DBUS_IFACE_PROPERTIES: Final = "org.freedesktop.DBus.Properties"
DBUS_SIGNAL_NAME_OWNER_CHANGED: Final = "NameOwnerChanged"
DBUS_SIGNAL_PROPERTIES_CHANGED: Final = "PropertiesChanged"

DBUS_NAME_SYSTEMD: Final = "org.freedesktop.systemd1"
DBUS_OBJECT_SYSTEMD: Final = "/org/freedesktop/systemd1"
DBUS_OBJECT_SYSTEMD_UNITS: Final = "/org/freedesktop/systemd1/unit"
DBUS_IFACE_SYSTEMD_MANAGER: Final = "org.freedesktop.systemd1.Manager"
DBUS_IFACE_SYSTEMD_UNIT: Final = "org.freedesktop.systemd1.Unit"
DBUS_IFACE_SYSTEMD_SERVICE: Final = "org.freedesktop.systemd1.Service"
DBUS_SIGNAL_JOB_REMOVED: Final = "JobRemoved"
DBUS_SIGNAL_UNIT_NEW: Final = "UnitNew"

DBUS_NAME_OS_AGENT: Final = "io.hass.os"
DBUS_OBJECT_OS_AGENT: Final = "/io/hass/os"
DBUS_IFACE_OS_AGENT: Final = "io.hass.os"
DBUS_IFACE_OS_AGENT_BOARDS: Final = "io.hass.os.Boards"
DBUS_OBJECT_OS_AGENT_BOARDS: Final = "/io/hass/os/Boards"

DBUS_CALL_TIMEOUT_S: Final = 10.0
DBUS_MAX_CALLS_IN_FLIGHT: Final = 32
DBUS_RECONNECT_MIN_S: Final = 0.5
DBUS_RECONNECT_MAX_S: Final = 30.0

# --- Supervisor API ---------------------------------------------------------------------
API_TIMEOUT_S: Final = 10.0
API_MAX_BODY_BYTES: Final = 1 << 20  # an info answer is a few KB; a bigger one is not read
CONSENT_REFRESH_S: Final = 300.0
CONSENT_RETRY_S: Final = 30.0  # while UNKNOWN: held reports wait for an answer

# --- systemd unit results and signals ---------------------------------------------------
CLD_EXITED: Final = 1
CLD_KILLED: Final = 2
CLD_DUMPED: Final = 3
# Results of a Service that are crashes for the Supervisor's and OS-Agent's units.
CRASH_RESULTS: Final = frozenset(
    {"exit-code", "signal", "core-dump", "watchdog", "oom-kill", "timeout", "start-limit-hit"}
)
# For other host units a clean non-zero exit is not a crash (a failed oneshot).
HOST_CRASH_RESULTS: Final = frozenset({"signal", "core-dump", "watchdog", "oom-kill"})

# --- Crash loops and flood control -------------------------------------------------------
LOOP_WINDOW_S: Final = 600.0  # crashes of one signature this close together are one loop
LOOP_SUMMARY_INTERVAL_S: Final = 6 * 3600.0  # at most this often a summary of a running loop

# --- Sentry -----------------------------------------------------------------------------
SENTRY_EVENT_MAX_BYTES: Final = 1_000_000
EVENT_TARGET_MAX_BYTES: Final = 200_000  # what we aim for, with a wide margin
SEND_TIMEOUT_S: Final = 30.0
