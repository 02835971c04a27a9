"""Report building: Crash -> Sentry event, checked by Sentry's own normalizer (Relay)."""

import traceback
from dataclasses import replace
from typing import Any

import pytest
import sentry_sdk.utils as sentry_utils
from sentry_relay.processing import StoreNormalizer

from crash_reporter.detect.python_tb import PythonTracebackDetector
from crash_reporter.models import (
    Crash,
    CrashKind,
    ExceptionInfo,
    Frame,
    HostFacts,
    LogLine,
    ThreadInfo,
)
from crash_reporter.report import build_event, event_id_for, release_for

FACTS = HostFacts(supervisor_version="2026.11.2", os_version="17.1", agent_version="1.8.1",
                  arch="aarch64", machine="raspberrypi5-64", board="rpi5-64",
                  installation_type="Home Assistant OS", channel="stable",
                  identifiers=("homeassistant-kitchen", "0123456789abcdef0123456789abcdef"))

UNIT_CRASH = Crash(kind=CrashKind.UNIT, component="os-agent",
                   title="haos-agent.service crashed: SIGSEGV", platform="other",
                   occurred_at=1_763_700_000.5, occurrence="haos-agent.service:inv1:exit@42",
                   signature=("haos-agent.service", "signal", "SIGSEGV"),
                   unit="haos-agent.service", result="signal", signal="SIGSEGV", restarts=2)

PY_CRASH = Crash(
    kind=CrashKind.PYTHON, component="supervisor", title="KeyError: 'slug'", platform="python",
    occurred_at=1_763_700_001.0, occurrence="supervisor:hassio_supervisor:-:line 10",
    signature=("OSError", "KeyError", "supervisor.store:load"), level="error",
    logger="supervisor.store", message="Unexpected error loading the store",
    exceptions=(
        ExceptionInfo(type="OSError", value="disk gone", frames=(
            Frame(function="read", filename="supervisor/utils/json.py",
                  abs_path="/usr/src/supervisor/supervisor/utils/json.py",
                  module="supervisor.utils.json", lineno=12, context_line="x = f.read()",
                  in_app=True),)),
        ExceptionInfo(type="KeyError", value="'slug'", relation="context", frames=(
            Frame(function="load", filename="supervisor/store/__init__.py",
                  module="supervisor.store", lineno=88, in_app=True),
            Frame(function="__getitem__", filename="asyncio/base_events.py",
                  abs_path="/usr/local/lib/python3.13/asyncio/base_events.py",
                  module="asyncio.base_events", lineno=5, in_app=False, repeated=3))),
        ExceptionInfo(type="ExceptionGroup", value="many", is_group=True),
        ExceptionInfo(type="ValueError", value="a", parent=2),
        ExceptionInfo(type="TypeError", value="b", parent=2, notes=("note 1",)),
    ),
)

GO_CRASH = Crash(
    kind=CrashKind.GO, component="os-agent", title="panic: assignment to entry in nil map",
    platform="go", occurred_at=1_763_700_002.0, occurrence="os-agent:os-agent:77:line 3",
    signature=("panic", "main.main"), signal="SIGSEGV",
    exceptions=(ExceptionInfo(type="panic", value="assignment to entry in nil map", frames=(
        Frame(function="main", module="main", package="main", filename="main.go", lineno=7,
              in_app=True, instruction_addr="0x1d"),)),),
    threads=(ThreadInfo(id="1", name="goroutine 1", state="running", crashed=True, frames=(
        Frame(function="main", filename="main.go", lineno=7, in_app=True),)),
             ThreadInfo(id="7", state="chan receive", frames=())),
)


def normalized_errors(event: dict[str, Any]) -> list[Any]:
    """What Relay's StoreNormalizer complains about (empty = Sentry accepts it as is)."""
    result = StoreNormalizer().normalize_event(event)
    return list(result.get("errors") or [])


@pytest.mark.parametrize("crash", [UNIT_CRASH, PY_CRASH, GO_CRASH], ids=["unit", "python", "go"])
def test_events_pass_sentrys_normalizer(crash: Crash) -> None:
    event = build_event(crash, FACTS)
    assert normalized_errors(event) == []


