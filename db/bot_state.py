"""Small facts the bot keeps between runs, by key (e.g. the hash of the command set last synced)."""

from __future__ import annotations

import aiosqlite


class BotState:
    def __init__(self, conn: aiosqlite.Connection):
        self.conn = conn

    async def get(self, key: str) -> str | None:
        async with self.conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def put(self, key: str, value: str) -> None:
        await self.conn.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (key, value),
        )
