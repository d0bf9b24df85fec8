"""`rethread db backup` / `db restore` and `rethread stats`, run as an operator runs them: a separate process, the
real SQLite file, and the real bot (its own process, against the stand-in) writing while the backup is taken."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.discussions import CapturedMessage, DiscussionState, NewComment
from bot.core.polls import PollKind
from bot.core.replays import ReplayState
from bot.importer import import_paths
from db.backup import BackupError, backup
from db.migrate import available
from db.store import Store
from tests.conftest import DEMO_SEEDS
from tests.test_replay_durability import replayed, start_replay, until

LATEST = available()[-1].version
ADMIN = 4242


def rethread(workdir: Path, *args: str, db: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RETHREAD_", "LOG_", "SHARD_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=workdir,
                          env={**env, "RETHREAD_DB": str(db or workdir / "bot.sqlite3"), "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=60)


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def integrity(path: Path) -> list[tuple]:
    return rows(path, "PRAGMA integrity_check")


# -- backup and restore around the running bot ----------------------------------------------------------------


async def test_backup_while_the_bot_replays_then_restore_only_once_it_is_stopped(bot, fast_fake, tmp_path):
    await start_replay(fast_fake, "Night Market")
    await until(lambda: len(replayed(fast_fake)) >= 3, "three comments replayed", proc=bot)
    copy = tmp_path / "backups" / "rethread-copy.sqlite3"
    copy.parent.mkdir()

    result = await asyncio.to_thread(rethread, tmp_path, "db", "backup", str(copy), db=bot.db_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"backed up {bot.db_path} to {copy}: ")
    assert result.stdout.rstrip().endswith(f"schema version {LATEST}, integrity ok")
    assert bot.running  # the bot went on
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert integrity(copy) == [("ok",)]
    assert rows(copy, "SELECT slug FROM threads ORDER BY slug") == [
        ("cafe-closing",), ("lighthouse-logbooks",), ("night-market-rail-depot",)]
    copied_posts = rows(copy, "SELECT COUNT(*) FROM replay_posts")[0][0]
    assert copied_posts >= 3
    assert rows(copy, "SELECT state FROM replays") in ([("running",)], [("finished",)])
    assert not Path(f"{copy}-wal").exists()  # one self-contained file

    again = await asyncio.to_thread(rethread, tmp_path, "db", "backup", str(copy), db=bot.db_path)
    assert again.returncode == 1
    assert again.stderr.strip() == (f"error: {copy} already exists; choose another name, or pass --force to "
                                    "replace it")

    refused = await asyncio.to_thread(rethread, tmp_path, "db", "restore", str(copy), db=bot.db_path)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"error: {bot.db_path} is in use by another process (the bot, or a rethread command); stop it first (e.g. "
        "systemctl stop rethread), then restore")
    assert not Path(f"{bot.db_path}.bak").exists()

    await until(lambda: "Finished" in "".join(m.content for m in fast_fake.channel_messages()),
                "the replay to finish", proc=bot)
    assert await bot.stop() == 0
    live_posts = rows(bot.db_path, "SELECT COUNT(*) FROM replay_posts")[0][0]
    assert live_posts >= copied_posts

    restored = await asyncio.to_thread(rethread, tmp_path, "db", "restore", str(copy), db=bot.db_path)

    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip() == (f"restored {bot.db_path} from {copy} (schema version {LATEST}); the "
                                       f"previous database is kept as {bot.db_path}.bak")
    assert rows(bot.db_path, "SELECT COUNT(*) FROM replay_posts")[0][0] == copied_posts
    kept = Path(f"{bot.db_path}.bak")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert integrity(kept) == [("ok",)]
    assert rows(kept, "SELECT COUNT(*) FROM replay_posts")[0][0] == live_posts

    # The bot starts again on the restored file.
    await bot.start()
    assert bot.running


def test_restore_refuses_what_is_not_a_rethread_backup(tmp_path):
    not_sqlite = tmp_path / "notes.sqlite3"
    not_sqlite.write_text("shopping list\n" * 100)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    for backup_file, message in [
        (tmp_path / "missing.sqlite3", f"no such backup file: {tmp_path / 'missing.sqlite3'}"),
        (not_sqlite, f"{not_sqlite} is not an SQLite database (file is not a database)"),
        (other, f"{other} is not a Rethread database (no Rethread schema in it)"),
    ]:
        result = rethread(tmp_path, "db", "restore", str(backup_file))
        assert result.returncode == 1
        assert result.stderr.strip() == f"error: {message}"
    assert not (tmp_path / "bot.sqlite3").exists()


async def test_restore_refuses_a_backup_from_a_newer_rethread(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    async with Store.opened(newer) as store:
        await store.conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    result = await asyncio.to_thread(rethread, tmp_path, "db", "restore", str(newer))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: {newer} is at schema version {LATEST + 1}, newer than this Rethread "
                                     f"knows ({LATEST}); restore it with the Rethread that made it")


async def test_backup_force_replaces_the_file(tmp_path):
    async with Store.opened(tmp_path / "bot.sqlite3") as store:
        await import_paths(store, DEMO_SEEDS)
    target = tmp_path / "copy.sqlite3"
    target.write_text("an older copy")
    result = await asyncio.to_thread(rethread, tmp_path, "db", "backup", str(target), "--force")
    assert result.returncode == 0, result.stderr
    assert rows(target, "SELECT COUNT(*) FROM threads") == [(3,)]
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


async def test_a_backup_in_small_steps_under_a_steady_writer_is_one_consistent_snapshot(tmp_path):
    """Each write adds a pair of rows in one transaction; a copy taken while the writes go on holds whole pairs
    only, numbered without a gap (SQLite restarts a step-by-step copy after another process's write, and after
    MAX_RESTARTS restarts copies the rest from one snapshot)."""
    source = tmp_path / "bot.sqlite3"
    async with Store.opened(source) as store:
        await import_paths(store, DEMO_SEEDS)
    stop, fifty = threading.Event(), threading.Event()
    written = 0

    def writer() -> None:
        nonlocal written
        conn = sqlite3.connect(source, isolation_level=None, timeout=30)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'a')", (f"a:{written:06d}",))
            conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'b')", (f"b:{written:06d}",))
            conn.execute("COMMIT")
            written += 1
            if written == 50:
                fifty.set()
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert await asyncio.to_thread(fifty.wait, 30)
        result = await asyncio.to_thread(backup, source, tmp_path / "copy.sqlite3", step_pages=1)
    finally:
        stop.set()
        thread.join()
    copy = result.path
    assert integrity(copy) == [("ok",)]
    a = [k for (k,) in rows(copy, "SELECT key FROM bot_state WHERE key LIKE 'a:%' ORDER BY key")]
    b = [k for (k,) in rows(copy, "SELECT key FROM bot_state WHERE key LIKE 'b:%' ORDER BY key")]
    assert len(a) >= 50
    assert a == [f"a:{i:06d}" for i in range(len(a))]
    assert b == [f"b:{i:06d}" for i in range(len(a))]
    assert rows(copy, "SELECT COUNT(*) FROM threads") == [(3,)]


def test_backup_of_no_database_and_onto_itself_are_refused(tmp_path):
    with pytest.raises(BackupError, match="there is no database at"):
        backup(tmp_path / "none.sqlite3", tmp_path / "copy.sqlite3")
    sqlite3.connect(tmp_path / "db.sqlite3").execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError, match="the backup cannot be the database itself"):
        backup(tmp_path / "db.sqlite3", tmp_path / "." / "db.sqlite3", overwrite=True)
    with pytest.raises(BackupError) as refused:
        backup(tmp_path / "db.sqlite3", tmp_path / "no" / "copy.sqlite3")
    assert str(refused.value) == f"no such folder: {tmp_path / 'no'}"


# -- stats ----------------------------------------------------------------------------------------------------


async def test_stats_counts_what_the_store_holds(tmp_path):
    g1, g2, g3 = 1001, 1002, 1003
    path = tmp_path / "bot.sqlite3"
    async with Store.opened(path) as store:
        summary = await import_paths(store, DEMO_SEEDS)
        thread_id = summary.stored[0][1].thread_id
        revision_id = await store.revision_id(thread_id)
        assert revision_id is not None
        await store.config.set(g1, ADMIN, replay_channel_id=11)
        talk, _ = await store.discussions.open(guild_id=g1, parent_id=11, channel_id=111, thread_id=thread_id,
                                               revision_id=revision_id, last_number=10, pace="6", use_webhooks=True,
                                               started_by=ADMIN)
        done, _ = await store.discussions.open(guild_id=g1, parent_id=11, channel_id=112, thread_id=thread_id,
                                               revision_id=revision_id, last_number=10, pace="6", use_webhooks=True,
                                               started_by=ADMIN)
        await store.discussions.set_state(done.id, DiscussionState.CLOSED)
        await store.discussions.apply([NewComment(talk.id, CapturedMessage(
            message_id=500 + n, author_id=77, author="ada", posted_at="2026-11-25T07:00:00+00:00",
            text=f"message {n}")) for n in (1, 2)])
        finished = await store.replays.create(guild_id=g2, channel_id=21, revision_id=revision_id, first=1, last=10,
                                              pace="0", use_webhooks=True, started_by=ADMIN)
        await store.replays.set_state(finished.id, ReplayState.FINISHED)
        stopped = await store.replays.create(guild_id=g2, channel_id=22, revision_id=revision_id, first=1, last=10,
                                             pace="0", use_webhooks=True, started_by=ADMIN)
        await store.replays.set_state(stopped.id, ReplayState.STOPPED)
        expires = datetime.now(UTC) + timedelta(hours=1)
        polls = [await store.polls.add(guild_id=guild, channel_id=31, message_id=600 + guild, thread_id=thread_id,
                                       kind=PollKind.ASK, comment_number=None, question="Tea?",
                                       answers=("yes", "no"), multiple=False, expires_at=expires, created_by=ADMIN)
                 for guild in (g2, g3)]
        for user, answer in ((1, 1), (2, 1), (3, 2)):
            await store.polls.add_vote(polls[0].id, user, answer)
        await store.polls.finalize(polls[0].id, (2, 1), datetime.now(UTC))

    result = await asyncio.to_thread(rethread, tmp_path, "stats")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"database: {path}, ")
    assert lines[1:] == [
        "guilds: 3",
        "threads: 3 (3 revisions, 34 comments)",
        "replays: 2 running, 0 paused, 1 finished, 1 stopped, 0 failed",
        "polls: 1 open, 1 ended; 3 votes",
        "discussions: 1 open, 1 closed, 0 ended; 2 captured comments",
    ]
    as_json = await asyncio.to_thread(rethread, tmp_path, "stats", "--json")
    figures = json.loads(as_json.stdout)
    assert figures.pop("database_bytes") == path.stat().st_size
    assert figures.pop("wal_bytes") == (Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0)
    assert figures == {
        "database": str(path), "guilds": 3, "threads": 3, "revisions": 3, "comments": 34,
        "replays": {"running": 2, "paused": 0, "finished": 1, "stopped": 1, "failed": 0},
        "polls_open": 1, "polls_ended": 1, "votes": 3,
        "discussions": {"open": 1, "closed": 1, "ended": 0}, "captured_comments": 2,
    }


def test_stats_does_not_load_discord(tmp_path):
    code = ("import sys; from bot.cli import stats, check, database; "
            "print(sorted(m for m in ('discord', 'aiohttp') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