def test_unit_event_names_unit_and_failure_and_carries_no_identity() -> None:
    event = build_event(UNIT_CRASH, FACTS)
    assert event["logentry"] == {"formatted": "haos-agent.service crashed: SIGSEGV"}
    assert event["level"] == "fatal"
    assert event["release"] == "os-agent@1.8.1"
    assert event["fingerprint"] == ["os-agent", "unit", "haos-agent.service", "signal", "SIGSEGV"]
    assert event["tags"] == {
        "component": "os-agent", "reporter": "crash_reporter", "crash_kind": "unit",
        "unit": "haos-agent.service", "result": "signal", "signal": "SIGSEGV",
        "arch": "aarch64", "machine": "raspberrypi5-64", "board": "rpi5-64",
        "installation_type": "Home Assistant OS", "channel": "stable",
        "supervisor_version": "2026.11.2", "os_version": "17.1", "agent_version": "1.8.1",
    }
    assert event["contexts"]["crash"]["restarts"] == 2
    for key in ("server_name", "user", "request", "extra", "modules"):
        assert key not in event
    text = repr(event)
    for ident in FACTS.identifiers:
        assert ident not in text


def test_event_id_is_deterministic_per_occurrence() -> None:
    assert build_event(UNIT_CRASH, FACTS)["event_id"] == build_event(UNIT_CRASH, FACTS)["event_id"]
    again = replace(UNIT_CRASH, occurrence="haos-agent.service:inv2:exit@99")
    assert event_id_for(again) != event_id_for(UNIT_CRASH)
    assert len(event_id_for(UNIT_CRASH)) == 32
    # same fingerprint for both occurrences: they group together
    assert build_event(again, FACTS)["fingerprint"] == build_event(UNIT_CRASH, FACTS)["fingerprint"]


def test_python_chain_and_group_mechanisms() -> None:
    values = build_event(PY_CRASH, FACTS)["exception"]["values"]
    # as sentry-python lays it out: depth first from the root (id 0), then reversed
    assert [v["type"] for v in values] == ["TypeError", "ValueError", "OSError", "KeyError",
                                          "ExceptionGroup"]
    by_type = {v["type"]: v["mechanism"] for v in values}
    assert by_type["ExceptionGroup"] == {"type": "logged_traceback", "handled": False,
                                         "exception_id": 0, "is_exception_group": True}
    assert by_type["KeyError"] == {"type": "chained", "handled": False, "exception_id": 1,
                                   "parent_id": 0, "source": "__context__"}
    assert by_type["OSError"] == {"type": "chained", "handled": False, "exception_id": 2,
                                  "parent_id": 1, "source": "__context__"}
    assert by_type["ValueError"] == {"type": "logged_traceback", "handled": False,
                                     "exception_id": 3, "parent_id": 0,
                                     "source": "exceptions[0]"}
    assert by_type["TypeError"]["source"] == "exceptions[1]"
    assert values[0]["value"] == "b\nnote 1"
    frames = values[3]["stacktrace"]["frames"]
    assert [f["in_app"] for f in frames] == [True, False]


def test_unknown_times_are_left_out_not_dated_1970() -> None:
    for bad in (0.0, float("nan"), float("inf"), 1e300):
        crash = replace(UNIT_CRASH, occurred_at=bad, loop_count=3, loop_first_at=bad,
                        loop_last_at=float("nan"))
        event = build_event(crash, FACTS)
        assert "timestamp" not in event
        assert event["contexts"]["crash_loop"] == {"count": 3}
        assert normalized_errors(event) == []


# --- the exception tree, against sentry-python's own layout of the same exception ----------


def _raise_chain() -> None:
    try:
        try:
            {"name": 1}["slug"]
        except KeyError as err:
            raise OSError("disk gone") from err
    except OSError:
        raise RuntimeError("load failed")  # noqa: B904 - an implicit __context__ on purpose


def _member_with_cause() -> ValueError:
    try:
        raise KeyError("inner")
    except KeyError as err:
        try:
            raise ValueError("member") from err
        except ValueError as member:
            return member


def _raise_group() -> None:
    nested = ExceptionGroup("nested", [TypeError("t1"), _member_with_cause()])
    raise ExceptionGroup("outer", [ValueError("v"), nested, _member_with_cause()])


def _raise_group_during_handling() -> None:
    try:
        raise ZeroDivisionError("first")
    except ZeroDivisionError:
        raise ExceptionGroup("while handling", [_member_with_cause(), OSError("o")])  # noqa: B904


