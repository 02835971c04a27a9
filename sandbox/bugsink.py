"""A real Sentry-compatible server for tests and the demo: Bugsink on 127.0.0.1.

    async with BugsinkServer() as bs:
        client = sentry_sdk.Client(dsn=bs.dsn, ...)
        ...
        events = await bs.wait_for_events(1, timeout_s=10)
        assert events[0]["data"]["tags"] ...

Bugsink (PyPI `bugsink`, PolyForm Shield licence: a test/dev tool, never shipped in the app
image) lives in a virtualenv of its own (`ensure_installed`), because it pins Django and its
own sentry-sdk. Each `BugsinkServer` runs its own gunicorn on a free loopback port from a
private temporary directory (config, SQLite databases, ingest store), so instances never share
state. Migrating takes several seconds, so it is done once into a template directory kept in
the venv and the migrated database (with a full-access API token) is copied per instance.

The `local` configuration template digests events synchronously inside the ingest request:
once the SDK's POST has been answered, the event is readable through the REST API
(`/api/canonical/0/`, Bearer token). The API is verified against bugsink 2.6.1's source:
`POST teams/`, `POST projects/` (answers `id` as a string), `GET projects/<id>/` (`dsn`,
`stored_event_count`), `GET issues/?project=<id>`, `GET events/?issue=<uuid>` (summaries with
the client's `event_id` and Bugsink's own `id`), `GET events/<id>/` (only by Bugsink's own id;
`data` is the full stored event). Lists are cursor-paginated (`next`, `results`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

BUGSINK_VERSION = "2.6.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_ENV = "CRASH_REPORTER_BUGSINK_VENV"
DEFAULT_VENV = REPO_ROOT / ".cache" / "bugsink-venv"
MARKER_NAME = ".crash_reporter_bugsink"
TEMPLATE_NAME = "crash_reporter_template"
API_PREFIX = "/api/canonical/0/"
# Settings applied to every instance unless overridden: a test suite may send far more than
# Bugsink's installation-wide defaults (1000 per 5 minutes) in one session.
_UNLIMITED = 1_000_000_000
_QUOTA_KEYS = (
    "MAX_EVENTS_PER_5_MINUTES",
    "MAX_EVENTS_PER_HOUR",
    "MAX_EVENTS_PER_MONTH",
    "MAX_EVENTS_PER_PROJECT_PER_5_MINUTES",
    "MAX_EVENTS_PER_PROJECT_PER_HOUR",
    "MAX_EVENTS_PER_PROJECT_PER_MONTH",
)


class BugsinkUnavailable(RuntimeError):
    """Bugsink could not be installed or started (tests skip or fail on this)."""


class BugsinkApiError(RuntimeError):
    """The Bugsink REST API answered with an unexpected status."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} -> {status}: {body[:500]}")
        self.status = status
        self.body = body


def _log(message: str) -> None:
    """Print a progress line to stderr (install and template creation only)."""
    print(f"[bugsink] {message}", file=sys.stderr, flush=True)


def default_venv() -> Path:
    """The Bugsink venv location: `$CRASH_REPORTER_BUGSINK_VENV` or `<repo>/.cache/bugsink-venv`."""
    override = os.environ.get(VENV_ENV)
    return Path(override) if override else DEFAULT_VENV


def _marker_text() -> str:
    """What the marker file holds once this version is fully installed."""
    return f"bugsink=={BUGSINK_VERSION}\n"


def _is_installed(venv: Path) -> bool:
    """True if the marker says this version is installed and the entry points exist."""
    marker = venv / MARKER_NAME
    try:
        if marker.read_text() != _marker_text():
            return False
    except OSError:
        return False
    return all((venv / "bin" / name).exists() for name in ("gunicorn", "bugsink-manage"))


