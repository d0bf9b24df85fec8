"""Discussions and the comments captured in them.

A discussion is opened together with its replay, in one transaction: there is never a discussion without its
replay or the other way round. Captured comments are keyed by their Discord message id, so an event delivered
twice (a gateway resume replays events) stores nothing twice, and a delete event, which carries only ids, finds
what to remove. A deleted message is deleted from the store, not hidden.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

import aiosqlite

from bot.core.discussions import (
    CapturedComment,
    CapturedMessage,
    CaptureEvent,
    Discussion,
    DiscussionState,
    MessageEdited,
    MessagesDeleted,
    NewComment,
)
from bot.core.replays import Replay
from db.busy import DEFAULT_POLICY, LockPolicy, retry_busy
from db.replays import ReplayConflict, replay_from_row


class DiscussionConflict(Exception):
    """That Discord thread already holds a discussion."""


def discussion_from_row(row: sqlite3.Row) -> Discussion:
    return Discussion(
        id=row["id"], guild_id=row["guild_id"], parent_id=row["parent_id"], channel_id=row["channel_id"],
        thread_id=row["thread_id"], revision_id=row["revision_id"], replay_id=row["replay_id"],
        state=DiscussionState(row["state"]), next_number=row["next_number"], last_message_id=row["last_message_id"],
        started_by=row["started_by"], note=row["note"])


def captured_from_row(row: sqlite3.Row) -> CapturedComment:
    return CapturedComment(
        number=row["number"], message_id=row["message_id"], author_id=row["author_id"], author=row["author"],
        posted_at=row["posted_at"], edited_at=row["edited_at"], reply_to=row["reply_to"], text=row["text"],
        attachments=tuple(json.loads(row["attachments"])))


class DiscussionStore:
    """Every write waits while another process holds the write lock (:mod:`db.busy`)."""

    def __init__(self, conn: aiosqlite.Connection,
                 transaction: Callable[[], AbstractAsyncContextManager[aiosqlite.Connection]],
                 policy: LockPolicy = DEFAULT_POLICY):
        self.conn = conn
        self.transaction = transaction
        self.policy = policy

    async def _write(self, sql: str, params: tuple = ()) -> aiosqlite.Cursor:
        return await retry_busy(lambda: self.conn.execute(sql, params), self.policy, what="a discussion write")

    # -- opening and closing ----------------------------------------------------------------------------------

    async def open(self, *, guild_id: int, parent_id: int, channel_id: int, thread_id: int, revision_id: int,
                   last_number: int, pace: str, use_webhooks: bool, started_by: int) -> tuple[Discussion, Replay]:
        """A discussion in the Discord thread ``channel_id`` and the replay of all its comments there."""
        async with self.transaction() as conn:
            try:
                cur = await conn.execute(
                    "INSERT INTO replays (guild_id, channel_id, revision_id, state, first_number, next_number,"
                    " last_number, pace, use_webhooks, started_by) VALUES (?, ?, ?, 'running', 1, 1, ?, ?, ?, ?)",
                    (guild_id, channel_id, revision_id, last_number, pace, int(use_webhooks), started_by))
            except sqlite3.IntegrityError:
                raise ReplayConflict(channel_id) from None
            replay_id = cur.lastrowid
            try:
                cur = await conn.execute(
                    "INSERT INTO discussions (guild_id, parent_id, channel_id, thread_id, revision_id, replay_id,"
                    " state, next_number, started_by) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                    (guild_id, parent_id, channel_id, thread_id, revision_id, replay_id, last_number + 1, started_by))
            except sqlite3.IntegrityError:
                raise DiscussionConflict(channel_id) from None
            discussion_id = cur.lastrowid
            async with conn.execute("SELECT * FROM replays WHERE id = ?", (replay_id,)) as rows:
                replay_row = await rows.fetchone()
            async with conn.execute("SELECT * FROM discussions WHERE id = ?", (discussion_id,)) as rows:
                discussion_row = await rows.fetchone()
        assert replay_row is not None and discussion_row is not None  # written just above, in this transaction
        return discussion_from_row(discussion_row), replay_from_row(replay_row)

    async def set_state(self, discussion_id: int, state: DiscussionState, note: str | None = None) -> None:
        await self._write(
            "UPDATE discussions SET state = ?, note = ?, closed_at = CASE WHEN ? = 'open' THEN NULL"
            " ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END WHERE id = ?",
            (state.value, note, state.value, discussion_id))

    # -- reading ----------------------------------------------------------------------------------------------

    async def get(self, discussion_id: int) -> Discussion | None:
        async with self.conn.execute("SELECT * FROM discussions WHERE id = ?", (discussion_id,)) as cur:
            row = await cur.fetchone()
        return discussion_from_row(row) if row else None

    async def in_channel(self, channel_id: int) -> Discussion | None:
        """The discussion held in this Discord thread, whatever its state."""
        async with self.conn.execute("SELECT * FROM discussions WHERE channel_id = ?", (channel_id,)) as cur:
            row = await cur.fetchone()
        return discussion_from_row(row) if row else None

    async def all_open(self) -> list[Discussion]:
        """The discussions whose messages are being captured, every guild."""
        async with self.conn.execute("SELECT * FROM discussions WHERE state = 'open'") as cur:
            return [discussion_from_row(row) for row in await cur.fetchall()]

    async def all_channels(self) -> set[int]:
        """Every Discord thread that holds or held a discussion (the deleted ones' ended)."""
        async with self.conn.execute("SELECT channel_id FROM discussions WHERE state != 'ended'") as cur:
            return {row[0] for row in await cur.fetchall()}

    async def of_guild(self, guild_id: int, *, open_only: bool = False, limit: int = 25) -> list[Discussion]:
        """This guild's discussions, newest first."""
        sql = "SELECT * FROM discussions WHERE guild_id = ?" + (" AND state = 'open'" if open_only else "")
        async with self.conn.execute(sql + " ORDER BY id DESC LIMIT ?", (guild_id, limit)) as cur:
            return [discussion_from_row(row) for row in await cur.fetchall()]

    async def of_thread(self, thread_id: int, limit: int = 25) -> list[Discussion]:
        """Every guild's discussions of one imported thread, oldest first (for the operator)."""
        async with self.conn.execute(
            "SELECT * FROM discussions WHERE thread_id = ? ORDER BY id LIMIT ?", (thread_id, limit)) as cur:
            return [discussion_from_row(row) for row in await cur.fetchall()]

    async def of_guild_thread(self, guild_id: int, thread_id: int, limit: int = 25) -> list[Discussion]:
        """This guild's discussions of one imported thread, newest first."""
        async with self.conn.execute(
            "SELECT * FROM discussions WHERE guild_id = ? AND thread_id = ? ORDER BY id DESC LIMIT ?",
            (guild_id, thread_id, limit)) as cur:
            return [discussion_from_row(row) for row in await cur.fetchall()]

    async def captured_counts(self, discussion_ids: Sequence[int]) -> dict[int, int]:
        if not discussion_ids:
            return {}
        marks = ", ".join("?" * len(discussion_ids))
        async with self.conn.execute(
            f"SELECT discussion_id, COUNT(*) FROM discussion_comments WHERE discussion_id IN ({marks})"
            " GROUP BY discussion_id", tuple(discussion_ids)) as cur:
            found = {row[0]: row[1] for row in await cur.fetchall()}
        return {d: found.get(d, 0) for d in discussion_ids}

    async def comments(self, discussion_id: int) -> list[CapturedComment]:
        """The captured comments, in the order they were written."""
        async with self.conn.execute(
            "SELECT * FROM discussion_comments WHERE discussion_id = ? ORDER BY number", (discussion_id,)) as cur:
            return [captured_from_row(row) for row in await cur.fetchall()]

    async def thread_links(self, revision_id: int) -> list[tuple[int, str, int | None]]:
        """(number, author, reply_to) of every comment of a revision: what reply statistics need, nothing more."""
        async with self.conn.execute(
            "SELECT number, author, reply_to FROM comments WHERE revision_id = ? ORDER BY number",
            (revision_id,)) as cur:
            return [(row[0], row[1], row[2]) for row in await cur.fetchall()]

    async def captured_links(self, discussion_ids: Sequence[int]) -> list[list[tuple[int, str, int | None]]]:
        """(number, author, reply_to) of each discussion's captured comments, one list per discussion given."""
        out = []
        for discussion_id in discussion_ids:
            async with self.conn.execute(
                "SELECT number, author, reply_to FROM discussion_comments WHERE discussion_id = ? ORDER BY number",
                (discussion_id,)) as cur:
                out.append([(row[0], row[1], row[2]) for row in await cur.fetchall()])
        return out

    # -- capturing --------------------------------------------------------------------------------------------

    async def apply(self, events: Sequence[CaptureEvent]) -> int:
        """Store members' new messages, edits and deletions, in order, in one transaction; returns how many new
        comments were stored (a message stored already is not stored again)."""
        stored = 0
        async with self.transaction() as conn:
            for event in events:
                if isinstance(event, NewComment):
                    stored += await _insert_comment(conn, event.discussion_id, event.message)
                elif isinstance(event, MessageEdited):
                    await _edit_comment(conn, event)
                elif isinstance(event, MessagesDeleted) and event.message_ids:
                    marks = ", ".join("?" * len(event.message_ids))
                    await conn.execute(f"DELETE FROM discussion_comments WHERE message_id IN ({marks})",
                                       event.message_ids)
        return stored

    async def forget_member(self, guild_id: int, author_id: int) -> int:
        """Delete every comment this member wrote in this guild's discussions; how many there were. Gone from the
        file, not hidden: the rows are overwritten (secure_delete), the search index is rebuilt without their
        words (FTS5 otherwise keeps deleted words in older segments until a merge), and the write-ahead log is
        emptied into the database as far as readers allow."""
        async with self.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM discussion_comments WHERE author_id = ? AND discussion_id IN"
                " (SELECT id FROM discussions WHERE guild_id = ?)", (author_id, guild_id))
            removed = cur.rowcount
            if removed:
                await conn.execute("INSERT INTO discussion_comments_fts (discussion_comments_fts) VALUES ('optimize')")
        if removed:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed


# The next number, and the comment a reply answers (a member's message, else a replayed comment), found in SQL:
# one statement per message, ignored when that message is stored already.
_INSERT_COMMENT = """
INSERT INTO discussion_comments (discussion_id, number, message_id, author_id, author, posted_at, reply_to, text,
                                 attachments)
SELECT d.id, d.next_number, :message_id, :author_id, :author, :posted_at,
       CASE WHEN :replies_to IS NULL THEN NULL ELSE COALESCE(
           (SELECT c.number FROM discussion_comments c WHERE c.discussion_id = d.id AND c.message_id = :replies_to),
           (SELECT p.comment_number FROM replay_posts p WHERE p.replay_id = d.replay_id
                                                          AND p.message_id = :replies_to)) END,
       :text, :attachments
FROM discussions d WHERE d.id = :discussion_id
ON CONFLICT (message_id) DO NOTHING
"""


async def _insert_comment(conn: aiosqlite.Connection, discussion_id: int, message: CapturedMessage) -> int:
    cur = await conn.execute(_INSERT_COMMENT, {
        "discussion_id": discussion_id, "message_id": message.message_id, "author_id": message.author_id,
        "author": message.author, "posted_at": message.posted_at, "replies_to": message.replies_to_message,
        "text": message.text, "attachments": json.dumps(list(message.attachments))})
    if cur.rowcount <= 0:
        return 0
    await conn.execute("UPDATE discussions SET next_number = next_number + 1, last_message_id ="
                       " MAX(COALESCE(last_message_id, 0), ?) WHERE id = ?", (message.message_id, discussion_id))
    return 1


async def _edit_comment(conn: aiosqlite.Connection, edit: MessageEdited) -> None:
    if edit.attachments is None:
        await conn.execute("UPDATE discussion_comments SET text = ?, edited_at = ? WHERE message_id = ?",
                           (edit.text, edit.edited_at, edit.message_id))
    else:
        await conn.execute(
            "UPDATE discussion_comments SET text = ?, attachments = ?, edited_at = ? WHERE message_id = ?",
            (edit.text, json.dumps(list(edit.attachments)), edit.edited_at, edit.message_id))
