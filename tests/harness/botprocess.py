"""The bot as a separate process (`rethread run`, exactly as a server admin starts it) against the stand-in."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import subprocess
import sys
import threading
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
        self._copier: threading.Thread | None = None

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
        with self.log_path.open("a") as log:
            log.write(f"\n===== start {self.starts + 1} =====\n")
        # Output goes through a pipe, copied to the log by a thread here: a pipe is not a file, so a file-size
        # limit set on the bot (limit_file_size, a full disk) leaves its log whole.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--seeds", str(self.seeds)],
            cwd=self.workdir, env=self._env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self._copier = threading.Thread(target=_copy, args=(self.proc.stdout, self.log_path), daemon=True)
        self._copier.start()
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
        if self._copier is not None:
            self._copier.join(2)  # the log is complete

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

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def limit_file_size(self, size: int | None) -> None:
        """Let the running bot write no file past ``size`` bytes (None: no limit again): its writes beyond fail
        with EFBIG, as on a full disk (Python ignores SIGXFSZ). Needs no root: prlimit(2) on our own child."""
        soft = resource.RLIM_INFINITY if size is None else size
        resource.prlimit(self.pid, resource.RLIMIT_FSIZE, (soft, resource.RLIM_INFINITY))  # soft only: reversible

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _copy(stream, path: Path) -> None:
    with path.open("ab", buffering=0) as log:
        for line in iter(stream.readline, b""):
            log.write(line)
    stream.close()
