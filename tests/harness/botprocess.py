"""The bot as a separate process (`rethread run`, exactly as a server admin starts it) against the stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.fakediscord import FakeDiscord


class BotProcess:
    def __init__(self, fake: FakeDiscord, workdir: Path, *, seeds: Path | None = None, env: dict | None = None):
        self.fake = fake
        self.workdir = workdir
        self.seeds = seeds or ROOT / "seeds"
        self.db_path = workdir / "bot.sqlite3"
        self.log_path = workdir / "bot.log"
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RETHREAD_", "DEV_GUILD"))}
        env.update({
            "DISCORD_TOKEN": self.fake.token,
            "DISCORD_API_BASE": self.fake.api_base,
            "RETHREAD_DB": str(self.db_path),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        })
        return env

    async def start(self, timeout: float = 30.0) -> None:
        """Start `rethread run` and wait until it has identified on the gateway."""
        self.fake.connected.clear()
        identifies = self.fake.identifies
        log = self.log_path.open("a")
        log.write(f"\n===== start {self.starts + 1} =====\n")
        log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--seeds", str(self.seeds)],
            cwd=self.workdir, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        self.starts += 1
        deadline = asyncio.get_running_loop().time() + timeout
        while self.fake.identifies == identifies:
            if self.proc.poll() is not None:
                raise AssertionError(f"the bot exited with {self.proc.returncode}:\n{self.log()}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the bot did not connect within {timeout} s:\n{self.log()}")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind, as in a crash or an OOM kill."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    async def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as systemd or docker stop sends: the bot should close cleanly and exit 0."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        for _ in range(int(timeout / 0.05)):
            if self.proc.poll() is not None:
                return self.proc.returncode
            await asyncio.sleep(0.05)
        self.kill()
        raise AssertionError(f"the bot ignored SIGTERM for {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
