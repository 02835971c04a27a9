"""`crash-reporter status`: what the daemon keeps on disk, read-only.

Works whether the daemon runs or not: it only reads `state/consent.json` (written by the
consent gate), the outbox (`outbox/`, its `state.json`) and `state/flood.json`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crash_reporter.consent import CONSENT_FILE, read_consent_file
from crash_reporter.const import OUTBOX_DIR, STATE_DIR
from crash_reporter.flood import read_flood_state
from crash_reporter.outbox import HeldReport, ReadyEnvelope, list_outbox, read_state

FLOOD_FILE = "flood.json"
RECENT_SHOWN = 10


def _read_consent(path: Path) -> dict[str, Any] | None:
    doc = read_consent_file(path)
    if not doc["state"]:
        return None
    return {"state": doc["state"], "read_at": doc["read_at"], "reason": doc["reason"]}


def read_status(data_dir: Path, *, now: float | None = None,
                recent: int = RECENT_SHOWN) -> dict[str, Any]:
    """Everything `status` shows (and the panel), as a JSON-able dict."""
    now = time.time() if now is None else now
    data_dir = Path(data_dir)
    outbox_dir = data_dir / OUTBOX_DIR
    listing = list_outbox(outbox_dir)
    held, ready = listing.held, listing.ready
    state = read_state(outbox_dir)
    flood = read_flood_state(data_dir / STATE_DIR / FLOOD_FILE)
    entries: list[HeldReport | ReadyEnvelope] = sorted([*held, *ready],
                                                       key=lambda r: r.held_at)
    counters = state["counters"]
    backoff = state["backoff"]
    return {
        "now": now,
        "data_dir": str(data_dir),
        "data_dir_exists": data_dir.is_dir(),
        "consent": _read_consent(data_dir / STATE_DIR / CONSENT_FILE),
        "outbox": {
            "pending": len(entries),
            "held": len(held),
            "ready": len(ready),
            "bytes": sum(r.size for r in entries),
            "oldest": entries[0].held_at if entries else None,
            "unreadable": len(listing.unreadable),
            "unusable": len(listing.bad),
        },
        "faults": {str(k): int(v) for k, v in sorted(state["faults"].items())},
        "sent": int(counters.get("sent", 0)),
        "held_total": int(counters.get("held", 0)),
        "dropped": {str(k): int(v) for k, v in sorted(counters.get("dropped", {}).items())},
        "rate_limits": {(k or "all"): float(v) for k, v in sorted(state["rate_limits"].items())
                        if float(v) > now},
        "retry_at": float(backoff.get("retry_at", 0.0))
        if float(backoff.get("retry_at", 0.0)) > now else None,
        "failures": int(backoff.get("failures", 0)),
        "flood": {
            **{str(k): int(v) for k, v in flood["counters"].items()},
            "folded_pending": sum(int(s.get("folded", 0))
                                  for s in flood["signatures"].values()),
            "signatures": len(flood["signatures"]),
        },
        "recent": list(reversed(state["recent"]))[:recent],
        "pending_reports": [{"event_id": r.event_id, "held_at": r.held_at, "title": r.title,
                             "stage": "held" if isinstance(r, HeldReport) else "ready"}
                            for r in entries],
    }


def _when(epoch: Any, now: float) -> str:
    """An absolute UTC time and how long ago it was."""
    if not isinstance(epoch, int | float):
        return "never"
    stamp = datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({render_span(now - epoch)} ago)" if epoch <= now else \
        f"{stamp} (in {render_span(epoch - now)})"


def render_span(seconds: float) -> str:
    """A duration in the largest fitting unit: '42 s', '3.5 min', '2.0 h', '1.5 d'."""
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def render_status(status: dict[str, Any]) -> str:
    """Human-readable status."""
    now = float(status.get("now") or time.time())
    lines: list[str] = [f"Data dir:     {status['data_dir']}"]
    if not status.get("data_dir_exists", True):
        lines[0] += " (does not exist: wrong path, or the daemon has not run here)"
    consent = status.get("consent")
    if consent:
        lines.append(f"Consent:      {str(consent['state']).upper()} ({consent['reason']}), "
                     f"read {_when(consent['read_at'], now)}")
    else:
        lines.append("Consent:      not read yet (the daemon has not run)")
    box = status["outbox"]
    lines.append(f"Outbox:       {box['pending']} report(s) pending ({box['held']} held, "
                 f"{box['ready']} ready), {box['bytes']} bytes, oldest "
                 f"{_when(box['oldest'], now)}")
    if box.get("unreadable") or box.get("unusable"):
        lines.append(f"              {box.get('unreadable', 0)} cannot be read now (kept), "
                     f"{box.get('unusable', 0)} unusable (removed at the next start)")
    faults = status.get("faults") or {}
    lines.append("Faults:       " + (", ".join(
        f"{k.removeprefix('io:')}: {v}" if k.startswith("io:") else
        f"{v} bad state file(s) set aside" for k, v in faults.items()) or "none"))
    dropped = status["dropped"]
    dropped_text = ", ".join(f"{k}: {v}" for k, v in dropped.items()) or "none"
    lines.append(f"Sent:         {status['sent']}")
    lines.append(f"Dropped:      {sum(dropped.values())} ({dropped_text})")
    limits = status["rate_limits"]
    lines.append("Rate limits:  " + (", ".join(
        f"{k} until {_when(v, now)}" for k, v in limits.items()) or "none"))
    if status.get("retry_at"):
        lines.append(f"Retrying:     after {status['failures']} failure(s), next "
                     f"{_when(status['retry_at'], now)}")
    flood = status["flood"]
    lines.append(f"Flood:        {flood.get('folded', 0)} crash(es) folded into counts, "
                 f"{flood.get('summaries', 0)} summaries, {flood['folded_pending']} waiting "
                 "for the next report")
    recent = status["recent"]
    lines.append("Last reports:" + ("" if recent else " none"))
    for entry in recent:
        lines.append(f"  {entry.get('event_id')}  {entry.get('outcome', ''):<22} "
                     f"{_when(entry.get('at'), now):<40} {entry.get('title', '')}")
    return "\n".join(lines)