@contextlib.contextmanager
def _locked(venv: Path) -> Iterator[None]:
    """Hold an exclusive lock next to the venv (parallel test processes install once)."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    lock_path = venv.parent / f".{venv.name}.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _clean_env(venv: Path) -> dict[str, str]:
    """Environment for Bugsink's processes: its venv first, nothing of ours leaking in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SENTRY_", "DJANGO_", "PYTHON", "GUNICORN"))
        and k not in ("VIRTUAL_ENV", "DATABASE_PATH", "SNAPPEA_DATABASE_PATH")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run(
    venv: Path, args: list[str], cwd: Path, timeout: float, extra_env: dict[str, str] | None = None
) -> str:
    """Run a command from the Bugsink venv; return stdout or raise BugsinkUnavailable."""
    env = _clean_env(venv)
    if extra_env:
        env.update(extra_env)
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BugsinkUnavailable(f"{' '.join(args)}: {exc}") from exc
    if proc.returncode != 0:
        raise BugsinkUnavailable(
            f"{' '.join(args)} exited {proc.returncode}: {(proc.stderr or proc.stdout)[-2000:]}"
        )
    return proc.stdout


def ensure_installed(venv: Path | None = None) -> Path:
    """Create the Bugsink venv and install `bugsink==2.6.1` (with gunicorn) if not done yet.

    Idempotent and cheap when the marker file names the installed version. Safe to call from
    parallel processes (file lock). Returns the venv path; raises BugsinkUnavailable.
    """
    venv = (venv or default_venv()).absolute()
    if _is_installed(venv):
        return venv
    try:
        _install(venv)
    except OSError as exc:
        raise BugsinkUnavailable(f"cannot install Bugsink into {venv}: {exc}") from exc
    return venv


def _install(venv: Path) -> None:
    """The locked part of `ensure_installed` (may raise OSError)."""
    with _locked(venv):
        if _is_installed(venv):
            return
        started = time.monotonic()
        python = venv / "bin" / "python"
        if not python.exists():
            _log(f"creating virtualenv {venv}")
            _run(venv, [sys.executable, "-m", "venv", str(venv)], REPO_ROOT, 120)
        _log(f"installing bugsink=={BUGSINK_VERSION} into {venv} (about 20 s, needs PyPI)")
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        _run(venv, [*pip, f"bugsink=={BUGSINK_VERSION}"], REPO_ROOT, 900)
        if not (venv / "bin" / "gunicorn").exists():
            _run(venv, [*pip, "gunicorn"], REPO_ROOT, 300)
        (venv / MARKER_NAME).write_text(_marker_text())
        _log(f"installed in {time.monotonic() - started:.1f} s")


def _free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _base_url_line(port: int) -> str:
    """The line bugsink-create-conf writes for BASE_URL (used to re-target a cached conf)."""
    return f'"BASE_URL": "http://127.0.0.1:{port}",'


def _write_conf(
    venv: Path,
    directory: Path,
    port: int,
    settings: dict[str, Any],
    template: Path | None = None,
) -> None:
    """Write `bugsink_conf.py` in `directory`: bugsink-create-conf's output, then our settings.

    With a `template` (made by `_ensure_template`), its generated conf is re-targeted to
    `port` with a fresh SECRET_KEY instead of running bugsink-create-conf again (saves 0.5 s);
    if the generated text does not look as expected, bugsink-create-conf runs after all.
    """
    text = None
    if template is not None:
        cached = (template / "bugsink_conf.generated").read_text()
        old_port = int((template / "port").read_text())
        lines = cached.splitlines(keepends=True)
        secret = [i for i, line in enumerate(lines) if line.startswith("SECRET_KEY = ")]
        if cached.count(_base_url_line(old_port)) == 1 and len(secret) == 1:
            lines[secret[0]] = f'SECRET_KEY = "{secrets.token_urlsafe(50)}"\n'
            text = "".join(lines).replace(_base_url_line(old_port), _base_url_line(port))
    if text is None:
        _run(
            venv,
            [
                str(venv / "bin" / "bugsink-create-conf"),
                "--template=local",
                "--host=127.0.0.1",
                f"--port={port}",
            ],
            directory,
            60,
        )
        text = (directory / "bugsink_conf.py").read_text()
        if template is None:
            (directory / "bugsink_conf.generated").write_text(text)
            (directory / "port").write_text(f"{port}\n")
    else:
        (directory / "bugsink_conf.py").write_text(text)
    lines = ["", "# crash_reporter sandbox settings"]
    lines += [f"BUGSINK[{key!r}] = {value!r}" for key, value in settings.items()]
    with (directory / "bugsink_conf.py").open("a") as conf:
        conf.write("\n".join(lines) + "\n")


