"""The scrubber against log lines users pasted into public issues, the closest to real input.

Users paste their Supervisor, host (journal), OS-Agent, Home Assistant and app logs into GitHub
issues when they report a problem. Each case is such a line, found at the issue named, with
every value that named a home or a person (and what the user had blanked by hand, "xxx",
"REDACTED") replaced by a made-up value of the same shape: (line, the values that must not
survive, where it was pasted, the program that wrote it). The output must also be a fixed
point. KEPT lines name no one, and the words listed, which triage needs, must stay.
"""

from __future__ import annotations

import pytest

from crash_reporter.scrub import scrub_event, scrub_text
from tests.test_scrub_linear import GROWTH_LIMIT, _grow, _growth, _per_kb, _texts

CASES: list[tuple[str, tuple[str, ...], str, str]] = [
    ('Jun 08 18:52:47 homeassistant systemd[1]: mnt-data-supervisor-mounts-Smith_NAS.mount: '
     'Failed to open /run/systemd/transient/mnt-data-supervisor-mounts-Smith_NAS.mount: No '
     'such file or directory',
     ('Smith_NAS',), 'home-assistant/core#94261', 'systemd'),
    ('Jun 08 18:52:47 homeassistant systemd[1]: Mounting Supervisor cifs mount: Smith_NAS...',
     ('Smith_NAS',), 'home-assistant/core#94261', 'systemd'),
    ('Jun 08 18:52:47 homeassistant kernel: CIFS: Attempting to mount '
     '\\\\192.168.1.251\\jeanphotos',
     ('192.168.1.251', 'jeanphotos'), 'home-assistant/core#94261', 'kernel cifs'),
    ('Jun 08 18:52:47 homeassistant systemd[1]: Failed to mount Supervisor cifs mount: '
     'Smith_NAS.',
     ('Smith_NAS',), 'home-assistant/core#94261', 'systemd'),
    ('2025-02-15 09:00:11.138 INFO (MainThread) [supervisor.mounts.manager] Reloading mount: '
     'smithnas',
     ('smithnas',), 'home-assistant/core#138589', 'supervisor'),
    ('Apr 13 11:57:08 mydevice NetworkManager[451]: <info>  [1776045428.4037] device (wlan0): '
     "Activation: (wifi) access point 'Dupont Home' has security, but secrets are required.",
     ('Dupont Home',), 'RPi-Distro/firmware-nonfree#38', 'NetworkManager'),
    ('Apr 13 11:57:08 mydevice NetworkManager[451]: <info>  [1776045428.4199] device (wlan0): '
     "Activation: (wifi) connection 'Dupont Home' has security, and secrets exist.  No new "
     'secrets needed.',
     ('Dupont Home',), 'RPi-Distro/firmware-nonfree#38', 'NetworkManager'),
    ("Sep 23 13:09:56 p0w wpa_supplicant[485]: wlan0: Trying to associate with SSID 'Dupont "
     "Home'",
     ('Dupont Home',), 'raspberrypi/bookworm-feedback#33', 'wpa_supplicant'),
    ('Sep 23 13:09:58 p0w wpa_supplicant[485]: wlan0: Associated with 4c:01:43:65:49:f6',
     ('4c:01:43:65:49:f6',), 'raspberrypi/bookworm-feedback#33', 'wpa_supplicant'),
    ('Sep 23 13:09:58 p0w wpa_supplicant[485]: wlan0: CTRL-EVENT-CONNECTED - Connection to '
     '4c:01:43:65:49:f6 completed [id=0 id_str=]',
     ('4c:01:43:65:49:f6',), 'raspberrypi/bookworm-feedback#33', 'wpa_supplicant'),
    ('Sep 23 13:09:58 p0w NetworkManager[400]: <info>  [1695499798.8147] device (wlan0): '
     'Activation: (wifi) Stage 2 of 5 (Device Configure) successful. Connected to wireless '
     'network "Dupont Home"',
     ('Dupont Home',), 'raspberrypi/bookworm-feedback#33', 'NetworkManager'),
    ('Jul 17 19:05:34 hassio NetworkManager[219]: <info>  [1531854334.8862] device (wlan0): '
     'set-hw-addr: set MAC address to B6:6A:2B:66:9E:D3 (scanning)',
     ('B6:6A:2B:66:9E:D3',), 'home-assistant/operating-system#117', 'NetworkManager'),
    ('Dec 01 21:26:22 jeans-desktop NetworkManager[659]: <info>  [1606879582.7262] manager: '
     'NetworkManager state is now CONNECTING',
     ('jeans-desktop',), 'RinCat/RTL88x2BU-Linux-Driver#59', 'journal prefix'),
    ('Connection to 192.168.1.198 closed.',
     ('192.168.1.198',), 'home-assistant/supervisor#4354', 'ssh'),
    ('Nov 10 07:31:39 homeassistant NetworkManager[361]: <info>  [1699601499.8150] dhcp4 '
     '(enp1s0): state changed new lease, address=192.168.0.59',
     ('192.168.0.59',), 'home-assistant/operating-system#2918', 'NetworkManager'),
    ('Nov 10 07:31:39 homeassistant systemd-resolved[351]: enp1s0: Bus client set DNS server '
     'list to: 192.168.0.1',
     ('192.168.0.1',), 'home-assistant/operating-system#2918', 'systemd-resolved'),
    ('Dec 15 16:03:41 smithhome systemd[1]: systemd-hostnamed.service: Deactivated '
     'successfully.',
     ('smithhome',), 'home-assistant/operating-system#1673', 'journal prefix'),
    ('2026-04-07 19:21:57.554 homeassistant systemd-resolved[392]: Detected conflict on '
     'dupont-ha22197\\032\\091791617d13b224ca7949c45e76b609b9a\\093._workstation._tcp.local IN '
     'SRV 0 0 0 dupont-ha22197.local',
     ('dupont-ha22197', '791617d13b224ca7949c45e76b609b9a'),
     'home-assistant/supervisor#6708', 'systemd-resolved'),
    ('2026-04-07 19:21:57.554 homeassistant systemd-resolved[392]: Detected conflict on '
     'dupont-ha22197.local IN AAAA fe80::e978:a0fc:7758:8f7e',
     ('dupont-ha22197', 'fe80::e978:a0fc:7758:8f7e'),
     'home-assistant/supervisor#6708', 'systemd-resolved'),
    ('2024-04-12 23:48:45.061 dupontpi systemd[1]: Starting Time & Date Service...',
     ('dupontpi',), 'home-assistant/supervisor#4985', 'journal prefix'),
    ('09:15:43.570 Mounted Supervisor nfs mount: Dupontia.',
     ('Dupontia',), 'home-assistant/supervisor#6938', 'systemd'),
    ('09:15:43.597 Mounting Supervisor bind mount: bind_Dupontia...',
     ('Dupontia',), 'home-assistant/supervisor#6938', 'systemd'),
    ('2025-03-15 08:31:23.831 INFO (MainThread) [supervisor.hardware.monitor] Detecting add '
     'hardware /dev/ttyACM0 - '
     '/dev/serial/by-id/usb-dresden_elektronik_ingenieurtechnik_GmbH_ConBee_II_DE2474205-if00',
     ('DE2474205',), 'home-assistant/supervisor#5753', 'supervisor'),
    ('2025-03-15 08:33:53.594 INFO (MainThread) [supervisor.mounts.manager] Creating or '
     'updating mount: smithnas',
     ('smithnas',), 'home-assistant/supervisor#5753', 'supervisor'),
    ('2025-03-15 08:34:23.637 WARNING (MainThread) [supervisor.mounts.mount] Mount smithnas '
     'still in state activating after waiting for 30 seconds to complete',
     ('smithnas',), 'home-assistant/supervisor#5753', 'supervisor'),
    ('2025-03-15 08:34:23.650 ERROR (MainThread) [supervisor.mounts.mount] Could not unmount '
     'smithnas due to: Transaction for mnt-data-supervisor-mounts-smithnas.mount/stop is '
     "destructive (mnt-data-supervisor-mounts-smithnas.mount has 'start' job queued, but "
     "'stop' is included in transaction).",
     ('smithnas',), 'home-assistant/supervisor#5753', 'supervisor'),
    ('Login attempt or request with invalid authentication from pfsense.dupont-home.com '
     "(192.168.1.2). Requested URL: '/auth/login_flow/75550043510a4bb4a9ede8fcee143a83'. "
     '(Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0)',
     ('dupont-home', '192.168.1.2'),
     'home-assistant/core#98564', 'homeassistant.components.http.ban'),
    ('Feb 03 10:57:57 homeassistant homeassistant[598]: 2024-02-03 10:57:57.854 WARNING '
     '(MainThread) [homeassistant.components.http.ban] Login attempt or request with invalid '
     "authentication from 10.1.0.103 (10.1.0.103). Requested URL: '/api/websocket'. (Home "
     'Assistant/2024.1.5-12102 (Android 13; Pixel 4a))',
     ('10.1.0.103',), 'home-assistant/android#4188', 'http.ban'),
    ('Login attempt or request with invalid authentication from '
     '44.89.174.34.bc.googleusercontent.com (34.174.89.44). Requested URL: '
     "'/media/wp-includes/wlwmanifest.xml'.",
     ('44.89.174.34', '34.174.89.44'), 'home-assistant/core#93764', 'http.ban'),
    ('2022-04-15 12:31:38 WARNING (MainThread) [homeassistant.components.http.ban] Banned IP '
     '192.168.100.134 for too many login attempts',
     ('192.168.100.134',), 'home-assistant/core#70087', 'http.ban'),
    ('Login attempt or request with invalid authentication from fe80::8af:a02c:71c5:1f7e '
     '(fe80::8af:a02c:71c5:1f7e). (Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X))',
     ('fe80::8af:a02c:71c5:1f7e',), 'home-assistant/core#56819', 'http.ban'),
    ('mount error(112): Host is down; sudo mount -t cifs -o '
     'username=jdupont,password=hunter22,rw //192.168.1.90/Volume_1/backup/dupont/ /opt/backups',
     ('jdupont', 'hunter22', '192.168.1.90'), 'simatec/ioBroker.backitup#251', 'mount.cifs'),
    ('Feb 05 14:26:59 dupont-pi os-agent[444]: INFO: 2023/02/05 14:26:59 apparmor.go:44: Load '
     "AppArmor profile '/usr/share/hassio/apparmor/db21ed7f_readarr_nas'.",
     ('dupont-pi',), 'home-assistant/os-agent#107', 'os-agent journal'),
    ('Mar 21 15:19:09 dupontha hassio_supervisor[407]: 24-03-21 11:19:09 INFO (MainThread) '
     '[supervisor.resolution.check] Starting system checks with state running',
     ('dupontha',), 'home-assistant/operating-system#3262', 'journal prefix'),
    ('[18:01:23] INFO: Using Pulse URL: http://192.168.1.65:7655/',
     ('192.168.1.65',), 'Kosztyk/homeassistant-addons#7', 'app log'),
    ('Unable to connect: Cannot connect to host remotestate.nabucasa.com:443 ssl:default [Try '
     'again]',
     (), 'home-assistant/core#115637', 'hass_nabucasa'),
    ("Can't connect to SniTun server eu-central-1-4.ui.nabu.casa:443 with: [Errno -3] Try again",
     (), 'home-assistant/core#75347', 'snitun'),
    ('Could not connect to '
     'ws://a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6.ui.nabu.casa:8123/api/websocket, retry in 10 '
     'seconds...',
     ('a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',),
     'custom-components/remote_homeassistant#27', 'remote_homeassistant'),
    ('[20:58:53] INFO: Renew certificate for domains: dupontfamily.duckdns.org and aliases: ',
     ('dupontfamily',), 'home-assistant/addons#4075', 'duckdns app'),
    ('Processing dupontfamily.duckdns.org',
     ('dupontfamily',), 'home-assistant/addons#4075', 'dehydrated'),
    ('2024-08-05T12:38:02.334 2633844492 wpa_supplicant.service wpa_supplicant[571] STATS '
     'wlan0: CTRL-EVENT-DISCONNECTED bssid=e0:63:da:18:43:db reason=16',
     ('e0:63:da:18:43:db',), 'raspberrypi/bookworm-feedback#286', 'wpa_supplicant'),
    ('Aug 03 15:38:01 office-dupontpi wpa_supplicant[563]: wlan0: CTRL-EVENT-DISCONNECTED '
     'bssid=e0:63:da:18:43:db reason=16',
     ('dupontpi', 'e0:63:da:18:43:db'), 'RPi-Distro/firmware-nonfree#38', 'wpa_supplicant'),
    ('wlan0: STA e0:8c:fe:32:8f:98 RADIUS: starting accounting session 5F4799F2289E6641',
     ('e0:8c:fe:32:8f:98',), 'ex-ml/Hassio-Access-Point#124', 'hostapd'),
    ('wlan0: AP-STA-CONNECTED e0:8c:fe:32:8f:98',
     ('e0:8c:fe:32:8f:98',), 'ex-ml/Hassio-Access-Point#124', 'hostapd'),
    ('Jun 16 17:21:32 dupont-rpi NetworkManager[334]: <warn>  [1623864092.4304] '
     'sup-iface[0x3aa380,wlan0]: connection disconnected (reason 2)',
     ('dupont-rpi',), 'home-assistant/operating-system#1409', 'journal prefix'),
    ('Error connecting to the UniFi controller at https://192.168.1.56: Error requesting data '
     'from https://192.168.1.56: Cannot connect to host https:443 ssl:default [Try again]',
     ('192.168.1.56',), 'home-assistant/core#60876', 'unifi'),
    ('2021-08-15 23:34:17 ERROR (MainThread) [homeassistant.components.unifi] Error connecting '
     'to the UniFi controller at 192.168.1.104: Error requesting data from 192.168.1.104: '
     'Cannot connect to host 192.168.1.104:8443 ssl:default [Connect call failed '
     "('192.168.1.104', 8443)]",
     ('192.168.1.104',), 'home-assistant/core#54679', 'unifi'),
    ('Error connecting to the UniFi controller at unifi.dupont-net.de',
     ('dupont-net',), 'home-assistant/core#57626', 'unifi'),
    ('2021-08-15 23:33:45 INFO (MainThread) [custom_components.nodered.discovery] Creating '
     'sensor c879ac61.99cd1 e80bd956.f2e098',
     (), 'home-assistant/core#54679', 'nodered'),
    ('Jun 23 14:51:24 MyBox wpa_supplicant[409]: wlan0: Trying to associate with SSID '
     "'Dupont_5G'",
     ('Dupont_5G',), 'home-assistant/core#120238', 'wpa_supplicant'),
    ('INFO Successfully connected to dupont-winefridge @ 192.168.214.210 in 0.021s',
     ('dupont-winefridge', '192.168.214.210'), 'esphome/aioesphomeapi#639', 'esphome logs'),
    ("INFO (MainThread) [homeassistant.components.esphome] Can't connect to ESPHome API for "
     "192.168.110.26: Error connecting to ('192.168.110.26', 6053): [Errno 113] Connect call "
     "failed ('192.168.110.26', 6053)",
     ('192.168.110.26',), 'home-assistant/core#42668', 'esphome'),
    ("[13:36:43][I][wifi:187]: WiFi Connecting to 'Dupont Home'...",
     ('Dupont Home',), 'esphome/issues#816', 'esphome wifi'),
    ("[13:36:43][V][wifi:190]:   SSID: 'Dupont Home'",
     ('Dupont Home',), 'esphome/issues#816', 'esphome wifi'),
    ("[13:36:43][V][wifi:197]:   Password: 'hunter2hunter'",
     ('hunter2hunter',), 'esphome/issues#816', 'esphome wifi'),
    ("[13:36:44][V][wifi_esp32:320]: Event: Connected ssid='Dupont Home' "
     'bssid=BA:69:F4:12:34:56 channel=7, authmode=WPA2 PSK',
     ('Dupont Home', 'BA:69:F4:12:34:56'), 'esphome/issues#816', 'esphome wifi'),
    ("WARNING Can't connect to ESPHome API for dupont-switchboard.local: Error resolving IP "
     'address: [Errno -5] No address associated with hostname (APIConnectionError)',
     ('dupont-switchboard',), 'corvis/esphome-packages#2', 'esphome'),
    ('INFO Trying to connect to dupont-switchboard.local in the background',
     ('dupont-switchboard',), 'corvis/esphome-packages#2', 'esphome'),
    ("WARNING Can't connect to ESPHome API for jean-emon.local: Error connecting to "
     "('192.168.3.131', 6053): [Errno 111] Connect call failed ('192.168.3.131', 6053)",
     ('jean-emon', '192.168.3.131'), 'danpeig/ESP32EnergyMonitor#4', 'esphome'),
    ('INFO Starting log output from jean-emon.local using esphome API',
     ('jean-emon',), 'danpeig/ESP32EnergyMonitor#4', 'esphome'),
    ('MAC:                48:27:e2:46:90:7e',
     ('48:27:e2:46:90:7e',), 'home-assistant/esphome#13318', 'esptool'),
    ('[01:54:56][D][api:102]: Accepted ::FFFF:AFD:2A0F',
     ('::FFFF:AFD:2A0F',), 'esphome/issues#3737', 'esphome api'),
    ("2024-01-25T07:57:14.212473+00:00 dupontbox python3[11507]: Connection 'Dupont-a5d4' "
     '(c2d73882-8b73-4ee8-9f85-9022b200cf38) successfully added.',
     ('Dupont-a5d4', 'dupontbox'), 'SpyGuard/SpyGuard#29', 'nmcli'),
    ('2024-01-25T07:57:14.209261+00:00 dupontbox NetworkManager[803]: <info>  '
     '[1706169434.2088] audit: op="connection-add" uuid="c2d73882-8b73-4ee8-9f85-9022b200cf38" '
     'name="Dupont-a5d4" pid=11507 uid=0 result="success"',
     ('Dupont-a5d4',), 'SpyGuard/SpyGuard#29', 'NetworkManager'),
    ('Sep 10 00:06:48 dupont-booberry 935769eba5f2[412]: s6-rc: info: service fix-attrs: '
     'starting',
     ('dupont-booberry',), 'home-assistant/supervisor#3851', 'journal prefix'),
    ('DEVLINKS: /dev/disk/by-diskseq/29 /dev/disk/by-id/ata-Patriot_Burst_E0CD0799032200919475 '
     '/dev/disk/by-id/usb-ASMT_2115_1234567923CE-0:0',
     ('E0CD0799032200919475', '1234567923CE'), 'home-assistant/operating-system#2487', 'udev'),
    ('    ID_SERIAL: SanDisk_Cruzer_20044324420CE4A19DE2-0:0',
     ('20044324420CE4A19DE2',), 'lrybak/hassio-owserver#6', 'udev'),
    ('    ID_SERIAL_SHORT: 20044324420CE4A19DE2',
     ('20044324420CE4A19DE2',), 'lrybak/hassio-owserver#6', 'udev'),
    ('[16745146.898569] usb 1-1.3.1: SerialNumber: 20191120007562F',
     ('20191120007562F',), 'home-assistant/operating-system#555', 'kernel usb'),
    ('[19:43:39] INFO: Detecting existing certificate type for homeassistant.dupont-family.com',
     ('dupont-family',), 'home-assistant/addons#4147', 'letsencrypt app'),
    ('Requesting a certificate for homeassistant.dupont-family.com',
     ('dupont-family',), 'home-assistant/addons#4147', 'certbot'),
    ('Renewing an existing certificate for ha.dupont82.xyz',
     ('dupont82',), 'home-assistant/addons#3809', 'certbot'),
    ('dns.resolver.NoNameservers: All nameservers failed to answer the query '
     '_acme-challenge.ha.dupont82.xyz. IN A: Server Do53:127.0.0.11@53 answered SERVFAIL',
     ('dupont82',), 'home-assistant/addons#3809', 'certbot'),
    ('Auth: [SMB2,(null)] user [.]\\[Jeanpaul] at [Sun, 23 Oct 2022 16:29:00.435855 UTC] with '
     '[NTLMv2] status [NT_STATUS_NO_SUCH_USER] workstation [JEANPAUL-NB] remote host [ipv4: '
     '192.168.17.170:8256] mapped to [.]\\[Jeanpaul]. localhost[ipv4:192.168.17.4:445]',
     ('Jeanpaul', 'JEANPAUL-NB', '192.168.17.170'), 'home-assistant/addons#2719', 'smbd'),
    ('[09:59:17] INFO: Hostname: dupont-ha',
     ('dupont-ha',), 'home-assistant/addons#774', 'samba app'),
    ('Static hostname: smithhome',
     ('smithhome',), 'home-assistant/operating-system#1673', 'hostnamectl'),
    ('2026-04-07 19:21:57.309 homeassistant systemd-resolved[392]: Hostname conflict, changing '
     "published hostname from 'dupont-ha22193' to 'dupont-ha22197'.",
     ('dupont-ha22193', 'dupont-ha22197'), 'home-assistant/supervisor#6708', 'systemd-resolved'),
    ("Dec 15 16:03:41 smithhome systemd-hostnamed[812]: Changed pretty hostname to 'Smith Home "
     "Pi'",
     ('Smith Home Pi', 'smithhome'), 'home-assistant/operating-system#1673', 'systemd-hostnamed'),
    ('   Pretty hostname: Smith Home Pi',
     ('Smith Home Pi',), 'home-assistant/operating-system#1673', 'hostnamectl'),
    ('Transient hostname: dupont-pi',
     ('dupont-pi',), 'home-assistant/operating-system#1673', 'hostnamectl'),
    ('20-03-05 14:05:30 INFO (MainThread) [supervisor.auth] Auth request from core_mosquitto '
     'for jdupont',
     ('jdupont',), 'home-assistant/supervisor#1571', 'supervisor'),
    ('20-03-05 14:05:30 INFO (MainThread) [supervisor.auth] Cache hit for jdupont',
     ('jdupont',), 'home-assistant/supervisor#1571', 'supervisor'),
    ('21-03-10 08:00:01 WARNING (MainThread) [supervisor.auth] Wrong login from jdupont',
     ('jdupont',), 'home-assistant/supervisor#1571', 'supervisor'),
    ('21-03-10 08:00:01 INFO (MainThread) [supervisor.auth] Success login from jdupont',
     ('jdupont',), 'home-assistant/supervisor#1571', 'supervisor'),
    ('21-03-10 08:00:01 WARNING (MainThread) [supervisor.auth] No cache hit for jdupont',
     ('jdupont',), 'home-assistant/supervisor#1571', 'supervisor'),
    ('21-03-10 08:00:01 WARNING (MainThread) [supervisor.auth] Unknown user jdupont for '
     'password reset',
     ('jdupont',), 'home-assistant/supervisor#1571', 'supervisor'),
    ("[22:01:23][D][wifi:559]: - 'Jean's Hotspot' (HIDDEN) (FA:5E:42:B9:99:60) ▂▄▆█",
     ("Jean's Hotspot", 'FA:5E:42:B9:99:60'), 'esphome/issues#7170', 'esphome wifi'),
    ('I (2855) wifi:connected with Dupont Home, aid = 3, channel 6, BW20, bssid = '
     '3c:2e:ff:4a:5b:6c',
     ('Dupont Home', '3c:2e:ff:4a:5b:6c'), 'esphome/issues#816', 'esp-idf'),
    ("[13:36:43][D][wifi:363]: - 'Dupont Home' (B8:69:F4:12:34:56) ▂▄▆█",
     ('Dupont Home', 'B8:69:F4:12:34:56'), 'esphome/issues#816', 'esphome wifi'),
    ('[13:36:44][VV][esp-idf:000]: I (3621) wifi: connected with DupontHome, channel 7, 40D',
     ('DupontHome',), 'esphome/issues#816', 'esp-idf'),
    ("[22:01:23][I][wifi:554]: - 'Dupont_EXT' (E0:63:DA:71:F1:72) ▂▄▆█",
     ('Dupont_EXT', 'E0:63:DA:71:F1:72'), 'esphome/issues#7170', 'esphome wifi'),
    ("[22:01:23][D][wifi:559]: - 'NIMBLE DUPONT' (88:9E:68:36:B9:CF) ▂▄▆█",
     ('NIMBLE DUPONT',), 'esphome/issues#7170', 'esphome wifi'),
    ('org.freedesktop.DBus.Properties.PropertiesChanged object '
     '/org/freedesktop/systemd1/unit/mnt_2ddata_2dsupervisor_2dmounts_2dsmithbackup_2emount',
     ('smithbackup',), 'home-assistant/supervisor#6838', 'supervisor debug dbus'),
    ('2026-05-13 20:26:07.830 DEBUG (MainThread) [supervisor.dbus.systemd] Unit '
     '/org/freedesktop/systemd1/unit/mnt_2ddata_2dsupervisor_2dmounts_2dBackup_5fDupont'
     '_2emount changed',
     ('Backup_5fDupont', 'Dupont'), 'home-assistant/supervisor#6838', 'supervisor debug dbus'),
    ('2025-02-22 00:16:50.300 ERROR (MainThread) [homeassistant.components.hassio.handler] '
     'Failed to to call /mounts/dupont_nas/reload - Timeout',
     ('dupont_nas',), 'home-assistant/supervisor#5655', 'hassio'),
    ('check_ntlm_password: Authentication for user [Jeanpaul] -> [Jeanpaul] FAILED with error '
     'NT_STATUS_NO_SUCH_USER, authoritative=1',
     ('Jeanpaul',), 'home-assistant/addons#2719', 'smbd'),
    ('{"timestamp": "2022-10-23T16:29:00.436031+0000", "type": "Authentication", '
     '"Authentication": {"status": "NT_STATUS_NO_SUCH_USER", "localAddress": '
     '"ipv4:192.168.17.4:445", "remoteAddress": "ipv4:192.168.17.170:8256", "clientDomain": '
     '".", "clientAccount": "Jeanpaul", "workstation": "JEANPAUL-NB", "mappedAccount": '
     '"Jeanpaul", "mappedDomain": "."}}',
     ('Jeanpaul', 'JEANPAUL-NB', '192.168.17.170'),
     'home-assistant/addons#2719', 'smbd json audit'),
    ('Added user jeanpaul.',
     ('jeanpaul',), 'dianlight/hassio-addons#193', 'smbpasswd'),
    ("Forcing Primary Group to 'Domain Users' for jeanpaul",
     ('jeanpaul',), 'ServerContainers/samba#152', 'smbd'),
    ('check_ntlm_password:  authentication for user [jdupont] -> [jdupont] -> [jdupont] '
     'succeeded',
     ('jdupont',), 'home-assistant/addons#2196', 'smbd'),
    ('{"type": "Authentication", "Authentication": '
     '{"clientDomain":"DUPONT-PC","clientAccount":"jdupont","workstation":"DUPONT-PC","'
     'becameAccount":"jdupont","becameDomain":"DUPONT-PC"}}',
     ('jdupont', 'DUPONT-PC'), 'home-assistant/addons#924', 'smbd json audit'),
    ('  Domain: graz.dupont-family.at',
     ('dupont-family',), 'home-assistant/addons#3753', 'certbot'),
    ('  Detail: 178.21.33.44: Invalid response from '
     'https://graz.dupont-family.at/.well-known/acme-challenge/Xqr8SbHAi4bhQPnFDXaprKMZ'
     'hMzk6PyKMGPueF2SpoY: 404',
     ('178.21.33.44', 'dupont-family'), 'home-assistant/addons#3753', 'certbot'),
    ('http://test.dupontia.info/.well-known/acme-challenge/wL-mUSA6vJ89iYUdBd5wsaHth_Kl'
     '4YeTQB4jRIEplec:',
     ('dupontia',), 'home-assistant/addons#2197', 'certbot'),
    ('dns-01 challenge for dupont.example-home.name',
     ('dupont',), 'home-assistant/addons#1319', 'certbot'),
    ('Certificate is saved at: /etc/letsencrypt/live/dupont-family.at/fullchain.pem',
     ('dupont-family',), 'home-assistant/addons#3753', 'certbot'),
    ('Requesting a certificate for ha.dupont.dev and *.dupont.dev',
     ('dupont',), 'home-assistant/addons#4147', 'certbot'),
    ('Challenge failed for domain graz.dupont-family.at',
     ('dupont-family',), 'home-assistant/addons#3753', 'certbot'),
    ('[21:03:58] INFO: Renew certificate for domains: dupont.info and aliases: ha.dupont.info, '
     'nas.dupont.info',
     ('dupont',), 'home-assistant/addons#4075', 'duckdns app'),
    ('jdupont@dupont-mint-desktop:~/.config/autostart$ ssh -v 10.10.1.11',
     ('jdupont', 'dupont-mint-desktop'), 'home-assistant/addons#1234', 'shell prompt'),
    ('    cardno:000611073348',
     ('000611073348',), 'home-assistant/addons#1234', 'gpg ssh key comment'),
    ('root@dupont-ha:/home/jdupont# ha dns info',
     ('dupont-ha', 'jdupont'), 'home-assistant/supervisor#2203', 'shell prompt'),
    ('jdupont@dupont-laptop:~$ ha core logs',
     ('jdupont', 'dupont-laptop'), 'home-assistant/addons#1234', 'shell prompt'),
    ('root@dupont-pi:/config# ha host logs',
     ('dupont-pi',), 'home-assistant/supervisor#2203', 'shell prompt'),
    ('Login attempt or request with invalid authentication from ip0-0-0-0.dupont-home.net '
     "(10.0.0.7). Requested URL: '/auth/login_flow/0bd5b90aa77f40ad8a3e42528c9278d7'.",
     ('dupont', '10.0.0.7'), 'linuxserver/fail2ban-confs#27', 'http.ban'),
    ('03-11 10:44:52 ERROR [backup.ui.uiserver] Error serving POST '
     'http://dupontchateau.duckdns.org:8123/upload?slug=3445b25c',
     ('dupontchateau',), 'sabeechen/hassio-google-drive-backup#571', 'google drive backup app'),
    ("09-21 17:18:07 INFO Deleting 'Dupont Full Backup 2024-08-01 02:00:00' from Home Assistant",
     (), 'sabeechen/hassio-google-drive-backup#1086', 'google drive backup app'),
    ('locals:\n- dns://192.168.1.125',
     ('192.168.1.125',), 'home-assistant/supervisor#1271', 'ha dns info'),
    ("info  2022-05-16 10:17:37: MQTT publish: topic 'zigbee2mqtt/Jean Bedroom/Motion Sensor', "
     'payload \'{"battery":100,"linkquality":123,"occupancy":false,"voltage":3045}\'',
     ('Jean Bedroom',), 'Koenkk/zigbee2mqtt#12499', 'zigbee2mqtt'),
    ('  zigbee2mqtt:info 3/13/2019, 7:13:14 PM MQTT publish: topic '
     '\'zigbee2mqtt/jean_room_switch_hdd_hub\', payload \'{"state":"ON"}\'',
     ('jean_room_switch_hdd_hub',), 'Koenkk/zigbee2mqtt#1248', 'zigbee2mqtt'),
    ('    "port": '
     '"/dev/serial/by-id/usb-Texas_Instruments_TI_CC2531_USB_CDC___0X00124B000147708E-if00"',
     ('0X00124B000147708E',), 'danielwelch/hassio-zigbee2mqtt#281', 'zigbee2mqtt config'),
    ('Zigbee2MQTT:debug 2022-06-12 01:08:33: Using MQTT login with username: jdupont',
     ('jdupont',), 'Koenkk/zigbee2mqtt#12788', 'zigbee2mqtt'),
    ("Could not open user 'jdupont' authorized keys '/root/.ssh/authorized_keys': Permission "
     'denied',
     ('jdupont',), 'hassio-addons/app-ssh#872', 'sshd'),
    ('debug1: Connecting to 10.10.1.11 [10.10.1.11] port 22.',
     ('10.10.1.11',), 'home-assistant/addons#1234', 'ssh'),
    ('debug1: identity file /home/jdupont/.ssh/id_rsa type 0',
     ('jdupont',), 'home-assistant/addons#1234', 'ssh'),
    ('- dns://192.168.10.3',
     ('192.168.10.3',), 'home-assistant/supervisor#5726', 'ha dns info'),
    ('2024-04-10 18:08:43.986 INFO (MainThread) [supervisor.api.middleware.security] '
     '/host/logs/identifiers/hassio_supervisor access from a0d7b954_ssh',
     (), 'home-assistant/supervisor#5005', 'supervisor'),
    ('server_version: 10.0.0.1; upstream 10.0.0.2; x.version=10.1.1.1',
     ('10.0.0.1', '10.0.0.2', '10.1.1.1'),
     'https://community.home-assistant.io/t/raspberry-pi-zero-2-w-haos-8-5-9-x/481461',
     'made-up neighbours of a version'),
    ('            0A:10:86:B0:02:66  dupont-193b5c-g   Infra  3     270 Mbit/s  100     ▂▄▆█  '
     'WPA1 WPA2 ',
     ('dupont-193b5c-g', '0A:10:86:B0:02:66'),
     'https://hatakekara.com/fix-wifi-disable', 'nmcli device wifi'),
    ('  *         1C:7C:98:8D:21:26  Dupont Family 5G  Infra  11    260 Mbit/s  55      ▂▄__  '
     'WPA2      ',
     ('Dupont Family 5G',), 'https://hatakekara.com/fix-wifi-disable', 'nmcli device wifi'),
    ('~$ sudo nmcli device wifi connect "dupont-193b5c-g" password "hunter2hunter"',
     ('dupont-193b5c-g', 'hunter2hunter'), 'https://hatakekara.com/fix-wifi-disable', 'nmcli'),
    ('19:44:36 NetworkManager[1650]: <warn> Activation (wlan0) failed for access point (Dupont '
     'Home)',
     ('Dupont Home',), 'https://jethrocarr.com/tag/bugs', 'NetworkManager 0.9'),
    ('*  Dupont Home       Infra  6     54 Mbit/s  100     ▂▄▆█  WPA2',
     ('Dupont Home',),
     'https://hatakekara.com/fix-wifi-disable', 'nmcli device wifi (no BSSID column)'),
    ('[18:42:24][C][wifi:264]:   Gateway: 192.168.1.1; [18:42:24][C][wifi:254]:   IP Address: '
     '192.168.1.101',
     ('192.168.1.1', '192.168.1.101'), 'esphome/issues#565', 'esphome wifi'),
    ('    key: "vdNwn6bfc5mVpGXxhwr9qpV49wFL4gwV2Wgb4rGFw3U="',
     ('vdNwn6bfc5mVpGXxhwr9qpV49wFL4gwV2Wgb4rGFw3U=',), 'esphome/issues#6955', 'esphome yaml'),
    ('api:\n  encryption:\n    key: vdNwn6bfc5mVpGXxhwr9qpV49wFL4gwV2Wgb4rGFw3U=\nota:\n  - '
     'platform: esphome',
     ('vdNwn6bfc5mVpGXxhwr9qpV49wFL4gwV2Wgb4rGFw3U=',), 'esphome/issues#6955', 'esphome yaml'),
    ('INFO Uploading /config/dupont-multisensor/.pioenvs/dupont-multisensor/firmware.bin '
     '(334848 bytes)',
     ('dupont-multisensor',), 'esphome/issues#565', 'esphome'),
    ('$ esphome dupont_arrow_5.yaml logs',
     ('dupont_arrow_5',), 'esphome/issues#392', 'esphome cli'),
    ('INFO Connecting to dupont_arrow_5.local:6053 (192.168.0.100)',
     ('dupont_arrow_5', '192.168.0.100'), 'esphome/issues#392', 'esphome'),
    ('Wrote 0x37b830 bytes to file '
     '/config/.esphome/build/dupont-box3/.pioenvs/dupont-box3/firmware-factory.bin, ready to '
     'flash to offset 0x0',
     ('dupont-box3',), 'esphome/issues#5462', 'esphome'),
    ('INFO Resolving IP address of dupont-box3.localdomain',
     ('dupont-box3',), 'esphome/issues#5462', 'esphome'),
    ('INFO Reading configuration /config/esphome/jean-bedroom-light.yaml...',
     ('jean-bedroom-light',), 'esphome/issues#565', 'esphome'),
    ('INFO Compiling app... Build path: /data/build/jean-bedroom-light; '
     '/config/.esphome/build/jean-bedroom-light/src/main.cpp',
     ('jean-bedroom-light',), 'esphome/issues#5462', 'esphome'),
    ("[18:42:24][C][binary_sensor.gpio:022]: GPIO Binary Sensor 'Jean Bedroom Motion'",
     ('Jean Bedroom',), 'esphome/issues#565', 'esphome'),
    ("[15:42:47][D][sensor:125]: 'Dupont Garage Cover': Sending state 0.00000  with 0 decimals "
     'of accuracy',
     ('Dupont Garage',), 'esphome/issues#3003', 'esphome sensor'),
    ("[12:00:00][D][binary_sensor:036]: 'Jean Door': Sending state ON; [D][switch:012]: 'Jean "
     "Plug' Turning ON.",
     ('Jean Door', 'Jean Plug'), 'esphome/issues#3003', 'esphome binary_sensor, switch'),
    ('jeans-desk-lamp @ 192.168.178.60: Connection error occurred: Error connecting to '
     '[AddrInfo(family=<AddressFamily.AF_INET: 2>, type=<SocketKind.SOCK_STREAM: 1>, proto=6, '
     "sockaddr=IPv4Sockaddr(address='192.168.178.60', port=6053))]: [Errno 113] Connect call "
     "failed ('192.168.178.60', 6053)",
     ('jeans-desk-lamp', '192.168.178.60'),
     'home-assistant/core#149775', "aioesphomeapi (the message alone, as an exception's value)"),
    ("2023-05-30 16:00:31.505 WARNING (MainThread) [aioesphomeapi.reconnect_logic] Can't "
     'connect to ESPHome API for dupont-schminklampe @ 192.168.178.101: Error connecting to '
     "('192.168.178.101', 6053): [Errno 111] Connect call failed ('192.168.178.101', 6053)",
     ('dupont-schminklampe', '192.168.178.101'), 'home-assistant/core#93398', 'aioesphomeapi'),
    ('2023-05-30 16:00:33.858 DEBUG (MainThread) [aioesphomeapi.connection] dupont-wohnzimmer '
     '@ 192.168.178.106: Connecting to 192.168.178.106:6053',
     ('dupont-wohnzimmer', '192.168.178.106'), 'home-assistant/core#93398', 'aioesphomeapi'),
    ('{"known_hosts":"nas.dupontnet,192.168.1.5 ssh-ed25519 '
     'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"}',
     ('nas.dupontnet', '192.168.1.5'),
     'tests/test_scrub_neighbours.py (a value glued to a quote)',
     "ssh known_hosts line in an app's JSON options"),
    ('Jan 16 16:38:09 dupont-host2 udisksd[721]: Error updating ATA smart for '
     '/org/freedesktop/UDisks2/drives/ST2000NC000_2DA164_Z2B777YY: Disk is in sleep mode and '
     'the nowakeup option was passed (udisks-error-quark, 13)',
     ('Z2B777YY', 'dupont-host2'), 'storaged-project/udisks#177', 'udisksd'),
    ('[  384.750737] systemd-journald[115]: Failed to write entry to '
     '/var/log/journal/45a4d61ab26b42e3895f2bd890b6c59d/system.journal (28 items, 1142 bytes) '
     'despite vacuuming, ignoring: Input/output error',
     ('45a4d61ab26b42e3895f2bd890b6c59d',),
     'home-assistant/operating-system#3948', 'systemd-journald'),
    ('Jun 09 12:13:19 homeassistant os-agent[104]: INFO: 2022/06/09 09:13:18 datadisk.go:145: '
     'Exposing object /io/hass/os/DataDisk with interface io.hass.os.DataDisk ...',
     (), 'home-assistant/operating-system#1970', 'os-agent'),
    ('2026-05-13 20:26:07.830 DEBUG (MainThread) [supervisor.utils.dbus] Property change for '
     "org.freedesktop.hostname1-/org/freedesktop/hostname1: {'Hostname': "
     "<dbus_fast.signature.Variant ('s', 'dupont-pi')>, 'StaticHostname': "
     "<dbus_fast.signature.Variant ('s', 'dupont-pi')>} changed",
     ('dupont-pi',),
     "home-assistant/supervisor#6838 (the Supervisor's debug log of property changes)",
     'supervisor.utils.dbus'),
    ("{'Id': <dbus_fast.signature.Variant ('s', 'Dupont Home')>, 'Ssid': "
     "<dbus_fast.signature.Variant ('ay', b'Dupont Home')>, 'Domains': "
     "<dbus_fast.signature.Variant ('as', ['dupont.lan'])>}",
     ('Dupont Home', 'dupont.lan'),
     "home-assistant/supervisor#6838 (the Supervisor's debug log of property changes)",
     'supervisor.utils.dbus'),
    ("{'Serial': <dbus_fast.signature.Variant ('s', 'S6PXNM0T123456A')>, 'Alias': "
     "<dbus_fast.signature.Variant ('s', 'Jean Bose Headphones')>}",
     ('S6PXNM0T123456A', 'Jean Bose'),
     "home-assistant/supervisor#6838 (the Supervisor's debug log of property changes)",
     'supervisor.utils.dbus'),
    ('2023-02-03 18:35:31.8162 homeassistant NetworkManager[358]: <info>  [1675449331.8162] '
     'hostname: static hostname changed from (none) to "dupont-pi"',
     ('dupont-pi',),
     "home-assistant/operating-system#2341 (NetworkManager's hostname manager)", 'NetworkManager'),
    ('~$ ssh jdupont@dupont-pi.local',
     ('jdupont', 'dupont-pi'), 'https://hatakekara.com/fix-wifi-disable', 'ssh'),
    ('ssh: Could not resolve hostname dupont-pi.local: Name or service not known',
     ('dupont-pi',), 'https://hatakekara.com/fix-wifi-disable', 'ssh'),
    ('    static_ip: 192.168.178.103',
     ('192.168.178.103',),
     'https://community.home-assistant.io/t/curious-wifi-problems-esp8266/828034', 'esphome yaml'),
    ('    ssid: "Dupont Meter Fallback Hotspot"',
     ('Dupont Meter Fallback Hotspot',),
     'https://community.home-assistant.io/t/curious-wifi-problems-esp8266/828034', 'esphome yaml'),
    ('2024-06-29 07:13:49.475 homeassistant kernel: CIFS: VFS: \\\\192.168.0.1\\DUPONT.NAS '
     'BAD_NETWORK_NAME: \\\\192.168.0.1\\DUPONT.NAS',
     ('DUPONT.NAS', '192.168.0.1'), 'home-assistant/core#120806', 'kernel cifs'),
    ('df: /media/DupontBackup: No such file or directory',
     ('DupontBackup',), 'home-assistant/core#120806', 'df'),
    ('//192.168.1.20/config /mnt/dupont-config cifs '
     'user,noauto,iocharset=utf8,rw,credentials=/.keys/mnt-dupont,uid=1000',
     ('192.168.1.20',), 'home-assistant/addons#4247', 'fstab'),
    ('# ls /dev/disk/by-label\nhassos-boot     hassos-data     '
     'hassos-overlay\n/dev/disk/by-label/Dupont\\x20Backup -> ../../sdb1',
     ('Dupont\\x20Backup',), 'dianlight/hassio-addons#108', 'ls, udev links'),
    ('      ID_FS_LABEL: DUPONT_DRIVE\n      ID_FS_LABEL_ENC: DUPONT\\x20DRIVE\n      '
     'ID_FS_TYPE: ext4',
     ('DUPONT_DRIVE', 'DUPONT\\x20DRIVE'),
     'danielwelch/hassio-zigbee2mqtt#533', 'ha hardware info (udev)'),
    ('2024-01-01 10:00:00.000 INFO (SyncWorker_3) [supervisor.docker.interface] Logging in to '
     'registry.dupont.lan as jdupont',
     ('jdupont', 'dupont'),
     'home-assistant/supervisor supervisor/docker/interface.py (its format; no paste found)',
     'supervisor'),
    ('2025-03-01 10:00:00.000 DEBUG (MainThread) [custom_components.openwrt.api] Logging in to '
     'http://192.168.1.1/ubus as jdupont',
     ('jdupont', '192.168.1.1'),
     "home-assistant/an OpenWrt integration's ubus client (its format; no paste found)",
     'integration'),
    ('INFO Connecting to 192.168.1.101:6053 (192.168.1.101)',
     ('192.168.1.101',), 'esphome/issues#565', 'esphome'),
    ("[18:42:24][C][wifi:253]:   SSID: 'Dupont Home'[redacted]",
     ('Dupont Home',), 'esphome/issues#565', 'esphome wifi'),
    ("[18:42:24][C][wifi:257]:   Hostname: 'dupont-multisensor'",
     ('dupont-multisensor',), 'esphome/issues#565', 'esphome wifi'),
    ('[15:42:46][C][wifi:350]:   Local MAC: 24:6F:28:AA:BB:CC',
     ('24:6F:28:AA:BB:CC',), 'esphome/issues#3003', 'esphome wifi'),
    ('    password: "2084b6542efc893469cbbef7e0d9b6af"',
     ('2084b6542efc893469cbbef7e0d9b6af',), 'esphome/issues#6955', 'esphome yaml'),
    ('    mac_address: "A4:C1:38:9B:10:F8"',
     ('A4:C1:38:9B:10:F8',), 'esphome/issues#2438', 'esphome yaml'),
    ('2025-04-27 00:13:27.810 DEBUG (MainThread) [homeassistant.components.bluetooth.manager] '
     "jeanbathproxy (24:4C:AB:03:0B:6E) [connectable]: <BluetoothServiceInfoBleak name=Jean's "
     "Apple Watch address=62:00:A1:3E:2C:6A rssi=-89 manufacturer_data={12884: b'\\x00b'} "
     'service_data={} service_uuids=[] source=24:4C:AB:03:0B:6E connectable=True '
     'time=32002.883699104 tx_power=None> match: set()',
     ('jeanbathproxy', 'Jean', '24:4C:AB:03:0B:6E', '62:00:A1:3E:2C:6A'),
     'Bluetooth-Devices/inkbird-ble#96', 'homeassistant.components.bluetooth'),
    ('2022-08-16 17:01:48.078 DEBUG (MainThread) [bleak.backends.bluezdbus.manager] received '
     'D-Bus signal: org.freedesktop.DBus.Properties.PropertiesChanged '
     "(/org/bluez/hci0/dev_65_8A_CA_37_10_3C): ['org.bluez.Device1', {'Alias': "
     "<dbus_next.signature.Variant ('s', 'Jean Bedroom Eve')>}, []]",
     ('Jean Bedroom', '65_8A_CA_37_10_3C'), 'home-assistant/core#76380', 'bleak'),
]

