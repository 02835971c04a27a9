"""Names in paths: user folders, by-id serial numbers, mounts' unit names, backups' file names.

A mount's name is also taken from its unit's D-Bus object path ("..._2dmounts_2dGarage_2emount")
and from the Supervisor's API paths ("/mounts/Garage/reload"); a drive's serial number from
its UDisks2 object path ("/org/freedesktop/UDisks2/drives/<vendor>_<model>_<serial>"); a disk's
label from udev's /dev/disk/by-label/ links.

`edits` replaces the segment after a user's or a share's folder ("/home/jean",
"/Users/jean", "/media/Jean Photos", "/data/supervisor/mounts/Garage"), the serial at the
end of a by-id name ("usb-ITEAD_..._<serial>-if00-port0") and the mount's name in a unit
("mnt-data-supervisor-mounts-Garage.mount"). Generic folders (`KEPT_SEGMENTS`) stay.
"""

from __future__ import annotations

import re
from typing import Final

from crash_reporter.scrub.classes import scan
from crash_reporter.scrub.tokens import Edit, Tally
from crash_reporter.scrub.words import word_starts
from crash_reporter.scrub.words import words as compile_words

# A path segment named by a person: user folders, folders under /media and /share (the
# Supervisor's /data/media and /data/share, where it binds media and share mounts), network
# storage mounts, and the serial number at the end of a /dev/.../by-id/ name.
_USERPATH_RE: Final = re.compile(  # in the lowercased text
    r"/(?:(?<![\w.-]/)(?:home|users|media|share|var/home|data/mounts|data/media|data/share)/"
    r"|data/supervisor/mounts/"
    r"|data/supervisor/(?:media|share)/|run/media/(?:root/)?|by-id/)"
    r"|\\(?:users\\|\\users\\\\|documents and settings\\)"
)
# Where such a path can start: every match of `_USERPATH_RE` starts with one of these, found
# in one automaton pass with the mount unit words and tried only there.
_USERPATH_STARTS: Final = ("/home/", "/users/", "/media/", "/share/", "/var/home/",
                           "/data/mounts/", "/data/media/", "/data/share/", "/data/supervisor/",
                           "/run/media/", "/by-id/",
                           "\\users\\", "\\\\users\\\\", "\\documents and settings\\")
# A control character (an ANSI colour code's ESC) ends a segment, as it ends a key's value.
_SEGMENT_RE: Final = re.compile(r"[^/\\\s'\"\x00-\x1f:;,()\[\]{}<>]{1,255}+")
_QUOTED_SEGMENT_RE: Final = re.compile(r"[^/\\'\"\x00-\x1f]{1,255}+")
_BY_ID_TAIL_RE: Final = re.compile(r"(?:if|port|part)\d{1,3}|\d{1,3}")  # "-0:0": a LUN
_BY_ID_SPLIT_RE: Final = re.compile(r"[_-]")
# systemd's escaped mount unit names: mnt-data-supervisor-mounts-<name>.mount, \x2d for '-'.
_MOUNT_UNIT_WORDS: Final = ("supervisor-mounts-", "supervisor-media-", "supervisor-share-")
_MOUNT_UNIT_SHORT: Final = ("media-", "share-")
_MOUNT_NAME_RE: Final = re.compile(
    r"(?:[A-Za-z0-9_]|\\x[0-9a-fA-F]{2}|\\\\x[0-9a-fA-F]{2}){1,255}+(?=[.-])")
# The same units' D-Bus object paths, as the Supervisor's debug log prints them (systemd's
# bus_label_escape: every character but a letter or digit as _XX):
# /org/freedesktop/systemd1/unit/mnt_2ddata_2dsupervisor_2dmounts_2dBackup_5fSmith_2emount
_BUS_UNIT_WORDS: Final = ("supervisor_2dmounts_2d", "supervisor_2dmedia_2d",
                          "supervisor_2dshare_2d")
