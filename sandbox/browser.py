"""Debian's Chromium, headless, driven by Playwright: the panel's tests and demo screenshot.

Playwright comes from PyPI; its own browser builds are never downloaded (`executable_path`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator

from playwright.async_api import Browser, async_playwright

CHROMIUM = os.environ.get("CRASH_REPORTER_CHROMIUM", "/usr/bin/chromium")
# As root, without a sandbox or GPU, and without Chromium's own traffic (updates, sync, ...),
# which this machine's closed network would refuse.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


class BrowserUnavailable(RuntimeError):
    """Chromium is not installed (Debian package `chromium`)."""


def chromium_path() -> str:
    """The Chromium binary, or BrowserUnavailable saying how to install it."""
    path = shutil.which(CHROMIUM)
    if path is None:
        raise BrowserUnavailable(f"{CHROMIUM} not found: apt-get install chromium "
                                 "(sandbox/install-system-packages.sh does it)")
    return path


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium for the block."""
    path = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=ARGS,
                                                   headless=True)
        try:
            yield browser
        finally:
            await browser.close()
