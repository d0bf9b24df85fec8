"""`rethread run` without a token starts the sandbox: the real bot in SimCord's local preview page."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys

import aiohttp

from tests.conftest import ROOT
from tests.expected import CAFE_NAMES


async def test_run_without_a_token_serves_the_sandbox_page(tmp_path):
    env = {**os.environ, "RETHREAD_DB": str(tmp_path / "sandbox.sqlite3"), "DISCORD_TOKEN": "", "COLUMNS": "300"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--seeds", str(ROOT / "seeds")], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        for _ in range(600):
            line = await asyncio.to_thread(proc.stdout.readline)
            if "http://127.0.0.1:" in line:
                url = line[line.index("http://"):].split()[0]
                break
        assert url, "the sandbox never printed its address"
        async with aiohttp.ClientSession() as session, session.get(url.split("#")[0]) as response:
            assert response.status == 200 and "text/html" in response.headers["Content-Type"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def _replays(db) -> list[sqlite3.Row]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM replays ORDER BY id").fetchall()


def _thread_id(db, slug: str) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("SELECT id FROM threads WHERE slug = ?", (slug,)).fetchone()[0])


def test_a_replay_interrupted_by_stopping_the_sandbox_resumes_on_the_next_start(tmp_path):
    """Two starts on one database, the page driven through its own HTTP API as its scripts drive it. The page
    follows the replay without any action (the sandbox republishes it), Ctrl-C stops the replay mid-way, and the
    next start, in a new simulated Discord with new channel ids, finishes it and still runs commands."""
    from tests.harness.browser import PageApi, Sandbox, comment_numbers, wait_for

    db = tmp_path / "sandbox.sqlite3"
    sandbox = Sandbox(tmp_path, db)
    try:
        page = PageApi(sandbox.start())
        page.run("replay start", thread=_thread_id(db, "lighthouse-logbooks"), pace="1")
        # More comments than had been posted when the command's own answer was published (1.5 s at most).
        wait_for(lambda: len(comment_numbers(page.messages())) >= 4, 15, "four comments on the page, unprompted")
        assert sandbox.stop() == 0, sandbox.log()
        [interrupted] = _replays(db)
        assert interrupted["state"] == "running" and 4 < interrupted["next_number"] <= 10, dict(interrupted)
        resume_at = interrupted["in_flight"] or interrupted["next_number"]

        page = PageApi(sandbox.start())
        wait_for(lambda: _replays(db)[0]["state"] == "finished", 20, lambda: f"the replay to finish:\n{sandbox.log()}")
        wait_for(lambda: comment_numbers(page.messages())[-1:] == [10], 5, "the last comment on the page")
        assert comment_numbers(page.messages()) == list(range(resume_at, 11))
        [resumed] = _replays(db)
        assert resumed["channel_id"] != interrupted["channel_id"]  # moved to this start's #replays

        page.run("replay start", thread=_thread_id(db, "cafe-closing"), pace="0")
        cafe = wait_for(lambda: (shown := page.messages()) and comment_numbers(shown)[-10:] == list(range(1, 11))
                        and shown, 15, "the second replay's ten comments")
        assert [m.author for m in cafe if m.comment_number is not None][-10:] == CAFE_NAMES
        assert sandbox.stop() == 0, sandbox.log()
    finally:
        sandbox.kill()
