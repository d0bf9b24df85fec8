"""Writing imported files into an open transaction: the thread found or created, its revision, its comments.

Plain ``sqlite3`` and synchronous on purpose: :func:`on_connection_thread` runs a whole batch of files as one call
on aiosqlite's own thread. Awaiting each of a file's ten or so statements in turn left that thread idle a fifth of
an import, waiting for the event loop to ask for the next one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Literal, NamedTuple, ParamSpec, TypeVar

import aiosqlite

from db.rows import INSERT_COMMENT, CommentRow, ThreadRows

ImportStatus = Literal["new", "revision", "unchanged"]
STALE_PENDING = "-15 minutes"  # a part-written revision untouched this long was left by a process that died

T = TypeVar("T")
P = ParamSpec("P")


class ImportBusy(Exception):
    """The same file is being imported by another process right now."""


@dataclass(frozen=True, slots=True)
class ImportRefused:
    """A file of a batch that the store did not take (nothing of it was written), and why, in words."""

    reason: str


@dataclass(frozen=True, slots=True)
class FileImport:
    """One file to store: its rows (:func:`db.rows.thread_rows`) and what identifies it (see
    :meth:`db.store.Store.import_thread`)."""

    rows: ThreadRows
    source_key: str
    sha256: str
    source_path: str
    slug: str | None = None
    legacy_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportResult:
    status: ImportStatus
    thread_id: int
    revision: int
    comments: int


class Written(NamedTuple):
    """A revision written (complete or not yet): what finishing or discarding it needs."""

    revision_id: int
    thread_id: int
    created_thread: bool
    result: ImportResult


async def on_connection_thread(conn: aiosqlite.Connection, work: Callable[Concatenate[sqlite3.Connection, P], T],
                               *args: P.args, **kwargs: P.kwargs) -> T:
    """``work(connection, *args, **kwargs)`` with the ``sqlite3`` connection under ``conn``, on its thread, in turn
    with its other statements: many statements for one await.

    aiosqlite has no public call for this; ``_execute`` and ``_conn`` are what each of its own methods goes
    through (pyproject pins the versions this was read against)."""
    return await conn._execute(lambda: work(conn._conn, *args, **kwargs))


def write_files(conn: sqlite3.Connection, items: Sequence[FileImport]) -> list[ImportResult]:
    """Inside a transaction: every file of ``items`` whole. Raises on the first file the database refuses."""
    results = []
    for item in items:
        written = write_file(conn, item, item.rows.comments, complete=True)
        results.append(written if isinstance(written, ImportResult) else written.result)
    return results


def write_file(conn: sqlite3.Connection, item: FileImport, comments: Sequence[CommentRow], *,
               complete: bool) -> ImportResult | Written:
    """Inside a transaction: the thread (found or created), its revision and ``comments`` (all of the file's, or
    its first part when ``complete`` is false). An unchanged file is just its ImportResult."""
    rows, source_key, sha256 = item.rows, item.source_key, item.sha256
    found = _thread_by_key(conn, source_key, item.legacy_keys)
    created = found is None
    if found is not None:
        thread_id, had_current, key = found
        same = conn.execute(
            "SELECT number, comment_count FROM revisions WHERE thread_id = ? AND sha256 = ? AND complete = 1",
            (thread_id, sha256)).fetchone()
        if key != source_key:  # found by a legacy key: from now on, by its own
            conn.execute("UPDATE threads SET source_key = ? WHERE id = ?", (source_key, thread_id))
        if same is not None:
            return ImportResult("unchanged", thread_id, same[0], same[1])
        conn.execute(
            "DELETE FROM revisions WHERE thread_id = ? AND complete = 0"
            f" AND imported_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '{STALE_PENDING}')", (thread_id,))
        busy = conn.execute("SELECT COUNT(*) FROM revisions WHERE thread_id = ? AND sha256 = ? AND complete = 0",
                            (thread_id, sha256)).fetchone()
        if busy and busy[0]:
            raise ImportBusy(f"{item.source_path} is being imported by another process right now")
        number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE thread_id = ?",
                              (thread_id,)).fetchone()[0]
    else:
        copy = conn.execute(
            "SELECT t.id, r.number, r.comment_count FROM threads t JOIN revisions r"
            " ON r.id = t.current_revision_id WHERE r.sha256 = ? ORDER BY t.id LIMIT 1", (sha256,)).fetchone()
        if copy is not None:
            return ImportResult("unchanged", copy[0], copy[1], copy[2])
        cur = conn.execute("INSERT INTO threads (slug, source_key) VALUES (?, ?)",
                           (_free_slug(conn, item.slug or "thread"), source_key))
        thread_id, had_current, number = cur.lastrowid or 0, False, 1
    cur = conn.execute(
        "INSERT INTO revisions (thread_id, number, sha256, source_path, title, byline, article,"
        " comment_count, warnings, complete, title_key, reply_count, commenter_count, top_authors)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (thread_id, number, sha256, item.source_path, rows.title, rows.byline, rows.article, len(rows.comments),
         rows.warnings, int(complete), rows.title_key, rows.replies, rows.commenters, rows.top_authors))
    revision_id = cur.lastrowid or 0
    insert_comments(conn, revision_id, comments, rows.substring)
    if complete:
        conn.execute("UPDATE threads SET current_revision_id = ? WHERE id = ?", (revision_id, thread_id))
    result = ImportResult("revision" if had_current else "new", thread_id, number, len(rows.comments))
    return result if complete else Written(revision_id, thread_id, created, result)


def insert_comments(conn: sqlite3.Connection, revision_id: int, comments: Sequence[CommentRow],
                    substring: Sequence[int] = ()) -> None:
    """Insert comments (their ``comments_fts`` rows by trigger), and into ``comments_cjk`` those of them in a
    script written without spaces (``substring``: decided by :func:`db.rows.thread_rows` in Python, as a per-row
    SQL test (GLOB) would cost more than the rest)."""
    if not comments:
        return
    conn.executemany(INSERT_COMMENT, ((revision_id, *row) for row in comments))
    first, last = comments[0][0], comments[-1][0]
    numbers = [n for n in substring if first <= n <= last]
    for i in range(0, len(numbers), 500):
        part = numbers[i : i + 500]
        conn.execute(
            "INSERT INTO comments_cjk (rowid, author, text) SELECT id, author, text FROM comments"
            f" WHERE revision_id = ? AND number IN ({', '.join('?' * len(part))})", (revision_id, *part))


def _thread_by_key(conn: sqlite3.Connection, key: str, legacy_keys: Sequence[str]) -> tuple[int, bool, str] | None:
    """(thread id, has a current revision, the key it was found by) of the thread with this key, else with one of
    the legacy keys."""
    keys = (key, *legacy_keys)
    row: Any = conn.execute(
        f"SELECT id, current_revision_id, source_key FROM threads WHERE source_key IN ({', '.join('?' * len(keys))})"
        " ORDER BY source_key = ? DESC, id LIMIT 1", (*keys, key)).fetchone()
    return (row[0], row[1] is not None, row[2]) if row else None


def _free_slug(conn: sqlite3.Connection, base: str) -> str:
    candidate, n = base, 1
    while conn.execute("SELECT 1 FROM threads WHERE slug = ?", (candidate,)).fetchone() is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
