"""pytest fixtures for the real systemd user manager (see sandbox/systemd.py).

- `systemd_manager` (session): one real `systemd --user` on its private bus for the whole run
  (about 0.2 s to start, 0.1 s to stop): `.address` (`unix:path=.../bus`), `.runtime_dir`,
  `.env`, `.run_unit(...)`, `.stop_unit(name)`, `.reset_failed(name)`,
  `.unit_property(name, prop)`, `.wait_unit_property(...)`.
- `systemd` (function): that manager, clean for this test: every unit created with
  `run_unit` during the test is stopped, reset and unloaded afterwards, so the next test can
  use the same unit names (the app watches fixed names such as `haos-agent.service`).
- `unit_name` (function): a unit name never used before (`test-<random>.service`), for units
  the app treats as host units.

If the manager cannot start (not root, no unshare, no systemd), tests using these fixtures
skip, or fail when `CRASH_REPORTER_REQUIRE_SYSTEMD=1` (CI). Mark such tests
`@pytest.mark.systemd`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import NoReturn

import pytest

from sandbox.systemd import SystemdUnavailable, SystemdUserManager
from tests.helpers import part_unavailable

REQUIRE_ENV = "CRASH_REPORTER_REQUIRE_SYSTEMD"


def systemd_unavailable(reason: str) -> NoReturn:
    """Skip (or fail under CRASH_REPORTER_REQUIRE_SYSTEMD=1) for lack of a real systemd."""
    part_unavailable("systemd", REQUIRE_ENV, reason)


@pytest.fixture(scope="session")
def systemd_manager() -> Iterator[SystemdUserManager]:
    """One real systemd user manager with its private bus for the session."""
    manager = SystemdUserManager()
    try:
        manager.start()
    except SystemdUnavailable as exc:
        systemd_unavailable(exc.reason)
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture
def systemd(systemd_manager: SystemdUserManager) -> Iterator[SystemdUserManager]:
    """The session's manager; the units this test creates are removed after it."""
    if not systemd_manager.running:
        pytest.fail(f"the session's systemd manager died: {systemd_manager.log_tail()}",
                    pytrace=False)
    try:
        yield systemd_manager
    finally:
        systemd_manager.clean_units()


@pytest.fixture
def unit_name() -> str:
    """A service unit name no test used before."""
    return f"test-{uuid.uuid4().hex[:12]}.service"
