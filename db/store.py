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
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.model import Block, Comment, ReplySource, Thread
from bot.core.replays import LIVE_STATES, Replay
from db.bot_state import BotState
from db.busy import DEFAULT_POLICY, LockPolicy, is_busy, retry_busy
from db.discussions import DiscussionStore
from db.file_writer import (
    FileImport,
    ImportBusy,
    ImportRefused,
    ImportResult,
    insert_comments,
    on_connection_thread,
    write_file,
    write_files,
)
from db.folding import fold
from db.guild_config import GuildConfig
from db.migrate import migrate
from db.polls import PollStore
from db.replays import ReplayStore, replay_from_row
from db.rows import BLOCK_SEPARATOR, TOP_AUTHORS, CommentRow, comment_values, thread_rows
from db.search import (
    CAPTURED,
    COMMENTS,
    COUNT_CAP,
    RANK_WITHIN,
    SearchQuery,
    SearchSyntaxError,
    Snippet,
    captured_source,
    comment_source,
    flatten,
    marked_snippet,
    parse_query,
    substring_snippet,
    words_query,
)

log = logging.getLogger("rethread.db")

_BLOCK_SEPARATOR = BLOCK_SEPARATOR
MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger id names nothing

# Importing: at most this many comments per transaction; a file with more is written in several and shown only
# when complete. After holding the write lock for LOCK_SLICE seconds an import leaves it free for LOCK_PAUSE,
# so another process's writes (a running replay's progress) get their turn. While no other connection has
# committed for OTHERS_GONE seconds the slice is LONE_SLICE: an import alone pauses rarely (each pause is lost
# time), and a writer that comes along gets its chances that much less often until its first commit is seen.
CHUNK_COMMENTS = 5000
LOCK_SLICE = 1.0
LONE_SLICE = 4.0
OTHERS_GONE = 10.0
LOCK_PAUSE = 0.05

# Set on every connection; busy_timeout first, so that even switching to WAL waits for a busy database.
# secure_delete: what is deleted (a member's words above all) is overwritten in the file, not just unlinked.
CONNECT_PRAGMAS = ("PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA secure_delete = ON")
# Read-only connections for what commands show (Store.reading): READERS for the quick reads (a page, a thread's
# summary, autocomplete), LONG_READERS apart for searches and whole threads, so that those never hold up the others.
READERS = 3
LONG_READERS = 2


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
    source: str = "comment"  # or CAPTURED: a member wrote it in a discussion
    id: int = 0  # its row in that source

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


SEARCH_COUNT_CAP = COUNT_CAP


def comment_row(revision_id: int, comment: Comment) -> tuple:
    """A comment as the row the ``comments`` table stores (shared with the ingest benchmark's floor)."""
    return (revision_id, *comment_values(comment))


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


