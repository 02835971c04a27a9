#!/usr/bin/env bash
# Debian packages the sandbox of real parts needs (run as root by `./run setup`):
#   systemd + dbus + dbus-user-session  a real systemd user manager on a private bus
#   util-linux                          unshare, for the private mount namespace
#   golang-go                           rebuilds the Go crash fixtures (tests/fixtures/go)
#   apparmor                            apparmor_parser checks the app's apparmor.txt
#   chromium                            the panel's browser tests and the demo's screenshot
#   shellcheck                          lints the s6 scripts (hadolint comes from PyPI)
#   systemd-journal-remote              turns journal export format into a journal file, so
#                                       tests read real `journalctl -o MODE` output
# Installs only what is missing, so a second run costs nothing.
set -euo pipefail
want=(systemd dbus dbus-user-session util-linux golang-go apparmor chromium shellcheck
      systemd-journal-remote)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for the dpkg lock (another apt may be running) instead of failing at once.
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
