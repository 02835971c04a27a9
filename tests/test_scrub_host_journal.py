r"""The scrubber against the host journal around a crash, as Home Assistant OS writes it.

A crash report carries the host's journal lines around the crash (the Supervisor's logs API,
/host/logs: the kernel, systemd, systemd-fsck, systemd-timesyncd, NetworkManager,
wpa_supplicant, bluetoothd, dockerd, udisksd, dropbear, os-agent, the DNS plugin's CoreDNS ...).
Each case is a line those programs write on Home Assistant OS, built from the format string in
their source (named with the program), with made-up values of the real shapes: (line, the values
that must not survive, the program, its source and format). The output must be a fixed point,
and the line must lose its values also as an exception's value and a breadcrumb in an event.
KEPT lines name no one, and the words listed, which triage needs, must stay.
"""

from __future__ import annotations

import pytest

from crash_reporter.scrub import scrub_event, scrub_text
from tests.test_scrub_linear import GROWTH_LIMIT, _grow, _growth, _per_kb, _texts

_FSCK = "e2fsprogs e2fsck/unix.c (device_name = s_volume_name)"
_DEVICE = "systemd src/core/device.c (device_update_description, unit_name_from_path)"

CASES: list[tuple[str, tuple[str, ...], str, str]] = [
    # e2fsck names a file system by its label, as systemd-fsck runs it on a plugged-in disk
    ("2026-12-04 18:00:00.123 homeassistant systemd-fsck[412]: DUPONT_BACKUP: clean, "
     "11/1831424 files, 160017/7324160 blocks",
     ("DUPONT_BACKUP",), "systemd-fsck", f'{_FSCK}: "%s: clean, %u/%u files, %llu/%llu blocks"'),
    ("systemd-fsck[412]: Jean_Photos was not cleanly unmounted, check forced.",
     ("Jean_Photos",), "systemd-fsck", f'{_FSCK}: "%s was not cleanly unmounted, check forced."'),
    ("systemd-fsck[412]: Jean_Photos: recovering journal",
     ("Jean_Photos",), "systemd-fsck", f'{_FSCK}: "%s: recovering journal"'),
    ("systemd-fsck[412]: Jean_Photos: 11/1831424 files (0.0% non-contiguous), "
     "160017/7324160 blocks",
     ("Jean_Photos",), "systemd-fsck",
     f'{_FSCK}: "%s: %u/%u files (%0d.%d%% non-contiguous), %llu/%llu blocks"'),
    ("Jean_Photos contains a file system with errors, check forced.",
     ("Jean_Photos",), "systemd-fsck", f'{_FSCK}: "%s contains a file system with errors"'),
    # real output, made here: `mkfs.ext4 -L "Dupont Photos"` on an image, then e2fsck 1.47.0
    # (which writes the label's spaces as "_"), blkid, and systemd-escape --path
    ("Dupont_Photos: 11/2048 files (9.1% non-contiguous), 1618/8192 blocks\ne2fsck 1.47.0 "
     "(5-Feb-2023)\nDupont_Photos: clean, 11/2048 files, 1618/8192 blocks",
     ("Dupont",), "e2fsck 1.47.0 -fn / -n (real output)", _FSCK),
    ('img: LABEL="Dupont Photos" UUID="993e830d-daa3-40a4-904d-a1990f5995cd" BLOCK_SIZE="1024" '
     'TYPE="ext4"; /dev/sdb1: PARTLABEL="Jean Photos" PARTUUID="4a5b6c7d-01"',
     ("Dupont", "993e830d", "Jean", "4a5b6c7d"), "blkid 2.38.1 (real output)",
     "util-linux misc-utils/blkid.c: NAME=\"value\" tags"),
    ("dev-disk-by\\x2dlabel-Dupont\\x20Photos; "
     "dev-disk-by\\x2did-usb\\x2dSamsung_PSSD_T7_S5SXNS0R123456A\\x2d0:0.device; "
     "dev-disk-by\\x2duuid-2f0e1f8a\\x2d3c4b\\x2d4d5e\\x2d8f9a\\x2d0b1c2d3e4f5a.device",
     ("Dupont", "S5SXNS0R123456A", "2f0e1f8a"), "systemd-escape --path (real output), as in a "
     "repr", "systemd's unit names escaped once more (Python's repr, JSON)"),
    ("E: ID_FS_UUID=1A2B-3C4D\nE: ID_PART_TABLE_UUID=4a5b6c7d\nE: ID_PART_ENTRY_UUID=4a5b6c7d-01"
     "\nE: ID_PART_ENTRY_NAME=Jean\\x20Photos",
     ("1A2B", "4a5b6c7d", "Jean"), "udevadm info",
     "udev-builtin-blkid.c: ID_FS_UUID, ID_PART_TABLE_UUID, ID_PART_ENTRY_UUID, "
     "ID_PART_ENTRY_NAME (encoded)"),
    # systemd's device units: the label after the model in a device's description
    ("2026-12-04 18:00:00.123 homeassistant systemd[1]: Found device Samsung_SSD_870_EVO_1TB "
     "DUPONT_BACKUP.",
     ("DUPONT_BACKUP",), "systemd", f'{_DEVICE}: "Found device %s." ("<model> <label>")'),
    ("systemd[1]: Found device dev-sdb1.device - Portable_SSD_T5 Jean_Photos.",
     ("Jean_Photos",), "systemd", f'{_DEVICE}: "Found device %s." (253+: "<unit> - <desc>")'),
    ("systemd[1]: Timed out waiting for device PSSD_T7 MaisonDupont.",
     ("MaisonDupont",), "systemd", f'{_DEVICE}: "Timed out waiting for device %s."'),
    # ... and its escaped unit names of /dev/disk/by-* links
    ("systemd[1]: dev-disk-by\\x2dlabel-Jean\\x20Photos.device: Job "
     "dev-disk-by\\x2dlabel-Jean\\x20Photos.device/start timed out.",
     ("Jean",), "systemd", f"{_DEVICE}: unit names, '-' as \\x2d, ' ' as \\x20"),
    ("systemd[1]: Starting systemd-fsck@dev-disk-by\\x2dpartlabel-Dupont\\x2dMedia.service - "
     "File System Check on /dev/disk/by-partlabel/Dupont-Media...",
     ("Dupont",), "systemd", f"{_DEVICE}: systemd-fsck@.service's instance"),
    ("systemd[1]: dev-disk-by\\x2did-usb\\x2dSamsung_PSSD_T7_S5SXNS0R123456A\\x2d0:0.device: "
     "Job dev-disk-by\\x2did-usb\\x2dSamsung_PSSD_T7_S5SXNS0R123456A\\x2d0:0.device/start "
     "timed out.",
     ("S5SXNS0R123456A",), "systemd", f"{_DEVICE}: a by-id link's unit, the serial before -0:0"),
    ("systemd[1]: dev-disk-by\\x2did-ata\\x2dWDC_WD40EFRX\\x2d68N32N0_WD\\x2dWCC7K1234567"
     "\\x2dpart1.device: Job timed out.",
     ("WCC7K1234567",), "systemd", f"{_DEVICE}: a by-id link's unit"),
    ("systemd[1]: dev-disk-by\\x2duuid-2f0e1f8a\\x2d3c4b\\x2d4d5e\\x2d8f9a\\x2d0b1c2d3e4f5a"
     ".device: Job dev-disk-by\\x2duuid-2f0e1f8a\\x2d3c4b\\x2d4d5e\\x2d8f9a\\x2d0b1c2d3e4f5a"
     ".device/start failed with result 'timeout'.",
     ("2f0e1f8a", "0b1c2d3e4f5a"), "systemd", f"{_DEVICE}: a file system uuid's unit"),
    ("systemd[1]: Starting systemd-fsck@dev-disk-by\\x2duuid-1A2B\\x2d3C4D.service - File "
     "System Check on /dev/disk/by-uuid/1A2B-3C4D...",
     ("1A2B", "3C4D"), "systemd", f"{_DEVICE}: a FAT volume's serial"),
    ("Failed to mount /dev/disk/by-partuuid/4a5b6c7d-01 at /mnt/data/supervisor/media/usb",
     ("4a5b6c7d",), "udev / systemd-mount", "an MBR partition id (/dev/disk/by-partuuid/)"),
    # udev's links and properties as the journal, os-agent and `ha hardware info` print them
    ("2026-12-04 18:00:00.123 homeassistant os-agent[104]: INFO: 2026/12/04 18:00:00 "
     "datadisk.go:140: Data disk changed to /dev/disk/by-id/usb-Samsung_PSSD_T7_S5SXNS0R123456A-"
     "0:0",
     ("S5SXNS0R123456A",), "os-agent", "udev's by-id link of a USB disk, LUN '-0:0' after it"),
    ("/dev/disk/by-id/nvme-eui.0025388b91b2c3d4-part1 ID_WWN=eui.0025388b91b2c3d4 "
     "ID_WWN_WITH_EXTENSION=0x5002538e40a1b2c3",
     ("0025388b91b2c3d4", "5002538e40a1b2c3"), "udev (ha hardware info)",
     "udev builtin path_id/nvme: NVMe EUI-64, ID_WWN"),
    ("E: ID_WWN=0x5002538e40a1b2c3",
     ("5002538e40a1b2c3",), "udevadm info", "udev ata_id: ID_WWN"),
    # a MAC inside a longer run of bytes
    ("NetworkManager[361]: <info>  [1699601499.8150] dhcp4 (eth0): option "
     "dhcp_client_identifier => '01:dc:a6:32:01:02:03'",
     ("dc:a6:32:01:02:03", ":03'"), "NetworkManager",
     "src/core/dhcp/nm-dhcp-client.c: \"option %-20s => '%s'\" (RFC 2132's client id: type 01, "
     "the MAC)"),
    ("dhcp4 (eth0): option dhcp_client_identifier => 'ff:00:11:22:33:00:04:8e:3b:2a:1e'",
     ("00:04:8e:3b:2a:1e", ":2a:1e"), "NetworkManager", "RFC 4361's client id: ff, IAID, DUID"),
    # the Supervisor names the data disk by UDisks2's drive id, its serial last
    ("2026-12-04 18:00:00.123 ERROR (MainThread) [supervisor.os.data_disk] "
     "'Samsung-SSD-870-EVO-1TB-S6PUNX0R123456A' not a valid data disk target!",
     ("S6PUNX0R123456A",), "supervisor", "supervisor/os/data_disk.py: \"'%s' not a valid data "
     "disk target!\" (UDisks2's Drive.Id: vendor-model-serial)"),
    ("ERROR (MainThread) [supervisor.os.data_disk] Can't move data partition to "
     "Generic-Flash-Disk-61BCDDB6: DBus error; Cannot use WDC-WD40EFRX-68N32N0-WD-WCC7K1234567 as "
     "data disk as it is smaller then the current one (new: 1, current: 2)",
     ("61BCDDB6", "WCC7K1234567"), "supervisor",
     "data_disk.py: \"Can't move data partition to %s: %s\", \"Cannot use %s as data disk ...\""),
    ('{"data_disk": "Generic-Flash-Disk-61BCDDB6", "boot": "A"}; data_disk: '
     "Samsung-SSD-870-EVO-1000GB-S6PUNX0R123456A",
     ("61BCDDB6", "S6PUNX0R123456A"), "supervisor", "/os/info's data_disk (ha os info)"),
    # the kernel names Bluetooth input devices by the name their owner gave them
    ("2026-12-04 18:00:00.123 homeassistant kernel: hid-generic 0005:004C:0267.0004: "
     "input,hidraw3: BLUETOOTH HID v1.1f Keyboard [Jean's Magic Keyboard] on dc:a6:32:01:02:03",
     ("Jean", "dc:a6:32:01:02:03"), "kernel",
     'drivers/hid/hid-core.c hid_connect: "%s: %s HID v%x.%02x %s [%s] on %s"'),
    ("kernel: input: Jean Dupont's Keyboard as "
     "/devices/virtual/misc/uhid/0005:004C:0267.0004/input/input7",
     ("Jean", "Dupont"), "kernel", 'drivers/input/input.c: "%s as %s"'),
    ("kernel: input: Marie's Headphones (AVRCP) as /devices/virtual/input/input9",
     ("Marie",), "kernel", 'drivers/input/input.c (uinput from bluetoothd\'s AVRCP): "%s as %s"'),
    # dockerd names the images of a private registry (the user's own apps)
    ('dockerd[600]: time="2026-12-04T18:00:00.123Z" level=error msg="Handler for POST '
     "/v1.43/images/create returned error: pull access denied for nas-dupont:5000/jean/zigbee, "
     "repository does not exist or may require 'docker login'\"",
     ("nas-dupont", "jean"), "dockerd",
     "daemon/images: \"pull access denied for %s, repository does not exist or may require "
     "'docker login'\""),
    ('dockerd[600]: time="2026-12-04T18:00:00Z" level=info msg="Attempting next endpoint for '
     'pull after error: Head \\"https://nas-dupont:5000/v2/jean/zigbee/manifests/1.0\\": http: '
     'server gave HTTP response to HTTPS client"',
     ("nas-dupont", "jean"), "dockerd", "distribution/registry: the registry API's /v2/ URL"),
    ('dockerd[600]: time="2026-12-04T18:00:00Z" level=error msg="Handler for POST '
     '/v1.45/containers/create returned error: No such image: '
     'registry.dupont.lan:5000/jean/aarch64-myapp:1.0.3"',
     ("dupont", "jean"), "dockerd", 'daemon: "No such image: %s"'),
    ('dockerd[600]: level=info msg="Pull session cancelled" image="192.168.1.10:5000/jean/app:1"',
     ("192.168.1.10", "jean"), "dockerd", 'the logrus field image="%s"'),
    # NetworkManager's keyfile plugin names a connection's file and id after the network
    ("NetworkManager[361]: <info>  [1518719784.2287] keyfile: new connection "
     "/etc/NetworkManager/system-connections/Dupont Home (33d4b7c3-25cc-4440-9715-eece66f818d1,"
     '"Dupont Home")',
     ("Dupont Home", "33d4b7c3"), "NetworkManager",
     'settings/plugins/keyfile: "keyfile: new connection %s (%s,\\"%s\\")" (as pasted in '
     "linuxmint/cinnamon#7287)"),
    ('NetworkManager[361]: <info>  [1.1] keyfile: load: "/etc/NetworkManager/system-connections/'
     'Dupont Home.nmconnection" (9b3e1a2c-4d5e-4f60-8a7b-1c2d3e4f5a6b,"Dupont Home")',
     ("Dupont Home",), "NetworkManager", "keyfile plugin, NM 1.14+ (.nmconnection)"),
    ('NetworkManager[361]: <warn>  [1.1] keyfile: load: "/etc/NetworkManager/system-connections/'
     'Dupont_Home.nmconnection": failed to load connection: invalid connection: '
     "802-11-wireless-security.psk: property is invalid",
     ("Dupont_Home",), "NetworkManager", "keyfile plugin's load error"),
    # the names DNS questions ask about: the home's own machines, often with no domain
    ('[INFO] 172.30.32.1:51234 - 12345 "A IN nas-dupont. udp 45 false 512" NXDOMAIN '
     "qr,aa,rd 120 0.000123s",
     ("nas-dupont",), "CoreDNS (the DNS plugin)",
     'plugin/log: "{remote}:{port} - {>id} \\"{type} {class} {name} {proto} {size} ..."'),
    ("[ERROR] plugin/errors: 2 jeans-macbook. AAAA: read udp 172.30.32.3:46012->192.168.1.1:53:"
     " i/o timeout",
     ("jeans-macbook", "192.168.1.1"), "CoreDNS (the DNS plugin)",
     'plugin/errors/errors.go: "%d %s %s: %s"'),
    ("systemd-resolved[351]: DNSSEC validation failed for question nas-dupont IN A: "
     "no-signature",
     ("nas-dupont",), "systemd-resolved",
     'src/resolve/resolved-dns-transaction.c: "DNSSEC validation failed for question %s: %s"'),
    ("systemd-resolved[351]: Using DNS server 192.168.1.1#nas-dupont for transaction 1234.",
     ("nas-dupont", "192.168.1.1"), "systemd-resolved",
     'resolved-dns-transaction.c: "Using DNS server %s for transaction %u." (debug; '
     '"address#server_name")'),
    # wpa_supplicant's Wi-Fi Direct peers, named by their owners
    ("wpa_supplicant[402]: p2p-dev-wlan0: P2P-DEVICE-FOUND 02:11:22:33:44:55 "
     "p2p_dev_addr=02:11:22:33:44:55 pri_dev_type=7-0050F204-1 name='[TV] Dupont Living Room' "
     "config_methods=0x188 dev_capab=0x25 group_capab=0x0 vendor_elems=1 new=1",
     ("Dupont", "02:11:22:33:44:55"), "wpa_supplicant",
     "wpa_supplicant/p2p_supplicant.c: P2P_EVENT_DEVICE_FOUND MACSTR \" p2p_dev_addr=\" MACSTR "
     "\" pri_dev_type=%s name='%s' config_methods=0x%x ...\""),
    ("wpa_supplicant[402]: p2p-dev-wlan0: P2P-GO-NEG-REQUEST 02:11:22:33:44:55 dev_passwd_id=4 "
     "go_intent=7; P2P-PROV-DISC-PBC-REQ 02:11:22:33:44:55 p2p_dev_addr=02:11:22:33:44:55 "
     "pri_dev_type=10-0050F204-5 name='Jean's Pixel' config_methods=0x188 dev_capab=0x25 "
     "group_capab=0x0",
     ("Jean",), "wpa_supplicant", "p2p_supplicant.c: wpas_prov_disc_req's params"),
    # lines the scrubber already cleaned, kept here so that they stay clean
    ("systemd-timesyncd[389]: Contacted time server 10.0.0.1:123 (ntp.dupont.lan).",
     ("10.0.0.1", "dupont"), "systemd-timesyncd",
     'src/timesync/timesyncd-manager.c: "Contacted time server %s (%s)." (DHCP\'s NTP servers '
     "through HA OS's NetworkManager dispatcher 10-ntp)"),
    ("systemd-timesyncd[389]: Timed out waiting for reply from 192.168.178.1:123 "
     "(router.dupont-home.net).",
     ("192.168.178.1", "dupont"), "systemd-timesyncd",
     'timesyncd-manager.c: "Timed out waiting for reply from %s (%s)."'),
    ("systemd-timesyncd[389]: Contacted time server [fd00::1]:123 (nas-dupont).",
     ("fd00::1", "nas-dupont"), "systemd-timesyncd", "timesyncd-manager.c, IPv6"),
    ("avahi-daemon[300]: Server startup complete. Host name is dupont-ha.local. Local service "
     "cookie is 3158243713.",
     ("dupont-ha",), "avahi-daemon",
     'avahi-daemon/main.c: "Server startup complete. Host name is %s. Local service cookie is '
     '%u."'),
    ("avahi-daemon[300]: Host name conflict, retrying with dupont-ha-2",
     ("dupont-ha",), "avahi-daemon", 'avahi-daemon/main.c: "Host name conflict, retrying with %s"'),
    ("dropbear[812]: Bad password attempt for 'jean' from 192.168.1.50:51234",
     ("jean", "192.168.1.50"), "dropbear (HA OS's debug SSH on 22222)",
     "svr-authpasswd.c: \"Bad password attempt for '%s' from %s\""),
    ("dropbear[812]: Pubkey auth succeeded for 'root' with ssh-ed25519 key "
     "SHA256:Xk3p9Jq7V2mWz8N4bL6tR1yU5cE0aF9gH2iJ3kL4mN5 from 192.168.1.50:51234",
     ("Xk3p9Jq7V2mWz8N4bL6tR1yU5cE0aF9gH2iJ3kL4mN5", "192.168.1.50"), "dropbear",
     "svr-authpubkey.c: \"Pubkey auth succeeded for '%s' with %s key %s from %s\""),
    ('wpa_supplicant[402]: wlan0: CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid="Dupont Home" '
     "auth_failures=1 duration=10 reason=WRONG_KEY",
     ("Dupont Home",), "wpa_supplicant", 'wpa_supplicant/wpa_supplicant.c wpas_auth_failed'),
    ("wpa_supplicant[402]: wlan0: SME: Trying to authenticate with 4c:01:43:65:49:f6 "
     "(SSID='Dupont Home' freq=2437 MHz)",
     ("Dupont Home", "4c:01:43:65:49:f6"), "wpa_supplicant",
     "wpa_supplicant/sme.c: \"SME: Trying to authenticate with \" MACSTR \" (SSID='%s' ...)\""),
    ("NetworkManager[361]: <debug> [1699601499.8150] dhcp4 (eth0): option domain_name          "
     "=> 'dupont.lan'",
     ("dupont.lan",), "NetworkManager", "src/core/dhcp/nm-dhcp-client.c: \"option %-20s => '%s'\""),
    ("NetworkManager[361]: <info>  [1699601499.8150] policy: set 'Dupont Home' (wlan0) as "
     "default for IPv4 routing and DNS",
     ("Dupont Home",), "NetworkManager",
     "src/core/nm-policy.c: \"set '%s' (%s) as default for IPv%c routing and DNS\""),
    ("NetworkManager[361]: <info>  [1699601499.8150] device (wlan0): Activation: starting "
     "connection 'Dupont Home' (9b3e1a2c-4d5e-4f60-8a7b-1c2d3e4f5a6b)",
     ("Dupont Home", "9b3e1a2c-4d5e-4f60-8a7b-1c2d3e4f5a6b"), "NetworkManager",
     "src/core/devices/nm-device.c: \"Activation: starting connection '%s' (%s)\""),
    ("[ERROR] plugin/errors: 2 nas-dupont.local.hass.io. A: read udp "
     "172.30.32.3:46012->192.168.1.1:53: i/o timeout",
     ("nas-dupont", "192.168.1.1"), "CoreDNS (the DNS plugin, hassio_dns)",
     'plugin/errors/errors.go: "%d %s %s: %v"'),
    ("kernel: nfs: server nas.dupont.lan not responding, still trying",
     ("dupont",), "kernel", 'fs/nfs/client.c: "%s: server %s not responding, still trying"'),
    ("kernel: CIFS: VFS: \\\\nas-dupont has not responded in 180 seconds. Reconnecting...",
     ("nas-dupont",), "kernel", 'fs/smb/client/connect.c: "%s has not responded in %lu seconds"'),
    ("udisksd[700]: Mounted /dev/sda1 at /run/media/root/DUPONT_BACKUP on behalf of uid 0",
     ("DUPONT_BACKUP",), "udisksd", 'udiskslinuxfilesystem.c: "Mounted %s at %s on behalf of '
     'uid %u"'),
    ("systemd-journald[150]: System Journal (/var/log/journal/3b5e8f0c2a1d4e6f9b7c0d1e2f3a4b5c) "
     "is 48.0M, max 500.0M, 451.9M free.",
     ("3b5e8f0c2a1d4e6f9b7c0d1e2f3a4b5c",), "systemd-journald",
     "journald-server.c: the machine id in the journal's folder"),
]

