"""Process-wide settings, read from the environment and a ``.env`` file (python-dotenv).

Every variable is documented in ``.env.example``. Per-guild settings live in the database instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

from bot.core.budget import API_BUDGET, DISCORD_WEBHOOK_BUDGET, BudgetSpec


class SettingsError(ValueError):
    """A variable has a value that cannot be used; the message names it."""


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

    @classmethod
    def from_env(cls, dotenv: str | Path | None = ".env") -> Settings:
        if dotenv:
            load_dotenv(dotenv, override=False)  # real environment variables win over the file
        max_mb = _positive("RETHREAD_MAX_FILE_MB", 20)
        return cls(
            discord_token=os.environ.get("DISCORD_TOKEN", "").strip() or None,
            db_path=Path(os.environ.get("RETHREAD_DB", "").strip() or "data/rethread.sqlite3"),
            max_file_bytes=max_mb * 1024 * 1024,
            dev_guild_id=_int("DEV_GUILD_ID", None),
            api_base=os.environ.get("DISCORD_API_BASE", "").strip().rstrip("/") or None,
            log_level=_log_level(),
            webhook_budget=_budget("RETHREAD_WEBHOOK_BUDGET", DISCORD_WEBHOOK_BUDGET),
            api_budget=_budget("RETHREAD_API_BUDGET", API_BUDGET),
            log_file=Path(log_file) if (log_file := os.environ.get("LOG_FILE", "").strip()) else None,
            log_file_mb=_positive("LOG_FILE_MB", 10),
            log_file_count=_positive("LOG_FILE_COUNT", 5),
        )
