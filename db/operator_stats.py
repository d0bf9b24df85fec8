"""What an operator asks of the store: how much it holds (``rethread stats``), and which channels each guild's
bot uses (``rethread check``). Read-only queries; tables a pending migration would add count as empty."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

REPLAY_STATES = ("running", "paused", "finished", "stopped", "failed")
DISCUSSION_STATES = ("open", "closed", "ended")
LIVE_REPLAY_STATES = ("running", "paused")


@dataclass(frozen=True, slots=True)
class OperatorStats:
    guilds: int  # distinct guild ids seen in settings, replays, polls and discussions
    threads: int
    revisions: int
    comments: int  # of every complete revision
    replays: dict[str, int]  # by state, every state present (0 when none)
    polls_open: int
    polls_ended: int  # Discord said the results are final
    votes: int
    discussions: dict[str, int]  # by state, every state present
    captured_comments: int
    database_bytes: int  # the file
    wal_bytes: int  # its write-ahead log, not yet checkpointed into the file


@dataclass(frozen=True, slots=True)
class ChannelUse:
    """A channel the bot uses in a guild, and why (the reasons in the order found: settings, discussions, replays)."""

    channel_id: int
    reasons: list[str] = field(default_factory=list)


async def _tables(conn: aiosqlite.Connection) -> set[str]:
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
        return {row[0] for row in await cur.fetchall()}


async def _scalar(conn: aiosqlite.Connection, sql: str, *params: object) -> int:
    async with conn.execute(sql, params) as cur:
        row = await cur.fetchone()
    return int(row[0] or 0) if row else 0


async def _by_state(conn: aiosqlite.Connection, table: str, states: tuple[str, ...]) -> dict[str, int]:
    counts = dict.fromkeys(states, 0)
    async with conn.execute(f"SELECT state, COUNT(*) FROM {table} GROUP BY state") as cur:
        for state, n in await cur.fetchall():
            counts[state] = int(n)
    return counts


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


async def operator_stats(conn: aiosqlite.Connection, path: Path) -> OperatorStats:
    tables = await _tables(conn)
    guild_sources = [f"SELECT guild_id FROM {t}" for t in ("guild_settings", "replays", "polls", "discussions")
                     if t in tables]
    guilds = await _scalar(conn, f"SELECT COUNT(*) FROM ({' UNION '.join(guild_sources)})") if guild_sources else 0
    threads = revisions = comments = 0
    if "revisions" in tables:
        threads = await _scalar(conn, "SELECT COUNT(*) FROM threads WHERE current_revision_id IS NOT NULL")
        revisions = await _scalar(conn, "SELECT COUNT(*) FROM revisions WHERE complete = 1")
        comments = await _scalar(conn, "SELECT SUM(comment_count) FROM revisions WHERE complete = 1")
    has_polls = "polls" in tables
    has_discussions = "discussions" in tables
    return OperatorStats(
        guilds=guilds,
        threads=threads,
        revisions=revisions,
        comments=comments,
        replays=(await _by_state(conn, "replays", REPLAY_STATES) if "replays" in tables
                 else dict.fromkeys(REPLAY_STATES, 0)),
        polls_open=await _scalar(conn, "SELECT COUNT(*) FROM polls WHERE final_counts IS NULL") if has_polls else 0,
        polls_ended=(await _scalar(conn, "SELECT COUNT(*) FROM polls WHERE final_counts IS NOT NULL")
                     if has_polls else 0),
        votes=await _scalar(conn, "SELECT COUNT(*) FROM poll_votes") if has_polls else 0,
        discussions=(await _by_state(conn, "discussions", DISCUSSION_STATES) if has_discussions
                     else dict.fromkeys(DISCUSSION_STATES, 0)),
        captured_comments=(await _scalar(conn, "SELECT COUNT(*) FROM discussion_comments")
                           if has_discussions else 0),
        database_bytes=_size(path),
        wal_bytes=_size(Path(f"{path}-wal")),
    )


async def channels_in_use(conn: aiosqlite.Connection) -> dict[int, list[ChannelUse]]:
    """Guild id → the channels the bot uses there: the configured replay channel, the parents of open
    discussions, and the channels of live (running or paused) replays; each channel once, with every reason."""
    tables = await _tables(conn)
    found: dict[int, dict[int, ChannelUse]] = {}

    def add(guild_id: int, channel_id: int, reason: str) -> None:
        use = found.setdefault(guild_id, {}).setdefault(channel_id, ChannelUse(channel_id))
        if reason not in use.reasons:
            use.reasons.append(reason)

    if "guild_settings" in tables:
        async with conn.execute("SELECT guild_id, value FROM guild_settings WHERE key = 'replay_channel_id'") as cur:
            for guild_id, value in await cur.fetchall():
                channel_id = json.loads(value)
                if isinstance(channel_id, int):
                    add(int(guild_id), channel_id, "replay channel")
    if "discussions" in tables:
        async with conn.execute("SELECT guild_id, parent_id FROM discussions WHERE state = 'open'"
                                " ORDER BY id") as cur:
            for guild_id, parent_id in await cur.fetchall():
                add(int(guild_id), int(parent_id), "open discussion")
    if "replays" in tables:
        async with conn.execute(
                f"SELECT guild_id, channel_id, state FROM replays WHERE state IN {LIVE_REPLAY_STATES!r}"
                " ORDER BY id") as cur:
            for guild_id, channel_id, state in await cur.fetchall():
                add(int(guild_id), int(channel_id), f"{state} replay")
    return {guild: list(channels.values()) for guild, channels in found.items()}
