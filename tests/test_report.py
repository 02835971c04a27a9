"""Report building: Crash -> Sentry event, checked by Sentry's own normalizer (Relay)."""

from typing import Any

import pytest
from sentry_relay.processing import StoreNormalizer

from crash_reporter.models import Crash, CrashKind, ExceptionInfo, Frame, HostFacts, ThreadInfo
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
    again = Crash(**{**{f: getattr(UNIT_CRASH, f) for f in UNIT_CRASH.__slots__},  # type: ignore[attr-defined]
                     "occurrence": "haos-agent.service:inv2:exit@99"})
    assert event_id_for(again) != event_id_for(UNIT_CRASH)
    assert len(event_id_for(UNIT_CRASH)) == 32
    # same fingerprint for both occurrences: they group together
    assert build_event(again, FACTS)["fingerprint"] == build_event(UNIT_CRASH, FACTS)["fingerprint"]


def test_python_chain_and_group_mechanisms() -> None:
    values = build_event(PY_CRASH, FACTS)["exception"]["values"]
    assert [v["type"] for v in values] == ["OSError", "KeyError", "ExceptionGroup", "ValueError",
                                          "TypeError"]
    assert values[1]["mechanism"] == {"type": "chained", "handled": False, "exception_id": 1,
                                      "source": "__context__", "parent_id": 0}
    assert values[2]["mechanism"]["is_exception_group"] is True
    assert values[3]["mechanism"]["parent_id"] == 2
    assert values[4]["mechanism"]["source"] == "exceptions[1]"
    assert values[4]["value"] == "b\nnote 1"
    frames = values[1]["stacktrace"]["frames"]
    assert [f["in_app"] for f in frames] == [True, False]


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
