"""Per-guild settings, Red-DiscordBot style: defaults live in code, the database stores only overrides, and
every change is logged (who, what, when)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import aiosqlite

PROFANITY_MODES = ("off", "mask", "spoiler", "skip")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    replay_channel_id: int | None = None  # where /replay start and /article post go when no channel is given
    default_pace: str = "6"  # see bot.core.pacing.parse_pace
    profanity: str = "off"  # off | mask | spoiler | skip
    profanity_words: tuple[str, ...] | None = None  # None: the list shipped with Rethread
    use_webhooks: bool = True  # else the bot posts each comment itself, the author in an embed
    replay_role_id: int | None = None  # may start and control replays (besides Manage Server/Messages)
    auto_poll: bool = False  # post a "best comment" poll when a replay finishes
    thread_archive_minutes: int = 1440  # a discussion's Discord thread hides after this long without messages


DEFAULTS = GuildSettings()
KEYS = tuple(f.name for f in dataclasses.fields(GuildSettings))


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    old: Any
    new: Any


class GuildConfig:
    def __init__(self, conn: aiosqlite.Connection,
                 transaction: Callable[[], AbstractAsyncContextManager[aiosqlite.Connection]]):
        self.conn = conn
        self.transaction = transaction

    async def get(self, guild_id: int) -> GuildSettings:
        async with self.conn.execute("SELECT key, value FROM guild_settings WHERE guild_id = ?", (guild_id,)) as cur:
            stored = {key: json.loads(value) for key, value in await cur.fetchall() if key in KEYS}
        if isinstance(stored.get("profanity_words"), list):
            stored["profanity_words"] = tuple(stored["profanity_words"])
        return dataclasses.replace(DEFAULTS, **stored)

    async def set(self, guild_id: int, user_id: int, **values: Any) -> list[Change]:
        """Set some settings (a value equal to the default removes the override); returns what changed."""
        unknown = set(values) - set(KEYS)
        if unknown:
            raise KeyError(f"unknown settings: {', '.join(sorted(unknown))}")
        current = await self.get(guild_id)
        changes = [Change(k, getattr(current, k), v) for k, v in values.items() if getattr(current, k) != v]
        if not changes:
            return []
        async with self.transaction() as conn:
            for change in changes:
                default = getattr(DEFAULTS, change.key)
                new_json = None if change.new == default else json.dumps(_jsonable(change.new))
                if new_json is None:
                    await conn.execute("DELETE FROM guild_settings WHERE guild_id = ? AND key = ?",
                                       (guild_id, change.key))
                else:
                    await conn.execute(
                        "INSERT INTO guild_settings (guild_id, key, value) VALUES (?, ?, ?)"
                        " ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value",
                        (guild_id, change.key, new_json))
                old_json = None if change.old == default else json.dumps(_jsonable(change.old))
                await conn.execute(
                    "INSERT INTO settings_log (guild_id, user_id, key, old_value, new_value) VALUES (?, ?, ?, ?, ?)",
                    (guild_id, user_id, change.key, old_json, new_json))
        return changes

    async def reset(self, guild_id: int, user_id: int, key: str) -> list[Change]:
        return await self.set(guild_id, user_id, **{key: getattr(DEFAULTS, key)})

    async def history(self, guild_id: int, limit: int = 10) -> list[tuple[str, int, str, Any, Any]]:
        """(when, who, key, old, new), newest first."""
        async with self.conn.execute(
            "SELECT changed_at, user_id, key, old_value, new_value FROM settings_log WHERE guild_id = ?"
            " ORDER BY id DESC LIMIT ?", (guild_id, limit)) as cur:
            return [(at, who, key, _load(old), _load(new)) for at, who, key, old, new in await cur.fetchall()]


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _load(value: str | None) -> Any:
    return None if value is None else json.loads(value)
