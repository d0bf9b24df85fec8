"""The SQLite store on a real file: migrations, idempotent import, revisions, atomicity, search."""

from __future__ import annotations

import sqlite3
from collections import Counter

import aiosqlite
import pytest

from bot.core.model import Block, Comment, Thread
from bot.core.parser import LoadedFile, load_thread_file
from bot.importer import import_loaded, import_paths
from db.migrate import MigrationError, available
from db.store import Store
from tests.conftest import DEMO_SEEDS


async def test_fresh_database_is_migrated_in_wal_mode_with_foreign_keys(store):
    async with store.conn.execute("PRAGMA user_version") as cur:
        assert (await cur.fetchone())[0] == available()[-1].version
    async with store.conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    async with store.conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1


async def test_database_newer_than_the_code_is_refused(tmp_path):
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(MigrationError, match="schema version 999, newer than this Rethread"):
        await Store.open(path)


async def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "db.sqlite3"
    for _ in range(2):
        store = await Store.open(path)
        await store.close()
    async with aiosqlite.connect(path) as conn, conn.execute("SELECT COUNT(*) FROM threads") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_an_older_database_gets_only_the_newer_migrations_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    first = available()[0]
    with sqlite3.connect(path) as conn:  # a database written by the first release
        conn.executescript(first.sql + f"\nPRAGMA user_version = {first.version};")
        conn.execute("INSERT INTO threads (slug) VALUES ('kept')")
    store = await Store.open(path)
    try:
        async with store.conn.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == available()[-1].version
        async with store.conn.execute("SELECT slug FROM threads") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["kept"]
    finally:
        await store.close()


@pytest.mark.parametrize("path", DEMO_SEEDS, ids=lambda p: p.stem)
async def test_stored_thread_reads_back_equal(store, path):
    loaded = load_thread_file(path)
    result = await import_loaded(store, loaded)
    assert (result.status, result.revision, result.comments) == ("new", 1, len(loaded.thread.comments))
    assert await store.load_thread(result.thread_id) == loaded.thread