_BUS_NAME_RE: Final = re.compile(
    r"((?:[A-Za-z0-9]|_(?!2e(?:auto)?mount)[0-9a-f]{2}){1,255}+)_2e(?:auto)?mount")
# The Supervisor's API names a mount in its paths: /mounts/<name>, /mounts/<name>/reload
# ("Failed to to call /mounts/X - ..." in Home Assistant's hassio log); /mounts/options is one
_API_MOUNTS: Final = "/mounts/"
_API_NAME_RE: Final = re.compile(r"[A-Za-z0-9_]{1,64}+(?![\w.-])")
# UDisks2's drive objects, named <vendor>_<model>_<serial> (every other character escaped as
# _XX), as udisksd's errors and the Supervisor's debug log print them:
# /org/freedesktop/UDisks2/drives/ST2000NC000_2d1A2345_Z2B777YY
_UDISKS_DRIVES: Final = "/udisks2/drives/"
_DRIVE_NAME_RE: Final = re.compile(r"[A-Za-z0-9_]{1,255}+")
_ESCAPE_RE: Final = re.compile(r"_(?:2d|2e|20|2f|3a)")
# A file system's label, the name its owner gave a disk ("Jean's Backup"), in udev's links
# (/dev/disk/by-label/Jean\x27s\x20Backup, by-partlabel/...) and properties ("ID_FS_LABEL:
# JEANS_DRIVE" in `ha hardware info`); the system's own labels stay
_LABEL_DIRS: Final = ("/by-label/", "/by-partlabel/", "id_fs_label: ", "id_fs_label=",
                      "id_fs_label_enc: ", "id_fs_label_enc=")
_LABEL_RE: Final = re.compile(r"[^\s/'\";,()\[\]{}<>\x00-\x1f]{1,255}+")
_SYSTEM_LABEL_RE: Final = re.compile(
    r"(?:hassos|haos)-[\w-]{1,32}+|\w{0,8}(?:boot|data|overlay|kernel|system|root|efi|swap)\w{0,8}"
    r"|\[device\]")
# A backup's file as Home Assistant names it (components/backup/util.py
# suggested_filename_from_name_date: "_".join(f"{name} {date:%Y-%m-%d %H.%M %S%f}.tar".split()),
# the file the Supervisor keeps and logs): the name the user gave the backup, before its date;
# Home Assistant's own names ("Automatic backup 2026.12.0") stay
_BACKUP_DATE_RE: Final = re.compile(r"_\d{4}-\d\d-\d\d_\d\d\.\d\d_\d{8}\Z")
_BACKUP_NAME_REV_RE: Final = re.compile(r"[^\s/\\'\"\x00-\x1f:;,()\[\]{}<>]{1,200}+")
_DEFAULT_BACKUP_RE: Final = re.compile(
    r"(?:automatic|manual)_backup(?:_\d{4}\.\d{1,2}\.\d{1,3}+(?:\.dev\d{1,12}+|b\d{1,3}+)?+)?+")
# Folder names that name no one: placeholders, Home Assistant's own folders (also a share's)
KEPT_SEGMENTS: Final = frozenset({"[path-user]", "[mount]", "[serial]", "root", "homeassistant",
                                  "supervisor", "hassio", "core", "addons", "share", "media",
                                  "backup", "ssl", "config", "data"})