KEPT: list[tuple[str, tuple[str, ...], str]] = [
    ('ERROR (MainThread) [supervisor.homeassistant.api] Error on call '
     'http://172.30.32.1:8123/api/config: Cannot connect to host 172.30.32.1:8123 ssl:False '
     "[Connect call failed ('172.30.32.1', 8123)]",
     ('supervisor.homeassistant.api', '172.30.32.1:8123', 'Connect call failed'),
     'home-assistant/supervisor#3105'),
    ('Jun 08 18:52:47 homeassistant kernel: CIFS: VFS: cifs_mount failed w/return code = -22',
     ('cifs_mount failed w/return code = -22',), 'home-assistant/core#94261'),
    ('2024-11-15 17:45:17.246 INFO (MainThread) [supervisor.docker.addon] Starting Docker '
     'add-on homeassistant/amd64-addon-duckdns with version 1.18.0',
     ('supervisor.docker.addon', 'homeassistant/amd64-addon-duckdns', '1.18.0'),
     'home-assistant/operating-system#3673'),
    ('Unable to connect: Cannot connect to host remotestate.nabucasa.com:443 ssl:default [Try '
     'again]',
     ('remotestate.nabucasa.com:443',), 'home-assistant/core#115637'),
    ('Feb 05 19:36:29 homeassistant os-agent[444]: INFO: 2023/02/05 19:36:29 cgroup.go:51: '
     "Permission '3ff12e21f149b5e4ef73b75bd5ab415a8ac24b24a00e880ec44b2ef66fc7bf21', granted "
     "for Container 'c 241:1 rwm'",
     ('cgroup.go:51', "granted for Container 'c 241:1 rwm'"), 'home-assistant/os-agent#107'),
    ('[13:36:43][V][wifi:199]:   Channel: 7',
     ('Channel: 7', 'wifi:199'), 'esphome/issues#816'),
    ('[W][ethernet:043]: Connecting via ethernet failed! Re-connecting...',
     ('ethernet:043', 'Connecting via ethernet failed'), 'esphome/issues#2184'),
    ("22-10-03 20:56:30 WARNING (MainThread) [supervisor.dbus.network] Can't process "
     '/org/freedesktop/NetworkManager/Devices/215: ',
     ('supervisor.dbus.network', '/org/freedesktop/NetworkManager/Devices/215'),
     'home-assistant/supervisor#3919'),
    ('2025-06-25 18:34:19.676 DEBUG (MainThread) [supervisor.utils.dbus] Property change for '
     "org.freedesktop.NetworkManager-/org/freedesktop/NetworkManager: ['ActiveConnections'] "
     'changed & [] invalidated',
     ('supervisor.utils.dbus', 'ActiveConnections'), 'home-assistant/supervisor#6765'),
    ('Certbot failed to authenticate some domains (authenticator: standalone). The Certificate '
     'Authority reported these problems:',
     ('Certbot failed to authenticate some domains',), 'home-assistant/addons#3753'),
    ('[12:52:58] INFO: Starting the WSDD daemon -i enp2s0 -i enp1s0 -i wlo1  for WORKGROUP',
     ('WSDD daemon', 'enp2s0'), 'dianlight/hassio-addons#520'),
    ('2026-04-07 19:21:57.309 homeassistant systemd-resolved[392]: Hostname conflict, changing '
     "published hostname from 'homeassistant' to 'homeassistant2'.",
     ("from 'homeassistant' to 'homeassistant2'.",), 'home-assistant/supervisor#6708'),
    ('Static hostname: homeassistant',
     ('Static hostname: homeassistant',), 'home-assistant/operating-system#1673'),
    ('20-03-05 14:05:30 INFO (MainThread) [supervisor.auth] Auth request from core_mosquitto '
     'for homeassistant',
     ('supervisor.auth', 'Auth request from core_mosquitto for homeassistant'),
     'home-assistant/supervisor#1571'),
    ('20-03-05 14:05:30 INFO (MainThread) [supervisor.auth] Home Assistant not running, check '
     'cache',
     ('Home Assistant not running, check cache',), 'home-assistant/supervisor#1571'),
    ("[22:01:23][D][wifi:559]: - '' (FA:5E:42:B9:99:61) ▂▄▆█",
     ("[wifi:559]: - ''",), 'esphome/issues#7170'),
    ('[22:01:23][D][wifi:510]: Found networks:',
     ('[wifi:510]: Found networks:',), 'esphome/issues#7170'),
    ('Failed to to call /mounts/options - 400; /mounts/backup/reload',
     ('/mounts/options', '/mounts/backup/reload'), 'home-assistant/operating-system#3192'),
    ('/org/freedesktop/systemd1/unit/mnt_2ddata_2dsupervisor_2dmounts_2dbackup_2emount',
     ('mnt_2ddata_2dsupervisor_2dmounts_2dbackup_2emount',), 'home-assistant/supervisor#6838'),
    ('{"clientDomain": "", "clientAccount": "guest", "workstation": "", "mappedDomain": "."}',
     ('"clientAccount": "guest"', '"mappedDomain": "."'), 'home-assistant/addons#924'),
    ('state [idle] -> [running]; Added user homeassistant.',
     ('[idle] -> [running]', 'Added user homeassistant.'), 'home-assistant/addons#2719'),
    ('Requesting a certificate for the domain; certificate for localhost; Invalid response '
     'from https://github.com/',
     ('certificate for the domain', 'certificate for localhost', 'github.com'),
     'home-assistant/addons#4147'),
    ('x509: certificate for api.github.com is not valid; SSL certificate for 172.30.32.1',
     ('api.github.com', '172.30.32.1'), 'home-assistant/supervisor#1241'),
    ('root@homeassistant:~# ha supervisor logs | tail; [core-ssh ~]$ ls',
     ('root@homeassistant:~# ha supervisor logs', '[core-ssh ~]$ ls'),
     'home-assistant/supervisor#5005'),
    ('jdupont@dupont-laptop and '
     'https://github.com/home-assistant/supervisor/blob/main/x.py:/config',
     ('https://github.com/home-assistant/supervisor/blob/main/x.py:/config',),
     'home-assistant/supervisor#5005'),
    ('20-03-30 06:36:16 INFO (SyncWorker_16) [supervisor.docker.dns] Start DNS '
     'homeassistant/aarch64-hassio-dns with version 1 - 172.30.32.3',
     ('supervisor.docker.dns', 'homeassistant/aarch64-hassio-dns', '172.30.32.3'),
     'home-assistant/supervisor#1615'),
    ('Zigbee2MQTT:info  2024-02-01 15:59:31: Starting Zigbee2MQTT version 1.35.1 (commit '
     '#4b6f50d)',
     ('Zigbee2MQTT version 1.35.1', '#4b6f50d'), 'Koenkk/zigbee2mqtt#21137'),
    ('2025-01-30 12:07:25.059 (MainThread) INFO [matter_server.server.stack] Initializing '
     'CHIP/Matter Controller Stack...',
     ('matter_server.server.stack', 'CHIP/Matter Controller Stack'), 'home-assistant/addons#3909'),
    ("2025-01-16 11:29:59.362 ERROR (MainThread) [supervisor.supervisor] Can't fetch AppArmor "
     'profile https://version.home-assistant.io/apparmor_stable.txt: Cannot connect to host '
     'version.home-assistant.io:443 ssl:default [Could not contact DNS servers]',
     ('supervisor.supervisor', 'https://version.home-assistant.io/apparmor_stable.txt',
      'version.home-assistant.io:443', 'Could not contact DNS servers'),
     'home-assistant/supervisor#5556'),
    ("21-12-12 06:20:17 ERROR (SyncWorker_5) [supervisor.docker.interface] Can't install "
     'ghcr.io/home-assistant/aarch64-hassio-supervisor:2021.12.1: 500 Server Error for '
     'http+docker://localhost/v1.41/images/create?tag=2021.12.1&fromImage=ghcr.io%2Fhom'
     'e-assistant%2Faarch64-hassio-supervisor: Internal Server Error ("Get '
     '"https://ghcr.io/v2/": dial tcp: lookup ghcr.io: no such host")',
     ('supervisor.docker.interface', 'ghcr.io/home-assistant/aarch64-hassio-supervisor:2021.12.1',
      'http+docker://localhost/v1.41/images/create', 'lookup ghcr.io: no such host'),
     'home-assistant/supervisor#3353'),
    ('Feb 02 17:18:26 homeassistant hassos-supervisor[574]: 21-02-02 17:18:26 INFO '
     '(SyncWorker_1) [supervisor.docker.observer] Starting Observer '
     'homeassistant/aarch64-hassio-observer with version 2020.10.1 - 172.30.32.6',
     ('hassos-supervisor[574]', 'supervisor.docker.observer',
      'homeassistant/aarch64-hassio-observer', '2020.10.1', '172.30.32.6'),
     'home-assistant/supervisor#3380'),
    ('2024-06-21 11:51:00.726 INFO (MainThread) [supervisor.updater] Fetching update data from '
     'https://version.home-assistant.io/stable.json',
     ('https://version.home-assistant.io/stable.json',), 'home-assistant/supervisor#5146'),
    ('[    8.026870] brcmfmac: brcmf_c_preinit_dcmds: Firmware: BCM43430/2 wl0: Oct  9 2020 '
     '14:44:32 version 9.88.4.65 (test) (f149b32@shgit)  (r679549) FWID 01-f40f3270',
     ('brcmf_c_preinit_dcmds', 'BCM43430/2', '9.88.4.65', 'FWID 01-f40f3270'),
     'https://community.home-assistant.io/t/raspberry-pi-zero-2-w-haos-8-5-9-x/481461'),
    ('[    7.641234] brcmfmac: Firmware: BCM43455/1 wl0: Feb 27 2018 version 7.45.154 (r684107 '
     'CY) FWID 01-4fbe0b04; ncp version: 1.2.3.4; v2.0.1.12',
     ('version 7.45.154', 'ncp version: 1.2.3.4', 'v2.0.1.12'),
     'https://community.home-assistant.io/t/raspberry-pi-zero-2-w-haos-8-5-9-x/481461'),
    ('IN-USE  BSSID              SSID             MODE   CHAN  RATE        SIGNAL  BARS  '
     'SECURITY',
     ('IN-USE  BSSID              SSID             MODE   CHAN',),
     'https://hatakekara.com/fix-wifi-disable'),
    ('            E6:63:DA:71:F1:72  --                Infra  1     130 Mbit/s  42      ▂▄__  '
     'WPA2',
     ('--                Infra  1',), 'https://hatakekara.com/fix-wifi-disable'),
    ('[15:42:47][C][i2c.arduino:037]: I2C Bus:; Found i2c device at address 0x77; '
     '[18:42:24][C][wifi:263]:   Subnet: 255.255.255.0',
     ('i2c.arduino:037', 'address 0x77', 'Subnet: 255.255.255.0'), 'esphome/issues#3003'),
    ('  - platform: atc_mithermometer\n    key: temperature_sensor_x1; index key: 3',
     ('platform: atc_mithermometer', 'key: temperature_sensor_x1', 'index key: 3'),
     'esphome/issues#2438'),
    ('INFO Reading configuration /config/esphome/secrets.yaml...; esphome config.yaml run; '
     '/config/esphome/.esphome/build/',
     ('/config/esphome/secrets.yaml', 'esphome config.yaml run', '/config/esphome/.esphome/build/'),
     'esphome/issues#565'),
    ("I said 'hello': sending state machine; [D][sensor:125]: '0x1A2B': Sending state 1.0",
     ("I said 'hello': sending state machine", "'0x1A2B': Sending state 1.0"),
     'esphome/issues#3003'),
    ('Jun 09 12:13:19 homeassistant os-agent[104]: WARNING: 2022/06/09 09:13:18 '
     "datadisk.go:97: Can't find a data mount!",
     ('os-agent[104]', 'datadisk.go:97', "Can't find a data mount!"),
     'home-assistant/operating-system#1970'),
    ('2025-06-25 17:17:45.193 homeassistant haos-swapfile[410]: [INFO] Using default swapsize '
     'of 33% RAM (622835 kB)',
     ('haos-swapfile[410]', 'Using default swapsize of 33% RAM (622835 kB)'),
     'home-assistant/operating-system#4627'),
    ('Exposing /org/freedesktop/UDisks2/drives/QEMU_HARDDISK and '
     '/org/freedesktop/UDisks2/block_devices/sda1',
     ('/org/freedesktop/UDisks2/drives/QEMU_HARDDISK',
      '/org/freedesktop/UDisks2/block_devices/sda1'),
     'home-assistant/operating-system#1970'),
    ("'InvocationID': <dbus_fast.signature.Variant ('ay', b'\\x8a\\xa3')>, 'ActiveState': "
     "<dbus_fast.signature.Variant ('s', 'active')>, 'Id': <dbus_fast.signature.Variant ('s', "
     "'Supervisor wlan0')>, 'Model': <dbus_fast.signature.Variant ('s', 'Samsung SSD 870')>",
     ("'ActiveState': <dbus_fast.signature.Variant ('s', 'active')>", "'Supervisor wlan0'",
      "'Samsung SSD 870'"),
     'home-assistant/supervisor#6838'),
    ('NetworkManager[358]: <info>  [1675449331.8162] hostname: static hostname changed from '
     '"homeassistant" to (none)',
     ('static hostname changed from "homeassistant" to (none)',),
     'home-assistant/operating-system#2341'),
    ('      ID_FS_LABEL: hassos-kernel\n      ID_FS_LABEL_ENC: hassos-kernel\n      '
     'ID_PART_ENTRY_NAME: hassos-kernel0\n/dev/disk/by-label/hassos-data '
     '/dev/disk/by-partlabel/EFI',
     ('ID_FS_LABEL: hassos-kernel', 'by-label/hassos-data', 'by-partlabel/EFI'),
     'danielwelch/hassio-zigbee2mqtt#533'),
    ('Invalid config for configuration.yaml config entry; Error in automations.yaml run; '
     'esphome secrets.yaml config',
     ('configuration.yaml config', 'automations.yaml run', 'secrets.yaml config'),
     'esphome/issues#392'),
    ('[18:42:24][I][application:097]: esphome-core version 1.12.2 compiled on Aug  5 2019, '
     '18:39:33',
     ('esphome-core version 1.12.2',), 'esphome/issues#565'),
    ('hci0 (DC:A6:32:11:22:33) [connectable]: <BluetoothServiceInfoBleak '
     "name=62:00:A1:3E:2C:6A address=62:00:A1:3E:2C:6A rssi=-89> ; {'RSSI': "
     "<dbus_next.signature.Variant ('n', -82)>}",
     ('hci0 (', 'rssi=-89', "{'RSSI': <dbus_next.signature.Variant ('n', -82)>}"),
     'Bluetooth-Devices/inkbird-ble#96'),
    ('DEVLINKS: /dev/disk/by-label/Dupont\\x20Backup; ID_FS_LABEL: DUPONT_DRIVE, '
     '(/dev/disk/by-label/X1)',
     ('DEVLINKS: /dev/disk/by-label/', '; ID_FS_LABEL: ', ', (/dev/disk/by-label/', ')'),
     'danielwelch/hassio-zigbee2mqtt#533'),
]


