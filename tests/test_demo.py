"""`./run demo` as a newcomer reads it: it shows the panel (URL and a screenshot) and its
output reads well (no line cut mid-word, no reason said twice, plain words, this machine's
arch). Runs the real demo (`python -m sandbox.demo`) once, about 20 s.
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from pathlib import Path

from sandbox.daemon import shorten

ROOT = Path(__file__).resolve().parents[1]


def test_demo_shows_the_panel_and_reads_well() -> None:
    result = subprocess.run([sys.executable, "-m", "sandbox.demo"], cwd=ROOT,
                            capture_output=True, text=True, timeout=240, check=False)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-2000:]
    url = re.search(r"panel URL \(as the sidebar opens it, while the demo runs\): (\S+)", out)
    assert url and re.fullmatch(r"http://127\.0\.0\.1:\d+/api/hassio_ingress/[0-9a-f]+/", url[1])
    shot = re.search(r"screenshot: (\S+\.png)", out)
    assert shot and Path(shot[1]).read_bytes()[:4] == b"\x89PNG"
    assert "==> the panel says: 'Diagnostics is on'" in out
    for line in out.splitlines():
        if " ... (" in line:
            assert re.search(r"\S ... \(\d+ more characters\)$", line), line
        assert "(diagnostics off)" not in line, line
        assert ": True" not in line and ": False" not in line, line
    arch = {"x86_64": "amd64", "aarch64": "aarch64"}.get(platform.machine())
    if arch:
        assert f'"arch": "{arch}"' in out, "the stand-in must describe this machine"


def test_long_log_lines_are_shortened_between_words() -> None:
    line = " ".join(f"word{n:03d}" for n in range(100))
    shown = shorten(line, 60)
    kept, _, rest = shown.partition(" ... (")
    assert kept.split()[-1] in line.split() and len(kept) <= 60
    assert rest == f"{len(line) - len(kept)} more characters)"
    assert shorten("short line", 60) == "short line"
