"""What the panel shows, in plain words: pure functions from the app's state to a page model.

The data comes from the same place as `crash-reporter status` (status.read_status over the
data dir) plus what only the running daemon knows (live consent, the configuration, how many
identifiers the scrubber removes). Nothing here escapes HTML: the template does (autoescape).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crash_reporter.config import redact_dsn
from crash_reporter.status import render_span

DROP_REASONS: Mapping[str, str] = {
    "outbox_full": "too many reports were waiting (the oldest are dropped first)",
    "too_large": "it was too large to send",
    "expired": "it waited more than 30 days without being sent",
    "corrupt": "its file on this device was damaged",
    "consent_off": "Diagnostics was turned off before it was sent",
    "before_send": "the last check before sending (the scrubber) refused it",
    "scrub_failed": "it could not be cleaned for certain, so it was never kept",
    "discarded": "you discarded it",
}

# Consent kind -> (headline, explanation). The kind comes from `consent_kind`.
CONSENT_TEXT: Mapping[str, tuple[str, str]] = {
    "on": ("Diagnostics is on",
           "You allowed crash reports in Settings > System > Analytics. Reports are sent."),
    "off": ("Diagnostics is off",
            "You turned Diagnostics off in Settings > System > Analytics. Nothing is sent, "
            "and crashes seen while it is off are never sent, not even later."),
    "never_chosen": ("Diagnostics is off (never chosen)",
                     "Diagnostics has not been turned on in Settings > System > Analytics. "
                     "Nothing is sent."),
    "unsupported": ("Diagnostics is off: this system is unsupported",
                    "Diagnostics is on, but the Supervisor reports this system as "
                    "unsupported, and Home Assistant sends no crash data from unsupported "
                    "systems. Nothing is sent."),
    "unknown": ("Diagnostics cannot be read right now",
                "The Supervisor did not answer. Nothing is sent; new reports wait on this "
                "device and are sent if it answers that Diagnostics is on, or deleted if off."),
}


def consent_kind(state: str, reason: str) -> str:
    """One of on, off, never_chosen, unsupported, unknown (from the gate's state and reason)."""
    if state == "on":
        return "on"
    if state == "off":
        if "unsupported" in reason:
            return "unsupported"
        if "never chosen" in reason:
            return "never_chosen"
        return "off"
    return "unknown"


def drop_reason(outcome: str) -> str:
    """A report's final outcome ("dropped: http_413", "deleted: consent_off") in plain words."""
    _, _, code = outcome.partition(": ")
    if code.startswith("http_"):
        return f"the destination refused it (HTTP {code.removeprefix('http_')})"
    return DROP_REASONS.get(code, code.replace("_", " "))


def when(epoch: Any, now: float) -> str:
    """'2026-12-04 16:40 UTC (3 min ago)', or '' for no time."""
    if not isinstance(epoch, int | float) or epoch <= 0:
        return ""
    stamp = datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    if epoch <= now:
        return f"{stamp} ({render_span(now - epoch)} ago)"
    return f"{stamp} (in {render_span(epoch - now)})"


def destination(dsn: str | None, source: str) -> str:
    """Where reports go, without the DSN's key."""
    if not dsn:
        return ("Nowhere: no destination is set, so reports are kept on this device and "
                "shown here, never sent.")
    host = redact_dsn(dsn).partition("@")[2].partition("/")[0]
    if source == "built-in":
        return f"Home Assistant's developers, through the Sentry at {host} built into this app."
    how = "the dsn option" if source == "option" else "CRASH_REPORTER_DSN"
    return f"Your own destination at {host} (set by {how})."


@dataclass(slots=True)
class ReportRow:
    """One report as the panel lists it."""

    event_id: str
    title: str
    status: str  # review, held, pending, sent, dropped
    status_text: str
    time: str
    reason: str = ""
    payload: str = ""  # pretty JSON, or "" when not kept
    payload_note: str = ""


@dataclass(slots=True)
class PanelPage:
    """Everything the template renders."""

    consent_kind: str
    consent_title: str
    consent_text: str
    consent_read: str
    destination: str
    review: bool
    watched_units: list[str]
    watched_logs: list[str]
    identifiers: int
    reports: list[ReportRow] = field(default_factory=list)
    counters: list[tuple[str, str]] = field(default_factory=list)
    rate_limits: list[str] = field(default_factory=list)
    notice: str = ""


PayloadLookup = Callable[[str], "tuple[dict[str, Any], bool] | None"]


def _pretty(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def report_rows(status: dict[str, Any], waiting: list[dict[str, Any]],
                payload_of: PayloadLookup, consent: str) -> list[ReportRow]:
    """Every report the app knows of, newest first: waiting for review, then the rest."""
    now = float(status["now"])
    rows: list[ReportRow] = []
    seen: set[str] = set()
    for item in reversed(waiting):
        seen.add(item["event_id"])
        rows.append(ReportRow(
            item["event_id"], item["title"], "review", "Waiting for your review",
            when(item["held_at"], now), payload=_pretty(item["event"]),
            payload_note="As it will leave this device if you press Send."))
    entries = [*status.get("recent", [])]
    known = {e.get("event_id") for e in entries}
    entries += [{**p, "outcome": p["stage"], "at": p["held_at"]}
                for p in status.get("pending_reports", []) if p["event_id"] not in known]
    entries.sort(key=lambda e: float(e.get("at") or 0.0), reverse=True)
    for entry in entries:
        event_id = str(entry.get("event_id", ""))
        if event_id in seen:
            continue
        seen.add(event_id)
        outcome = str(entry.get("outcome", ""))
        recorded = payload_of(event_id)
        row = ReportRow(event_id, str(entry.get("title", "")), "", "", when(entry.get("at"), now))
        if outcome == "sent":
            row.status, row.status_text = "sent", "Sent"
            row.payload_note = "Exactly as it left this device."
        elif outcome in ("held", "ready"):
            row.status, row.status_text = (
                ("pending", "Waiting to be sent") if consent == "on"
                else ("held", "Held on this device until Diagnostics is on"))
            row.payload_note = ("Exactly as it will leave this device." if recorded and
                                recorded[1] else "As it will leave this device (the last "
                                "check before sending may only remove empty fields).")
        else:
            row.status, row.status_text = "dropped", "Not sent"
            row.reason = drop_reason(outcome)
            row.payload_note = ("It reached the destination, which refused it: exactly this "
                                "left the device." if "http_" in outcome
                                else "It never left this device.")
        if recorded is not None:
            row.payload = _pretty(recorded[0])
        else:
            row.payload_note = "Its data is no longer kept on this device."
        rows.append(row)
    return rows


def counters(status: dict[str, Any]) -> list[tuple[str, str]]:
    """The numbers: (label, value) pairs."""
    dropped = status["dropped"]
    flood = status["flood"]
    box = status["outbox"]
    out = [
        ("Sent", str(status["sent"])),
        ("Waiting on this device", str(box["pending"])),
        ("Not sent", str(sum(dropped.values()))),
    ]
    out += [(f"Not sent: {drop_reason('dropped: ' + k)}", str(v)) for k, v in dropped.items()]
    out.append(("Repeats of a crash folded into a count", str(flood.get("folded", 0))))
    if status.get("retry_at"):
        out.append(("Destination not reachable; next try",
                    when(status["retry_at"], float(status["now"]))))
    return out


REPORT_CATEGORIES = {"all": "all reports", "error": "crash reports",
                     "default": "reports without an exception"}


def rate_limits(status: dict[str, Any]) -> list[str]:
    """Active pauses the destination asked for that hold back this app's reports.

    A destination also pauses kinds of data this app never sends (spans, transactions, ...):
    those are left out.
    """
    now = float(status["now"])
    return [f"{REPORT_CATEGORIES[k]}: paused until {when(v, now)}"
            for k, v in status["rate_limits"].items() if k in REPORT_CATEGORIES]
