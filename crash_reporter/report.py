"""Stage 3: Crash -> Sentry event (deterministic event_id, stable fingerprint, no identity).

The event carries what triage needs (the failure, frames, versions, platform) and nothing
that identifies the home: no server_name, user, machine id, environment variables or
hostname. The scrubber still runs on it afterwards (scrub.py), as before_send does again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from crash_reporter import __version__
from crash_reporter.const import (
    COMPONENT_OS_AGENT,
    COMPONENT_SUPERVISOR,
    REPORTER_TAG,
)
from crash_reporter.models import Crash, CrashKind, ExceptionInfo, Frame, HostFacts, ThreadInfo

# Namespace of our deterministic event ids (uuid5 of the occurrence and the signature).
_EVENT_NAMESPACE = uuid.UUID("8f4d9a52-3c1e-5b7a-9d0e-6a2f4c1b8e73")

_MECHANISM = {
    CrashKind.PYTHON: "logged_traceback",
    CrashKind.GO: "go_panic",
    CrashKind.COREDUMP: "coredump",
    CrashKind.UNIT: "systemd",
}


def event_id_for(crash: Crash) -> str:
    """The event id of one occurrence: the same crash seen again (retry, restart) keeps it."""
    key = "\x1f".join((crash.component, crash.occurrence, *crash.signature))
    return uuid.uuid5(_EVENT_NAMESPACE, key).hex


def release_for(component: str, facts: HostFacts) -> str:
    """`<component>@<version>` of the crashing component (`@unknown` when not known yet).

    Always set, so sentry-sdk never fills in a release of its own (it would use
    SENTRY_RELEASE or the git commit of the working directory).
    """
    if component == COMPONENT_SUPERVISOR:
        return f"supervisor@{facts.supervisor_version or 'unknown'}"
    if component == COMPONENT_OS_AGENT:
        return f"os-agent@{facts.agent_version or 'unknown'}"
    return f"haos@{facts.os_version or 'unknown'}"


def build_event(crash: Crash, facts: HostFacts) -> dict[str, Any]:
    """Build the Sentry event for one crash incident (before scrubbing)."""
    tags: dict[str, str] = {"component": crash.component, "reporter": REPORTER_TAG,
                            "crash_kind": crash.kind.value}
    for key, value in (
        ("unit", crash.unit),
        ("result", crash.result),
        ("signal", crash.signal),
        ("arch", facts.arch),
        ("machine", facts.machine),
        ("board", facts.board),
        ("installation_type", facts.installation_type),
        ("channel", facts.channel),
        ("supervisor_version", facts.supervisor_version),
        ("os_version", facts.os_version),
        ("agent_version", facts.agent_version),
    ):
        if value:
            tags[key] = value
    tags.update(crash.tags)

    crash_ctx: dict[str, Any] = {"kind": crash.kind.value, "component": crash.component}
    for ctx_key, ctx_value in (
        ("unit", crash.unit),
        ("result", crash.result),
        ("signal", crash.signal),
        ("exit_status", crash.exit_status),
        ("restarts", crash.restarts),
        ("views", [v.value for v in crash.views] or None),
    ):
        if ctx_value is not None:
            crash_ctx[ctx_key] = ctx_value
    crash_ctx.update(dict(crash.extra))
    contexts: dict[str, Any] = {"crash": crash_ctx}
    if crash.loop_count > 1:
        contexts["crash_loop"] = {
            "count": crash.loop_count,
            "first_seen": _iso(crash.loop_first_at or crash.occurred_at),
            "last_seen": _iso(crash.loop_last_at or crash.occurred_at),
        }
    if facts.os_version or facts.installation_type:
        contexts["os"] = {"name": facts.installation_type or "Home Assistant OS",
                          "version": facts.os_version}
    if crash.platform == "python":
        contexts["runtime"] = {"name": "CPython"}
    elif crash.platform == "go":
        contexts["runtime"] = {"name": "go"}

    event: dict[str, Any] = {
        "event_id": event_id_for(crash),
        "timestamp": _iso(crash.occurred_at),
        "level": crash.level,
        "platform": crash.platform,
        "logger": crash.logger or f"{REPORTER_TAG}.{crash.kind.value}",
        "tags": tags,
        "contexts": contexts,
        "fingerprint": [crash.component, crash.kind.value, *[p for p in crash.signature if p]],
        "environment": facts.channel or "production",
        "sdk": {"name": "crash_reporter", "version": __version__},
        "release": release_for(crash.component, facts),
    }
    if crash.exceptions:
        event["exception"] = {"values": _exceptions(crash)}
        if crash.message:
            event["logentry"] = {"formatted": crash.message}
    else:
        event["logentry"] = {"formatted": crash.message or crash.title}
    if crash.threads:
        event["threads"] = {"values": [_thread(t) for t in crash.threads]}
    if crash.breadcrumbs:
        event["breadcrumbs"] = {"values": [
            {
                "timestamp": _iso(line.timestamp) if line.timestamp else event["timestamp"],
                "category": line.identifier or "log",
                "level": "info",
                "message": line.text,
            }
            for line in crash.breadcrumbs
        ]}
    return event


def _exceptions(crash: Crash) -> list[dict[str, Any]]:
    """Sentry's exception values, oldest first, with chain/group mechanism links."""
    values: list[dict[str, Any]] = []
    mech_type = _MECHANISM[crash.kind]
    for index, exc in enumerate(crash.exceptions):
        mechanism: dict[str, Any] = {"type": mech_type, "handled": False}
        if index > 0 or exc.parent is not None:
            mechanism["exception_id"] = index
        if exc.parent is not None:
            mechanism["parent_id"] = exc.parent
            mechanism["source"] = f"exceptions[{_child_position(crash.exceptions, index)}]"
        elif exc.relation is not None and index > 0:
            mechanism["type"] = "chained"
            mechanism["source"] = "__cause__" if exc.relation == "cause" else "__context__"
            mechanism["parent_id"] = index - 1
        if exc.is_group:
            mechanism["is_exception_group"] = True
        if index == 0 and crash.signal and crash.kind is not CrashKind.PYTHON:
            mechanism["meta"] = {"signal": {"name": crash.signal}}
        value: dict[str, Any] = {"type": exc.type, "value": _value(exc), "mechanism": mechanism}
        if exc.module:
            value["module"] = exc.module
        if exc.frames:
            value["stacktrace"] = {"frames": [_frame(f) for f in exc.frames]}
        values.append(value)
    return values