def _ensure_template(venv: Path) -> Path:
    """A migrated database plus a full-access API token, made once per venv (under lock)."""
    template = venv / TEMPLATE_NAME
    if (template / "complete").exists():
        return template
    with _locked(venv):
        if (template / "complete").exists():
            return template
        started = time.monotonic()
        _log("migrating a template database (once per install)")
        work = Path(tempfile.mkdtemp(prefix="template-", dir=venv))
        try:
            _write_conf(
                venv,
                work,
                _free_port(),
                {"PHONEHOME": False, "INGEST_STORE_BASE_DIR": str(work / "ingest")},
            )
            manage = str(venv / "bin" / "bugsink-manage")
            _run(venv, [manage, "migrate", "-v0"], work, 300)
            token = _run(venv, [manage, "create_auth_token"], work, 60).strip().splitlines()[-1]
            (work / "token").write_text(token.strip() + "\n")
            (work / "complete").write_text(f"bugsink=={BUGSINK_VERSION}\n")
            shutil.rmtree(template, ignore_errors=True)
            work.rename(template)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        _log(f"template ready in {time.monotonic() - started:.1f} s")
    return template


def _normalize_event_id(value: str) -> str:
    """An event id as 32 lowercase hex digits (accepts dashed UUIDs)."""
    try:
        return uuid.UUID(value).hex
    except ValueError:
        return value.lower()