def edits(text: str, low: str, tally: Tally) -> list[Edit]:
    """User folders and personal folder names; by-id serial numbers; mount unit names."""
    edits: list[Edit] = []
    (long_units, short_units, path_starts, tars, bus_units, api_mounts, drives,
     labels) = compile_words(
        _MOUNT_UNIT_WORDS, _MOUNT_UNIT_SHORT, _USERPATH_STARTS, (".tar",), _BUS_UNIT_WORDS,
        (_API_MOUNTS,), (_UDISKS_DRIVES,), _LABEL_DIRS).find(low)
    for m in scan(_USERPATH_RE, low, sorted({start for start, _ in path_starts})):
        pos = m.end()
        opener = _opener(text, m.start())
        quoted = opener in ("'", '"', "`")  # GLib's `%s' (UDisks2's errors)
        seg = (_DQ_SEGMENT_RE if opener == '"' else _QUOTED_SEGMENT_RE if quoted
               else _SEGMENT_RE).match(text, pos)
        if seg is None:
            continue
        value = seg.group(0)
        seg_end = seg.end()
        if not quoted and text.startswith(" ", seg_end):
            # udisks writes the path unquoted: "Mounted /dev/sda1 at /run/media/root/Jean
            # Photos on behalf of uid 0" - the folder's name runs to the phrase.
            behalf = text.find(" on behalf of ", seg_end, seg_end + 256)
            if behalf > 0 and not any(c in text[seg_end:behalf] for c in "/\n\x00"):
                seg_end = behalf
                value = text[pos:seg_end]
            elif (end := _go_path_end(text, seg_end, opener)) > seg_end:
                seg_end = end  # "mkdir /data/share/Jean Photos: file exists" (Go)
                value = text[pos:seg_end]
        while not quoted and seg_end > pos + 1 and text[seg_end - 1] == "." and (
                seg_end == len(text) or text[seg_end] in " \t\n\x00"):
            seg_end -= 1  # "existing data at /data/mounts/Garage. Move it" - the sentence's
            value = text[pos:seg_end]
        if m.group(0) == "/by-id/":
            # usb-ITEAD_SONOFF_Zigbee_3.0_USB_Dongle_Plus_V2_<serial>-if00-port0,
            # ata-Samsung_SSD_860_EVO_500GB_<serial>-part1, wwn-0x<serial>: the last field
            # before the interface/port/partition suffixes.
            rest = value
            while "-" in rest and _BY_ID_TAIL_RE.fullmatch(rest.rsplit("-", 1)[1]):
                rest = rest.rsplit("-", 1)[0]
            serial = _BY_ID_SPLIT_RE.split(rest)[-1]
            if len(serial) < 4 or not any(c.isdigit() for c in serial) or serial[0] == "[":
                continue
            at = pos + len(rest) - len(serial)
            edits.append((at, at + len(serial), tally.hit("serial")))
            continue
        if value.lower() in KEPT_SEGMENTS or value.startswith("["):
            continue
        cls = "mount" if "mounts" in m.group(0) else "path-user"
        edits.append((pos, seg_end, tally.hit(cls)))
    for at, _end in tars:
        date = _BACKUP_DATE_RE.search(low, max(0, at - 26), at)
        if date is None:
            continue
        name = _BACKUP_NAME_REV_RE.match(text[max(0, date.start() - 200):date.start()][::-1])
        if name is None:
            continue
        start = date.start() - name.end()
        if not _DEFAULT_BACKUP_RE.fullmatch(low, start, date.start()) and not text.startswith(
                "[", start):
            edits.append((start, date.start(), tally.hit("path-user")))
    units = long_units + word_starts(low, short_units, "-_")
    seen: set[int] = set()
    for _start, end in units:
        name = _MOUNT_NAME_RE.match(text, end)
        if name is None or end in seen or name.group(0).lower() in KEPT_SEGMENTS:
            continue
        seen.add(end)
        edits.append((end, name.end(), tally.hit("mount")))
    for _start, end in bus_units:
        name = _BUS_NAME_RE.match(text, end)
        if name is not None and name.group(1).lower() not in KEPT_SEGMENTS:
            edits.append((end, name.end(1), tally.hit("mount")))
    for start, end in api_mounts:
        name = _API_NAME_RE.match(text, end)
        if name is None or low.endswith(("/data", "/supervisor"), 0, start):
            continue  # the mount's folder ("/data/mounts/X"): the user-path rule's
        if name.group(0).lower() not in KEPT_SEGMENTS and name.group(0) != "options":
            edits.append((end, name.end(), tally.hit("mount")))
    for _start, end in drives:
        serial = _udisks_serial(text, end)
        if serial is not None:
            edits.append((*serial, tally.hit("serial")))
    for _start, end in labels:
        label = _LABEL_RE.match(text, end)
        stop = len(label.group(0).rstrip(".")) + end if label is not None else end  # "...": a
        if stop > end and not _SYSTEM_LABEL_RE.fullmatch(low, end, stop):  # sentence's end
            edits.append((end, stop, tally.hit("device")))
    return edits


