"""The app as the store, its linters and the image build see it.

- the community add-on linter's rule "a key set to its default value should be removed"
  (frenck/action-addon-linter: lint.py over src/config.schema.json; the defaults and the
  allowed keys are TRANSCRIBED below from config.schema.json @ 2a251d7b);
- the store's icon and logo, its README, repository.yaml, one config.* per repository;
- the security rating the Supervisor computes (apps/utils.py `rating_security` @ 29d80b89,
  transcribed) and that DOCS.md states;
- shellcheck on the s6 scripts and hadolint on the Dockerfile (both must be installed: they
  fail here when missing, never skip);
- the image's install step without a compiler, for both arches (musllinux wheels only).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
S6 = ROOT / "rootfs/etc/s6-overlay/s6-rc.d"
PIP_TIMEOUT_S = 300

# config.schema.json: every property with a "default" (the linter rejects a key set to it).
LINTER_DEFAULTS: dict[str, Any] = {
    "advanced": False, "apparmor": True, "audio": False, "auth_api": False, "auto_uart": False,
    "backup": "hot", "boot": "auto", "devicetree": False, "docker_api": False,
    "full_access": False, "gpio": False, "hassio_api": False, "hassio_role": "default",
    "homeassistant": False, "homeassistant_api": False, "host_dbus": False, "host_ipc": False,
    "host_network": False, "host_pid": False, "host_uts": False, "ingress": False,
    "ingress_port": 8099, "ingress_stream": False, "init": True, "journald": False,
    "kernel_modules": False, "legacy": False, "options": {}, "panel_admin": True,
    "panel_icon": "mdi:puzzle", "realtime": False, "schema": {}, "stage": "stable",
    "startup": "application", "stdin": False, "timeout": 10, "tmpfs": False, "uart": False,
    "udev": False, "ulimits": {}, "usb": False, "video": False,
}
# ... and the properties without one (additionalProperties: false).
LINTER_OTHER_KEYS = {
    "arch", "backup_exclude", "backup_pre", "backup_post", "breaking_versions", "codenotary",
    "description", "devices", "discovery", "environment", "image", "ingress_entry", "machine",
    "map", "name", "panel_title", "ports", "ports_description", "privileged", "services",
    "slug", "url", "version", "watchdog", "webui",
}


def _config() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def lint_defaults(config: dict[str, Any]) -> list[str]:
    """The linter's errors for keys it does not know or that repeat a default."""
    errors = [f"'{key}' should be removed, it uses a default value"
              for key, default in LINTER_DEFAULTS.items()
              if key in config and config[key] == default]
    errors += [f"Additional properties are not allowed ('{key}' was unexpected)"
               for key in config if key not in LINTER_DEFAULTS and key not in LINTER_OTHER_KEYS]
    return errors


def test_config_passes_the_add_on_linter() -> None:
    assert lint_defaults(_config()) == []


def test_linter_transcription_rejects_what_the_linter_rejects() -> None:
    config = _config()
    assert lint_defaults({**config, "boot": "auto"}) == [
        "'boot' should be removed, it uses a default value"]
    assert lint_defaults({**config, "ingress_port": 8099}) == [
        "'ingress_port' should be removed, it uses a default value"]
    assert lint_defaults({**config, "bootz": "auto"}) != []


def rating_security(config: dict[str, Any], *, custom_apparmor: bool) -> int:
    """The Supervisor's rating, for what this config can hold (no privileged, no ports)."""
    rating = 5
    if config.get("apparmor", True) is False:
        rating -= 1
    elif custom_apparmor:
        rating += 1
    if config.get("ingress") or (not config.get("host_network") and not any(
            port is not None for port in (config.get("ports") or {}).values())):
        rating += 2
    elif config.get("auth_api"):
        rating += 1
    rating -= {"manager": 1, "admin": 2}.get(config.get("hassio_role", "default"), 0)
    if config.get("host_network"):
        rating -= 1
    if config.get("host_pid"):
        rating -= 2
    if config.get("docker_api") or config.get("full_access"):
        rating = 1
    assert not config.get("privileged") and not config.get("kernel_modules"), \
        "transcribe the privileged rules before using them"
    return max(min(8, rating), 1)


