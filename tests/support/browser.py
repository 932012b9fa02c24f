"""Headless Chromium for tests that look at a page: Debian's `chromium`, driven by Playwright.

Chromium comes from Debian through the local runner's installer (installed when root, else the
exact `apt-get` command is the failure); Playwright never downloads a browser of its own
(`playwright install` is never run): it drives `/usr/bin/chromium` with a fresh profile.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import BrowserContext, sync_playwright
from rich.console import Console

from operators.local.installs import binary, ensure_installed

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]


@contextmanager
def chromium() -> Iterator[BrowserContext]:
    ensure_installed([binary("chromium", "Chromium", "chromium")], Console(file=io.StringIO()))
    with (
        tempfile.TemporaryDirectory(prefix="conveyor-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
