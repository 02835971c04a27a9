r"""Users' disks as the host journal names them: the labels, serials and ids of their disks.

When a user plugs a USB disk or stick into a Home Assistant OS host (or moves the data disk), the
host's journal names it in words no path rule reads, and the words are the owner's:

- systemd's device units, whose names escape udev's links (core/device.c, unit_name_from_path:
  "-" as ``\x2d``, " " as ``\x20``): "dev-disk-by\x2dlabel-Jean\x20Photos.device",
  "systemd-fsck@dev-disk-by\x2duuid-2f0e1f8a\x2d3c4b\x2d....service",
  "dev-disk-by\x2did-usb\x2dSamsung_PSSD_T7_S5SXNS0R123456A\x2d0:0.device": a label becomes
  ``[device]`` (the system's own, hassos-data, stay), a file system's or partition's uuid
  ``[uuid]``, the serial at the end of a by-id name ``[serial]`` (the model stays);
- systemd's device descriptions (device_update_description: "<ID_MODEL> <ID_FS_LABEL>"), in its
  job messages "Found device %s." and "Timed out waiting for device %s." (systemd 253 and later
  write "<unit> - <description>"): the label after the model is ``[device]``;
- e2fsck, run by systemd-fsck, which names a file system by its label when it has one
  (e2fsck/unix.c: the device name is s_volume_name): "DUPONT_BACKUP: clean, 11/1831424 files,
  160017/7324160 blocks", "... was not cleanly unmounted, check forced.", "...: recovering
  journal", "...: 11/1831424 files (0.0% non-contiguous), ..." - the label is ``[device]``;
- the short uuids no uuid rule reads: a FAT volume's serial ("/dev/disk/by-uuid/1A2B-3C4D") and
  an MBR partition's id ("by-partuuid/4a5b6c7d-01"), ``[uuid]``;
- the data disk the Supervisor moves to, by UDisks2's drive id ("<vendor>-<model>-<serial>")
  in its errors (supervisor/os/data_disk.py: "'%s' not a valid data disk target!", "Can't move
  data partition to %s: %s", "Cannot use %s as data disk ...", "Could not format %s: %s") and
  its /os/info's "data_disk": the serial is ``[serial]``, the vendor and model stay;
- blkid's tags (' LABEL="Dupont Photos" UUID="..." TYPE="ext4"', PARTLABEL) and udev's
  ID_PART_ENTRY_NAME (`udevadm info`, `ha hardware info`): the label is ``[device]``, and the
  short uuids in blkid's and udev's ID_FS_UUID, ID_PART_TABLE_UUID, ID_PART_ENTRY_UUID
  ``[uuid]``;
- a disk's world-wide name, unique to it: NVMe's EUI-64 ("nvme-eui.0025388b91b2c3d4", udev's
  "ID_WWN=eui.0025...") and the WWN udev and `ha hardware info` print ("ID_WWN=0x5002538e40a1b2c3")
  - ``[serial]``.

Every shape starts at a literal found in the keyword pass (`GATES`) and reads a bounded value
there with possessive quantifiers, so a text without them costs nothing and the time stays
linear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from crash_reporter.scrub.rules.paths import _SYSTEM_LABEL_RE  # the system's own: hassos-data, EFI
from crash_reporter.scrub.tokens import PLACEHOLDER_VALUES, Edit, Tally

# systemd's escaped unit names of udev's /dev/disk/by-* links (once more escaped in a repr)
_UNIT_LABELS: Final = ("by\\x2dlabel-", "by\\x2dpartlabel-", "by\\\\x2dlabel-",
                       "by\\\\x2dpartlabel-")
_UNIT_UUIDS: Final = ("by\\x2duuid-", "by\\x2dpartuuid-", "by\\\\x2duuid-",
                      "by\\\\x2dpartuuid-")
_UNIT_IDS: Final = ("by\\x2did-", "by\\\\x2did-")
_UNIT_SUFFIX: Final = r"(?:device|mount|service|swap|automount|target|timer|socket|path)\b"
_ESCAPED_NAME_RE: Final = re.compile(
    r"(?:[^\W_]|[_:@+]|\\{1,2}x[0-9a-fA-F]{2}|\.(?!" + _UNIT_SUFFIX + r")){1,255}+")
_ESCAPE_RE: Final = re.compile(r"\\{1,2}x([0-9a-fA-F]{2})")
# A by-id name's fields ("usb\x2dSamsung_PSSD_T7_<serial>\x2d0:0"), and the fields after the
# serial: an interface, port, partition, or a SCSI LUN ("0:0")
_FIELD_SEP_RE: Final = re.compile(r"\\{1,2}x2d|_")
_ID_TAIL_RE: Final = re.compile(r"(?:if|port|part)\d{1,3}|\d{1,3}(?::\d{1,3})?")
# The short uuids: a FAT serial (8 hex with a dash), an MBR partition id (8 hex, dash, 2 hex)
_UUID_DIRS: Final = ("/by-uuid/", "/by-partuuid/", ' uuid="', ' partuuid="',  # and blkid's,
                     *(f"id_{key}{sep}" for key in ("fs_uuid", "fs_uuid_enc", "part_table_uuid",
                                                    "part_entry_uuid") for sep in ("=", ": ")))
_SHORT_UUID_RE: Final = re.compile(r"[0-9a-fA-F]{4}-[0-9a-fA-F]{4}(?![\w-])"
                                   r"|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{2})?(?![\w-])")
_ESCAPED_UUID_RE: Final = re.compile(r"(?:[0-9a-fA-F]|\\{1,2}x2d){8,96}+(?![\w\\])")
# "Found device %s." / "Timed out waiting for device %s." to the sentence's end
_DESCRIBED: Final = ("found device ", "waiting for device ")
_DESCRIPTION_RE: Final = re.compile(r"([^\n\x00]{1,200}?)\.(?=[\s\x00]|\Z)")
# Words a device's model ends in (usb.ids' names), which no label is taken for
_MODEL_WORDS: Final = frozenset({
    "controller", "bridge", "adapter", "disk", "drive", "ssd", "hdd", "card", "reader",
    "device", "storage", "port", "serial", "uart", "hub", "receiver", "dongle", "module",
    "interface", "stick", "flash", "converter", "modem", "keyboard", "mouse", "radio",
    "coordinator", "zigbee", "z-wave", "thread", "bluetooth", "wireless", "ethernet", "lan"})
# e2fsck's messages that start with the file system's name (its label, at most 16 bytes)
_FSCK_AFTER: Final = (": clean, ", ": recovering journal", " was not cleanly unmounted",
                      " contains a file system with errors", ": ***** file system was modified",
                      "% non-contiguous), ")
_FSCK_FILES_RE: Final = re.compile(r": \d{1,12}+/\d{1,12}+ files \(")
# A disk's world-wide name: NVMe's EUI-64 after "eui.", and udev's ID_WWN
_WWN: Final = ("eui.", "id_wwn=", "id_wwn: ", "id_wwn_with_extension=",
               "id_wwn_with_extension: ")
_WWN_RE: Final = re.compile(r"(?:eui\.|0x)?+([0-9a-fA-F]{16}(?:[0-9a-fA-F]{16})?+)(?![\w.])")

# The Supervisor's data disk: UDisks2's drive id ("<vendor>-<model>-<serial>", spaces as "-")
# after these words (supervisor/os/data_disk.py, its /os/info "data_disk"), or before the quote
# of "'%s' not a valid data disk target!"
_DATA_DISK: Final = ("move data partition to ", "cannot use ", "could not format ",
                     "data_disk: ", 'data_disk": "', "data_disk=")
_DATA_DISK_QUOTED: Final = "' not a valid data disk target"
_DRIVE_ID_RE: Final = re.compile(r"[\w.]{1,64}+(?:-[\w.]{1,64}+){1,12}+")
_DRIVE_ID_REV_RE: Final = re.compile(r"[\w.-]{3,255}+")

# blkid's tags: ' LABEL="Dupont Photos" UUID="..." TYPE="ext4"' (PARTLABEL for a GPT partition)
_BLKID: Final = (' label="', ' partlabel="', '\tlabel="')
# udev's name of a GPT partition (its PARTLABEL), in `udevadm info` and `ha hardware info`
_PART_NAME: Final = ("id_part_entry_name=", "id_part_entry_name: ")
_PART_NAME_RE: Final = re.compile(r"[^\s\"',;\x00]{1,255}+")
_QUOTED_LABEL_RE: Final = re.compile(r'((?:[^"\\\n\x00]|\\[^\n\x00]){1,255}+)"')

GATES: Final = (*_UNIT_LABELS, *_UNIT_UUIDS, *_UNIT_IDS, *_UUID_DIRS, *_DESCRIBED, *_FSCK_AFTER,
                *_WWN, *_DATA_DISK, _DATA_DISK_QUOTED, *_BLKID, *_PART_NAME)


def edits(text: str, low: str, gates: Mapping[str, list[int]], tally: Tally) -> list[Edit]:
    """The disks' labels, serials and ids in the shapes above, where `GATES` start in `low`."""
    out: list[Edit] = []
    for gate in _UNIT_LABELS:
        for at in gates.get(gate, ()):
            m = _ESCAPED_NAME_RE.match(text, at + len(gate))
            if m is not None and _is_label(_ESCAPE_RE.sub(_unescape, m.group(0))):
                out.append((m.start(), m.end(), tally.hit("device")))
    for literals, form in ((_UNIT_UUIDS, _ESCAPED_UUID_RE), (_UUID_DIRS, _SHORT_UUID_RE)):
        for gate in literals:
            for at in gates.get(gate, ()):
                m = form.match(text, at + len(gate))
                if m is not None:
                    out.append((m.start(), m.end(), tally.hit("uuid")))
    for gate in _UNIT_IDS:
        for at in gates.get(gate, ()):
            m = _ESCAPED_NAME_RE.match(text, at + len(gate))
            serial = _id_serial(m.group(0), m.start()) if m is not None else None
            if serial is not None:
                out.append((*serial, tally.hit("serial")))
    for gate in _DESCRIBED:
        for at in gates.get(gate, ()):
            out.extend(_description(text, at + len(gate), tally))
    for gate in _FSCK_AFTER:
        for at in gates.get(gate, ()):
            out.extend(_fsck_name(text, at, gate, tally))
    for gate in _WWN:
        for at in gates.get(gate, ()):
            m = _WWN_RE.match(text, at + (0 if gate == "eui." else len(gate)))
            if m is not None and (gate != "eui." or at == 0 or not text[at - 1].isalnum()):
                out.append((m.start(1), m.end(1), tally.hit("serial")))
    for gate in _DATA_DISK:
        for at in gates.get(gate, ()):
            m = _DRIVE_ID_RE.match(text, at + len(gate))
            if m is None or text.startswith("-[", m.end()) or (
                    gate == "cannot use " and not text.startswith(" as data disk", m.end())):
                continue  # its serial is gone already; "Cannot use python-3.11": not a disk
            serial = _drive_serial(m.group(0), m.start()) if m is not None else None
            if serial is not None:
                out.append((*serial, tally.hit("serial")))
    for at in gates.get(_DATA_DISK_QUOTED, ()):
        m = _DRIVE_ID_REV_RE.match(text[max(0, at - 255):at][::-1])  # read back to the quote
        start = at - (m.end() if m is not None else 0)
        quoted = start > 0 and text[start - 1] == "'"
        serial = _drive_serial(text[start:at], start) if quoted else None
        if serial is not None:
            out.append((*serial, tally.hit("serial")))
    for gate in _BLKID:
        for at in gates.get(gate, ()):
            m = _QUOTED_LABEL_RE.match(text, at + len(gate))
            if m is not None and _is_label(m.group(1)):
                out.append((m.start(1), m.end(1), tally.hit("device")))
    for gate in _PART_NAME:
        for at in gates.get(gate, ()):
            m = _PART_NAME_RE.match(text, at + len(gate))
            if m is not None and _is_label(_ESCAPE_RE.sub(_unescape, m.group(0))):
                out.append((m.start(), m.end(), tally.hit("device")))
    return out


