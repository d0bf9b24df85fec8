"""Screenshots of the sandbox for the docs, taken in headless Chromium as a visitor sees the page:

    python tools/screenshots.py [--out docs/screenshots]      (or: make screenshots)

Starts `rethread run` without a token on a fresh database of the demo seeds, types `/replay start` for the
Lighthouse thread at pace 2, and saves sandbox-mid-replay.png (a few comments in) and sandbox-finished.png.
Needs chromium, chromium-driver and selenium (tests/harness/browser.py says which is missing).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness.browser import (  # noqa: E402
    Sandbox,
    SandboxPage,
    browser_unavailable,
    chromium,
    comment_numbers,
    wait_for,
)

SIZE = (1280, 860)
PACE = "2"  # seconds between comments: time to take the mid-replay picture before the long third comment


def save(page: SandboxPage, path: Path) -> None:
    page.screenshot(path)
    shrink(path)
    print(f"{path} ({path.stat().st_size // 1024} KB)")


def shrink(path: Path) -> None:
    """A palette PNG: the page is flat colours and text, so 256 colours lose nothing visible."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if reason := browser_unavailable():
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rethread-screenshots-") as tmp:
        sandbox = Sandbox(Path(tmp), Path(tmp) / "sandbox.sqlite3")
        try:
            with chromium(*SIZE) as driver:
                page = SandboxPage(driver)
                page.open(sandbox.start())
                page.start_replay("Light", PACE)
                wait_for(lambda: comment_numbers(page.messages())[-1:] == [2], 20, "the second comment")
                with contextlib.suppress(AssertionError):  # the status message is refreshed a moment later
                    wait_for(lambda: any("2/10" in m.content for m in page.messages() if m.by_bot), 1.5, "2/10")
                page.scroll_to_latest()
                save(page, args.out / "sandbox-mid-replay.png")
                wait_for(lambda: comment_numbers(page.messages())[-1:] == [10], 30, "the last comment")
                time.sleep(1.0)
                page.scroll_to_latest()
                save(page, args.out / "sandbox-finished.png")
            sandbox.stop()
        finally:
            sandbox.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
