"""pytest fixtures for the real Bugsink (see sandbox/bugsink.py).

- `bugsink_server` (session): one Bugsink for the whole run (about 1 s to start once
  installed; the first run installs it into `.cache/` in about 30 s).
- `bugsink` (function): a fresh, empty project on that server (about 30 ms): `.dsn`,
  `.project_id`, `await .issues()`, `.events(issue_id)`, `.event(event_id)`,
  `.wait_for_events(count, timeout_s)`, `.ui_url_for_issue(issue_id)`.
- `bugsink_factory` (function): `bugsink_factory(max_events_per_5_min=3)` starts a private
  server with its own settings (rate limits are installation-wide settings); stopped after
  the test.

If Bugsink cannot be installed or started, tests using these fixtures skip, or fail when
`CRASH_REPORTER_REQUIRE_BUGSINK=1`. Mark such tests `@pytest.mark.bugsink`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from sandbox.bugsink import BugsinkProject, BugsinkServer, BugsinkUnavailable
from tests.helpers import part_unavailable

REQUIRE_ENV = "CRASH_REPORTER_REQUIRE_BUGSINK"


def bugsink_unavailable(reason: str) -> NoReturn:
    """Skip (or fail under CRASH_REPORTER_REQUIRE_BUGSINK=1) for lack of a real Bugsink."""
    part_unavailable("Bugsink", REQUIRE_ENV, reason)


def _start(server: BugsinkServer) -> BugsinkServer:
    """Start `server`, turning BugsinkUnavailable into skip/fail."""
    try:
        return server.start_blocking()
    except BugsinkUnavailable as exc:
        bugsink_unavailable(str(exc))


@pytest.fixture(scope="session")
def bugsink_server() -> Iterator[BugsinkServer]:
    """One real Bugsink for the session (per-test isolation comes from fresh projects)."""
    server = _start(BugsinkServer())
    try:
        yield server
    finally:
        server.stop_blocking()


@pytest.fixture
def bugsink(bugsink_server: BugsinkServer) -> BugsinkProject:
    """A fresh, empty Bugsink project on the session's server."""
    return bugsink_server.create_project_blocking()


@pytest.fixture
def bugsink_factory() -> Iterator[Callable[..., BugsinkServer]]:
    """Start private Bugsink servers with custom settings; all are stopped after the test."""
    started: list[BugsinkServer] = []

    def start(**kwargs: Any) -> BugsinkServer:
        server = BugsinkServer(**kwargs)
        started.append(server)
        return _start(server)

    try:
        yield start
    finally:
        for server in started:
            server.stop_blocking()