def _crash_from_text(text: str) -> Crash:
    detector = PythonTracebackDetector(default_component="supervisor")
    out: list[Crash] = []
    for n, part in enumerate(text.rstrip("\n").split("\n"), 1):
        out += detector.feed(LogLine(text=part, position=str(n)))
    (crash,) = out + detector.flush()
    return crash


def _tree(values: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(v["type"].rsplit(".", 1)[-1], v["mechanism"].get("exception_id"),
             v["mechanism"].get("source"), bool(v["mechanism"].get("is_exception_group")))
            for v in values]


@pytest.mark.parametrize("raiser", [_raise_chain, _raise_group, _raise_group_during_handling])
def test_exception_tree_is_laid_out_like_sentry_python(raiser: Any) -> None:
    try:
        raiser()
    except BaseException as exc:  # the exception under test
        caught = exc
    crash = _crash_from_text("".join(traceback.format_exception(caught)))
    ours = build_event(crash, FACTS)["exception"]["values"]
    assert normalized_errors(build_event(crash, FACTS)) == []
    theirs = sentry_utils.exceptions_from_error_tuple(
        (type(caught), caught, caught.__traceback__))
    if isinstance(caught, BaseExceptionGroup):
        assert _tree(ours) == _tree(theirs)
    else:  # sentry-python walks a plain chain without ids: compare the order
        assert [t[0] for t in _tree(ours)] == [t[0] for t in _tree(theirs)]
    ids = {v["mechanism"].get("exception_id") for v in ours}
    assert ids == set(range(len(ours)))
    for value in ours:
        mechanism = value["mechanism"]
        if mechanism.get("type") == "chained":  # an older one names what it caused
            assert mechanism["parent_id"] == mechanism["exception_id"] - 1
        elif "parent_id" in mechanism:  # a member names its group
            assert mechanism["parent_id"] in ids
            assert mechanism["source"].startswith("exceptions[")
    assert ours[-1]["mechanism"]["exception_id"] == 0
    assert ours[-1]["type"] == type(caught).__name__


def test_go_event_has_goroutines_as_threads() -> None:
    event = build_event(GO_CRASH, FACTS)
    threads = event["threads"]["values"]
    assert [(t["id"], t["crashed"]) for t in threads] == [("1", True), ("7", False)]
    assert threads[1]["name"] == "[chan receive]"
    assert event["exception"]["values"][0]["mechanism"]["meta"] == {"signal": {"name": "SIGSEGV"}}


def test_release_is_always_set() -> None:
    assert release_for("supervisor", HostFacts()) == "supervisor@unknown"
    assert release_for("host", FACTS) == "haos@17.1"


def test_normalizer_check_can_fail() -> None:
    """Positive control: the oracle does report what Sentry would reject."""
    event = build_event(UNIT_CRASH, FACTS)
    event["level"] = "nonsense"
    event["tags"]["x"] = {"nested": 1}
    names = {e["name"] for e in normalized_errors(event)}
    assert "level" in names
    assert any(n.startswith("tags.") for n in names)


def test_breadcrumbs_are_plain_text_with_the_lines_level() -> None:
    crumbs = (
        LogLine(text="\x1b[31m2026-11-20 08:57:31.077 ERROR (MainThread) [supervisor.api] "
                     "Error on call\x1b[0m", identifier="hassio_supervisor", timestamp=1.0e9),
        LogLine(text="\x1b[33m2026-11-20 08:57:32.000 WARNING (MainThread) [x] careful\x1b[0m"),
        LogLine(text="plain continuation line"),
    )
    event = build_event(replace(PY_CRASH, breadcrumbs=crumbs), FACTS)
    values = event["breadcrumbs"]["values"]
    assert [(b["level"], b["message"][:23]) for b in values] == [
        ("error", "2026-11-20 08:57:31.077"), ("warning", "2026-11-20 08:57:32.000"),
        ("info", "plain continuation line")]
    assert "\x1b" not in repr(event)
    assert normalized_errors(event) == []


def test_fingerprint_does_not_repeat_the_kind() -> None:
    crash = replace(PY_CRASH, signature=("python", "KeyError", "supervisor.store:load"))
    assert build_event(crash, FACTS)["fingerprint"] == [
        "supervisor", "python", "KeyError", "supervisor.store:load"]