@pytest.mark.parametrize(("line", "secrets", "where", "program"), CASES)
def test_a_pasted_line_keeps_none_of_its_values(line: str, secrets: tuple[str, ...], where: str,
                                                program: str) -> None:
    out = scrub_text(line)
    assert [s for s in secrets if s.lower() in out.lower()] == [], (where, program, out)
    assert scrub_text(out) == out  # fixed point


@pytest.mark.parametrize(("line", "secrets", "where", "program"), CASES)
def test_a_pasted_line_as_an_exception_value_keeps_none_of_its_values(
        line: str, secrets: tuple[str, ...], where: str, program: str) -> None:
    # In an event the line is one of its strings, joined to the others by NUL: at a string's
    # start a value must go as it goes at a line's
    event = {"exception": {"values": [{"type": "ValueError", "value": line}]},
             "logentry": {"message": f"{program}: see below"}}
    out = scrub_event(event)
    assert out is not None
    value = out["exception"]["values"][0]["value"].lower()
    assert [s for s in secrets if s.lower() in value] == [], (where, program, value)


@pytest.mark.parametrize(("line", "words", "where"), KEPT)
def test_a_pasted_line_that_names_no_one_keeps_what_triage_needs(line: str,
                                                                 words: tuple[str, ...],
                                                                 where: str) -> None:
    out = scrub_text(line)
    assert [w for w in words if w not in out] == [], (where, out)


