"""Reads at scale: what commands show is read on a pool of read-only connections, which waits neither for the
shared connection's writes nor for another process's write lock; search ranks within a bound and counts honestly;
the search SQL takes another source by a UNION."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

import db.store
from bot.core.model import Block, Comment, Thread
from bot.core.replays import ReplayState
from db.busy import LockPolicy
from db.search import COMMENTS, SearchQuery, SearchSource, parse_query, words_query
from db.store import Store


def thread(title: str, *texts: str) -> Thread:
    comments = tuple(Comment(i + 1, f"author{i % 4}", True, None, None, None, None, (Block(text),))
                     for i, text in enumerate(texts))
    return Thread(title, None, ("The article.",), comments)


async def add(store: Store, key: str, value: Thread) -> int:
    return (await store.import_thread(value, source_key=key, sha256=key, source_path=key, slug=key)).thread_id


async def test_commands_read_while_a_write_waits_for_another_processs_lock(tmp_path):
    """Another process holds the write lock; a write on the shared connection waits inside SQLite for it (a long
    busy timeout: the shared connection is stuck in that statement). Reads queued on the shared connection would
    wait as long; on the read pool they answer meanwhile."""
    async with Store.opened(tmp_path / "db.sqlite3", policy=LockPolicy(busy_timeout_ms=60_000)) as store:
        thread_id = await add(store, "a", thread("Harbour lights", "the harbour at night", "lights on the water"))
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the other process's write lock
        try:
            waiting = asyncio.create_task(store.bot_state.put("key", "value"))
            await asyncio.sleep(0.2)  # let the write start waiting (if it has not, the reads below prove nothing new)

            async def reads() -> None:
                assert [t.title for t in await store.threads(limit=20)] == ["Harbour lights"]
                assert await store.thread_count() == 1
                assert (await store.thread_stats(thread_id)).comments == 2
                assert [t.id for t in await store.find_threads("harb")] == [thread_id]
                assert [n for n, _, _ in await store.comment_previews(thread_id, "")] == [1, 2]
                assert (await store.search_comments("harbour")).total == 1

            await asyncio.wait_for(reads(), 30)  # would wait the full 60 s busy timeout behind the write
            assert not waiting.done()  # every read above answered while the write was still waiting
        finally:
            other.execute("ROLLBACK")
            other.close()
        await waiting
        assert await store.bot_state.get("key") == "value"


async def test_read_connections_refuse_to_write(store):
    async with store.reading() as conn:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('x', 'y')")


async def test_many_reads_at_once_share_a_few_connections(store):
    await add(store, "a", thread("One", "text"))
    answers = await asyncio.gather(*(store.thread_count() for _ in range(50)))
    assert answers == [1] * 50
    assert len(store._idle_readers) <= db.store.READERS + db.store.LONG_READERS


async def test_searches_and_quick_reads_never_wait_for_each_other(store):
    """Every long-read connection busy (searches, whole threads): quick reads still answer; and the reverse."""
    thread_id = await add(store, "a", thread("Tide tables", "high tide at noon", "low tide at dusk"))
    async with contextlib.AsyncExitStack() as held:
        for _ in range(db.store.LONG_READERS):
            await held.enter_async_context(store.reading(long=True))
        quick = [await asyncio.wait_for(store.thread_count(), 30), (await store.thread_summary(thread_id)).title,
                 len(await store.find_threads("tide")), len(await store.comment_previews(thread_id, "tide"))]
    assert quick == [1, "Tide tables", 1, 2]
    async with contextlib.AsyncExitStack() as held:
        for _ in range(db.store.READERS):
            await held.enter_async_context(store.reading())
        found = await asyncio.wait_for(store.search_comments("tide"), 30)
        loaded = await asyncio.wait_for(store.load_thread(thread_id), 30)
    assert found.total == 2 and [c.number for c in loaded.comments] == [1, 2]


async def test_a_common_word_is_ranked_among_the_newest_matches_and_all_are_counted(store, monkeypatch):
    """bm25 ranks the newest RANK_WITHIN matches only; the count still covers every match (up to the cap)."""
    texts = ["lantern lantern lantern lantern"] + [f"a lantern number {i} in a longer sentence" for i in range(11)]
    await add(store, "a", thread("Lanterns", *texts))
    best = (await store.search_comments("lantern", limit=3)).hits
    assert best[0].number == 1  # within the bound: the densest comment first
    monkeypatch.setattr(db.store, "RANK_WITHIN", 5)
    results = await store.search_comments("lantern", limit=3)
    assert results.total == 12 and not results.capped
    assert {h.number for h in results.hits} <= {8, 9, 10, 11, 12}  # comment 1 is outside the newest five
    monkeypatch.setattr(db.store, "SEARCH_COUNT_CAP", 10)
    capped = await store.search_comments("lantern", limit=3)
    assert capped.total == 10 and capped.capped


@given(words=st.lists(st.sampled_from(["kettle", "steam", "whistle", "copper"]), min_size=1, max_size=3))
def test_hits_are_the_best_of_the_bound_and_the_count_is_every_match(tmp_path_factory, words):
    """Whatever the words: total = the matching comments (all below the cap), every hit matches them all, and with
    the bound above the number of matches the hits are in bm25 order, as an unbounded ranking would give."""
    pool = ["kettle steam", "steam whistle copper", "copper kettle kettle", "whistle", "steam steam steam",
            "kettle whistle steam copper", "nothing here"]
    path = tmp_path_factory.mktemp("rank") / "db.sqlite3"

    async def run() -> tuple[int, list[int], list[int]]:
        async with Store.opened(path) as store:
            if not await store.thread_count():
                await add(store, "a", thread("Kitchen", *pool))
            results = await store.search_comments(" ".join(words), limit=10)
            async with store.reading() as conn, conn.execute(
                    "SELECT c.number FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid"
                    " WHERE comments_fts MATCH ? ORDER BY rank, c.id DESC",
                    (words_query(parse_query(" ".join(words))),)) as cur:
                unbounded = [r[0] for r in await cur.fetchall()]
        return results.total, [h.number for h in results.hits], unbounded

    total, hits, unbounded = asyncio.run(run())
    expected = [i + 1 for i, text in enumerate(pool) if set(words) <= set(text.split())]
    assert total == len(expected) and sorted(hits) == expected
    assert hits == unbounded


async def test_another_source_is_one_more_union(store):
    """How captured comments (or any other text) will join search: a SearchSource of its own, same query."""
    await add(store, "a", thread("Ferry", "the ferry was late again", "no ferry on sundays"))
    async with store.transaction() as conn:
        await conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, thread_id INTEGER, number INTEGER,"
                           " author TEXT, text TEXT)")
        await conn.execute("CREATE VIRTUAL TABLE notes_fts USING fts5 (author, text, content = 'notes',"
                           " content_rowid = 'id')")
        await conn.execute("INSERT INTO notes VALUES (1, 1, 3, 'Member', 'the ferry crew waved')")
        await conn.execute("INSERT INTO notes_fts (rowid, author, text) VALUES (1, 'Member', 'the ferry crew waved')")
    notes = SearchSource(name="note", fts="notes_fts", rows="notes n", id="n.id", thread_id="n.thread_id",
                         number="n.number", author="n.author", text="n.text")
    query = SearchQuery('"ferry"', sources=(COMMENTS, notes))
    async with store.reading() as conn:
        async with conn.execute(*query.count()) as cur:
            assert (await cur.fetchone())[0] == 3
        async with conn.execute(*query.top(10)) as cur:
            rows = await cur.fetchall()
        async with conn.execute(*query.snippets(notes, [1])) as cur:
            snippet = (await cur.fetchone())[1]
    assert sorted((r[0], r[3], r[4]) for r in rows) == [("comment", 1, "author0"), ("comment", 2, "author1"),
                                                       ("note", 3, "Member")]
    assert snippet == "the \ue000ferry\ue001 crew waved"


async def test_the_live_replay_of_the_first_channel_that_has_one_with_its_title(store):
    harbour = await add(store, "a", thread("Harbour lights", "one", "two"))
    ferry = await add(store, "b", thread("Ferry times", "one"))

    async def start(thread_id: int, channel_id: int):
        return await store.replays.create(guild_id=1, channel_id=channel_id, revision_id=await store.revision_id(
            thread_id), first=1, last=1, pace="6", use_webhooks=True, started_by=5)

    in_10, in_20 = await start(harbour, 10), await start(ferry, 20)
    stopped = await start(ferry, 30)
    await store.replays.set_state(stopped.id, ReplayState.STOPPED)
    assert [(r.id, title) for r, title in [await store.live_replay([20, 10])]] == [(in_20.id, "Ferry times")]
    assert [(r.id, title) for r, title in [await store.live_replay([0, 10, 20])]] == [(in_10.id, "Harbour lights")]
    assert await store.live_replay([30]) is None and await store.live_replay([]) is None