KEPT: list[tuple[str, tuple[str, ...], str]] = [
    ("systemd-fsck[412]: hassos-data: clean, 11/1831424 files, 160017/7324160 blocks",
     ("hassos-data: clean, 11/1831424 files",), "systemd-fsck: the system's own data partition"),
    ("systemd-fsck[412]: /dev/mmcblk0p8: 11/1831424 files (0.0% non-contiguous), 1/2 blocks",
     ("/dev/mmcblk0p8: 11/1831424 files (0.0% non-contiguous)",), "systemd-fsck: no label"),
    ("systemd[1]: Found device Samsung_SSD_870_EVO_1TB hassos-data.; Found device "
     "Samsung_SSD_870_EVO_1TB 1.; Found device CP210x UART Bridge.; Found device "
     "Sonoff_Zigbee_3.0_USB_Dongle_Plus.; Found device dev-ttyACM0.device - ConBee_II.",
     ("Samsung_SSD_870_EVO_1TB hassos-data.", "Samsung_SSD_870_EVO_1TB 1.",
      "CP210x UART Bridge.", "Sonoff_Zigbee_3.0_USB_Dongle_Plus.", "ConBee_II."),
     "systemd: models, the system's labels, partition numbers"),
    ("systemd[1]: dev-disk-by\\x2dlabel-hassos\\x2ddata.device: Job timed out.; Starting "
     "systemd-fsck@dev-disk-by\\x2dpartlabel-hassos\\x2dboot.service - File System Check on "
     "/dev/disk/by-partlabel/hassos-boot...",
     ("dev-disk-by\\x2dlabel-hassos\\x2ddata.device", "by\\x2dpartlabel-hassos\\x2dboot.service",
      "/dev/disk/by-partlabel/hassos-boot..."), "systemd: the system's own labels"),
    ("systemd[1]: dev-disk-by\\x2did-usb\\x2dSamsung_PSSD_T7_S5SX\\x2d0:0.device",
     ("usb\\x2dSamsung_PSSD_T7_",), "systemd: the model in a by-id unit"),
    ("kernel: hid-generic 0003:046D:C52B.0001: input,hidraw0: USB HID v1.11 Keyboard "
     "[Logitech USB Receiver] on usb-0000:01:00.0-1.3/input0; input: Logitech USB Receiver "
     "Mouse as /devices/x",
     ("USB HID v1.11 Keyboard [Logitech USB Receiver]", "Logitech USB Receiver Mouse as"),
     "kernel: a vendor's product names"),
    ("systemd-timesyncd[389]: Initial synchronization to time server 162.159.200.1:123 "
     "(time.cloudflare.com).; wpa_supplicant[402]: wlan0: CTRL-EVENT-REGDOM-CHANGE "
     "init=COUNTRY_IE type=COUNTRY alpha2=DE; kernel: Bluetooth: hci0: BCM: "
     "'brcm/BCM4345C0.raspberrypi,4-model-b.hcd'; kernel: mmcblk0: mmc0:aaaa SC32G 29.7 GiB",
     ("time.cloudflare.com", "alpha2=DE", "brcm/BCM4345C0.raspberrypi,4-model-b.hcd",
      "mmc0:aaaa SC32G 29.7 GiB"), "public NTP, Wi-Fi country, firmware, SD card model"),
    ("Downloading docker image ghcr.io/home-assistant/amd64-hassio-supervisor with tag 2024.1.0;"
     ' Head "https://ghcr.io/v2/home-assistant/amd64-hassio-supervisor/manifests/2024.1.0"; '
     "image homeassistant/amd64-addon-ssh:9.0; No such image: localhost:5000/",
     ("ghcr.io/home-assistant/amd64-hassio-supervisor", "v2/home-assistant/amd64-hassio",
      "homeassistant/amd64-addon-ssh:9.0", "localhost:5000/"),
     "public registries' images, Docker Hub's, localhost"),
    ('keyfile: load: "/etc/NetworkManager/system-connections/Supervisor wlan0.nmconnection" '
     '(33d4b7c3-25cc-4440-9715-eece66f818d1,"Supervisor wlan0"); keyfile: add connection '
     'in-memory (33d4b7c3-25cc-4440-9715-eece66f818d1,"Wired connection 1")',
     ("system-connections/Supervisor wlan0.nmconnection", '"Supervisor wlan0")',
      '"Wired connection 1")'), "NetworkManager: the Supervisor's own and default connections"),
    ('[INFO] 172.30.32.1:1 - 2 "A IN version.home-assistant.io. udp 45 false 512" NOERROR; '
     '"PTR IN _hap._tcp.local. udp 45 false 512"; plugin/errors: 2 homeassistant. AAAA: x',
     ("version.home-assistant.io.", "_hap._tcp.local.", "2 homeassistant. AAAA"),
     "CoreDNS: public hosts, service names, Home Assistant's own"),
    ("Cannot use python-3.11 here; data_disk: /dev/mmcblk0; '/dev/sda' not a valid data disk "
     "target!; data_disk: Generic-Flash-Disk",
     ("python-3.11", "/dev/mmcblk0", "'/dev/sda'", "Generic-Flash-Disk"),
     "supervisor: versions, device paths, a drive id without a serial"),
    ("E: ID_PART_ENTRY_NAME=hassos-data\nID_PART_ENTRY_NAME: hassos-kernel0",
     ("=hassos-data", ": hassos-kernel0"), "udev: the system's own partitions"),
    ('/dev/sda8: LABEL="hassos-data" TYPE="ext4" PARTLABEL="hassos-data" PARTUUID="x"',
     ('LABEL="hassos-data"', 'PARTLABEL="hassos-data"'), "blkid: the system's own labels"),
]


