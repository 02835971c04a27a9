"""The prefiltered reader finds exactly the crashes the full reader finds, at exact positions."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crash_reporter.models import Crash, LogLine
from crash_reporter.scan import find_crashes
from crash_reporter.sources import prefilter
from crash_reporter.sources.log_format import read_log_lines
from crash_reporter.sources.prefilter import has_trigger, prefiltered_lines
from tests.helpers import SAMPLES

LOGS = sorted(p.name for p in SAMPLES.glob("*.log"))
# Known gap: a skipped stretch flushes the detectors, and scan's joiner runs on log time
# without expire(), so where records span a gap (and in plain logs, which have no times)
# views are joined and loops folded differently. `scan` uses the full reader until fixed.
NOT_YET_EQUIVALENT = pytest.mark.xfail(strict=True, reason=(
    "prefilter: flushing at skipped stretches changes joins/folds (scan has no expire(); "
    "plain logs have no times); scan uses the full reader until this holds"))
DIVERGING = {"coredump.log", "os_agent_plain.log", "supervisor_crashloop.log",
             "supervisor_plain.log"}
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


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=NOT_YET_EQUIVALENT) if n in DIVERGING else n for n in LOGS])
def test_same_crashes_as_the_full_reader(name: str, small_blocks: None) -> None:
    data = embed((SAMPLES / name).read_bytes(), random.Random(name))
    full = crashes_full(data)
    assert crashes_prefiltered(data) == full
    if name != "noise_only.log":
        assert full  # positive control: the sample's crashes are there to be found


def test_ordinary_lines_are_skipped(small_blocks: None) -> None:
    rng = random.Random(1)
    quiet = [line for line in NOISE if not has_trigger(line)]  # no decoy 'File "' lines
    noise = b"".join(rng.choice(quiet) for _ in range(20_000))
    data = noise + (SAMPLES / "os_agent.log").read_bytes() + noise
    lines = list(prefiltered_lines(io.BytesIO(data)))
    fed = [line for line in lines if isinstance(line, LogLine)]
    assert None in lines
    assert len(fed) < data.count(b"\n") / 10
    # Positions stay exact line numbers of the input.
    numbered = data.split(b"\n")
    for line in fed[:: max(1, len(fed) // 50)]:
        raw = numbered[int(line.position) - 1].decode("utf-8", "replace")
        assert raw.endswith(line.text)


def test_every_crash_sample_has_a_trigger() -> None:
    for name in LOGS:
        if name != "noise_only.log":
            assert has_trigger((SAMPLES / name).read_bytes()), name


@NOT_YET_EQUIVALENT
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), names=st.lists(
    st.sampled_from([n for n in LOGS if n != "noise_only.log"]), max_size=4))
def test_random_mixes_give_the_same_crashes(seed: int, names: list[str]) -> None:
    rng = random.Random(seed)
    blob = b"".join(embed((SAMPLES / name).read_bytes(), rng, rng.randrange(0, 400))
                    for name in names)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prefilter, "BLOCK_BYTES", 4096)
        mp.setattr(prefilter, "MAX_CARRY_BYTES", 16384)
        assert crashes_prefiltered(blob) == crashes_full(blob)


def test_huge_line_without_line_end_is_bounded(small_blocks: None, tmp_path: Path) -> None:
    data = b"x" * 200_000 + b"\n" + (SAMPLES / "os_agent.log").read_bytes()
    assert crashes_prefiltered(data) == crashes_full(data)
