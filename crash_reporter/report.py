"""Stage 3: Crash -> Sentry event (deterministic event_id, stable fingerprint, no identity).

The event carries what triage needs (the failure, frames, versions, platform) and nothing
that identifies the home: no server_name, user, machine id, environment variables or
hostname. The scrubber still runs on it afterwards (scrub.py), as before_send does again.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from crash_reporter import __version__
from crash_reporter.const import (
    COMPONENT_OS_AGENT,
    COMPONENT_SUPERVISOR,
    REPORTER_TAG,
)
from crash_reporter.models import (
    Crash,
    CrashKind,
    ExceptionInfo,
    Frame,
    HostFacts,
    ThreadInfo,
    strip_ansi,
)

# Namespace of our deterministic event ids (uuid5 of the occurrence and the signature).
_EVENT_NAMESPACE = uuid.UUID("8f4d9a52-3c1e-5b7a-9d0e-6a2f4c1b8e73")

_LOG_LEVEL = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? ([A-Z]+) ")
_CRUMB_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error",
                 "CRITICAL": "fatal"}

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
        contexts["crash_loop"] = _without_none({
            "count": crash.loop_count,
            "first_seen": _iso(crash.loop_first_at or crash.occurred_at),
            "last_seen": _iso(crash.loop_last_at or crash.occurred_at),
        })
    if facts.os_version or facts.installation_type:
        contexts["os"] = {"name": facts.installation_type or "Home Assistant OS",
                          "version": facts.os_version}
    if crash.platform == "python":
        contexts["runtime"] = {"name": "CPython"}
    elif crash.platform == "go":
        contexts["runtime"] = {"name": "go"}

    event: dict[str, Any] = _without_none({
        "event_id": event_id_for(crash),
        "timestamp": _iso(crash.occurred_at),
        "level": crash.level,
        "platform": crash.platform,
        "logger": crash.logger or f"{REPORTER_TAG}.{crash.kind.value}",
        "tags": tags,
        "contexts": contexts,
        "fingerprint": _fingerprint(crash),
        "environment": facts.channel or "production",
        "sdk": {"name": "crash_reporter", "version": __version__},
        "release": release_for(crash.component, facts),
    })
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
            _without_none({
                "timestamp": _iso(line.timestamp) or event.get("timestamp"),
                "category": line.identifier or "log",
                "level": _crumb_level(plain),
                "message": plain,
            })
            for line in crash.breadcrumbs
            for plain in (strip_ansi(line.text),)
        ]}
    return event


def _exceptions(crash: Crash) -> list[dict[str, Any]]:
    """Sentry's exception values with the chain/group tree in its mechanism links.

    Laid out as sentry-python lays out an exception it catches, because Sentry's grouping and
    UI read it that way: the exception that was raised last (the root of the tree) has
    exception_id 0 and comes LAST in the list; each older exception of a chain is a child of
    the one it caused (source `__cause__`/`__context__`); a group's members are its children
    (source `exceptions[k]`). Ids are given depth-first from the root, then the list is
    reversed.
    """
    excs = crash.exceptions
    mech_type = _MECHANISM[crash.kind]
    values: list[dict[str, Any]] = []
    if len(excs) == 1:
        values.append(_exception(crash, excs[0], {"type": mech_type, "handled": False}))
        return values
    for index, exception_id, parent_id, source in _tree_order(excs):
        mechanism: dict[str, Any] = {"type": mech_type, "handled": False,
                                     "exception_id": exception_id}
        if parent_id is not None:
            mechanism["parent_id"] = parent_id
            mechanism["source"] = source
            if not source.startswith("exceptions["):
                mechanism["type"] = "chained"
        values.append(_exception(crash, excs[index], mechanism))
    values.reverse()
    return values


def _tree_order(
    excs: tuple[ExceptionInfo, ...],
) -> list[tuple[int, int, int | None, str]]:
    """(index in excs, exception_id, parent_id, source), depth-first from the root.

    `excs` is in the order Python prints: each chain oldest first, a group before its
    members. An exception with a `relation` was caused by the one printed before it at the
    same level (same `parent`); the newest of each chain (its head) is what the level holds.
    """
    caused_by: dict[int, int] = {}  # newer -> the older one it names as cause/context
    heads: dict[int | None, list[int]] = {}
    last: dict[int | None, int] = {}
    for index, exc in enumerate(excs):
        prev = last.get(exc.parent)
        # at the top level everything is one chain (a traceback without a "During handling"
        # line between two top-level exceptions cannot be printed), whatever was parsed
        if prev is not None and (exc.relation is not None or exc.parent is None):
            caused_by[index] = prev
            heads[exc.parent].remove(prev)
        heads.setdefault(exc.parent, []).append(index)
        last[exc.parent] = index
    roots = heads.get(None) or [len(excs) - 1]
    order: list[tuple[int, int, int | None, str]] = []
    stack: list[tuple[int, int | None, str]] = [(roots[-1], None, "")]
    seen: set[int] = set()
    while stack:
        index, parent_id, source = stack.pop()
        if index in seen:
            continue
        seen.add(index)
        exception_id = len(order)
        order.append((index, exception_id, parent_id, source))
        children: list[tuple[int, int | None, str]] = []
        if index in caused_by:
            how = "__cause__" if excs[index].relation == "cause" else "__context__"
            children.append((caused_by[index], exception_id, how))
        if excs[index].is_group:
            children += [(member, exception_id, f"exceptions[{k}]")
                         for k, member in enumerate(heads.get(index, []))]
        stack.extend(reversed(children))
    # never lose an exception the parser gave us, even if its links made no tree
    order += [(index, len(order) + n, None, "")
              for n, index in enumerate(i for i in range(len(excs)) if i not in seen)]
    return order


def _exception(crash: Crash, exc: ExceptionInfo, mechanism: dict[str, Any]) -> dict[str, Any]:
    """One Sentry exception value."""
    if exc.is_group:
        mechanism["is_exception_group"] = True
    if mechanism.get("exception_id", 0) == 0 and crash.signal \
            and crash.kind is not CrashKind.PYTHON:
        mechanism["meta"] = {"signal": {"name": crash.signal}}
    value: dict[str, Any] = {"type": exc.type, "value": _value(exc), "mechanism": mechanism}
    if exc.module:
        value["module"] = exc.module
    if exc.frames:
        value["stacktrace"] = {"frames": [_frame(f) for f in exc.frames]}
    return value


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


def _fingerprint(crash: Crash) -> list[str]:
    """Component, kind, then the detector's signature (its own kind prefix not repeated)."""
    signature = [p for p in crash.signature if p]
    if signature and signature[0] == crash.kind.value:
        signature = signature[1:]
    return [crash.component, crash.kind.value, *signature]


def _crumb_level(text: str) -> str:
    """The level of a Supervisor/Python log line (`<time> ERROR (Thread) [logger] ...`)."""
    match = _LOG_LEVEL.match(text)
    return _CRUMB_LEVELS.get(match.group(1), "info") if match else "info"


def _without_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def _iso(epoch: float | None) -> str | None:
    """An RFC 3339 UTC timestamp, or None when the time is unknown (0, NaN, out of range).

    An event without a timestamp is dated on arrival by Sentry, which beats 1970.
    """
    if not epoch or not math.isfinite(epoch) or epoch < 0:
        return None
    try:
        return datetime.fromtimestamp(epoch, tz=UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return None