def _event(line: str) -> dict[str, object]:
    return {"exception": {"values": [{"type": "OSError", "value": line}]},
            "breadcrumbs": {"values": [{"category": "journal", "message": line}]}}


@pytest.mark.parametrize(("line", "secrets", "program", "source"), CASES)
def test_a_journal_line_keeps_none_of_its_values(line: str, secrets: tuple[str, ...],
                                                 program: str, source: str) -> None:
    out = scrub_text(line)
    assert [s for s in secrets if s.lower() in out.lower()] == [], (program, source, out)
    assert scrub_text(out) == out  # fixed point


@pytest.mark.parametrize(("line", "secrets", "program", "source"), CASES)
def test_a_journal_line_in_an_event_keeps_none_of_its_values(
        line: str, secrets: tuple[str, ...], program: str, source: str) -> None:
    out = scrub_event(_event(line))
    assert out is not None
    texts = (out["exception"]["values"][0]["value"].lower(),
             out["breadcrumbs"]["values"][0]["message"].lower())
    assert [s for t in texts for s in secrets if s.lower() in t] == [], (program, source, texts)


@pytest.mark.parametrize(("line", "words", "what"), KEPT)
def test_a_journal_line_that_names_no_one_keeps_what_triage_needs(line: str,
                                                                  words: tuple[str, ...],
                                                                  what: str) -> None:
    out = scrub_text(line)
    assert [w for w in words if w not in out] == [], (what, out)


