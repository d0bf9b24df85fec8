"""Import at scale: parse workers that load only the parser and send plain rows back, several files per
transaction with each file still all or nothing, and `rethread import --workers`."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.model import Block, Comment, Thread
from bot.core.parser import load_thread_file
from bot.importer import PARALLEL_FROM, ParseWorkers, import_paths, source_key
from db.file_writer import FileImport, ImportRefused, ImportResult
from db.rows import thread_rows
from db.store import Store
from tests.conftest import DEMO_SEEDS, ROOT

# What a worker must never load: the command line (the console script's imports), Discord, SQLite's async layer.
HEAVY = ("bot.cli", "bot.runtime", "discord", "aiohttp", "aiosqlite", "click", "rich", "db.store")


async def test_a_parse_worker_loads_the_parser_but_not_the_cli_discord_or_sqlite():
    workers = await ParseWorkers(1, 20 * 1024 * 1024).start()
    try:
        kind, modules = await workers.submit({"ask": "modules"})
    finally:
        await workers.close()
    assert kind == "modules"
    assert "bot.core.parser" in modules and "db.rows" in modules
    assert [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)] == []
    assert "_hashlib" not in modules  # OpenSSL: 4 MB in every worker for one SHA-256 per file


def test_the_file_hash_is_the_standard_sha256(tmp_path):
    import hashlib

    path = tmp_path / "t.txt"
    data = "Title\n\nBody, with é and ☃.\n".encode() * 5000
    path.write_bytes(data)
    assert load_thread_file(path).sha256 == hashlib.sha256(data).hexdigest()


async def test_a_worker_sends_back_plain_rows_equal_to_parsing_here():
    seed = next(p for p in DEMO_SEEDS if "lighthouse" in p.name)
    workers = await ParseWorkers(2, 20 * 1024 * 1024).start()
    try:
        answers = [await f for f in [workers.submit(str(seed)), workers.submit(str(ROOT / "missing.txt"))]]
    finally:
        await workers.close()
    (kind, path, sha256, rows), bad = answers
    loaded = load_thread_file(seed)
    assert (kind, path, sha256) == ("ok", str(seed), loaded.sha256)
    assert rows == thread_rows(loaded.thread)
    assert all(type(v) in (int, str, type(None)) for row in rows.comments for v in row)  # no dataclasses
    assert rows.comments[0][:3] == (1, "Fiona Moir-Hastings", 1)
    assert bad == ("bad", str(ROOT / "missing.txt"), "no such file")


def _thread(title: str, comments: int, *, dangling: bool = False) -> Thread:
    """A small thread; ``dangling``: its last comment replies to a comment that does not exist (the store's
    foreign key refuses it), which no parsed file has, so it stands for any row the database refuses."""
    made = [Comment(number=n, author=f"author {n % 3}", verified=True, posted_at=None,
                    reply_to=(comments + 5 if dangling and n == comments else None), reply_to_author=None,
                    reply_source=None, body=(Block(f"{title} comment {n} says something"),))
            for n in range(1, comments + 1)]
    return Thread(title=title, byline=None, article=("An article.",), comments=tuple(made))


def _item(thread: Thread, key: str) -> FileImport:
    return FileImport(thread_rows(thread), source_key=key, sha256=f"sha-{key}", source_path=f"/{key}.txt", slug=key)


def _stored(path: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT t.source_key, r.title, COUNT(c.id) FROM threads t JOIN revisions r"
                            " ON r.thread_id = t.id LEFT JOIN comments c ON c.revision_id = r.id"
                            " GROUP BY r.id ORDER BY t.id").fetchall()


async def test_a_bad_file_in_a_batch_keeps_only_its_own_error(store):
    items = [_item(_thread("First", 3), "a"), _item(_thread("Bad", 4, dangling=True), "b"),
             _item(_thread("Third", 2), "c")]
    results = await store.import_files(items)
    assert [r.status if isinstance(r, ImportResult) else "refused" for r in results] == ["new", "refused", "new"]
    assert isinstance(results[1], ImportRefused) and "FOREIGN KEY constraint failed" in results[1].reason
    assert _stored(store.path) == [("a", "First", 3), ("c", "Third", 2)]
    with sqlite3.connect(store.path) as conn:  # nothing of the bad file anywhere, its search rows included
        assert conn.execute("SELECT COUNT(*) FROM comments_fts WHERE comments_fts MATCH 'Bad'").fetchone() == (0,)


@given(plan=st.lists(st.tuples(st.integers(1, 6), st.booleans()), min_size=1, max_size=8))
def test_a_batch_stores_exactly_what_one_file_at_a_time_stores(tmp_path_factory, plan):
    """Any mix of good and refused files: the batch leaves the same rows as importing each file alone."""
    import asyncio

    items = [_item(_thread(f"T{i}", n, dangling=bad), f"k{i}") for i, (n, bad) in enumerate(plan)]

    async def run(path: Path, batched: bool) -> list[str]:
        async with Store.opened(path) as store:
            results = (await store.import_files(items) if batched
                       else [r for item in items for r in await store.import_files([item])])
        return [r.status if isinstance(r, ImportResult) else "refused" for r in results]

    folder = tmp_path_factory.mktemp("batch")
    batched = asyncio.run(run(folder / "batched.sqlite3", True))
    alone = asyncio.run(run(folder / "alone.sqlite3", False))
    assert batched == alone == ["refused" if bad else "new" for _, bad in plan]
    assert _stored(folder / "batched.sqlite3") == _stored(folder / "alone.sqlite3") == [
        (f"k{i}", f"T{i}", n) for i, (n, bad) in enumerate(plan) if not bad]


async def test_a_file_another_process_is_importing_fails_alone_among_many(store, tmp_path):
    """Real files through the workers; one of them is half-written by another process, one is not a thread."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(PARALLEL_FROM + 2):
        seed = DEMO_SEEDS[i % len(DEMO_SEEDS)]
        text = seed.read_text(encoding="utf-8").replace("\n", f"\n\nCopy {i} of this thread.\n", 1)
        (folder / f"t{i:02}.txt").write_text(text, encoding="utf-8")
    (folder / "t05.txt").write_bytes(b"\x00\x01\x02" * 100)
    busy = folder / "t07.txt"
    loaded = load_thread_file(busy)
    async with store.transaction() as conn:  # what another importer leaves while it writes a large file
        cur = await conn.execute("INSERT INTO threads (slug, source_key) VALUES ('t07', ?)", (source_key(busy),))
        await conn.execute("INSERT INTO revisions (thread_id, number, sha256, source_path, title, article,"
                           " comment_count, complete) VALUES (?, 1, ?, ?, 'x', '[]', 0, 0)",
                           (cur.lastrowid, loaded.sha256, str(busy)))
    summary = await import_paths(store, [folder], workers=2)
    assert sorted((p.name, reason) for p, reason in summary.failed) == [
        ("t05.txt", "this looks like a binary file, not a text thread file"),
        ("t07.txt", "another process is importing this file right now; try again later")]
    assert sorted(p.name for p, r in summary.stored if r.status == "new") == [
        f"t{i:02}.txt" for i in range(PARALLEL_FROM + 2) if i not in (5, 7)]
    assert await store.thread_count() == PARALLEL_FROM  # the half-written one stays hidden


