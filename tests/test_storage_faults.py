"""Storage under stress: a busy database pauses writers instead of failing them, large imports take turns with
other writers, every storage failure is a one-line CLI error that leaves the database intact, two processes can
start on a new database at once, and the database is readable by its owner only."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import db.store as store_module
from bot.cli import main
from bot.core.model import Block, Comment, Thread
from bot.core.parser import load_thread_file
from bot.importer import import_loaded, import_paths
from db.busy import LockPolicy
from db.migrate import available
from db.store import Store
from tests.conftest import DEMO_SEEDS, ROOT

FAST = LockPolicy(busy_timeout_ms=50, max_wait=30, max_pause=0.1)


def hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another connection (as another process would) takes the write lock and keeps it ``seconds``."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            conn.execute("BEGIN IMMEDIATE")
            taken.set()
            time.sleep(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(10)
    return holder


def big_thread(title: str, comments: int, *, dangling_at: int | None = None) -> Thread:
    return Thread(title, None, ("Body.",), tuple(
        Comment(n, f"user{n % 7}", True, None, 99_999 if n == dangling_at else (n - 1 if n > 1 else None),
                None, None, (Block(f"comment number {n}"),))
        for n in range(1, comments + 1)))


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def rows(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


# -- a busy database pauses, never kills --------------------------------------------------------------------


async def test_every_kind_of_write_waits_for_a_held_lock_and_then_succeeds(tmp_path, caplog):
    path = tmp_path / "busy.sqlite3"
    async with Store.opened(path, policy=FAST) as store:
        await import_loaded(store, load_thread_file(DEMO_SEEDS[0]))
        revision_id = await store.revision_id(1)
        replay = await store.replays.create(guild_id=1, channel_id=2, revision_id=revision_id, first=1, last=3,
                                            pace="6", use_webhooks=True, started_by=3)
        caplog.set_level(logging.WARNING, logger="rethread.db")
        holder = hold_write_lock(path, 1.5)
        started = time.monotonic()
        await asyncio.gather(
            store.replays.begin_comment(replay.id, 1),
            store.replays.record_post(replay.id, 1, 0, 555),
            store.config.set(1, 3, profanity="mask"),
            store.bot_state.put("key", "value"),
            import_loaded(store, load_thread_file(DEMO_SEEDS[1])),
        )
        waited = time.monotonic() - started
        holder.join()
        assert waited >= 1.2, "the writes did not wait for the lock"
        assert (await store.replays.get(replay.id)).in_flight == 1
        assert await store.replays.posted_parts(replay.id, 1) == {0: 555}
        assert (await store.config.get(1)).profanity == "mask"
        assert await store.bot_state.get("key") == "value"
        assert await store.thread_count() == 2
    assert any("database is busy" in r.getMessage() for r in caplog.records)


async def test_the_wait_is_bounded(tmp_path):
    path = tmp_path / "busy.sqlite3"
    async with Store.opened(path, policy=LockPolicy(busy_timeout_ms=50, max_wait=0.3)) as store:
        holder = hold_write_lock(path, 1.5)
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await store.bot_state.put("key", "value")
        assert time.monotonic() - started < 1.4
        holder.join()
        await store.bot_state.put("key", "value")  # and the store goes on once the lock is free
        assert await store.bot_state.get("key") == "value"


async def test_a_large_import_takes_turns_with_other_writers_and_shows_only_when_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK_COMMENTS", 100)
    monkeypatch.setattr(store_module, "LOCK_SLICE", 0.02)
    monkeypatch.setattr(store_module, "LONE_SLICE", 0.02)
    monkeypatch.setattr(store_module, "LOCK_PAUSE", 0.02)
    path = tmp_path / "turns.sqlite3"
    seen: list[tuple[int, int]] = []  # (part-written revisions, visible threads) each time the other writer got in
    done = threading.Event()

    def other_writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=0.2)
        try:
            while not done.is_set():
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError:
                    continue
                pending = conn.execute("SELECT COUNT(*) FROM revisions WHERE complete = 0").fetchone()[0]
                visible = conn.execute("SELECT COUNT(*) FROM threads WHERE current_revision_id IS NOT NULL"
                                       ).fetchone()[0]
                conn.execute("INSERT OR REPLACE INTO bot_state (key, value) VALUES ('tick', ?)", (str(len(seen)),))
                conn.execute("COMMIT")
                seen.append((pending, visible))
                time.sleep(0.01)
        finally:
            conn.close()

    async with Store.opened(path, policy=FAST) as store:
        writer = threading.Thread(target=other_writer, daemon=True)
        writer.start()
        try:
            result = await store.import_thread(big_thread("Huge", 6000), source_key="huge", sha256="h",
                                               source_path="huge.txt")
        finally:
            done.set()
            writer.join()
        assert (result.status, result.comments) == ("new", 6000)
        assert (await store.thread_stats(result.thread_id)).comments == 6000
    during = [visible for pending, visible in seen if pending]
    assert len(during) >= 3, "the other writer never got the lock while the import was under way"
    assert set(during) == {0}, "a part-written thread was visible"
    assert integrity(path) == "ok"


async def test_an_import_alone_gives_no_turns_until_another_connection_writes(tmp_path, monkeypatch):
    """Pauses for other writers cost an import alone time for nothing: they start once another connection is
    seen committing (PRAGMA data_version), and then come after every slice."""
    monkeypatch.setattr(store_module, "CHUNK_COMMENTS", 100)
    monkeypatch.setattr(store_module, "LOCK_SLICE", 0.0)  # with others about: a turn before every transaction
    monkeypatch.setattr(store_module, "LONE_SLICE", 1000.0)
    path = tmp_path / "alone.sqlite3"
    async with Store.opened(path, policy=FAST) as store:
        first = await store.import_thread(big_thread("Alone", 2000), source_key="a", sha256="a",
                                          source_path="a.txt")
        assert (first.comments, store.turns_given) == (2000, 0)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("INSERT INTO bot_state (key, value) VALUES ('other', 'here')")
        other.close()
        second = await store.import_thread(big_thread("Shared", 2000), source_key="b", sha256="b",
                                           source_path="b.txt")
        assert second.comments == 2000
        assert store.turns_given > 0


async def test_a_failure_in_a_later_part_of_a_large_import_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "CHUNK_COMMENTS", 3)
    path = tmp_path / "atomic.sqlite3"
    async with Store.opened(path, policy=FAST) as store:
        first = await store.import_thread(big_thread("Kept", 5), source_key="k", sha256="1", source_path="k")
        with pytest.raises(sqlite3.IntegrityError):  # comment 10 replies to a comment that does not exist
            await store.import_thread(big_thread("Kept, edited", 10, dangling_at=10), source_key="k", sha256="2",
                                      source_path="k")
        with pytest.raises(sqlite3.IntegrityError):
            await store.import_thread(big_thread("New", 10, dangling_at=8), source_key="n", sha256="3",
                                      source_path="n")
        assert await store.counts() == {"threads": 1, "revisions": 1, "comments": 5}
        assert [(t.id, t.title, t.revision) for t in await store.threads()] == [(first.thread_id, "Kept", 1)]
    assert rows(path, "SELECT COUNT(*) FROM comments") == 5 and rows(path, "SELECT COUNT(*) FROM threads") == 1
    assert rows(path, "SELECT COUNT(*) FROM comments_fts") == 5


async def test_a_revision_left_part_written_by_a_dead_process_is_cleared_and_a_live_one_is_respected(tmp_path):
    path = tmp_path / "left.sqlite3"
    file = tmp_path / "story.txt"
    file.write_text("Story\n\nBody.\n\nAnn's picture\n\nHello.\n")
    async with Store.opened(path, policy=FAST) as store:
        loaded = load_thread_file(file)
        first = await import_loaded(store, loaded)
        file.write_text("Story\n\nBody.\n\nAnn's picture\n\nHello again.\n")
        edited = load_thread_file(file)
        insert = ("INSERT INTO revisions (thread_id, number, sha256, source_path, title, article, comment_count,"
                  " complete, imported_at) VALUES (?, 2, ?, 'x', 'Story', '[]', 1, 0, ?)")
        await store.conn.execute(insert, (first.thread_id, edited.sha256, "2000-01-01T00:00:00Z"))  # long dead
        result = await import_loaded(store, edited)
        assert (result.status, result.revision) == ("revision", 2)
        file.write_text("Story\n\nBody.\n\nAnn's picture\n\nThird.\n")
        third = load_thread_file(file)
        await store.conn.execute(insert.replace("2,", "3,"), (first.thread_id, third.sha256,
                                                             time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        summary = await import_paths(store, [file])  # another process is writing this very file right now
        assert summary.failed == [(file, "another process is importing this file right now; try again later")]
        assert [t.revision for t in await store.threads()] == [2]


# -- every storage failure is a one-line CLI error ----------------------------------------------------------

WORDS_FILE = "story.txt"


def cli_commands(folder: Path) -> list[list[str]]:
    return [["threads"], ["show", "1"], ["export", "1"], ["search", "strudel"], ["preview", "1"],
            ["import", str(folder / WORDS_FILE)], ["db", "status"], ["db", "migrate"],
            ["run", "--terminal", "--seeds", str(folder / "no-seeds")]]


def invoke(db: Path, args: list[str], **env: str):
    result = CliRunner().invoke(main, args, env={"RETHREAD_DB": str(db), "DISCORD_TOKEN": "", **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    return result


def assert_one_line_error(result, args, *words: str) -> None:
    assert result.exit_code == 1, (args, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], (args, lines[0])


@pytest.fixture
def seeded_db(tmp_path) -> Path:
    path = tmp_path / "data" / "rethread.sqlite3"

    async def fill():
        async with Store.opened(path) as store:
            await import_paths(store, DEMO_SEEDS)

    asyncio.run(fill())
    (tmp_path / WORDS_FILE).write_text("A new story\n\nBody.\n\nAnn's picture\n\nHello there.\n")
    return path


def test_a_corrupt_file_is_one_line_for_every_command_and_is_left_as_it_was(tmp_path):
    path = tmp_path / "corrupt.sqlite3"
    garbage = os.urandom(64) + b"this is not a database" * 500
    path.write_bytes(garbage)
    (tmp_path / WORDS_FILE).write_text("Story\n\nBody.\n")
    for args in cli_commands(tmp_path):
        assert_one_line_error(invoke(path, args), args, "damaged or not a Rethread database")
    assert path.read_bytes() == garbage


def test_a_database_from_a_newer_rethread_is_one_line_for_every_command(seeded_db, tmp_path):
    with sqlite3.connect(seeded_db) as conn:
        conn.execute("PRAGMA user_version = 999")
    for args in cli_commands(tmp_path):
        assert_one_line_error(invoke(seeded_db, args), args, "newer than this Rethread")
    assert integrity(seeded_db) == "ok" and rows(seeded_db, "PRAGMA user_version") == 999


def test_huge_ids_are_no_such_thread(seeded_db):
    huge = "99999999999999999999"
    for args in (["show", huge], ["export", huge], ["preview", huge], ["show", "1", "--revision", huge],
                 ["show", str(2**63)]):
        assert_one_line_error(invoke(seeded_db, args), args, "no thread")


def test_a_locked_database_is_one_line_for_writes_while_reads_go_on(seeded_db, tmp_path):
    old = tmp_path / "old.sqlite3"  # a database that still needs migrations: migrating needs the lock too
    with sqlite3.connect(old) as conn:
        conn.executescript(available()[0].sql + "\nPRAGMA user_version = 1;")
    holders = [hold_write_lock(seeded_db, 3), hold_write_lock(old, 3)]
    started = time.monotonic()
    result = invoke(seeded_db, ["import", str(tmp_path / WORDS_FILE)], RETHREAD_DB_LOCK_WAIT="0.5")
    assert_one_line_error(result, "import", "is busy", "RETHREAD_DB_LOCK_WAIT")
    for args in (["db", "migrate"], ["threads"]):
        assert_one_line_error(invoke(old, args, RETHREAD_DB_LOCK_WAIT="0.5"), args, "is busy")
    for args in (["threads"], ["show", "1"], ["search", "strudel"], ["db", "status"]):
        assert invoke(seeded_db, args, RETHREAD_DB_LOCK_WAIT="0.5").exit_code == 0, args
    assert time.monotonic() - started < 3, "a command waited longer than RETHREAD_DB_LOCK_WAIT"
    for holder in holders:
        holder.join()
    assert invoke(seeded_db, ["import", str(tmp_path / WORDS_FILE)]).exit_code == 0
    assert invoke(old, ["db", "migrate"]).exit_code == 0
    assert integrity(seeded_db) == integrity(old) == "ok"


def test_a_full_disk_is_one_line_and_nothing_is_half_written(seeded_db, tmp_path, monkeypatch):
    pages = rows(seeded_db, "PRAGMA page_count")
    monkeypatch.setattr(store_module, "CONNECT_PRAGMAS",
                        (*store_module.CONNECT_PRAGMAS, f"PRAGMA max_page_count = {pages + 2}"))
    big = tmp_path / "big.txt"
    big.write_text("Big\n\nBody.\n\n" + "".join(f"Ann's picture\n\nComment {n} " + "words " * 40 + "\n\n"
                                               for n in range(3000)))
    before = rows(seeded_db, "SELECT COUNT(*) FROM comments")
    assert_one_line_error(invoke(seeded_db, ["import", str(big)]), "import", "disk is full")
    assert rows(seeded_db, "SELECT COUNT(*) FROM comments") == before
    assert rows(seeded_db, "SELECT COUNT(*) FROM revisions WHERE complete = 0") == 0
    assert integrity(seeded_db) == "ok"
    fresh = tmp_path / "fresh.sqlite3"  # not even the schema fits
    monkeypatch.setattr(store_module, "CONNECT_PRAGMAS", (*store_module.CONNECT_PRAGMAS[:-1],
                                                          "PRAGMA max_page_count = 3"))
    assert_one_line_error(invoke(fresh, ["db", "migrate"]), "migrate", "disk is full")
    assert integrity(fresh) == "ok" and rows(fresh, "PRAGMA user_version") < available()[-1].version


def without_root_powers() -> list[str]:
    """A command prefix under which file permissions hold: none for a normal user; for root (which ignores them),
    setpriv dropping the capabilities that override them."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: file permissions cannot be tested")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", caps, "--inh-caps", caps]