def test_docs_state_the_security_rating_the_supervisor_computes() -> None:
    config = _config()
    rating = rating_security(config, custom_apparmor=(ROOT / "apparmor.txt").is_file())
    assert rating == 7
    docs = (ROOT / "DOCS.md").read_text(encoding="utf-8")
    assert f"**{rating} out of 8**" in docs
    # every permission config.yaml asks for is explained in DOCS.md's table
    for key in ("hassio_role: manager", "host_dbus", "ingress", "homeassistant_api"):
        if key.split(":")[0] in config or key == "homeassistant_api":
            assert re.search(rf"(?m)^\| `{re.escape(key)}", docs) or f"`{key}`" in docs, key
    assert config["hassio_role"] == "manager", "only the logs endpoints need manager"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_icon_and_logo_have_the_stores_sizes() -> None:
    assert _png_size(ROOT / "icon.png") == (128, 128)
    width, height = _png_size(ROOT / "logo.png")
    assert (width, height) == (250, 100)


def test_only_one_app_config_in_the_repository() -> None:
    """The store globs **/config.{yaml,yml,json}, skipping dot-folders and rootfs/."""
    found = []
    for directory, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (
            Path(directory) == ROOT and d == "rootfs")]
        found += [Path(directory, f).relative_to(ROOT).as_posix() for f in files
                  if f in ("config.yaml", "config.yml", "config.json")]
    assert found == ["config.yaml"], f"the store would read these as apps: {found}"


def test_store_page_and_repository_files() -> None:
    config = _config()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme.split("\n## ", 1)[0]
    assert "./run demo" in head and "./run tests" in head, "the set-up commands stay on top"
    assert len(readme) < 4000, "README.md is the store page: keep it short"
    assert "docs/panel.png" in readme and (ROOT / "docs/panel.png").is_file()
    assert "DEVELOPMENT.md" in readme and (ROOT / "DEVELOPMENT.md").is_file()
    repository = yaml.safe_load((ROOT / "repository.yaml").read_text(encoding="utf-8"))
    assert set(repository) == {"name", "url", "maintainer"}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    source = re.search(r'org\.opencontainers\.image\.source="([^"]+)"', dockerfile)
    assert source and source[1] == config["url"] == repository["url"]
    assert re.search(r'(?m)^\s+io\.hass\.type="addon"', dockerfile)
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")[:200]
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'(?m)^license = "Apache-2.0"$', pyproject), "an SPDX string"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"(?m)^## {re.escape(config['version'])}\b", changelog)


def test_the_images_dsn_is_a_build_argument_the_option_overrides() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'(?m)^ARG CRASH_REPORTER_DEFAULT_DSN=""$', dockerfile)
    assert 'CRASH_REPORTER_DEFAULT_DSN="${CRASH_REPORTER_DEFAULT_DSN}"' in dockerfile


def _tool(name: str, *candidates: Path) -> str:
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (./run setup installs it)")
    return found


def test_shellcheck_passes_on_the_s6_scripts() -> None:
    shellcheck = _tool("shellcheck")
    scripts = sorted(p for p in S6.rglob("*") if p.is_file() and p.read_bytes()[:2] == b"#!")
    assert len(scripts) >= 2
    result = subprocess.run([shellcheck, "--shell=bash", "--severity=style",
                             *map(str, scripts)], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_passes_on_the_dockerfile() -> None:
    hadolint = _tool("hadolint", Path(sys.executable).with_name("hadolint"))
    result = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = subprocess.run([hadolint, "--no-color", "-"], input="FROM alpine\nRUN cd /tmp\n",
                            capture_output=True, text=True, check=False, timeout=60)
    assert broken.returncode != 0 and "DL" in broken.stdout, "hadolint must catch a mistake"


@pytest.mark.parametrize("platform", ["musllinux_1_2_x86_64", "musllinux_1_2_aarch64"])
def test_the_images_install_step_needs_no_compiler(platform: str, tmp_path: Path) -> None:
    """`pip install --only-binary=:all: .` for the image's Python on musl, with no compiler.

    pip installs for another platform only with --target; CC/CXX point at `false`, so any
    attempt to compile fails the install.
    """
    base = re.search(r"base-python:(3\.\d+)-alpine",
                     (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert base
    python = base[1]
    env = {**os.environ, "CC": "false", "CXX": "false", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-cache-dir",
         "--only-binary=:all:", "--platform", platform, "--python-version", python,
         "--implementation", "cp", "--abi", "cp" + python.replace(".", ""),
         "--target", str(tmp_path / "site"), str(ROOT)],
        capture_output=True, text=True, check=False, timeout=PIP_TIMEOUT_S, env=env,
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    site = tmp_path / "site"
    assert (site / "crash_reporter/panel/templates/index.html").is_file()
    assert (site / "crash_reporter/panel/static/panel.css").is_file()
    compiled = [p.name for p in site.rglob("*.so")]
    arch = platform.rsplit("_", 1)[1] if "aarch64" in platform else "x86_64"
    assert all("musl" in name or arch in name or "abi3" in name for name in compiled), compiled
