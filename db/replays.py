"""Durable replays: where each one is, and the id of every message it posted, committed as it goes.

The protocol that makes a kill -9 at any moment harmless: before a comment is sent its number is recorded as
``in_flight``; each message is recorded as soon as Discord returns its id; only then does ``next_number``
advance. On resume, an ``in_flight`` comment is settled against the channel's recent messages.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite

from bot.core.replays import LIVE_STATES, Replay, ReplayState
from db.busy import DEFAULT_POLICY, LockPolicy, retry_busy

_LIVE_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(LIVE_STATES)) + ")"


class ReplayConflict(Exception):
    """The channel already has a live replay."""


def replay_from_row(row: sqlite3.Row) -> Replay:
    """A ``replays`` row as a :class:`Replay`, by column name."""
    return Replay(
        id=row["id"], guild_id=row["guild_id"], channel_id=row["channel_id"], revision_id=row["revision_id"],
        state=ReplayState(row["state"]), first_number=row["first_number"], next_number=row["next_number"],
        last_number=row["last_number"], in_flight=row["in_flight"], pace=row["pace"],
        use_webhooks=bool(row["use_webhooks"]), status_message_id=row["status_message_id"],
        started_by=row["started_by"], note=row["note"],
    )


class ReplayStore:
    """Every write waits while another process holds the database's write lock (:mod:`db.busy`): a replay pauses
    rather than fails."""

    def __init__(self, conn: aiosqlite.Connection, policy: LockPolicy = DEFAULT_POLICY):
        self.conn = conn
        self.policy = policy

    async def _write(self, sql: str, args: tuple[Any, ...]) -> aiosqlite.Cursor:
        return await retry_busy(lambda: self.conn.execute(sql, args), self.policy, what="a replay's progress")

    async def create(self, *, guild_id: int, channel_id: int, revision_id: int, first: int, last: int, pace: str,
                     use_webhooks: bool, started_by: int) -> Replay:
        try:
            cur = await self._write(
                "INSERT INTO replays (guild_id, channel_id, revision_id, state, first_number, next_number, last_number,"
                " pace, use_webhooks, started_by) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, revision_id, first, first, last, pace, int(use_webhooks), started_by))
        except sqlite3.IntegrityError:
            raise ReplayConflict(channel_id) from None
        replay = await self.get(cur.lastrowid or 0)
        assert replay is not None
        return replay

    async def get(self, replay_id: int) -> Replay | None:
        async with self.conn.execute("SELECT * FROM replays WHERE id = ?", (replay_id,)) as cur:
            row = await cur.fetchone()
        return replay_from_row(row) if row else None

    async def live_in(self, channel_id: int) -> Replay | None:
        async with self.conn.execute(
            "SELECT * FROM replays WHERE channel_id = ? AND state IN " + _LIVE_SQL, (channel_id,)) as cur:
            row = await cur.fetchone()
        return replay_from_row(row) if row else None

    async def all_live(self) -> list[Replay]:
        async with self.conn.execute("SELECT * FROM replays WHERE state IN " + _LIVE_SQL + " ORDER BY id") as cur:
            return [replay_from_row(row) for row in await cur.fetchall()]

    async def move_live(self, old_channel_id: int, new_channel_id: int) -> int:
        """Move the channel's live replay to another channel, with a new status message there (the sandbox's
        channels are new on every start). Returns how many replays moved."""
        cur = await self._write(
            "UPDATE replays SET channel_id = ?, status_message_id = NULL WHERE channel_id = ? AND state IN "
            + _LIVE_SQL, (new_channel_id, old_channel_id))
        return cur.rowcount

    async def _update(self, replay_id: int, sql: str, *args) -> None:
        await self._write(
            f"UPDATE replays SET {sql}, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
            (*args, replay_id))

    async def begin_comment(self, replay_id: int, number: int) -> None:
        await self._update(replay_id, "in_flight = ?", number)

    async def record_post(self, replay_id: int, number: int, part: int, message_id: int | None) -> None:
        await self._write(
            "INSERT OR REPLACE INTO replay_posts (replay_id, comment_number, part, message_id) VALUES (?, ?, ?, ?)",
            (replay_id, number, part, message_id))

    async def finish_comment(self, replay_id: int, number: int) -> None:
        await self._update(replay_id, "next_number = ?, in_flight = NULL", number + 1)

    async def set_state(self, replay_id: int, state: ReplayState, note: str | None = None) -> None:
        await self._update(replay_id, "state = ?, note = ?", state.value, note)

    async def set_status_message(self, replay_id: int, message_id: int | None) -> None:
        await self._update(replay_id, "status_message_id = ?", message_id)

    async def posted_parts(self, replay_id: int, number: int) -> dict[int, int | None]:
        async with self.conn.execute(
            "SELECT part, message_id FROM replay_posts WHERE replay_id = ? AND comment_number = ?",
            (replay_id, number)) as cur:
            return {row[0]: row[1] for row in await cur.fetchall()}

    async def replayed_message(self, guild_id: int, revision_id: int, number: int) -> tuple[int, int] | None:
        """(channel id, message id) where the comment was last replayed in this guild, if it was."""
        async with self.conn.execute(
            "SELECT r.channel_id, p.message_id FROM replay_posts p JOIN replays r ON r.id = p.replay_id"
            " WHERE r.guild_id = ? AND r.revision_id = ? AND p.comment_number = ? AND p.part = 0"
            " AND p.message_id IS NOT NULL ORDER BY r.id DESC LIMIT 1", (guild_id, revision_id, number)) as cur:
            row = await cur.fetchone()
        return (row[0], row[1]) if row else None

    async def first_message(self, replay_id: int, number: int) -> int | None:
        async with self.conn.execute(
            "SELECT message_id FROM replay_posts WHERE replay_id = ? AND comment_number = ? AND part = 0",
            (replay_id, number)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def last_message(self, replay_id: int) -> int | None:
        async with self.conn.execute(
            "SELECT MAX(message_id) FROM replay_posts WHERE replay_id = ?", (replay_id,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    # -- the webhook Rethread owns in each channel ----------------------------------------------------------

    async def webhook(self, channel_id: int) -> tuple[int, str] | None:
        async with self.conn.execute(
            "SELECT webhook_id, token FROM channel_webhooks WHERE channel_id = ?", (channel_id,)) as cur:
            row = await cur.fetchone()
        return (row[0], row[1]) if row else None

    async def save_webhook(self, channel_id: int, webhook_id: int, token: str) -> None:
        await self._write(
            "INSERT OR REPLACE INTO channel_webhooks (channel_id, webhook_id, token) VALUES (?, ?, ?)",
            (channel_id, webhook_id, token))

    async def forget_webhook(self, channel_id: int) -> None:
        await self._write("DELETE FROM channel_webhooks WHERE channel_id = ?", (channel_id,))