def _drive_serial(drive_id: str, start: int) -> tuple[int, int] | None:
    """Where the serial ends a UDisks2 drive id that starts at `start` (its last field)."""
    cut = drive_id.rfind("-")
    serial = drive_id[cut + 1:]
    if cut <= 0 or len(serial) < 4 or not any(c.isdigit() for c in serial):
        return None
    return start + cut + 1, start + len(drive_id)


def _unescape(m: re.Match[str]) -> str:
    return chr(int(m.group(1), 16))


def _is_label(label: str) -> bool:
    """True for a label its owner gave a disk: not the system's own, not a placeholder."""
    low = label.lower()
    return (bool(label) and label not in PLACEHOLDER_VALUES and not label.startswith("[")
            and not low.isdigit() and _SYSTEM_LABEL_RE.fullmatch(low) is None)


def _id_serial(name: str, start: int) -> tuple[int, int] | None:
    """Where the serial ends an escaped by-id name (its last field before the suffixes)."""
    bounds = [0]
    for sep in _FIELD_SEP_RE.finditer(name):
        bounds += [sep.start(), sep.end()]
    bounds.append(len(name))
    fields = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    while len(fields) > 1 and _ID_TAIL_RE.fullmatch(name, *fields[-1]):
        fields.pop()
    lo, hi = fields[-1]
    serial = name[lo:hi]
    if len(fields) < 2 or len(serial) < 4 or not any(c.isdigit() for c in serial):
        return None
    return start + lo, start + hi


