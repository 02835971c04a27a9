"""The scrubber against the sentences host software really writes, grouped by program.

Each phrasing is taken from the program's own format string (named in the comment above its
group) with this home's values planted in it; each case gives what must come out, and the
output must be a fixed point. KEPT_REAL lists real lines that name no one and must stay whole.
"""

from __future__ import annotations

import pytest

from crash_reporter.scrub import scrub_text

MAC = "3C:2E:FF:4A:5B:6C"
# an ED25519 public key's base64
KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

CASES = [
    # --- systemd PID 1 and systemd-hostnamed: "Hostname set to <%s>.", "Hostname set to <%s>
    # (%s)", "Changed host name to '%s'"
    ("systemd[1]: Hostname set to <kitchen-pi>.", "systemd[1]: Hostname set to <[hostname]>."),
    ("systemd-hostnamed[321]: Hostname set to <kitchen-pi> (static)",
     "systemd-hostnamed[321]: Hostname set to <[hostname]> (static)"),
    ("systemd-hostnamed[321]: Changed host name to 'kitchen-pi'",
     "systemd-hostnamed[321]: Changed host name to '[hostname]'"),
    # --- systemd-timesyncd: "Contacted time server %s (%s).", "Timed out waiting for reply
    # from %s (%s)."
    ("systemd-timesyncd[407]: Contacted time server 192.168.1.1:123 (router.smithnet).",
     "systemd-timesyncd[407]: Contacted time server [ip]:123 ([hostname])."),
    ("systemd-timesyncd[407]: Timed out waiting for reply from [2a02:8106:21:9400::5]:123 "
     "(ntp.smithnet).",
     "systemd-timesyncd[407]: Timed out waiting for reply from [[ip]]:123 ([hostname])."),
    # --- systemd-resolved: "Using degraded feature set %s instead of %s for DNS server %s."
    # (the server as address%ifindex#name)
    ("systemd-resolved[400]: Using degraded feature set TCP instead of UDP for DNS server "
     "2a02:8106:21:9400::1%3#dns.smithnet.",
     "systemd-resolved[400]: Using degraded feature set TCP instead of UDP for DNS server "
     "[ip]#[hostname]."),
    # --- systemd-networkd: "Connected WiFi access point: %s (%s)"
    (f"systemd-networkd[300]: wlan0: Connected WiFi access point: Smith Family WiFi ({MAC})",
     "systemd-networkd[300]: wlan0: Connected WiFi access point: [ssid] ([mac])"),
    # --- systemd-logind "New session %s of user %s.", PAM "session opened for user %s(uid=%u)"
    ("systemd-logind[200]: New session 3 of user jean.",
     "systemd-logind[200]: New session 3 of user [user]."),
    ("pam_unix(sshd:session): session opened for user jean(uid=1000) by (uid=0)",
     "pam_unix(sshd:session): session opened for user [user](uid=1000) by (uid=0)"),
    # --- OpenSSH sshd: "Accepted %s for %s from %s port %d ssh2", "Failed %s for invalid
    # user %s from ..."
    ("sshd[900]: Accepted publickey for jean from 192.168.1.30 port 51234 ssh2",
     "sshd[900]: Accepted publickey for [user] from [ip] port 51234 ssh2"),
    ("sshd[900]: Failed password for invalid user jsmith from 192.168.1.30 port 51234 ssh2",
     "sshd[900]: Failed password for invalid user [user] from [ip] port 51234 ssh2"),
    # --- the Supervisor's mount units (supervisor/mounts/mount.py: Description
    # "Supervisor <type> mount: <name>") as systemd prints them
    ("Mounting mnt-data-supervisor-mounts-Backup_Smith.mount - Supervisor cifs mount: "
     "Backup_Smith...",
     "Mounting mnt-data-supervisor-mounts-[mount].mount - Supervisor cifs mount: [mount]..."),
    ("Failed to mount mnt-data-supervisor-mounts-Backup_Smith.mount - Supervisor nfs mount: "
     "Backup_Smith.",
     "Failed to mount mnt-data-supervisor-mounts-[mount].mount - Supervisor nfs mount: "
     "[mount]."),
    # --- the Supervisor's mount manager (supervisor/mounts/manager.py, mount.py)
    ("Reloading mount: Backup_Smith", "Reloading mount: [mount]"),
    ("Could not reload mount Backup_Smith due to: timeout. Trying a restart",
     "Could not reload mount [mount] due to: timeout. Trying a restart"),
    ("Could not move local data for mount Backup_Smith: [Errno 28] No space left on device",
     "Could not move local data for mount [mount]: [Errno 28] No space left on device"),
    ("Restored mount configuration: Backup_Smith", "Restored mount configuration: [mount]"),
    ("Failed to restore mount Backup_Smith: Mount activation failed",
     "Failed to restore mount [mount]: Mount activation failed"),
    ("Mount Backup_Smith activated successfully", "Mount [mount] activated successfully"),
    ("Mount 'Backup_Smith' already exists, replacing with backup config",
     "Mount '[mount]' already exists, replacing with backup config"),
    ("Could not mount Backup_Smith due to: timeout", "Could not mount [mount] due to: timeout"),
    ("Probing mount Backup_Smith at /data/mounts/Backup_Smith",
     "Probing mount [mount] at /data/mounts/[mount]"),
    ("Systemd start job for mount Backup_Smith completed: done",
     "Systemd start job for mount [mount] completed: done"),
    # systemd-coredump: "Process %s (%s) of user %s terminated abnormally" - a uid stays
    ("Process 22337 (os-agent) of user 0 terminated abnormally with signal 6/ABRT",
     "Process 22337 (os-agent) of user 0 terminated abnormally with signal 6/ABRT"),
    ("Contacted time server 192.168.1.1:123 (192.168.1.1).",
     "Contacted time server [ip]:123 ([ip])."),
    # --- the Supervisor's auth (supervisor/auth.py)
    ("Successful login for 'jean@smith-family.de'", "Successful login for '[email]'"),
    ("Auth request from 'core_ssh' for 'jean.smith'", "Auth request from 'core_ssh' for '[user]'"),
    ("Successful login for 'jean.smith'", "Successful login for '[user]'"),
    ("Unauthorized login for 'jean.smith'", "Unauthorized login for '[user]'"),
    ("The user 'jean.smith' is not registered", "The user '[user]' is not registered"),
    ("Username 'jean.smith' is in cache", "Username '[user]' is in cache"),
    # exceptions.py AuthUserNotFound "Username '{user}' does not exist. Check list of users using
    # '{auth_list_command}'." - a phrase inside a longer word ("of users") names no one
    ("Username 'jean.smith' does not exist. Check list of users using 'ha auth list'.",
     "Username '[user]' does not exist. Check list of users using 'ha auth list'."),
    # --- Linux CIFS client (fs/smb/client): "\\%s Send error in SessSetup = %d"
    ("kernel: CIFS: VFS: \\\\nas-smith Send error in SessSetup = -13",
     "kernel: CIFS: VFS: \\\\[hostname] Send error in SessSetup = -13"),
    ("kernel: CIFS: Attempting to mount \\\\nas-smith\\Garage",
     "kernel: CIFS: Attempting to mount \\\\[hostname]\\[share]"),
    # --- nfs-utils mount.nfs: "access denied by server while mounting %s"
    ("mount.nfs: access denied by server while mounting 192.168.1.10:/volume1/Garage",
     "mount.nfs: access denied by server while mounting [ip]:/volume1/[share]"),
    ("Can't mount //nas-smith/Garage: mount error(13): Permission denied",
     "Can't mount //[hostname]/[share]: mount error(13): Permission denied"),
    # --- udisks2: "Mounted %s at %s on behalf of uid %u" (the path unquoted)
    ("udisksd[500]: Mounted /dev/sda1 at /run/media/root/Jean Photos on behalf of uid 0",
     "udisksd[500]: Mounted /dev/sda1 at /run/media/root/[path-user] on behalf of uid 0"),
    ("udisksd[500]: Error mounting /dev/sda1 at /mnt/data/supervisor/media/Jean_Photos: x",
     "udisksd[500]: Error mounting /dev/sda1 at /mnt/data/supervisor/media/[path-user]: x"),
    # an ANSI colour code right after a path ends its segment (hypothesis found the by-id
    # serial kept and the colour code eaten)
    ("/dev/serial/by-id/usb-ITEAD_SONOFF_Zigbee_3.0_USB_Dongle_Plus_AA000000-if00-port0"
     "\x1b[32mup\x1b[0m",
     "/dev/serial/by-id/usb-ITEAD_SONOFF_Zigbee_3.0_USB_Dongle_Plus_[serial]-if00-port0"
     "\x1b[32mup\x1b[0m"),
    # --- NetworkManager: dhcp "option %-20s => '%s'", policy "set '%s' (%s) as default for
    # IPv%c routing and DNS", "set-hostname: set hostname to '%s' (%s)", audit lines,
    # "roamed from BSSID %s (%s) to %s (%s)" (before 1.2)
    ("dhcp4 (eth0): option domain_name          => 'smithnet'",
     "dhcp4 (eth0): option domain_name          => '[hostname]'"),
    ("dhcp4 (eth0): option domain_search        => 'smithnet home.smithnet'",
     "dhcp4 (eth0): option domain_search        => '[hostname]'"),
    ("dhcp4 (eth0): option host_name            => 'kitchen-pi'",
     "dhcp4 (eth0): option host_name            => '[hostname]'"),
    ("dhcp6 (eth0): option dhcp6_domain_search  => 'smithnet.'",
     "dhcp6 (eth0): option dhcp6_domain_search  => '[hostname]'"),
    ("dhcp4 (eth0): option ip_address           => '192.168.1.23'",
     "dhcp4 (eth0): option ip_address           => '[ip]'"),
    ("policy: set 'Smith Family WiFi' (wlan0) as default for IPv4 routing and DNS",
     "policy: set '[ssid]' (wlan0) as default for IPv4 routing and DNS"),
    ("policy: set-hostname: set hostname to 'kitchen-pi' (from DHCPv4)",
     "policy: set-hostname: set hostname to '[hostname]' (from DHCPv4)"),
    ('audit: op="connection-add" uuid="5b1c6f8a-9a7e-4f43-8c6f-2c1b6c3e2d1a" '
     'name="Smith Family WiFi" pid=1 uid=0 result="success"',
     'audit: op="connection-add" uuid="[uuid]" name="[ssid]" pid=1 uid=0 result="success"'),
    (f"(wlan0): roamed from BSSID {MAC} (Smith Family WiFi) to (none) ((none))",
     "(wlan0): roamed from BSSID [mac] ([ssid]) to (none) ((none))"),
    # --- wpa_supplicant: "SME: Trying to authenticate with %s (SSID='%s' freq=%d MHz)"
    (f"wlan0: SME: Trying to authenticate with {MAC} (SSID='Smith Family WiFi' freq=2437 MHz)",
     "wlan0: SME: Trying to authenticate with [mac] (SSID='[ssid]' freq=2437 MHz)"),
    # --- aiohttp / yarl: ClientResponseError's "url=URL('...')" with a query
    ("400, message='Bad Request', url=URL('https://api.weather.example/data?lat=52.3731&"
     "lon=4.8922&appid=0f1e2d3c4b5a69788796a5b4c3d2e1f0a')",
     "400, message='Bad Request', url=URL('https://[hostname]/data?lat=[geo]&lon=[geo]&"
     "appid=[filtered]')"),
    ("Max retries exceeded with url: /maps/api?key=AbCdEf123456&sig=xyz",
     "Max retries exceeded with url: /maps/api?key=[filtered]&sig=[filtered]"),
    # a GitHub token as URL userinfo (the Supervisor's store, git)
    ("Can't clone https://jean:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x/y",
     "Can't clone https://[auth]@github.com/x/y"),
    # --- Zigbee: ZHA ("ieee=%s"), Zigbee2MQTT ("Device '%s' joined"): EUI-64 addresses
    ("Device 00:12:4b:00:1c:a1:b2:c3 left the network; ieee=00:12:4b:00:1c:a1:b2:c3 nwk=0x1a2b",
     "Device [mac] left the network; ieee=[mac] nwk=0x1a2b"),
    ("zigbee2mqtt: Device '0x00124b001ca1b2c3' joined", "zigbee2mqtt: Device '[mac]' joined"),
    # --- DNS-SD names (zeroconf, avahi): instance._service._proto.local.
    ("Discovered 'Living Room speaker._googlecast._tcp.local.' at 192.168.1.60",
     "Discovered '[hostname]._googlecast._tcp.local.' at [ip]"),
    ("name=Jean's MacBook Pro._airplay._tcp.local., type=_airplay._tcp.local.",
     "name=[hostname]._airplay._tcp.local., type=_airplay._tcp.local."),
    # --- phone numbers (notify integrations, SMS gateways) and coordinates in DMS
    ("SMS to +49 170 1234567 failed; call +1 (555) 123-4567; tel:+4930123456",
     "SMS to [phone] failed; call [phone]; tel:[phone]"),
    ("Location: 52\u00b022'23.4\"N 4\u00b053'31.9\"E", "Location: [geo] [geo]"),
    # --- Python's ssl.CertificateError: "hostname %r doesn't match %r"
    ("hostname 'ha.smith-family.de' doesn't match 'smithhome'",
     "hostname '[hostname]' doesn't match '[hostname]'"),
    # --- avahi-daemon: "Host name conflict, retrying with %s"
    ("avahi-daemon[300]: Host name conflict, retrying with kitchen-pi-2",
     "avahi-daemon[300]: Host name conflict, retrying with [hostname]"),
    # --- the Supervisor's /info and /host/info, hostnamed's D-Bus properties as JSON
    ('{"hostname": "kitchen-pi", "llmnr_hostname": "kitchen-pi", "domain": "light"}',
     '{"hostname": "[hostname]", "llmnr_hostname": "[hostname]", "domain": "light"}'),
    ("hostname=kitchen-pi fqdn=kitchen-pi.smithnet", "hostname=[hostname] fqdn=[hostname]"),
    # --- an app's options and the Supervisor's auth payloads as JSON or a Python dict: a
    # phrase's keyword ("username 'X'") quoted as a key names no phrase, the value is the key's
    ('{"username": "jean", "password": "c0rrect horse"}',
     '{"username": "[user]", "password": "[filtered]"}'),
    ("{'username': 'jean', 'the user': 'jean'}", "{'username': '[user]', 'the user': '[user]'}"),
    ('{"username": "admin", "ssl": true}', '{"username": "admin", "ssl": true}'),
    # --- udev properties and serials written "serial no."
    ("ID_SERIAL_SHORT=S3Z2NB0K123456X", "ID_SERIAL_SHORT=[serial]"),
    ("modem serial no. R58N12ABCDE", "modem serial no. [serial]"),
    # --- some devices print IPv4 zero-padded
    ("client 192.168.001.023 refused", "client [ip] refused"),
    # --- secrets in a URL's path: Telegram bot tokens, Discord/Slack webhooks, HA webhooks
    ("POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
     "POST https://api.telegram.org/bot[token]/sendMessage"),
    ("https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyzABCDEF-01",
     "https://discord.com/api/webhooks/123456789012345678/[token]"),
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "https://hooks.slack.com/services/[token]"),
    ("Received message for unregistered webhook /api/webhook/jean-presence from 10.0.0.9",
     "Received message for unregistered webhook /api/webhook/[token] from [ip]"),
    # --- the host in journal prefixes: the Supervisor's verbose logs
    # ("%Y-%m-%d %H:%M:%S.%f <_HOSTNAME> <SYSLOG_IDENTIFIER>[<_PID>]: ..."), journalctl's
    # short and short-iso output, pasted into `crash-reporter scan` or an issue
    ("2026-12-04 18:00:00.123 kitchen-pi hassio_supervisor[123]: Starting",
     "2026-12-04 18:00:00.123 [hostname] hassio_supervisor[123]: Starting"),
    ("x\nDec  4 18:00:00 smithpi NetworkManager[456]: <info>  [1733300000.1234] manager: up",
     "x\nDec  4 18:00:00 [hostname] NetworkManager[456]: <info>  [1733300000.1234] manager: up"),
    ("2026-12-04T18:00:00+0100 smithpi kernel: usb 1-1: new device",
     "2026-12-04T18:00:00+0100 [hostname] kernel: usb 1-1: new device"),
    # a dotted name with a dash before a port, without any known top-level domain
    ("Unable to connect to the MQTT broker living-room.smithnet:1883",
     "Unable to connect to the MQTT broker [hostname]:1883"),
    # --- OpenSSH sshd: "Accepted %s for %s from %s port %d ssh2: %s %s" (key type and
    # sshkey_fingerprint: "SHA256:" + base64, or "MD5:" + hex pairs with FingerprintHash md5)
    ("sshd[900]: Accepted publickey for root from 192.168.1.30 port 51234 ssh2: ED25519 "
     "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
     "sshd[900]: Accepted publickey for root from [ip] port 51234 ssh2: ED25519 "
     "SHA256:[fingerprint]"),
    ("sshd[900]: Accepted publickey for root from 192.168.1.30 port 51234 ssh2: RSA "
     "MD5:9d:38:5b:83:a9:17:52:92:56:1a:5e:c4:d4:81:8e:0a",
     "sshd[900]: Accepted publickey for root from [ip] port 51234 ssh2: RSA MD5:[fingerprint]"),
    # sshd's other methods and its closing lines: "Failed %s for %s from ..." (auth.c),
    # "Connection closed by authenticating user %s %s port %d", "Disconnected from user %s"
    ("sshd[900]: Failed publickey for jean from 192.168.1.30 port 51234 ssh2",
     "sshd[900]: Failed publickey for [user] from [ip] port 51234 ssh2"),
    ("sshd[900]: Postponed publickey for jean from 192.168.1.30 port 51234 ssh2 [preauth]",
     "sshd[900]: Postponed publickey for [user] from [ip] port 51234 ssh2 [preauth]"),
    ("sshd[900]: Failed none for jean from 192.168.1.30 port 51234 ssh2",
     "sshd[900]: Failed none for [user] from [ip] port 51234 ssh2"),
    ("sshd[900]: Connection closed by authenticating user jean 192.168.1.30 port 51234 "
     "[preauth]",
     "sshd[900]: Connection closed by authenticating user [user] [ip] port 51234 [preauth]"),
    ("sshd[900]: Disconnected from user jean 192.168.1.30 port 51234",
     "sshd[900]: Disconnected from user [user] [ip] port 51234"),
    # --- sudo's prompt; ssh's "Warning: Permanently added '%.200s' (%s) to the list of known
    # hosts."
    ("[sudo] password for jean:", "[sudo] password for [user]:"),
    ("Warning: Permanently added 'kitchen-pi' (ED25519) to the list of known hosts.",
     "Warning: Permanently added '[hostname]' (ED25519) to the list of known hosts."),
    # --- OpenSSH ssh (client, -v): "Server host key: %s %s", "%s key fingerprint is %s.",
    # ssh-keygen -l: "%u %s %s (%s)" (bits, fingerprint, comment: user@host, type)
    ("debug1: Server host key: ssh-ed25519 SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
     "debug1: Server host key: ssh-ed25519 SHA256:[fingerprint]"),
    ("debug1: Offering public key: jean@jeans-laptop ED25519 SHA256:uNiVztksCsDhcc0u9e8BujQXVUp"
     "KZIDTMczCvj3tD2s agent",
     "debug1: Offering public key: [user] ED25519 SHA256:[fingerprint] agent"),
    ("ED25519 key fingerprint is SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s.",
     "ED25519 key fingerprint is SHA256:[fingerprint]."),
    ("256 SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s jean@jeans-laptop (ED25519)",
     "256 SHA256:[fingerprint] [user] (ED25519)"),
    # an authorized_keys line an SSH app rejects, with its comment
    ("Invalid key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9"
     "GKJl jean@jeans-laptop",
     "Invalid key: ssh-ed25519 [public-key] [user]"),
    ("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxk"
     "ZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
     "ecdsa-sha2-nistp256 [public-key]"),
    # --- Dropbear (before 2020): "Pubkey auth succeeded for '%s' with key %s from %s"
    ("Pubkey auth succeeded for 'root' with key md5 9d:38:5b:83:a9:17:52:92:56:1a:5e:c4:d4:81:"
     "8e:0a from 192.168.1.30:51234",
     "Pubkey auth succeeded for 'root' with key md5 [fingerprint] from [ip]:51234"),
    # --- OpenSSL x509 -fingerprint: a certificate's SHA-1 as 20 hex pairs
    ("SHA1 Fingerprint=9D:38:5B:83:A9:17:52:92:56:1A:5E:C4:D4:81:8E:0A:11:22:33:44",
     "SHA1 Fingerprint=[fingerprint]"),
    # --- Shelly (HA's shelly integration; Gen2 ids "<model>-<mac>", Gen1 "<model>-<MAC>" or
    # its last 3 bytes)
    ("Setting up shellyplus1pm-a8032ab12345", "Setting up shellyplus1pm-[mac]"),
    ("device shellyplus1pm-A8032AB12345 went offline", "device shellyplus1pm-[mac] went offline"),
    ("Error fetching shelly1-B929CC data: timeout", "Error fetching shelly1-[mac] data: timeout"),
    # --- ESP8266 / ESP-IDF default host names, ESPHome's name_add_mac_suffix
    ("Connecting to ESP-3C2EFF4A5B6C", "Connecting to ESP-[mac]"),
    ("DHCP lease for ESP_4A5B6C renewed", "DHCP lease for ESP_[mac] renewed"),
    ("Can't connect to ESPHome API for esphome-web-3c2eff: timeout",
     "Can't connect to ESPHome API for esphome-web-[mac]: timeout"),
    ("home-assistant-voice-09a1b2 @ 192.168.1.50: Connection error occurred",
     "home-assistant-voice-[mac] @ [ip]: Connection error occurred"),
    ("sensor.esp32_bluetooth_proxy_4a5b6c_wifi_signal is unavailable",
     "sensor.esp32_bluetooth_proxy_[mac]_wifi_signal is unavailable"),
    # --- Sonos: zeroconf names "Sonos-<MAC>", player ids "RINCON_<MAC><port>"
    ("Found Sonos-B8E9374A5B6C", "Found Sonos-[mac]"),
    ("Subscription to RINCON_B8E9374A5B6C01400 failed", "Subscription to RINCON_[mac] failed"),
    # --- Tasmota: topic "tasmota_%06X", host name "tasmota-%06X-%04d"
    ("Discovered tasmota_4A5B6C-1234 at 192.168.1.70", "Discovered tasmota_[mac]-1234 at [ip]"),
    # --- Hue: the bridge id is an EUI-64 made from its MAC; mDNS "Philips Hue - XXXXXX"
    ("Philips hue bridge 001788fffe4a5b6c", "Philips hue bridge [mac]"),
    ("Bridge 001788FFFE4A5B6C unavailable", "Bridge [mac] unavailable"),
    ("Hue Bridge - 4A5B6C", "Hue Bridge - [mac]"),
    # --- Zigbee2MQTT: a device without a friendly name is its IEEE address in MQTT topics
    ("MQTT publish: topic 'zigbee2mqtt/0x00124b001ca1b2c3/set', payload '{\"state\":\"ON\"}'",
     "MQTT publish: topic 'zigbee2mqtt/[mac]/set', payload '{\"state\":\"ON\"}'"),
    # Zigbee2MQTT's unique ids for Home Assistant's MQTT discovery, and its own log lines
    ("Unique id 0x00124b001ca1b2c3_temperature_zigbee2mqtt already exists",
     "Unique id [mac]_temperature_zigbee2mqtt already exists"),
    ("Zigbee2MQTT:info  2026-12-04 18:00:00: Device 0x00124b001ca1b2c3 left the network",
     "Zigbee2MQTT:info  2026-12-04 18:00:00: Device [mac] left the network"),
    # --- the ATC/pvvx firmware of Xiaomi thermometers (BTHome): "ATC_" + the MAC's last 3 bytes
    ("BTHome device ATC_4A5B6C found", "BTHome device ATC_[mac] found"),
    # --- systemd/udev: predictable interface names from a MAC (USB and Wi-Fi adapters)
    ("eth1: renamed from enx3c2eff4a5b6c", "eth1: renamed from enx[mac]"),
    # --- paho-mqtt / HA's MQTT integration / aiomqtt: the broker without a public domain
    ("Error connecting to mqtt.smithnet:1883", "Error connecting to [hostname]:1883"),
    ("Connection to broker mqtt.smithnet:1883 failed",
     "Connection to broker [hostname]:1883 failed"),
    ("Failed to connect to MQTT broker at mqtt.smithnet:1883",
     "Failed to connect to MQTT broker at [hostname]:1883"),
    ("Disconnected from MQTT server mqtt.smithnet:1883 (7)",
     "Disconnected from MQTT server [hostname]:1883 (7)"),
    ("Unable to connect to smithnas:445", "Unable to connect to [hostname]:445"),
    # --- Mosquitto: "Connecting bridge %s (%s:%d)"
    ("Connecting bridge cloud (mqtt.smithnet:1883)", "Connecting bridge cloud ([hostname]:1883)"),
    # --- asyncio's sock_connect: "Connect call failed %s" with the address tuple
    ("OSError: Multiple exceptions: [Errno 111] Connect call failed ('smithnas', 445)",
     "OSError: Multiple exceptions: [Errno 111] Connect call failed ('[hostname]', 445)"),
    ("OSError: [Errno 113] Connect call failed ('mqtt.smithnet', 1883)",
     "OSError: [Errno 113] Connect call failed ('[hostname]', 1883)"),
    # --- TLS name checks: Python's ssl, Go's crypto/x509 ("x509: certificate is valid for %s,
    # not %s", "... is not valid for any names, but wanted to match %s")
    ("certificate verify failed: Hostname mismatch, certificate is not valid for "
     "'mqtt.smithnet'. (_ssl.c:1006)",
     "certificate verify failed: Hostname mismatch, certificate is not valid for "
     "'[hostname]'. (_ssl.c:1006)"),
    ("tls: failed to verify certificate: x509: certificate is valid for kitchen-pi, "
     "*.smithnet, 192.168.1.5, not mqtt.smithnet",
     "tls: failed to verify certificate: x509: certificate is valid for [hostname], "
     "[hostname], [ip], not [hostname]"),
    ("x509: certificate is not valid for any names, but wanted to match mqtt.smithnet",
     "x509: certificate is not valid for any names, but wanted to match [hostname]"),
    # --- Mosquitto: "New client connected from %s:%d as %s (p%d, c%d, k%d, u'%s')." (the
    # client id of a Tasmota device is "DVES_" and its MAC's last 3 bytes)
    ("New client connected from 192.168.1.5:51234 as DVES_4A5B6C (p2, c1, k30, u'jeansmith').",
     "New client connected from [ip]:51234 as DVES_[mac] (p2, c1, k30, u'[user]')."),
    # --- Node (Zigbee2MQTT, Node-RED): resolver errors
    ("MQTT error: getaddrinfo ENOTFOUND mqtt.smithnet",
     "MQTT error: getaddrinfo ENOTFOUND [hostname]"),
    ("Error: getaddrinfo EAI_AGAIN smithnas", "Error: getaddrinfo EAI_AGAIN [hostname]"),
    # --- OpenSSH sshd, certificates (auth2-pubkey.c): "Accepted certificate ID \"%s\" (serial
    # %llu) signed by %s CA %s via %s", and format_key's "%s %s ID %s (serial %llu) CA %s %s"
    # after "Accepted publickey for ..."; the key id is by convention its owner's user@host
    ('sshd[900]: Accepted certificate ID "jean@laptop" (serial 1) signed by ED25519 CA '
     "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s via /etc/ssh/ca.pub",
     'sshd[900]: Accepted certificate ID "[user]" (serial 1) signed by ED25519 CA '
     "SHA256:[fingerprint] via /etc/ssh/ca.pub"),
    ("sshd[900]: Accepted publickey for root from 192.168.1.30 port 51234 ssh2: ED25519-CERT "
     "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s ID jean@laptop (serial 1) CA ED25519 "
     "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
     "sshd[900]: Accepted publickey for root from [ip] port 51234 ssh2: ED25519-CERT "
     "SHA256:[fingerprint] ID [user] (serial 1) CA ED25519 SHA256:[fingerprint]"),
    # sshd (auth.c, session.c, auth-pam.c): "User %s from %s not allowed because %s",
    # "Authentication tried for %s with correct key but not from a permitted host", "maximum
    # authentication attempts exceeded for %s from", "Starting session: %s for %s from %s",
    # "Close session: user %s from", "PAM: %s for %s%s from %s"
    ("sshd[900]: User jean from 192.168.1.30 not allowed because not listed in AllowUsers",
     "sshd[900]: User [user] from [ip] not allowed because not listed in AllowUsers"),
    ("sshd[900]: User jean not allowed because account is locked",
     "sshd[900]: User [user] not allowed because account is locked"),
    ("sshd[900]: Authentication tried for jean with correct key but not from a permitted host "
     "(host=192.168.1.30, ip=192.168.1.30).",
     "sshd[900]: Authentication tried for [user] with correct key but not from a permitted host "
     "(host=[ip], ip=[ip])."),
    ("sshd[900]: error: maximum authentication attempts exceeded for jean from 192.168.1.30 port "
     "51234 ssh2 [preauth]",
     "sshd[900]: error: maximum authentication attempts exceeded for [user] from [ip] port "
     "51234 ssh2 [preauth]"),
    ("sshd[900]: Starting session: shell on pts/0 for jean from 192.168.1.30 port 51234 id 0",
     "sshd[900]: Starting session: shell on pts/0 for [user] from [ip] port 51234 id 0"),
    ("sshd[900]: Close session: user jean from 192.168.1.30 port 51234 id 0",
     "sshd[900]: Close session: user [user] from [ip] port 51234 id 0"),
    # session.c "subsystem request for %.100s by user %s" (the SFTP a backup app opens)
    ("sshd[900]: subsystem request for sftp by user jean",
     "sshd[900]: subsystem request for sftp by user [user]"),
    ("sshd[900]: subsystem request for sftp by user jean failed, subsystem not found",
     "sshd[900]: subsystem request for sftp by user [user] failed, subsystem not found"),
    ("sshd[900]: PAM: Authentication failure for illegal user jsmith from 192.168.1.30",
     "sshd[900]: PAM: Authentication failure for illegal user [user] from [ip]"),
    # --- sudo (lib/eventlog): "%8s : %s ; TTY=%s ; PWD=%s ; USER=%s ; COMMAND=%s" - the user
    # first, then a reason or the first key (PWD=, the working directory, is a path: a user's
    # folder in it is the path rule's)
    ("sudo:     jean : TTY=pts/0 ; PWD=/home/jean ; USER=root ; COMMAND=/usr/bin/ha core restart",
     "sudo:     [user] : TTY=pts/0 ; PWD=/home/[path-user] ; USER=root ; "
     "COMMAND=/usr/bin/ha core restart"),
    ("sudo: jean : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/jean ; USER=root ; "
     "COMMAND=/usr/bin/ls",
     "sudo: [user] : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/[path-user] ; "
     "USER=root ; COMMAND=/usr/bin/ls"),
    ("sudo[1200]:     jean : user NOT in sudoers ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh",
     "sudo[1200]:     [user] : user NOT in sudoers ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh"),
    ("sudo: jean is not in the sudoers file.  This incident will be reported.",
     "sudo: [user] is not in the sudoers file.  This incident will be reported."),
    ("sudo:     root : TTY=pts/0 ; PWD=/root ; USER=jean ; COMMAND=/bin/sh",
     "sudo:     root : TTY=pts/0 ; PWD=/root ; USER=[user] ; COMMAND=/bin/sh"),
    # --- Linux-PAM pam_unix: "session opened for user %s(uid=%d) by %s(uid=%d)",
    # "authentication failure; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s user=%s",
    # "auth could not identify password for [%s]"
    ("pam_unix(sudo:session): session opened for user root(uid=0) by jean(uid=1000)",
     "pam_unix(sudo:session): session opened for user root(uid=0) by [user](uid=1000)"),
    ("pam_unix(sudo:auth): authentication failure; logname=jean uid=1000 euid=0 tty=/dev/pts/0 "
     "ruser=jean rhost=  user=jean",
     "pam_unix(sudo:auth): authentication failure; logname=[user] uid=1000 euid=0 "
     "tty=/dev/pts/0 ruser=[user] rhost=  user=[user]"),
    ("pam_unix(sudo:auth): auth could not identify password for [jean]",
     "pam_unix(sudo:auth): auth could not identify password for [[user]]"),
    # --- util-linux su: "(to %s) %s on %s"; login: "LOGIN ON %s BY %s", "FAILED LOGIN %u FROM
    # %s FOR %s, %s"
    ("su[400]: (to root) jean on pts/0", "su[400]: (to root) [user] on pts/0"),
    ("su[400]: FAILED SU (to root) jean on pts/0", "su[400]: FAILED SU (to root) [user] on pts/0"),
    ("login[300]: LOGIN ON tty1 BY jean", "login[300]: LOGIN ON tty1 BY [user]"),
    ("login[300]: FAILED LOGIN 1 FROM tty1 FOR jean, Authentication failure",
     "login[300]: FAILED LOGIN 1 FROM tty1 FOR [user], Authentication failure"),
    # --- OpenSSH ssh (the client, as backup and git apps log it): "%s@%s: Permission denied
    # (%s).", "%.30s@%.128s's password: ", "Authenticated to %s ([%s]:%d) using \"%s\".",
    # "Connecting to %.200s [%.100s] port %s."
    ("jean@kitchen-pi: Permission denied (publickey,password).",
     "[user]@[hostname]: Permission denied (publickey,password)."),
    ("jsmith@backup-pi's password:", "[user]@[hostname]'s password:"),
    ('Authenticated to kitchen-pi ([192.168.1.5]:22) using "publickey".',
     'Authenticated to [hostname] ([[ip]]:22) using "publickey".'),
    ("debug1: Connecting to kitchen-pi [192.168.1.5] port 22.",
     "debug1: Connecting to [hostname] [[ip]] port 22."),
    # --- Samba (the Samba share app): auth/auth_log.c "Auth: [%s,%s] user [%s]\\[%s] at [%s]
    # with [%s] status [%s] workstation [%s] remote host [%s] mapped to [%s]\\[%s]." (from
    # " user": the key-value rule takes what follows "Auth:" today), smbd/service.c "%s (%s)
    # connect to service %s initially as user %s (uid=%d, gid=%d)"
    ("user [JEANS-LAPTOP]\\[jean] at [Fri, 04 Dec 2026 18:00:00.123456 CET] with [NTLMv2] "
     "status [NT_STATUS_WRONG_PASSWORD] workstation [JEANS-LAPTOP] remote host "
     "[ipv4:192.168.1.30:51234] mapped to [JEANS-LAPTOP]\\[jean].",
     "user [[hostname]]\\[[user]] at [Fri, 04 Dec 2026 18:00:00.123456 CET] with [NTLMv2] "
     "status [NT_STATUS_WRONG_PASSWORD] workstation [[hostname]] remote host "
     "[ipv4:[ip]:51234] mapped to [[hostname]]\\[[user]]."),
    ("  jeans-laptop (ipv4:192.168.1.30:51234) connect to service share initially as user jean "
     "(uid=1000, gid=1000) (pid 123)",
     "  [hostname] (ipv4:[ip]:51234) connect to service share initially as user [user] "
     "(uid=1000, gid=1000) (pid 123)"),
    # smbd (source3/auth/auth.c, DEBUG level 2): "check_ntlm_password:  Authentication for user
    # [%s] -> [%s] FAILED with error %s", "%sauthentication for user [%s] -> [%s] -> [%s]
    # succeeded" - the name the client gave, the account, the Unix user; the function's name
    # ("check_ntlm_password:") is no password's key
    ("  check_ntlm_password:  Authentication for user [jean] -> [jean] FAILED with error "
     "NT_STATUS_WRONG_PASSWORD, authoritative=1",
     "  check_ntlm_password:  Authentication for user [[user]] -> [[user]] FAILED with error "
     "NT_STATUS_WRONG_PASSWORD, authoritative=1"),
    ("  check_ntlm_password:  authentication for user [jean] -> [jean] -> [jean] succeeded",
     "  check_ntlm_password:  authentication for user [[user]] -> [[user]] -> [[user]] "
     "succeeded"),
    # --- Home Assistant (http/ban.py): "Login attempt or request with invalid authentication
    # from %s (%s). Requested URL: '%s'. (%s)" - the client's reverse-DNS name, its address
    ("Login attempt or request with invalid authentication from kitchen-tablet (192.168.1.21). "
     "Requested URL: '/api/states'. (Mozilla/5.0)",
     "Login attempt or request with invalid authentication from [hostname] ([ip]). "
     "Requested URL: '/api/states'. (Mozilla/5.0)"),
    ("Login attempt or request with invalid authentication from fe80::1c2d:3eff:fe4a:5b6c "
     "(fe80::1c2d:3eff:fe4a:5b6c).",
     "Login attempt or request with invalid authentication from [ip] ([ip])."),
    # --- device names after their owner (iOS, iPadOS, macOS defaults "%s's iPhone", macOS's
    # typographic apostrophe; German "iPhone von %s", French and Spanish "iPhone de %s"), as
    # HA's bluetooth, mobile_app and device trackers log them: the model stays
    ('Found device "Jean\'s iPhone" at 192.168.1.20', 'Found device "[device]" at [ip]'),
    ("BluetoothServiceInfoBleak(name='Jean\'s AirPods Pro', address='3C:2E:FF:4A:5B:6C')",
     "BluetoothServiceInfoBleak(name='[user]\'s AirPods Pro', address='[mac]')"),
    ('name "Jean\'s Phone"', 'name "[user]\'s Phone"'),
    ("Jean\u2019s MacBook Pro went offline", "[user]\u2019s MacBook Pro went offline"),
    ("Registering device James' iPad", "Registering device [user]' iPad"),
    # Swedish, Danish and Norwegian iOS: "%ss iPhone", where it stands as a value
    ('<BluetoothServiceInfoBleak name="Jeans iPhone" address=3C:2E:FF:4A:5B:6C>',
     '<BluetoothServiceInfoBleak name="[user] iPhone" address=[mac]>'),
    ("Device: Jeans iPad", "Device: [user] iPad"),
    # Alexa's default names ("%s's Echo Dot"), a Windows laptop renamed after its owner
    ("alexa_media: Jean's Echo Dot is offline", "alexa_media: [user]'s Echo Dot is offline"),
    ("Ping to Jeans-Laptop timed out", "Ping to [hostname] timed out"),
    ("Received location update from iPhone von Jean", "Received location update from iPhone von "
     "[user]"),
    ("Device iPad de Jean is not home", "Device iPad de [user] is not home"),
    # ... and at the end of a quoted value (bleak's "BLEDevice(..., name='iPhone von Jean')")
    ("name='iPhone von Jean', rssi=-60", "name='iPhone von [user]', rssi=-60"),
    # ... and the host names phones and Macs derive from them (DHCP option 12, mDNS), without
    # a domain; Android's "android-<Android id>", Windows' "DESKTOP-<7 random>"
    ("Ping to Jeans-iPhone timed out", "Ping to [hostname] timed out"),
    # an owner of two or more names, or with an "O'", is removed whole
    ("Setting up Mary Ann\u2019s AirPods", "Setting up [user]\u2019s AirPods"),
    ("bluetooth: Jean Smith's iPhone (3C:2E:FF:4A:5B:6C) is unavailable",
     "bluetooth: [user]'s iPhone ([mac]) is unavailable"),
    ("name='Siobhan O'Brien's iPad'", "name='[user]'s iPad'"),
    ("New device Jeans-MBP seen on eth0", "New device [hostname] seen on eth0"),
    ("iPhone-von-Jean is now home", "[hostname] is now home"),
    ("Jeans-MacBook-Pro.local: no route", "[hostname]: no route"),
    ("Fritz!Box: iPhone-von-jean connected", "Fritz!Box: [hostname] connected"),
    # ... and the entity ids Home Assistant makes from them (the mobile app's sensors: slugs of
    # "Jean's iPhone"), the owner only
    ("sensor.jean_s_iphone_battery_level is unavailable",
     "sensor.[user]_s_iphone_battery_level is unavailable"),
    ("device_tracker.jeans_iphone not_home; sensor.iphone_von_jean_battery_state",
     "device_tracker.[user]_iphone not_home; sensor.iphone_von_[user]_battery_state"),
    # the mobile app's notify service, "notify.mobile_app_<slug of the device's name>"
    ("Unable to find service notify.mobile_app_jean_s_iphone",
     "Unable to find service notify.mobile_app_[user]_s_iphone"),
    ("notify.mobile_app_jean_s_phone failed; sensor.jean_s_pixel_7_battery_level",
     "notify.mobile_app_[user]_s_phone failed; sensor.[user]_s_pixel_7_battery_level"),
    # --- Home Assistant's person entities, named after the person ("person.%s", State's repr)
    ("<state person.jean=home; user_id=abc, friendly_name=Jean @ 2026-12-04T18:00:00+01:00>",
     "<state person.[user]=home; user_id=abc, friendly_name=[device] @ "
     "2026-12-04T18:00:00+01:00>"),
    ("Entity person.jean_smith is unavailable", "Entity person.[user] is unavailable"),
    ("device_tracker: android-1a2b3c4d5e6f7a8b not seen", "device_tracker: android-[id] not seen"),
    ("nmap found DESKTOP-7H2K9QF", "nmap found DESKTOP-[hostname]"),
    # --- Zigbee2MQTT (lib/zigbee.ts, lib/model/device.ts, lib/extension/*.ts, lib/mqtt.ts): a
    # device's friendly name as its users chose it, in its own lines and its MQTT topics
    ("MQTT publish: topic 'zigbee2mqtt/Jean Bedroom Lamp/set', payload '{\"state\":\"ON\"}'",
     "MQTT publish: topic 'zigbee2mqtt/[device]/set', payload '{\"state\":\"ON\"}'"),
    ("Received MQTT message on 'zigbee2mqtt/Jean Bedroom Lamp/set' with data '{\"state\":1}'",
     "Received MQTT message on 'zigbee2mqtt/[device]/set' with data '{\"state\":1}'"),
    ("Zigbee2MQTT:info  2026-12-04 18:00:00: Device 'Jean Bedroom Lamp' joined",
     "Zigbee2MQTT:info  2026-12-04 18:00:00: Device '[device]' joined"),
    ("Successfully interviewed 'Jean Bedroom Lamp', device has successfully been paired",
     "Successfully interviewed '[device]', device has successfully been paired"),
    ("Failed to interview 'Jean Bedroom Lamp', device has not successfully been paired",
     "Failed to interview '[device]', device has not successfully been paired"),
    ("Starting interview of 'Jean Bedroom Lamp'", "Starting interview of '[device]'"),
    ("z2m: Device 'Jean's Lamp' left the network", "z2m: Device '[device]' left the network"),
    ("Failed to ping 'Jean Bedroom Lamp' (attempt 1/2, Delivery failed)",
     "Failed to ping '[device]' (attempt 1/2, Delivery failed)"),
    ("Successfully configured 'Jean Bedroom Lamp' (definition v2)",
     "Successfully configured '[device]' (definition v2)"),
    ("z2m: Publish 'set' 'state' to 'Jean Bedroom Lamp' failed: 'Error: ZCL command failed'",
     "z2m: Publish 'set' 'state' to '[device]' failed: 'Error: ZCL command failed'"),
    ("Adding endpoint '1' of device 'Jean Bedroom Lamp' to group 'Jean Bedroom'",
     "Adding endpoint '1' of device '[device]' to group '[device]'"),
    ("Failed to read state of 'Jean Bedroom Lamp' after reconnect (timeout)",
     "Failed to read state of '[device]' after reconnect (timeout)"),
    # --- Home Assistant Core: a State's repr and Zigbee2MQTT's payloads name the device
    ("<state light.bedroom=on; friendly_name=Jean Bedroom Lamp, supported_features=44 @ "
     "2026-12-04T18:00:00+01:00>",
     "<state light.bedroom=on; friendly_name=[device], supported_features=44 @ "
     "2026-12-04T18:00:00+01:00>"),
    # the mobile app's registration (mobile_app: device_name, beside its model)
    ('{"device_name": "Jean\'s iPhone", "app_id": "io.robbie.HomeAssistant", "model": '
     '"iPhone15,2"}',
     '{"device_name": "[device]", "app_id": "io.robbie.HomeAssistant", "model": "iPhone15,2"}'),
    ('{"friendly_name": "Jean Bedroom Lamp", "ieee_address": "0x00124b001ca1b2c3"}',
     '{"friendly_name": "[device]", "ieee_address": "[mac]"}'),
    # --- OwnTracks: the topic "owntracks/%u/%d" (its user and device), as Home Assistant's
    # mqtt integration logs it
    ("Received message on owntracks/jean/iphone (qos=1): b'{\"_type\":\"location\"}'",
     "Received message on owntracks/[user]/[device] (qos=1): b'{\"_type\":\"location\"}'"),
    ("Subscribing to owntracks/jean/iphone/event",
     "Subscribing to owntracks/[user]/[device]/event"),
    # --- Home Assistant's cast integration ("[%s %s (%s:%s)] Cast device availability changed:
    # %s": entity id, friendly name, host, port) and pychromecast ("[%s(%s):%s] Failed to
    # connect to service %s, retrying in %.1fs": friendly name, host, port)
    ("[media_player.bedroom_speaker Jean Bedroom speaker (192.168.1.60:8009)] Cast device "
     "availability changed: CONNECTED",
     "[media_player.bedroom_speaker [device] ([ip]:8009)] Cast device availability changed: "
     "CONNECTED"),
    ("[Jean Bedroom speaker(192.168.1.60):8009] Connection reestablished!",
     "[[device]([ip]):8009] Connection reestablished!"),
    # --- avahi-daemon: 'Service "%s" (%s) successfully established.', 'Service name conflict
    # for "%s" (%s), retrying with "%s".'
    ('avahi-daemon[300]: Service "Jean Smith NAS" (/services/smb.service) successfully '
     "established.",
     'avahi-daemon[300]: Service "[device]" (/services/smb.service) successfully established.'),
    ('avahi-daemon[300]: Service name conflict for "Jean Smith NAS" (/services/smb.service), '
     'retrying with "Jean Smith NAS #2".',
     'avahi-daemon[300]: Service name conflict for "[device]" (/services/smb.service), '
     'retrying with "[device]".'),
    # --- dnsmasq (rfc2131.c log_packet "%s(%s) %s %s %s"): the client's host name after its
    # address and MAC; DHCPv6 "DHCPREPLY(%s) %s %s %s" (with the client's DUID); its DNS log
    # ("query[%s] %s from %s", "reply %s is %s"); "not giving name %s to the DHCP lease of %s
    # because ..."
    ("dnsmasq-dhcp[300]: DHCPACK(eth0) 192.168.1.20 3c:2e:ff:4a:5b:6c jeans-iphone",
     "dnsmasq-dhcp[300]: DHCPACK(eth0) [ip] [mac] [hostname]"),
    ("dnsmasq-dhcp[300]: 2753381418 DHCPACK(br0) 192.168.1.21 3c:2e:ff:4a:5b:6d Galaxy-S21",
     "dnsmasq-dhcp[300]: 2753381418 DHCPACK(br0) [ip] [mac] [hostname]"),
    ("dnsmasq-dhcp[300]: DHCPREPLY(eth0) fd00::5 00:01:00:01:2a:3b:4c:5d:3c:2e:ff:4a:5b:6c "
     "kitchen-tablet",
     "dnsmasq-dhcp[300]: DHCPREPLY(eth0) [ip] [id] [hostname]"),
    ("dnsmasq[300]: query[A] jeans-iphone from 192.168.1.20",
     "dnsmasq[300]: query[A] [hostname] from [ip]"),
    ("dnsmasq[300]: reply jeans-iphone is 192.168.1.20", "dnsmasq[300]: reply [hostname] is [ip]"),
    ("dnsmasq-dhcp[300]: not giving name jeans-iphone to the DHCP lease of 192.168.1.20 because "
     "the name exists in /etc/hosts with address 192.168.1.5",
     "dnsmasq-dhcp[300]: not giving name [hostname] to the DHCP lease of [ip] because "
     "the name exists in /etc/hosts with address [ip]"),
    # --- the Supervisor: host/control.py "Set hostname %s"; plugins/dns.py "Add Host entry %s ->
    # %s" (its DNS names every host "<name>.local.hassio")
    ("Set hostname kitchen-pi", "Set hostname [hostname]"),
    ("Add Host entry 172.30.32.1 -> ['homeassistant.local.hassio', 'kitchen-pi.local.hassio']",
     "Add Host entry 172.30.32.1 -> ['homeassistant.local.hassio', '[hostname].local.hassio']"),
    # --- ISC dhcpd (the DHCP server app; server/dhcp.c): "DHCPDISCOVER from %s %s%s%svia %s",
    # "DHCPACK on %s to %s (%s) via %s" - the client's host name in parentheses
    ("dhcpd[300]: DHCPDISCOVER from 3c:2e:ff:4a:5b:6c (jeans-iphone) via eth0",
     "dhcpd[300]: DHCPDISCOVER from [mac] ([hostname]) via eth0"),
    ("dhcpd[300]: DHCPACK on 192.168.1.20 to 3c:2e:ff:4a:5b:6c (Kitchen-Tablet) via eth0",
     "dhcpd[300]: DHCPACK on [ip] to [mac] ([hostname]) via eth0"),
    ("dhcpd[300]: DHCPREQUEST for 192.168.1.20 from 3c:2e:ff:4a:5b:6c (jeans-laptop) via eth0",
     "dhcpd[300]: DHCPREQUEST for [ip] from [mac] ([hostname]) via eth0"),
    # --- CoreDNS (the Supervisor's DNS plugin), errors plugin: "%d %s %s: %v"
    ("[ERROR] plugin/errors: 2 jeans-iphone.local.hassio. A: read udp 172.30.32.3:45678->"
     "192.168.1.1:53: i/o timeout",
     "[ERROR] plugin/errors: 2 [hostname]. A: read udp 172.30.32.3:45678->[ip]:53: i/o timeout"),
    # --- Thread: OpenThread's CLI (src/cli/cli_dataset.cpp, `ot-ctl dataset active`: "Ext PAN
    # ID: ", "Network Key: ", "Network Name: ", "PAN ID: 0x%04x", "PSKc: "), Home Assistant's
    # thread integration (discovery.py: "Discovered unsupported Thread router without extended
    # address: %s" with zeroconf's AsyncServiceInfo, whose TXT record holds the network's name
    # "nn", extended PAN id "xp" and the router's extended address "xa"; its dataclasses'
    # network_name, extended_pan_id, pan_id, extended_address); avahi-browse's TXT lines
    ("Network Name: SmithHome\nPAN ID: 0x1a2b\nExt PAN ID: dead00beef00cafe\n"
     "Network Key: 00112233445566778899aabbccddeeff\nChannel: 15",
     "Network Name: [ssid]\nPAN ID: [id]\nExt PAN ID: [id]\nNetwork Key: [filtered]\n"
     "Channel: 15"),
    ("Discovered unsupported Thread router without extended pan ID: AsyncServiceInfo(type="
     "'_meshcop._udp.local.', port=49154, properties={b'rv': b'1', b'nn': b'SmithHome', "
     "b'xa': b'\\xae\\xeb/YKW\\x0b\\xbf', b'vn': b'HomeAssistant'})",
     "Discovered unsupported Thread router without extended pan ID: AsyncServiceInfo(type="
     "'_meshcop._udp.local.', port=49154, properties={b'rv': b'1', b'nn': b'[ssid]', "
     "b'xa': b'[mac]', b'vn': b'HomeAssistant'})"),
    ("ThreadRouterDiscoveryData(brand='homeassistant', extended_address='aeeb2f594b570bbf', "
     "extended_pan_id='dead00beef00cafe', network_name='Smith Home', thread_version='1.3.0')",
     "ThreadRouterDiscoveryData(brand='homeassistant', extended_address='[mac]', "
     "extended_pan_id='[id]', network_name='[ssid]', thread_version='1.3.0')"),
    ('{"network_name": "SmithHome", "extended_pan_id": "dead00beef00cafe", "pan_id": "1a2b", '
     '"channel": 15}',
     '{"network_name": "[ssid]", "extended_pan_id": "[id]", "pan_id": "[id]", "channel": 15}'),
    ('txt = ["rv=1" "nn=SmithHome" "tv=1.3.0"]', 'txt = ["rv=1" "nn=[ssid]" "tv=1.3.0"]'),
    # --- Zigbee: zigbee-herdsman's adapter checks (src/adapter/z-stack/adapter/manager.ts,
    # ezsp/driver/driver.ts: "- PAN ID: configured=%s, adapter=%s", "- Extended PAN ID:
    # configured=%s, adapter=%s", "- Network Key: configured=%s, adapter:active=%s ..."),
    # Zigbee2MQTT's "Using zigbee-herdsman with settings: '%s'" (lib/zigbee.ts: the extended
    # PAN id as a list of bytes, the key replaced with HIDDEN), zigpy's NetworkInfo repr (ZHA)
    ("- PAN ID: configured=6754, adapter=6755", "- PAN ID: configured=[id], adapter=[id]"),
    ("- Extended PAN ID: configured=dddddddddddddddd, adapter=dddddddddddddddc, "
     "backup=dddddddddddddddc",
     "- Extended PAN ID: configured=[id], adapter=[id], backup=[id]"),
    ("- Network Key: configured=01030507090b0d0f00020406080a0c0d, adapter:active="
     "01030507090b0d0f00020406080a0c0e adapter:preconfigured=01030507090b0d0f00020406080a0c0f",
     "- Network Key: configured=[filtered], adapter:active=[filtered] "
     "adapter:preconfigured=[filtered]"),
    ("Using zigbee-herdsman with settings: '\"{\\\"network\\\":{\\\"panID\\\":6754,"
     "\\\"extendedPanID\\\":[221,221,221,221,221,221,221,221],\\\"channelList\\\":[11],"
     "\\\"networkKey\\\":\\\"HIDDEN\\\"}}\"'",
     "Using zigbee-herdsman with settings: '\"{\\\"network\\\":{\\\"panID\\\":[id],"
     "\\\"extendedPanID\\\":[id],\\\"channelList\\\":[11],"
     "\\\"networkKey\\\":\\\"HIDDEN\\\"}}\"'"),
    ("NetworkInfo(extended_pan_id=dd:dd:dd:dd:dd:dd:dd:dd, pan_id=0x1A2B, nwk_update_id=0, "
     "channel=15)",
     "NetworkInfo(extended_pan_id=[id], pan_id=[id], nwk_update_id=0, channel=15)"),
    # zigpy's Key repr in NetworkInfo: the class name stays, the key is the secret
    ("network_key=Key(key=01:03:05:07:09:0b:0d:0f:00:02:04:06:08:0a:0c:0d, tx_counter=123, "
     "rx_counter=0, seq=0)",
     "network_key=Key(key=[filtered], tx_counter=123, rx_counter=0, seq=0)"),
    ("network_key=Key(key=01030507090b0d0f00020406080a0c0d)", "network_key=Key(key=[filtered])"),
    ("password=Secret(value='hunter2 x')", "password=Secret(value='[filtered]')"),
    # --- OpenSSH's client (sshconnect.c, ssh.c), as backup and git apps log it: "Host key for
    # %.200s has changed and you have requested strict checking.", "Warning: the %s host key for
    # '%.200s' differs from the key for the IP address '%.128s'", "ssh: connect to host %s port
    # %s: %s", "%s: Could not resolve hostname %.100s: %s", "Connection to %s closed."
    ("Host key for kitchen-pi has changed and you have requested strict checking.",
     "Host key for [hostname] has changed and you have requested strict checking."),
    ("Warning: the ECDSA host key for 'smithnas' differs from the key for the IP address "
     "'192.168.1.5'",
     "Warning: the ECDSA host key for '[hostname]' differs from the key for the IP address "
     "'[ip]'"),
    ("ssh: connect to host smithnas port 22: Connection refused",
     "ssh: connect to host [hostname] port 22: Connection refused"),
    ("ssh: Could not resolve hostname smithnas: Name or service not known",
     "ssh: Could not resolve hostname [hostname]: Name or service not known"),
    ("Connection to smithnas closed by remote host.", "Connection to [hostname] closed by remote "
     "host."),
    # known_hosts lines (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT, ssh-keyscan's output): the host
    # patterns before the key's type, hashed ("|1|salt|hash", HashKnownHosts) or not
    (f"kitchen-pi,192.168.1.5 ssh-ed25519 {KEY}", "[hostname],[ip] ssh-ed25519 [public-key]"),
    (f"|1|JfKTdBh7rNbXkVAQCRp4OQoPfmI=|USECr3SWf1JUPsms5AqfD5QfxkM= ssh-ed25519 {KEY}",
     "[hostname] ssh-ed25519 [public-key]"),
    (f"x\n[smithnas]:2222 ssh-ed25519 {KEY}", "x\n[[hostname]]:2222 ssh-ed25519 [public-key]"),
    (f"@cert-authority *.smithnet ssh-ed25519 {KEY}", "@cert-authority [hostname] ssh-ed25519 "
     "[public-key]"),
    (f"github.com ssh-ed25519 {KEY}", "github.com ssh-ed25519 [public-key]"),
    # --- Mosquitto (src/handle_connect.c "New client connected from %s:%d as %s (p%d, c%d, k%d,
    # u'%s').", loop.c "Client %s disconnected.", "Client %s closed its connection.", "Client %s
    # has exceeded timeout, disconnecting.", "Socket error on client %s, disconnecting.",
    # handle_publish.c "Received PUBLISH from %s (d%d, q%d, r%d, m%d, '%s', ... (%ld bytes))",
    # send_connack.c "Sending CONNACK to %s (%d, %d)"): the client id its owner set (ESPHome's
    # is the node's name, which also starts its topics)
    ("New client connected from 192.168.1.5:51234 as jeans-phone (p2, c1, k60, u'jean').",
     "New client connected from [ip]:51234 as [device] (p2, c1, k60, u'[user]')."),
    ("Client jeans-phone disconnected.", "Client [device] disconnected."),
    ("Client jeans-phone has exceeded timeout, disconnecting.",
     "Client [device] has exceeded timeout, disconnecting."),
    ("Socket error on client jeans-phone, disconnecting.",
     "Socket error on client [device], disconnecting."),
    ("Received PUBLISH from jean-bedroom-sensor (d0, q0, r1, m0, 'jean-bedroom-sensor/status', "
     "... (6 bytes))",
     "Received PUBLISH from [device] (d0, q0, r1, m0, '[device]/status', ... (6 bytes))"),
    ("Sending CONNACK to jean-bedroom-sensor (0, 0)", "Sending CONNACK to [device] (0, 0)"),
    # --- aioesphomeapi (util.py build_log_name: "%s @ %s", a node's name and address, which
    # begins its lines: connection.py "%s: Connection error occurred: %s", reconnect_logic.py
    # "Successfully connected to %s in %0.3fs"; noise.py "Server sent a different name '%s'")
    ("jean-bedroom-sensor @ 192.168.1.50: Connection error occurred: timeout",
     "[hostname] @ [ip]: Connection error occurred: timeout"),
    ("Successfully connected to jean-bedroom-sensor @ 192.168.1.50 in 0.045s",
     "Successfully connected to [hostname] @ [ip] in 0.045s"),
    ("kitchen-sensor @ fe80::1c2d:3eff:fe4a:5b6c: Server sent a different name 'jean-sensor'",
     "[hostname] @ [ip]: Server sent a different name '[hostname]'"),
    ("Can't connect to ESPHome API for esphome-web-3c2eff @ 192.168.1.50: timeout",
     "Can't connect to ESPHome API for esphome-web-[mac] @ [ip]: timeout"),
    # --- UPnP device descriptions (UPnP Device Architecture: <friendlyName>, <serialNumber>), as
    # async_upnp_client reads them and Home Assistant's SsdpServiceInfo repr shows them
    ("SsdpServiceInfo(ssdp_usn='uuid:5b1c6f8a-9a7e-4f43-8c6f-2c1b6c3e2d1a', upnp={"
     "'friendlyName': 'Smith Living Room TV', 'serialNumber': 'X1234567'})",
     "SsdpServiceInfo(ssdp_usn='uuid:[uuid]', upnp={'friendlyName': '[device]', "
     "'serialNumber': '[serial]'})"),
    ("<friendlyName>Jean Smith's TV</friendlyName><serialNumber>SN12345678</serialNumber>",
     "<friendlyName>[device]</friendlyName><serialNumber>[serial]</serialNumber>"),
    # --- a Google Cast device's TXT record ("fn": its friendly name; "md": its model), in Home
    # Assistant's ZeroconfServiceInfo repr, zeroconf's bytes and avahi-browse's output
    ("ZeroconfServiceInfo(port=8009, type='_googlecast._tcp.local.', properties={'md': 'Google "
     "Nest Mini', 'fn': 'Jean Bedroom speaker', 'rs': ''})",
     "ZeroconfServiceInfo(port=8009, type='_googlecast._tcp.local.', properties={'md': 'Google "
     "Nest Mini', 'fn': '[device]', 'rs': ''})"),
    ("properties={b'fn': b'Jean Bedroom speaker', b'md': b'Google Nest Mini'}",
     "properties={b'fn': b'[device]', b'md': b'Google Nest Mini'}"),
    ('txt = ["fn=Jean Bedroom speaker" "md=Google Nest Mini"]',
     'txt = ["fn=[device]" "md=Google Nest Mini"]'),
    # --- the ESPHome app compiling a node (esphome/__main__.py "Reading configuration %s...",
    # "Compiling app... Build path: %s"; PlatformIO's "Processing %s (board: %s; ...)", its
    # environment named after the node): the node's name, as aioesphomeapi's lines have it
    ("INFO Reading configuration /config/esphome/jean-bedroom-sensor.yaml...\nINFO Compiling "
     "app... Build path: /data/build/jean-bedroom-sensor\nProcessing jean-bedroom-sensor "
     "(board: esp32-s3-devkitc-1; framework: espidf)",
     "INFO Reading configuration /config/esphome/[hostname].yaml...\nINFO Compiling "
     "app... Build path: /data/build/[hostname]\nProcessing [hostname] "
     "(board: esp32-s3-devkitc-1; framework: espidf)"),
    # --- Home Assistant's MQTT discovery as Zigbee2MQTT publishes it (lib/extension/
    # homeassistant.ts: getDevicePayload's device block {"identifiers": .., "name": <friendly
    # name>}, and "object_id" / "default_entity_id" made from that name), in its "MQTT publish:
    # topic '%s', payload '%s'" line
    ("MQTT publish: topic 'homeassistant/sensor/0x00124b001ca1b2c3/temperature/config', payload "
     "'{\"default_entity_id\":\"sensor.jean_bedroom_lamp_temperature\",\"device\":{"
     "\"identifiers\":[\"zigbee2mqtt_0x00124b001ca1b2c3\"],\"manufacturer\":\"IKEA\",\"model\":"
     "\"TRADFRI bulb\",\"name\":\"Jean Bedroom Lamp\"},\"name\":\"Temperature\",\"object_id\":"
     "\"jean_bedroom_lamp_temperature\"}'",
     "MQTT publish: topic 'homeassistant/sensor/[mac]/temperature/config', payload "
     "'{\"default_entity_id\":\"sensor.[device]_temperature\",\"device\":{"
     "\"identifiers\":[\"zigbee2mqtt_[mac]\"],\"manufacturer\":\"IKEA\",\"model\":"
     "\"TRADFRI bulb\",\"name\":\"[device]\"},\"name\":\"Temperature\",\"object_id\":"
     "\"[device]_temperature\"}'"),
    ('{"device": {"identifiers": ["esphome_3c2eff4a5b6c"], "name": "Smith Garage Door"}}',
     '{"device": {"identifiers": ["esphome_[mac]"], "name": "[device]"}}'),
    # --- Home Assistant's entity ids from a possessive name ("Jean's Bedroom Lamp" ->
    # "light.jean_s_bedroom_lamp", homeassistant/util slugify), whatever follows the owner
    ("Entity light.jean_s_bedroom_lamp is unavailable; switch.maria_s_desk",
     "Entity light.[user]_s_bedroom_lamp is unavailable; switch.[user]_s_desk"),
    # --- Dropbear (svr-authpasswd.c "Password auth succeeded for '%s' from %s", "Bad password
    # attempt for '%s' from %s", "Too-long password attempt for '%s' from %s"; svr-auth.c "Auth
    # succeeded with blank password for '%s' from %s", "Login attempt with wrong user %s from
    # %s"; svr-authpubkey.c "Pubkey auth succeeded for '%s' with %s key %s from %s", "Pubkey
    # auth bad signature for '%s' with key %s from %s"; "User account '%s' is locked";
    # svr-session.c "Exit (%s) from <%s>: %s"; svr-chansession.c "User %s executing '%s'")
    ("dropbear[900]: Password auth succeeded for 'jean' from 192.168.1.30:51234",
     "dropbear[900]: Password auth succeeded for '[user]' from [ip]:51234"),
    ("dropbear[900]: Bad password attempt for 'jean' from 192.168.1.30:51234",
     "dropbear[900]: Bad password attempt for '[user]' from [ip]:51234"),
    ("dropbear[900]: Too-long password attempt for 'jean' from 192.168.1.30:51234",
     "dropbear[900]: Too-long password attempt for '[user]' from [ip]:51234"),
    ("dropbear[900]: Auth succeeded with blank password for 'jean' from 192.168.1.30:51234",
     "dropbear[900]: Auth succeeded with blank password for '[user]' from [ip]:51234"),
    ("dropbear[900]: Login attempt with wrong user jean from 192.168.1.30:51234",
     "dropbear[900]: Login attempt with wrong user [user] from [ip]:51234"),
    ("dropbear[900]: Pubkey auth succeeded for 'jean' with ssh-ed25519 key SHA256:uNiVztksCsDhcc0u9"
     "e8BujQXVUpKZIDTMczCvj3tD2s from 192.168.1.30:51234",
     "dropbear[900]: Pubkey auth succeeded for '[user]' with ssh-ed25519 key SHA256:[fingerprint] "
     "from [ip]:51234"),
    ("dropbear[900]: Pubkey auth bad signature for 'jean' with key SHA256:uNiVztksCsDhcc0u9e8BujQ"
     "XVUpKZIDTMczCvj3tD2s from 192.168.1.30:51234",
     "dropbear[900]: Pubkey auth bad signature for '[user]' with key SHA256:[fingerprint] from "
     "[ip]:51234"),
    ("dropbear[900]: User account 'jean' is locked",
     "dropbear[900]: User account '[user]' is locked"),
    ("dropbear[900]: Exit (jean) from <192.168.1.30:51234>: Disconnect received",
     "dropbear[900]: Exit ([user]) from <[ip]:51234>: Disconnect received"),
    ("dropbear[900]: Exit (jean): Exited normally",
     "dropbear[900]: Exit ([user]): Exited normally"),
    ("dropbear[900]: User jean executing 'ha core logs'",
     "dropbear[900]: User [user] executing 'ha core logs'"),
    ("dropbear[900]: User jean executing login shell",
     "dropbear[900]: User [user] executing login shell"),
    # --- the Supervisor's ingress token of an app (apps/validate.py secrets.token_urlsafe): its
    # URL "/api/hassio_ingress/{token}/" (apps/app.py), the Supervisor's "/ingress/{token}/..."
    # and api/ingress.py "Ingress for %s not available"
    ("GET /api/hassio_ingress/Nd5Jx0WqEJ7p3c8YH0aDUu6q1zKQ-9fDk2m_rBvLsIo/ HTTP/1.1",
     "GET /api/hassio_ingress/[token]/ HTTP/1.1"),
    ("Ingress for Nd5Jx0WqEJ7p3c8YH0aDUu6q1zKQ-9fDk2m_rBvLsIo not available",
     "Ingress for [token] not available"),
    ("Client error on http://172.30.32.2/ingress/Nd5Jx0WqEJ7p3c8YH0aDUu6q1zKQ-9fDk2m_rBvLsIo/api",
     "Client error on http://172.30.32.2/ingress/[token]/api"),
    # --- Home Assistant Cloud's cloudhooks (hass-nabucasa: "https://hooks.nabu.casa/<id>", the
    # "cloudhook_url" of webhook integrations' entries)
    ('"cloudhook_url": "https://hooks.nabu.casa/gAAAAABnR5x0k1V2abcdEFGHijklMNOPqrstUVWX_yz-0='
     '"',
     '"cloudhook_url": "https://[hostname]/[token]"'),
    # --- Home Assistant's official apps through bashio ("[%T] INFO: %s"): Mosquitto
    # (rootfs/etc/cont-init.d/mosquitto.sh "Setting up user ${username}", "Using pre-hashed
    # password for ${username}"), MariaDB (mariadb-post/run "Create user ${USERNAME}", "Update
    # user ${USERNAME}")
    ("\x1b[32m[12:00:00] INFO: Setting up user jean\x1b[0m",
     "\x1b[32m[12:00:00] INFO: Setting up user [user]\x1b[0m"),
    ("[12:00:00] INFO: Using pre-hashed password for jean",
     "[12:00:00] INFO: Using pre-hashed password for [user]"),
    ("[12:00:00] INFO: Create user jsmith\n[12:00:01] INFO: Update user jsmith",
     "[12:00:00] INFO: Create user [user]\n[12:00:01] INFO: Update user [user]"),
    # --- HAP-python (accessory.py setup_message: "Setup payload: %s", "Or enter this code in
    # your HomeKit app on your iOS device: %s"; accessory_driver.py "Starting accessory %s on
    # address %s, port %s." / "on addresses"): the pairing secrets, the name given the bridge
    ("Setup payload: X-HM://0023K50QET2YB\nOr enter this code in your HomeKit app on your iOS "
     "device: 053-86-998",
     "Setup payload: [filtered]\nOr enter this code in your HomeKit app on your iOS "
     "device: [filtered]"),
    ("[pyhap.accessory_driver] Starting accessory Smith Lights on addresses ['192.168.1.5'], "
     "port 51828.",
     "[pyhap.accessory_driver] Starting accessory [device] on addresses ['[ip]'], port 51828."),
    # --- a host name's change and conflicts: NetworkManager (nm-hostname-manager.c "hostname
    # changed from %s%s%s to %s%s%s", "static hostname changed from ...", quoted or (none);
    # nm-policy.c "set-hostname: current hostname was changed outside NetworkManager: '%s'"),
    # systemd-resolved (resolved-manager.c "Hostname conflict, changing published hostname from
    # '%s' to '%s'.", resolved-dns-zone.c "Detected conflict on %s", the record's name first)
    ('NetworkManager[456]: <info>  [1733300000.1234] hostname: static hostname changed from '
     '"homeassistant" to "kitchen-pi"',
     'NetworkManager[456]: <info>  [1733300000.1234] hostname: static hostname changed from '
     '"homeassistant" to "[hostname]"'),
    ('hostname: hostname changed from "kitchen-pi" to (none)',
     'hostname: hostname changed from "[hostname]" to (none)'),
    ("policy: set-hostname: current hostname was changed outside NetworkManager: 'kitchen-pi'",
     "policy: set-hostname: current hostname was changed outside NetworkManager: '[hostname]'"),
    ("systemd-resolved[400]: Hostname conflict, changing published hostname from 'kitchen-pi' to "
     "'kitchen-pi7'.",
     "systemd-resolved[400]: Hostname conflict, changing published hostname from '[hostname]' to "
     "'[hostname]'."),
    ("systemd-resolved[400]: Detected conflict on kitchen-pi IN A 192.168.1.23",
     "systemd-resolved[400]: Detected conflict on [hostname] IN A [ip]"),
    # --- NetworkManager's supplicant settings (src/core/supplicant/nm-supplicant-config.c:
    # "Config: added '%s' value '%s'", one line per wpa_supplicant setting, secrets <hidden>):
    # the Wi-Fi network, the 802.1X identity, the RADIUS server's name
    ("NetworkManager[456]: <info>  [1733300000.1234] Config: added 'ssid' value 'Jean's WiFi'",
     "NetworkManager[456]: <info>  [1733300000.1234] Config: added 'ssid' value '[ssid]'"),
    ("Config: added 'identity' value 'jsmith'", "Config: added 'identity' value '[user]'"),
    ("Config: added 'anonymous_identity' value 'anonymous@smith-family.de'",
     "Config: added 'anonymous_identity' value '[email]'"),
    ("Config: added 'domain_suffix_match' value 'radius.smithnet'",
     "Config: added 'domain_suffix_match' value '[hostname]'"),
    ("Config: added 'bssid' value '3c:2e:ff:4a:5b:6c'", "Config: added 'bssid' value '[mac]'"),
    # --- wpa_supplicant (notify.c "CTRL-EVENT-EAP-PEER-CERT depth=%d subject='%s'"): the RADIUS
    # server's certificate subject, OpenSSL's one-line form or RFC 2253's; the country stays
    ("wlan0: CTRL-EVENT-EAP-PEER-CERT depth=0 subject='/C=DE/O=Smith Family/CN=radius.smithnet' "
     "hash=ab12cd",
     "wlan0: CTRL-EVENT-EAP-PEER-CERT depth=0 subject='/C=DE/O=[filtered]/CN=[hostname]' "
     "hash=ab12cd"),
    ("wlan0: CTRL-EVENT-EAP-PEER-CERT depth=1 subject='CN=Smith Root CA, O=Smith Family, C=DE, "
     "emailAddress=jean@smith-family.de'",
     "wlan0: CTRL-EVENT-EAP-PEER-CERT depth=1 subject='CN=[hostname], O=[filtered], C=DE, "
     "emailAddress=[email]'"),
    # --- Z-Wave's home id: Z-Wave JS (packages/zwave-js/src/lib/controller/Controller.ts
    # "received controller IDs:\n  home ID:     ${num2hex(homeId)}", GetControllerIdResponse's
    # log entry "home ID"), Z-Wave JS Server's "homeId", Home Assistant's zwave_js events
    # (home_id in an Event's repr), device identifiers f"{home_id}-{node_id}" and unique ids
    # f"{home_id}.{value_id}" in entity_platform's "Platform %s does not generate unique IDs. ID
    # %s already exists - ignoring %s"
    ("CNTRLR   received controller IDs:\n  home ID:     0xd4b18b7d\n  own node ID: 1",
     "CNTRLR   received controller IDs:\n  home ID:     [id]\n  own node ID: 1"),
    ('{"homeId": 3567516263, "ownNodeId": 1}', '{"homeId": [id], "ownNodeId": 1}'),
    ("<Event zwave_js_value_notification[L]: domain=zwave_js, node_id=5, home_id=3567516263, "
     "endpoint=0>",
     "<Event zwave_js_value_notification[L]: domain=zwave_js, node_id=5, home_id=[id], "
     "endpoint=0>"),
    ("identifiers={('zwave_js', '3567516263-5'), ('zwave_js', '3567516263-5-271:4098:1')}",
     "identifiers={('zwave_js', '[id]-5'), ('zwave_js', '[id]-5-271:4098:1')}"),
    ("Platform zwave_js does not generate unique IDs. ID 3567516263.5-38-0-currentValue already "
     "exists - ignoring light.kitchen",
     "Platform zwave_js does not generate unique IDs. ID [id].5-38-0-currentValue already "
     "exists - ignoring light.kitchen"),
    # --- Matter (the Matter Server app: the Matter SDK's src/credentials/FabricTable.cpp "Fabric
    # index 0x%x was retrieved from storage. Compressed FabricId 0x..., FabricId 0x..., NodeId
    # 0x..., VendorId 0x%04X"; src/controller/CommissioningWindowOpener.cpp "Manual pairing
    # code: [%s]", "SetupQRCode: [%s]"; python-matter-server's server info)
    ("[FP] Fabric index 0x1 was retrieved from storage. Compressed FabricId 0x219D881E54F0F01B, "
     "FabricId 0x0000000000000001, NodeId 0x000000000001B669, VendorId 0xFFF1",
     "[FP] Fabric index 0x1 was retrieved from storage. Compressed FabricId [id], "
     "FabricId 0x0000000000000001, NodeId 0x000000000001B669, VendorId 0xFFF1"),
    ("[CTL] Manual pairing code: [34970112332]\n[CTL] SetupQRCode: [MT:Y.K9042C00KA0648G00]",
     "[CTL] Manual pairing code: [[filtered]]\n[CTL] SetupQRCode: [[filtered]]"),
    ('{"fabric_id": 1, "compressed_fabric_id": 2422157442567090203, "schema_version": 11}',
     '{"fabric_id": 1, "compressed_fabric_id": [id], "schema_version": 11}'),
    # --- the Supervisor's mount and backup-location names in its other messages and errors:
    # exceptions.py ("Backup mount '{mount}' is down", "Cannot mount {name} at {path} as it is
    # not a directory", "No mount exists with name {name}", "Mount {name} is not active, cannot
    # report storage usage", "Could not read storage usage for mount {name}: {reason}"),
    # mounts/manager.py ("Cannot remove '{name}', no mount exists with that name", "Cannot
    # reload ...", "Cannot relocate local data for ..."), mounts/mount.py ("Mounting {name} did
    # not succeed.", "Reloading {name} did not complete in time", "Mount %s failed to mount,
    # mounting read-only fallback for %s"), api/mounts.py ("A mount already exists with name
    # {name}", "Mount {name} is not used for backups"), api/backups.py ("Backup {slug} is not in
    # location {location}"), backups/manager.py ("Backup {slug} does not exist in {location}",
    # "Could not copy backup to {location_name} due to: {err!s}"), backups/backup.py ("Backup %s
    # exists in two files in locations %s. Ignoring %s", "Cannot consolidate backups in {} and
    # {} with slug {}")
    ("Backup mount 'Backup_Smith' is down", "Backup mount '[mount]' is down"),
    ("Cannot mount Backup_Smith at /data/mounts/Backup_Smith as it is not a directory",
     "Cannot mount [mount] at /data/mounts/[mount] as it is not a directory"),
    ("No mount exists with name Backup_Smith", "No mount exists with name [mount]"),
    ("No mount exists with name 'Backup_Smith'", "No mount exists with name '[mount]'"),
    ("Mount Backup_Smith is not active, cannot report storage usage",
     "Mount [mount] is not active, cannot report storage usage"),
    ("Timed out reading storage usage for mount Backup_Smith",
     "Timed out reading storage usage for mount [mount]"),
    ("Cannot reload 'Backup_Smith', no mount exists with that name",
     "Cannot reload '[mount]', no mount exists with that name"),
    ("Cannot relocate local data for 'Backup_Smith', no mount exists with that name",
     "Cannot relocate local data for '[mount]', no mount exists with that name"),
    ("Mounting Backup_Smith did not succeed. Check host logs for errors from mount or systemd unit "
     "mnt-data-supervisor-mounts-Backup_Smith.mount for details.",
     "Mounting [mount] did not succeed. Check host logs for errors from mount or systemd unit "
     "mnt-data-supervisor-mounts-[mount].mount for details."),
    ("Reloading Backup_Smith did not complete in time",
     "Reloading [mount] did not complete in time"),
    ("Mount Backup_Smith failed to mount, mounting read-only fallback for Backup_Smith",
     "Mount [mount] failed to mount, mounting read-only fallback for [mount]"),
    ("A mount already exists with name Backup_Smith", "A mount already exists with name [mount]"),
    ("Mount Backup_Smith is not used for backups, cannot use it as default backup mount",
     "Mount [mount] is not used for backups, cannot use it as default backup mount"),
    ("Backup a1b2c3d4 is not in location Backup_Smith",
     "Backup a1b2c3d4 is not in location [mount]"),
    ("Backup a1b2c3d4 does not exist in Backup_Smith", "Backup a1b2c3d4 does not exist in [mount]"),
    ("Could not copy backup to Backup_Smith due to: [Errno 28] No space left on device",
     "Could not copy backup to [mount] due to: [Errno 28] No space left on device"),
    ("Backup a1b2c3d4 exists in two files in locations Backup_Smith, None. Ignoring "
     "/data/mounts/Backup_Smith/a1b2c3d4.tar, /data/backup/a1b2c3d4.tar",
     "Backup a1b2c3d4 exists in two files in locations [mount], None. Ignoring "
     "/data/mounts/[mount]/a1b2c3d4.tar, /data/backup/a1b2c3d4.tar"),
    ("Cannot consolidate backups in Backup_Smith and .cloud_backup with slug a1b2c3d4",
     "Cannot consolidate backups in [mount] and .cloud_backup with slug a1b2c3d4"),
    # mounts/mount.py "Moved local data blocking mount %s from %s to %s" (the mount's folder,
    # bound under the Supervisor's /data/media or /data/share, and "<name>_local_recovery");
    # exceptions.py "Cannot mount {name} because there is existing data at {path}. Move it away
    # first, then retry" (the sentence's full stop stays)
    ("Moved local data blocking mount Backup_Smith from /data/media/Backup_Smith to "
     "/data/media/Backup_Smith_local_recovery",
     "Moved local data blocking mount [mount] from /data/media/[mount] to "
     "/data/media/[mount]_local_recovery"),
    ("Moved local data blocking mount Backup_Smith from /data/backup to "
     "/data/backup/Backup_Smith_local_recovery_2",
     "Moved local data blocking mount [mount] from /data/backup to "
     "/data/backup/[mount]_local_recovery_2"),
    ("Cannot mount Backup_Smith because there is existing data at /data/mounts/Backup_Smith. "
     "Move it away first, then retry",
     "Cannot mount [mount] because there is existing data at /data/mounts/[mount]. "
     "Move it away first, then retry"),
    ("Can't read /data/share/Jean_Docs/list.txt", "Can't read /data/share/[path-user]/list.txt"),
    # --- a backup's file as Home Assistant names it (components/backup/util.py
    # suggested_filename_from_name_date: the backup's name, then "%Y-%m-%d %H.%M %S%f", spaces
    # made "_"), kept by the Supervisor (backups/backup.py "Can't read backup tarfile %s: %s")
    ("Can't read backup tarfile /backup/Jean_s_Backup_2026-12-04_18.00_00123456.tar: "
     "[Errno 5] Input/output error",
     "Can't read backup tarfile /backup/[path-user]_2026-12-04_18.00_00123456.tar: "
     "[Errno 5] Input/output error"),
    # --- the Supervisor's store (store/git.py "Update app %s repository from %s", "Cloning app
    # %s repository from %s", "Can't clone %s repository: %s." with GitPython's "cmdline: git
    # clone ... -- <url> <path>", "Wasn't able to update %s repo: %s.", "Removing custom app
    # repository %s"; store/__init__.py "Can't add repository %s due to %s"; its JSON
    # "repositories"): the account that owns a custom app repository
    ("Update app /data/addons/git/a1b2c3d4 repository from https://github.com/jeansmith/ha-apps",
     "Update app /data/addons/git/a1b2c3d4 repository from https://github.com/[user]/ha-apps"),
    ("Can't clone https://gitlab.com/jeansmith/ha-apps#dev repository: Cmd('git') failed due to: "
     "exit code(128)\n  cmdline: git clone -v --recursive --depth=1 --shallow-submodules -- "
     "https://gitlab.com/jeansmith/ha-apps /data/addons/git/a1b2c3d4\n  stderr: 'fatal: "
     "repository 'https://gitlab.com/jeansmith/ha-apps/' not found'.",
     "Can't clone https://gitlab.com/[user]/ha-apps#dev repository: Cmd('git') failed due to: "
     "exit code(128)\n  cmdline: git clone -v --recursive --depth=1 --shallow-submodules -- "
     "https://gitlab.com/[user]/ha-apps /data/addons/git/a1b2c3d4\n  stderr: 'fatal: "
     "repository 'https://gitlab.com/[user]/ha-apps/' not found'."),
    ("Wasn't able to update https://github.com/jeansmith/ha-apps repo: timeout.",
     "Wasn't able to update https://github.com/[user]/ha-apps repo: timeout."),
    ("Can't add repository https://git.smith-family.de/jean/apps.git due to x",
     "Can't add repository https://[hostname]/[user]/apps.git due to x"),
    ('{"repositories": ["https://github.com/jeansmith/ha-apps", '
     '"https://github.com/home-assistant/addons"]}',
     '{"repositories": ["https://github.com/[user]/ha-apps", '
     '"https://github.com/home-assistant/addons"]}'),
    # --- Home Assistant's entity ids made from an account's e-mail address (Google Calendar's
    # primary calendar: components/google/calendar.py, generate_entity_id from its summary,
    # the address), in DataUpdateCoordinator's "Error fetching %s data: %s" and a State's repr
    ("Error fetching calendar.jean_smith_gmail_com data: 401, message='Unauthorized'",
     "Error fetching calendar.[email] data: 401, message='Unauthorized'"),
    ("Update of calendar.jean_gmail_com_2 is taking over 10 seconds",
     "Update of calendar.[email]_2 is taking over 10 seconds"),
    ("<state calendar.jean_smith_gmail_com=off; friendly_name=jean.smith@gmail.com>",
     "<state calendar.[email]=off; friendly_name=[email]>"),
    # --- the offending value a configuration error quotes: voluptuous's humanize_error ("%s.
    # Got %s", the value's repr), as the Supervisor logs apps' options (apps/app.py "App {app}
    # has invalid options: {validation_error}", a schema's type error quoting all of them);
    # Home Assistant's config.py ("Invalid config for '%s' at %s, line %s: %s '%s', got %s")
    ("App core_mosquitto has invalid options: not a valid value for dictionary value @ "
     "data['logins'][0]['password']. Got 'hunter2'",
     "App core_mosquitto has invalid options: not a valid value for dictionary value @ "
     "data['logins'][0]['password']. Got '[filtered]'"),
    ("App core_mosquitto has invalid options: Type error for option 'logins' in Mosquitto broker "
     "(core_mosquitto). Got {'logins': [{'username': 'jean', 'password': 'hunter2'}], "
     "'require_certificate': False, 'certfile': 'fullchain.pem'}",
     "App core_mosquitto has invalid options: Type error for option 'logins' in Mosquitto broker "
     "(core_mosquitto). Got {'logins': [{'username': '[user]', 'password': '[filtered]'}], "
     "'require_certificate': False, 'certfile': '[filtered]'}"),
    ("not a valid value @ data['networks']. Got ['Smith Family WiFi', \"Jean's net\"]",
     "not a valid value @ data['networks']. Got ['[filtered]', \"[filtered]\"]"),
    ("Invalid config for 'mqtt' at configuration.yaml, line 12: expected str for dictionary "
     "value 'mqtt->password', got 12345. Please check the docs at "
     "https://www.home-assistant.io/integrations/mqtt",
     "Invalid config for 'mqtt' at configuration.yaml, line 12: expected str for dictionary "
     "value 'mqtt->password', got [filtered]. Please check the docs at "
     "https://www.home-assistant.io/integrations/mqtt"),
    ("Invalid config for 'homeassistant' at configuration.yaml, line 3: expected float for "
     "dictionary value 'homeassistant->latitude', got 'Smith Street 5'",
     "Invalid config for 'homeassistant' at configuration.yaml, line 3: expected float for "
     "dictionary value 'homeassistant->latitude', got '[filtered]'"),
    # --- Home Assistant's config entries (homeassistant/config_entries.py: "Error setting up
    # entry %s for %s", "Error setting up entry %s for %s: %s", "Error unloading entry %s for
    # %s", "Config entry '%s' for %s integration %s", "The config entry {title} ({domain}) with
    # entry_id {entry_id} cannot be ..."): the entry's title, the domain stays
    ("Error setting up entry Jean Smith for withings\nTraceback (most recent call last):",
     "Error setting up entry [device] for withings\nTraceback (most recent call last):"),
    ("Error setting up entry Smith Home for ecobee: Unable to connect",
     "Error setting up entry [device] for ecobee: Unable to connect"),
    ("Config entry 'Jean Smith' for withings integration could not authenticate: Token expired",
     "Config entry '[device]' for withings integration could not authenticate: Token expired"),
    ("Config entry 'Smith Home' for tesla_fleet integration not ready yet: timeout; Retrying in "
     "80 seconds",
     "Config entry '[device]' for tesla_fleet integration not ready yet: timeout; Retrying in "
     "80 seconds"),
    ("Error unloading entry Music for Jean for spotify",
     "Error unloading entry [device] for spotify"),
    ("The config entry Smith Home (ecobee) with entry_id 01JABCDEFGHJKMNPQRSTVWXYZ0 cannot be "
     "unloaded because it does not hold the setup lock",
     "The config entry [device] (ecobee) with entry_id 01JABCDEFGHJKMNPQRSTVWXYZ0 cannot be "
     "unloaded because it does not hold the setup lock"),
    ("Error setting up entry jean.smith@gmail.com for google",
     "Error setting up entry [email] for google"),
    # its retry task's name, f"config entry retry {domain} {title}", in asyncio's Task repr
    ("Error doing job: Task exception was never retrieved (task: <Task finished name='config "
     "entry retry withings Jean Smith' coro=<ConfigEntry.async_setup_locked() done>>)",
     "Error doing job: Task exception was never retrieved (task: <Task finished name='config "
     "entry retry withings [device]' coro=<ConfigEntry.async_setup_locked() done>>)"),
    ('<Task pending name="config entry retry mobile_app Jean\'s iPhone" coro=<x>>',
     '<Task pending name="config entry retry mobile_app [device]" coro=<x>>'),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_real_phrasing(raw: str, expected: str) -> None:
    assert scrub_text(raw) == expected
    assert scrub_text(expected) == expected  # fixed point