def _chunks(items: Sequence[CommentRow], size: int) -> list[Sequence[CommentRow]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


def _refusal(exc: BaseException) -> str:
    if isinstance(exc, ImportBusy):
        return "another process is importing this file right now; try again later"
    return f"the database refused its rows ({exc})"


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
        self._data_version: int | None = None  # PRAGMA data_version on the writer: moves when others commit
        self._others_committed = -OTHERS_GONE  # when an import last saw another connection's commit
        self.turns_given = 0  # pauses imports made for other writers
        self._idle_readers: list[aiosqlite.Connection] = []  # both kinds: a connection is a connection
        self._reader_slots = {False: asyncio.Semaphore(READERS), True: asyncio.Semaphore(LONG_READERS)}
        self._closed = False
        self.config = GuildConfig(conn, self.transaction)
        self.replays = ReplayStore(conn, policy)
        self.bot_state = BotState(conn, policy)
        self.polls = PollStore(conn, self.transaction, policy)
        self.discussions = DiscussionStore(conn, self.transaction, policy)

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
        self._closed = True
        try:
            if self._writer is not None:
                writer, self._writer = self._writer, None
                await writer.close()
            while self._idle_readers:
                await self._idle_readers.pop().close()
        finally:
            await self.conn.close()

    @asynccontextmanager
    async def reading(self, *, long: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only connection, opened when first needed: what commands show is read here, so a read waits
        neither for the shared connection's queue (replays' progress, votes) nor for a writer (WAL lets readers
        go on beside one). ``long`` reads (a search, a whole thread) take turns among LONG_READERS of their own,
        the others among READERS. Each statement sees the database as last committed."""
        async with self._reader_slots[long]:
            conn = self._idle_readers.pop() if self._idle_readers else await self._open_reader()
            try:
                yield conn
            finally:
                if self._closed:
                    await conn.close()
                else:
                    self._idle_readers.append(conn)

    async def _open_reader(self) -> aiosqlite.Connection:
        conn = await _connect(self.path, self.policy)
        await conn.execute("PRAGMA query_only = ON")  # a read path never writes, even by mistake
        return conn

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        # One trip to the connection's thread (execute, fetch and close there), not three: under a burst of
        # commands the trips, not the SQL, were most of the time.
        async with self.reading() as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def _fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._fetch(sql, params)
        return rows[0] if rows else None

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
        """Before an import transaction: after a slice of writing, leave the lock free a moment."""
        now = time.monotonic()
        others = now - self._others_committed < OTHERS_GONE
        if now - self._last_commit >= LOCK_PAUSE:
            self._writing_since = now  # the lock was free long enough since our last write
        elif now - self._writing_since >= (LOCK_SLICE if others else LONE_SLICE):
            await asyncio.sleep(LOCK_PAUSE)
            self.turns_given += 1
            self._writing_since = time.monotonic()

    async def _notice_other_writers(self, conn: aiosqlite.Connection) -> None:
        async with conn.execute("PRAGMA data_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if self._data_version is not None and version != self._data_version:
            self._others_committed = time.monotonic()
        self._data_version = version

    @asynccontextmanager
    async def _import_transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        await self._take_turns()
        try:
            async with self.transaction() as conn:
                await self._notice_other_writers(conn)
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
        return await self.import_file(FileImport(thread_rows(thread), source_key, sha256, source_path, slug,
                                                 tuple(legacy_keys)))

    async def import_file(self, item: FileImport) -> ImportResult:
        """:meth:`import_thread` for a file already turned into rows (see :mod:`db.rows`)."""
        rows = item.rows
        chunks = _chunks(rows.comments, CHUNK_COMMENTS)
        async with self._import_transaction() as conn:
            written = await on_connection_thread(conn, write_file, item, chunks[0], complete=len(chunks) == 1)
        if isinstance(written, ImportResult):
            return written
        try:
            for chunk in chunks[1:]:
                async with self._import_transaction() as conn:
                    await on_connection_thread(conn, insert_comments, written.revision_id, chunk, rows.substring)
                    await conn.execute("UPDATE revisions SET imported_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
                                       " WHERE id = ?", (written.revision_id,))  # still alive: not stale
            async with self._import_transaction() as conn:
                await conn.execute("UPDATE revisions SET complete = 1,"
                                   " imported_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
                                   (written.revision_id,))
                await conn.execute(
                    "UPDATE threads SET current_revision_id = (SELECT id FROM revisions WHERE thread_id = ?"
                    " AND complete = 1 ORDER BY number DESC LIMIT 1) WHERE id = ?",
                    (written.thread_id, written.thread_id))
        except BaseException:
            await self._discard(written.revision_id, written.thread_id if written.created_thread else None)
            raise
        return written.result

    async def import_files(self, items: Sequence[FileImport]) -> list[ImportResult | ImportRefused]:
        """Several files in one transaction, still all or nothing per file: if any of them fails, the whole
        transaction is rolled back and each file is written again on its own, so one bad file never takes the
        others with it. A file the store refuses (another process is importing it, rows that break a constraint)
        gets an :class:`ImportRefused` in its place; other errors (a full disk...) are raised. Files of more than
        CHUNK_COMMENTS comments are written on their own, in chunks."""
        results: list[ImportResult | ImportRefused | None] = [None] * len(items)
        small = [i for i, item in enumerate(items) if len(item.rows.comments) <= CHUNK_COMMENTS]
        if len(small) > 1:
            try:
                async with self._import_transaction() as conn:
                    written = await on_connection_thread(conn, write_files, [items[i] for i in small])
                for i, result in zip(small, written, strict=True):
                    results[i] = result
            except (ImportBusy, sqlite3.IntegrityError) as exc:
                log.info("a batch of %d files failed (%s); writing them one by one", len(small), exc)
        for i, item in enumerate(items):
            if results[i] is None:
                try:
                    results[i] = await self.import_file(item)
                except (ImportBusy, sqlite3.IntegrityError) as exc:
                    results[i] = ImportRefused(_refusal(exc))
        return [r for r in results if r is not None]

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
        rows = await self._fetch(self._SUMMARY + " ORDER BY t.id LIMIT ? OFFSET ?",
                                 (-1 if limit is None else max(0, limit), max(0, offset)))
        return [ThreadSummary(*row) for row in rows]

    async def thread_page(self, page: int, per_page: int) -> tuple[int, int, list[ThreadSummary]]:
        """(threads in all, the page shown, its threads): page ``page`` of ``per_page`` threads by id, or the last
        page when there are fewer; the count comes with the page, in one read."""
        per_page = max(1, per_page)
        page = max(1, min(page, 10**9))
        for _ in range(2):
            rows = await self._fetch(
                "SELECT (SELECT COUNT(*) FROM threads WHERE current_revision_id IS NOT NULL), t.id, t.slug, r.title,"
                " r.number, r.comment_count, r.imported_at FROM threads t JOIN revisions r"
                " ON r.id = t.current_revision_id ORDER BY t.id LIMIT ? OFFSET ?", (per_page, (page - 1) * per_page))
            if rows or page == 1:
                break
            page = max(1, -(-await self.thread_count() // per_page))  # past the end: the last page
        total = int(rows[0][0]) if rows else await self.thread_count()
        return total, page, [ThreadSummary(*row[1:]) for row in rows]

    async def thread_count(self) -> int:
        row = await self._fetch_one("SELECT COUNT(*) FROM threads WHERE current_revision_id IS NOT NULL")
        return int(row[0]) if row else 0

    async def thread_summary(self, thread_id: int) -> ThreadSummary | None:
        if not _valid_id(thread_id):
            return None
        row = await self._fetch_one(self._SUMMARY + " WHERE t.id = ?", (thread_id,))
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
        return [ThreadSummary(*row) for row in await self._fetch(sql, (*terms, max(0, limit)))]

    async def thread_stats(self, thread_id: int) -> ThreadStats | None:
        """Title, byline and counts of the current revision: a few rows read, whatever the thread's size."""
        if not _valid_id(thread_id):
            return None
        row = await self._fetch_one(
            "SELECT t.id, r.id, r.title, r.byline, r.number, r.comment_count, r.reply_count, r.commenter_count,"
            " r.top_authors, r.imported_at FROM threads t JOIN revisions r ON r.id = t.current_revision_id"
            " WHERE t.id = ?", (thread_id,))
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
        row = await self._fetch_one(
            "SELECT COUNT(reply_to), COUNT(DISTINCT author) FROM comments WHERE revision_id = ?", (revision_id,))
        top = [(r[0], int(r[1])) for r in await self._fetch(
            "SELECT author, COUNT(*) AS n FROM comments WHERE revision_id = ? GROUP BY author"
            " ORDER BY n DESC, author LIMIT ?", (revision_id, TOP_AUTHORS))]
        return (int(row[0]), int(row[1]), top) if row else (0, 0, top)

    async def live_replay(self, channel_ids: Sequence[int]) -> tuple[Replay, str] | None:
        """The live replay of the first of these channels that has one, with its thread's title: one quick read
        (not queued behind the replays' own writes on the shared connection)."""
        ids = [c for c in channel_ids if _valid_id(c)]
        if not ids:
            return None
        marks = ", ".join("?" * len(ids))
        order = " ".join(f"WHEN {i} THEN {n}" for n, i in enumerate(ids))
        live = ", ".join(f"'{state.value}'" for state in sorted(LIVE_STATES))
        row = await self._fetch_one(
            f"SELECT r.*, v.title AS thread_title FROM replays r JOIN revisions v ON v.id = r.revision_id"
            f" WHERE r.channel_id IN ({marks}) AND r.state IN ({live}) ORDER BY CASE r.channel_id {order} END"
            " LIMIT 1", ids)
        return (replay_from_row(row), row["thread_title"]) if row else None

    async def revision_title(self, revision_id: int) -> str | None:
        if not _valid_id(revision_id):
            return None
        row = await self._fetch_one("SELECT title FROM revisions WHERE id = ?", (revision_id,))
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
        row = await self._fetch_one(*self._revision_sql(thread_id, revision))
        return row[0] if row else None

    @staticmethod
    def _revision_sql(thread_id: int, revision: int | None) -> tuple[str, tuple[int, ...]]:
        if revision is None:
            return "SELECT current_revision_id FROM threads WHERE id = ?", (thread_id,)
        return "SELECT id FROM revisions WHERE thread_id = ? AND number = ? AND complete = 1", (thread_id, revision)

    async def load_thread(self, thread_id: int, revision: int | None = None) -> Thread | None:
        """The whole thread, every comment: for replays and export, never for a summary."""
        if not _valid_id(thread_id) or (revision is not None and not _valid_id(revision)):
            return None
        async with self.reading(long=True) as conn:  # one connection throughout: it never waits for a quick one
            found = list(await conn.execute_fetchall(*self._revision_sql(thread_id, revision)))
            revision_id = found[0][0] if found else None
            if revision_id is None:
                return None
            async with conn.execute(
                "SELECT title, byline, article, warnings FROM revisions WHERE id = ?", (revision_id,)
            ) as cur:
                rev = await cur.fetchone()
            if rev is None:
                return None
            async with conn.execute(
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
        if not _valid_id(thread_id):
            return []
        typed = typed.strip()
        pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._fetch(
            "SELECT number, author, substr(text, 1, 200) FROM comments"
            " WHERE revision_id = (SELECT current_revision_id FROM threads WHERE id = ?)"
            " AND (? = '' OR CAST(number AS TEXT) LIKE ? || '%' OR author LIKE ? ESCAPE '\\'"
            " OR substr(text, 1, 200) LIKE ? ESCAPE '\\') ORDER BY number LIMIT ?",
            (thread_id, typed, typed, pattern, pattern, limit))
        return [(row[0], row[1], row[2]) for row in rows]

    # -- search ---------------------------------------------------------------------------------------------

    async def search_comments(self, query: str, limit: int = 20, *, advanced: bool = False,
                              guild_id: int | None = None, thread_id: int | None = None) -> SearchResults:
        """Comments of the threads' current revisions matching ``query``, and how many match (counted up to
        SEARCH_COUNT_CAP). The hits are the best by bm25 among the newest RANK_WITHIN matches (all of them, for
        most queries), so a common word costs no more than a rare one; snippets are made for the hits only.

        By default ``query`` is what a person types (see :mod:`db.search`): never a syntax error. With
        ``advanced`` it is an FTS5 query as SQLite reads it; one SQLite cannot read raises
        :class:`SearchSyntaxError`.

        ``guild_id``: also what members wrote in that guild's discussions; ``thread_id``: that thread only."""
        limit = max(1, min(int(limit), 1000))
        sources = (comment_source(thread_id), *([captured_source(guild_id, thread_id)] if guild_id else []))
        if advanced:
            if not query.strip():
                return SearchResults(0, [])
            search = SearchQuery(query, sources=sources)
        else:
            terms = parse_query(query)
            if not terms:
                return SearchResults(0, [])
            search = SearchQuery(words_query([t for t in terms if not t.substring]),
                                 tuple(t.text for t in terms if t.substring), sources)
        try:
            async with self.reading(long=True) as conn:
                counted = list(await conn.execute_fetchall(*search.count(SEARCH_COUNT_CAP)))
                total = int(counted[0][0]) if counted else 0
                rows = list(await conn.execute_fetchall(*search.top(limit, RANK_WITHIN)))
                marked: dict[tuple[str, int], str] = {}  # (source, id): its snippet
                for source in search.sources if search.words else ():
                    if ids := [r[1] for r in rows if r[0] == source.name]:
                        snippets = await conn.execute_fetchall(*search.snippets(source, ids))
                        marked.update(((source.name, r[0]), r[1]) for r in snippets)
        except sqlite3.OperationalError as exc:
            if advanced and not is_busy(exc):
                raise SearchSyntaxError(str(exc)) from None
            raise
        needles = list(search.substrings)
        hits = [SearchHit(row[2], row[3], flatten(row[4]),
                          marked_snippet(marked.get((row[0], row[1]), "")) if search.words
                          else substring_snippet(row[5], needles), row[0], row[1])
                for row in rows]
        return SearchResults(total, hits)

    async def jump_targets(self, guild_id: int, hits: Sequence[SearchHit]) -> dict[tuple[str, int], tuple[int, int]]:
        """Where each hit can be seen in this guild, as (channel id, message id): the latest replay of an imported
        comment here, or the message a member wrote. Hits seen nowhere here are left out. Two reads in all."""
        found: dict[tuple[str, int], tuple[int, int]] = {}
        captured = [h.id for h in hits if h.source == CAPTURED]
        imported = [h.id for h in hits if h.source != CAPTURED]
        if captured:
            for row in await self._fetch(
                    "SELECT dc.id, d.channel_id, dc.message_id FROM discussion_comments dc JOIN discussions d"
                    f" ON d.id = dc.discussion_id WHERE d.guild_id = ? AND dc.id IN ({', '.join('?' * len(captured))})",
                    (guild_id, *captured)):
                found[(CAPTURED, row[0])] = (row[1], row[2])
        if imported:
            rows = await self._fetch(
                "SELECT c.id, r.channel_id, p.message_id FROM comments c"
                " JOIN replays r ON r.revision_id = c.revision_id"
                " JOIN replay_posts p ON p.replay_id = r.id AND p.comment_number = c.number AND p.part = 0"
                f" WHERE c.id IN ({', '.join('?' * len(imported))}) AND r.guild_id = ? AND p.message_id IS NOT NULL"
                " ORDER BY r.id", (*imported, guild_id))
            for row in rows:  # the latest replay last: it wins
                found[(COMMENTS.name, row[0])] = (row[1], row[2])
        return found

    async def counts(self) -> dict[str, int]:
        """Threads, revisions and comments stored (complete ones), from the revisions' counts."""
        row = await self._fetch_one(
            "SELECT (SELECT COUNT(*) FROM threads WHERE current_revision_id IS NOT NULL),"
            " COUNT(*), COALESCE(SUM(comment_count), 0) FROM revisions WHERE complete = 1")
        return dict(zip(("threads", "revisions", "comments"), map(int, row or (0, 0, 0)), strict=True))
