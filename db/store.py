"""The SQLite store, through aiosqlite: one file, WAL mode, foreign keys on, schema kept by :mod:`db.migrate`.

The file and any folder created for it are readable by the owner only (webhook tokens live here). Writes that
find the database busy wait and retry (:mod:`db.busy`). A large file is written in short transactions, taking
turns with other writers, and becomes visible all at once when its last part is written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import stat
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from bot.core.model import Block, Comment, ReplySource, Thread
from db.bot_state import BotState
from db.busy import DEFAULT_POLICY, LockPolicy, is_busy, retry_busy
from db.folding import fold, needs_substring
from db.guild_config import GuildConfig
from db.migrate import migrate
from db.polls import PollStore
from db.replays import ReplayStore
from db.search import (
    MARK_CLOSE,
    MARK_OPEN,
    SearchSyntaxError,
    Snippet,
    Term,
    flatten,
    fts_string,
    marked_snippet,
    parse_query,
    substring_snippet,
    words_query,
)

log = logging.getLogger("rethread.db")

ImportStatus = Literal["new", "revision", "unchanged"]

_BLOCK_SEPARATOR = "\n\n"  # paragraphs never contain a blank line, so this join is reversible
MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger id names nothing
TOP_AUTHORS = 10  # kept with each revision

# Importing: at most this many comments per transaction; a file with more is written in several and shown only
# when complete. After holding the write lock for LOCK_SLICE seconds an import leaves it free for LOCK_PAUSE,
# so another process's writes (a running replay's progress) get their turn.
CHUNK_COMMENTS = 5000
LOCK_SLICE = 1.0
LOCK_PAUSE = 0.05
STALE_PENDING = "-15 minutes"  # a part-written revision untouched this long was left by a process that died

# Set on every connection; busy_timeout first, so that even switching to WAL waits for a busy database.
CONNECT_PRAGMAS = ("PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL")


class ImportBusy(Exception):
    """The same file is being imported by another process right now."""


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


@dataclass(frozen=True, slots=True)
class ThreadStats:
    """What ``/thread info`` shows, from SQL alone (never the thread's comments)."""

    id: int
    revision_id: int
    title: str
    byline: str | None
    revision: int
    comments: int
    replies: int
    commenters: int
    top_authors: tuple[tuple[str, int], ...]  # (author, comments), most first, at most TOP_AUTHORS
    imported_at: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    thread_id: int
    number: int
    author: str
    snippet: Snippet  # plain text on one line, as (text, highlighted) pieces

    @property
    def text(self) -> str:
        return "".join(piece for piece, _ in self.snippet)


@dataclass(frozen=True, slots=True)
class SearchResults:
    total: int  # comments matching, counted up to SEARCH_COUNT_CAP
    hits: list[SearchHit]

    @property
    def capped(self) -> bool:
        return self.total >= SEARCH_COUNT_CAP


SEARCH_COUNT_CAP = 10_000


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


def _valid_id(value: int | None) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


def _owner_only(path: Path, mode: int) -> None:
    """Take group and other permissions away from a file or folder of ours (never adds any)."""
    try:
        st = path.stat()
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & mode)
    except OSError:
        pass


def secure_location(path: Path) -> None:
    """Create the database's missing folders (0700) and the file itself (0600) before SQLite opens it: SQLite
    gives the -wal and -shm files the database file's permissions. An existing file of ours loses any group or
    other permissions."""
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # mkdir's mode passes through the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for existing in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            _owner_only(existing, 0o700)
        return
    os.close(fd)
    os.chmod(path, 0o600)


async def _connect(path: Path, policy: LockPolicy = DEFAULT_POLICY) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)  # autocommit; transactions say BEGIN themselves
    conn.row_factory = aiosqlite.Row
    try:
        await conn.execute(f"PRAGMA busy_timeout = {int(policy.busy_timeout_ms)}")

        async def wal() -> None:
            # Read the answer: an unread row would leave a statement open, and any later COMMIT would fail.
            async with conn.execute("PRAGMA journal_mode = WAL") as cur:
                await cur.fetchall()

        # WAL + synchronous NORMAL: durable at checkpoints, never a torn database.
        await retry_busy(wal, policy, what="opening the database")
        for pragma in CONNECT_PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


