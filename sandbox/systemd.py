"""A real systemd user manager on a private D-Bus, for tests and the demo.

    with SystemdUserManager() as sd:              # or: async with / await sd.astart()
        sd.run_unit("haos-agent.service", "kill -SEGV $$", start_limit_burst=3)
        bus = MessageBus(bus_address=sd.address)  # org.freedesktop.systemd1 is there
        sd.unit_property("haos-agent.service", "Result")  # -> "signal"

The machine need not have been booted with systemd (a container, a CI runner), but it needs
root. `systemd --user` refuses to start unless `/run/systemd/system/` exists, so ONLY the
manager runs in a private mount namespace (`unshare --mount`), where a tmpfs on
`/run/systemd` gets that directory; the host's `/run` is not touched. Everything else stays
outside: the manager's `dbus.socket` (Debian `dbus-user-session`) listens on
`<runtime_dir>/bus`, on the ordinary filesystem, and socket-activates a bus daemon on which
the manager registers `org.freedesktop.systemd1`. Clients (the app under test, busctl,
systemctl) connect to `address` from outside the namespace.

Isolation: each instance has its own runtime, config, data, state and cache directories
(`XDG_*`), and its own cgroup subtree (`crash-reporter-systemd-<id>` at the root of the
systemd and unified hierarchies). Without that, a user manager started in the root cgroup
takes the root cgroup as its own: it moves every process it finds there into `/init.scope`,
and two instances running at once would put equally named units into the same cgroup and
kill each other's processes. When `stop()` is done, nothing of the instance is left: the
manager (and with it the bus daemon and every unit) is terminated by PID, anything still in
its cgroup subtree is killed by PID, and the cgroups and directories are removed.

Transient units are created with `Manager.StartTransientUnit` through `busctl`, with
`ExecStartEx` and the `no-env-expand` flag, so the command runs exactly as given (systemd
would otherwise turn `$$` into `$`). Unit operations are blocking calls of the real tools
(tens of milliseconds); from asyncio, run them with `asyncio.to_thread`.

Starting takes about 0.15 s, stopping about 0.1 s. What a real systemd 252 does with such
units is summed up in tests/test_systemd_real.py. There are no core dumps (the kernel's
core_pattern is global and not ours to change) and no journald.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

SYSTEMD_BINARY = Path("/lib/systemd/systemd")
USER_DBUS_SOCKET_UNIT = Path("/usr/lib/systemd/user/dbus.socket")
SYSTEMD_NAME = "org.freedesktop.systemd1"
SYSTEMD_OBJECT = "/org/freedesktop/systemd1"
SYSTEMD_MANAGER_IFACE = "org.freedesktop.systemd1.Manager"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
TOOL_TIMEOUT_S = 15.0
UNIT_GONE_TIMEOUT_S = 5.0
POLL_S = 0.02
CGROUP_PREFIX = "crash-reporter-systemd-"
_TOOLS = ("unshare", "mount", "busctl", "systemctl")

# The only part that runs inside the namespace. $1..: cgroup.procs files to join first.
_NAMESPACE_SCRIPT = """
for procs in "$@"; do
    echo $$ > "$procs" || { echo "sandbox: cannot join the cgroup $procs" >&2; exit 97; }
done
mkdir -p /run/systemd || exit 99
mount -t tmpfs -o mode=755 tmpfs /run/systemd \
    || { echo "sandbox: cannot mount a tmpfs on /run/systemd" >&2; exit 98; }
mkdir -p /run/systemd/system || exit 99
exec "$SANDBOX_SYSTEMD" --user --log-level="$SANDBOX_SYSTEMD_LOG_LEVEL" --log-target=console
"""


class SystemdUnavailable(RuntimeError):
    """A real systemd user manager cannot run here; `reason` says why (tests skip or fail)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SystemdError(RuntimeError):
    """A call to the running manager failed (busctl/systemctl said why)."""


def available() -> str | None:
    """None if a real systemd user manager can be started here, else the reason why not."""
    if os.geteuid() != 0:
        return "not root (a private mount namespace for /run/systemd needs root)"
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing tools: {', '.join(missing)} (install util-linux and systemd)"
    if not os.access(SYSTEMD_BINARY, os.X_OK):
        return f"{SYSTEMD_BINARY} not found (install the Debian package systemd)"
    if not USER_DBUS_SOCKET_UNIT.exists():
        return f"{USER_DBUS_SOCKET_UNIT} not found (install dbus and dbus-user-session)"
    return None