KEPT_REAL = [
    "mnt-data-supervisor-mounts-backup.mount: Mount process exited, code=exited, status=32/n/a",
    "Could not mount backup due to: timeout",
    "Reloading mount: backup",
    "The user 'root' is not registered",
    "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)",
    "Hostname set to <homeassistant>.",
    "dhcp4 (eth0): option dhcp_lease_time      => '86400'",
    "Contacted time server 172.30.32.3:123 (time.cloudflare.com).",
    "asyncio.exceptions.CancelledError at supervisor.jobs:123",
    "data[self.offset:16] and 2026-12-04 18:00:00 +0100 took +12345678 ns; UDP+EDNS0; C++17",
    "#0  0x00007f3b2c8e1d90 in raise () from /lib/libc.so.6",
    "Cannot connect to host version.home-assistant.io:443 ssl:default [Try again]",
    "lookup ghcr.io on 172.30.32.3:53: server misbehaving",
    "the job for mount failed",
    "2026-12-04 18:00:00.123 INFO (MainThread) [supervisor.host.network] Updating",
    "Dec  4 18:00:00 homeassistant systemd[1]: Started Docker Application Container Engine.",
    # Docker's short ids are random per install: triage follows them, they name no one
    "Container a1b2c3d4e5f6 exited with code 137",
    "run-docker-netns-a1b2c3d4e5f6.mount: Deactivated successfully.",
    "br-a1b2c3d4e5f6: port 1(veth3c2eff4) entered blocking state",
    # a Go pseudo-version's commit, a pointer, a module and line, Go files and lines
    "/root/go/pkg/mod/github.com/godbus/dbus/v5@v5.1.1-0.20230522191255-76236955d466/conn.go:12",
    "#0  0x00007ffffe12abcd in raise () from /lib/libc.so.6",
    "async_connect at supervisor.jobs:123 main.go:70 asm_amd64.s:1594 proc.go:369",
    "KeyError: ('light', 20) in ('x.py', 12)",
    "Connection to broker core-mosquitto:1883 failed; connecting to localhost:1883",
    "ghcr.io/home-assistant/amd64-hassio-supervisor:2026.12.0 sha256 digest, decade-1a2b3c",
    "x509: certificate is valid for localhost, homeassistant, not supervisor",
    "New client connected from 172.30.32.1:51234 as mqttjs_1a2b3c4d (p2, c1, k60, "
    "u'homeassistant').",
    # root's own sudo and PAM lines; device models without an owner; Zigbee2MQTT's bridge
    # topics, its coordinator, device paths and internal hosts; public names in DNS logs
    "sudo: pam_unix(sudo:session): session closed for user root",
    "pam_unix(sudo:session): session opened for user root(uid=0) by root(uid=0)",
    "login[300]: ROOT LOGIN ON tty1",
    "My iPhone is on iOS 17.1; Apple Watch Series 9; watchdog: BUG: soft lockup; Pixel 7 Pro",
    "Setting up mobile_app for iPhone (iPhone15,2), macOS 14.1 (MacBookPro18,3)",
    "Zigbee2MQTT:info  2026-12-04 18:00:00: MQTT publish: topic 'zigbee2mqtt/bridge/state', "
    "payload '{\"state\":\"online\"}'",
    "z2m: Device 'Coordinator' announced itself",
    "Device '/dev/ttyUSB0' not found; Failed to ping 'core-mosquitto'",
    "TypeError: can't convert 'int' to 'str'; Error: could not copy 'a' to 'b'",
    "reply from server is 200 OK; cached data is stale; forwarded message to queue",
    "<state sensor.x=on; friendly_name=None @ 2026-12-04T18:00:00+01:00>",
    "query[A] version.home-assistant.io from 172.30.32.1",
    "[ERROR] plugin/errors: 2 version.home-assistant.io. A: read udp 172.30.32.3:45678->"
    "172.30.32.1:53: i/o timeout",
    "Build failed with android-ndk on the 2nd run of the PC",
    "inotify's watch limit reached; Python's echo; the system's desktop; the pc de Jean",
    "[(172.30.32.1):8009] Connection reestablished!",
    "Subscribing to owntracks/+/+ and owntracks/+/+/event",
    "    if person.user_id == user.id:",
    "from homeassistant.components.person.const import DOMAIN; sensor.living_room_tv",
    "Supports iPhone and iPad; Settings iPhone; The Jeans iPhone",
    "dhcpd[300]: DHCPINFORM from 172.30.32.1 via eth0",
    "Set hostname homeassistant; supervisor.local.hassio, dns.local.hassio, "
    "a0d7b954-ssh.local.hassio",
    "root@homeassistant's password: ; Permission denied (publickey).",
    "sensor.living_room_ipad_battery; sensor.kitchen_ipad; sensor.iphone_battery_level",
    "iPhone de la casa; iPhone von jean (a sentence, not a device's name)",
    "Login attempt or request with invalid authentication from 172.30.32.1 (172.30.32.1).",
    "user [WORKGROUP]\\[homeassistant] at [Fri, 04 Dec 2026 18:00:00.123456 CET] with [NTLMv2] "
    "status [NT_STATUS_OK] workstation [] remote host [ipv4:172.30.32.1:51234] became "
    "[WORKGROUP]\\[homeassistant] [S-1-5-21-1-2-3-1000].",
    # OpenThread's and zigbee-herdsman's lines that name no network; a trace's span ids; a
    # Zigbee2MQTT setting still to be generated; its database's path
    "[N] Mle-----------: Role detached -> leader; Channel: 15; Channel Mask: 0x07fff800",
    '{"trace_id": "abc", "span_id": "a1b2c3d4e5f60718", "parent_span_id": "a1b2c3d4e5f60719"}',
    "advanced: pan_id: GENERATE; network_key: GENERATE; networkKey: HIDDEN",
    '\\"databasePath\\":\\"/config/zigbee2mqtt/database.db\\"',
    "pan_id = int(data['pan_id'], 16)",
    # ssh's lines about public hosts and addresses; connections that are not ssh's
    "Host key for github.com has changed; Warning: Permanently added the ED25519 host key for "
    "IP address '172.30.32.1' to the list of known hosts.",
    "Connection to the Supervisor closed; Connection to websocket lost; connect to host "
    "172.30.32.1 port 22",
    # Mosquitto's ids that programs make up (Zigbee2MQTT's, a random one, Home Assistant's),
    # aiohttp's clients, a State's time
    "Client mqttjs_1a2b3c4d disconnected. Client <unknown> disconnected due to protocol error.",
    "New client connected from 172.30.32.1:51234 as auto-5B1C6F8A-9A7E-4F43-8C6F-2C1B6C3E2D1A "
    "(p2, c1, k60, u'homeassistant').",
    "aiohttp client session closed; the client is not connected; Client error, retrying",
    "<state sensor.x=on; friendly_name=None @ 2026-12-04T18:00:00+01:00>",
    # Zigbee2MQTT's own device in discovery; entity ids of rooms and of family words; a module
    "{\"device\":{\"identifiers\":[\"zigbee2mqtt_bridge_x\"],\"name\":\"Zigbee2MQTT Bridge\"},"
    "\"object_id\":\"zigbee2mqtt_bridge_connection_state\"}",
    "sensor.kid_s_room_temperature; light.living_room; homeassistant.components.light.its_s_x",
    # Dropbear's lines about root, and lines that only look like its own
    "Password auth succeeded for 'root' from 172.30.32.1:51234; Exit (root) from "
    "<172.30.32.1:51234>: Exited normally; User root executing login shell",
    "Error executing 'script.wake_up'; Exit (1): failed; Exit before auth from <172.30.32.1:22>: "
    "Exited normally",
    # the apps' own service accounts; words that follow "user" elsewhere
    "[12:00:00] INFO: Setting up user homeassistant\n[12:00:00] INFO: Update user addons; "
    "Failed to update user settings: timeout",
        # words after "home id" that are no id
    "home id added; the home id abc",
        # ESPHome's shared files; a build path that is no node's
    "INFO Reading configuration /config/esphome/secrets.yaml...; Build path: /tmp/build/.pio",
        # Home Assistant's own backup names and the Supervisor's slugs
    "Ignoring /data/backup/Automatic_backup_2026.12.0_2026-12-04_18.00_00123456.tar; "
    "/backup/a1b2c3d4.tar; docker load -i layer.tar",
        # the Supervisor's ingress API
    "POST /ingress/validate_session; /ingress/session; /api/hassio_ingress/",
        # Home Assistant's default HomeKit bridge
    "Starting accessory HASS Bridge:21064 on addresses ['172.30.32.1'], port 21064.",
        # host names that are Home Assistant OS's own
    'static hostname changed from (none) to "homeassistant"; published hostname from '
    "'homeassistant' to 'homeassistant2'",
    # NetworkManager's supplicant settings that name no one
    "Config: added 'scan_ssid' value '1'\nConfig: added 'key_mgmt' value 'WPA-EAP'\n"
    "Config: added 'psk' value '<hidden>'\nConfig: added 'bgscan' value 'simple:30:-70:86400'",
    # Z-Wave lines without a home id; a node's own id stays
    "the home id is unknown; homeId: undefined; home_id=None; own node ID: 1; node_id=5",
    # the Supervisor's own backup locations and words that only look like a mount's messages
    "Backup a1b2c3d4 exists in two files in locations None, .cloud_backup. Ignoring x; "
    "Restarting Home Assistant did not succeed; Entity does not exist in registry; "
    "Reloading homeassistant did not complete in time; No mount exists with name backup",
    # the Supervisor's built-in app repositories; an issue tracker's URL beside the word
    "Cloning app /data/addons/git/a0d7b954 repository from https://github.com/hassio-addons/"
    "repository; Update app core repository from https://github.com/home-assistant/addons; "
    "https://github.com/esphome/home-assistant-addon is a repository",
    "Please report it at https://github.com/hacs/integration/issues; the repository is fine",
    # a module path that ends like an address's slug
    "homeassistant.components.calendar.jean_gmail_com; sensor.gmail_community_posts",
        # configuration errors whose value names no one: a port, nothing, a flag
    "expected int for dictionary value @ data['port']. Got 99999\n"
    "required key not provided @ data['password']. Got None\n"
    "Invalid config for 'http' at configuration.yaml, line 7: expected bool for dictionary value "
    "'http->use_x_forwarded_for', got []",
        # config entries titled after their integration or a default word
    "Error setting up entry Sun for sun\nError setting up entry Home for met: timeout\n"
    "Config entry 'Radio Browser' for radio_browser integration not ready yet",
]


@pytest.mark.parametrize("text", KEPT_REAL)
def test_real_lines_that_name_no_one_are_kept(text: str) -> None:
    assert scrub_text(text) == text