def test_a_value_held_in_an_object_repr_leaves_the_repr_readable() -> None:
    # supervisor#6838: a key's rule took the repr for the value ("'Ssid': [ssid]'ay', ...")
    line = ("{'Ssid': <dbus_fast.signature.Variant ('ay', b'Dupont Home')>, "
            "'Mode': <dbus_fast.signature.Variant ('s', 'infrastructure')>}")
    assert scrub_text(line) == (
        "{'Ssid': <dbus_fast.signature.Variant ('ay', b'[ssid]')>, "
        "'Mode': <dbus_fast.signature.Variant ('s', 'infrastructure')>}")
    assert scrub_text("token=<aiohttp.client.Foo object at 0x7f00>") == (
        "token=<aiohttp.client.Foo object at 0x7f00>")
    assert scrub_text("psk: <hidden>, password: <Smith Home") == (
        "psk: [filtered], password: [filtered]")


# The literals of the shapes added for these lines, their separators and values, for the attack of
# tests/test_scrub_linear.py: time per KB must not grow with the length.
PASTED_ATOMS = ["changing published hostname from '", "a", "' to '", "'", " ",
                  "Static hostname: ", "Pretty hostname: ", "\n", "cache hit for ",
                  "auth request from ", "a.b", " for ", "[D][wifi:1]: - '", "' (HIDDEN) (",
                  "wifi:connected with ", ", aid ", "supervisor_2dmounts_2d", "_5f", "_2e",
                  '"clientAccount": "', '"workstation":"',
                  "_2emount", "/mounts/", "/data", "user [", "] -> [", "]", '"workstation":"',
                  '"', "\\", "Added user ", "certificate for ", "a.b", ", ", " and ", "*.",
                  "/letsencrypt/live/", "  Domain: ", "a@b", ":~", "$ ", ":/config", "# ",
                  "cardno:", "0", "  Infra  ", "3C:2E:FF:4A:5B:6C  ", "wifi connect ",
                  "failed for access point (", ")", "key: ", 'key": "', "A", "b", "9", "=",
                  "/.pioenvs/", "/data/build/", "/esphome/", ".yaml", ".yaml logs", "a-b",
                  "]: '", "': Sending state", "[C][", " Sensor '", "'", "/udisks2/drives/",
                  "_2d", "_", "A1", "'Hostname': <", "dbus_fast.signature.Variant ('s', '",
                  "('as', [", "', '", "b'", "hostname changed from ", '"a"', " to ", "(none)",
                  "/by-label/", "\\x20", "ID_FS_LABEL: ", "Logging in to ", " as ",
                  ") [connectable]: ", "<BluetoothServiceInfoBleak name=", " address=", " ("]


def test_the_rules_for_pasted_lines_stay_linear() -> None:
    screened = sorted(((_per_kb(_grow(unit, 5_000), 1) / _per_kb(_grow(unit, 1_000), 2), unit)
                       for _, unit in _texts(PASTED_ATOMS)), reverse=True)
    worst = [(unit[:40], _growth(unit)[0]) for _, unit in screened[:3]]
    assert [(u, g) for u, g in worst if g > GROWTH_LIMIT] == []