def _stats(thread: Thread) -> tuple[int, int, str]:
    """(replies, commenters, top authors as JSON) of a parsed thread, kept with its revision."""
    authors = Counter(c.author for c in thread.comments)
    top = sorted(authors.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_AUTHORS]
    replies = sum(1 for c in thread.comments if c.reply_to is not None)
    return replies, len(authors), json.dumps(top, ensure_ascii=False)


async def _insert_comments(conn: aiosqlite.Connection, revision_id: int, comments: Sequence[Comment]) -> None:
    """Insert comments (their ``comments_fts`` rows by trigger), and into ``comments_cjk`` those in a script written
    without spaces: decided here, in Python, as a per-row SQL test (GLOB) would cost more than the rest."""
    await conn.executemany(INSERT_COMMENT, (comment_row(revision_id, c) for c in comments))
    substring = [c.number for c in comments
                 if needs_substring(c.author) or any(needs_substring(b.text) for b in c.body)]
    for i in range(0, len(substring), 500):
        numbers = substring[i : i + 500]
        await conn.execute(
            "INSERT INTO comments_cjk (rowid, author, text) SELECT id, author, text FROM comments"
            f" WHERE revision_id = ? AND number IN ({', '.join('?' * len(numbers))})", (revision_id, *numbers))


def _chunks(items: Sequence[Comment], size: int) -> list[Sequence[Comment]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


class Store:
    """All database access. Open with :meth:`open` (which migrates), close with :meth:`close`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, policy: LockPolicy = DEFAULT_POLICY):
        self.conn = conn  # shared, autocommit: one statement at a time from any task
        self.path = path
        self.policy = policy
        self._writer: aiosqlite.Connection | None = None
        self._writer_lock = asyncio.Lock()
        self._writing_since = 0.0  # when this store's imports last began holding the write lock in a row
        self._last_commit = 0.0
        self.config = GuildConfig(conn, self.transaction)
        self.replays = ReplayStore(conn, policy)
        self.bot_state = BotState(conn, policy)
        self.polls = PollStore(conn, self.transaction, policy)

    @classmethod
    async def open(cls, path: str | Path, *, migrate_schema: bool = True, policy: LockPolicy = DEFAULT_POLICY
                   ) -> Store:
        path = Path(path)
        secure_location(path)
        conn = await _connect(path, policy)
        try:
            if migrate_schema:
                await migrate(conn, policy)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path, policy)

    @classmethod
    @asynccontextmanager
    async def opened(cls, path: str | Path, *, migrate_schema: bool = True, policy: LockPolicy = DEFAULT_POLICY
                     ) -> AsyncIterator[Store]:
        """``async with Store.opened(path) as store``: whoever runs the bot or a command owns the store."""
        store = await cls.open(path, migrate_schema=migrate_schema, policy=policy)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        try:
            if self._writer is not None:
                writer, self._writer = self._writer, None
                await writer.close()
        finally:
            await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A multi-statement write, all or nothing, on a connection of its own: statements other tasks run
        meanwhile on the shared connection can neither join it nor hold up its COMMIT. Waits (see
        :mod:`db.busy`) while another process holds the write lock."""
        async with self._writer_lock:
            if self._writer is None:
                self._writer = await _connect(self.path, self.policy)
            writer = self._writer
            await retry_busy(lambda: writer.execute("BEGIN IMMEDIATE"), self.policy, what="a transaction")
            try:
                yield writer
                await writer.execute("COMMIT")
            except BaseException:
                if writer.in_transaction:
                    await writer.execute("ROLLBACK")
                raise

    async def _take_turns(self) -> None:
        """Before an import transaction: after LOCK_SLICE seconds of writing, leave the lock free a moment."""
        now = time.monotonic()
        if now - self._last_commit >= LOCK_PAUSE:
            self._writing_since = now  # the lock was free long enough since our last write
        elif now - self._writing_since >= LOCK_SLICE:
            await asyncio.sleep(LOCK_PAUSE)
            self._writing_since = time.monotonic()

    @asynccontextmanager
    async def _import_transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        await self._take_turns()
        try:
            async with self.transaction() as conn:
                yield conn
        finally:
            self._last_commit = time.monotonic()

    # -- import -------------------------------------------------------------------------------------------

    async def import_thread(self, thread: Thread, *, source_key: str, sha256: str, source_path: str,
                            slug: str | None = None, legacy_keys: Sequence[str] = ()) -> ImportResult:
        """Store one parsed file: all of it, or (on any error) none of it.

        ``source_key`` identifies the thread (the importer passes the file's resolved path): a file with the
        key of a stored thread becomes its new revision, or is ``unchanged`` when one of that thread's revisions
        has the same ``sha256`` (of the file's bytes). A file with a new key whose bytes are some thread's
        current revision is ``unchanged`` too (a copy); otherwise it is a new thread. ``legacy_keys`` are looked
        up as well, for threads stored before keys existed; such a thread takes ``source_key`` from then on.
        ``slug`` is a readable name (made unique with -2, -3...), not an identity.

        Up to CHUNK_COMMENTS comments are written in one transaction; a larger file in several, its revision
        hidden until the last one commits (and removed if any fails)."""
        chunks = _chunks(thread.comments, CHUNK_COMMENTS)
        replies, commenters, top = _stats(thread)
        async with self._import_transaction() as conn:
            found = await self._thread_by_key(conn, source_key, legacy_keys)
            created = found is None
            if found is not None:
                thread_id, had_current, key = found
                async with conn.execute(
                    "SELECT number, comment_count FROM revisions WHERE thread_id = ? AND sha256 = ? AND complete = 1",
                    (thread_id, sha256),
                ) as cur:
                    same = await cur.fetchone()
                if key != source_key:  # found by a legacy key: from now on, by its own
                    await conn.execute("UPDATE threads SET source_key = ? WHERE id = ?", (source_key, thread_id))
                if same is not None:
                    return ImportResult("unchanged", thread_id, same[0], same[1])
                await conn.execute(
                    "DELETE FROM revisions WHERE thread_id = ? AND complete = 0"
                    f" AND imported_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '{STALE_PENDING}')", (thread_id,))
                async with conn.execute(
                    "SELECT COUNT(*) FROM revisions WHERE thread_id = ? AND sha256 = ? AND complete = 0",
                    (thread_id, sha256),
                ) as cur:
                    row = await cur.fetchone()
                if row and row[0]:
                    raise ImportBusy(f"{source_path} is being imported by another process right now")
            else:
                async with conn.execute(
                    "SELECT t.id, r.number, r.comment_count FROM threads t JOIN revisions r"
                    " ON r.id = t.current_revision_id WHERE r.sha256 = ? ORDER BY t.id LIMIT 1", (sha256,)
                ) as cur:
                    copy = await cur.fetchone()
                if copy is not None:
                    return ImportResult("unchanged", copy[0], copy[1], copy[2])
                cur = await conn.execute("INSERT INTO threads (slug, source_key) VALUES (?, ?)",
                                         (await self._free_slug(conn, slug or "thread"), source_key))
                thread_id, had_current = cur.lastrowid or 0, False
            async with conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE thread_id = ?", (thread_id,)
            ) as cur:
                row = await cur.fetchone()
            number = int(row[0]) if row else 1
            status: ImportStatus = "revision" if had_current else "new"
            cur = await conn.execute(
                "INSERT INTO revisions (thread_id, number, sha256, source_path, title, byline, article,"
                " comment_count, warnings, complete, title_key, reply_count, commenter_count, top_authors)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (thread_id, number, sha256, source_path, thread.title, thread.byline,
                 json.dumps(list(thread.article), ensure_ascii=False), len(thread.comments),
                 json.dumps(list(thread.warnings), ensure_ascii=False), int(len(chunks) == 1), fold(thread.title),
                 replies, commenters, top),
            )
            revision_id = cur.lastrowid or 0
            await _insert_comments(conn, revision_id, chunks[0])
            if len(chunks) == 1:
                await conn.execute("UPDATE threads SET current_revision_id = ? WHERE id = ?", (revision_id, thread_id))
        if len(chunks) > 1:
            try:
                for chunk in chunks[1:]:
                    async with self._import_transaction() as conn:
                        await _insert_comments(conn, revision_id, chunk)
                        await conn.execute("UPDATE revisions SET imported_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                                           " WHERE id = ?", (revision_id,))  # still alive: not stale
                async with self._import_transaction() as conn:
                    await conn.execute("UPDATE revisions SET complete = 1,"
                                       " imported_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                                       (revision_id,))
                    await conn.execute(
                        "UPDATE threads SET current_revision_id = (SELECT id FROM revisions WHERE thread_id = ?"
                        " AND complete = 1 ORDER BY number DESC LIMIT 1) WHERE id = ?", (thread_id, thread_id))
            except BaseException:
                await self._discard(revision_id, thread_id if created else None)
                raise
        return ImportResult(status, thread_id, number, len(thread.comments))

    @staticmethod
    async def _thread_by_key(conn: aiosqlite.Connection, key: str, legacy_keys: Sequence[str]
                             ) -> tuple[int, bool, str] | None:
        """(thread id, has a current revision, the key it was found by) of the thread with this key, else with
        one of the legacy keys."""
        keys = (key, *legacy_keys)
        marks = ", ".join("?" * len(keys))
        async with conn.execute(
            f"SELECT id, current_revision_id, source_key FROM threads WHERE source_key IN ({marks})"
            " ORDER BY source_key = ? DESC, id LIMIT 1", (*keys, key)
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1] is not None, row[2]) if row else None

    @staticmethod
    async def _free_slug(conn: aiosqlite.Connection, base: str) -> str:
        candidate, n = base, 1
        while True:
            async with conn.execute("SELECT 1 FROM threads WHERE slug = ?", (candidate,)) as cur:
                if await cur.fetchone() is None:
                    return candidate
            n += 1
            candidate = f"{base}-{n}"

    async def _discard(self, revision_id: int, created_thread: int | None) -> None:
        """Remove a part-written revision (newest comments first: a reply goes before its parent), in short
        transactions; and the thread created for it. A failure here is logged: the revision stays hidden."""
        try:
            while True:
                async with self.transaction() as conn:
                    cur = await conn.execute(
                        "DELETE FROM comments WHERE id IN (SELECT id FROM comments WHERE revision_id = ?"
                        " ORDER BY number DESC LIMIT ?)", (revision_id, CHUNK_COMMENTS))
                if cur.rowcount <= 0:
                    break
            async with self.transaction() as conn:
                await conn.execute("DELETE FROM revisions WHERE id = ? AND complete = 0", (revision_id,))
                if created_thread is not None:
                    await conn.execute(
                        "DELETE FROM threads WHERE id = ? AND current_revision_id IS NULL"
                        " AND NOT EXISTS (SELECT 1 FROM revisions WHERE thread_id = ?)",
                        (created_thread, created_thread))
        except Exception:
            log.exception("could not remove the part-written revision %s; it stays hidden", revision_id)

    # -- queries --------------------------------------------------------------------------------------------

    _SUMMARY = (
        "SELECT t.id, t.slug, r.title, r.number, r.comment_count, r.imported_at FROM threads t"
        " JOIN revisions r ON r.id = t.current_revision_id"
    )

    async def threads(self, limit: int | None = None, offset: int = 0) -> list[ThreadSummary]:
        """Stored threads by id; ``limit`` and ``offset`` read one page of them."""
        async with self.conn.execute(self._SUMMARY + " ORDER BY t.id LIMIT ? OFFSET ?",
                                     (-1 if limit is None else max(0, limit), max(0, offset))) as cur:
            return [ThreadSummary(*row) for row in await cur.fetchall()]

    async def thread_count(self) -> int:
        async with self.conn.execute("SELECT COUNT(*) FROM threads WHERE current_revision_id IS NOT NULL") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def thread_summary(self, thread_id: int) -> ThreadSummary | None:
        if not _valid_id(thread_id):
            return None
        async with self.conn.execute(self._SUMMARY + " WHERE t.id = ?", (thread_id,)) as cur:
            row = await cur.fetchone()
        return ThreadSummary(*row) if row else None

    async def find_threads(self, words: str, limit: int = 25) -> list[ThreadSummary]:
        """Threads whose current title contains every word of ``words`` (any order), ignoring case, accents
        and compatibility forms (``été`` finds ``ÉTÉ``, ``strasse`` ``Straße``, ``cafe`` ``Café``)."""
        terms = [w for w in fold(words).split() if w]
        where = ""
        if terms:
            where = (" WHERE t.current_revision_id IN (SELECT id FROM revisions WHERE "
                     + " AND ".join("instr(title_key, ?) > 0" for _ in terms) + ")")
        sql = f"{self._SUMMARY}{where} ORDER BY r.imported_at DESC, t.id DESC LIMIT ?"
        async with self.conn.execute(sql, (*terms, max(0, limit))) as cur:
            return [ThreadSummary(*row) for row in await cur.fetchall()]

    async def thread_stats(self, thread_id: int) -> ThreadStats | None:
        """Title, byline and counts of the current revision: a few rows read, whatever the thread's size."""
        if not _valid_id(thread_id):
            return None
        async with self.conn.execute(
            "SELECT t.id, r.id, r.title, r.byline, r.number, r.comment_count, r.reply_count, r.commenter_count,"
            " r.top_authors, r.imported_at FROM threads t JOIN revisions r ON r.id = t.current_revision_id"
            " WHERE t.id = ?", (thread_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        replies, commenters, top_json = row[6], row[7], row[8]
        if replies is None or commenters is None or top_json is None:
            replies, commenters, top = await self._count_comments(row[1])  # a row written without summaries
        else:
            top = [(str(name), int(n)) for name, n in json.loads(top_json)]
        top.sort(key=lambda kv: (-kv[1], kv[0]))
        return ThreadStats(id=row[0], revision_id=row[1], title=row[2], byline=row[3], revision=row[4],
                           comments=row[5], replies=int(replies), commenters=int(commenters),
                           top_authors=tuple(top[:TOP_AUTHORS]), imported_at=row[9])

    async def _count_comments(self, revision_id: int) -> tuple[int, int, list[tuple[str, int]]]:
        async with self.conn.execute(
            "SELECT COUNT(reply_to), COUNT(DISTINCT author) FROM comments WHERE revision_id = ?", (revision_id,)
        ) as cur:
            row = await cur.fetchone()
        async with self.conn.execute(
            "SELECT author, COUNT(*) AS n FROM comments WHERE revision_id = ? GROUP BY author"
            " ORDER BY n DESC, author LIMIT ?", (revision_id, TOP_AUTHORS)
        ) as cur:
            top = [(r[0], int(r[1])) for r in await cur.fetchall()]
        return (int(row[0]), int(row[1]), top) if row else (0, 0, top)

    async def revision_title(self, revision_id: int) -> str | None:
        if not _valid_id(revision_id):
            return None
        async with self.conn.execute("SELECT title FROM revisions WHERE id = ?", (revision_id,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def revision_thread(self, revision_id: int) -> Thread | None:
        if not _valid_id(revision_id):
            return None
        async with self.conn.execute(
            "SELECT thread_id, number FROM revisions WHERE id = ? AND complete = 1", (revision_id,)
        ) as cur:
            row = await cur.fetchone()
        return await self.load_thread(row[0], row[1]) if row else None

    async def revision_id(self, thread_id: int, revision: int | None = None) -> int | None:
        """The id of the thread's current revision, or of revision number ``revision``."""
        if not _valid_id(thread_id) or (revision is not None and not _valid_id(revision)):
            return None
        args: tuple[int, ...] = (thread_id,)
        sql = "SELECT current_revision_id FROM threads WHERE id = ?"
        if revision is not None:
            sql = "SELECT id FROM revisions WHERE thread_id = ? AND number = ? AND complete = 1"
            args = (thread_id, revision)
        async with self.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def load_thread(self, thread_id: int, revision: int | None = None) -> Thread | None:
        """The whole thread, every comment: for replays and export, never for a summary."""
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
        if revision_id is None:
            return []
        typed = typed.strip()
        pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        async with self.conn.execute(
            "SELECT number, author, substr(text, 1, 200) FROM comments WHERE revision_id = ?"
            " AND (? = '' OR CAST(number AS TEXT) LIKE ? || '%' OR author LIKE ? ESCAPE '\\'"
            " OR substr(text, 1, 200) LIKE ? ESCAPE '\\') ORDER BY number LIMIT ?",
            (revision_id, typed, typed, pattern, pattern, limit),
        ) as cur:
            return [(row[0], row[1], row[2]) for row in await cur.fetchall()]

    # -- search ---------------------------------------------------------------------------------------------

    async def search_comments(self, query: str, limit: int = 20, *, advanced: bool = False) -> SearchResults:
        """Comments of the threads' current revisions matching ``query``, best first, and how many match.

        By default ``query`` is what a person types (see :mod:`db.search`): never a syntax error. With
        ``advanced`` it is an FTS5 query as SQLite reads it; one SQLite cannot read raises
        :class:`SearchSyntaxError`."""
        limit = max(1, min(int(limit), 1000))
        if advanced:
            if not query.strip():
                return SearchResults(0, [])
            words, substrings = query, []
        else:
            terms = parse_query(query)
            if not terms:
                return SearchResults(0, [])
            words = words_query([t for t in terms if not t.substring])
            substrings = [t for t in terms if t.substring]
        where, params = self._substring_conditions(substrings)
        base = " FROM comments c JOIN threads t ON t.current_revision_id = c.revision_id"
        if words:
            base = (" FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid"
                    " JOIN threads t ON t.current_revision_id = c.revision_id")
            where, params = ["comments_fts MATCH ?", *where], [words, *params]
        base += " WHERE " + " AND ".join(where)
        try:
            async with self.conn.execute(f"SELECT COUNT(*) FROM (SELECT 1{base} LIMIT ?)",
                                         (*params, SEARCH_COUNT_CAP)) as cur:
                row = await cur.fetchone()
            total = int(row[0]) if row else 0
            if words:
                sql = (f"SELECT t.id, c.number, c.author, snippet(comments_fts, -1, ?, ?, '…', 16){base}"
                       " ORDER BY rank LIMIT ?")
                args: tuple[Any, ...] = (MARK_OPEN, MARK_CLOSE, *params, limit)
            else:
                sql, args = f"SELECT t.id, c.number, c.author, c.text{base} ORDER BY c.id LIMIT ?", (*params, limit)
            async with self.conn.execute(sql, args) as cur:
                rows = await cur.fetchall()
        except sqlite3.OperationalError as exc:
            if advanced and not is_busy(exc):
                raise SearchSyntaxError(str(exc)) from None
            raise
        needles = [t.text for t in substrings]
        hits = [SearchHit(row[0], row[1], flatten(row[2]),
                          marked_snippet(row[3]) if words else substring_snippet(row[3], needles))
                for row in rows]
        return SearchResults(total, hits)

    @staticmethod
    def _substring_conditions(terms: list[Term]) -> tuple[list[str], list[Any]]:
        """SQL conditions finding each term anywhere in a comment's text or author, through ``comments_cjk``:
        its trigram index for three characters or more, a scan of that (small) table for shorter ones."""
        where: list[str] = []
        params: list[Any] = []
        long = [t.text for t in terms if len(t.text) >= 3]
        if long:
            where.append("c.id IN (SELECT rowid FROM comments_cjk WHERE comments_cjk MATCH ?)")
            params.append(" ".join(fts_string(text) for text in long))
        for term in terms:
            if len(term.text) < 3:
                where.append("c.id IN (SELECT rowid FROM comments_cjk WHERE instr(text, ?) > 0"
                             " OR instr(author, ?) > 0)")
                params += [term.text, term.text]
        return where, params

    async def counts(self) -> dict[str, int]:
        """Threads, revisions and comments stored (complete ones), from the revisions' counts."""
        async with self.conn.execute(
            "SELECT (SELECT COUNT(*) FROM threads WHERE current_revision_id IS NOT NULL),"
            " COUNT(*), COALESCE(SUM(comment_count), 0) FROM revisions WHERE complete = 1"
        ) as cur:
            row = await cur.fetchone()
        return dict(zip(("threads", "revisions", "comments"), map(int, row or (0, 0, 0)), strict=True))