def _systemd_hierarchies() -> list[Path]:
    """Mount points of the cgroup hierarchies a user manager uses (cgroup2, name=systemd)."""
    found: list[Path] = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo", encoding="utf-8") as info:
        for line in info:
            fields = line.split()
            if " - " not in line or len(fields) < 5:
                continue
            fstype, _source, options = line.split(" - ", 1)[1].split()[:3]
            mount_point = Path(fields[4])
            if fstype == "cgroup2" or (fstype == "cgroup" and "name=systemd" in options):
                found.append(mount_point)
    return found


def _cgroup_pids(root: Path) -> list[int]:
    """Every PID in the cgroup `root` and below."""
    pids: list[int] = []
    for procs in root.rglob("cgroup.procs"):
        with contextlib.suppress(OSError, ValueError):
            pids += [int(line) for line in procs.read_text().split()]
    return pids


def _remove_cgroup_tree(root: Path) -> bool:
    """Remove the cgroup `root` and its children, deepest first; True when it is gone."""
    if not root.exists():
        return True
    for child in sorted((p for p in root.rglob("*") if p.is_dir()),
                        key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            child.rmdir()
    with contextlib.suppress(OSError):
        root.rmdir()
    return not root.exists()


def _split_signature(signature: str) -> list[str]:
    """Split a D-Bus signature into its complete types (`sasas` -> `s`, `as`, `as`)."""
    types: list[str] = []
    i = 0
    while i < len(signature):
        start = i
        while signature[i] == "a":
            i += 1
        if signature[i] in "({":
            depth = 0
            while True:
                depth += signature[i] in "({"
                depth -= signature[i] in ")}"
                i += 1
                if depth == 0:
                    break
        else:
            i += 1
        types.append(signature[start:i])
    return types


def _busctl_value(signature: str, value: object) -> list[str]:
    """One value of one complete type in busctl's flat command-line form."""
    if signature == "v":
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)):
            raise ValueError(f"a variant must be (signature, value), got {value!r}")
        return [value[0], *_busctl_value(value[0], value[1])]
    if signature.startswith("a"):
        if signature.startswith("a{") or not isinstance(value, Sequence) or isinstance(
                value, str | bytes):
            raise ValueError(f"unsupported value for {signature}: {value!r}")
        return [str(len(value)), *(s for v in value for s in _busctl_value(signature[1:], v))]
    if signature.startswith("("):
        inner = _split_signature(signature[1:-1])
        if not isinstance(value, Sequence) or len(value) != len(inner):
            raise ValueError(f"a struct {signature} needs {len(inner)} fields, got {value!r}")
        return [s for sig, v in zip(inner, value, strict=True) for s in _busctl_value(sig, v)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


class SystemdUserManager:
    """One real `systemd --user` with its own bus; `start()`/`stop()` or a context manager.

    `address` is the bus address for clients; `env` the environment for systemctl/busctl
    `--user` and other clients. Units created with `run_unit` are remembered and stopped,
    reset and unloaded by `clean_units()` (the tests' per-test clean-up) and by `stop()`.
    """

    def __init__(self, *, start_timeout_s: float = START_TIMEOUT_S,
                 log_level: str = "warning") -> None:
        """Prepare (nothing is started yet)."""
        self.start_timeout_s = start_timeout_s
        self.log_level = log_level
        self._base: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._cgroups: list[Path] = []
        self._units: dict[str, None] = {}

    # --- where it is ------------------------------------------------------------------------

    @property
    def runtime_dir(self) -> Path:
        """The manager's XDG_RUNTIME_DIR (mode 700); the bus socket is `bus` in it."""
        if self._base is None:
            raise SystemdError("the manager is not started")
        return self._base / "runtime"

    @property
    def address(self) -> str:
        """The D-Bus address of the manager's bus: `unix:path=<runtime_dir>/bus`."""
        return f"unix:path={self.runtime_dir / 'bus'}"

    @property
    def env(self) -> dict[str, str]:
        """The environment for clients of this manager (`systemctl --user`, `busctl --user`)."""
        env = dict(os.environ)
        env.update(XDG_RUNTIME_DIR=str(self.runtime_dir), DBUS_SESSION_BUS_ADDRESS=self.address)
        return env

    @property
    def pid(self) -> int | None:
        """PID of the manager process (None when not running)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the manager process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def log_path(self) -> Path | None:
        """The manager's own log (its stderr) while it exists."""
        return self._base / "systemd.log" if self._base is not None else None

    @property
    def units(self) -> tuple[str, ...]:
        """Units created with `run_unit` and not yet cleaned up."""
        return tuple(self._units)

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the manager and wait until it owns its bus name; SystemdUnavailable if not."""
        if self._proc is not None:
            return self
        reason = available()
        if reason is not None:
            raise SystemdUnavailable(reason)
        self._base = Path(tempfile.mkdtemp(prefix=CGROUP_PREFIX))
        try:
            self._spawn()
            self._wait_ready(time.monotonic())
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self) -> None:
        """Create the directories and cgroups, then run the manager in its namespace."""
        assert self._base is not None
        for name in ("runtime", "config", "data", "state", "cache"):
            (self._base / name).mkdir(mode=0o700)
        self._cgroups = []
        for hierarchy in _systemd_hierarchies():
            cgroup = hierarchy / self._base.name
            with contextlib.suppress(OSError):
                cgroup.mkdir()
                self._cgroups.append(cgroup)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DBUS_", "XDG_", "SYSTEMD_", "NOTIFY_", "LISTEN_"))}
        env.update(
            XDG_RUNTIME_DIR=str(self.runtime_dir),
            XDG_CONFIG_HOME=str(self._base / "config"),
            XDG_DATA_HOME=str(self._base / "data"),
            XDG_STATE_HOME=str(self._base / "state"),
            XDG_CACHE_HOME=str(self._base / "cache"),
            SANDBOX_SYSTEMD=str(SYSTEMD_BINARY),
            SANDBOX_SYSTEMD_LOG_LEVEL=self.log_level,
        )
        assert self.log_path is not None
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                 _NAMESPACE_SCRIPT, "sandbox-systemd",
                 *(str(c / "cgroup.procs") for c in self._cgroups)],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, cwd=self._base,
            )

    def _wait_ready(self, started: float) -> None:
        """Wait until org.freedesktop.systemd1 is on the bus (or the manager died)."""
        assert self._proc is not None
        socket_path = self.runtime_dir / "bus"
        while True:
            status = self._proc.poll()
            if status is not None:
                tail = self.log_tail() or ("no output (it exits silently when it finds no "
                                           "/run/systemd/system or an option is invalid)")
                raise SystemdUnavailable(
                    f"systemd --user exited with status {status} at start-up: {tail}")
            if socket_path.exists() and self._name_has_owner(SYSTEMD_NAME):
                return
            if time.monotonic() - started > self.start_timeout_s:
                raise SystemdUnavailable(
                    f"{SYSTEMD_NAME} did not appear on {self.address} within "
                    f"{self.start_timeout_s:.0f} s: {self.log_tail() or 'no output'}")
            time.sleep(POLL_S)

    def _name_has_owner(self, name: str) -> bool:
        """NameHasOwner on the manager's bus (False while the bus does not answer)."""
        try:
            out = self._tool(["busctl", "--user", "call", "org.freedesktop.DBus",
                              "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
                              "s", name], timeout_s=2.0)
        except SystemdError:
            return False
        return out.strip() == "b true"

    def log_tail(self) -> str:
        """The last lines of the manager's log, on one line."""
        if self.log_path is None:
            return ""
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text("utf-8", "replace").strip().splitlines()
            return " | ".join(lines[-5:])
        return ""

    def stop(self) -> None:
        """Stop the units, terminate the manager by PID, kill leftovers, remove everything."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(SystemdError, OSError):
                self._clean(list(self._units), timeout_s=5.0)
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)  # a user manager exits on SIGTERM
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(STOP_TIMEOUT_S)
        self._units.clear()
        self._reap_cgroups()
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None

    def _reap_cgroups(self) -> None:
        """Kill (by PID) whatever is left in our cgroups, then remove them."""
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while self._cgroups:
            for cgroup in self._cgroups:
                for pid in _cgroup_pids(cgroup):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
            self._cgroups = [c for c in self._cgroups if not _remove_cgroup_tree(c)]
            if not self._cgroups or time.monotonic() > deadline:
                break
            time.sleep(POLL_S)

    async def astart(self) -> Self:
        """`start()` from asyncio (in a thread)."""
        return await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        """`stop()` from asyncio (in a thread)."""
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.astop()

    # --- units ------------------------------------------------------------------------------

    def _tool(self, argv: list[str], *, timeout_s: float = TOOL_TIMEOUT_S) -> str:
        """Run busctl/systemctl against this manager; its stdout, or SystemdError."""
        try:
            done = subprocess.run(argv, env=self.env, capture_output=True, text=True,
                                  timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise SystemdError(f"{' '.join(argv[:3])}: {err}") from err
        if done.returncode != 0:
            raise SystemdError(f"{' '.join(argv[:4])}: {done.stderr.strip() or done.returncode}")
        return done.stdout

    def run_unit(
        self,
        name: str,
        command: Sequence[str] | str,
        *,
        restart: str = "on-failure",
        restart_sec: float = 0.2,
        start_limit_burst: int = 3,
        start_limit_interval_s: float = 10.0,
        extra_properties: Mapping[str, tuple[str, object]] | None = None,
    ) -> str:
        """Create and start the transient service `name` running `command`; the job path.

        `command` is an argv, or a shell script run by `/bin/sh -c`; either runs exactly as
        given (no `$VAR` expansion by systemd). `extra_properties` adds unit properties as
        `{"Name": (dbus_signature, value)}`, e.g. `{"Type": ("s", "exec")}`. A failed or
        stopped unit of the same name left from before is reset and replaced.
        """
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        if not argv:
            raise ValueError("an empty command")
        props: dict[str, tuple[str, object]] = {
            "Description": ("s", f"sandbox: {' '.join(argv)}"[:200]),
            "ExecStartEx": ("a(sasas)", [(argv[0], argv, ["no-env-expand"])]),
            "Restart": ("s", restart),
            "RestartUSec": ("t", round(restart_sec * 1_000_000)),
            "StartLimitBurst": ("u", start_limit_burst),
            "StartLimitIntervalUSec": ("t", round(start_limit_interval_s * 1_000_000)),
        }
        props.update(extra_properties or {})
        args = ["busctl", "--user", "call", "--", SYSTEMD_NAME, SYSTEMD_OBJECT,
                SYSTEMD_MANAGER_IFACE, "StartTransientUnit", "ssa(sv)a(sa(sv))", name, "fail",
                *_busctl_value("a(sv)", [(k, v) for k, v in props.items()]), "0"]
        self._units[name] = None
        deadline = time.monotonic() + UNIT_GONE_TIMEOUT_S
        while True:
            try:
                out = self._tool(args)
            except SystemdError as err:
                taken = any(text in str(err) for text in ("already exists", "already loaded"))
                if not taken or time.monotonic() > deadline:
                    raise
                if self.unit_property(name, "ActiveState") in ("active", "activating",
                                                               "deactivating", "reloading"):
                    raise SystemdError(f"{name} is still running: stop it first") from err
                self.reset_failed(name)  # a failed transient unit keeps its name until reset
                time.sleep(POLL_S)
                continue
            return out.split()[-1].strip('"')

    def stop_unit(self, name: str) -> None:
        """Stop `name` and wait for the stop job (a unit that is not loaded is fine)."""
        self._systemctl_tolerant("stop", name)

    def reset_failed(self, name: str) -> None:
        """Reset `name`'s failed state (and start-limit counter); not loaded is fine."""
        self._systemctl_tolerant("reset-failed", name)

    def _systemctl_tolerant(self, verb: str, name: str) -> None:
        """`systemctl --user <verb> <name>`, ignoring only "not loaded"."""
        try:
            self._tool(["systemctl", "--user", verb, name])
        except SystemdError as err:
            if "not loaded" not in str(err):
                raise

    def systemctl(self, *args: str) -> str:
        """`systemctl --user <args>` against this manager; its output (SystemdError if it fails)."""
        return self._tool(["systemctl", "--user", *args])

    def unit_property(self, name: str, prop: str) -> str:
        """A unit property as `systemctl show` prints it (e.g. `Result` -> `signal`)."""
        return self._tool(["systemctl", "--user", "show", "--property", prop, "--value",
                           name]).strip()

    def wait_unit_property(self, name: str, prop: str, values: str | Sequence[str],
                           timeout_s: float = 10.0) -> str:
        """Wait until a unit property has one of `values`; return it (SystemdError if not)."""
        wanted = (values,) if isinstance(values, str) else tuple(values)
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.unit_property(name, prop)
            if value in wanted:
                return value
            if time.monotonic() > deadline:
                raise SystemdError(f"{name}: {prop}={value!r} after {timeout_s} s, "
                                   f"expected one of {wanted}")
            time.sleep(POLL_S)

    def clean_units(self) -> None:
        """Stop and reset every unit created with `run_unit`, and wait until they are gone."""
        self._clean(list(self._units), timeout_s=UNIT_GONE_TIMEOUT_S)

    def _clean(self, names: list[str], *, timeout_s: float) -> None:
        """Stop, reset-failed and wait for `names` to be unloaded."""
        for name in names:
            self.stop_unit(name)
            self.reset_failed(name)
        for name in names:
            self.wait_unit_property(name, "LoadState", ("not-found", ""), timeout_s)
            self._units.pop(name, None)

    def __repr__(self) -> str:
        return f"<SystemdUserManager pid={self.pid} runtime_dir={self._base}>"

