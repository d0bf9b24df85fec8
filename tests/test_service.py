"""`rethread run` as a supervisor sees it: exit 78 for a configuration error (restarting will not help), with one
line saying what to fix and the token nowhere in the output."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from tests.conftest import ROOT


def run_bot(tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RETHREAD_", "LOG_"))}
    return subprocess.run([sys.executable, "-m", "bot", "run", "--seeds", str(ROOT / "seeds")], cwd=tmp_path,
                          env={**base, "RETHREAD_DB": str(tmp_path / "bot.sqlite3"), **env}, capture_output=True,
                          text=True, timeout=60)


async def test_a_rejected_token_exits_78_naming_the_fix(fake_discord, tmp_path):
    # In a thread: the stand-in answers from this test's event loop.
    result = await asyncio.to_thread(run_bot, tmp_path, DISCORD_TOKEN="not-the-token",
                                     DISCORD_API_BASE=fake_discord.api_base)
    assert result.returncode == 78, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: Discord rejected DISCORD_TOKEN")
    assert "not-the-token" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_exits_78_naming_the_variable(tmp_path):
    result = run_bot(tmp_path, LOG_LEVEL="verbose")
    assert result.returncode == 78
    assert result.stderr.strip() == "error: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'verbose'"
