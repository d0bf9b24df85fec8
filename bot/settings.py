"""Process-wide settings, read from the environment and a ``.env`` file (python-dotenv).

Every variable is documented in ``.env.example``. Per-guild settings live in the database instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from dotenv import load_dotenv

from bot.core.budget import API_BUDGET, DISCORD_WEBHOOK_BUDGET, BudgetSpec

T = TypeVar("T")

# How many gateway connections (shards) the bot opens: "auto" asks Discord (GET /gateway/bot), a number fixes it,
# "off" runs one plain unsharded connection.
Sharding = int | Literal["auto", "off"]


class SettingsError(ValueError):
    """One or more variables have values that cannot be used; the message names each of them."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def _int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _positive(name: str, default: int) -> int:
    value = _int(name, default)
    if value is None or value <= 0:
        raise SettingsError(f"{name} must be a positive whole number")
    return value


def _budget(name: str, default: BudgetSpec) -> BudgetSpec:
    raw = os.environ.get(name, "").strip()
    try:
        return BudgetSpec.parse(raw) if raw else default
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level() -> str:
    raw = os.environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if raw not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw.lower()!r}")
    return raw


def _api_base() -> str | None:
    raw = os.environ.get("DISCORD_API_BASE", "").strip().rstrip("/")
    if raw and not raw.startswith(("http://", "https://")):
        raise SettingsError(f"DISCORD_API_BASE must be an http:// or https:// address, not {raw!r}")
    return raw or None


def _sharding() -> Sharding:
    raw = os.environ.get("SHARD_COUNT", "").strip().lower() or "auto"
    if raw in ("auto", "off"):
        return "auto" if raw == "auto" else "off"
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"SHARD_COUNT must be auto, off or a whole number of shards from 1, not {raw!r}")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Settings:
    discord_token: str | None
    db_path: Path
    max_file_bytes: int
    dev_guild_id: int | None
    api_base: str | None
    log_level: str
    webhook_budget: BudgetSpec = DISCORD_WEBHOOK_BUDGET
    api_budget: BudgetSpec = API_BUDGET
    log_file: Path | None = None  # besides stderr, a rotating file
    log_file_mb: int = 10
    log_file_count: int = 5
    shards: Sharding = "auto"

    @classmethod
    def from_env(cls, dotenv: str | Path | None = ".env") -> Settings:
        """Every variable is read, so that one error names all the bad values, not just the first."""
        if dotenv:
            load_dotenv(dotenv, override=False)  # real environment variables win over the file
        problems: list[str] = []

        def read(parse: Callable[[], T], fallback: T) -> T:
            try:
                return parse()
            except SettingsError as exc:
                problems.extend(exc.problems)
                return fallback

        settings = cls(
            discord_token=os.environ.get("DISCORD_TOKEN", "").strip() or None,
            db_path=Path(os.environ.get("RETHREAD_DB", "").strip() or "data/rethread.sqlite3"),
            max_file_bytes=read(lambda: _positive("RETHREAD_MAX_FILE_MB", 20), 20) * 1024 * 1024,
            dev_guild_id=read(lambda: _int("DEV_GUILD_ID", None), None),
            api_base=read(_api_base, None),
            log_level=read(_log_level, "INFO"),
            webhook_budget=read(lambda: _budget("RETHREAD_WEBHOOK_BUDGET", DISCORD_WEBHOOK_BUDGET),
                                DISCORD_WEBHOOK_BUDGET),
            api_budget=read(lambda: _budget("RETHREAD_API_BUDGET", API_BUDGET), API_BUDGET),
            log_file=Path(log_file) if (log_file := os.environ.get("LOG_FILE", "").strip()) else None,
            log_file_mb=read(lambda: _positive("LOG_FILE_MB", 10), 10),
            log_file_count=read(lambda: _positive("LOG_FILE_COUNT", 5), 5),
            shards=read(_sharding, "auto"),
        )
        if problems:
            raise SettingsError(problems)
        return settings
