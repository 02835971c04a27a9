"""The prefiltered reader finds exactly the crashes the full reader finds, at exact positions."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from crash_reporter.models import Crash
from crash_reporter.scan import find_crashes
from crash_reporter.sources import prefilter
from crash_reporter.sources.log_format import read_log_lines
from crash_reporter.sources.prefilter import prefiltered_lines
from tests.helpers import SAMPLES

LOGS = sorted(p.name for p in SAMPLES.glob("*.log"))
NOISE = [line for line in (SAMPLES / "noise_only.log").read_bytes().splitlines(keepends=True)
         if line[:4].isdigit()]


def _key(crash: Crash) -> tuple[object, ...]:
    return (crash.kind, crash.title, crash.occurrence, crash.signature, crash.loop_count,
            crash.views, len(crash.exceptions), len(crash.threads))


def crashes_full(data: bytes) -> list[tuple[object, ...]]:
    return [_key(c) for c in find_crashes(read_log_lines(io.BytesIO(data)))]


def crashes_prefiltered(data: bytes) -> list[tuple[object, ...]]:
    return [_key(c) for c in find_crashes(prefiltered_lines(io.BytesIO(data)))]


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 KB, so the samples span many blocks and most of the noise is skipped."""
    monkeypatch.setattr(prefilter, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(prefilter, "MAX_CARRY_BYTES", 16384)


def embed(sample: bytes, rng: random.Random, noise_lines: int = 3000) -> bytes:
    """`sample` in the middle of a lot of ordinary lines."""
    before = b"".join(rng.choice(NOISE) for _ in range(noise_lines))
    after = b"".join(rng.choice(NOISE) for _ in range(noise_lines))
    return before + sample + after


@pytest.mark.parametrize("name", LOGS)
def test_same_crashes_as_the_full_reader(name: str, small_blocks: None) -> None:
    data = embed((SAMPLES / name).read_bytes(), random.Random(name))
    full = crashes_full(data)
    assert crashes_prefiltered(data) == full
    if name != "noise_only.log":
        assert full  # positive control: the sample's crashes are there to be found


def test_huge_line_without_line_end_is_bounded(small_blocks: None, tmp_path: Path) -> None:
    data = b"x" * 200_000 + b"\n" + (SAMPLES / "os_agent.log").read_bytes()
    assert crashes_prefiltered(data) == crashes_full(data)
