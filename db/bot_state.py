"""Small facts the bot keeps between runs, by key (e.g. the hash of the command set last synced)."""

from __future__ import annotations

import aiosqlite

from db.busy import DEFAULT_POLICY, LockPolicy, retry_busy


class BotState:
    def __init__(self, conn: aiosqlite.Connection, policy: LockPolicy = DEFAULT_POLICY):
        self.conn = conn
        self.policy = policy

    async def get(self, key: str) -> str | None:
        async with self.conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def put(self, key: str, value: str) -> None:
        await retry_busy(lambda: self.conn.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (key, value),
        ), self.policy, what="saving the bot's state")
