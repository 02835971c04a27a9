"""Config: options.json + environment."""

import json
from pathlib import Path

import pytest

from crash_reporter.config import load_config, redact_dsn
from crash_reporter.errors import ConfigError

DSN = "https://abc123publickey@sentry.example.org/42"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"CRASH_REPORTER_DATA_DIR": str(tmp_path), **extra}


def _options(tmp_path: Path, **opts: object) -> None:
    (tmp_path / "options.json").write_text(json.dumps(opts))


def test_defaults_without_options_file(tmp_path: Path) -> None:
    config = load_config(_env(tmp_path))
    assert config.data_dir == tmp_path
    assert config.supervisor_url == "http://supervisor"
    assert config.supervisor_token is None
    assert config.dbus_address is None
    assert config.dsn is None
    assert (config.log_level, config.report_host_crashes, config.watch_units) == ("info", False, ())
    assert config.outbox_dir == tmp_path / "outbox"
    assert config.state_dir == tmp_path / "state"


def test_options_and_environment(tmp_path: Path) -> None:
    _options(tmp_path, dsn=DSN, log_level="DEBUG", report_host_crashes=True,
             watch_units=["zigbee.service", "zigbee.service", "foo@1.service"])
    config = load_config(_env(tmp_path, SUPERVISOR_URL="http://127.0.0.1:8123/",
                              SUPERVISOR_TOKEN="tok", CRASH_REPORTER_DBUS_ADDRESS="unix:path=/x"))
    assert config.dsn == DSN
    assert config.log_level == "debug"
    assert config.report_host_crashes is True
    assert config.watch_units == ("zigbee.service", "foo@1.service")
    assert config.supervisor_url == "http://127.0.0.1:8123"
    assert config.supervisor_token == "tok"
    assert config.dbus_address == "unix:path=/x"


def test_environment_dsn_overrides_option(tmp_path: Path) -> None:
    _options(tmp_path, dsn=DSN)
    other = "http://k@127.0.0.1:9000/7"
    assert load_config(_env(tmp_path, CRASH_REPORTER_DSN=other)).dsn == other


def test_the_images_built_in_dsn_is_the_default_and_the_option_overrides_it(
        tmp_path: Path) -> None:
    built_in = "https://projectkey@sentry.example.com/1"
    env = _env(tmp_path, CRASH_REPORTER_DEFAULT_DSN=built_in)
    config = load_config(env)
    assert (config.dsn, config.dsn_source) == (built_in, "built-in")
    _options(tmp_path, dsn=DSN)
    config = load_config(env)
    assert (config.dsn, config.dsn_source) == (DSN, "option")
    config = load_config({**env, "CRASH_REPORTER_DSN": "http://k@127.0.0.1:9000/7"})
    assert config.dsn_source == "environment"
    _options(tmp_path, dsn="")
    assert load_config(_env(tmp_path)).dsn_source == "none"
    with pytest.raises(ConfigError, match="built-in"):
        load_config(_env(tmp_path, CRASH_REPORTER_DEFAULT_DSN="not a dsn"))


def test_review_reports_option(tmp_path: Path) -> None:
    assert load_config(_env(tmp_path)).review_reports is False
    _options(tmp_path, review_reports=True)
    assert load_config(_env(tmp_path)).review_reports is True
    _options(tmp_path, review_reports="yes")
    with pytest.raises(ConfigError, match="review_reports must be true or false"):
        load_config(_env(tmp_path))


def test_redact_option(tmp_path: Path) -> None:
    assert load_config(_env(tmp_path)).redact == ()
    _options(tmp_path, redact=[" Smith ", "Maple Street", "Smith"])
    config = load_config(_env(tmp_path))
    assert config.redact == ("Smith", "Maple Street")
    assert "Smith" not in repr(config)  # the words are never logged
    for bad, why in (("Smith", "a list of words"), ([3], "a list of words"),
                     ([" "], "1 to 200 characters")):
        _options(tmp_path, redact=bad)
        with pytest.raises(ConfigError, match=why):
            load_config(_env(tmp_path))


def test_empty_dsn_means_none(tmp_path: Path) -> None:
    _options(tmp_path, dsn="  ")
    assert load_config(_env(tmp_path)).dsn is None


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"dsn": "not a dsn"}, "not a Sentry DSN"),
        ({"log_level": "loud"}, "log_level"),
        ({"report_host_crashes": "yes"}, "report_host_crashes"),
        ({"watch_units": "x.service"}, "watch_units"),
        ({"watch_units": ["rm -rf /"]}, "not a systemd unit name"),
    ],
)
def test_invalid_options_say_what_is_wrong(tmp_path: Path, opts: dict[str, object],
                                           message: str) -> None:
    _options(tmp_path, **opts)
    with pytest.raises(ConfigError, match=message):
        load_config(_env(tmp_path))


def test_garbage_options_file(tmp_path: Path) -> None:
    (tmp_path / "options.json").write_bytes(b"\xff{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(_env(tmp_path))


def test_repr_hides_token_and_dsn_key(tmp_path: Path) -> None:
    _options(tmp_path, dsn=DSN)
    config = load_config(_env(tmp_path, SUPERVISOR_TOKEN="supersecrettoken"))
    text = repr(config)
    assert "supersecrettoken" not in text
    assert "abc123publickey" not in text
    assert "sentry.example.org/42" in text
    assert redact_dsn(None) == "none"