@pytest.mark.parametrize("workers", ["0", "1", "3"])
def test_rethread_import_workers_option(tmp_path, workers):
    import os
    import subprocess
    import sys

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(PARALLEL_FROM):
        shutil.copyfile(DEMO_SEEDS[i % len(DEMO_SEEDS)], folder / f"{i}.txt")
    env = {**os.environ, "RETHREAD_DB": str(tmp_path / "db.sqlite3"), "DISCORD_TOKEN": ""}
    result = subprocess.run([sys.executable, "-m", "bot", "import", "--workers", workers, str(folder)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # Copies of a stored file's bytes are the same thread's content: one thread per distinct demo seed.
    assert f"imported {len(DEMO_SEEDS)} new thread(s)" in result.stdout
    assert f"{PARALLEL_FROM - len(DEMO_SEEDS)} unchanged; 0 failed" in result.stdout


async def test_files_of_a_worker_that_dies_are_parsed_by_the_importer(store, tmp_path, monkeypatch):
    """kill -9 of every worker mid-import (as the OOM killer would): nothing is lost, nothing fails."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(PARALLEL_FROM * 2):
        text = DEMO_SEEDS[i % len(DEMO_SEEDS)].read_text(encoding="utf-8")
        (folder / f"t{i:02}.txt").write_text(text.replace("\n", f"\n\nCopy {i}.\n", 1), encoding="utf-8")
    pools: list[ParseWorkers] = []
    start = ParseWorkers.start

    async def keep(self: ParseWorkers) -> ParseWorkers:
        pools.append(self)
        return await start(self)

    def kill_after_first(path: Path) -> None:
        if path.name == "t00.txt":
            for proc in pools[0].procs:
                proc.kill()

    monkeypatch.setattr(ParseWorkers, "start", keep)
    summary = await import_paths(store, [folder], workers=2, on_file=kill_after_first)
    assert summary.failed == []
    assert sorted(p.name for p, r in summary.stored if r.status == "new") == [
        f"t{i:02}.txt" for i in range(PARALLEL_FROM * 2)]
    assert all(proc.returncode == -9 for proc in pools[0].procs)


async def test_work_on_the_connection_thread_is_inside_the_open_transaction(store):
    """A batch of files is one call on aiosqlite's own thread (db.file_writer.on_connection_thread, which goes
    through aiosqlite's private ``_execute``): it must see the transaction's uncommitted rows, run off the event
    loop's thread, and an error in it must roll the whole transaction back. Fails if aiosqlite changes how it
    runs calls."""
    import threading

    from db.file_writer import on_connection_thread

    def look(conn: sqlite3.Connection, slug: str) -> tuple[int, bool]:
        found = conn.execute("SELECT COUNT(*) FROM threads WHERE slug = ?", (slug,)).fetchone()[0]
        return found, threading.current_thread() is threading.main_thread()

    async with store.transaction() as conn:
        await conn.execute("INSERT INTO threads (slug, source_key) VALUES ('kept', 'k1')")
        assert await on_connection_thread(conn, look, "kept") == (1, False)

    def fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO threads (slug, source_key) VALUES ('lost', 'k2')")
        raise sqlite3.IntegrityError("refused")

    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        async with store.transaction() as conn:
            await on_connection_thread(conn, fail)
    with sqlite3.connect(store.path) as check:
        assert check.execute("SELECT slug FROM threads ORDER BY id").fetchall() == [("kept",)]


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads a worker's environment from /proc")
async def test_parse_workers_start_with_a_fixed_mmap_threshold_unless_the_environment_sets_one(monkeypatch):
    """Workers start with glibc's mmap threshold fixed (bot.heap.threshold_environment), so the strings of a long file
    go back to the system when freed; a value the user already set is kept."""

    async def worker_setting() -> str | None:
        workers = await ParseWorkers(1, 20 * 1024 * 1024).start()
        try:
            await workers.submit({"ask": "modules"})  # the worker is up and serving
            environ = Path(f"/proc/{workers.procs[0].pid}/environ").read_bytes().split(b"\0")
        finally:
            await workers.close()
        found = [e.split(b"=", 1)[1].decode() for e in environ if e.startswith(b"MALLOC_MMAP_THRESHOLD_=")]
        return found[0] if found else None

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert await worker_setting() == "131072"
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert await worker_setting() == "65536"
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")  # the same, as a tunable
    assert await worker_setting() is None
