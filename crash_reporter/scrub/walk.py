"""The event's structure: an allowlist walk that builds the new event and collects its strings.

Known top-level keys, tag and context keys and frame keys are copied; ``user``, ``request``,
``server_name``, ``extra``, ``modules`` and anything unknown are dropped; frame ``vars`` keep
numbers only. Every string that survives is registered once (duplicates counted) so that the
rules scan it once; the caps (`Limits`) keep the serialized event well under Sentry's 1 MB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress
from operator import gt
from typing import Any, Final

from crash_reporter.scrub.tokens import PLACEHOLDERS

SIZE_COUNTERS: Final = ("truncated", "frames_cut", "threads_cut", "breadcrumbs_cut",
                        "exceptions_cut")
_COUNT_KEYS: Final = frozenset((*PLACEHOLDERS, *SIZE_COUNTERS))

@dataclass(frozen=True, slots=True)
class Limits:
    """Caps applied while building the scrubbed event (tightened if it is still too big)."""

    long_text: int = 8192  # messages, exception values
    text: int = 1024  # breadcrumb messages, context values, anything else
    short: int = 512  # paths, functions, modules, context lines, fingerprint parts
    tag: int = 200  # Sentry rejects longer tag values
    frames: int = 100  # per stacktrace: half outermost, half innermost
    context_lines: int = 5  # pre/post_context lines each
    threads: int = 50
    breadcrumbs: int = 100  # the most recent
    exceptions: int = 25  # the newest


LEVELS: Final = (
    Limits(),
    Limits(long_text=4096, text=512, short=256, frames=50, context_lines=2, threads=10,
            breadcrumbs=50, exceptions=10),
    Limits(long_text=1024, text=256, short=200, frames=20, context_lines=0, threads=3,
            breadcrumbs=20, exceptions=5),
)

_LEVELS_OK: Final = frozenset({"fatal", "error", "warning", "info", "debug"})
_TOP_LEVEL: Final = frozenset({
    "event_id", "timestamp", "start_timestamp", "level", "platform", "logger", "message",
    "logentry", "exception", "threads", "breadcrumbs", "tags", "contexts", "release", "dist",
    "environment", "fingerprint", "sdk", "debug_meta", "type",
})
_TAG_KEYS: Final = frozenset({
    "component", "unit", "result", "signal", "arch", "board", "installation_type", "reporter",
    "crash_kind", "machine", "channel", "supervisor_version", "os_version", "agent_version",
    "core_version", "level", "mechanism", "handled", "platform", "runtime", "os", "os.name",
    "runtime.name", "kind", "view", "views", "deployment", "chassis", "virtualization",
})
_CONTEXT_KEYS: Final[dict[str, frozenset[str]]] = {
    "os": frozenset({"type", "name", "version", "build", "kernel_version", "rooted"}),
    "runtime": frozenset({"type", "name", "version", "build"}),
    "app": frozenset({"type", "app_name", "app_version", "app_build", "app_identifier",
                      "build_type"}),
    "device": frozenset({"type", "arch", "model", "model_id", "family", "cpu_description",
                         "processor_count", "simulator", "manufacturer", "brand"}),
    "trace": frozenset({"type", "trace_id", "span_id", "parent_span_id", "op", "status"}),
}
_FREE_CONTEXTS: Final = frozenset({"crash", "crash_loop"})
_FRAME_TEXT: Final = ("filename", "abs_path", "module", "function", "raw_function", "symbol",
                      "package", "platform")
_FRAME_ADDR: Final = ("instruction_addr", "symbol_addr", "image_addr")
_FRAME_TEXTS: Final = frozenset((*_FRAME_TEXT, "context_line"))
_NUMBER, _FLAG, _ADDRESS, _LINES, _VARS = range(5)
_FRAME_KINDS: Final[dict[str, int]] = {  # the frame's other keys
    "lineno": _NUMBER, "colno": _NUMBER, "in_app": _FLAG,
    **dict.fromkeys(_FRAME_ADDR, _ADDRESS),
    "pre_context": _LINES, "post_context": _LINES, "vars": _VARS,
}
_ADDR_RE: Final = re.compile(r"0x[0-9A-Fa-f]{1,16}")
_ID_RE: Final = re.compile(r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
_DEBUG_ID_RE: Final = re.compile(r"[0-9A-Fa-f-]{1,80}")
_KEY_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_PASSWORD_KEY_RE: Final = re.compile(
    r"(?i).*(?:password|passwd|secret|api[_-]?key|apikey|auth|credential|token|psk|otp|cookie"
    r"|private[_-]?key|session|ssid|serial|latitude|longitude|hostname|machine_id|environ"
    r"|cmdline).*"
)
_TIMESTAMP_RE: Final = re.compile(r"[0-9T:.+\-Z ]{4,40}")
_PLATFORM_RE: Final = re.compile(r"[a-z]{1,20}")
_SENTINEL: Final = ""
_SCALARS: Final = (str, int, float)


def _is_timestamp(value: Any) -> bool:
    """A number, or a string shaped like an RFC 3339 timestamp."""
    if isinstance(value, int | float):
        return not isinstance(value, bool)
    return isinstance(value, str) and _TIMESTAMP_RE.fullmatch(value) is not None


class Builder:
    """Builds the scrubbed event; strings are registered now and filled in after scrubbing."""

    __slots__ = ("cuts", "floor", "limits", "narrow", "slots")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        # Flat, four items per string: (container, key, text, limit). One `extend` per string
        # while walking; the columns are taken apart at C speed afterwards (`columns`).
        self.slots: list[Any] = []
        # The strings registered with a limit below `floor` (tags, categories, ids: a few),
        # by index; `text` lists them. The hot paths that register inline (frames, context
        # lines, breadcrumb messages) use `short` or `text`, never less than `floor`.
        self.floor = min(limits.short, limits.text)
        self.narrow: list[int] = []
        self.cuts: dict[str, int] = {}

    # -- leaves --------------------------------------------------------------------------

    def text(self, out: Any, key: Any, value: Any, limit: int) -> None:
        """Register `value` (a string, or a number made text) for out[key]."""
        if type(value) is str:
            s = value
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, _SCALARS):
            s = value if isinstance(value, str) else str(value)
        else:
            return
        if len(s) > 4 * limit + 64:
            # Cut early so huge strings are not scanned; cut again after scrubbing.
            s = s[: 4 * limit + 64]
        out[key] = _SENTINEL  # keeps the key's place; the scrubbed text is filled in later
        if limit < self.floor:
            self.narrow.append(len(self.slots) // 4)
        self.slots += (out, key, s, limit)

    def columns(self) -> tuple[list[Any], list[Any], list[str], list[int]]:
        """The registered strings as columns: containers, keys, texts, limits (in order)."""
        slots = self.slots
        return slots[0::4], slots[1::4], slots[2::4], slots[3::4]

    def too_long(self, values: list[str], longest: int) -> list[int]:
        """The slots whose text in `values` (one per slot) is over its limit, in order.

        `longest` is the length of the longest text: unless it is over `floor`, only the
        narrow slots need a look.
        """
        caps = self.slots[3::4]
        if longest > self.floor:
            return list(compress(range(len(values)), map(gt, map(len, values), caps)))
        return [i for i in self.narrow if len(values[i]) > caps[i]]

    def texts(self, values: Any, limit: int, keep: int) -> list[Any]:
        """A new list of the scalar items of `values` (at most `keep`), registered as text."""
        items = [v for v in values[:keep] if isinstance(v, _SCALARS) and not isinstance(v, bool)]
        out: list[Any] = [_SENTINEL] * len(items)
        for i, item in enumerate(items):
            self.text(out, i, item, limit)
        return out

    def cut(self, name: str, n: int) -> None:
        """Count `n` removed items of kind `name`."""
        if n > 0:
            self.cuts[name] = self.cuts.get(name, 0) + n

    # -- structure -----------------------------------------------------------------------

    def event(self, src: dict[str, Any]) -> dict[str, Any]:
        """The allowlisted copy of a whole event."""
        lim = self.limits
        out: dict[str, Any] = {}
        for key, value in src.items():
            if key not in _TOP_LEVEL:
                continue
            if key == "event_id":
                if isinstance(value, str) and _ID_RE.fullmatch(value):
                    out[key] = value
            elif key in ("timestamp", "start_timestamp"):
                if _is_timestamp(value):
                    out[key] = value
            elif key == "level":
                if isinstance(value, str) and value in _LEVELS_OK:
                    out[key] = value
            elif key == "platform":
                if isinstance(value, str) and _PLATFORM_RE.fullmatch(value):
                    out[key] = value
            elif key == "type":
                if value in ("error", "default"):
                    out[key] = value
            elif key in ("logger", "release", "dist", "environment"):
                self.text(out, key, value, lim.short)
            elif key == "message":
                if isinstance(value, str):
                    self.text(out, key, value, lim.long_text)
                elif isinstance(value, dict):
                    out[key] = self.logentry(value)
            elif key == "logentry":
                if isinstance(value, dict):
                    out[key] = self.logentry(value)
            elif key == "exception":
                exc = self.exceptions(value)
                if exc is not None:
                    out[key] = exc
            elif key == "threads":
                threads = self.threads(value)
                if threads is not None:
                    out[key] = threads
            elif key == "breadcrumbs":
                crumbs = self.breadcrumbs(value)
                if crumbs is not None:
                    out[key] = crumbs
            elif key == "tags":
                out[key] = self.tags(value)
            elif key == "contexts":
                if isinstance(value, dict):
                    out[key] = self.contexts(value)
            elif key == "fingerprint":
                if isinstance(value, list | tuple):
                    out[key] = self.texts(value, lim.short, 50)
            elif key == "sdk":
                if isinstance(value, dict):
                    out[key] = self.sdk(value)
            elif key == "debug_meta" and isinstance(value, dict):
                out[key] = self.debug_meta(value)
        return out

    def logentry(self, src: dict[str, Any]) -> dict[str, Any]:
        """A logentry: formatted/message text; params only if they are scalars."""
        out: dict[str, Any] = {}
        for key in ("formatted", "message"):
            if key in src:
                self.text(out, key, src[key], self.limits.long_text)
        params = src.get("params")
        if isinstance(params, list | tuple):
            out["params"] = self.texts(params, self.limits.text, 20)
        return out

    def exceptions(self, src: Any) -> dict[str, Any] | None:
        """exception.values[] (the newest kept if there are too many)."""
        values = src.get("values") if isinstance(src, dict) else src
        if not isinstance(values, list | tuple):
            return None
        keep = self.limits.exceptions
        if len(values) > keep:
            self.cut("exceptions_cut", len(values) - keep)
            values = values[-keep:]
        return {"values": [self.exception(v) for v in values if isinstance(v, dict)]}

    def exception(self, src: dict[str, Any]) -> dict[str, Any]:
        """One exception value."""
        lim = self.limits
        out: dict[str, Any] = {}
        for key, limit in (("type", lim.short), ("value", lim.long_text), ("module", lim.short)):
            if key in src:
                self.text(out, key, src[key], limit)
        tid = src.get("thread_id")
        if isinstance(tid, int) and not isinstance(tid, bool):
            out["thread_id"] = tid
        elif isinstance(tid, str):
            self.text(out, "thread_id", tid, lim.short)
        mech = src.get("mechanism")
        if isinstance(mech, dict):
            out["mechanism"] = self.mechanism(mech)
        st = src.get("stacktrace")
        if isinstance(st, dict):
            out["stacktrace"] = self.stacktrace(st)
        return out

    def mechanism(self, src: dict[str, Any]) -> dict[str, Any]:
        """An exception mechanism (type, flags, chain links, signal/errno meta)."""
        out: dict[str, Any] = {}
        for key in ("type", "source", "description"):
            if key in src:
                self.text(out, key, src[key], self.limits.short)
        for key in ("handled", "synthetic", "is_exception_group"):
            if isinstance(src.get(key), bool):
                out[key] = src[key]
        for key in ("exception_id", "parent_id"):
            if isinstance(src.get(key), int) and not isinstance(src.get(key), bool):
                out[key] = src[key]
        meta = src.get("meta")
        if isinstance(meta, dict):
            mout: dict[str, Any] = {}
            for mkey in ("signal", "errno"):
                sub = meta.get(mkey)
                if isinstance(sub, dict):
                    sout: dict[str, Any] = {}
                    for skey in ("number", "code"):
                        v = sub.get(skey)
                        if isinstance(v, int) and not isinstance(v, bool):
                            sout[skey] = v
                    for skey in ("name", "code_name"):
                        if skey in sub:
                            self.text(sout, skey, sub[skey], 64)
                    mout[mkey] = sout
            out["meta"] = mout
        return out

    def stacktrace(self, src: dict[str, Any]) -> dict[str, Any]:
        """A stacktrace: frames (innermost and outermost kept when too many)."""
        out: dict[str, Any] = {}
        frames = src.get("frames")
        if not isinstance(frames, list | tuple):
            return out
        omitted = src.get("frames_omitted")
        keep = self.limits.frames
        if len(frames) > keep:
            head = keep // 2
            tail = keep - head
            cut = len(frames) - keep
            self.cut("frames_cut", cut)
            frames = [*frames[:head], *frames[len(frames) - tail:]]
            omitted = [head, head + cut]
        if (isinstance(omitted, list | tuple) and len(omitted) == 2
                and all(isinstance(i, int) and not isinstance(i, bool) for i in omitted)):
            out["frames_omitted"] = list(omitted)
        out["frames"] = [self.frame(f) for f in frames if isinstance(f, dict)]
        return out

    def frame(self, src: dict[str, Any]) -> dict[str, Any]:
        """One frame: paths, names and source scrubbed; vars keep numbers only.

        The hot loop of a big event (frames x keys, a few context lines each): the common
        case of `text` and `texts` (a short string) is written out here, not called.
        """
        lim = self.limits
        short = lim.short
        nlines = lim.context_lines
        cap = 4 * short + 64
        slots = self.slots
        out: dict[str, Any] = {}
        for key, value in src.items():  # a frame's own keys, each looked up once
            if key in _FRAME_TEXTS:
                if type(value) is str and len(value) <= cap:
                    out[key] = _SENTINEL  # keeps the key's place (see `text`)
                    slots += (out, key, value, short)
                elif value is not None:
                    self.text(out, key, value, short)
                continue
            kind = _FRAME_KINDS.get(key)
            if kind == _LINES:
                if not (nlines and isinstance(value, list | tuple)):
                    continue
                lines = value[-nlines:] if key == "pre_context" else value[:nlines]
                if type(lines) is not list:
                    lines = list(lines)
                out[key] = lines  # a new list: each line holds its own place until filled in
                i = 0
                for line in lines:
                    if type(line) is not str or len(line) > cap:  # not only short strings
                        del slots[len(slots) - 4 * i:]
                        out[key] = self.texts(lines, short, nlines)
                        break
                    slots += (lines, i, line, short)
                    i += 1  # noqa: SIM113 - enumerate is measurably slower in this loop
            elif kind is None:
                continue
            elif kind == _NUMBER:
                if isinstance(value, int) and not isinstance(value, bool):
                    out[key] = value
            elif kind == _FLAG:
                if isinstance(value, bool):
                    out[key] = value
            elif kind == _ADDRESS:
                if isinstance(value, str) and _ADDR_RE.fullmatch(value):
                    out[key] = value
            elif isinstance(value, dict):  # vars
                kept = {k: v for k, v in value.items()
                        if isinstance(k, str) and _KEY_RE.fullmatch(k)
                        and isinstance(v, int | float) and not isinstance(v, bool)
                        and not _PASSWORD_KEY_RE.fullmatch(k)}
                if kept:
                    out["vars"] = kept
        return out

    def threads(self, src: Any) -> dict[str, Any] | None:
        """threads.values[] (crashed/current ones first when there are too many)."""
        values = src.get("values") if isinstance(src, dict) else src
        if not isinstance(values, list | tuple):
            return None
        values = [v for v in values if isinstance(v, dict)]
        keep = self.limits.threads
        if len(values) > keep:
            important = [v for v in values if v.get("crashed") or v.get("current")]
            others = [v for v in values if not (v.get("crashed") or v.get("current"))]
            chosen = (important + others)[:keep]
            order = {id(v): i for i, v in enumerate(values)}
            self.cut("threads_cut", len(values) - len(chosen))
            values = sorted(chosen, key=lambda v: order[id(v)])
        out_values: list[dict[str, Any]] = []
        for thread in values:
            tout: dict[str, Any] = {}
            tid = thread.get("id")
            if isinstance(tid, int) and not isinstance(tid, bool):
                tout["id"] = tid
            elif isinstance(tid, str):
                self.text(tout, "id", tid, 64)
            for key in ("crashed", "current", "main"):
                if isinstance(thread.get(key), bool):
                    tout[key] = thread[key]
            for key in ("name", "state"):
                if key in thread:
                    self.text(tout, key, thread[key], self.limits.short)
            st = thread.get("stacktrace")
            if isinstance(st, dict):
                tout["stacktrace"] = self.stacktrace(st)
            out_values.append(tout)
        return {"values": out_values}

    def breadcrumbs(self, src: Any) -> dict[str, Any] | None:
        """breadcrumbs.values[] (the most recent kept); data is dropped."""
        values = src.get("values") if isinstance(src, dict) else src
        if not isinstance(values, list | tuple):
            return None
        keep = self.limits.breadcrumbs
        if len(values) > keep:
            self.cut("breadcrumbs_cut", len(values) - keep)
            values = values[len(values) - keep:]
        out_values: list[dict[str, Any]] = []
        limit = self.limits.text
        cap = 4 * limit + 64
        slots = self.slots
        for crumb in values:
            if not isinstance(crumb, dict):
                continue
            cout: dict[str, Any] = {}
            ts = crumb.get("timestamp")
            if type(ts) is float or _is_timestamp(ts):  # a float: the SDK's own form
                cout["timestamp"] = ts
            level = crumb.get("level")
            if isinstance(level, str) and level in _LEVELS_OK:
                cout["level"] = level
            if "type" in crumb:
                self.text(cout, "type", crumb["type"], 64)
            if "category" in crumb:
                self.text(cout, "category", crumb["category"], 64)
            message = crumb.get("message")
            if type(message) is str and len(message) <= cap:  # `text`'s common case, inline
                cout["message"] = _SENTINEL
                slots += (cout, "message", message, limit)
            else:
                self.text(cout, "message", message, limit)
            out_values.append(cout)
        return {"values": out_values}

    def tags(self, src: Any) -> dict[str, Any]:
        """Known tags only (a dict or Sentry's list of pairs)."""
        pairs: Iterable[Any]
        if isinstance(src, dict):
            pairs = src.items()
        elif isinstance(src, list | tuple):
            pairs = (p for p in src if isinstance(p, list | tuple) and len(p) == 2)
        else:
            return {}
        out: dict[str, Any] = {}
        for key, value in pairs:
            if isinstance(key, str) and key in _TAG_KEYS:
                self.text(out, key, value, self.limits.tag)
        return out

    def contexts(self, src: dict[str, Any]) -> dict[str, Any]:
        """Known contexts with known keys; crash/crash_loop keep scalar values."""
        out: dict[str, Any] = {}
        for name, ctx in src.items():
            if not isinstance(ctx, dict):
                continue
            if name == "scrubbed":
                counts = {k: v for k, v in ctx.items()
                          if k in _COUNT_KEYS and isinstance(v, int) and not isinstance(v, bool)
                          and v >= 0}
                out[name] = counts
                continue
            allowed = _CONTEXT_KEYS.get(name)
            cout: dict[str, Any] = {}
            if allowed is not None:
                for key, value in ctx.items():
                    if key not in allowed:
                        continue
                    if isinstance(value, bool) or (isinstance(value, int | float)
                                                   and key == "processor_count"):
                        cout[key] = value
                    else:
                        self.text(cout, key, value, self.limits.text)
            elif name in _FREE_CONTEXTS:
                self.free_context(ctx, cout)
            else:
                continue
            out[name] = cout
        return out

    def free_context(self, src: dict[str, Any], out: dict[str, Any]) -> None:
        """A custom context: scalar values (strings scrubbed), lists of scalars, no nesting."""
        for key, value in list(src.items())[:50]:
            if not (isinstance(key, str) and _KEY_RE.fullmatch(key)):
                continue
            if _PASSWORD_KEY_RE.fullmatch(key):
                out[key] = PLACEHOLDERS["filtered"]
            elif isinstance(value, bool) or value is None:
                out[key] = value
            elif isinstance(value, int | float):
                if isinstance(value, int) and abs(value) >= 10**12:
                    self.text(out, key, value, self.limits.short)  # could be a card number
                else:
                    out[key] = value
            elif isinstance(value, str):
                self.text(out, key, value, self.limits.text)
            elif isinstance(value, list | tuple):
                lst: list[Any] = [None] * min(len(value), 50)
                for i in range(len(lst)):
                    item = value[i]
                    if isinstance(item, bool) or item is None or (
                            isinstance(item, int | float) and abs(item) < 10**12):
                        lst[i] = item
                    else:
                        self.text(lst, i, item, self.limits.short)
                out[key] = lst

    def sdk(self, src: dict[str, Any]) -> dict[str, Any]:
        """sdk: name, version, integrations, packages."""
        out: dict[str, Any] = {}
        for key in ("name", "version"):
            if key in src:
                self.text(out, key, src[key], 128)
        integrations = src.get("integrations")
        if isinstance(integrations, list | tuple):
            out["integrations"] = self.texts(integrations, 128, 100)
        packages = src.get("packages")
        if isinstance(packages, list | tuple):
            plist = []
            for pkg in packages[:50]:
                if isinstance(pkg, dict):
                    pout: dict[str, Any] = {}
                    for key in ("name", "version"):
                        if key in pkg:
                            self.text(pout, key, pkg[key], 128)
                    plist.append(pout)
            out["packages"] = plist
        return out

    def debug_meta(self, src: dict[str, Any]) -> dict[str, Any]:
        """debug_meta.images[]: ids and addresses kept, file paths scrubbed."""
        images = src.get("images")
        out_images: list[dict[str, Any]] = []
        if isinstance(images, list | tuple):
            for image in images[:200]:
                if not isinstance(image, dict):
                    continue
                iout: dict[str, Any] = {}
                for key in ("debug_id", "code_id", "uuid"):
                    v = image.get(key)
                    if isinstance(v, str) and _DEBUG_ID_RE.fullmatch(v):
                        iout[key] = v
                for key in ("image_addr", "image_vmaddr"):
                    v = image.get(key)
                    if isinstance(v, str) and _ADDR_RE.fullmatch(v):
                        iout[key] = v
                size = image.get("image_size")
                if isinstance(size, int) and not isinstance(size, bool):
                    iout["image_size"] = size
                for key in ("type", "arch", "code_file", "debug_file"):
                    if key in image:
                        self.text(iout, key, image[key], self.limits.short)
                out_images.append(iout)
        return {"images": out_images}
