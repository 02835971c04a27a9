"""Malformed configuration: a ConfigError with a clear message, exit 78, never a secret shown.

Hypothesis builds DSNs around a known key in every shape (no scheme, no '@', several '@',
bad ports, whitespace and newlines, the key in the path or query) and options documents of
wrong types and depths; whatever the input, the DSN's key appears in no message, no log line
and no repr, and `crash-reporter run` ends with status 78 (EX_CONFIG) on each.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crash_reporter.__main__ import EX_CONFIG
from crash_reporter.config import load_config, redact_dsn
from crash_reporter.errors import ConfigError

KEY = "k3yS3cr3tPUBLIC"
SECRET = "s3cr3tOLDSTYLE"

_parts = st.sampled_from([
    "https://", "http://", "https//", "ftp://", "://", "", "https:///", "HTTPS://",
])
_hosts = st.sampled_from([
    "sentry.example.org", "o1.ingest.sentry.io", "127.0.0.1", "[::1]", "host name", "",
    "h\nx", "@", "h@h",
])
_ports = st.sampled_from(["", ":9000", ":99999", ":0", ":-1", ":65536", ":abc", ":" + "9" * 5000])
_paths = st.sampled_from(["/42", "/", "", "/x/7", "/7/", "/?q=1", "/4 2", "/" + "1" * 40, "#/1"])
_junk = st.text(max_size=6)


@st.composite
def dsns(draw: st.DrawFn) -> str:
    """A DSN-like string holding KEY somewhere (and maybe an old-style secret)."""
    cred = draw(st.sampled_from([KEY, f"{KEY}:{SECRET}", f"{KEY}@", f" {KEY}", f"{KEY}\n"]))
    shape = draw(st.integers(0, 4))
    scheme, host, port, path = draw(_parts), draw(_hosts), draw(_ports), draw(_paths)
    if shape == 0:
        value = f"{scheme}{cred}@{host}{port}{path}"
    elif shape == 1:
        value = f"{scheme}{host}{port}{path}@{cred}"  # key after the host
    elif shape == 2:
        value = f"{scheme}{cred}"  # a bare key
    elif shape == 3:  # key in the path (of a host without a key of its own)
        value = f"{scheme}{host.replace('@', '')}{port}/{cred}{path}"
    else:
        value = f"{draw(_junk)}{cred}{draw(_junk)}@{host}{port}{path}{draw(_junk)}"
    return value


def _no_secret(text: str) -> None:
    assert KEY not in text and SECRET not in text, text


def _load(tmp_path: Path, dsn: str, via_env: bool) -> None:
    env = {"CRASH_REPORTER_DATA_DIR": str(tmp_path)}
    if via_env:
        env["CRASH_REPORTER_DSN"] = dsn
        (tmp_path / "options.json").write_text("{}")
    else:
        (tmp_path / "options.json").write_text(json.dumps({"dsn": dsn}))
    try:
        config = load_config(env)
    except ConfigError as err:
        _no_secret(str(err))
        logging.getLogger("crash_reporter").error("Configuration error: %s", err)
    else:
        _no_secret(repr(config))
        _no_secret(redact_dsn(config.dsn))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dsn=dsns(), via_env=st.booleans())
def test_no_dsn_key_in_any_message(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                   dsn: str, via_env: bool) -> None:
    caplog.clear()
    _load(tmp_path, dsn, via_env)
    for record in caplog.records:
        _no_secret(record.getMessage())
    _no_secret(redact_dsn(dsn))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["dsn", "log_level", "report_host_crashes", "watch_units", "x"]),
        inner, max_size=4),
    max_leaves=12))
def test_any_options_document_is_a_config_or_a_config_error(tmp_path: Path,
                                                            doc: object) -> None:
    (tmp_path / "options.json").write_text(json.dumps(doc))
    try:
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})
    except ConfigError as err:
        assert str(err)


def test_deeply_nested_options(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})
    (tmp_path / "options.json").write_text('{"watch_units": ' + "[" * 50 + "]" * 50 + "}")
    with pytest.raises(ConfigError, match="watch_units"):
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})


def test_huge_number_and_huge_file(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_text('{"log_level": ' + "9" * 5000 + "}")
    with pytest.raises(ConfigError, match="number too long"):
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})
    (tmp_path / "options.json").write_text('{"x": "' + "a" * (2 << 20) + '"}')
    with pytest.raises(ConfigError, match="larger than"):
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize("dsn", [
    f"https://{KEY}@sentry.example.org:99999/1",
    f"https://{KEY}@sentry.example.org:0/1",
    f"https://{KEY}@sentry.example.org/",
    f"https://{KEY}@/1",
])
def test_dsn_ports_and_parts(tmp_path: Path, dsn: str) -> None:
    (tmp_path / "options.json").write_text(json.dumps({"dsn": dsn}))
    with pytest.raises(ConfigError) as err:
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})
    _no_secret(str(err.value))


@pytest.mark.parametrize("url", ["supervisor", "http://supervisor:99999", "http://u:p@sup",
                                 "http://sup/\n"])
def test_supervisor_url_checked(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="SUPERVISOR_URL"):
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path), "SUPERVISOR_URL": url})
    assert load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path),
                        "SUPERVISOR_URL": "http://127.0.0.1:8080/"}).supervisor_url == \
        "http://127.0.0.1:8080"


@pytest.mark.parametrize("address", ["/run/dbus/system_bus_socket", "unix:path", "unix:"])
def test_dbus_address_checked(tmp_path: Path, address: str) -> None:
    with pytest.raises(ConfigError, match="D-Bus address"):
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path),
                     "CRASH_REPORTER_DBUS_ADDRESS": address})


@pytest.mark.parametrize("unit", [
    "a.service\n", "a.service ", "\ta.service", "a", ".service", "a@.service", "@a.service",
    "a.Service", "a/b.service", "ä.service", "a" * 248 + ".service", "a..service\x00",
])
def test_unit_names_follow_systemd(tmp_path: Path, unit: str) -> None:
    (tmp_path / "options.json").write_text(json.dumps({"watch_units": [unit]}))
    with pytest.raises(ConfigError, match="not a systemd unit name"):
        load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize("unit", ["a.service", "getty@tty1.service", "a-b_c:d.e\\x2d.mount",
                                  "a@b@c.service", "a@b@.service", "a" * 247 + ".service"])
def test_valid_unit_names_accepted(tmp_path: Path, unit: str) -> None:
    (tmp_path / "options.json").write_text(json.dumps({"watch_units": [unit]}))
    assert load_config({"CRASH_REPORTER_DATA_DIR": str(tmp_path)}).watch_units == (unit,)


@pytest.mark.parametrize("options", [
    {"dsn": f"{KEY}@sentry.example.org/1"},
    {"dsn": f"https://{KEY}@sentry.example.org:99999/1"},
    {"watch_units": ["a.service\n"]},
    {"log_level": ["x"]},
])
def test_run_exits_78_and_shows_no_key(tmp_path: Path, options: dict[str, object]) -> None:
    (tmp_path / "options.json").write_text(json.dumps(options))
    env = {**os.environ, "CRASH_REPORTER_DATA_DIR": str(tmp_path)}
    env.pop("CRASH_REPORTER_DSN", None)
    proc = subprocess.run([sys.executable, "-m", "crash_reporter", "run"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == EX_CONFIG, proc.stderr
    assert "Configuration error" in proc.stderr
    _no_secret(proc.stderr + proc.stdout)
