"""The SQLite store on a real file: migrations, idempotent import, revisions, atomicity, search."""

from __future__ import annotations

import sqlite3

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
    hits = await store.search_comments("strudel")
    assert {author for _, _, author, _ in hits} >= {"Quiet Reader", "Nadia Haddad"}
    assert any("**strudel**" in snippet for *_, snippet in hits)
    assert [t.title for t in await store.find_threads("night MARKET")] == [
        "Town Council Votes to Turn Old Rail Depot Into a Night Market"]
    assert await store.find_threads("night lighthouse") == []
