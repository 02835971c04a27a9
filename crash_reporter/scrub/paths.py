"""Names in paths: user folders, by-id serial numbers, mounts' unit names, backups' file names.

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
_BY_ID_TAIL_RE: Final = re.compile(r"(?:if|port|part)\d{1,3}")
_BY_ID_SPLIT_RE: Final = re.compile(r"[_-]")
# systemd's escaped mount unit names: mnt-data-supervisor-mounts-<name>.mount, \x2d for '-'.
_MOUNT_UNIT_WORDS: Final = ("supervisor-mounts-", "supervisor-media-", "supervisor-share-")
_MOUNT_UNIT_SHORT: Final = ("media-", "share-")
_MOUNT_NAME_RE: Final = re.compile(
    r"(?:[A-Za-z0-9_]|\\x[0-9a-fA-F]{2}|\\\\x[0-9a-fA-F]{2}){1,255}+(?=[.-])")
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
    long_units, short_units, path_starts, tars = compile_words(
        _MOUNT_UNIT_WORDS, _MOUNT_UNIT_SHORT, _USERPATH_STARTS, (".tar",)).find(low)
    for m in scan(_USERPATH_RE, low, sorted({start for start, _ in path_starts})):
        pos = m.end()
        quoted = m.start() > 0 and text[m.start() - 1] in "'\""
        seg = (_QUOTED_SEGMENT_RE if quoted else _SEGMENT_RE).match(text, pos)
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
    return edits