def _udisks_serial(text: str, at: int) -> tuple[int, int] | None:
    """Where the serial number ends a UDisks2 drive's object path name that starts at `at`."""
    m = _DRIVE_NAME_RE.match(text, at)
    if m is None:
        return None
    name = m.group(0)
    cut = len(name)
    while (cut := name.rfind("_", 0, cut)) > 0 and _ESCAPE_RE.match(name, cut):
        pass  # "_2d" is an escaped "-" inside the serial ("WD_2dWCC3F1234567"), not its start
    serial = name[cut + 1:]
    if cut <= 0 or len(serial) < 4 or not any(c.isdigit() for c in serial):
        return None
    return at + cut + 1, at + len(name)


# Go writes a path unquoted ("<op> <path>: <errno text>", os.PathError; or last, after ": " in
# the Docker daemon's "bind source path does not exist: <path>"), as does UDisks2 ("Error
# mounting <device> at <path>: <mount's error>"): a folder's name with spaces runs to the
# error's text, or to the end of the message. CPython's OSError quotes it with '...',
# or "..." when it holds an apostrophe ("No such file or directory: \"/media/Jean's Photos\"").
_DQ_SEGMENT_RE: Final = re.compile(r"[^/\\\"\x00-\x1f]{1,255}+")
_GO_ERRNO_RE: Final = re.compile(
    r": (?:no such file or directory|file exists|permission denied|not a directory|is a directory"
    r"|device or resource busy|read-only file system|no space left on device|invalid argument"
    r"|directory not empty|invalid cross-device link|input/output error|no such device"
    r"|operation not permitted|transport endpoint is not connected|stale nfs file handle)")
_GO_TAIL_RE: Final = re.compile(r"[^/\\'\"\n\x00:;()\[\]{}<>]{1,255}+(?=[\"')\n\x00]|\Z)")


def _opener(text: str, at: int) -> str:
    """The character before the path whose user folder part starts at `at` ("" if none).

    The host's side of the Supervisor's folders, "/mnt/data/supervisor/...", starts 4 before.
    """
    if text.startswith("/mnt", at - 4) and at >= 4:
        at -= 4
    return text[at - 1] if at > 0 else ""


def _go_path_end(text: str, at: int, opener: str) -> int:
    """Where a folder's name with spaces, unquoted, ends after `at` (`at` if it does not)."""
    colon = text.find(": ", at, at + 256)
    if colon > at and not any(c in text[at:colon] for c in "\n\x00") and (
            _GO_ERRNO_RE.match(text, colon, colon + 40) is not None
            or _udisks_mount_point(text, _path_start(text, at))):
        slash = text.find("/", at, colon)  # the path goes on, or a second one starts (rename)
        return colon if slash < 0 else slash - 1 if text[slash - 1] == " " else slash
    if opener == " " and text.endswith(": ", 0, _path_start(text, at)):
        tail = _GO_TAIL_RE.match(text, at)
        if tail is not None:
            return tail.end()
    return at


def _path_start(text: str, at: int) -> int:
    """Where the unquoted path that holds `at` starts."""
    start = text.rfind(" ", max(0, at - 512), at)
    return start + 1 if start >= 0 else 0


def _udisks_mount_point(text: str, start: int) -> bool:
    """True if the path at `start` is UDisks2's mount point in "Error mounting %s at %s: %s"."""
    if not text.endswith(" at ", 0, start):
        return False
    device = text.rfind(" ", max(0, start - 260), start - 4)
    return device >= 0 and text.endswith("rror mounting", 0, device)