# The literals of the shapes added for these lines, their separators and values, for the attack
# of tests/test_scrub_linear.py: the time per KB must not grow with the length.
JOURNAL_ATOMS = ["by\\x2dlabel-", "by\\x2did-", "by\\x2duuid-", "by\\\\x2dlabel-", "\\x2d",
                 "\\x20", "_", "a", "1", ".", ".device", ":0", "-0:0", "/by-uuid/", "1A2B-",
                 "/by-partuuid/", "Found device ", "waiting for device ", " ", " - ", "a.",
                 ": clean, ", "]: ", "\n", " was not cleanly unmounted", ": 1/2 files (",
                 "0.0% non-contiguous), ", "eui.", "0025388b", "ID_WWN=0x", "/by-id/", "-",
                 "Jean's ", "Magic Keyboard", "Keyboard", "'s ", "No such image: ", "image ",
                 "a.b:5000/", "a/", "b", "//", "https://a:1", "/v2/", "/manifests/", "images/",
                 "/system-connections/", ".nmconnection", " (", "(a", "keyfile: ",
                 '(33d4b7c3-25cc-4440-9715-eece66f818d1,"', '")', '"',
                 '"A IN ', 'a.', ". udp ", "plugin/errors: 2 ", " A:", "for question ", " IN ",
                 "dns server ", "1.1#", "#",
                 ' LABEL="', ' PARTLABEL="', '\\"',
                 "ID_FS_UUID=", "ID_PART_ENTRY_NAME=", "1A2B-3C4D", "4a5b6c7d",
                 "' not a valid data disk target", "data_disk: ", "cannot use ", " as data disk",
                 "pri_dev_type=", "7-0050F204-1 name='", "' config_methods=", "'"]


def test_the_rules_for_journal_lines_stay_linear() -> None:
    screened = sorted(((_per_kb(_grow(unit, 5_000), 1) / _per_kb(_grow(unit, 1_000), 2), unit)
                       for _, unit in _texts(JOURNAL_ATOMS)), reverse=True)
    worst = [(unit[:40], _growth(unit)[0]) for _, unit in screened[:3]]
    assert [(u, g) for u, g in worst if g > GROWTH_LIMIT] == []
