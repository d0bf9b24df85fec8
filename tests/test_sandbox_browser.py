"""The sandbox in a real browser (headless Chromium through Selenium), typed into as a visitor would: the page
follows replays as they post, shows each comment under its own author's name, and survives a restart."""

from __future__ import annotations

import time

import pytest

from tests.expected import CAFE_NAMES, LIGHTHOUSE_MESSAGE_NAMES
from tests.harness.browser import (
    Message,
    Sandbox,
    SandboxPage,
    browser_unavailable,
    chromium,
    comment_numbers,
    wait_for,
)

pytestmark = pytest.mark.skipif(bool(browser_unavailable()), reason=browser_unavailable() or "")

NO_RELOAD = "window.rethreadMarker = 'no reload since'; return true;"
STILL_LOADED = "return window.rethreadMarker === 'no reload since';"


def _after(messages: list[Message], response_start: str) -> list[Message]:
    """The messages after the bot's answer that begins with ``response_start`` (the replay it started)."""
    starts = [i for i, m in enumerate(messages) if m.by_bot and m.content.startswith(response_start)]
    assert starts, f"no message starting {response_start!r} in {messages}"
    return messages[starts[-1] + 1:]


def test_a_visitor_types_replay_start_and_watches_it_across_a_restart(tmp_path):
    sandbox = Sandbox(tmp_path, tmp_path / "sandbox.sqlite3")
    try:
        with chromium() as driver:
            page = SandboxPage(driver)

            # First start: a replay, stopped (Ctrl-C) part-way.
            page.open(sandbox.start())
            page.start_replay("Caf", "1")
            wait_for(lambda: len(comment_numbers(page.messages())) >= 3, 15, "three comments, without a reload")
            assert sandbox.stop() == 0, sandbox.log()

            # Second start, same database: the replay carries on in the new #replays, the page following it.
            page.open(sandbox.start())
            driver.execute_script(NO_RELOAD)
            resumed = wait_for(lambda: (shown := page.messages()) and comment_numbers(shown)[-1:] == [10] and shown,
                               20, lambda: f"the interrupted replay to finish:\n{sandbox.log()}")
            numbers = comment_numbers(resumed)
            assert numbers[0] > 3 and numbers == list(range(numbers[0], 11))
            assert [m.author for m in resumed if not m.by_bot] == CAFE_NAMES[numbers[0] - 1:]

            # A new replay, typed: it advances while the page is left alone, each comment under its own name.
            page.start_replay("Light", "1")

            def lighthouse() -> list[Message]:
                return _after(page.messages(), "Replaying Lighthouse")

            counted = len(lighthouse())
            time.sleep(2.5)
            assert len(lighthouse()) > counted
            shown = wait_for(lambda: comment_numbers(now := lighthouse())[-1:] == [10] and now, 20,
                             "the Lighthouse replay to finish")
            assert [m.author for m in shown if not m.by_bot] == LIGHTHOUSE_MESSAGE_NAMES
            assert driver.execute_script(STILL_LOADED)
        assert sandbox.stop() == 0, sandbox.log()
    finally:
        sandbox.kill()
