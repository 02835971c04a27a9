r"""Values named by the words around them, in the sentences host daemons really write.

A key-value rule finds ``ssid=X``; these find what a daemon writes in a sentence: the
hostname systemd and NetworkManager set ("Hostname set to <X>", "set hostname to 'X'"), the
options a DHCP server handed out (NetworkManager's "option domain_search => 'X'"), the user a
login belongs to (logind's "New session 3 of user X", sshd's "Accepted publickey for X"), the
Wi-Fi network systemd-networkd and NetworkManager's policy name ("Connected WiFi access point:
X (mac)", "policy: set 'X' (wlan0) as default"), the mount name in the Supervisor's mount unit
description, its mount manager and its backups' locations ("Supervisor cifs mount: X",
"Reloading mount: X", "Backup mount 'X' is down"), the user of a Supervisor sign-in
("Successful login for 'X'").

`context_edits` takes what the shape of a whole line names: the name of a time server after
its address (timesyncd's "192.168.1.1:123 (X)") and of a DNS server (resolved's "addr%3#X"),
DHCP options, the Supervisor's lists of backup locations, NetworkManager's audit, roaming and
supplicant settings lines, secrets in a URL's query and path, quoted EUI-64 addresses, DNS-SD
instance names, the host in a journal line's prefix, and the user in the account lines of sudo,
su, login, PAM, sshd, Dropbear and Samba ("jean : TTY=pts/0 ; ...", "by jean(uid=1000)", "(to
root) jean on pts/0", "Exit (jean) from <...>", Samba's "user [WORKGROUP]\[jean]").

Each phrase starts at a literal (found with the other keywords in one automaton pass, see
`words`); its value is matched at that position only, with bounded or possessive quantifiers.
The line-shape rules start at a literal or a character set too, gated by rare literals found
in the same automaton pass (`GATES`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.allowlist import DEFAULT_NAMES, host_is_kept
from crash_reporter.scrub.classes import scan
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, SEP, Edit, Tally, line_start

# The value after a phrase: quoted ('X', "X", <X>), a word, the rest of a line up to " (",
# or a Supervisor mount name.
_QUOTED: Final = re.compile(
    r"[ \t]*+(?:'([^'\n\x00]{1,253}+)'|\"([^\"\n\x00]{1,253}+)\"|<([^<>\n\x00]{1,253}+)>)")
_WORD: Final = re.compile(r"[ \t]*+([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,253}+)")
_LINE: Final = re.compile(r"[ \t]*+([^\n\x00(]{1,253}+)")  # trailing blanks cut after
_UNTIL_QUOTE: Final = re.compile(r"([^'\n\x00]{1,253}+)'")  # after a literal ending in "'"
_NAME: Final = re.compile(r"[ \t]*+'?([A-Za-z0-9_]{1,64}+)(?![A-Za-z0-9_])")
# The Supervisor's "Mount X activated successfully", "Mount 'X' already exists ..."
_MOUNT_SUBJECT: Final = re.compile(
    r"[ \t]++'?([A-Za-z0-9_]{1,64}+)'?(?= (?:activated|failed to mount|is not mounted|reload"
    r"|reported|still in|already exists|exists,|is not used|is not active))")
# The Supervisor's "Cannot remove 'X', no mount exists with that name", "Mounting X did not
# succeed", "Reloading X did not complete in time", "Backup X is not in location Y"
_MOUNT_NAMED: Final = re.compile(r"[ \t]++'([A-Za-z0-9_]{1,64}+)'(?=, no mount exists)")
_MOUNT_DID_NOT: Final = re.compile(r"[ \t]++([A-Za-z0-9_]{1,64}+)(?= did not (?:succeed|complete))")
_MOUNT_AFTER: Final = re.compile(r"[ \t]++'?([A-Za-z0-9_]{1,64}+)(?![A-Za-z0-9_])")
# A value glued to its key ("logname=X"): an empty one ("ruser= rhost=") is no value.
_GLUED: Final = re.compile(r"([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,253}+)")
# PAM: "auth could not identify password for [X]"
_BRACKETED: Final = re.compile(r"[ \t]*+\[([^\[\]\s\x00]{1,64}+)\]")
# ssh (debug): "Connecting to %.200s [%.100s] port %s." - a host name, then its address
_SSH_CONNECTING: Final = re.compile(r"[ \t]++([A-Za-z0-9][\w.-]{0,252}+)(?= \[)")
# HAP-python (accessory_driver.py, as Home Assistant's homekit integration and HomeKit apps
# run it): "Starting accessory %s on address %s, port %s." (addresses, since 4.x) - the name
# its user gave the bridge or accessory
_ACCESSORY: Final = re.compile(r"[ \t]++([^\n\x00]{1,64}?)(?= on address)")
# The Supervisor (api/ingress.py): "Ingress for %s not available" - an app's ingress token
_INGRESS_TOKEN: Final = re.compile(r"[ \t]++([A-Za-z0-9_-]{32,86}+)(?= not available)")
# OpenSSH sshd (session.c): "subsystem request for %.100s by user %s" (and "... failed,
# subsystem not found")
_SUBSYSTEM_BY: Final = re.compile(r"[ \t]++[^\s\x00]{1,100}+ by user ([^\s,;'\"\x00-\x1f]{1,64}+)")
# The Supervisor's "Auth request from 'core_ssh' for 'X'"
_AUTH_FOR: Final = re.compile(r"[ \t]*+'[^'\n\x00]{0,64}+' for '([^'\n\x00]{1,253}+)'")

# A quoted value or a word
_QUOTED_OR_WORD: Final = re.compile(
    r"[ \t]*+(?:'([^'\n\x00]{1,253}+)'|([^\s'\"()\[\]{}<>,;\x00-\x1f]{1,253}+))")
# A host name (a port after it is not part of it: aiohttp's "Cannot connect to host x:443")
_HOST: Final = re.compile(r"[ \t]++([A-Za-z0-9][\w.-]{0,252}+)")
# ssh: "Connection to %s closed.", "Connection to %s closed by remote host.", "Connection to %s
# port %s timed out" - a host name only where ssh's own words follow it
_SSH_CLOSED: Final = re.compile(
    r"[ \t]++([A-Za-z0-9][\w.-]{0,252}+)(?= closed(?:\.| by remote host)| port \d)")

# (lowercased literal, placeholder class, value form)
PHRASES: Final[tuple[tuple[str, str, re.Pattern[str]], ...]] = (
    # systemd (PID 1, hostnamed): "Hostname set to <X>.", "Changed host name to 'X'"
    ("hostname set to", "hostname", _QUOTED),
    ("hostname to", "hostname", _QUOTED),
    ("host name to", "hostname", _QUOTED),
    # the Supervisor (host/control.py): "Set hostname %s"
    ("set hostname", "hostname", _WORD),
    # logind "New session 3 of user X.", PAM "session opened for user X(uid=1000)", sshd
    # "Accepted publickey for X from ...", "Failed password for invalid user X from ..."
    ("of user", "user", _WORD),
    ("for user", "user", _WORD),
    ("invalid user", "user", _WORD),
    ("accepted publickey for", "user", _WORD),
    ("accepted password for", "user", _WORD),
    ("accepted keyboard-interactive/pam for", "user", _WORD),
    ("failed password for", "user", _WORD),
    # sshd's other methods and verbs ("Failed publickey for X", "Postponed publickey for X",
    # "Failed none for X"), its closing lines ("Connection closed by authenticating user X",
    # "Disconnected from user X"); sudo's "[sudo] password for X:"; ssh's "Permanently added
    # 'X' (ED25519) to the list of known hosts."
    ("publickey for", "user", _WORD),
    ("hostbased for", "user", _WORD),
    ("keyboard-interactive/pam for", "user", _WORD),
    ("gssapi-with-mic for", "user", _WORD),
    ("failed none for", "user", _WORD),
    ("password for", "user", _WORD),
    ("authenticating user", "user", _WORD),
    ("from user", "user", _WORD),
    ("permanently added", "hostname", _QUOTED),
    # Mosquitto: "New client connected from %s:%d as %s (p%d, c%d, k%d, u'%s')."
    (" u'", "user", _UNTIL_QUOTE),
    # systemd-networkd: "Connected WiFi access point: X (3c:2e:..)"
    ("access point:", "ssid", _LINE),
    # NetworkManager policy: "set 'X' (wlan0) as default for IPv4 routing and DNS"
    ("policy: set", "ssid", _QUOTED),
    # The Supervisor's mount unit description: "Supervisor cifs mount: X"
    ("cifs mount:", "mount", _NAME),
    ("nfs mount:", "mount", _NAME),
    ("bind mount:", "mount", _NAME),
    # Python's ssl (CertificateError): "hostname 'a' doesn't match 'b'" / "... either of 'b'"
    ("doesn't match", "hostname", _QUOTED),
    ("doesn't match either of", "hostname", _QUOTED),
    # avahi-daemon: "Host name conflict, retrying with X"
    ("name conflict, retrying with", "hostname", _WORD),
    # The Supervisor's mounts (supervisor/mounts): "Reloading mount: X", "Probing mount X at",
    # "Could not mount X due to", "Systemd start job for mount X completed", "Mount X ..."
    ("mount:", "mount", _NAME),
    ("probing mount", "mount", _NAME),
    ("probe of mount", "mount", _NAME),
    ("job for mount", "mount", _NAME),
    ("could not mount", "mount", _NAME),
    ("could not restart mount", "mount", _NAME),
    ("could not reload mount", "mount", _NAME),
    ("local data for mount", "mount", _NAME),
    # The Supervisor restoring a backup's mounts (supervisor/backups/backup.py)
    ("restored mount configuration:", "mount", _NAME),
    ("failed to restore mount", "mount", _NAME),
    ("could not unmount", "mount", _NAME),
    ("blocking mount", "mount", _NAME),
    ("activate mount", "mount", _NAME),
    ("mount", "mount", _MOUNT_SUBJECT),
    # ... its other mount and backup-location messages (mounts/manager.py, mounts/mount.py,
    # exceptions.py, api/mounts.py, backups/manager.py, api/backups.py): "No mount exists with
    # name 'X'", "A mount already exists with name X", "Cannot remove 'X', no mount exists with
    # that name" (and reload, relocate local data for), "Cannot mount X at %s as it is not a
    # directory", "Mounting X did not succeed",
    # "Reloading X did not complete in time", "Restarting X did not succeed", "mounting
    # read-only fallback for X", "Backup mount 'X' is down", "storage usage for mount X",
    # "Backup %s is not in location X", "Could not copy backup to X due to"
    ("exists with name", "mount", _NAME),
    ("cannot remove", "mount", _MOUNT_NAMED),
    ("cannot reload", "mount", _MOUNT_NAMED),
    ("local data for", "mount", _MOUNT_NAMED),
    ("mounting", "mount", _MOUNT_DID_NOT),
    ("reloading", "mount", _MOUNT_DID_NOT),
    ("restarting", "mount", _MOUNT_DID_NOT),
    ("read-only fallback for", "mount", _NAME),
    ("cannot mount", "mount", _NAME),
    ("backup mount", "mount", _NAME),
    ("usage for mount", "mount", _NAME),
    ("in location", "mount", _MOUNT_AFTER),
    ("copy backup to", "mount", _MOUNT_AFTER),
    # The Supervisor's auth (supervisor/auth.py): "Successful login for 'X'", "Unauthorized
    # login for 'X'", "Successful password reset for 'X'", "The user 'X' is not registered",
    # "Username 'X' is in cache", "Auth request from 'core_ssh' for 'X'"
    ("login for", "user", _QUOTED),
    ("password reset for", "user", _QUOTED),
    ("the user", "user", _QUOTED),
    ("username", "user", _QUOTED),
    ("auth request from", "user", _AUTH_FOR),
    # OpenSSH sshd (auth2-pubkey.c): "Accepted certificate ID \"%s\" (serial %llu) signed by
    # %s CA %s via %s" - the key id, by convention its owner's user@host; auth.c "User %s
    # from %s not allowed because ..." (`context_edits`), "Authentication tried for %s with
    # correct key but not from a permitted host", "maximum authentication attempts exceeded
    # for %s from", session.c "Close session: user %s from"; auth-pam.c "PAM: %s for %s%s
    # from %s" ("Authentication failure for illegal user X from")
    ("certificate id", "user", _QUOTED),
    ("authentication tried for", "user", _WORD),
    ("attempts exceeded for", "user", _WORD),
    ("session: user", "user", _WORD),
    ("subsystem request for", "user", _SUBSYSTEM_BY),
    ("authentication failure for", "user", _WORD),
    ("illegal user", "user", _WORD),
    # Linux-PAM pam_unix: "authentication failure; logname=%s uid=%d euid=%d tty=%s
    # ruser=%s rhost=%s user=%s" ("user=" is a key the key-value rule takes), "auth could
    # not identify password for [%s]"
    ("logname=", "user", _GLUED),
    ("ruser=", "user", _GLUED),
    ("identify password for", "user", _BRACKETED),
    # smbd (service.c): "... connect to service %s initially as user %s (uid=%d, gid=%d)"
    ("initially as user", "user", _WORD),
    # OpenSSH ssh (client, as backup and git apps log it): "Authenticated to %s ([%s]:%d) using
    # \"%s\".", "Connecting to %.200s [%.100s] port %s."
    ("authenticated to", "hostname", _WORD),
    ("connecting to", "hostname", _SSH_CONNECTING),
    # Home Assistant (http/ban.py): "Login attempt or request with invalid authentication from
    # %s (%s)." - the client's reverse-DNS name, then its address
    ("invalid authentication from", "hostname", _WORD),
    # dnsmasq: "not giving name %s to the DHCP lease of %s because ...", "Ignoring domain %s
    # for DHCP host name %s"
    ("not giving name", "hostname", _WORD),
    ("dhcp host name", "hostname", _WORD),
    # OpenSSH's client (sshconnect.c, ssh.c), as backup and git apps log it: "Host key for
    # %.200s has changed and you have requested strict checking.", "Warning: the %s host key
    # for '%.200s' differs from the key for the IP address '%.128s'", "ssh: connect to host %s
    # port %s: %s", "%s: Could not resolve hostname %.100s: %s", "Connection to %s closed."
    ("host key for", "hostname", _QUOTED_OR_WORD),
    ("connect to host", "hostname", _HOST),
    ("could not resolve hostname", "hostname", _HOST),
    ("connection to", "hostname", _SSH_CLOSED),
    # NetworkManager (src/core/nm-policy.c): "set-hostname: current hostname was changed
    # outside NetworkManager: '%s'"; systemd-resolved (resolved-dns-zone.c): "Detected conflict
    # on %s" (the record: its name first, "kitchen-pi IN A 192.168.1.5")
    ("changed outside networkmanager:", "hostname", _QUOTED),
    ("detected conflict on", "hostname", _HOST),
    # Home Assistant's official apps, through bashio ("[%T] INFO: %s"): Mosquitto
    # (cont-init.d/mosquitto.sh "Setting up user ${username}"), MariaDB (mariadb-post/run
    # "Create user ${USERNAME}", "Update user ${USERNAME}")
    ("info: setting up user", "user", _WORD),
    ("info: create user", "user", _WORD),
    ("info: update user", "user", _WORD),
    # HAP-python (accessory.py setup_message): "Setup payload: %s" (the X-HM:// URI the QR code
    # holds) and "Or enter this code in your HomeKit app on your iOS device: %s" - the setup
    # code that pairs with it; "Starting accessory %s on address"
    ("ingress for", "token", _INGRESS_TOKEN),
    ("setup payload:", "filtered", _WORD),
    ("homekit app on your ios device:", "filtered", _WORD),
    ("starting accessory", "device", _ACCESSORY),
    # Dropbear (svr-authpasswd.c, svr-authpubkey.c, svr-authpam.c, svr-auth.c): "Password auth
    # succeeded for '%s' from %s", "Pubkey auth succeeded for '%s' with %s key %s from %s",
    # "Bad password attempt for '%s' from %s", "Too-long password attempt for '%s' from %s",
    # "Auth succeeded with blank password for '%s' from %s", "Pubkey auth bad signature for
    # '%s' with key %s from %s", "User account '%s' is locked", "Login attempt with wrong user
    # %s from %s" (its exit lines: `_account_edits`)
    ("auth succeeded for", "user", _QUOTED),
    ("blank password for", "user", _QUOTED),
    ("password attempt for", "user", _QUOTED),
    ("bad signature for", "user", _QUOTED),
    ("user account", "user", _QUOTED),
    ("wrong user", "user", _WORD),
)
WORDS: Final = tuple(p[0] for p in PHRASES)
_BY_WORD: Final = {p[0]: p[1:] for p in PHRASES}

# NetworkManager's DHCP lease options: "option domain_search => 'a.example b.example'".
_NM_OPTION_RE: Final = re.compile(
    r"option[ \t]++([a-z0-9_]{1,40}+)[ \t]++=>[ \t]*+'([^'\n\x00]{0,1024}+)'")
_NM_HOST_OPTIONS: Final = re.compile(r".*(?:host_?name|domain|fqdn|search|nis_|ntp_server|wpad).*")
# timesyncd: "Contacted time server 192.168.1.1:123 (router.lan)."
_PAREN_HOST_RE: Final = re.compile(r":(?<=[0-9\]]:)\d{1,5}+ \(([A-Za-z0-9][\w.-]{0,252}+)\)")
# resolved: "DNS server 2a02:8106::1%3#dns.example." (the server name after the address)
_HASH_HOST_RE: Final = re.compile(r"#([A-Za-z0-9][\w-]{0,62}+(?:\.[\w-]{1,63}+)++)")
_HASH_BEFORE_RE: Final = re.compile(r"[0-9A-Fa-f\]](?:%[\w-]{1,16}+)?\Z")  # an address's end

# NetworkManager's audit lines name the connection (by default the Wi-Fi network's name):
# 'audit: op="connection-add" uuid="..." name="X" pid=1 uid=0 result="success"'.
_NM_AUDIT_RE: Final = re.compile(
    r'op="connection-[\w-]{1,20}+"(?: [\w-]{1,20}+="[^"\n\x00]{0,253}+"){0,6}?'
    r' name="([^"\n\x00]{1,253}+)"')
# The Supervisor's backups (backups/backup.py, manager.py): "Backup %s exists in two files in
# locations %s. Ignoring %s" (the names joined by ", "), "Cannot consolidate backups in %s and
# %s with slug %s", "Backup %s does not exist in %s" - location names: a mount's, or None (the
# local folder), or ".cloud_backup"
_LOCATION_GATES: Final = ("in locations ", "consolidate backups in ", " does not exist in ")
# mounts/mount.py: "Moved local data blocking mount %s from %s to %s" - the mount's folder and
# the "<name>_local_recovery" folder it moved the data to hold its name
_MOVED_RE: Final = re.compile(
    r"blocking mount (\w{1,64}+) from ([^\s\x00]{1,1024}+) to ([^\s\x00]{1,1024}+)")
_LOCATION_RE: Final = re.compile(r"(\.?+\w{1,64}+)(, | and )?+")
_BACKUP_BEFORE_RE: Final = re.compile(r"Backup [0-9a-f]{8}")
# A host name's change: NetworkManager (nm-hostname-manager.c, settings/nm-settings.c):
# "hostname changed from %s%s%s to %s%s%s", "static hostname changed from ..." (each double
# quoted, or "(none)"); systemd-resolved (resolved-manager.c): "Hostname conflict, changing
# published hostname from '%s' to '%s'."
_RENAMED_GATES: Final = ("hostname changed from ", "published hostname from ")
_RENAMED_RE: Final = re.compile(
    r"(?:([\"'])([^\"'\n\x00]{1,253}+)\1|\(none\)) to (?:([\"'])([^\"'\n\x00]{1,253}+)\3|\(none\))")
# wpa_supplicant (notify.c): "CTRL-EVENT-EAP-PEER-CERT depth=%d subject='%s'", the RADIUS
# server's certificate subject as OpenSSL writes it ("/C=DE/O=Smith Family/CN=radius.smithnet")
# or "C=DE, O=..., CN=...": every attribute's value but the country's
_SUBJECT_RE: Final = re.compile(r"subject='([^'\n\x00]{1,512}+)'")
_DN_PART_RE: Final = re.compile(r"(?:(?<=')|/|,[ \t]*+)([A-Za-z]{1,24}+)=([^/,'\n\x00]{1,256}+)")
_DN_KEPT: Final = frozenset({"c"})
# NetworkManager's supplicant settings (src/core/supplicant/nm-supplicant-config.c): "Config:
# added '%s' value '%s'" for each wpa_supplicant setting of a connection, secrets shown as
# <hidden>: the Wi-Fi network, the 802.1X identity, the RADIUS server's name. The value runs to
# the line's end (a network's name may hold an apostrophe).
_NM_CONFIG_RE: Final = re.compile(r"Config: added '([a-z0-9_]{1,32}+)' value '([^\n\x00]{1,256}+)")
_NM_CONFIG_CLASSES: Final = {
    "ssid": "ssid", "identity": "user", "anonymous_identity": "user", "bssid": "mac",
    "domain_suffix_match": "hostname", "domain_match": "hostname", "subject_match": "hostname",
    "altsubject_match": "hostname", "phase2_domain_suffix_match": "hostname",
    "phase2_domain_match": "hostname", "phase2_subject_match": "hostname",
    "phase2_altsubject_match": "hostname"}
# NetworkManager (before 1.2): "(wlan0): roamed from BSSID 3C:.. (Smith WiFi) to (none) ((none))"
_ROAMED_RE: Final = re.compile(
    r"roamed from BSSID [^\s()]{1,40}+ \(([^()\n\x00]{1,64}+)\)"
    r"(?: to [^\s()]{1,40}+ \(([^()\n\x00]{1,64}+)\))?")
# Secrets in a URL's query under short names the key-value rule cannot take everywhere
# ("?key=", "&appid=", "&sig=", Google's "key", OpenWeatherMap's "appid", Azure's "sig").
_QUERY_KEYS: Final = ("key", "appid", "app_id", "app_key", "sig", "signature", "code", "pw",
                      "pass", "sid", "session", "client_id", "x-amz-signature",
                      "x-amz-credential", "access_code", "refresh")
_QUERY_SECRET_RE: Final = re.compile(  # in the lowercased text
    r"[?&](?:" + "|".join(map(re.escape, _QUERY_KEYS)) + r")=([^&#\s'\"\x00<>]{1,1024}+)")
# Where such a secret can start ("?key=", "&sig="): found with the gates, tried only there.
QUERY_STARTS: Final = tuple(f"{c}{key}=" for c in "?&" for key in _QUERY_KEYS)
# The user-account lines of sudo, su, login, PAM, sshd, Dropbear and Samba (`_account_edits`)
_SAMBA_GATES: Final = ("user [", "became [", "mapped to [", "workstation [", "(ipv4:",
                       "for user [")
_SUDO_GATES: Final = (" : tty=", " ; tty=", " : pwd=", " ; pwd=")
# ssh (client): "%s@%s: Permission denied (%s).", "%.30s@%.128s's password: " - a user at a host
# that has no domain (the e-mail rule's when it has one)
_SSH_USER_AT_GATES: Final = (": permission denied (", "'s password:")
# Dropbear (svr-session.c, svr-chansession.c): "Exit (%s) from <%s>: %s", "Exit (%s): %s",
# "User %s executing '%s'", "User %s executing login shell"
_DROPBEAR_GATES: Final = ("exit (", " executing '", " executing login shell")
ACCOUNT_GATES: Final = (*_SUDO_GATES, "(uid=", "(to ", "login on ", "failed login ",
                        "(serial ", " not allowed because", "starting session: ",
                        " is not in the sudoers file", *_SAMBA_GATES, *_SSH_USER_AT_GATES,
                        *_DROPBEAR_GATES)

# Rare literals that gate the line-shape rules of `context_edits`, found in the same automaton
# pass as the phrases (a str search each would cost a pass over the text when absent).
GATES: Final = ('op="connection-', "roamed from bssid", "config: added '", "'0x", '"0x',
                "._tcp.", "._udp.", ":aa", "/webhooks/", "/services/t", "/api/webhook/", "=>",
                "/hassio_ingress/", "/ingress/", "hooks.nabu.casa/",
                *QUERY_STARTS, *ACCOUNT_GATES, *_LOCATION_GATES, "blocking mount ",
                *_RENAMED_GATES, "eap-peer-cert ")

# sudo (lib/eventlog): "%8s : %s ; TTY=%s ; PWD=%s ; USER=%s ; COMMAND=%s" - the user first,
# then a reason or the first key ("jean : 3 incorrect password attempts ; TTY=pts/0 ; ...")
_NAME_STOPS: Final = frozenset(" \t\n:;()\x00")  # what ends a user name read backwards
# util-linux su: "(to %s) %s on %s", "FAILED SU (to %s) %s on %s"
_SU_RE: Final = re.compile(r"\(to ([^\s()\x00]{1,64}+)\) ([^\s()\x00]{1,64}+) on ")
# util-linux login: "LOGIN ON %s BY %s", "FAILED LOGIN %u FROM %s FOR %s, %s"
_LOGIN_RE: Final = re.compile(
    r"(?i:login on [^\s\x00]{1,32}+ by |failed login \d{1,5}+ from [^\s\x00]{1,64}+ for )"
    r"([^\s,\x00]{1,64}+)")
# sshd (auth.c): "User %s from %s not allowed because %s", "User %s not allowed because %s"
_NOT_ALLOWED_RE: Final = re.compile(r"user ([^\s\x00]{1,64}+)(?: from [^\s\x00]{1,253}+)?")
# Samba's authentication audit (auth/auth_log.c): "Auth: [%s,%s] user [%s]\\[%s] at [%s] with
# [%s] status [%s] workstation [%s] remote host [%s] became [%s]\\[%s] [%s]. local host [%s]"
# (" mapped to [%s]\\[%s]." when it failed): a domain (a Windows PC's own name for its local
# accounts) and an account, and the client's machine name
_SAMBA_ACCOUNT_RE: Final = re.compile(
    r"(?:user|became|mapped to) \[([^\[\]\n\x00]{0,64}+)\]\\\[([^\[\]\n\x00]{1,64}+)\]")
_SAMBA_WORKSTATION_RE: Final = re.compile(r"workstation \[([^\[\]\n\x00]{1,64}+)\]")
# smbd (source3/auth/auth.c): "check_ntlm_password: Authentication for user [%s] -> [%s] FAILED
# with error %s", "%sauthentication for user [%s] -> [%s] -> [%s] succeeded": the name the
# client gave, the account it maps to, the Unix user
_SAMBA_NAMES_RE: Final = re.compile(r"\[([^\[\]\s\x00]{1,64}+)\](?: -> )?+")
# Dropbear: "Exit (%s) from <%s>: %s" (the address in angle brackets), "Exit (%s): %s"
_EXIT_RE: Final = re.compile(r"Exit \(([^\s()\x00]{1,64}+)\)(?: from <|: )")
# sshd (session.c): "Starting session: %s%s%s for %s from %.200s port %d id %d"
_SESSION_RE: Final = re.compile(
    r"starting session: [^\n\x00]{0,64}? for ([^\s\x00]{1,64}+) from ", re.IGNORECASE)


# Words that follow "mount"/"user" in sentences and are not a name.
_NOT_NAMES: Final = frozenset({
    "failed", "process", "error", "point", "unit", "units", "options", "is", "was", "has",
    "not", "the", "a", "an", "of", "for", "on", "at", "to", "with", "from", "and", "or", "in",
    "state", "type", "usage", "request", "requests", "job", "jobs", "name", "names", "due",
    "did", "still", "invalid", "illegal", "config", "manager", "session", "id", "timeout",
    "path", "fallback", "ip"})

# Zigbee2MQTT names a device by its IEEE address until the user names it: "Device
# '0x00124b0012345678' joined". Quoted, so not a pointer of a backtrace.
_QUOTED_EUI64_RE: Final = re.compile(r"0x(?<=['\"]0x)[0-9A-Fa-f]{16}(?=['\"])")
# DNS-SD (zeroconf, avahi): "Jean's MacBook Pro._airplay._tcp.local." - the instance name runs
# back from its service type to a quote, a bracket, a colon or a tab.
_SERVICE_RE: Final = re.compile(r"\._[A-Za-z0-9-]{1,63}+\._(?:tcp|udp)\.")
_INSTANCE_STOP: Final = frozenset("'\"([{<:=,\t\n\x00")

# Secrets that live in a URL's path: Telegram bot tokens, Discord and Slack webhooks, Home
# Assistant webhook ids.
_PATH_SECRET_RES: Final = (
    # the bot's id and ":AA...": found at ":AA" (a literal), then widened over the digits
    (":AA", re.compile(r":AA[A-Za-z0-9_-]{30,}+")),
    ("/webhooks/", re.compile(r"/webhooks/\d{15,22}+/([A-Za-z0-9_-]{20,}+)")),
    ("/services/t", re.compile(r"/services/(T[A-Z0-9]{6,}+/B[A-Z0-9]{6,}+/[A-Za-z0-9]{16,}+)")),
    ("/api/webhook/", re.compile(r"/api/webhook/([^/?#\s'\"\x00<>\[\]]{1,256}+)")),
    # the Supervisor's ingress token of an app (apps/validate.py: secrets.token_urlsafe), in its
    # ingress URL (apps/app.py "/api/hassio_ingress/{token}/", the Supervisor's own
    # "/ingress/{token}/{path}")
    ("/hassio_ingress/", re.compile(r"/hassio_ingress/([A-Za-z0-9_-]{32,86}+)(?![A-Za-z0-9_-])")),
    ("/ingress/", re.compile(r"/ingress/([A-Za-z0-9_-]{32,86}+)(?![A-Za-z0-9_-])")),
    # Home Assistant Cloud's cloudhooks (hass-nabucasa, as the mobile app, Withings and other
    # webhook integrations log their "cloudhook_url"): https://hooks.nabu.casa/<id>
    ("hooks.nabu.casa/", re.compile(r"hooks\.nabu\.casa/([A-Za-z0-9_=%+-]{4,512}+)")),
)

# The host in a journal or syslog line's prefix, as pasted from `journalctl`, the Supervisor's
# verbose logs ("2026-12-04 18:00:00.123 kitchen-pi hassio_supervisor[123]: ...") or syslog
# ("Dec  4 18:00:00 kitchen-pi systemd[1]: ..."): between the time and the identifier[pid]:.
# Found from the line's start: a newline, or the NUL between strings, which is searched as a
# newline in a copy (a literal first character is found faster than a set of two, and no
# other part of the regex matches either); the text's own start is tried with `match`.
_PREFIX_HOST_RE: Final = re.compile(
    r"\n(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d{1,9}+)?+(?:Z|[+-]\d\d:?\d\d)?+"
    r"|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6}+)?+) ([A-Za-z0-9][\w.-]{0,62}+)"
    r" (?=[\w.@/-]{1,64}+(?:\[\d{1,10}+\])?: )")


_ADDRESS_CHARS: Final = frozenset("0123456789abcdef:.%")


def _is_email(low: str) -> bool:
    """True if the e-mail rule takes `low` (a domain with a top-level label), not "jean@laptop"."""
    if "@" not in low:
        return False
    domain = low.rpartition("@")[2]
    return "." in domain and len(tld := domain.rsplit(".", 1)[1]) >= 2 and tld.isalpha()


def _value_ok(value: str, cls: str) -> bool:
    """False for values that name no one (placeholders, defaults, code)."""
    low = value.lower().rstrip(".")
    if low in _NOT_NAMES:
        return False
    if not low or value in PLACEHOLDER_VALUES or low in DEFAULT_NAMES or value.startswith("["):
        return False
    if cls == "hostname" and (host_is_kept(low) or low.replace(".", "").isdigit() or (
            ":" in low and _ADDRESS_CHARS.issuperset(low))):
        return False  # an IPv4 or IPv6 address: the address rules', as [ip]
    if cls == "device" and low.startswith("hass bridge"):
        return False  # Home Assistant's default HomeKit bridge name ("HASS Bridge:21064")
    if cls == "user" and (low.isdigit() or _is_email(low)):
        return False  # a uid ("of user 0") names no one; an address is the e-mail rule's
    return not (cls == "user" and low in ("[user]", "root"))


def phrase_edits(text: str, low: str, hits: list[tuple[int, int]], tally: Tally
                 ) -> list[Edit]:
    """The values after the phrases found at `hits` ((start, end) in the lowercased text)."""
    edits: list[Edit] = []
    done = 0
    for start, end in hits:
        if end < done or (start and low[start - 1] in "._-"):
            continue  # "x.mount: Mount process exited" is a unit, not a phrase
        if start and low[start - 1] in "'\"" and low.startswith(low[start - 1], end):
            continue  # a quoted key ('{"username": "x"}'): the key-value rule's
        if low[end - 1].isalnum() and low[end:end + 1].isalnum():
            continue  # part of a longer word: "list of users", not "of user X"
        cls, form = _BY_WORD[low[start:end]]
        m = form.match(text, end)
        if m is None:
            continue
        group = m.lastindex or 1
        vstart, vend = m.start(group), m.end(group)
        while vend > vstart and text[vend - 1] in ".:" and form is not _NAME and (
                form is not _MOUNT_SUBJECT):
            vend -= 1  # "of user jean." - the full stop is the sentence's
        value = text[vstart:vend]
        if form is _LINE:
            value = value.rstrip()
            vend = vstart + len(value)
        if not _value_ok(value, cls):
            continue
        edits.append((vstart, vend, tally.hit(cls)))
        done = vend
    return edits


def _word_before(text: str, end: int, floor: int) -> int:
    """Where the word (a user name) that ends at `end` starts, not before `floor`."""
    start = end
    while start > floor and text[start - 1] not in _NAME_STOPS:
        start -= 1
    return start


def _account_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                   ) -> list[Edit]:
    """The users (and Samba's client machines) in account lines that no phrase names.

    sudo's "jean : TTY=...", PAM's "by jean(uid=1000)", su, login, sshd's "User jean from ...
    not allowed because", "Starting session: ... for jean from", the key id of a certificate
    in "ID jean@laptop (serial 1)", Samba's authentication audit and connect lines.
    """
    edits: list[Edit] = []
    seen: set[int] = set()

    def user(start: int, end: int) -> None:
        if start not in seen and _value_ok(text[start:end], "user"):
            seen.add(start)
            edits.append((start, end, tally.hit("user")))

    for gate in _SUDO_GATES:
        for at in gates.get(gate, ()):
            line = line_start(text, at, 300)
            colon = at if gate.startswith(" :") else text.rfind(" : ", line, at)
            if colon < 0:
                continue
            user(_word_before(text, colon, max(line, colon - 64)), colon)
    for at in gates.get(" is not in the sudoers file", ()):  # sudo (before 1.9): "%s is not ..."
        user(_word_before(text, at, max(0, at - 64)), at)
    for at in gates.get("(uid=", ()):
        # Linux-PAM (1.5.2+): "session opened for user %s(uid=%d) by %s(uid=%d)"
        start = _word_before(text, at, max(0, at - 64))
        if start < at and text.endswith(" by ", 0, start):
            user(start, at)
    for at in gates.get("(to ", ()):
        m = _SU_RE.match(text, at)
        if m is not None:
            user(m.start(1), m.end(1))
            user(m.start(2), m.end(2))
    for gate in ("login on ", "failed login "):
        for at in gates.get(gate, ()):
            m = _LOGIN_RE.match(text, at)
            if m is not None:
                user(m.start(1), m.end(1))
    for at in gates.get(" not allowed because", ()):
        i = low.rfind("user ", line_start(text, at, 330), at)
        if i >= 0 and (m := _NOT_ALLOWED_RE.fullmatch(low, i, at)) is not None:
            user(m.start(1), m.end(1))
    for at in gates.get("starting session: ", ()):
        m = _SESSION_RE.match(text, at)
        if m is not None:
            user(m.start(1), m.end(1))
    for gate in ("user [", "became [", "mapped to ["):
        for at in gates.get(gate, ()):
            m = _SAMBA_ACCOUNT_RE.match(text, at)
            if m is None:
                continue
            user(m.start(2), m.end(2))
            if m.group(1) and _value_ok(m.group(1), "hostname") and (
                    m.group(1).lower() != "workgroup") and m.start(1) not in seen:
                seen.add(m.start(1))
                edits.append((m.start(1), m.end(1), tally.hit("hostname")))
    for at in gates.get("for user [", ()):
        pos = at + len("for user ")
        for _ in range(3):
            m = _SAMBA_NAMES_RE.match(text, pos)
            if m is None:
                break
            user(m.start(1), m.end(1))
            pos = m.end()
            if not m.group(0).endswith("-> "):
                break
    hosts = [m for at in gates.get("workstation [", ())
             if (m := _SAMBA_WORKSTATION_RE.match(text, at)) is not None]
    # smbd (service.c): "%s (%s) connect to service %s initially as user %s (uid=%d, gid=%d)"
    # - the client's machine name before its address
    for at in gates.get("(ipv4:", ()):
        start = _word_before(text, at - 1, max(0, at - 64)) if text.startswith(" ", at - 1) else at
        if start < at - 1 and _value_ok(text[start:at - 1], "hostname"):
            edits.append((start, at - 1, tally.hit("hostname")))
    for m in hosts:
        if _value_ok(m.group(1), "hostname"):
            edits.append((m.start(1), m.end(1), tally.hit("hostname")))
    for gate in _SSH_USER_AT_GATES:
        for at in gates.get(gate, ()):
            start = _word_before(text, at, max(0, at - 160))
            user_at = text[start:at]
            name, sep, host = user_at.partition("@")
            if not sep or not host or "@" in host or "." in host:
                continue  # a host with a domain: the e-mail rule's
            user(start, start + len(name))
            if _value_ok(host, "hostname"):
                edits.append((at - len(host), at, tally.hit("hostname")))
    for at in gates.get("exit (", ()):
        m = _EXIT_RE.match(text, at)
        if m is not None:
            user(m.start(1), m.end(1))
    for gate in _DROPBEAR_GATES[1:]:
        for at in gates.get(gate, ()):
            start = _word_before(text, at, max(0, at - 64))
            if start < at and low.endswith("user ", 0, start):
                user(start, at)
    for at in gates.get("(serial ", ()):
        # sshd (auth2-pubkey.c format_key): "ED25519-CERT SHA256:... ID %s (serial %llu) CA"
        key_id = text.rfind(" ID ", line_start(text, at, 200), at)
        if key_id >= 0 and at - key_id > 5 and text[key_id + 4] != '"':
            user(key_id + 4, at - 1)
    return edits


def context_edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally
                  ) -> list[Edit]:
    """Values named by the shape of a whole log line, not by one keyword.

    DHCP options naming hosts and domains; server names after an address; connection names
    in NetworkManager's audit and roaming lines; secrets under short names in a URL's query.
    `gates`: where each of `GATES` occurs in `low` (those that do).
    """
    edits: list[Edit] = []
    if any(gate in gates for gate in ACCOUNT_GATES):
        edits += _account_edits(text, low, gates, tally)
    if "=>" in gates:
        for m in _NM_OPTION_RE.finditer(text):
            value = m.group(2).strip()
            if not _NM_HOST_OPTIONS.fullmatch(m.group(1)) or not value:
                continue
            if all(host_is_kept(v) or v in PLACEHOLDER_VALUES for v in value.split()):
                continue
            edits.append((m.start(2), m.end(2), tally.hit("hostname")))
    if " (" in text:
        for m in _PAREN_HOST_RE.finditer(text):
            if _value_ok(m.group(1), "hostname"):
                edits.append((m.start(1), m.end(1), tally.hit("hostname")))
    if 'op="connection-' in gates:
        for m in _NM_AUDIT_RE.finditer(text):
            if _value_ok(m.group(1), "ssid"):
                edits.append((m.start(1), m.end(1), tally.hit("ssid")))
    for gate in _LOCATION_GATES:
        for at in gates.get(gate, ()):
            if gate[0] == " " and _BACKUP_BEFORE_RE.fullmatch(text, max(0, at - 15), at) is None:
                continue  # "does not exist in" only after a backup's slug
            pos = at + len(gate)
            for _ in range(8):
                loc = _LOCATION_RE.match(text, pos)
                if loc is None:
                    break
                if not loc.group(1).startswith(".") and _value_ok(loc.group(1), "mount"):
                    edits.append((loc.start(1), loc.end(1), tally.hit("mount")))
                if not loc.group(2) or gate[0] == " ":
                    break
                pos = loc.end()
    for gate in _RENAMED_GATES:
        for at in gates.get(gate, ()):
            renamed = _RENAMED_RE.match(text, at + len(gate))
            for group in (2, 4):
                # resolved numbers the name it falls back to ("homeassistant2")
                if renamed is not None and renamed.group(group) and _value_ok(
                        renamed.group(group).rstrip("0123456789") or "0", "hostname"):
                    edits.append((renamed.start(group), renamed.end(group),
                                  tally.hit("hostname")))
    for at in gates.get("eap-peer-cert ", ()):
        subject = _SUBJECT_RE.search(text, at, min(len(text), at + 40 + 520))
        if subject is None:
            continue
        for part in _DN_PART_RE.finditer(text, subject.start(1), subject.end(1)):
            attr, value = part.group(1).lower(), part.group(2)
            cls = "hostname" if attr == "cn" else "email" if attr == "emailaddress" else "filtered"
            if attr not in _DN_KEPT and (cls != "hostname" or _value_ok(value, cls)) and (
                    value not in PLACEHOLDER_VALUES):
                edits.append((part.start(2), part.end(2), tally.hit(cls)))
    for at in gates.get("blocking mount ", ()):
        moved = _MOVED_RE.match(text, at)
        if moved is None or not _value_ok(moved.group(1), "mount"):
            continue
        name = moved.group(1)
        for group in (2, 3):
            pos = moved.start(group)
            while (i := text.find(name, pos, moved.end(group))) >= 0:
                edits.append((i, i + len(name), tally.hit("mount")))
                pos = i + len(name)
    for at in gates.get("config: added '", ()):
        setting = _NM_CONFIG_RE.match(text, at)
        cls = _NM_CONFIG_CLASSES.get(setting.group(1), "") if setting is not None else ""
        if setting is None or not cls:
            continue
        vstart, value = setting.start(2), setting.group(2).rstrip()
        # to the line's last quote; where more follows on the line, to the first
        value = value[:-1] if value.endswith("'") else value.partition("'")[0]
        if _value_ok(value, cls) and value != "<hidden>" and (
                cls != "user" or not _is_email(value.lower())):
            edits.append((vstart, vstart + len(value), tally.hit(cls)))
    if "roamed from bssid" in gates:
        for m in _ROAMED_RE.finditer(text):
            for g in (1, 2):
                if m.group(g) and m.group(g) != "(none" and _value_ok(m.group(g), "ssid"):
                    edits.append((m.start(g), m.end(g), tally.hit("ssid")))
    query = sorted(i for start in QUERY_STARTS for i in gates.get(start, ()))
    if query:
        for m in scan(_QUERY_SECRET_RE, low, query):
            if m.group(1) not in PLACEHOLDER_VALUES:
                edits.append((m.start(1), m.end(1), tally.hit("filtered")))
    for literal, pattern in _PATH_SECRET_RES:
        if literal.lower() in gates:
            for m in pattern.finditer(text):
                if literal == ":AA":
                    start = m.start()
                    floor = max(0, start - 12)
                    while start > floor and text[start - 1].isdigit():
                        start -= 1
                    if m.start() - start < 6:
                        continue
                    edits.append((start, m.end(), tally.hit("token")))
                    continue
                edits.append((m.start(1), m.end(1), tally.hit("token")))
    if "'0x" in gates or '"0x' in gates:
        for m in _QUOTED_EUI64_RE.finditer(text):
            edits.append((m.start(), m.end(), tally.hit("mac")))
    if "._tcp." in gates or "._udp." in gates:
        for m in _SERVICE_RE.finditer(text):
            start = m.start()
            floor = max(0, start - 63)
            while start > floor and (text[start - 1] not in _INSTANCE_STOP or (
                    text[start - 1] == "'" and start > 1 and text[start - 2].isalnum())):
                start -= 1  # an apostrophe inside the name ("Jean's") does not end it
            while start < m.start() and text[start] == " ":
                start += 1
            name = text[start:m.start()]
            if name and not name.endswith("]") and _value_ok(name, "hostname"):
                edits.append((start, m.start(), tally.hit("hostname")))
    first = _PREFIX_HOST_RE.match("\n" + text[:120])
    prefixed = [(m.start(1) - 1, m.end(1) - 1, m.group(1)) for m in (first,) if m]
    prefixed += [(m.start(1), m.end(1), m.group(1))
                 for m in _PREFIX_HOST_RE.finditer(text.replace(SEP, "\n"))]
    named: dict[str, bool] = {}  # a log names few hosts in many lines
    for host in {host for _, _, host in prefixed}:
        named[host] = _value_ok(host, "hostname")
    prefixed = [p for p in prefixed if named[p[2]]]
    if prefixed:
        placeholder = tally.many("hostname", len(prefixed))
        edits += [(start, end, placeholder) for start, end, _ in prefixed]
    if "#" in text:
        for m in _HASH_HOST_RE.finditer(text):
            if _HASH_BEFORE_RE.search(text, max(0, m.start() - 18), m.start()) and _value_ok(
                    m.group(1), "hostname"):
                edits.append((m.start(1), m.end(1), tally.hit("hostname")))
    return edits
