"""Shared pytest set-up: each real part brings its fixtures in a plugin module of its own."""

pytest_plugins = [
    "tests.plugin_systemd",
    "tests.plugin_bugsink",
    "tests.plugin_daemon",
]