def _description(text: str, pos: int, tally: Tally) -> list[Edit]:
    """The label at the end of a device's description ("<model> <label>") at `pos`."""
    m = _DESCRIPTION_RE.match(text, pos)
    if m is None:
        return []
    desc = m.group(1)
    combined = desc.rfind(" - ")  # "<unit> - <description>"
    lo = combined + 3 if combined >= 0 else 0
    space = desc.rfind(" ", lo)
    label = desc[space + 1:]
    if (space <= lo or "/" in label or label.lower() in _MODEL_WORDS
            or not _is_label(label)):
        return []
    return [(pos + space + 1, pos + len(desc), tally.hit("device"))]


def _fsck_name(text: str, at: int, gate: str, tally: Tally) -> list[Edit]:
    """The file system's name that starts e2fsck's message whose literal `gate` is at `at`."""
    lo = max(0, at - 48)
    start = max(text.rfind("\n", lo, at), text.rfind("\x00", lo, at))
    prefix = text.rfind("]: ", lo, at)
    start = max(start + 1, prefix + 3 if prefix >= 0 else -1)
    if start <= 0 and lo > 0:
        return []  # no message start near: not e2fsck's
    end = at
    if gate.startswith("%"):  # "<name>: 11/1831424 files (0.0% non-contiguous), ..."
        files = _FSCK_FILES_RE.search(text, start, at)
        if files is None:
            return []
        end = files.start()
    name = text[start:end]
    if not 0 < len(name) <= 16 or "/" in name or ": " in name or not _is_label(name.strip()):
        return []
    return [(start, end, tally.hit("device"))]
