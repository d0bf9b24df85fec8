"""Discussions against the stand-in, the bot as its own process, for what SimCord gets wrong or cannot do:
webhook messages posted into a Discord thread with thread_id (SimCord puts them in the parent channel), forum
posts whose first message is the article, archived, locked and deleted threads, Discord's cap on active threads,
a bulk delete, and a bot refused the Message Content intent at login."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.expected import CAFE_NAMES, CAFE_TITLE
from tests.fakediscord import FakeDiscord
from tests.test_replay_durability import until

CAFE = "Café Zürich"


def misplaced_comments(in_thread: list[str], in_parent: list[str], expected: list[str]) -> list[str]:
    """What is wrong with where a discussion's replayed comments landed (names as shown): nothing, when all of
    them are in its Discord thread, in order, and none is in the parent channel."""
    problems = []
    if in_parent:
        problems.append(f"{len(in_parent)} replayed comment(s) in the parent channel: {in_parent}")
    if in_thread != expected:
        problems.append(f"the thread shows {in_thread}, not {expected}")
    return problems


def webhook_names(fake: FakeDiscord, channel_id: int) -> list[str]:
    return [m.name for m in fake.channel_messages(channel_id) if m.webhook_id]


def captured(db_path) -> list[tuple]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT number, author, text, reply_to FROM discussion_comments ORDER BY number").fetchall()


def discussion_state(db_path) -> list[tuple]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT d.state, d.note, r.state FROM discussions d JOIN replays r ON r.id = d.replay_id"
                            " ORDER BY d.id").fetchall()


async def start(fake: FakeDiscord, **options) -> int:
    """/discuss start as the admin; the Discord thread it opened."""
    answer = await fake.slash(fake.admin, "discuss start", thread=CAFE, **options)
    await until(lambda: answer.followups, "/discuss start to answer")
    parent = int(options.get("channel") or fake.text_channel)
    return int(fake.threads_of(parent)[-1]["id"])


async def add_forum(fake: FakeDiscord) -> int:
    forum = fake.add_channel("discussions", kind=15)
    await fake.dispatch("CHANNEL_CREATE", fake.channels[forum])
    return forum


async def test_replayed_comments_land_in_the_discussion_thread_through_the_parents_webhook(bot, fast_fake):
    threads = [await start(fast_fake, pace="0") for _ in range(4)]  # 40 comments: over one channel's 30 a minute
    for thread in threads:
        await until(lambda t=thread: len(webhook_names(fast_fake, t)) == 10, "the comments", proc=bot)
        assert misplaced_comments(webhook_names(fast_fake, thread), webhook_names(fast_fake, fast_fake.text_channel),
                                  CAFE_NAMES) == []
    executes = [r for r in fast_fake.requests_to("POST", "/webhooks/*")
                if not r.path.startswith(f"/webhooks/{fast_fake.application_id}/")]  # not interaction follow-ups
    assert {r.query.get("thread_id") for r in executes} == {str(t) for t in threads}
    assert not fast_fake.limits.served_429, "the threads share their parent's webhook, and its send budget"
    assert len(fast_fake.requests_to("POST", f"/channels/{fast_fake.text_channel}/webhooks")) == 1, \
        "one webhook per parent channel, reused by every thread in it"
    assert [t["name"] for t in fast_fake.threads_of(fast_fake.text_channel)] == [CAFE_TITLE] * 4


async def test_a_forum_post_opens_with_the_article_and_holds_the_comments(bot, fast_fake):
    forum = await add_forum(fast_fake)
    post = await start(fast_fake, channel=str(forum), pace="0")
    await until(lambda: len(webhook_names(fast_fake, post)) == 10, "the comments", proc=bot)
    shown = fast_fake.channel_messages(post)
    assert shown[0].id == post and [e.get("title") for e in shown[0].embeds] == [CAFE_TITLE]
    assert webhook_names(fast_fake, post) == CAFE_NAMES


async def test_an_archived_thread_is_reopened_by_the_next_comment(bot, fast_fake):
    thread = await start(fast_fake, pace="manual")
    await fast_fake.set_thread(thread, archived=True)
    next_ = await fast_fake.slash(fast_fake.admin, "replay next", channel_id=thread)
    assert next_.texts() == ["Posting comment 1 now."]
    await until(lambda: webhook_names(fast_fake, thread) == CAFE_NAMES[:1], "comment 1", proc=bot)
    assert fast_fake.channels[thread]["thread_metadata"]["archived"] is False


async def test_a_locked_thread_pauses_the_replay_and_says_so_in_the_parent_channel(bot, fast_fake):
    thread = await start(fast_fake, pace="manual")
    await fast_fake.set_thread(thread, archived=True, locked=True)
    await fast_fake.slash(fast_fake.admin, "replay next", channel_id=thread)
    note = f"paused: the thread <#{thread}> is locked. A moderator can unlock it; then use `/replay resume`."
    await until(lambda: any(note in m.content for m in fast_fake.channel_messages()), "the pause note", proc=bot)
    assert webhook_names(fast_fake, thread) == []
    await fast_fake.set_thread(thread, archived=False, locked=False)
    resumed = await fast_fake.slash(fast_fake.admin, "replay resume", channel_id=thread)
    assert resumed.texts() == ["Resumed."]
    await fast_fake.slash(fast_fake.admin, "replay next", channel_id=thread)
    await until(lambda: webhook_names(fast_fake, thread) == CAFE_NAMES[:1], "comment 1, once", proc=bot)


async def test_a_deleted_thread_ends_the_discussion_cleanly(bot, fast_fake):
    thread = await start(fast_fake, pace="manual")
    await fast_fake.member_writes(fast_fake.member, thread, "Kept until the thread goes.")
    await until(lambda: captured(bot.db_path), "the message to be captured", proc=bot)
    await fast_fake.delete_channel(thread)
    await until(lambda: discussion_state(bot.db_path) == [("ended", "its Discord thread was deleted", "stopped")],
                "the discussion to end", proc=bot)
    status = await fast_fake.slash(fast_fake.member, "discuss status")
    await until(lambda: status.followups, "/discuss status to answer")
    assert status.texts()[-1].startswith("No discussion is open.")
    assert bot.running and "Traceback" not in bot.log()


async def test_discords_cap_on_active_threads_gets_a_clear_answer(bot, fast_fake):
    fast_fake.max_active_threads = 0
    answer = await fast_fake.slash(fast_fake.admin, "discuss start", thread=CAFE)
    await until(lambda: answer.followups, "the answer")
    assert answer.texts()[-1] == ("This server has as many active threads as Discord allows. Archive or close some "
                                  "threads, then try again.")
    assert discussion_state(bot.db_path) == []


async def test_capture_replies_edits_and_a_bulk_delete(bot, fast_fake):
    thread = await start(fast_fake, pace="0")
    await until(lambda: len(webhook_names(fast_fake, thread)) == 10, "the comments", proc=bot)
    nadia = next(m for m in fast_fake.channel_messages(thread) if m.name == "Nadia Haddad")
    bob, ada = fast_fake.member, fast_fake.admin
    one = await fast_fake.member_writes(bob, thread, "Sundays there were the best.")
    two = await fast_fake.member_writes(ada, thread, "Nadia has a point.", reply_to=nadia.id)
    three = await fast_fake.member_writes(bob, thread, "Agreed, ada.", reply_to=int(two["id"]),
                                          attachments=["photo.jpg"])
    spam = [await fast_fake.member_writes(bob, thread, f"spam {i}") for i in range(3)]
    await until(lambda: len(captured(bot.db_path)) == 6, "six messages", proc=bot)
    await fast_fake.member_edits(thread, int(one["id"]), "Sundays there were the very best.")
    await fast_fake.member_deletes(thread, *(int(m["id"]) for m in spam))
    expected = [(11, "bob", "Sundays there were the very best.", None), (12, "ada", "Nadia has a point.", 2),
                (13, "bob", "Agreed, ada.", 12)]
    await until(lambda: captured(bot.db_path) == expected, "the edit and the bulk delete", proc=bot)
    with sqlite3.connect(f"file:{bot.db_path}?mode=ro", uri=True) as conn:
        (attachments,) = conn.execute("SELECT attachments FROM discussion_comments WHERE message_id = ?",
                                      (int(three["id"]),)).fetchone()
    assert attachments == f'["https://cdn.discordapp.com/attachments/{thread}/{three["id"]}0/photo.jpg"]'


async def test_messages_written_while_the_bot_was_away_are_read_back(bot, fast_fake):
    thread = await start(fast_fake, pace="manual")
    await fast_fake.member_writes(fast_fake.member, thread, "Before the drop.")
    await until(lambda: len(captured(bot.db_path)) == 1, "the first message", proc=bot)
    bot.kill()
    await fast_fake.member_writes(fast_fake.member, thread, "While the bot was away.")
    await fast_fake.member_writes(fast_fake.admin, thread, "Me too.")
    # A member writes again as the bot comes back, before it has its guilds (and reads the gap back): the newest
    # message it then holds must not hide the two before it.
    fast_fake.before_guilds.append(lambda: fast_fake.member_writes(fast_fake.member, thread, "Welcome back."))
    await bot.start()
    texts = ["Before the drop.", "While the bot was away.", "Me too.", "Welcome back."]
    await until(lambda: sorted(row[2] for row in captured(bot.db_path)) == sorted(texts), "the missed messages",
                proc=bot)


async def test_messages_written_while_a_gateway_session_was_lost_are_read_back(bot, fast_fake):
    thread = await start(fast_fake, pace="manual")
    await fast_fake.member_writes(fast_fake.member, thread, "Before the drop.")
    await until(lambda: len(captured(bot.db_path)) == 1, "the first message", proc=bot)
    fast_fake.refuse_resumes = 1  # the session is not resumed: what happens meanwhile is not replayed
    fast_fake.while_unresumed.append(lambda: fast_fake.member_writes(fast_fake.admin, thread, "During the drop."))
    fast_fake.before_guilds.append(lambda: fast_fake.member_writes(fast_fake.member, thread, "Welcome back."))
    identifies = fast_fake.identifies
    await fast_fake.drop_gateway()
    await until(lambda: fast_fake.identifies > identifies, "a new session", proc=bot)
    texts = ["Before the drop.", "During the drop.", "Welcome back."]
    await until(lambda: sorted(row[2] for row in captured(bot.db_path)) == sorted(texts), "the missed message",
                proc=bot)


@pytest.mark.parametrize("shards", ["auto", "off"])  # sharded: asked before identifying; plain: after a 4014
async def test_a_bot_refused_the_message_content_intent_starts_and_captures_what_it_can(fast_fake, tmp_path, shards):
    from tests.harness.botprocess import BotProcess

    fast_fake.message_content_enabled = False
    proc = BotProcess(fast_fake, tmp_path, env={"RETHREAD_WEBHOOK_BUDGET": "30/6", "SHARD_COUNT": shards})
    await proc.start()
    try:
        warning = "capturing discussions in reduced mode (only messages that mention me or reply to me)"
        await until(lambda: warning in proc.log(), "the bot to say it runs without the intent", proc=proc)
        await until(lambda: fast_fake.connected.is_set(), "the bot to connect without the intent", proc=proc)
        thread = await start(fast_fake, pace="manual")
        await fast_fake.member_writes(fast_fake.member, thread, "Hidden from the bot.")
        await fast_fake.member_writes(fast_fake.member, thread, "Hello bot.", mention_bot=True)
        bot_id = fast_fake.bot_user["id"]
        await until(lambda: captured(proc.db_path) == [(11, "bob", f"<@{bot_id}> Hello bot.", None)],
                    "the mention to be captured", proc=proc)
        status = await fast_fake.slash(fast_fake.member, "discuss status")
        await until(lambda: status.followups, "/discuss status to answer")
        assert status.texts()[-1].splitlines()[-1].startswith("Capture: reduced: the Message Content intent is off")
    finally:
        proc.kill()


async def test_threads_the_bot_did_not_create_are_left_alone(bot, fast_fake):
    theirs = fast_fake.snowflake()
    fast_fake.channels[theirs] = {**fast_fake.thread_payload(theirs, fast_fake.text_channel, "members' own", 1440),
                                  "owner_id": fast_fake.member["id"]}
    fast_fake.messages[theirs] = []
    await fast_fake.dispatch("THREAD_CREATE", fast_fake.channels[theirs])
    answer = await fast_fake.slash(fast_fake.admin, "discuss start", thread=CAFE, pace="manual", channel_id=theirs)
    await until(lambda: answer.followups, "/discuss start to answer")
    ours = int(fast_fake.threads_of(fast_fake.text_channel)[-1]["id"])
    assert ours != theirs and answer.texts()[-1].startswith(f"Discussion of **{CAFE_TITLE}** opened: <#{ours}>.")
    await fast_fake.member_writes(fast_fake.member, theirs, "Not part of any discussion.")
    await fast_fake.member_writes(fast_fake.member, ours, "Part of the discussion.")
    await until(lambda: captured(bot.db_path) == [(11, "bob", "Part of the discussion.", None)], "the capture",
                proc=bot)
    await fast_fake.delete_channel(theirs)
    await fast_fake.member_writes(fast_fake.member, ours, "Still open.")
    await until(lambda: len(captured(bot.db_path)) == 2, "the discussion to go on", proc=bot)
    assert discussion_state(bot.db_path) == [("open", None, "running")]


async def test_a_missing_permission_is_named_before_any_thread_is_opened(bot, fast_fake):
    await fast_fake.revoke(fast_fake.text_channel, "create_public_threads")
    answer = await fast_fake.slash(fast_fake.admin, "discuss start", thread=CAFE)
    assert answer.ephemeral and answer.texts() == [
        f"I need Create Public Threads in <#{fast_fake.text_channel}> to open a discussion there."]
    assert fast_fake.threads_of(fast_fake.text_channel) == [] and discussion_state(bot.db_path) == []


async def test_forgotten_messages_are_not_read_back_after_a_restart(bot, fast_fake):
    thread = await start(fast_fake, pace="manual")
    await fast_fake.member_writes(fast_fake.admin, thread, "Keep mine.")
    await fast_fake.member_writes(fast_fake.member, thread, "Please forget this.")  # the newest captured
    await until(lambda: len(captured(bot.db_path)) == 2, "the messages", proc=bot)
    forgot = await fast_fake.slash(fast_fake.member, "discuss forget-me")
    await until(lambda: forgot.followups, "/discuss forget-me to answer")
    assert forgot.texts()[-1].startswith("Deleted 1 comment you wrote in this server's discussions")
    bot.kill()
    await fast_fake.member_writes(fast_fake.admin, thread, "Written while the bot was away.")
    await bot.start()
    await until(lambda: len(captured(bot.db_path)) == 2, "the read-back", proc=bot)
    await asyncio.sleep(1)  # (anything read back wrongly would be stored by now)
    assert [row[2] for row in captured(bot.db_path)] == ["Keep mine.", "Written while the bot was away."]