@dataclass
class BugsinkProject:
    """One Bugsink project: its DSN and read access to what it stored (REST API)."""

    server: BugsinkServer
    project_id: int
    name: str
    dsn: str
    team_id: str

    # -- low level -------------------------------------------------------------------------

    def _list_all(self, path: str) -> list[dict[str, Any]]:
        """GET a cursor-paginated list and return all results (blocking)."""
        results: list[dict[str, Any]] = []
        url: str | None = self.server.api_url(path)
        while url:
            page = self.server.api_blocking("GET", url)
            results.extend(page["results"])
            url = page.get("next")
        return results

    def issues_blocking(self) -> list[dict[str, Any]]:
        """All issues of this project, in creation order (blocking)."""
        return self._list_all(f"issues/?project={self.project_id}&order=asc")

    def events_blocking(self, issue_id: str) -> list[dict[str, Any]]:
        """Event summaries of one issue, oldest first (blocking; no `data`)."""
        return self._list_all(f"events/?issue={issue_id}&order=asc")

    def all_events_blocking(self) -> list[dict[str, Any]]:
        """Event summaries of every issue of this project, ordered by digest (blocking)."""
        events = [
            ev for issue in self.issues_blocking() for ev in self.events_blocking(issue["id"])
        ]
        return sorted(events, key=lambda ev: (ev["ingested_at"], ev["digest_order"]))

    def event_blocking(self, event_id: str) -> dict[str, Any]:
        """The full stored event (`data`: the event JSON) by client event_id or Bugsink id."""
        wanted = _normalize_event_id(event_id)
        for summary in self.all_events_blocking():
            ids = (_normalize_event_id(summary["event_id"]), _normalize_event_id(summary["id"]))
            if wanted in ids:
                detail: dict[str, Any] = self.server.api_blocking("GET", f"events/{summary['id']}/")
                return detail
        raise KeyError(f"event {event_id} not stored in project {self.project_id}")

    def stored_event_count_blocking(self) -> int:
        """How many events this project stores now (blocking)."""
        count: int = self.server.api_blocking("GET", f"projects/{self.project_id}/")[
            "stored_event_count"
        ]
        return count

    def wait_for_events_blocking(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        """Poll until at least `count` events are stored; return them in full (blocking)."""
        deadline = time.monotonic() + timeout_s
        while True:
            stored = self.stored_event_count_blocking()
            if stored >= count:
                return [
                    self.server.api_blocking("GET", f"events/{ev['id']}/")
                    for ev in self.all_events_blocking()
                ]
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"project {self.project_id}: {stored} events stored, wanted {count} "
                    f"within {timeout_s} s"
                )
            time.sleep(0.05)

    # -- async API (urllib in a worker thread) ------------------------------------------------

    async def issues(self) -> list[dict[str, Any]]:
        """All issues of this project (`id` uuid, `calculated_type`, `calculated_value`, counts)."""
        return await asyncio.to_thread(self.issues_blocking)

    async def events(self, issue_id: str) -> list[dict[str, Any]]:
        """Event summaries of one issue, oldest first (`id`, `event_id`, `issue`, ...)."""
        return await asyncio.to_thread(self.events_blocking, issue_id)

    async def all_events(self) -> list[dict[str, Any]]:
        """Event summaries across all issues of this project, oldest first."""
        return await asyncio.to_thread(self.all_events_blocking)

    async def event(self, event_id: str) -> dict[str, Any]:
        """The full stored event by the client's event_id (or Bugsink's id); KeyError if absent.

        The result has `event_id`, `issue`, `data` (the stored event JSON) and
        `stacktrace_md`.
        """
        return await asyncio.to_thread(self.event_blocking, event_id)

    async def stored_event_count(self) -> int:
        """How many events this project stores now."""
        return await asyncio.to_thread(self.stored_event_count_blocking)

    async def wait_for_events(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least `count` events are stored; return them in full, oldest first.

        Raises TimeoutError after `timeout_s`.
        """
        return await asyncio.to_thread(self.wait_for_events_blocking, count, timeout_s)

    def ui_url_for_issue(self, issue_id: str) -> str:
        """Where a human sees this issue in the web UI (log in as `create_superuser` made)."""
        return self.server.ui_url_for_issue(issue_id)

    @property
    def ui_url(self) -> str:
        """The project's issue list in the web UI."""
        return f"{self.server.base_url}/issues/{self.project_id}/"


@dataclass
class BugsinkServer:
    """A private Bugsink (gunicorn, one sync worker) on a free port of 127.0.0.1.

    `async with BugsinkServer() as bs` or `with BugsinkServer() as bs` (or `start()`/`stop()`,
    `start_blocking()`/`stop_blocking()`). After start: `base_url`, `api_token`, and a default
    project (`project`, `dsn`, `project_id`, and its API helpers `issues()`, `events()`,
    `event()`, `wait_for_events()`). `create_project()` adds fresh, empty projects cheaply.
    """

    max_events_per_5_min: int | None = None
    venv: Path | None = None
    ready_timeout_s: float = 30.0
    keep_dir: bool = False
    startup_seconds: float = field(default=0.0, init=False)
    directory: Path | None = field(default=None, init=False)
    port: int = field(default=0, init=False)
    api_token: str = field(default="", init=False)
    team_id: str = field(default="", init=False)
    project: BugsinkProject | None = field(default=None, init=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log_file: Any = field(default=None, init=False, repr=False)
    _project_counter: int = field(default=0, init=False, repr=False)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The gunicorn master's PID while running."""
        return self._proc.pid if self._proc else None

    @property
    def log_path(self) -> Path | None:
        """The output of gunicorn (and Django) for this instance."""
        return self.directory / "gunicorn.log" if self.directory else None

    def _settings(self) -> dict[str, Any]:
        """The BUGSINK settings appended to this instance's generated config."""
        assert self.directory is not None
        settings: dict[str, Any] = {
            "PHONEHOME": False,
            "INGEST_STORE_BASE_DIR": str(self.directory / "ingest"),
        }
        settings.update(dict.fromkeys(_QUOTA_KEYS, _UNLIMITED))
        if self.max_events_per_5_min is not None:
            settings["MAX_EVENTS_PER_PROJECT_PER_5_MINUTES"] = self.max_events_per_5_min
        return settings

    def start_blocking(self) -> BugsinkServer:
        """Install if needed, start gunicorn, wait for /health/ready, create team and project."""
        if self._proc is not None:
            raise RuntimeError("BugsinkServer already started")
        started = time.monotonic()
        venv = ensure_installed(self.venv)
        try:
            template = _ensure_template(venv)
            self.api_token = (template / "token").read_text().strip()
            self.directory = Path(tempfile.mkdtemp(prefix="bugsink-"))
        except OSError as exc:
            raise BugsinkUnavailable(f"cannot prepare a Bugsink instance: {exc}") from exc
        try:
            shutil.copyfile(template / "db.sqlite3", self.directory / "db.sqlite3")
            last_error: Exception | None = None
            for _attempt in range(3):  # a free port can be taken between probing and binding
                self.port = _free_port()
                _write_conf(venv, self.directory, self.port, self._settings(), template)
                try:
                    self._spawn(venv)
                    self._wait_ready(started)
                    break
                except BugsinkUnavailable as exc:
                    last_error = exc
                    self._terminate()
            else:
                raise BugsinkUnavailable(f"gunicorn did not become ready: {last_error}")
            team = self.api_blocking("POST", "teams/", {"name": "crash_reporter"})
            self.team_id = team["id"]
            self.project = self.create_project_blocking("default")
        except BaseException:
            self.stop_blocking()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _spawn(self, venv: Path) -> None:
        """Start gunicorn in its own process group, output to the instance's log."""
        assert self.directory is not None and self.log_path is not None
        self._log_file = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [
                str(venv / "bin" / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--no-control-socket",
                "--graceful-timeout",
                "5",
                "bugsink.wsgi",
            ],
            cwd=self.directory,
            env=_clean_env(venv),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _wait_ready(self, started: float) -> None:
        """Poll GET /health/ready until 200, gunicorn exits, or the deadline passes."""
        assert self._proc is not None
        deadline = started + self.ready_timeout_s
        while True:
            if self._proc.poll() is not None:
                raise BugsinkUnavailable(
                    f"gunicorn exited {self._proc.returncode}: {self._log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/health/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise BugsinkUnavailable(
                    f"/health/ready not 200 within {self.ready_timeout_s} s: {self._log_tail()}"
                )
            time.sleep(0.05)

    def _log_tail(self) -> str:
        """The last part of gunicorn's output (for error messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-2000:] if self.log_path else ""
        except OSError:
            return ""

    def _terminate(self) -> None:
        """Stop gunicorn (SIGTERM to its process group, SIGKILL after 10 s) and reap it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            # The worker is in the same group; make sure nothing of it survives the master.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop_blocking(self) -> None:
        """Terminate gunicorn, wait for it, and delete the instance directory."""
        self._terminate()
        if self.directory is not None and not self.keep_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    async def start(self) -> BugsinkServer:
        """Async `start_blocking()` (runs in a worker thread)."""
        return await asyncio.to_thread(self.start_blocking)

    async def stop(self) -> None:
        """Async `stop_blocking()`."""
        await asyncio.to_thread(self.stop_blocking)

    async def __aenter__(self) -> BugsinkServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __enter__(self) -> BugsinkServer:
        return self.start_blocking()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_blocking()

    # -- REST API ----------------------------------------------------------------------------

    def api_url(self, path: str) -> str:
        """Absolute URL of a REST API path (`issues/?project=1`) or an absolute URL as is."""
        if path.startswith("http"):
            return path
        return f"{self.base_url}{API_PREFIX}{path.lstrip('/')}"

    def api_blocking(self, method: str, path: str, body: Any = None) -> Any:
        """Call the REST API with the instance's Bearer token; return the decoded JSON."""
        url = self.api_url(path)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.api_token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                body_text = exc.read().decode(errors="replace")
            raise BugsinkApiError(method, url, exc.code, body_text) from None
        return json.loads(raw) if raw else None

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        """Async `api_blocking()`."""
        return await asyncio.to_thread(self.api_blocking, method, path, body)

    def create_project_blocking(self, name: str | None = None) -> BugsinkProject:
        """Create a fresh project in the server's team and return it with its DSN."""
        if name is None:
            self._project_counter += 1
            name = f"p{self._project_counter}-{uuid.uuid4().hex[:8]}"
        created = self.api_blocking("POST", "projects/", {"name": name, "team": self.team_id})
        project_id = int(created["id"])  # POST answers the id as a string, GET as a number
        detail = self.api_blocking("GET", f"projects/{project_id}/")
        return BugsinkProject(
            server=self, project_id=project_id, name=name, dsn=detail["dsn"], team_id=self.team_id
        )

    async def create_project(self, name: str | None = None) -> BugsinkProject:
        """Async `create_project_blocking()`."""
        return await asyncio.to_thread(self.create_project_blocking, name)

    def create_superuser(self, username: str, password: str) -> None:
        """Create a web UI login (Django superuser) for a human to look at the issues."""
        if self.directory is None:
            raise RuntimeError("BugsinkServer not started")
        venv = ensure_installed(self.venv)
        _run(
            venv,
            [
                str(venv / "bin" / "bugsink-manage"),
                "createsuperuser",
                "--noinput",
                f"--username={username}",
                f"--email={username}@example.invalid",
            ],
            self.directory,
            60,
            extra_env={"DJANGO_SUPERUSER_PASSWORD": password},
        )

    def ui_url_for_issue(self, issue_id: str) -> str:
        """Web UI page of an issue's latest event (needs a login, see `create_superuser`)."""
        return f"{self.base_url}/issues/issue/{issue_id}/event/last/"

    # -- the default project -----------------------------------------------------------------

    def _default(self) -> BugsinkProject:
        """The project created at start."""
        if self.project is None:
            raise RuntimeError("BugsinkServer not started")
        return self.project

    @property
    def dsn(self) -> str:
        """DSN of the default project."""
        return self._default().dsn

    @property
    def project_id(self) -> int:
        """Id of the default project."""
        return self._default().project_id

    async def issues(self) -> list[dict[str, Any]]:
        """Issues of the default project."""
        return await self._default().issues()

    async def events(self, issue_id: str) -> list[dict[str, Any]]:
        """Event summaries of one issue."""
        return await self._default().events(issue_id)

    async def event(self, event_id: str) -> dict[str, Any]:
        """A full stored event of the default project (by client event_id or Bugsink id)."""
        return await self._default().event(event_id)

    async def wait_for_events(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        """Wait for `count` events in the default project; return them in full."""
        return await self._default().wait_for_events(count, timeout_s)


def _interrupt(signum: int, frame: object) -> None:
    """Signal handler: turn SIGTERM/SIGINT into KeyboardInterrupt so the server is stopped."""
    raise KeyboardInterrupt


def main() -> None:
    """`python -m sandbox.bugsink`: install, start, print DSN and login, serve until Ctrl-C."""
    # Also when started in the background (SIGINT ignored) or stopped with SIGTERM.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    with BugsinkServer() as server:
        server.create_superuser("admin", "admin")
        print(f"Bugsink {BUGSINK_VERSION} ready in {server.startup_seconds:.1f} s")
        print(f"  UI:    {server.base_url}/  (login admin / admin)")
        print(f"  DSN:   {server.dsn}")
        print(f"  token: {server.api_token}")
        print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
