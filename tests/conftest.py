"""Shared pytest set-up: each real part brings its fixtures in a plugin module of its own."""

import os

from hypothesis import settings

pytest_plugins = [
    "tests.plugin_systemd",
    "tests.plugin_bugsink",
    "tests.plugin_daemon",
]

# CI explores the same examples on every run (a red CI must mean a change broke something);
# local runs draw new ones each time, which is how new counterexamples are found.
if os.environ.get("CRASH_REPORTER_CI") == "1":
    settings.register_profile("ci", derandomize=True, print_blob=True)
    settings.load_profile("ci")