def _child_position(exceptions: tuple[ExceptionInfo, ...], index: int) -> int:
    """The position of exceptions[index] among the children of its group."""
    parent = exceptions[index].parent
    return sum(1 for e in exceptions[:index] if e.parent == parent)


def _value(exc: ExceptionInfo) -> str:
    """The exception's message with its notes, as Python prints them."""
    return "\n".join((exc.value, *exc.notes)) if exc.notes else exc.value


def _frame(frame: Frame) -> dict[str, Any]:
    """One Sentry frame (only the keys we know)."""
    out: dict[str, Any] = {"function": frame.function, "in_app": frame.in_app}
    for key, value in (
        ("filename", frame.filename),
        ("abs_path", frame.abs_path),
        ("module", frame.module),
        ("lineno", frame.lineno),
        ("colno", frame.colno),
        ("context_line", frame.context_line),
        ("package", frame.package),
        ("instruction_addr", frame.instruction_addr),
    ):
        if value is not None:
            out[key] = value
    if frame.repeated:
        out["vars"] = {"repeated": frame.repeated}
    return out


def _thread(thread: ThreadInfo) -> dict[str, Any]:
    """One Sentry thread (a goroutine or a native thread)."""
    out: dict[str, Any] = {"id": thread.id, "crashed": thread.crashed, "current": thread.crashed}
    if thread.name or thread.state:
        out["name"] = " ".join(p for p in (thread.name, f"[{thread.state}]" if thread.state
                                           else None) if p)
    if thread.frames:
        out["stacktrace"] = {"frames": [_frame(f) for f in thread.frames]}
    return out


def _iso(epoch: float) -> str:
    """An RFC 3339 UTC timestamp."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()
