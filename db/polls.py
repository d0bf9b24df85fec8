"""Polls and their votes. Votes are stored as they arrive, idempotent per (poll, member, answer); the final
counts are stored once Discord says they are final. Voter ids are kept only so that counts stay exact."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.core.polls import CommentRef, PollKind, PollResults
from db.busy import DEFAULT_POLICY, LockPolicy, retry_busy


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredPoll:
    id: int
    guild_id: int
    channel_id: int
    message_id: int
    thread_id: int
    kind: PollKind
    comment_number: int | None
    question: str
    answers: tuple[str, ...]
    multiple: bool
    expires_at: datetime
    created_by: int
    final_counts: tuple[int, ...] | None

    @property
    def ended(self) -> bool:
        return self.final_counts is not None


def poll_from_row(row: sqlite3.Row) -> StoredPoll:
    final = row["final_counts"]
    return StoredPoll(
        id=row["id"], guild_id=row["guild_id"], channel_id=row["channel_id"], message_id=row["message_id"],
        thread_id=row["thread_id"], kind=PollKind(row["kind"]), comment_number=row["comment_number"],
        question=row["question"], answers=tuple(json.loads(row["answers"])), multiple=bool(row["multiple"]),
        expires_at=datetime.fromisoformat(row["expires_at"]), created_by=row["created_by"],
        final_counts=tuple(json.loads(final)) if final is not None else None,
    )


class PollStore:
    """Every write waits while another process holds the write lock (:mod:`db.busy`)."""

    def __init__(self, conn: aiosqlite.Connection,
                 transaction: Callable[[], AbstractAsyncContextManager[aiosqlite.Connection]],
                 policy: LockPolicy = DEFAULT_POLICY):
        self.conn = conn
        self.transaction = transaction  # for writes of several statements, all or nothing
        self.policy = policy

    async def _write(self, sql: str, params: tuple = ()) -> aiosqlite.Cursor:
        return await retry_busy(lambda: self.conn.execute(sql, params), self.policy, what="a poll write")

    async def add(self, *, guild_id: int, channel_id: int, message_id: int, thread_id: int, kind: PollKind,
                  comment_number: int | None, question: str, answers: tuple[str, ...], multiple: bool,
                  expires_at: datetime, created_by: int) -> StoredPoll:
        cur = await self._write(
            "INSERT INTO polls (guild_id, channel_id, message_id, thread_id, kind, comment_number, question, answers,"
            " multiple, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, channel_id, message_id, thread_id, kind.value, comment_number, question,
             json.dumps(list(answers), ensure_ascii=False), int(multiple), expires_at.isoformat(), created_by))
        poll = await self.get(cur.lastrowid or 0)
        assert poll is not None
        return poll

    async def get(self, poll_id: int) -> StoredPoll | None:
        async with self.conn.execute("SELECT * FROM polls WHERE id = ?", (poll_id,)) as cur:
            row = await cur.fetchone()
        return poll_from_row(row) if row else None

    async def by_message(self, message_id: int) -> StoredPoll | None:
        async with self.conn.execute("SELECT * FROM polls WHERE message_id = ?", (message_id,)) as cur:
            row = await cur.fetchone()
        return poll_from_row(row) if row else None

    async def in_guild(self, guild_id: int, *, thread_id: int | None = None, limit: int = 25) -> list[StoredPoll]:
        """The guild's polls, newest first."""
        sql = "SELECT * FROM polls WHERE guild_id = ?" + (" AND thread_id = ?" if thread_id else "")
        params = (guild_id, thread_id) if thread_id else (guild_id,)
        async with self.conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)) as cur:
            return [poll_from_row(row) for row in await cur.fetchall()]

    async def open_past(self, moment: datetime) -> list[StoredPoll]:
        """Polls whose end has passed but whose final results are not stored yet."""
        async with self.conn.execute(
            "SELECT * FROM polls WHERE final_counts IS NULL AND expires_at <= ? ORDER BY expires_at",
            (moment.isoformat(),)) as cur:
            return [poll_from_row(row) for row in await cur.fetchall()]

    async def next_expiry(self) -> datetime | None:
        async with self.conn.execute("SELECT MIN(expires_at) FROM polls WHERE final_counts IS NULL") as cur:
            row = await cur.fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def add_vote(self, poll_id: int, user_id: int, answer_id: int) -> None:
        await self._write("INSERT OR IGNORE INTO poll_votes (poll_id, user_id, answer_id) VALUES (?, ?, ?)",
                          (poll_id, user_id, answer_id))

    async def remove_vote(self, poll_id: int, user_id: int, answer_id: int) -> None:
        await self._write("DELETE FROM poll_votes WHERE poll_id = ? AND user_id = ? AND answer_id = ?",
                          (poll_id, user_id, answer_id))

    async def replace_voters(self, poll_id: int, answer_id: int, user_ids: list[int]) -> None:
        """Make the stored voters of one answer exactly ``user_ids`` (reconciling votes cast while offline)."""
        async with self.transaction() as conn:  # all or nothing: never an answer left with no voters
            await conn.execute("DELETE FROM poll_votes WHERE poll_id = ? AND answer_id = ?", (poll_id, answer_id))
            await conn.executemany("INSERT OR IGNORE INTO poll_votes (poll_id, user_id, answer_id) VALUES (?, ?, ?)",
                                   [(poll_id, user_id, answer_id) for user_id in user_ids])

    async def counts(self, poll: StoredPoll) -> PollResults:
        """Final counts when Discord gave them, else the stored votes counted."""
        if poll.final_counts is not None:
            return PollResults(poll.answers, poll.final_counts, finalized=True)
        async with self.conn.execute(
            "SELECT answer_id, COUNT(*) FROM poll_votes WHERE poll_id = ? GROUP BY answer_id", (poll.id,)) as cur:
            by_answer = {row[0]: row[1] for row in await cur.fetchall()}
        return PollResults(poll.answers, tuple(by_answer.get(i, 0) for i in range(1, len(poll.answers) + 1)),
                           finalized=False)

    async def set_expiry(self, poll_id: int, expires_at: datetime) -> None:
        await self._write("UPDATE polls SET expires_at = ? WHERE id = ?", (expires_at.isoformat(), poll_id))

    async def finalize(self, poll_id: int, counts: tuple[int, ...], ended_at: datetime) -> None:
        await self._write(
            "UPDATE polls SET final_counts = ?, ended_at = ? WHERE id = ? AND final_counts IS NULL",
            (json.dumps(list(counts)), ended_at.isoformat(), poll_id))

    async def export_rows(self, thread_id: int | None = None) -> list[tuple]:
        """(poll id, thread id, guild id, kind, question, answer id, answer, count, final) per answer."""
        sql = "SELECT * FROM polls" + (" WHERE thread_id = ?" if thread_id else "") + " ORDER BY id"
        async with self.conn.execute(sql, (thread_id,) if thread_id else ()) as cur:
            polls = [poll_from_row(row) for row in await cur.fetchall()]
        rows = []
        for poll in polls:
            results = await self.counts(poll)
            for index, (answer, count) in enumerate(zip(results.answers, results.counts, strict=True), start=1):
                rows.append((poll.id, poll.thread_id, poll.guild_id, poll.kind.value, poll.question, index, answer,
                             count, results.finalized))
        return rows

    async def thread_of(self, revision_id: int) -> int | None:
        """The thread a revision belongs to (polls are about threads; replays play revisions)."""
        async with self.conn.execute("SELECT thread_id FROM revisions WHERE id = ?", (revision_id,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def most_answered(self, revision_id: int, limit: int = 10) -> list[int]:
        """Comment numbers most replied to or quoted in a revision, most first (ties: earlier first)."""
        async with self.conn.execute(
            "SELECT reply_to, COUNT(*) AS n FROM comments WHERE revision_id = ? AND reply_to IS NOT NULL"
            " GROUP BY reply_to ORDER BY n DESC, reply_to LIMIT ?", (revision_id, limit)) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def comment_refs(self, revision_id: int, numbers: list[int]) -> list[CommentRef]:
        """The comments with these numbers, in the order given (first 400 characters of each)."""
        marks = ", ".join("?" for _ in numbers)
        async with self.conn.execute(
            f"SELECT number, author, substr(text, 1, 400) FROM comments WHERE revision_id = ? AND number IN ({marks})",
            (revision_id, *numbers)) as cur:
            found = {row[0]: CommentRef(row[0], row[1], row[2]) for row in await cur.fetchall()}
        return [found[n] for n in numbers if n in found]
