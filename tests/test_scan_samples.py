"""`scan.find_crashes` over each shared sample: every crash incident of the truth, nothing else.

ground_truth.json lists every crash AS PRINTED, so one incident may appear more than once
(samples/README.md): the Go panic and the core dump of `dev-core-01` are one incident (crash
ids `dev-core-01/go` and `dev-core-01`), and `dev-sys-02..04` are one crash loop. The pipeline
(detect/incidents.py) joins the views of one incident into the richest one (traceback/panic >
core dump > unit failure; the others become `views`) and folds repeats of one signature
within LOOP_WINDOW_S into one incident with a `loop_count`. The expected incidents are derived
from the truth by those same two rules; an incident matches on its kind and first line (and
identifier, when the log names it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from crash_reporter.const import LOOP_WINDOW_S
from crash_reporter.models import Crash, CrashKind
from crash_reporter.scan import find_crashes
from crash_reporter.sources.log_format import read_log_lines
from tests.helpers import SAMPLES, TRUTH

KIND = {
    "python_traceback": CrashKind.PYTHON,
    "go_panic": CrashKind.GO,
    "go_fatal_error": CrashKind.GO,
    "coredump": CrashKind.COREDUMP,
    "systemd_signal": CrashKind.UNIT,
}
RANK = {CrashKind.PYTHON: 0, CrashKind.GO: 0, CrashKind.COREDUMP: 1, CrashKind.UNIT: 2}


@dataclass
class Expected:
    """One incident as the truth describes it."""

    kind: CrashKind
    first_line: int
    identifier: str
    when: float
    loop_key: tuple[str, ...] | None
    views: set[CrashKind] = field(default_factory=set)
    loop_count: int = 1
    crash_ids: list[str] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)


def _time(crash: dict[str, Any]) -> float:
    return datetime.strptime(crash["journal_timestamp"], "%Y-%m-%d %H:%M:%S.%f").timestamp()


def expected_incidents(info: dict[str, Any]) -> list[Expected]:
    """The truth's crashes with the views of one incident joined and crash loops folded."""
    by_incident: dict[str, list[dict[str, Any]]] = {}
    for crash in info["crashes"]:
        by_incident.setdefault(crash["crash_id"].split("/")[0], []).append(crash)
    incidents = []
    for members in by_incident.values():
        primary = min(members, key=lambda c: (RANK[KIND[c["kind"]]], c["first_line"]))
        kind = KIND[primary["kind"]]
        detail = primary["detail"]
        loop_key = (detail["unit"], detail["signal"]) if kind is CrashKind.UNIT else None
        incidents.append(Expected(
            kind=kind, first_line=primary["first_line"], identifier=primary["identifier"],
            when=_time(primary), loop_key=loop_key,
            views={KIND[c["kind"]] for c in members if c is not primary},
            crash_ids=[c["crash_id"] for c in members], truth=primary))
    folded: list[Expected] = []
    last_seen: dict[tuple[str, ...], tuple[Expected, float]] = {}
    for incident in sorted(incidents, key=lambda e: e.when):
        key = incident.loop_key
        if key is not None and key in last_seen:
            head, last = last_seen[key]
            if incident.when - last <= LOOP_WINDOW_S:
                head.loop_count += 1
                head.crash_ids += incident.crash_ids
                last_seen[key] = (head, incident.when)
                continue
        if key is not None:
            last_seen[key] = (incident, incident.when)
        folded.append(incident)
    return folded


def first_line(crash: Crash) -> int:
    """The log line number of an incident's first line (the end of its occurrence)."""
    return int(crash.occurrence.rsplit(":", 1)[1])


def scan(filename: str) -> list[Crash]:
    with (SAMPLES / filename).open("rb") as stream:
        return find_crashes(read_log_lines(stream))


FILES = list(TRUTH["files"])


def test_expected_incidents_follow_the_readme() -> None:
    """The derivation itself: dev-core-01 is one incident, dev-sys-02..04 one loop."""
    core = expected_incidents(TRUTH["files"]["coredump.log"])
    assert [(e.kind, e.first_line, e.views) for e in core] == [
        (CrashKind.GO, 26, {CrashKind.COREDUMP}), (CrashKind.COREDUMP, 151, set())]
    units = expected_incidents(TRUTH["files"]["systemd_units.log"])
    assert [(e.first_line, e.loop_count) for e in units] == [(8, 1), (34, 3), (77, 1)]
    assert units[1].crash_ids == ["dev-sys-02", "dev-sys-03", "dev-sys-04"]


@pytest.mark.parametrize("filename", FILES)
def test_scan_finds_every_incident_and_nothing_else(filename: str) -> None:
    info = TRUTH["files"][filename]
    expected = expected_incidents(info)
    incidents = scan(filename)
    got = sorted((c.kind.value, first_line(c)) for c in incidents)
    assert got == sorted((e.kind.value, e.first_line) for e in expected)
    by_line = {e.first_line: e for e in expected}
    for incident in incidents:
        truth = by_line[first_line(incident)]
        # the other views of the incident are joined in; a unit failure view may be too
        assert truth.views <= set(incident.views) <= truth.views | {CrashKind.UNIT}
        assert incident.loop_count == truth.loop_count, truth.crash_ids
        if info["format"] == "verbose":
            assert incident.occurrence.split(":")[1] == truth.identifier
        if incident.kind is CrashKind.PYTHON:
            last = truth.truth["detail"]["exceptions"][-1]
            main = [e for e in incident.exceptions if e.parent is None][-1]
            assert main.type == last["type"]
            assert incident.component == "supervisor"
        if incident.kind is CrashKind.GO:
            assert incident.component == "os-agent"


def test_incidents_come_in_log_order() -> None:
    for filename, info in TRUTH["files"].items():
        if info["format"] != "verbose":
            continue
        times = [c.occurred_at for c in scan(filename)]
        assert times == sorted(times), filename
