"""The SQLite store, through aiosqlite: one file, WAL mode, foreign keys on, schema kept by :mod:`db.migrate`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import aiosqlite

from bot.core.model import Block, Comment, ReplySource, Thread
from db.bot_state import BotState
from db.guild_config import GuildConfig
from db.migrate import migrate
from db.replays import ReplayStore

ImportStatus = Literal["new", "revision", "unchanged"]

_BLOCK_SEPARATOR = "\n\n"  # paragraphs never contain a blank line, so this join is reversible


@dataclass(frozen=True, slots=True)
class ImportResult:
    status: ImportStatus
    thread_id: int
    revision: int
    comments: int


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    id: int
    slug: str
    title: str
    revision: int
    comments: int
    imported_at: str


def comment_row(revision_id: int, comment: Comment) -> tuple:
    """A comment as the row the ``comments`` table stores (shared with the ingest benchmark's floor)."""
    return (
        revision_id,
        comment.number,
        comment.author,
        int(comment.verified),
        comment.posted_at.isoformat(timespec="seconds") if comment.posted_at else None,
        comment.reply_to,
        comment.reply_to_author,
        comment.reply_source,
        _BLOCK_SEPARATOR.join(b.text for b in comment.body),
        "".join("q" if b.quote else "p" for b in comment.body),
    )


INSERT_COMMENT = (
    "INSERT INTO comments (revision_id, number, author, verified, posted_at, reply_to, reply_to_author,"
    " reply_source, text, blocks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _comment_from_row(row: sqlite3.Row) -> Comment:
    texts = row["text"].split(_BLOCK_SEPARATOR) if row["blocks"] else []
    return Comment(
        number=row["number"],
        author=row["author"],
        verified=bool(row["verified"]),
        posted_at=datetime.fromisoformat(row["posted_at"]) if row["posted_at"] else None,
        reply_to=row["reply_to"],
        reply_to_author=row["reply_to_author"],
        reply_source=_reply_source(row["reply_source"]),
        body=tuple(Block(text, kind == "q") for text, kind in zip(texts, row["blocks"], strict=True)),
    )


_REPLY_SOURCES: dict[str | None, ReplySource | None] = {"header": "header", "quote": "quote", "mention": "mention"}


def _reply_source(value: str | None) -> ReplySource | None:
    return _REPLY_SOURCES.get(value)


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)  # autocommit; transactions say BEGIN themselves
    conn.row_factory = aiosqlite.Row
    try:
        # As a script: PRAGMA journal_mode answers with a row, and an unread row would leave a statement open,
        # which makes any later COMMIT on this connection fail.
        # WAL + synchronous NORMAL: durable at checkpoints, never a torn database.
        await conn.executescript("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
                                 " PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
    except BaseException:
        await conn.close()
        raise
    return conn


class Store:
    """All database access. Open with :meth:`open` (which migrates), close with :meth:`close`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path):
        self.conn = conn  # shared, autocommit: one statement at a time from any task
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._writer_lock = asyncio.Lock()
        self.config = GuildConfig(conn, self.transaction)
        self.replays = ReplayStore(conn)
        self.bot_state = BotState(conn)

    @classmethod
    async def open(cls, path: str | Path, *, migrate_schema: bool = True) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await _connect(path)
        try:
            if migrate_schema:
                await migrate(conn)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    @classmethod
    @asynccontextmanager
    async def opened(cls, path: str | Path, *, migrate_schema: bool = True) -> AsyncIterator[Store]:
        """``async with Store.opened(path) as store``: whoever runs the bot or a command owns the store."""
        store = await cls.open(path, migrate_schema=migrate_schema)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A multi-statement write, all or nothing, on a connection of its own: statements other tasks run
        meanwhile on the shared connection can neither join it nor hold up its COMMIT."""
        async with self._writer_lock:
            if self._writer is None:
                self._writer = await _connect(self.path)
            writer = self._writer
            await writer.execute("BEGIN IMMEDIATE")
            try:
                yield writer
            except BaseException:
                if writer.in_transaction:
                    await writer.execute("ROLLBACK")
                raise
            await writer.execute("COMMIT")

    # -- import -------------------------------------------------------------------------------------------

    async def import_thread(self, thread: Thread, *, slug: str, sha256: str, source_path: str) -> ImportResult:
        """Store one parsed file in a single transaction: all of it, or (on any error) none of it. ``sha256`` is
        of the file's bytes: the same content again is ``unchanged``."""
        async with self.transaction() as conn:
            async with conn.execute("SELECT id FROM threads WHERE slug = ?", (slug,)) as cur:
                row = await cur.fetchone()
            if row is None:
                cur = await conn.execute("INSERT INTO threads (slug) VALUES (?)", (slug,))
                thread_id, number = cur.lastrowid or 0, 1
                status: ImportStatus = "new"
            else:
                thread_id = row[0]
                async with conn.execute(
                    "SELECT number, comment_count FROM revisions WHERE thread_id = ? AND sha256 = ?",
                    (thread_id, sha256),
                ) as cur:
                    same = await cur.fetchone()
                if same is not None:
                    return ImportResult("unchanged", thread_id, same[0], same[1])
                async with conn.execute(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE thread_id = ?", (thread_id,)
                ) as cur:
                    row = await cur.fetchone()
                number = int(row[0]) if row else 1
                status = "revision" if number > 1 else "new"
            cur = await conn.execute(
                "INSERT INTO revisions (thread_id, number, sha256, source_path, title, byline, article,"
                " comment_count, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (thread_id, number, sha256, source_path, thread.title, thread.byline,
                 json.dumps(list(thread.article), ensure_ascii=False), len(thread.comments),
                 json.dumps(list(thread.warnings), ensure_ascii=False)),
            )
            revision_id = cur.lastrowid or 0
            await conn.executemany(INSERT_COMMENT, (comment_row(revision_id, c) for c in thread.comments))
        return ImportResult(status, thread_id, number, len(thread.comments))

    # -- queries --------------------------------------------------------------------------------------------

    _SUMMARY = (
        "SELECT t.id, t.slug, r.title, r.number, r.comment_count, r.imported_at FROM threads t"
        " JOIN revisions r ON r.thread_id = t.id"
        " AND r.number = (SELECT MAX(number) FROM revisions WHERE thread_id = t.id)"
    )

    async def threads(self) -> list[ThreadSummary]:
        async with self.conn.execute(self._SUMMARY + " ORDER BY t.id") as cur:
            return [ThreadSummary(*row) for row in await cur.fetchall()]

    async def thread_summary(self, thread_id: int) -> ThreadSummary | None:
        async with self.conn.execute(self._SUMMARY + " WHERE t.id = ?", (thread_id,)) as cur:
            row = await cur.fetchone()
        return ThreadSummary(*row) if row else None

    async def find_threads(self, words: str, limit: int = 25) -> list[ThreadSummary]:
        """Threads whose current title contains every word of ``words`` (any order, any case)."""
        terms = [w for w in words.casefold().split() if w]
        where = " AND ".join("instr(lower(r.title), ?) > 0" for _ in terms) or "1"
        sql = f"{self._SUMMARY} WHERE {where} ORDER BY r.imported_at DESC, t.id DESC LIMIT ?"
        async with self.conn.execute(sql, (*terms, limit)) as cur:
            return [ThreadSummary(*row) for row in await cur.fetchall()]

    async def revision_title(self, revision_id: int) -> str | None:
        async with self.conn.execute("SELECT title FROM revisions WHERE id = ?", (revision_id,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def revision_thread(self, revision_id: int) -> Thread | None:
        async with self.conn.execute("SELECT thread_id, number FROM revisions WHERE id = ?", (revision_id,)) as cur:
            row = await cur.fetchone()
        return await self.load_thread(row[0], row[1]) if row else None

    async def revision_id(self, thread_id: int, revision: int | None = None) -> int | None:
        sql = "SELECT id FROM revisions WHERE thread_id = ? "
        sql += "AND number = ?" if revision else "ORDER BY number DESC LIMIT 1"
        async with self.conn.execute(sql, (thread_id, revision) if revision else (thread_id,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def load_thread(self, thread_id: int, revision: int | None = None) -> Thread | None:
        revision_id = await self.revision_id(thread_id, revision)
        if revision_id is None:
            return None
        async with self.conn.execute(
            "SELECT title, byline, article, warnings FROM revisions WHERE id = ?", (revision_id,)
        ) as cur:
            rev = await cur.fetchone()
        if rev is None:
            return None
        async with self.conn.execute(
            "SELECT * FROM comments WHERE revision_id = ? ORDER BY number", (revision_id,)
        ) as cur:
            comments = tuple(_comment_from_row(row) for row in await cur.fetchall())
        return Thread(
            title=rev["title"],
            byline=rev["byline"],
            article=tuple(json.loads(rev["article"])),
            comments=comments,
            warnings=tuple(json.loads(rev["warnings"])),
        )

    async def comment_previews(self, thread_id: int, typed: str, limit: int = 25) -> list[tuple[int, str, str]]:
        """(number, author, first words) of the current revision's comments whose number starts with ``typed``
        or whose author or first words contain it; read with ``LIMIT``, never the whole thread."""
        revision_id = await self.revision_id(thread_id)
        typed = typed.strip()
        pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        async with self.conn.execute(
            "SELECT number, author, substr(text, 1, 200) FROM comments WHERE revision_id = ?"
            " AND (? = '' OR CAST(number AS TEXT) LIKE ? || '%' OR author LIKE ? ESCAPE '\\'"
            " OR substr(text, 1, 200) LIKE ? ESCAPE '\\') ORDER BY number LIMIT ?",
            (revision_id, typed, typed, pattern, pattern, limit),
        ) as cur:
            return [(row[0], row[1], row[2]) for row in await cur.fetchall()]

    async def search_comments(self, query: str, limit: int = 20) -> list[tuple[int, int, str, str]]:
        """(thread id, comment number, author, snippet) for comments matching an FTS5 query."""
        async with self.conn.execute(
            "SELECT r.thread_id, c.number, c.author, snippet(comments_fts, 1, '**', '**', '…', 12)"
            " FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid"
            " JOIN revisions r ON r.id = c.revision_id"
            " WHERE comments_fts MATCH ? ORDER BY rank LIMIT ?",
            (query, limit),
        ) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def counts(self) -> dict[str, int]:
        out = {}
        for table in ("threads", "revisions", "comments"):
            async with self.conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:
                row = await cur.fetchone()
                out[table] = int(row[0]) if row else 0
        return out