async def test_import_is_idempotent_and_changes_become_revisions(store, tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Story\n\nBody.\n\nAnn's picture\n\nFirst version of my comment.\n")
    first = await import_loaded(store, load_thread_file(path))
    again = await import_loaded(store, load_thread_file(path))
    assert (first.status, again.status, again.revision) == ("new", "unchanged", 1)
    assert await store.counts() == {"threads": 1, "revisions": 1, "comments": 1}

    path.write_text("Story\n\nBody.\n\nAnn's picture\n\nSecond version.\n\nBen's picture\n\nA reply.\n")
    changed = await import_loaded(store, load_thread_file(path))
    assert (changed.status, changed.thread_id, changed.revision) == ("revision", first.thread_id, 2)
    assert [c.paragraphs for c in (await store.load_thread(first.thread_id)).comments] == [
        ["Second version."], ["A reply."]]
    old = await store.load_thread(first.thread_id, revision=1)
    assert [c.paragraphs for c in old.comments] == [["First version of my comment."]]
    assert [t.revision for t in await store.threads()] == [2]


async def test_a_failing_import_leaves_nothing_half_written(store, tmp_path):
    # Comment 2 replies to a comment that does not exist: the foreign key fails after the thread, the
    # revision and comment 1 were already inserted in the same transaction.
    bad = Thread("Broken", None, ("Body.",), (
        Comment(1, "Ann", True, None, None, None, None, (Block("ok"),)),
        Comment(2, "Ben", True, None, 7, "Ghost", "quote", (Block("dangling"),)),
    ))
    with pytest.raises(sqlite3.IntegrityError):
        await import_loaded(store, LoadedFile(tmp_path / "broken.txt", bad, "0" * 64))
    assert await store.counts() == {"threads": 0, "revisions": 0, "comments": 0}
    assert not store.conn.in_transaction
    # The store is still usable afterwards.
    assert (await import_loaded(store, load_thread_file(DEMO_SEEDS[0]))).status == "new"


async def test_writes_are_not_disturbed_by_other_tasks_reading(store):
    """A replay may be half-way through reading while an import or /config set commits: the write must neither
    fail ("SQL statements in progress") nor absorb the other task's statements."""
    await import_loaded(store, load_thread_file(DEMO_SEEDS[0]))
    async with store.conn.execute("SELECT id FROM comments") as cursor:
        await cursor.fetchone()  # a read left open, as between two awaits of another task
        result = await import_loaded(store, load_thread_file(DEMO_SEEDS[1]))
        changes = await store.config.set(42, 7, profanity="mask")
    assert result.status == "new" and [c.key for c in changes] == ["profanity"]
    assert (await store.config.get(42)).profanity == "mask"
    assert (await store.counts())["threads"] == 2


async def test_import_paths_reports_each_bad_file_and_goes_on(store, tmp_path):
    (tmp_path / "a-good.txt").write_text("Good\n\nBody.\n")
    (tmp_path / "b-empty.txt").write_text("")
    (tmp_path / "c-binary.txt").write_bytes(b"\x00\x01\x02" * 50)
    (tmp_path / "d-good.txt").write_text("Also good\n\nBody.\n\nAnn's picture\n\nHi.\n")
    summary = await import_paths(store, [tmp_path, tmp_path / "missing.txt"])
    assert summary.new_threads == 2 and summary.comments == 1
    assert {p.name: reason for p, reason in summary.failed} == {
        "b-empty.txt": "the file is empty",
        "c-binary.txt": "this looks like a binary file, not a text thread file",
        "missing.txt": "no such file",
    }


async def test_full_text_search_and_title_lookup(store):
    for path in DEMO_SEEDS:
        await import_loaded(store, load_thread_file(path))
    results = await store.search_comments("strudel")
    assert results.total == len(results.hits) >= 2
    assert {hit.author for hit in results.hits} >= {"Quiet Reader", "Nadia Haddad"}
    for hit in results.hits:  # plain text on one line, the match marked as a highlighted piece
        assert "**" not in hit.text and "\n" not in hit.text
        assert ("strudel", True) in hit.snippet
    assert [t.title for t in await store.find_threads("night MARKET")] == [
        "Town Council Votes to Turn Old Rail Depot Into a Night Market"]
    assert await store.find_threads("night lighthouse") == []


async def test_thread_stats_and_pages_come_from_sql_not_from_loading_the_thread(store, monkeypatch):
    for path in DEMO_SEEDS:
        await import_loaded(store, load_thread_file(path))
    expected = {}
    for row in await store.threads():
        thread = await store.load_thread(row.id)
        authors = Counter(c.author for c in thread.comments)
        expected[row.id] = (len(thread.comments), sum(c.reply_to is not None for c in thread.comments),
                            len(authors), sorted(authors.items(), key=lambda kv: (-kv[1], kv[0]))[:5])

    async def no_whole_threads(*args, **kwargs):
        raise AssertionError("a summary must not load the whole thread")

    monkeypatch.setattr(store, "load_thread", no_whole_threads)
    for thread_id, (comments, replies, commenters, top) in expected.items():
        stats = await store.thread_stats(thread_id)
        assert (stats.comments, stats.replies, stats.commenters, list(stats.top_authors[:5])) == (
            comments, replies, commenters, top)
    assert await store.thread_count() == 3
    assert [t.id for t in await store.threads(limit=2)] == [1, 2]
    assert [t.id for t in await store.threads(limit=2, offset=2)] == [3]
    assert await store.thread_stats(99) is None and await store.thread_stats(10**30) is None


async def test_migration_fills_summaries_and_title_keys_of_an_existing_database(tmp_path):
    """A database written before migration 0004 gets its summaries, folded titles and current revisions."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for migration in available()[:3]:
            conn.executescript(migration.sql)
        conn.execute("PRAGMA user_version = 3")
        conn.execute("INSERT INTO threads (id, slug) VALUES (1, 'strasse')")
        for number in (1, 2):
            conn.execute("INSERT INTO revisions (id, thread_id, number, sha256, source_path, title, article,"
                         " comment_count) VALUES (?, 1, ?, ?, 'in/strasse.txt', ?, '[]', 3)",
                         (number, number, f"sha{number}", f"Die Straße, Teil {number}"))
        conn.executemany("INSERT INTO comments (revision_id, number, author, verified, reply_to, text, blocks)"
                         " VALUES (2, ?, ?, 1, ?, ?, 'p')",
                         [(1, "Ann", None, "Hallo"), (2, "Ben", 1, "Ja"), (3, "Ann", 2, "我们在北京")])
    store = await Store.open(path)
    try:
        stats = await store.thread_stats(1)
        assert (stats.revision, stats.comments, stats.replies, stats.commenters) == (2, 3, 2, 2)
        assert stats.top_authors == (("Ann", 2), ("Ben", 1))
        assert [t.revision for t in await store.find_threads("STRASSE teil")] == [2]
        assert [h.number for h in (await store.search_comments("北京")).hits] == [3]
    finally:
        await store.close()