def test_read_only_file_or_folder_is_one_line_for_every_command(tmp_path):
    prefix = without_root_powers()
    for case in ("file", "folder"):
        folder = tmp_path / case
        folder.mkdir()
        path = folder / "rethread.sqlite3"

        async def fill(path=path):
            async with Store.opened(path) as store:
                await import_paths(store, DEMO_SEEDS)

        asyncio.run(fill())
        (folder / WORDS_FILE).write_text("A new story\n\nBody.\n\nAnn's picture\n\nHello there.\n")
        os.chmod(path, 0o400 if case == "file" else 0o600)
        if case == "folder":
            os.chmod(folder, 0o500)
        env = {**os.environ, "RETHREAD_DB": str(path), "DISCORD_TOKEN": ""}
        try:
            for args in cli_commands(folder):
                proc = subprocess.run([*prefix, sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                                      capture_output=True, text=True, timeout=60)
                assert "Traceback" not in proc.stderr, (case, args, proc.stderr)
                if proc.returncode != 0 or args[0] == "import":
                    assert proc.returncode == 1, (case, args, proc.stdout, proc.stderr)
                    lines = proc.stderr.strip().splitlines()
                    assert len(lines) == 1 and lines[0].startswith("error: "), (case, args, proc.stderr)
                    assert "read-only" in lines[0] or "cannot open" in lines[0], (case, args, lines[0])
        finally:
            os.chmod(folder, 0o700)
            os.chmod(path, 0o600)
        assert integrity(path) == "ok" and rows(path, "SELECT COUNT(*) FROM threads") == len(DEMO_SEEDS)


def test_two_processes_starting_on_a_new_database_at_once_both_succeed(tmp_path):
    env = {**os.environ, "DISCORD_TOKEN": ""}
    for attempt in range(3):
        path = tmp_path / f"race{attempt}" / "rethread.sqlite3"
        procs = [subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env={**env, "RETHREAD_DB": str(path)},
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for args in (["db", "migrate"], ["threads"], ["db", "migrate"])]
        results = [(p.wait(60), p.stderr.read()) for p in procs]
        for proc in procs:
            proc.stdout.close()
            proc.stderr.close()
        assert [code for code, _ in results] == [0, 0, 0], results
        assert rows(path, "PRAGMA user_version") == available()[-1].version and integrity(path) == "ok"


# -- the database is readable by its owner only --------------------------------------------------------------


async def test_a_new_database_and_its_folders_are_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "new" / "deeper" / "rethread.sqlite3"
    old_umask = os.umask(0o022)
    try:
        async with Store.opened(path) as store:
            await import_loaded(store, load_thread_file(DEMO_SEEDS[0]))
            await store.replays.save_webhook(1, 2, "secret-token")
            files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
    finally:
        os.umask(old_umask)
    assert files == {"rethread.sqlite3": 0o600, "rethread.sqlite3-wal": 0o600, "rethread.sqlite3-shm": 0o600}
    for folder in (tmp_path / "new", tmp_path / "new" / "deeper"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


async def test_an_existing_database_readable_by_others_is_tightened(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 0")
    os.chmod(path, 0o644)
    async with Store.opened(path):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_replay_waits_out_a_held_lock_and_posts_every_comment_once(world, caplog):
    """Another process holds the write lock mid-replay: the replay pauses, then goes on; none lost, none twice."""
    store = world.env.bot.store
    await world.slash("replay start", as_admin=True, thread="Café Zürich", pace="6")
    await world.env.advance_time(13)
    before = len(world.replayed())
    assert 0 < before < 10
    caplog.set_level(logging.WARNING, logger="rethread.db")
    # Longer than the 5 s busy timeout that was all the old code had; SimCord's clock cannot wait much longer for
    # the bot to settle (the 30 s hold runs against the bot as a process: test_replay_durability.py).
    holder = hold_write_lock(store.path, 5.5)
    for _ in range(40):
        await world.env.advance_time(6)
        await asyncio.sleep(0.2)  # real time passes too: the lock is held in real time
        if not holder.is_alive() and len(world.replayed()) == 10:
            break
    holder.join()
    await world.env.advance_time(60)
    shown = [m.content.splitlines()[-1] for m in world.replayed()]
    assert len(shown) == 10 and len(set(shown)) == 10, shown
    assert await store.replays.all_live() == []
    async with store.conn.execute("SELECT state, note FROM replays") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("finished", None)]
    assert any("database is busy" in r.getMessage() for r in caplog.records)
