"""`rethread run` without a token starts the sandbox: the real bot in SimCord's local preview page."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import aiohttp

from tests.conftest import ROOT


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
