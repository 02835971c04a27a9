"""The real Bugsink sandbox: what a Sentry-compatible server does with our events.

These tests pin down the behaviour the rest of the suite relies on: event ids, tags and
fingerprints survive the trip, duplicates are not stored twice, and rate limiting answers
429 with `X-Sentry-Rate-Limits`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import uuid
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
import sentry_sdk

from sandbox.bugsink import BugsinkProject, BugsinkServer, BugsinkUnavailable
from tests.plugin_bugsink import bugsink_unavailable

pytestmark = pytest.mark.bugsink


def _client(dsn: str) -> sentry_sdk.Client:
    return sentry_sdk.Client(dsn=dsn, default_integrations=False, auto_enabling_integrations=False)


def _send(dsn: str, *events: dict[str, Any]) -> None:
    """Send events through a private sentry-sdk client and wait until they are posted."""
    client = _client(dsn)
    try:
        for event in events:
            # the SDK fills in the dict it gets; Event is a TypedDict of a private module
            client.capture_event(cast(Any, copy.deepcopy(event)))
        client.flush(timeout=10)
    finally:
        client.close()


def _crash(
    value: str, *, type_: str = "ValueError", fingerprint: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "level": "fatal",
        "platform": "python",
        "tags": {"reporter": "crash_reporter", "component": "supervisor"},
        "exception": {
            "values": [
                {
                    "type": type_,
                    "value": value,
                    "module": "supervisor.core",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "start",
                                "module": "supervisor.core",
                                "filename": "supervisor/core.py",
                                "lineno": 42,
                                "in_app": True,
                            }
                        ]
                    },
                }
            ]
        },
    }
    if fingerprint is not None:
        event["fingerprint"] = fingerprint
    event.update(extra)
    return event


def _envelope(event: dict[str, Any]) -> bytes:
    payload = json.dumps(event).encode()
    return b"\n".join(
        [
            json.dumps({"event_id": event["event_id"]}).encode(),
            json.dumps({"type": "event", "length": len(payload)}).encode(),
            payload,
            b"",
        ]
    )


async def _post_envelope(
    session: aiohttp.ClientSession, project: BugsinkProject, event: dict[str, Any]
) -> aiohttp.ClientResponse:
    """POST one envelope the way an SDK does; returns the (read) response."""
    key = project.dsn.split("//", 1)[1].split("@", 1)[0]
    url = f"{project.server.base_url}/api/{project.project_id}/envelope/"
    headers = {
        "Content-Type": "application/x-sentry-envelope",
        "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}, sentry_client=test/1.0",
    }
    async with session.post(url, data=_envelope(event), headers=headers) as response:
        await response.read()
        return response


async def test_event_roundtrip_keeps_id_tags_fingerprint_and_title(bugsink: BugsinkProject) -> None:
    event = _crash("boom", fingerprint=["crash_reporter", "supervisor", "ValueError", "start"])
    _send(bugsink.dsn, event)

    [stored] = await bugsink.wait_for_events(1, timeout_s=10)
    assert uuid.UUID(stored["event_id"]).hex == event["event_id"]  # the API shows it dashed
    data = stored["data"]
    assert data["event_id"] == event["event_id"]
    assert data["tags"] == {"reporter": "crash_reporter", "component": "supervisor"}
    assert data["fingerprint"] == ["crash_reporter", "supervisor", "ValueError", "start"]
    assert data["level"] == "fatal"

    [issue] = await bugsink.issues()
    assert (issue["calculated_type"], issue["calculated_value"]) == ("ValueError", "boom")
    assert stored["issue"] == issue["id"]
    assert [e["event_id"] for e in await bugsink.events(issue["id"])] == [stored["event_id"]]
    assert (await bugsink.event(event["event_id"]))["id"] == stored["id"]
    assert bugsink.ui_url_for_issue(issue["id"]).startswith(bugsink.server.base_url + "/issues/")


async def test_client_fingerprint_decides_grouping(bugsink: BugsinkProject) -> None:
    same_a = _crash("boom 1", fingerprint=["sig-1"])
    same_b = _crash("something else", type_="KeyError", fingerprint=["sig-1"])
    other = _crash("boom 1", fingerprint=["sig-2"])
    # Positive control: without a fingerprint Bugsink's own grouping (bugsink-v2) uses type
    # and value, the value normalized as Sentry's message parameterization does (numbers,
    # ids, quoted strings...): "boom 3" and "boom 4" would group together, these do not.
    plain_a = _crash("disk full")
    plain_b = _crash("permission denied")
    _send(bugsink.dsn, same_a, same_b, other, plain_a, plain_b)

    events = await bugsink.wait_for_events(5, timeout_s=10)
    issue_of = {uuid.UUID(e["event_id"]).hex: e["issue"] for e in events}
    assert issue_of[same_a["event_id"]] == issue_of[same_b["event_id"]]
    assert issue_of[other["event_id"]] != issue_of[same_a["event_id"]]
    assert issue_of[plain_a["event_id"]] != issue_of[plain_b["event_id"]]
    assert len(await bugsink.issues()) == 4


async def test_same_event_id_is_stored_once(bugsink: BugsinkProject) -> None:
    event = _crash("boom", fingerprint=["dup"])
    _send(bugsink.dsn, event, event)  # the SDK does not dedupe by event_id itself

    async with aiohttp.ClientSession() as session:
        again = await _post_envelope(session, bugsink, event)
        # Like sentry.io: 200 {"id": ...} and dropped (Bugsink logs "Event already exists").
        assert again.status == 200
        # Unlike sentry.io: the same event_id with content that groups into a NEW issue is
        # answered 500 ("no event created, but issue created"), rolled back, no rate-limit
        # header. A sender must not reuse an event_id for different content.
        changed = dict(event, fingerprint=["dup-but-different"])
        clash = await _post_envelope(session, bugsink, changed)
        assert clash.status == 500
        assert "X-Sentry-Rate-Limits" not in clash.headers

    control = _crash("boom", fingerprint=["dup"])
    _send(bugsink.dsn, control)
    events = await bugsink.wait_for_events(2, timeout_s=10)
    assert sorted(uuid.UUID(e["event_id"]).hex for e in events) == sorted(
        [event["event_id"], control["event_id"]]
    )
    assert await bugsink.stored_event_count() == 2
    assert len(await bugsink.issues()) == 1


async def test_rate_limit_answers_429_and_stop_leaves_nothing_running() -> None:
    limit = 3
    server = BugsinkServer(max_events_per_5_min=limit)
    try:
        await server.start()
    except BugsinkUnavailable as exc:
        bugsink_unavailable(str(exc))
    pid = server.pid
    assert pid is not None
    children = Path(f"/proc/{pid}/task/{pid}/children")
    workers = (await asyncio.to_thread(children.read_text)).split()
    try:
        project = server.project
        assert project is not None
        answers = []
        async with aiohttp.ClientSession() as session:
            for i in range(limit + 2):
                response = await _post_envelope(session, project, _crash(f"flood {i}"))
                answers.append((response.status, dict(response.headers)))
        assert [status for status, _ in answers] == [200] * limit + [429, 429]
        for status, headers in answers:
            limits = headers.get("X-Sentry-Rate-Limits", "")
            if status == 200:
                # Bugsink always says it takes no transactions or spans.
                assert limits == "86400:transaction;span:organization"
            else:
                assert limits == "60::key, 86400:transaction;span:organization"
                assert "Retry-After" not in headers
        assert await project.stored_event_count() == limit
    finally:
        await server.stop()

    assert workers, "gunicorn had no worker"
    for process in [pid, *map(int, workers)]:
        alive = await asyncio.to_thread(os.path.exists, f"/proc/{process}")
        assert not alive, f"process {process} survived stop()"
    assert server.directory is not None
    assert not await asyncio.to_thread(server.directory.exists)
